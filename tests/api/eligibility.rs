//! `POST /api/eligibility/estimate` through HTTP, its rate limit, and the renewal's estimate.

use crate::helpers::*;
use c2s_platform::Env;
use serde_json::{json, Value};
use std::collections::HashMap;

fn family(resources: i64) -> Value {
    json!({
        "request_month": "2025-06",
        "territory": "metropole",
        "household": [{"birth_date": "1984-05-12", "relation": "applicant"}, {"birth_date": "1986-02-01", "relation": "spouse"}, {"birth_date": "2014-03-04", "relation": "child"}],
        "resources_annual_cents": resources,
        "housing": {"status": "tenant", "housing_aid_cents": 0}
    })
}

#[tokio::test]
async fn anyone_can_estimate_without_signing_in() {
    let stack = TestStack::start().await;
    let (status, e) = stack
        .post("/api/eligibility/estimate", None, family(1_800_000))
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["outcome"], "free");
    assert_eq!(
        (
            e["ceiling_free_cents"].as_i64(),
            e["ceiling_participation_cents"].as_i64()
        ),
        (Some(1_860_900), Some(2_512_300))
    );
    assert_eq!(e["monthly_participation_cents"], 0);
    assert_eq!(
        e["reference_period"],
        json!({"from": "2024-05-01", "to": "2025-04-30"})
    );

    let (_, e) = stack
        .post("/api/eligibility/estimate", None, family(1_860_901))
        .await;
    assert_eq!(e["outcome"], "participation");
    // Ages on 2025-01-01: 40, 38, 10 → 14 + 14 + 8 EUR.
    assert_eq!(e["monthly_participation_cents"], 3_600);
    assert_eq!(e["members"].as_array().map(Vec::len), Some(3));

    let (_, e) = stack
        .post("/api/eligibility/estimate", None, family(2_512_301))
        .await;
    assert_eq!(
        (
            e["outcome"].as_str(),
            e["monthly_participation_cents"].as_i64()
        ),
        (Some("over_ceiling"), Some(0))
    );

    // A period with neither published ceilings nor a revaluation is said so, never guessed
    // (`engine_today.rs`: the provisional ones before).
    let mut later = family(1_000_000);
    later["request_month"] = json!("2027-05");
    let (status, e) = stack.post("/api/eligibility/estimate", None, later).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("parameters_unknown"))
    );

    let (status, e) = stack
        .post(
            "/api/eligibility/estimate",
            None,
            json!({"request_month": "juin", "household": []}),
        )
        .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "request_month",
            "territory",
            "resources_annual_cents",
            "housing.status",
            "household"
        ]
    );
    let mut no_applicant = family(0);
    no_applicant["household"] = json!([{"birth_date": "1986-02-01", "relation": "spouse"}]);
    let (status, e) = stack
        .post("/api/eligibility/estimate", None, no_applicant)
        .await;
    assert_eq!(
        (status, e["fields"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("applicant_required"))
    );
    stack.stop().await;
}

fn request(address: &str) -> lambda_http::Request {
    request_with(address, family(1_000_000).to_string())
}

fn request_with(address: &str, body: String) -> lambda_http::Request {
    let mut req = lambda_http::Request::new(lambda_http::Body::Text(body));
    *req.method_mut() = lambda_http::http::Method::POST;
    *req.uri_mut() = "/api/eligibility/estimate".parse().unwrap_or_default();
    if let Ok(v) = address.parse() {
        req.headers_mut().insert("x-forwarded-for", v);
    }
    req
}

/// The estimate's handler with its stack's settings, limited to `per_minute`.
fn limited_to(stack: &TestStack, per_minute: u32) -> eligibility::App {
    let mut vars: HashMap<String, String> = HashMap::new();
    let env = stack.env_of("EligibilityFunction");
    for name in ["RATE_LIMITS_TABLE", "ADDRESS_KEY"] {
        vars.insert(name.to_owned(), env.require(name).unwrap_or_default());
    }
    vars.insert(
        "ESTIMATE_LIMIT_PER_MINUTE".to_owned(),
        per_minute.to_string(),
    );
    let env = Env::from_map(vars);
    let (_, clients) = stack.function("EligibilityFunction");
    eligibility::App::from_env(&env, &clients).unwrap()
}

