//! `eligibility`: `POST /api/eligibility/estimate`, open without sign-in, so that anyone can
//! know where they stand before filing. The same engine gives the renewal's estimate and the
//! agent's proposal. Limited per client address (hashed), 120 estimates a minute by default:
//! only a body it can estimate counts, and while the counters' table is out of reach each
//! instance counts in its own memory, so the estimate stays up.

use c2s_api::callers::client_address;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::beneficiary::Territory;
use c2s_domain::dates::{self, format_date};
use c2s_domain::eligibility::{
    estimate, Declared, EstimateError, Parameters, Person, Situation, C2S_START,
};
use c2s_domain::field::optional_bool;
use c2s_domain::renewal::{HousingStatus, Relation, ResourceKind};
use c2s_domain::FieldError;
use c2s_platform::aws::Clients;
use c2s_platform::env::SecretString;
use c2s_platform::hashing::{Hasher, Purpose};
use c2s_platform::rate_limit::RateLimiter;
use c2s_platform::{ConfigError, Env};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::Date;

const MAX_MEMBERS: usize = 20;
const MAX_RESOURCES_CENTS: i64 = 1_000_000_000;

pub struct App {
    limiter: RateLimiter,
    hasher: Hasher,
    /// The secret CloudFront sends to the API (`ORIGIN_VERIFY`; unset locally).
    edge: Option<SecretString>,
    per_minute: u64,
    parameters: &'static Parameters,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        let per_minute = match env.optional("ESTIMATE_LIMIT_PER_MINUTE") {
            None => 120,
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError::Invalid("ESTIMATE_LIMIT_PER_MINUTE".into()))?,
        };
        Ok(App {
            limiter: RateLimiter::from_env(env, clients)?,
            hasher: Hasher::for_addresses(env)?,
            edge: env.optional("ORIGIN_VERIFY").map(SecretString::new),
            per_minute,
            parameters: Parameters::builtin().map_err(ConfigError::Invalid)?,
        })
    }
}

c2s_api::routes! {
    pub async fn handle(app: &App, req) as "eligibility";
    POST ["api", "eligibility", "estimate"] => estimate_route(app, &req),
}

/// Handles `POST /api/eligibility/estimate`.
///
/// The body is judged first: a request that cannot be estimated (400, 413, 422) costs the
/// caller nothing of their budget. The limit counts the rest, in the rate limits table, or in
/// the process while that table cannot be reached (`RateLimiter::hit`).
async fn estimate_route(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let situation = parse(&json_body(req)?).map_err(ApiError::invalid)?;
    let result = estimate(app.parameters, &situation);
    match &result {
        Err(EstimateError::ParametersUnknown) | Ok(_) => {}
        // What the body itself gets wrong.
        Err(e) => return Err(refusal(e)),
    }
    let client = app.hasher.hash(
        Purpose::ClientAddress,
        &client_address(req, app.edge.as_ref()),
    );
    if !app
        .limiter
        .hit(&format!("estimate#{client}"), app.per_minute, 60)
        .await?
    {
        return Err(ApiError::from(Code::TooManyRequests).with("retry_after", 60));
    }
    // A valid request for a period whose scales are unknown is counted like any other.
    let e = result.map_err(|e| refusal(&e))?;
    tracing::info!(outcome = ?e.outcome, provisional = e.provisional, "estimate");
    let mut answer = json!({
            "outcome": e.outcome,
            "ceiling_free_cents": e.ceiling_free_cents,
            "ceiling_participation_cents": e.ceiling_participation_cents,
            "monthly_participation_cents": e.monthly_participation_cents,
            "members": e.members,
            "reference_period": e.reference_period,
            "request_date": format_date(situation.request_date),
            "foyer_size": f64::from(e.foyer_size_halves) / 2.0,
            "forfait_logement_annual_cents": e.forfait_logement_annual_cents,
            "resources_considered_cents": e.resources_considered_cents,
            "provisional": e.provisional,
    });
    if let Some(revaluation) = &e.revaluation {
        answer["revaluation"] = json!(revaluation);
    }
    Ok(json(StatusCode::OK, &answer))
}

fn refusal(e: &EstimateError) -> ApiError {
    match e {
        EstimateError::ParametersUnknown => ApiError::from(Code::ParametersUnknown),
        EstimateError::Applicant => ApiError::invalid(vec![FieldError::new(
            "household",
            "applicant_required",
            "Le foyer doit compter exactement un demandeur (relation « applicant »).",
        )]),
        EstimateError::Spouses => ApiError::invalid(vec![FieldError::new(
            "household",
            "too_many_spouses",
            "Le foyer ne compte qu'un conjoint.",
        )]),
        EstimateError::NegativeResources => ApiError::invalid(vec![FieldError::new(
            "resources_annual_cents",
            "invalid_amount",
            "Le montant doit être positif.",
        )]),
    }
}

/// `YYYY-MM` (the first of that month) or a full date.
fn request_date(s: &str) -> Option<Date> {
    if s.len() == 7 {
        dates::parse_date(&format!("{s}-01")).ok()
    } else {
        dates::parse_date(s).ok()
    }
}

