//! The right to restriction of processing (RGPD art. 18): the person's data are kept but
//! not processed until lifted. The flag lives in the person's `choices` item (the
//! reminders read it) and on each of their renewals (the queue's page and the export read
//! it there, with no extra read); retention runs as before.

use super::{beneficiary_action, current_request, dpo, record, request_view, subject_of};
use crate::records::App;
use crate::views::summary;
use c2s_api::{json, json_body, ApiError};
use c2s_domain::rgpd::{required_text, RequestKind, RequestStatus};
use c2s_platform::audit::Action;
use c2s_platform::beneficiaries::Profile;
use c2s_platform::store::StoreError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Handles `POST /api/agent/rgpd/restrict`.
pub(crate) async fn restrict(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = dpo(app, req).await?;
    let body = json_body(req)?;
    let reason = required_text(&body, "reason").map_err(|e| ApiError::invalid(vec![e]))?;
    let profile = subject_of(app, &claims, &body).await?;
    let renewals = set_restricted(app, &profile, true).await?;
    let mut entry =
        current_request(app, &claims, RequestKind::Restriction, &profile.nir_hash).await?;
    entry.reason = Some(reason);
    record(app, &claims, "rgpd_restrict", &mut entry).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"restricted": true, "renewals": renewals, "request": request_view(&entry)}),
    ))
}

/// Handles `POST /api/agent/rgpd/restrict/lift`.
pub(crate) async fn lift(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = dpo(app, req).await?;
    let body = json_body(req)?;
    let profile = subject_of(app, &claims, &body).await?;
    let renewals = set_restricted(app, &profile, false).await?;
    let mut entry =
        current_request(app, &claims, RequestKind::Restriction, &profile.nir_hash).await?;
    entry.status = RequestStatus::Lifted;
    record(app, &claims, "rgpd_restrict_lift", &mut entry).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"restricted": false, "renewals": renewals, "request": request_view(&entry)}),
    ))
}

/// Handles `GET /api/agent/rgpd/restricted`: the files kept out of the queues, for the DPO.
pub(crate) async fn restricted(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = dpo(app, req).await?;
    let mut items = Vec::new();
    for entry in app.registers.requests(&claims.caisse).await? {
        if entry.kind != RequestKind::Restriction || entry.status != RequestStatus::InEffect {
            continue;
        }
        for id in app.renewals.ids_for(&entry.subject).await? {
            if let Some((r, _)) = app.renewals.load(&id).await? {
                if r.restricted && r.caisse == claims.caisse {
                    let mut view = summary(&r);
                    view["request_id"] = json!(entry.id);
                    items.push(view);
                }
            }
        }
    }
    app.audit
        .append(&Action {
            target: "rgpd_restricted",
            subject: None,
            ..beneficiary_action(&claims, "rgpd_restricted_list", "")
        })
        .await?;
    Ok(json(StatusCode::OK, &json!({"items": items})))
}

/// Flags (or unflags) the person and each of their renewals; how many renewals changed.
async fn set_restricted(app: &App, profile: &Profile, on: bool) -> Result<u64, ApiError> {
    let mut choices = app.beneficiaries.choices(&profile.nir_hash).await?;
    if choices.restricted != on {
        choices.restricted = on;
        app.beneficiaries.set_choices(profile, &choices).await?;
    }
    let mut changed = 0;
    for id in app.renewals.ids_for(&profile.nir_hash).await? {
        // A renewal changed meanwhile is read again: the flag must reach every one.
        for attempt in 0..5 {
            let Some((mut r, _)) = app.renewals.load(&id).await? else {
                break;
            };
            if r.restricted == on {
                break;
            }
            r.restricted = on;
            match app.renewals.save(&mut r).await {
                Ok(()) => {
                    changed += 1;
                    break;
                }
                Err(StoreError::Conflict) if attempt < 4 => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(changed)
}