#[tokio::test]
async fn estimates_are_limited_per_client() {
    let stack = TestStack::start().await;
    let app = limited_to(&stack, 3);
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            eligibility::handle(&app, request("203.0.113.7"))
                .await
                .status()
                .as_u16(),
        );
    }
    // 7 calls over at most two one-minute windows: one window holds 4 or more, so at least
    // one is refused, and no window lets more than 3 through.
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!((3..=6).contains(&allowed), "{statuses:?}");
    assert_eq!(&statuses[..3], [200, 200, 200]);
    assert_eq!(
        eligibility::handle(&app, request("198.51.100.9"))
            .await
            .status(),
        200,
        "another client is not limited"
    );
    stack.stop().await;
}

/// A body that cannot be estimated is refused before it is counted: it costs the caller
/// nothing of their budget (the limit protects the engine's answers, not the parser).
#[tokio::test]
async fn a_malformed_estimate_is_not_counted_against_the_limit() {
    let stack = TestStack::start().await;
    let app = limited_to(&stack, 3);
    let mut no_applicant = family(0);
    no_applicant["household"] = json!([{"birth_date": "1986-02-01", "relation": "spouse"}]);
    let malformed = [
        "{".to_owned(),
        "[1, 2]".to_owned(),
        json!({"request_month": "juin"}).to_string(),
        no_applicant.to_string(),
        "x".repeat(70 * 1024),
    ];
    for body in malformed {
        let status = eligibility::handle(&app, request_with("203.0.113.8", body))
            .await
            .status()
            .as_u16();
        assert!([400, 413, 422].contains(&status), "{status}");
    }
    // Each window holds at most 3: the three valid ones may straddle two windows, never
    // more than three in one, so all three pass whatever the clock.
    for n in 1..=3 {
        assert_eq!(
            eligibility::handle(&app, request("203.0.113.8"))
                .await
                .status(),
            200,
            "valid estimate {n} after five malformed ones"
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn the_renewal_carries_the_engine_estimate_at_level_two_only() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(77, 7);
    stack
        .import(
            "estimate.jsonl",
            &[beneficiary(
                &nir,
                "1977-07-07",
                "EST77777",
                "le-havre",
                &months_from_today(2),
            )
            .to_string()],
        )
        .await;
    let token = stack.sign_in(&nir, "1977-07-07", "EST77777").await;
    let (_, r) = stack.post("/api/renewals", Some(&token), json!({})).await;
    let id = r["id"].as_str().unwrap_or_default().to_owned();
    let form = json!({"version": 1, "household": r["household"], "resources": [{"member": "applicant", "kind": "salary", "monthly_cents": 90000}], "housing": {"status": "owner"}, "manager": "caisse"});
    let (status, filled) = stack
        .put(&format!("/api/renewals/{id}"), &token, form)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(filled.get("estimate").is_none(), "no amounts at level 1");
    let level_two = stack.step_up(&token).await;
    let (_, full) = stack.get(&format!("/api/renewals/{id}"), &level_two).await;
    let outcome = full["estimate"]["outcome"].as_str().unwrap_or_default();
    assert!(
        [
            "free",
            "participation",
            "over_ceiling",
            "parameters_unknown"
        ]
        .contains(&outcome),
        "{}",
        full["estimate"]
    );
    if outcome != "parameters_unknown" {
        // 10 800 EUR of salary plus the owner's forfait logement, for a parent and a child.
        assert!(full["estimate"]["resources_considered_cents"]
            .as_i64()
            .is_some_and(|r| r > 1_080_000));
        assert_eq!(full["estimate"]["foyer_size_halves"], 4);
    }
    stack.stop().await;
}
