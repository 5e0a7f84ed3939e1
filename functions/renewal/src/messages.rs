//! The renewal's conversation with the caisse, as the beneficiary or the partner acting for
//! them reads and writes it (who reads what: `c2s_domain::thread`). Reading it marks what the
//! reader could read as read, for `unread_messages`.

use crate::{own, sight, App};
use c2s_api::access::Viewer;
use c2s_api::messages::{check_attachments, refusal};
use c2s_api::views::{posted_view, thread_view};
use c2s_api::{callers, json, json_body, ApiError};
use c2s_domain::thread::{AuthorKind, MessageBody};
use c2s_platform::threads::{message_id, ThreadKey};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use time::OffsetDateTime;

/// Handles `GET /api/renewals/{id}/messages`.
pub(crate) async fn messages(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let (r, _, viewer) = own(app, &claims, id).await?;
    let (_, reader) = sight(app, &r, &viewer).await?;
    let thread = app
        .threads
        .read_by(&ThreadKey::Renewal(r.id.clone()), &reader)
        .await?;
    Ok(json(
        StatusCode::OK,
        &thread_view(&thread.messages, &reader),
    ))
}

/// Handles `POST /api/renewals/{id}/messages`.
pub(crate) async fn post_message(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let body = json_body(req)?;
    let (r, docs, viewer) = own(app, &claims, id).await?;
    let (kind, author) = match &viewer {
        Viewer::Beneficiary { .. } => (AuthorKind::Beneficiary, ""),
        Viewer::Partner { partner_id } => (AuthorKind::Partner, partner_id.as_str()),
    };
    let parsed = MessageBody::parse(&body, kind).map_err(refusal)?;
    check_attachments(
        &parsed.attachments,
        docs.iter().map(|d| d.document_id.as_str()),
    )?;
    let message = parsed.into_message(message_id(), kind, author, OffsetDateTime::now_utc());
    let key = ThreadKey::Renewal(r.id.clone());
    app.threads.post(&key, &message).await?;
    tracing::info!(outcome = "message_posted", "renewal message");
    // The answer holds the thread: what it shows is read.
    let (_, reader) = sight(app, &r, &viewer).await?;
    let thread = app.threads.read_by(&key, &reader).await?;
    Ok(json(
        StatusCode::CREATED,
        &posted_view(&message, &thread.messages, &reader),
    ))
}
