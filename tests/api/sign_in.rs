//! Sign-in limits and the rules around starting a renewal.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn five_failures_lock_the_nir_for_fifteen_minutes() {
    let stack = TestStack::start().await;
    let locked = fresh_nir(75, 3);
    let neighbour = fresh_nir(75, 4);
    let end = months_from_today(3);
    stack
        .import(
            "limits.jsonl",
            &[
                beneficiary(&locked, "1975-03-01", "GOOD1234", "le-havre", &end).to_string(),
                beneficiary(&neighbour, "1975-04-01", "GOOD5678", "le-havre", &end).to_string(),
            ],
        )
        .await;
    for attempt in 1..=5 {
        let (status, body) = stack.post("/api/auth/beneficiary", None, json!({"nir": locked, "birth_date": "1975-03-01", "renewal_code": format!("BAD{attempt}")})).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
            "attempt {attempt}"
        );
    }
    // Even the right code is refused now, with how long to wait.
    let (status, body) = stack
        .post(
            "/api/auth/beneficiary",
            None,
            json!({"nir": locked, "birth_date": "1975-03-01", "renewal_code": "GOOD1234"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    assert!(body["retry_after"]
        .as_i64()
        .is_some_and(|s| s > 800 && s <= 900));
    // Another person is not affected.
    stack.sign_in(&neighbour, "1975-04-01", "GOOD5678").await;
    stack.stop().await;
}

#[tokio::test]
async fn a_success_forgets_earlier_failures() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(81, 7);
    stack
        .import(
            "forget.jsonl",
            &[beneficiary(
                &nir,
                "1981-07-14",
                "CODE4321",
                "le-havre",
                &months_from_today(1),
            )
            .to_string()],
        )
        .await;
    for _ in 0..4 {
        let (status, _) = stack
            .post(
                "/api/auth/beneficiary",
                None,
                json!({"nir": nir, "birth_date": "1981-07-14", "renewal_code": "WRONG000"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    stack.sign_in(&nir, "1981-07-14", "CODE4321").await;
    for _ in 0..4 {
        let (status, _) = stack
            .post(
                "/api/auth/beneficiary",
                None,
                json!({"nir": nir, "birth_date": "1981-07-14", "renewal_code": "WRONG000"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    stack.sign_in(&nir, "1981-07-14", "CODE4321").await;
    stack.stop().await;
}

#[tokio::test]
async fn tokens_are_checked_and_levels_kept_apart() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(66, 12);
    stack
        .import(
            "tokens.jsonl",
            &[beneficiary(
                &nir,
                "1966-12-24",
                "NOEL6612",
                "rouen-elbeuf-dieppe",
                &months_from_today(2),
            )
            .to_string()],
        )
        .await;
    let token = stack.sign_in(&nir, "1966-12-24", "NOEL6612").await;
    for bad in ["", "garbage", "a.b.c", &format!("{token}x")] {
        let (status, body) = stack.get("/api/me", bad).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
        );
    }
    // Step-up needs a token; wrong answers get the same 401 as sign-in.
    let (status, _) = stack
        .post(
            "/api/auth/beneficiary/step-up",
            None,
            json!({"iban_last4": "4242", "vitale_serial": "123456789"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = stack
        .post(
            "/api/auth/beneficiary/step-up",
            Some(&token),
            json!({"iban_last4": "4242", "vitale_serial": "999999999"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let (status, body) = stack
        .post(
            "/api/auth/beneficiary/step-up",
            Some(&token),
            json!({"iban_last4": "4242", "vitale_serial": "123 456 789"}),
        )
        .await;
    assert_eq!(
        (status, body["level"].as_u64(), body["expires_in"].as_u64()),
        (StatusCode::OK, Some(2), Some(900))
    );
    let (_, me) = stack
        .get("/api/me", body["token"].as_str().unwrap_or_default())
        .await;
    assert_eq!(me["level"], 2);
    stack.stop().await;
}

#[tokio::test]
async fn a_renewal_opens_four_months_before_the_end_of_rights() {
    let stack = TestStack::start().await;
    let early = fresh_nir(59, 9);
    let on_time = fresh_nir(59, 10);
    let late = fresh_nir(59, 11);
    stack
        .import(
            "window.jsonl",
            &[
                beneficiary(
                    &early,
                    "1959-09-09",
                    "EARLY001",
                    "le-havre",
                    &months_from_today(5),
                )
                .to_string(),
                beneficiary(
                    &on_time,
                    "1959-10-10",
                    "ONTIME01",
                    "le-havre",
                    &months_from_today(4),
                )
                .to_string(),
                beneficiary(
                    &late,
                    "1959-11-11",
                    "LATE0001",
                    "le-havre",
                    &months_from_today(-1),
                )
                .to_string(),
            ],
        )
        .await;
    let token = stack.sign_in(&early, "1959-09-09", "EARLY001").await;
    let (status, body) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("too_early"))
    );
    assert_eq!(body["opens_on"], json!(months_from_today(1)));
    for (nir, birth, code) in [
        (&on_time, "1959-10-10", "ONTIME01"),
        (&late, "1959-11-11", "LATE0001"),
    ] {
        let token = stack.sign_in(nir, birth, code).await;
        let (status, body) = stack.post("/api/renewals", Some(&token), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    stack.stop().await;
}

#[tokio::test]
async fn two_concurrent_starts_make_one_renewal() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(88, 8);
    stack
        .import(
            "race.jsonl",
            &[beneficiary(
                &nir,
                "1988-08-08",
                "RACE8888",
                "le-havre",
                &months_from_today(2),
            )
            .to_string()],
        )
        .await;
    let token = stack.sign_in(&nir, "1988-08-08", "RACE8888").await;
    let (a, b) = tokio::join!(
        stack.post("/api/renewals", Some(&token), json!({})),
        stack.post("/api/renewals", Some(&token), json!({}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    stack.stop().await;
}
