//! Instructing a file: claim, request for documents, decision.

use crate::audited::Change;
use crate::audited::{change, required_version, version_conflict};
use crate::views::file_view;
use crate::{agent, App};
use c2s_api::views::estimate;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::dates::format_date;
use c2s_domain::document::DocumentKind;
use c2s_domain::renewal::{
    rights_period, ActorKind, Decision, DecisionOutcome, HistoryEntry, Status, REASON_CODES,
};
use c2s_domain::text::{contains_nir_like, health_terms};
use c2s_domain::FieldError;
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::clock::today;
use c2s_platform::renewals::{AgentRef, RenewalRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Handles `POST /api/agent/renewals/{id}/claim`.
pub(crate) async fn claim(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let version = required_version(&json_body(req)?)?;
    let me = AgentRef {
        agent_id: claims.sub.clone(),
        name: claims.name.clone(),
    };
    let (r, docs) = change(app, &claims, id, "claim", |r| {
        if r.status == Status::InReview {
            // A resent claim by the same agent answers as the first one did.
            if r.assigned_to.as_ref() == Some(&me) {
                return Ok(Change::Unchanged);
            }
            return Err(ApiError::from(Code::AlreadyClaimed).with("assigned_to", &r.assigned_to));
        }
        if r.status != Status::Submitted {
            return Err(Code::InvalidTransition
                .with_message("Ce dossier ne peut pas être pris dans son état actuel."));
        }
        if r.version != version {
            return Err(version_conflict());
        }
        r.status = Status::InReview;
        r.assigned_to = Some(me.clone());
        r.history.push(HistoryEntry {
            status: Status::InReview,
            at: OffsetDateTime::now_utc(),
            actor: ActorKind::Agent,
        });
        Ok(Change::Apply)
    })
    .await?;
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
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

pub(crate) fn free_text(
    field: &str,
    text: &str,
    max: usize,
) -> Result<Vec<&'static str>, ApiError> {
    let n = text.trim().chars().count();
    if n == 0 || n > max {
        return Err(ApiError::invalid(vec![FieldError::new(
            field,
            "invalid_length",
            "Le texte est vide ou trop long.",
        )]));
    }
    if contains_nir_like(text) {
        return Err(ApiError::from(Code::NirNotAllowed));
    }
    Ok(health_terms(text))
}

/// Handles `POST /api/agent/renewals/{id}/request-documents`.
pub(crate) async fn request_documents(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let body = json_body(req)?;
    let version = required_version(&body)?;
    let kinds: Option<Vec<DocumentKind>> = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty() && a.len() <= 10)
        .and_then(|a| {
            a.iter()
                .map(|k| k.as_str().and_then(DocumentKind::parse))
                .collect()
        });
    let Some(kinds) = kinds else {
        return Err(ApiError::invalid(vec![FieldError::new(
            "items",
            "invalid_items",
            "Indiquez de 1 à 10 types de pièces de la liste.",
        )]));
    };
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if !message.is_empty() {
        free_text("message", &message, 1000)?;
    }
    let (r, docs) = change(app, &claims, id, "request_documents", |r| {
        assigned_to_me(r, &claims)?;
        if r.version != version {
            return Err(version_conflict());
        }
        r.status = Status::AwaitingDocuments;
        r.requested_documents = kinds.clone();
        r.requested_message = (!message.is_empty()).then(|| message.clone());
        r.history.push(HistoryEntry {
            status: Status::AwaitingDocuments,
            at: OffsetDateTime::now_utc(),
            actor: ActorKind::Agent,
        });
        Ok(Change::Apply)
    })
    .await?;
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
}

/// Handles `POST /api/agent/renewals/{id}/decision`.
pub(crate) async fn decide(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let body = json_body(req)?;
    let version = required_version(&body)?;
    let outcome: Option<DecisionOutcome> = body
        .get("outcome")
        .and_then(|o| serde_json::from_value(o.clone()).ok());
    let Some(outcome) = outcome else {
        return Err(ApiError::invalid(vec![FieldError::new(
            "outcome",
            "invalid_enum",
            "La décision doit être free, participation ou rejected.",
        )]));
    };
    let reason = body
        .get("reason_code")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if reason
        .as_deref()
        .is_some_and(|r| !REASON_CODES.contains(&r))
        || (outcome == DecisionOutcome::Rejected && reason.is_none())
    {
        return Err(ApiError::invalid(vec![FieldError::new(
            "reason_code",
            "invalid_reason",
            "Choisissez un motif de la liste (obligatoire pour un rejet).",
        )])
        .with("reason_codes", REASON_CODES));
    }
    let stated = body
        .get("monthly_participation_cents")
        .and_then(Value::as_i64)
        .filter(|a| *a > 0);
    let (r, docs) = change(app, &claims, id, "decision", |r| {
        assigned_to_me(r, &claims)?;
        if r.version != version {
            return Err(version_conflict());
        }
        let decided_on = today();
        let submitted_on = r.complete_on.unwrap_or(r.request_day);
        let (start, end) = rights_period(r.css_end_date, submitted_on, decided_on);
        let participation = match outcome {
            DecisionOutcome::Participation => match (
                estimate(r)
                    .and_then(Result::ok)
                    .map(|e| e.monthly_participation_cents)
                    .filter(|a| *a > 0),
                stated,
            ) {
                (_, Some(amount)) | (Some(amount), None) => amount,
                (None, None) => {
                    return Err(ApiError::from(Code::ParticipationRequired));
                }
            },
            _ => 0,
        };
        let approved = outcome != DecisionOutcome::Rejected;
        let status = if approved {
            Status::Approved
        } else {
            Status::Rejected
        };
        r.status = status;
        r.decision = Some(Decision {
            outcome,
            reason_code: reason.clone(),
            rights_start: approved.then_some(start),
            rights_end: approved.then_some(end),
            monthly_participation_cents: participation,
            decided_at: OffsetDateTime::now_utc(),
            agent_id: claims.sub.clone(),
        });
        r.history.push(HistoryEntry {
            status,
            at: OffsetDateTime::now_utc(),
            actor: ActorKind::Agent,
        });
        // Every decision goes to the national system once (sync-out).
        r.export_pending = Some("pending".into());
        r.export_key = Some(format!(
            "{}#{}",
            c2s_domain::dates::format_instant(OffsetDateTime::now_utc()),
            r.id
        ));
        r.export_batch = None;
        Ok(Change::Apply)
    })
    .await?;
    let mut v = file_view(app, &r, &docs).await?;
    if let Some(d) = &r.decision {
        v["rights_start"] = json!(d.rights_start.map(format_date));
        v["rights_end"] = json!(d.rights_end.map(format_date));
        v["monthly_participation_cents"] = json!(d.monthly_participation_cents);
    }
    Ok(json(StatusCode::OK, &v))
}
