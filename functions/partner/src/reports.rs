//! The caisse's agents' side of partners' signalements and requests: the list, the answer.

use crate::audited::{commit, read, written, Trace};
use crate::callers::caisse_agent;
use crate::conversations::thread_key;
use crate::notices::tell_technicien;
use crate::requests::request_view;
use crate::App;
use c2s_api::{json, json_body, query, ApiError, Code, PAGE};
use c2s_domain::field::{optional_bool, optional_str};
use c2s_domain::notice::Notice;
use c2s_domain::FieldError;
use c2s_platform::agents::AgentClaims;
use c2s_platform::partners::{RequestFilter, RequestRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A query parameter, empty as absent.
fn given<'a>(params: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    params
        .get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// A code or an id as the service makes them: a short word, nothing else.
fn word(v: &str) -> bool {
    v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// What the list keeps, from the query's `status`, `motive`, `partner_id` and `urgent`
/// (each optional, empty as absent); every malformed one is named.
fn list_filter(params: &HashMap<String, String>) -> Result<RequestFilter<'_>, ApiError> {
    let mut errors = Vec::new();
    let status = match given(params, "status") {
        None => None,
        Some(s @ ("open" | "answered" | "closed")) => Some(s),
        Some(_) => {
            errors.push(FieldError::new(
                "status",
                "invalid_enum",
                "Le statut doit être open, answered ou closed.",
            ));
            None
        }
    };
    let mut checked = |key: &str, message: &'static str| match given(params, key) {
        Some(v) if !word(v) => {
            errors.push(FieldError::new(key, "invalid_format", message));
            None
        }
        v => v,
    };
    let motive = checked("motive", "Le motif doit être un code du catalogue.");
    let partner_id = checked("partner_id", "L'identifiant du partenaire est mal formé.");
    let urgent = match given(params, "urgent") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            errors.push(FieldError::new(
                "urgent",
                "invalid_enum",
                "L'urgence doit être true ou false.",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    Ok(RequestFilter {
        status,
        motive,
        partner_id,
        urgent,
    })
}

/// Handles `GET /api/agent/reports`.
pub(crate) async fn agent_reports(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = &caisse_agent(app, req).await?;
    let params = query(req);
    let filter = list_filter(&params)?;
    let page = app
        .partners
        .requests_to(
            &claims.caisse,
            &filter,
            params.get("cursor").map(String::as_str),
            PAGE,
        )
        .await?;
    read(app, &Trace::of_caisse(claims, "list_reports")).await?;
    // Which requests hold a message the agents have not read: one batch read for the page.
    let keys: Vec<_> = page.items.iter().map(thread_key).collect();
    let unread = app.threads.unread_by_agents(&keys).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .zip(&keys)
        .map(|(r, k)| {
            let mut v = request_view(r);
            v["unread_messages"] = json!(unread.contains(k));
            v
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": page.next}),
    ))
}

/// The request as stored now, if it was sent to the agent's caisse; any other is a 404.
pub(crate) async fn own_request(
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
    let asked = own_request(app, claims, rid).await?;
    let partner_id = asked.partner_id.clone();
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
    let confirmed =
        optional_bool(&body, "confirm").map_err(|e| ApiError::invalid(vec![e]))? == Some(true);
    let terms = c2s_domain::partner::unconfirmed_health_terms(answer, confirmed);
    if !terms.is_empty() {
        return Err(ApiError::from(Code::HealthData).with("terms", terms));
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
        r.answered_on = Some(c2s_platform::clock::today());
        r.status = status.to_owned();
        let saved = app.partners.save_request_with(&mut r, extra).await;
        written(saved, request_view(&r))
    })
    .await?;
    tell_technicien(app, &asked, |first_name, link| Notice::RequestAnswered {
        first_name,
        link,
    })
    .await;
    Ok(json(StatusCode::OK, &view))
}
