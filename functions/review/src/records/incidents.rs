//! Data breaches (RGPD art. 33): any agent declares one; the DPO is alerted at once (outbox
//! kind `incident`) and reads the register with each deadline (48 hours for a partner to
//! tell the caisse, per the convention; 72 hours for the caisse to notify the CNIL).

use crate::records::{agent, App};
use c2s_api::{json, json_body, ApiError};
use c2s_domain::dates::format_instant;
use c2s_domain::rgpd::parse_incident;
use c2s_platform::agents::Role;
use c2s_platform::audit::{Action, AuditStore};
use c2s_platform::registers::IncidentEntry;
use c2s_platform::store::StoreError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

const EVERY_ROLE: &[Role] = &[
    Role::Instructeur,
    Role::Superviseur,
    Role::AdminPartenaires,
    Role::Dpo,
];

/// Handles `POST /api/agent/incidents`.
pub(crate) async fn declare(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, EVERY_ROLE).await?;
    let body = json_body(req)?;
    let now = OffsetDateTime::now_utc();
    let (description, detected_at) = parse_incident(&body, now).map_err(ApiError::invalid)?;
    let id = uuid::Uuid::new_v4().to_string();
    let entry = IncidentEntry::declared(
        &id,
        &claims.caisse,
        &description,
        detected_at,
        "agent",
        &claims.sub,
    );
    let mut written = false;
    for _ in 0..5 {
        let head = app.audit.head(&claims.caisse).await?;
        let action = Action {
            caisse: &claims.caisse,
            agent_id: &claims.sub,
            agent_name: &claims.name,
            action: "incident_declared",
            target: &entry.id,
            renewal_id: None,
            subject: None,
            partner_id: None,
        };
        let audit = AuditStore::next(&head, &action, now);
        match app
            .registers
            .put_incident(&entry, vec![app.audit.put(&audit)?])
            .await
        {
            Ok(()) => {
                written = true;
                break;
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    if !written {
        return Err(crate::audited::version_conflict());
    }
    app.outbox
        .send(&entry.alert(&app.public_url, &app.dpo_email))
        .await?;
    tracing::info!("incident declared");
    Ok(json(
        StatusCode::CREATED,
        &json!({"id": entry.id, "notify_caisse_by": format_instant(entry.notify_caisse_by), "notify_cnil_by": format_instant(entry.notify_cnil_by)}),
    ))
}

/// Handles `GET /api/agent/incidents`: the caisse's register of breaches, latest first.
pub(crate) async fn incidents(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Dpo]).await?;
    let items: Vec<Value> = app
        .registers
        .incidents(&claims.caisse)
        .await?
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "description": e.description,
                "detected_at": format_instant(e.detected_at),
                "declared_at": format_instant(e.declared_at),
                "declared_by_kind": e.declared_by_kind,
                "notify_caisse_by": format_instant(e.notify_caisse_by),
                "notify_cnil_by": format_instant(e.notify_cnil_by),
            })
        })
        .collect();
    app.audit
        .append(&Action {
            caisse: &claims.caisse,
            agent_id: &claims.sub,
            agent_name: &claims.name,
            action: "incidents_register",
            target: "incidents",
            renewal_id: None,
            subject: None,
            partner_id: None,
        })
        .await?;
    Ok(json(StatusCode::OK, &json!({"items": items})))
}
