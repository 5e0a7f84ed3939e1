//! The caisse's queue of files, oldest deadline first.

use crate::views::summary;
use crate::{agent, App};
use c2s_api::{json, query, ApiError, PAGE};
use c2s_domain::renewal::Status;
use c2s_domain::FieldError;
use c2s_platform::agents::Role;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Handles `GET /api/agent/renewals`.
pub(crate) async fn queue(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let params = query(req);
    let status = match params.get("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "status",
                "invalid_enum",
                "Ce statut n'existe pas.",
            )])
        })?),
    };
    let page = app
        .renewals
        .queue(
            &claims.caisse,
            status,
            params.get("cursor").map(String::as_str),
            PAGE,
        )
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": page.items.iter().map(summary).collect::<Vec<_>>(), "next_cursor": page.next}),
    ))
}
