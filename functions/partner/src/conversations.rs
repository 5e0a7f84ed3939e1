//! The conversation on a partner request or signalement: the organisation and the caisse's
//! agents write to each other, both ways (`c2s_domain::thread`, the same model as a
//! renewal's). Each agent's message is written with its audit entry in one transaction and
//! tells the technicien who sent the request; an agent reading the thread marks it read for
//! the caisse's list, the organisation reading it for its own (`unread_messages`).

use crate::attachments::attachments_of;
use crate::audited::{commit, read, written, Trace};
use crate::callers::{caisse_agent, partner, Gate};
use crate::notices::tell_technicien;
use crate::reports::own_request;
use crate::App;
use c2s_api::messages::{agent_message, check_attachments, refusal};
use c2s_api::views::{agent_posted_view, posted_view, thread_view};
use c2s_api::{json, json_body, ApiError};
use c2s_domain::notice::Notice;
use c2s_domain::thread::{AuthorKind, MessageBody, Reader};
use c2s_platform::partners::RequestRecord;
use c2s_platform::threads::{message_id, ThreadKey};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use time::OffsetDateTime;

pub(crate) fn thread_key(r: &RequestRecord) -> ThreadKey {
    ThreadKey::Request {
        partner_id: r.partner_id.clone(),
        request_id: r.request_id.clone(),
    }
}

/// The documents a message on this request may attach: the request's own attachments
/// (`POST …/attachments`, kept under `request_owner`), whatever their check says, as a
/// renewal's thread may name any document of its file.
async fn held_attachments(app: &App, r: &RequestRecord) -> Result<Vec<String>, ApiError> {
    let docs = attachments_of(app, r).await?;
    Ok(docs.into_iter().map(|d| d.document_id).collect())
}

/// The organisation's request, or 404 whether it is missing or another's.
async fn partner_request(
    app: &App,
    partner_id: &str,
    rid: &str,
) -> Result<RequestRecord, ApiError> {
    match app.partners.request(rid).await? {
        Some(r) if r.partner_id == partner_id => Ok(r),
        _ => Err(ApiError::not_found()),
    }
}

/// The request `rid` of the caller's organisation (any of its accounts, bound by its
/// duties), or 404.
pub(crate) async fn org_request(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<RequestRecord, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    partner_request(app, &c.org.partner_id, rid).await
}

/// Like `org_request`, for a write: the request and its JSON body, the body read after the
/// caller and before the request is looked up (a malformed body is a 400 even on another's).
pub(crate) async fn org_request_with_body(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<(RequestRecord, Value), ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    let body = json_body(req)?;
    let r = partner_request(app, &c.org.partner_id, rid).await?;
    Ok((r, body))
}

pub(crate) fn partner_reader(r: &RequestRecord) -> Reader {
    // The organisation is the request's author: it reads its whole thread.
    Reader::Partner {
        partner_id: r.partner_id.clone(),
        guardian: true,
    }
}

/// Handles `GET /api/partner/requests/{rid}/messages`.
pub(crate) async fn partner_messages(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let r = org_request(app, req, rid).await?;
    let reader = partner_reader(&r);
    let thread = app.threads.read_by(&thread_key(&r), &reader).await?;
    Ok(json(
        StatusCode::OK,
        &thread_view(&thread.messages, &reader),
    ))
}

/// Handles `POST /api/partner/requests/{rid}/messages`.
pub(crate) async fn partner_post_message(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let (r, body) = org_request_with_body(app, req, rid).await?;
    let parsed = MessageBody::parse(&body, AuthorKind::Partner).map_err(refusal)?;
    let held = held_attachments(app, &r).await?;
    check_attachments(&parsed.attachments, held.iter().map(String::as_str))?;
    let message = parsed.into_message(
        message_id(),
        AuthorKind::Partner,
        &r.partner_id,
        OffsetDateTime::now_utc(),
    );
    let key = thread_key(&r);
    app.threads.post(&key, &message).await?;
    // The outcome only, as every handler logs (the invocation's request id is Lambda's):
    // no id of the file or the message, never its text, author or attachments.
    tracing::info!(outcome = "message_posted", "request message");
    // The answer holds the thread: what it shows is read.
    let reader = partner_reader(&r);
    let thread = app.threads.read_by(&key, &reader).await?;
    Ok(json(
        StatusCode::CREATED,
        &posted_view(&message, &thread.messages, &reader),
    ))
}

/// Handles `GET /api/agent/reports/{rid}/messages`.
pub(crate) async fn agent_messages(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &caisse_agent(app, req).await?;
    let r = own_request(app, claims, rid).await?;
    let key = thread_key(&r);
    read(
        app,
        &Trace::about(claims, "read_request_messages", rid, &r.partner_id),
    )
    .await?;
    let thread = app.threads.read_by_agents(&key).await?;
    Ok(json(
        StatusCode::OK,
        &thread_view(&thread.messages, &Reader::Agent),
    ))
}

/// Handles `POST /api/agent/reports/{rid}/messages`.
pub(crate) async fn agent_post_message(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &caisse_agent(app, req).await?;
    let body = json_body(req)?;
    let r = own_request(app, claims, rid).await?;
    let (message, warnings) = agent_message(&body, &claims.sub)?;
    let held = held_attachments(app, &r).await?;
    check_attachments(&message.attachments, held.iter().map(String::as_str))?;
    let key = thread_key(&r);
    let trace = Trace::about(claims, "message", rid, &r.partner_id);
    let (message, key) = (&message, &key);
    commit(app, Some(&trace), move |extra| async move {
        written(app.threads.post_with(key, message, extra).await, ())
    })
    .await?;
    tell_technicien(app, &r, |first_name, link| Notice::Message {
        first_name,
        link,
    })
    .await;
    let thread = app.threads.thread(key).await?;
    Ok(json(
        StatusCode::CREATED,
        &agent_posted_view(message, &thread.messages, &warnings),
    ))
}
