//! A data breach a partner declares (the convention: within 48 hours of its detection): in
//! the register of each caisse it works with, their DPO alerted at once.

use crate::callers::{partner, Gate};
use crate::App;
use c2s_api::{json, json_body, ApiError};
use c2s_domain::dates::format_instant;
use c2s_domain::partner::active_caisses;
use c2s_domain::rgpd::parse_incident;
use c2s_platform::clock::today;
use c2s_platform::registers::IncidentEntry;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Handles `POST /api/partner/incidents`: any account, whatever its duties pending (a breach
/// is told at once).
pub(crate) async fn declare(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, Gate::Skip).await?;
    let body = json_body(req)?;
    let (description, detected_at) =
        parse_incident(&body, time::OffsetDateTime::now_utc()).map_err(ApiError::invalid)?;
    // The caisses it works with today; without one in force, every caisse it had.
    let mut caisses = active_caisses(&c.org.conventions, today());
    if caisses.is_empty() {
        caisses = c.org.conventions.iter().map(|k| k.caisse.clone()).collect();
        caisses.sort();
        caisses.dedup();
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut first = None;
    for caisse in &caisses {
        let entry = IncidentEntry::declared(
            &id,
            caisse,
            &description,
            detected_at,
            "partner",
            &c.org.partner_id,
        );
        app.registers.put_incident(&entry, Vec::new()).await?;
        app.outbox
            .send(&entry.alert(&app.public_url, &app.dpo_email))
            .await?;
        first.get_or_insert(entry);
    }
    let Some(entry) = first else {
        return Err(ApiError::forbidden());
    };
    tracing::info!(caisses = caisses.len(), "incident declared by a partner");
    Ok(json(
        StatusCode::CREATED,
        &json!({"id": entry.id, "notify_caisse_by": format_instant(entry.notify_caisse_by), "notify_cnil_by": format_instant(entry.notify_cnil_by)}),
    ))
}
