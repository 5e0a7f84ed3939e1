//! The whole file, and its documents, each opening audited. The DPO reads a file whose
//! person limited its processing (and only such a file), which no other agent opens.

use crate::audited::{action, open_file};
use crate::views::{download_link, file_view};
use crate::{agent, App};
use c2s_api::{json, ApiError, Code};
use c2s_domain::dates::format_instant;
use c2s_domain::rgpd::FileUse;
use c2s_platform::agents::Role;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Handles `GET /api/agent/renewals/{id}`.
pub(crate) async fn file(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur, Role::Dpo]).await?;
    let (r, docs) = open_file(app, &claims, id, FileUse::Read).await?;
    app.audit
        .append(&action(&claims, "read_file", &r.id, Some(&r)))
        .await?;
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
}

/// Handles `GET /api/agent/renewals/{id}/documents/{doc}/download`.
pub(crate) async fn download(
    app: &App,
    req: &Request,
    id: &str,
    doc: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur, Role::Dpo]).await?;
    let (r, docs) = open_file(app, &claims, id, FileUse::Read).await?;
    let d = docs
        .iter()
        .find(|d| d.document_id == doc)
        .ok_or_else(ApiError::not_found)?;
    // Only the version that was checked is ever handed out.
    let Some(url) = download_link(app, d).await? else {
        return Err(ApiError::from(Code::DocumentNotAvailable));
    };
    app.audit
        .append(&action(
            &claims,
            "download_document",
            &d.document_id,
            Some(&r),
        ))
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!({"download_url": url.url, "expires_at": format_instant(url.expires_at)}),
    ))
}