fn parse(body: &Value) -> Result<Situation, Vec<FieldError>> {
    let mut errors = Vec::new();
    let date = body
        .get("request_month")
        .and_then(Value::as_str)
        .and_then(request_date);
    let before_c2s = date.is_some_and(|d| d < C2S_START);
    if date.is_none() || before_c2s {
        errors.push(FieldError::new(
            "request_month",
            "invalid_month",
            if before_c2s {
                "La C2S existe depuis novembre 2019 : indiquez un mois à partir de celui-ci."
            } else {
                "Indiquez le mois de la demande au format AAAA-MM."
            },
        ));
    }
    let date = date.filter(|_| !before_c2s);
    let territory = body
        .get("territory")
        .and_then(|t| serde_json::from_value::<Territory>(t.clone()).ok());
    if territory.is_none() {
        errors.push(FieldError::new(
            "territory",
            "invalid_enum",
            "Le territoire doit être metropole ou dom.",
        ));
    }
    let resources = body
        .get("resources_annual_cents")
        .and_then(Value::as_i64)
        .filter(|r| (0..=MAX_RESOURCES_CENTS).contains(r));
    if resources.is_none() {
        errors.push(FieldError::new(
            "resources_annual_cents",
            "invalid_amount",
            "Indiquez les ressources annuelles du foyer en centimes (nombre entier positif).",
        ));
    }
    // The housing as an object `{status, housing_aid_cents}` or just its status.
    let housing = body.get("housing").cloned().unwrap_or(Value::Null);
    let (status_value, aid) = match &housing {
        Value::String(_) => (housing.clone(), Some(0)),
        Value::Object(o) => (
            o.get("status").cloned().unwrap_or(Value::Null),
            match o.get("housing_aid_cents") {
                None | Some(Value::Null) => Some(0),
                Some(v) => v.as_i64().filter(|a| (0..=MAX_RESOURCES_CENTS).contains(a)),
            },
        ),
        _ => (Value::Null, Some(0)),
    };
    let status = serde_json::from_value::<HousingStatus>(status_value).ok();
    if status.is_none() {
        errors.push(FieldError::new(
            "housing.status",
            "invalid_enum",
            "Choisissez locataire, propriétaire, hébergé gratuitement ou sans domicile.",
        ));
    }
    if aid.is_none() {
        errors.push(FieldError::new(
            "housing.housing_aid_cents",
            "invalid_amount",
            "L'aide au logement mensuelle doit être un nombre entier de centimes, positif.",
        ));
    }
    let mut household = Vec::new();
    match body.get("household").and_then(Value::as_array) {
        Some(list) if !list.is_empty() && list.len() <= MAX_MEMBERS => {
            for (i, m) in list.iter().enumerate() {
                let relation = m
                    .get("relation")
                    .and_then(|r| serde_json::from_value::<Relation>(r.clone()).ok());
                let birth = m
                    .get("birth_date")
                    .and_then(Value::as_str)
                    .and_then(|s| dates::parse_date(s).ok())
                    .filter(|b| date.is_none_or(|d| *b <= d) && b.year() >= 1890);
                if relation.is_none() {
                    errors.push(FieldError::new(
                        format!("household[{i}].relation"),
                        "invalid_enum",
                        "Le lien doit être applicant, spouse, child ou other.",
                    ));
                }
                if birth.is_none() {
                    errors.push(FieldError::new(
                        format!("household[{i}].birth_date"),
                        "invalid_date",
                        "Indiquez une date de naissance réelle, au format AAAA-MM-JJ.",
                    ));
                }
                let custody = optional_bool(m, "alternating_custody").map_err(|_| {
                    errors.push(FieldError::wrong_type(format!(
                        "household[{i}].alternating_custody"
                    )))
                });
                if let (Some(relation), Some(birth_date), Ok(custody)) = (relation, birth, custody)
                {
                    household.push(Person {
                        relation,
                        birth_date,
                        alternating_custody: custody.unwrap_or(false),
                    });
                }
            }
        }
        _ => errors.push(FieldError::new(
            "household",
            "invalid_household",
            "Décrivez le foyer : au moins le demandeur, au plus 20 personnes.",
        )),
    }
    match (date, territory, resources, status, aid) {
        (
            Some(request_date),
            Some(territory),
            Some(resources_annual_cents),
            Some(housing_status),
            Some(housing_aid_cents),
        ) if errors.is_empty() => Ok(Situation {
            request_date,
            territory,
            household,
            // One total, of no particular kind: every kind the form offers that still counts.
            resources: vec![Declared {
                kind: ResourceKind::Other,
                annual_cents: resources_annual_cents,
            }],
            housing_status,
            housing_aid_cents,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_shape() {
        let body = json!({"request_month": "2025-06", "territory": "metropole", "household": [{"birth_date": "1980-01-01", "relation": "applicant"}], "resources_annual_cents": 900000, "housing": {"status": "owner"}});
        let s = parse(&body).map_err(|e| e.len());
        assert_eq!(
            s.map(|s| (format_date(s.request_date), s.housing_status)),
            Ok(("2025-06-01".to_owned(), HousingStatus::Owner))
        );
        let string_housing = json!({"request_month": "2025-06-10", "territory": "dom", "household": [{"birth_date": "1980-01-01", "relation": "applicant"}], "resources_annual_cents": 0, "housing": "homeless"});
        assert!(parse(&string_housing).is_ok());
    }

    #[test]
    fn every_bad_field_is_named() {
        let body = json!({"request_month": "June", "territory": "mars", "household": [{"birth_date": "2030-02-30", "relation": "cousin"}], "resources_annual_cents": -1, "housing": {"status": "castle", "housing_aid_cents": "x"}});
        let fields: Vec<String> = parse(&body)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "request_month",
                "territory",
                "resources_annual_cents",
                "housing.status",
                "housing.housing_aid_cents",
                "household[0].relation",
                "household[0].birth_date"
            ]
        );
    }

    #[test]
    fn a_month_before_the_c2s_is_the_months_fault_not_the_birth_dates() {
        let body = json!({"request_month": "1900-01", "territory": "metropole", "household": [{"birth_date": "1980-01-01", "relation": "applicant"}], "resources_annual_cents": 0, "housing": "homeless"});
        let fields: Vec<String> = parse(&body)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["request_month"]);
    }
}
