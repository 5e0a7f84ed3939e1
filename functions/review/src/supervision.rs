//! The superviseur's audit trail of a file or of a partner organisation, and the DPO's
//! data-subject access.

use crate::audited::own_file;
use crate::{agent, App};
use c2s_api::views::document_view;
use c2s_api::{json, json_body, query, ApiError};
use c2s_domain::dates::{format_date, format_instant};
use c2s_domain::{FieldError, Nir};
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::audit::{Action, AuditEntry};
use c2s_platform::beneficiaries::Profile;
use c2s_platform::renewals::RenewalRecord;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

/// Handles `GET /api/agent/audit`: a file's trail (`renewal_id`), or what the caisse's agents
/// did about a partner organisation (`partner_id`).
pub(crate) async fn audit(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Superviseur]).await?;
    let params = query(req);
    // Blank is missing: an empty key never reaches the table.
    let present = |k: &str| params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    if let (None, Some(partner_id)) = (present("renewal_id"), present("partner_id")) {
        return partner_trail(app, &claims, partner_id).await;
    }
    let Some(renewal_id) = present("renewal_id") else {
        return Err(ApiError::invalid(vec![FieldError::required("renewal_id")]));
    };
    let (r, _) = own_file(app, &claims, renewal_id).await?;
    let items = trail(&app.audit.for_renewal(&r.id).await?, &claims);
    Ok(json(
        StatusCode::OK,
        &json!({"renewal_id": r.id, "items": items}),
    ))
}

/// The entries of the agent's own caisse, in the chain's order.
fn trail(entries: &[AuditEntry], claims: &AgentClaims) -> Vec<Value> {
    entries
        .iter()
        .filter(|e| e.caisse == claims.caisse)
        .map(|e| json!({"agent_id": e.agent_id, "agent_name": e.agent_name, "action": e.action, "at": c2s_domain::dates::format_instant(e.at), "target": e.target, "seq": e.seq}))
        .collect()
}

/// The caisse's own entries about a partner organisation, in the chain's order. The
/// identifier is checked before any lookup: partners' ids are short.
async fn partner_trail(
    app: &App,
    claims: &AgentClaims,
    partner_id: &str,
) -> Result<Response<Body>, ApiError> {
    if partner_id.is_empty() || partner_id.len() > 64 {
        return Err(ApiError::invalid(vec![FieldError::new(
            "partner_id",
            "invalid_partner_id",
            "L'identifiant de l'organisme est vide ou trop long.",
        )]));
    }
    let items = trail(&app.audit.for_partner(partner_id).await?, claims);
    Ok(json(
        StatusCode::OK,
        &json!({"partner_id": partner_id, "items": items}),
    ))
}

/// Handles `POST /api/agent/rgpd/access`.
pub(crate) async fn access(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Dpo]).await?;
    let body = json_body(req)?;
    let nir = body
        .get("nir")
        .and_then(Value::as_str)
        .and_then(|n| Nir::parse(n).ok())
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "nir",
                "invalid_nir",
                "Le NIR est mal formé.",
            )])
        })?;
    let subject = app.hasher.nir(&nir);
    let profile = match app.beneficiaries.profile(&subject).await? {
        Some(p) if p.caisse == claims.caisse => p,
        _ => return Err(ApiError::not_found()),
    };
    let entry = app
        .audit
        .append(&Action {
            caisse: &claims.caisse,
            agent_id: &claims.sub,
            agent_name: &claims.name,
            action: "rgpd_access",
            target: "beneficiary",
            renewal_id: None,
            subject: Some(&subject),
            partner_id: None,
        })
        .await?;
    let mut renewals = Vec::new();
    for id in app.renewals.ids_for(&subject).await? {
        if let Some((r, docs)) = app.renewals.load(&id).await? {
            let notes = app.renewals.notes(&id).await?;
            renewals.push(json!({
                "renewal": renewal_held(&r),
                "documents": docs.iter().map(document_view).collect::<Vec<_>>(),
                "notes": notes.iter().map(|n| json!({"text": n.text, "agent_id": n.agent_id, "at": c2s_domain::dates::format_instant(n.at)})).collect::<Vec<_>>(),
            }));
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
    Ok(json(
        StatusCode::OK,
        &json!({"generated_at": c2s_domain::dates::format_instant(entry.at), "beneficiary": profile_held(&profile), "renewals": renewals, "audit": trail}),
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
