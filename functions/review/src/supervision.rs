//! The superviseur's audit trail of a file or of a partner organisation.

use crate::audited::own_file;
use crate::{agent, App};
use c2s_api::{json, query, ApiError};
use c2s_domain::FieldError;
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::audit::AuditEntry;
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
    // Even while the person's processing is limited: the trail is the agents' traces, which
    // is how the superviseur sees that no one processed it.
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
