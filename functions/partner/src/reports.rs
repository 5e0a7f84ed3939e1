//! The caisse's agents' side of partners' signalements and requests: the list, the answer.

use crate::audited::{commit, read, written, Trace};
use crate::callers::caisse_agent;
use crate::requests::request_view;
use crate::App;
use c2s_api::{json, json_body, query, ApiError, Code, PAGE};
use c2s_domain::field::optional_str;
use c2s_domain::FieldError;
use c2s_platform::agents::AgentClaims;
use c2s_platform::partners::RequestRecord;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

/// Handles `GET /api/agent/reports`.
pub(crate) async fn agent_reports(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = &caisse_agent(app, req).await?;
    let params = query(req);
    let status = match params.get("status").map(String::as_str) {
        None | Some("") => None,
        Some(s @ ("open" | "answered" | "closed")) => Some(s),
        Some(_) => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "status",
                "invalid_enum",
                "Le statut doit être open, answered ou closed.",
            )]))
        }
    };
    let page = app
        .partners
        .requests_to(
            &claims.caisse,
            status,
            params.get("cursor").map(String::as_str),
            PAGE,
        )
        .await?;
    read(
        app,
        &Trace {
            claims,
            action: "list_reports",
            target: &claims.caisse,
            partner_id: None,
        },
    )
    .await?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": page.items.iter().map(request_view).collect::<Vec<_>>(), "next_cursor": page.next}),
    ))
}

/// The request as stored now, if it was sent to the agent's caisse; any other is a 404.
async fn own_request(
    app: &App,
    claims: &AgentClaims,
    rid: &str,
) -> Result<RequestRecord, ApiError> {
    match app.partners.request(rid).await? {
        Some(r) if r.req_caisse == claims.caisse => Ok(r),
        _ => Err(ApiError::not_found()),
    }
}

/// Handles `POST /api/agent/reports/{rid}/answer`.
pub(crate) async fn agent_answer(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &caisse_agent(app, req).await?;
    let partner_id = own_request(app, claims, rid).await?.partner_id;
    let body = json_body(req)?;
    let answer = &body
        .get("answer")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if answer.is_empty() || answer.chars().count() > 2000 {
        return Err(ApiError::invalid(vec![FieldError::new(
            "answer",
            "invalid_length",
            "La réponse est vide ou trop longue.",
        )]));
    }
    if c2s_domain::text::contains_nir_like(answer) {
        return Err(Code::NirNotAllowed
            .with_message("Un numéro de sécurité sociale ne doit pas figurer dans la réponse."));
    }
    let status = optional_str(&body, "status").map_err(|e| ApiError::invalid(vec![e]))?;
    let status = match status {
        None => "answered",
        Some(s @ ("answered" | "closed")) => s,
        Some(_) => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "status",
                "invalid_enum",
                "Le statut doit être answered ou closed.",
            )]))
        }
    };
    let trace = Trace::about(claims, "answer_request", rid, &partner_id);
    let view = commit(app, Some(&trace), move |extra| async move {
        let mut r = own_request(app, claims, rid).await?;
        r.answer = Some(answer.clone());
        r.answered_by = Some(claims.sub.clone());
        r.status = status.to_owned();
        let saved = app.partners.save_request_with(&mut r, extra).await;
        written(saved, request_view(&r))
    })
    .await?;
    Ok(json(StatusCode::OK, &view))
}
