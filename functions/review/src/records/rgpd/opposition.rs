//! The right to object (RGPD art. 21) to what the service does by choice: the reminders.
//! What the law requires (instruction, the decision and its notice, the exchange with the
//! national system) goes on.

use super::{current_request, dpo, record, request_view, subject_of};
use crate::records::App;
use c2s_api::{json, json_body, ApiError};
use c2s_domain::rgpd::{OppositionScope, RequestKind};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Handles `POST /api/agent/rgpd/oppose`.
pub(crate) async fn oppose(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = dpo(app, req).await?;
    let body = json_body(req)?;
    let scope = OppositionScope::parse(&body).map_err(|e| ApiError::invalid(vec![e]))?;
    let profile = subject_of(app, &claims, &body).await?;
    let OppositionScope::Reminders = scope;
    let mut choices = app.beneficiaries.choices(&profile.nir_hash).await?;
    if !choices.opposed_reminders {
        choices.opposed_reminders = true;
        app.beneficiaries.set_choices(&profile, &choices).await?;
    }
    let mut entry =
        current_request(app, &claims, RequestKind::Opposition, &profile.nir_hash).await?;
    record(app, &claims, "rgpd_oppose", &mut entry).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"scope": scope, "opposed": true, "request": request_view(&entry)}),
    ))
}
