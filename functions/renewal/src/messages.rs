//! The renewal's conversation with the caisse, as the beneficiary or the partner acting for
//! them reads and writes it (who reads what: `c2s_domain::thread`).

use crate::{guardian, own, App};
use c2s_api::access::Viewer;
use c2s_api::messages::{check_attachments, refusal};
use c2s_api::views::{posted_view, thread_view};
use c2s_api::{callers, json, json_body, ApiError};
use c2s_domain::thread::{AuthorKind, MessageBody, Reader};
use c2s_platform::renewals::RenewalRecord;
use c2s_platform::threads::{message_id, ThreadKey};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use time::OffsetDateTime;

async fn reader(app: &App, r: &RenewalRecord, viewer: &Viewer) -> Result<Reader, ApiError> {
    Ok(match viewer {
        Viewer::Beneficiary { level } => Reader::Beneficiary { level: *level },
        Viewer::Partner { partner_id } => Reader::Partner {
            partner_id: partner_id.clone(),
            guardian: guardian(app, r, partner_id).await?,
        },
    })
}

/// Handles `GET /api/renewals/{id}/messages`.
pub(crate) async fn messages(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let (r, _, viewer) = own(app, &claims, id).await?;
    let thread = app
        .threads
        .thread(&ThreadKey::Renewal(r.id.clone()))
        .await?;
    let reader = reader(app, &r, &viewer).await?;
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
    let thread = app.threads.thread(&key).await?;
    let reader = reader(app, &r, &viewer).await?;
    Ok(json(
        StatusCode::CREATED,
        &posted_view(&message, &thread.messages, &reader),
    ))
}
