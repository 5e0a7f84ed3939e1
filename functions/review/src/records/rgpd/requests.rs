//! The register of data-subject requests (RGPD art. 12.3 and 30): every request with its
//! due date and status, oldest first.

use super::{beneficiary_action, dpo, request_view};
use crate::records::App;
use c2s_api::{json, ApiError};
use c2s_platform::audit::Action;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Handles `GET /api/agent/rgpd/requests`.
pub(crate) async fn requests(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = dpo(app, req).await?;
    let items = app.registers.requests(&claims.caisse).await?;
    app.audit
        .append(&Action {
            target: "rgpd_register",
            subject: None,
            ..beneficiary_action(&claims, "rgpd_register", "")
        })
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": items.iter().map(request_view).collect::<Vec<_>>()}),
    ))
}
