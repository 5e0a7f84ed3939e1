//! The right of access (RGPD art. 15): everything held on the person, tables and
//! documents, as JSON or as a ZIP of the JSON and the documents' contents (`archive`).

use super::{archive, dpo, new_request, record, subject_of};
use crate::records::App;
use c2s_api::views::document_view;
use c2s_api::{json, json_body, ApiError};
use c2s_domain::dates::{format_date, format_instant};
use c2s_domain::rgpd::{RequestKind, RequestStatus};
use c2s_domain::FieldError;
use c2s_platform::beneficiaries::Profile;
use c2s_platform::renewals::RenewalRecord;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

/// Handles `POST /api/agent/rgpd/access`: `format` `json` (the default) answers the export;
/// `zip` answers a short-lived link to an archive of the export and the documents' contents.
pub(crate) async fn access(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = dpo(app, req).await?;
    let body = json_body(req)?;
    let zip = match body.get("format").and_then(Value::as_str) {
        None | Some("json") if body.get("format").is_none_or(|f| f.is_string()) => false,
        Some("zip") => true,
        _ => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "format",
                "invalid_enum",
                "Le format doit être json ou zip.",
            )]))
        }
    };
    let profile = subject_of(app, &claims, &body).await?;
    let subject = profile.nir_hash.clone();
    let mut request = new_request(&claims, RequestKind::Access, &subject, RequestStatus::Done);
    let action = if zip {
        "rgpd_access_zip"
    } else {
        "rgpd_access"
    };
    let entry = record(app, &claims, action, &mut request).await?;
    let mut renewals = Vec::new();
    let mut held_documents = Vec::new();
    for id in app.renewals.ids_for(&subject).await? {
        if let Some((r, docs)) = app.renewals.load(&id).await? {
            let notes = app.renewals.notes(&id).await?;
            renewals.push(json!({
                "renewal": renewal_held(&r),
                "documents": docs.iter().map(document_view).collect::<Vec<_>>(),
                "notes": notes.iter().map(|n| json!({"text": n.text, "agent_id": n.agent_id, "at": c2s_domain::dates::format_instant(n.at)})).collect::<Vec<_>>(),
            }));
            held_documents.extend(docs);
        }
    }
    let trail: Vec<Value> = app
        .audit
        .for_subject(&subject)
        .await
        ?
        .iter()
        .map(|e| json!({"agent_id": e.agent_id, "agent_name": e.agent_name, "action": e.action, "at": c2s_domain::dates::format_instant(e.at), "target": e.target}))
        .collect();
    let export = json!({"generated_at": c2s_domain::dates::format_instant(entry.at), "beneficiary": profile_held(&profile), "renewals": renewals, "audit": trail});
    if !zip {
        return Ok(json(StatusCode::OK, &export));
    }
    let link = archive::publish(app, &export, &held_documents).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"download_url": link.url, "expires_at": format_instant(link.expires_at)}),
    ))
}

// What the export shows is listed field by field, never the record as stored: keyed hashes
// (of the NIR, of the letter's secrets), keys and the attributes only indexes or the export
// read are ours, not the person's data, and a field added to a record stays out until listed.

/// The person as the national file sent them.
fn profile_held(p: &Profile) -> Value {
    json!({
        "nir": p.nir,
        "birth_date": format_date(p.birth_date),
        "last_name": p.last_name,
        "first_name": p.first_name,
        "email": p.email,
        "phone": p.phone,
        "address": p.address,
        "territory": p.territory,
        "caisse": p.caisse,
        "css_end_date": format_date(p.css_end_date),
        "household": p.household,
        "guardian_partner_id": p.guardian_partner_id,
    })
}

/// A renewal: its form, status, history, receipt, instruction and decision.
fn renewal_held(r: &RenewalRecord) -> Value {
    json!({
        "id": r.id,
        "caisse": r.caisse,
        "status": r.status,
        "created_at": format_instant(r.created_at),
        "updated_at": format_instant(r.updated_at),
        "request_day": format_date(r.request_day),
        "css_end_date": format_date(r.css_end_date),
        "form": r.form,
        "suggested_household": r.suggested_household,
        "applicant": r.applicant,
        "territory": r.territory,
        "history": r.history,
        "receipt": r.receipt,
        "complete_on": r.complete_on.map(format_date),
        "deadline": r.deadline.map(format_date),
        "assigned_to": r.assigned_to,
        "requested_documents": r.requested_documents,
        "requested_message": r.requested_message,
        "decision": r.decision,
        "filed_by": r.filed_by,
        "integration_rejection": r.integration_rejection,
        "near_deadline": r.near_deadline,
        "accepted_by_silence": r.accepted_by_silence,
        "details_purged": r.details_purged,
    })
}
