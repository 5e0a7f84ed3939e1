//! Instructing a file: claim, request for documents, decision.

use crate::audited::Change;
use crate::audited::{change, version_conflict};
use crate::views::file_view;
use crate::{agent, App};
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::dates::format_date;
use c2s_domain::eligibility::Parameters;
use c2s_domain::renewal::{
    required_version, AgentRefusal, DecideError, DecisionBody, DocumentRequest, Status,
    REASON_CODES,
};
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::clock::today;
use c2s_platform::renewals::{AgentRef, RenewalRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use time::OffsetDateTime;

/// Handles `POST /api/agent/renewals/{id}/claim`.
pub(crate) async fn claim(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let version = required_version(&json_body(req)?).map_err(refusal)?;
    let me = AgentRef {
        agent_id: claims.sub.clone(),
        name: claims.name.clone(),
    };
    let (r, docs) = change(app, &claims, id, "claim", |r| {
        claiming(r, &me, Some(version))
    })
    .await?;
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
}

/// What a claim by `me` makes of the file: at `version` if given (a bulk claim takes the
/// file as it is).
pub(crate) fn claiming(
    r: &mut RenewalRecord,
    me: &AgentRef,
    version: Option<u64>,
) -> Result<Change, ApiError> {
    if r.status == Status::InReview {
        // A resent claim by the same agent answers as the first one did.
        if r.assigned_to.as_ref() == Some(me) {
            return Ok(Change::Unchanged);
        }
        return Err(ApiError::from(Code::AlreadyClaimed).with("assigned_to", &r.assigned_to));
    }
    if r.status != Status::Submitted {
        return Err(Code::InvalidTransition
            .with_message("Ce dossier ne peut pas être pris dans son état actuel."));
    }
    if version.is_some_and(|v| v != r.version) {
        return Err(version_conflict());
    }
    r.claim(me.clone(), OffsetDateTime::now_utc())
        .map_err(ApiError::internal)?;
    Ok(Change::Apply)
}

pub(crate) fn assigned_to_me(r: &RenewalRecord, claims: &AgentClaims) -> Result<(), ApiError> {
    if r.status != Status::InReview {
        // Say why, in the words of the file's state, and which state it is in.
        let message = match r.status {
            Status::Submitted => "Ce dossier doit d'abord être pris en charge.",
            Status::AwaitingDocuments => {
                "Ce dossier attend les pièces demandées : il reviendra dans la file à leur envoi."
            }
            Status::Approved | Status::Rejected | Status::Exported | Status::Integrated => {
                "Ce dossier a déjà reçu sa décision."
            }
            Status::Withdrawn => "Le demandeur a retiré ce dossier.",
            Status::Draft | Status::InReview => "Ce dossier n'est pas en cours d'instruction.",
        };
        return Err(Code::InvalidTransition
            .with_message(message)
            .with("status", r.status));
    }
    if r.assigned_to.as_ref().map(|a| a.agent_id.as_str()) != Some(claims.sub.as_str()) {
        return Err(ApiError::from(Code::NotAssigned));
    }
    Ok(())
}

/// An agent's body refused, answered as the routes always did.
pub(crate) fn refusal(e: AgentRefusal) -> ApiError {
    match e {
        AgentRefusal::Invalid(fields) => ApiError::invalid(fields),
        AgentRefusal::Reason(fields) => {
            ApiError::invalid(fields).with("reason_codes", REASON_CODES)
        }
        AgentRefusal::NirNotAllowed => ApiError::from(Code::NirNotAllowed),
    }
}

/// Handles `POST /api/agent/renewals/{id}/request-documents`.
pub(crate) async fn request_documents(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let body = json_body(req)?;
    let ask = DocumentRequest::parse(&body).map_err(refusal)?;
    let (r, docs) = change(app, &claims, id, "request_documents", |r| {
        assigned_to_me(r, &claims)?;
        if r.version != ask.version {
            return Err(version_conflict());
        }
        r.request_documents(&ask, OffsetDateTime::now_utc())
            .map_err(ApiError::internal)?;
        Ok(Change::Apply)
    })
    .await?;
    crate::notices::documents_requested(app, &r).await;
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
}

/// Handles `POST /api/agent/renewals/{id}/decision`.
pub(crate) async fn decide(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let body = json_body(req)?;
    let decision = DecisionBody::parse(&body).map_err(refusal)?;
    let (r, docs) = change(app, &claims, id, "decision", |r| {
        assigned_to_me(r, &claims)?;
        if r.version != decision.version {
            return Err(version_conflict());
        }
        // A participation's amount is the age table's (`Renewal::decide`), whatever the
        // ceilings the engine found.
        let now = OffsetDateTime::now_utc();
        // `assigned_to_me` held: the file is in review, so the transition is legal.
        let params = Parameters::builtin().map_err(ApiError::internal)?;
        r.decide(&decision, params, &claims.sub, today(), now)
            .map_err(|e| match e {
                DecideError::ParticipationRequired => Code::ParticipationRequired.into(),
                DecideError::ParticipationNotAllowed => Code::ParticipationNotAllowed.into(),
                DecideError::ParticipationOutOfRange { max_cents } => {
                    ApiError::from(Code::ParticipationOutOfRange).with("max_cents", max_cents)
                }
                DecideError::Transition(e) => ApiError::internal(e),
            })?;
        Ok(Change::Apply)
    })
    .await?;
    crate::notices::decision(app, &r).await;
    let mut v = file_view(app, &r, &docs).await?;
    if let Some(d) = &r.decision {
        v["rights_start"] = json!(d.rights_start.map(format_date));
        v["rights_end"] = json!(d.rights_end.map(format_date));
        v["monthly_participation_cents"] = json!(d.monthly_participation_cents);
    }
    Ok(json(StatusCode::OK, &v))
}
