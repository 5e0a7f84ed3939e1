//! The caisse's queue of files, oldest deadline first.

use crate::views::summary;
use crate::{agent, App};
use c2s_api::{json, query, ApiError, PAGE};
use c2s_domain::renewal::Status;
use c2s_domain::FieldError;
use c2s_platform::agents::Role;
use c2s_platform::threads::ThreadKey;
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
    // Which files hold a message the agents have not read: one batch read for the page.
    let keys: Vec<ThreadKey> = page
        .items
        .iter()
        .map(|r| ThreadKey::Renewal(r.id.clone()))
        .collect();
    let unread = app.threads.unread_by_agents(&keys).await?;
    let items: Vec<_> = page
        .items
        .iter()
        .zip(&keys)
        .map(|(r, k)| {
            let mut v = summary(r);
            v["unread_messages"] = json!(unread.contains(k));
            v
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": page.next}),
    ))
}
