//! The superviseur's audit trail of a file, and the DPO's data-subject access.

use crate::audited::own_file;
use crate::{agent, App};
use c2s_api::views::document_view;
use c2s_api::{json, json_body, query, ApiError};
use c2s_domain::{FieldError, Nir};
use c2s_platform::agents::Role;
use c2s_platform::audit::Action;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

/// Handles `GET /api/agent/audit`.
pub(crate) async fn audit(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Superviseur]).await?;
    let params = query(req);
    // Blank is missing: an empty key never reaches the table.
    let Some(renewal_id) = params
        .get("renewal_id")
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
    else {
        return Err(ApiError::invalid(vec![FieldError::required("renewal_id")]));
    };
    let (r, _) = own_file(app, &claims, renewal_id).await?;
    let entries = app.audit.for_renewal(&r.id).await?;
    let items: Vec<Value> = entries
        .iter()
        .filter(|e| e.caisse == claims.caisse)
        .map(|e| json!({"agent_id": e.agent_id, "agent_name": e.agent_name, "action": e.action, "at": c2s_domain::dates::format_instant(e.at), "target": e.target, "seq": e.seq}))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({"renewal_id": r.id, "items": items}),
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
        })
        .await?;
    let mut renewals = Vec::new();
    for id in app.renewals.ids_for(&subject).await? {
        if let Some((r, docs)) = app.renewals.load(&id).await? {
            let notes = app.renewals.notes(&id).await?;
            renewals.push(json!({
                "renewal": r,
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
    let mut beneficiary = serde_json::to_value(&profile).unwrap_or(Value::Null);
    if let Some(b) = beneficiary.as_object_mut() {
        // Keyed hashes are ours, not the person's data.
        for k in [
            "nir_hash",
            "renewal_code_hash",
            "iban_last4_hash",
            "vitale_serial_hash",
        ] {
            b.remove(k);
        }
    }
    Ok(json(
        StatusCode::OK,
        &json!({"generated_at": c2s_domain::dates::format_instant(entry.at), "beneficiary": beneficiary, "renewals": renewals, "audit": trail}),
    ))
}
