//! The DPO's handling of data-subject rights, one module per right. Each call names the
//! person by their NIR in the body (never the URL), is answered for the DPO's own caisse
//! only, and creates or updates an entry of the register (`requests`) in the same
//! transaction as its audit entry (target `beneficiary`: never the NIR).

pub(crate) mod access;
pub(crate) mod archive;
pub(crate) mod erasure;

pub(crate) mod opposition;
pub(crate) mod rectification;
pub(crate) mod requests;
pub(crate) mod restriction;

use crate::audited::version_conflict;
use crate::records::{agent, App};
use c2s_api::ApiError;
use c2s_domain::rgpd::{due_on, RequestKind, RequestStatus};
use c2s_domain::{FieldError, Nir};
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::audit::{Action, AuditEntry, AuditStore};
use c2s_platform::beneficiaries::Profile;
use c2s_platform::clock::today;
use c2s_platform::registers::RequestEntry;
use c2s_platform::store::StoreError;
use lambda_http::Request;
use serde_json::{json, Value};
use time::OffsetDateTime;

/// The DPO behind the token.
pub(crate) async fn dpo(app: &App, req: &Request) -> Result<AgentClaims, ApiError> {
    agent(app, req, &[Role::Dpo]).await
}

/// The body's `nir`, well formed.
pub(crate) fn nir_of(body: &Value) -> Result<Nir, ApiError> {
    body.get("nir")
        .and_then(Value::as_str)
        .and_then(|n| Nir::parse(n).ok())
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "nir",
                "invalid_nir",
                "Le NIR est mal formé.",
            )])
        })
}

/// The person of the body's NIR, if on file with the DPO's caisse; anyone else is a 404, as
/// if they did not exist.
pub(crate) async fn subject_of(
    app: &App,
    claims: &AgentClaims,
    body: &Value,
) -> Result<Profile, ApiError> {
    let nir = nir_of(body)?;
    match app.beneficiaries.profile(&app.hasher.nir(&nir)).await? {
        Some(p) if p.caisse == claims.caisse => Ok(p),
        _ => Err(ApiError::not_found()),
    }
}

/// A new request of `kind` about `subject`, received today.
pub(crate) fn new_request(
    claims: &AgentClaims,
    kind: RequestKind,
    subject: &str,
    status: RequestStatus,
) -> RequestEntry {
    let received_on = today();
    RequestEntry {
        id: uuid::Uuid::new_v4().to_string(),
        caisse: claims.caisse.clone(),
        kind,
        subject: subject.to_owned(),
        received_on,
        due_on: due_on(received_on),
        status,
        reason: None,
        file: None,
        fingerprint: None,
        created_at: OffsetDateTime::now_utc(),
        agent_id: claims.sub.clone(),
        updated_at: OffsetDateTime::now_utc(),
    }
}

/// The request in effect of `kind` about the person, to update, or a new one.
pub(crate) async fn current_request(
    app: &App,
    claims: &AgentClaims,
    kind: RequestKind,
    subject: &str,
) -> Result<RequestEntry, ApiError> {
    let open = app
        .registers
        .in_effect(&claims.caisse, subject, kind)
        .await?;
    Ok(open
        .into_iter()
        .next()
        .unwrap_or_else(|| new_request(claims, kind, subject, RequestStatus::InEffect)))
}

/// Writes the register's entry with the audit entry of `action` in one transaction, tried
/// again from the chain's new head when another entry took its place.
pub(crate) async fn record(
    app: &App,
    claims: &AgentClaims,
    action: &str,
    entry: &mut RequestEntry,
) -> Result<AuditEntry, ApiError> {
    for _ in 0..5 {
        let head = app.audit.head(&claims.caisse).await?;
        let now = OffsetDateTime::now_utc();
        entry.updated_at = now;
        entry.agent_id.clone_from(&claims.sub);
        let audit = AuditStore::next(
            &head,
            &beneficiary_action(claims, action, &entry.subject),
            now,
        );
        match app
            .registers
            .put_request(entry, vec![app.audit.put(&audit)?])
            .await
        {
            Ok(()) => {
                tracing::info!(action, "dpo action");
                return Ok(audit);
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(version_conflict())
}

/// An action about a person: the audit names them by the keyed hash of their NIR.
pub(crate) fn beneficiary_action<'a>(
    claims: &'a AgentClaims,
    action: &'a str,
    subject: &'a str,
) -> Action<'a> {
    Action {
        caisse: &claims.caisse,
        agent_id: &claims.sub,
        agent_name: &claims.name,
        action,
        target: "beneficiary",
        renewal_id: None,
        subject: Some(subject),
        partner_id: None,
    }
}

/// A register entry as the DPO reads it: never the person's hash.
pub(crate) fn request_view(e: &RequestEntry) -> Value {
    json!({
        "id": e.id,
        "kind": e.kind,
        "received_on": c2s_domain::dates::format_date(e.received_on),
        "due_on": c2s_domain::dates::format_date(e.due_on),
        "status": e.status,
    })
}
