//! The right to rectification (RGPD art. 16): identity, contact and household details
//! corrected on the person's profile and open renewal, recorded with the reason, and sent on
//! to the national system, the source of those data, in
//! `outbound/rectifications/<yyyymmdd>-<seq>.jsonl` with its manifest (`outbound`, as the
//! decisions), each once.
//!
//! Once only: the register's entry names the file before it is written (`in_effect`); the
//! same correction asked again while it is so (the answer was lost) finishes that file, whose
//! manifest, once there, is never rewritten; the entry becomes `done` last.

use super::{dpo, new_request, record, request_view, subject_of};
use crate::records::App;
use c2s_api::{json, json_body, ApiError};
use c2s_domain::dates::format_instant;
use c2s_domain::rgpd::rectification::Rectification;
use c2s_domain::rgpd::{required_text, RequestKind, RequestStatus};
use c2s_platform::beneficiaries::Profile;
use c2s_platform::clock::today;
use c2s_platform::exchange::RECTIFICATIONS;
use c2s_platform::outbound;
use c2s_platform::store::StoreError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

/// Handles `POST /api/agent/rgpd/rectify`.
pub(crate) async fn rectify(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = dpo(app, req).await?;
    let body = json_body(req)?;
    let mut errors = Vec::new();
    let reason = required_text(&body, "reason")
        .map_err(|e| errors.push(e))
        .ok();
    let fix = Rectification::parse(&body, today())
        .map_err(|e| errors.extend(e))
        .ok();
    let (Some(reason), Some(fix)) = (reason, fix) else {
        return Err(ApiError::invalid(errors));
    };
    let mut profile = subject_of(app, &claims, &body).await?;
    let changed = apply(&mut profile, &fix);
    if changed.is_empty() {
        // Already so: nothing to correct or to send.
        let mut entry = new_request(
            &claims,
            RequestKind::Rectification,
            &profile.nir_hash,
            RequestStatus::Done,
        );
        entry.reason = Some(reason);
        record(app, &claims, "rgpd_rectify", &mut entry).await?;
        return Ok(answer(&changed, None, &entry));
    }
    let line = line_of(&profile, &changed, &claims.caisse)?;
    let fingerprint = outbound::fingerprint(
        &serde_json::to_vec(&json!([profile.nir_hash, changed])).map_err(ApiError::internal)?,
    );
    let pending = app
        .registers
        .in_effect(
            &claims.caisse,
            &profile.nir_hash,
            RequestKind::Rectification,
        )
        .await?
        .into_iter()
        .find(|e| e.fingerprint.as_deref() == Some(fingerprint.as_str()));
    let mut entry = match pending {
        Some(entry) => entry,
        None => {
            // A new correction: its entry and its file, named before anything is written.
            let mut entry = new_request(
                &claims,
                RequestKind::Rectification,
                &profile.nir_hash,
                RequestStatus::InEffect,
            );
            entry.reason = Some(reason);
            let seq = app
                .registers
                .next_rectification_sequence(&outbound::day_key(today()))
                .await?;
            entry.file = Some(outbound::file_name(today(), seq));
            entry.fingerprint = Some(fingerprint);
            record(app, &claims, "rgpd_rectify", &mut entry).await?;
            entry
        }
    };
    let file = entry.file.clone().unwrap_or_default();
    // `false`: its manifest was there, the file went before the answer was lost.
    let _ = outbound::write(
        &app.objects,
        &app.exchange_bucket,
        RECTIFICATIONS,
        &file,
        &[line],
    )
    .await?;
    app.beneficiaries.put_profile(&profile).await?;
    rectify_open_renewal(app, &profile, &fix).await?;
    entry.status = RequestStatus::Done;
    entry.updated_at = OffsetDateTime::now_utc();
    app.registers.put_request(&entry, Vec::new()).await?;
    tracing::info!(file = %file, "rectification sent");
    Ok(answer(&changed, Some(&file), &entry))
}

fn answer(
    changed: &Map<String, Value>,
    file: Option<&str>,
    entry: &c2s_platform::registers::RequestEntry,
) -> Response<Body> {
    json(
        StatusCode::OK,
        &json!({"changed": changed, "file": file, "request": request_view(entry)}),
    )
}

/// Applies the corrections to the profile; what differs, field by field, with its new value.
fn apply(p: &mut Profile, fix: &Rectification) -> Map<String, Value> {
    let mut changed = Map::new();
    let mut set = |field: &str, differs: bool, value: Value| {
        if differs {
            changed.insert(field.to_owned(), value);
        }
    };
    if let Some(n) = &fix.last_name {
        set("last_name", p.last_name != n.as_str(), json!(n));
        p.last_name = n.as_str().to_owned();
    }
    if let Some(n) = &fix.first_name {
        set("first_name", p.first_name != n.as_str(), json!(n));
        p.first_name = n.as_str().to_owned();
    }
    if let Some(e) = &fix.email {
        let e = e.as_ref().map(|e| e.as_str().to_owned());
        set("email", p.email != e, json!(e));
        p.email = e;
    }
    if let Some(ph) = &fix.phone {
        let ph = ph.as_ref().map(|p| p.as_str().to_owned());
        set("phone", p.phone != ph, json!(ph));
        p.phone = ph;
    }
    if let Some(a) = &fix.address {
        set("address", &p.address != a, json!(a));
        p.address = a.clone();
    }
    if let Some(h) = &fix.household {
        set("household", &p.household != h, json!(h));
        p.household = h.clone();
    }
    changed
}

/// The line the national system reads: who (by NIR, as in every exchange file), what.
fn line_of(p: &Profile, changed: &Map<String, Value>, caisse: &str) -> Result<Vec<u8>, ApiError> {
    let line = json!({
        "nir": p.nir,
        "caisse": caisse,
        "changes": changed,
        "rectified_at": format_instant(OffsetDateTime::now_utc()),
    });
    let mut bytes = serde_json::to_vec(&line).map_err(ApiError::internal)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The open renewal follows the profile (names, the household it offers).
async fn rectify_open_renewal(app: &App, p: &Profile, fix: &Rectification) -> Result<(), ApiError> {
    let Some(id) = app.beneficiaries.open_renewal(&p.nir_hash).await? else {
        return Ok(());
    };
    for attempt in 0..5 {
        let Some((mut r, _)) = app.renewals.load(&id).await? else {
            return Ok(());
        };
        if !fix.apply_to(&mut r) {
            return Ok(());
        }
        match app.renewals.save(&mut r).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict) if attempt < 4 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
