//! The right to erasure (RGPD art. 17): what no rule requires keeping goes now (a draft
//! never submitted, its documents and their objects); the answer says what went, and what
//! is kept, until when and why (`c2s_domain::rgpd::erasure`).

use super::{dpo, new_request, record, request_view, subject_of};
use crate::records::App;
use c2s_api::{json, json_body, ApiError};
use c2s_domain::dates::format_date;
use c2s_domain::rgpd::erasure::{
    erasable, kept_identification, kept_of_renewal, kept_register, kept_traces,
};
use c2s_domain::rgpd::{required_text, RequestKind, RequestStatus};
use c2s_platform::clock::today;
use c2s_platform::renewals::{object_prefix, RenewalRecord};
use c2s_platform::store::StoreError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Handles `POST /api/agent/rgpd/erase`.
pub(crate) async fn erase(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = dpo(app, req).await?;
    let body = json_body(req)?;
    let reason = required_text(&body, "reason").map_err(|e| ApiError::invalid(vec![e]))?;
    let profile = subject_of(app, &claims, &body).await?;
    let subject = profile.nir_hash.clone();
    let mut erased = Vec::new();
    let mut kept = vec![kept_identification(profile.css_end_date)];
    for id in app.renewals.ids_for(&subject).await? {
        let Some((r, docs)) = app.renewals.load(&id).await? else {
            continue;
        };
        if erasable(&r) {
            delete_draft(app, &r).await?;
            erased.push(format!(
                "Brouillon de renouvellement commencé le {} et jamais déposé, avec ses {} justificatif(s)",
                format_date(r.created_at.date()),
                docs.len()
            ));
        } else {
            kept.extend(kept_of_renewal(&r));
        }
    }
    let mut request = new_request(&claims, RequestKind::Erasure, &subject, RequestStatus::Done);
    request.reason = Some(reason);
    let entry = record(app, &claims, "rgpd_erase", &mut request).await?;
    // The traces are kept a year after each: the last, this one, says until when.
    let last = time::OffsetDateTime::from_unix_timestamp(entry.expires_at)
        .map(|t| t.date())
        .unwrap_or_else(|_| today());
    kept.push(kept_traces(last));
    kept.push(kept_register(today()));
    Ok(json(
        StatusCode::OK,
        &json!({"erased": erased, "kept": kept, "request": request_view(&request)}),
    ))
}

/// Deletes a draft as the purge does, in the same order (records, objects, then the renewal
/// with the person's slot), so that one stopped half-way is finished by asking again.
async fn delete_draft(app: &App, r: &RenewalRecord) -> Result<(), ApiError> {
    app.renewals.delete_all_but_renewal(&r.id).await?;
    app.objects
        .delete_all_versions(&app.bucket, &object_prefix(&r.id))
        .await?;
    let holds_slot = app
        .beneficiaries
        .open_renewal(&r.nir_hash)
        .await?
        .as_deref()
        == Some(r.id.as_str());
    match app.renewals.delete(r, holds_slot).await {
        Ok(()) => Ok(()),
        // Changed since read (the person is editing it): asked again, it is read again.
        Err(StoreError::Conflict) => Err(crate::audited::version_conflict()),
        Err(e) => Err(e.into()),
    }
}
