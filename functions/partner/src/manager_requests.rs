//! A gestionnaire's requests to the CPAM about gestionnaires: deactivating another one at a
//! date at least 15 days ahead (the convention's notice; `partner-lifecycle` carries it out
//! on the date, never for the last active gestionnaire), and a new one, due within 10
//! working days. The CPAM sees both on the organisation (`GET /api/agent/partners/{pid}`);
//! the organisation lists its requests for a new one (`GET /api/partner/habilitation-requests`).

use crate::accounts::Acting;
use crate::audited::{commit, written};
use crate::callers::gestionnaire;
use crate::organisations::account_view;
use crate::App;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::dates::{format_date, parse_date};
use c2s_domain::partner::account::earliest_deactivation;
use c2s_domain::partner::request::civility;
use c2s_domain::partner::{AccountRole, AccountStatus, NewPerson};
use c2s_domain::working_days::add_working_days;
use c2s_domain::FieldError;
use c2s_platform::clock::today;
use c2s_platform::partners::HabilitationRequest;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Working days the CPAM has to act on a request for a new gestionnaire.
const HABILITATION_WORKING_DAYS: u32 = 10;

/// Handles `POST /api/partner/accounts/{aid}/deactivation-request`.
pub(crate) async fn deactivation_request(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = &gestionnaire(app, req).await?;
    let body = json_body(req)?;
    let on = body
        .get("on")
        .and_then(Value::as_str)
        .and_then(|d| parse_date(d).ok())
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "on",
                "invalid_date",
                "Indiquez la date de désactivation, au format AAAA-MM-JJ.",
            )])
        })?;
    let earliest = earliest_deactivation(today());
    if on < earliest {
        return Err(ApiError::from(Code::NoticeTooShort).with("earliest", format_date(earliest)));
    }
    if aid == c.account.account_id {
        return Err(ApiError::invalid(vec![FieldError::new(
            "aid",
            "own_account",
            "Demandez à un autre gestionnaire, ou à la CPAM, de désactiver votre propre compte.",
        )]));
    }
    let asked_by = &c.account.account_id;
    let view = commit(app, None, move |extra| async move {
        let mut a = app
            .partners
            .account(&c.org.partner_id, aid)
            .await?
            .filter(|a| {
                a.role == AccountRole::Gestionnaire && a.status != AccountStatus::Deactivated
            })
            .ok_or_else(ApiError::not_found)?;
        a.deactivation_on = Some(on);
        a.deactivation_asked_by = Some(asked_by.clone());
        let saved = app.partners.save_account_with(&mut a, extra).await;
        written(saved, account_view(&a, Acting::Gestionnaire))
    })
    .await?;
    tracing::info!(
        outcome = "deactivation_requested",
        "gestionnaire deactivation requested"
    );
    Ok(json(StatusCode::CREATED, &view))
}

pub(crate) fn habilitation_view(r: &HabilitationRequest) -> Value {
    json!({
        "request_id": r.request_id, "id": r.request_id, "civility": r.civility, "last_name": r.last_name,
        "first_name": r.first_name, "function": r.function, "phone": r.phone, "email": r.email,
        "asked_by": r.asked_by, "asked_on": format_date(r.asked_on), "due_on": format_date(r.due_on),
    })
}

/// Handles `GET /api/partner/habilitation-requests`: the organisation's requests for a new
/// gestionnaire, as the CPAM sees them on the organisation.
pub(crate) async fn habilitation_requests(
    app: &App,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    let asked = app
        .partners
        .habilitation_requests(&c.org.partner_id)
        .await?;
    let items: Vec<Value> = asked.iter().map(habilitation_view).collect();
    Ok(json(StatusCode::OK, &json!({ "items": items })))
}

/// Handles `POST /api/partner/habilitation-requests`.
pub(crate) async fn habilitation_request(
    app: &App,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    let body = json_body(req)?;
    let person = NewPerson::parse(&body, &c.org.email_domains);
    let civility = body
        .get("civility")
        .and_then(Value::as_str)
        .and_then(civility);
    let person = match (person, civility) {
        (Ok(p), Some(civility)) => (p, civility),
        (person, civility) => {
            let mut errors = Vec::new();
            if civility.is_none() {
                errors.push(FieldError::new(
                    "civility",
                    "invalid_enum",
                    "La civilité doit être madame ou monsieur.",
                ));
            }
            errors.extend(person.err().into_iter().flatten());
            return Err(ApiError::invalid(errors));
        }
    };
    let (p, civility) = person;
    let day = today();
    let record = HabilitationRequest {
        request_id: format!("h-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        partner_id: c.org.partner_id.clone(),
        civility: civility.to_owned(),
        last_name: p.last_name,
        first_name: p.first_name,
        function: p.function,
        phone: p.phone,
        email: p.email.as_str().to_owned(),
        asked_by: c.account.account_id.clone(),
        asked_on: day,
        due_on: add_working_days(day, HABILITATION_WORKING_DAYS),
        created_at: OffsetDateTime::now_utc(),
    };
    app.partners.create_habilitation_request(&record).await?;
    tracing::info!(
        outcome = "habilitation_requested",
        "new gestionnaire requested"
    );
    Ok(json(StatusCode::CREATED, &habilitation_view(&record)))
}
