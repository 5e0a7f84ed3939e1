//! The file's conversation with the beneficiary (or the partner acting for them), as the
//! caisse's agents read and write it. Each agent's message is written with its audit entry
//! in one transaction; reading the thread marks it read for the queue.

use crate::audited::{action, open_file, version_conflict};
use crate::{agent, App};
use c2s_api::messages::{agent_message, check_attachments};
use c2s_api::views::{agent_posted_view, thread_view};
use c2s_api::{json, json_body, ApiError};
use c2s_domain::rgpd::FileUse;
use c2s_domain::thread::Reader;
use c2s_platform::agents::Role;
use c2s_platform::audit::AuditStore;
use c2s_platform::store::StoreError;
use c2s_platform::threads::ThreadKey;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles `GET /api/agent/renewals/{id}/messages`.
pub(crate) async fn messages(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let (r, _) = open_file(app, &claims, id, FileUse::Read).await?;
    let key = ThreadKey::Renewal(r.id.clone());
    let thread = app.threads.read_by_agents(&key).await?;
    Ok(json(
        StatusCode::OK,
        &thread_view(&thread.messages, &Reader::Agent),
    ))
}

/// Handles `POST /api/agent/renewals/{id}/messages`.
pub(crate) async fn post_message(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let body = json_body(req)?;
    let (message, warnings) = agent_message(&body, &claims.sub)?;
    for _ in 0..5 {
        let (r, docs) = open_file(app, &claims, id, FileUse::Process).await?;
        check_attachments(
            &message.attachments,
            docs.iter().map(|d| d.document_id.as_str()),
        )?;
        let key = ThreadKey::Renewal(r.id.clone());
        let head = app.audit.head(&claims.caisse).await?;
        let entry = AuditStore::next(
            &head,
            &action(&claims, "message", &message.message_id, Some(&r)),
            message.at,
        );
        let mut items = app.threads.post_items(&key, &message)?;
        items.push(app.audit.put(&entry)?);
        match app.renewals.write_all(items).await {
            Ok(()) => {
                tracing::info!(action = "message", "agent action");
                crate::notices::message_to_beneficiary(app, &r).await;
                crate::notices::message_to_partner(app, &r, &message).await;
                let thread = app.threads.thread(&key).await?;
                let v = agent_posted_view(&message, &thread.messages, &warnings);
                return Ok(json(StatusCode::CREATED, &v));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(version_conflict())
}
