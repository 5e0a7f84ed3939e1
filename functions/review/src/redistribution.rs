//! The superviseur redistributes the caisse's work: a claimed file to another agent, a claim
//! released, and several files claimed or reassigned at once, each with its own answer.

use crate::audited::{change, version_conflict, Change};
use crate::instruction::claiming;
use crate::views::file_view;
use crate::{agent, App};
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::renewal::{AgentRef, BulkAction, BulkBody, ReassignBody};
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::renewals::RenewalRecord;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use time::OffsetDateTime;

/// Handles `POST /api/agent/renewals/{id}/reassign`.
pub(crate) async fn reassign(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Superviseur]).await?;
    let body = ReassignBody::parse(&json_body(req)?).map_err(ApiError::invalid)?;
    let (r, docs) = change(app, &claims, id, "reassign", |r| {
        reassigning(r, body.to.as_ref(), Some(body.version))
    })
    .await?;
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
}

/// What giving the file to `to` (or releasing it) makes of it, at `version` if given.
fn reassigning(
    r: &mut RenewalRecord,
    to: Option<&AgentRef>,
    version: Option<u64>,
) -> Result<Change, ApiError> {
    // A resent request answers as the first one did, whatever the version since.
    let mut probe = r.clone();
    let changes = probe
        .reassign(to.cloned(), OffsetDateTime::now_utc())
        .map_err(|_| {
            Code::InvalidTransition.with_message(
                "Seul un dossier en attente d'un agent ou en cours d'instruction peut être réattribué.",
            )
            .with("status", r.status)
        })?;
    if !changes {
        return Ok(Change::Unchanged);
    }
    if version.is_some_and(|v| v != r.version) {
        return Err(version_conflict());
    }
    *r = probe;
    Ok(Change::Apply)
}

/// Handles `POST /api/agent/renewals/bulk`: each file as the route for one would answer it
/// (its status), one audited change each, in the order given. A claim takes the files as
/// they are (no version: the queue was just read); a file someone else took meanwhile
/// answers 409 `already_claimed`, as alone.
pub(crate) async fn bulk(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let body = BulkBody::parse(&json_body(req)?).map_err(ApiError::invalid)?;
    let needed = match body.action {
        BulkAction::Claim => Role::Instructeur,
        BulkAction::Reassign => Role::Superviseur,
    };
    if !claims.has(needed) {
        return Err(ApiError::forbidden());
    }
    let mut results = Vec::with_capacity(body.ids.len());
    for id in &body.ids {
        let outcome = one(app, &claims, &body, id).await;
        results.push(match outcome {
            Ok(r) => {
                json!({"id": id, "status": 200, "version": r.version, "assigned_to": r.assigned_to})
            }
            Err(e) => json!({"id": id, "status": e.status().as_u16(), "code": e.code.as_str()}),
        });
    }
    Ok(json(StatusCode::OK, &json!({ "results": results })))
}

async fn one(
    app: &App,
    claims: &AgentClaims,
    body: &BulkBody,
    id: &str,
) -> Result<RenewalRecord, ApiError> {
    let (r, _) = match body.action {
        BulkAction::Claim => {
            let me = AgentRef {
                agent_id: claims.sub.clone(),
                name: claims.name.clone(),
            };
            change(app, claims, id, "claim", |r| claiming(r, &me, None)).await?
        }
        BulkAction::Reassign => {
            change(app, claims, id, "reassign", |r| {
                reassigning(r, body.to.as_ref(), None)
            })
            .await?
        }
    };
    Ok(r)
}
