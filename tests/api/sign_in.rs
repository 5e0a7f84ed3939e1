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
    // The message tells the time really left, in words, as retry_after does in seconds.
    let minutes = (body["retry_after"].as_i64().unwrap_or_default() + 59) / 60;
    assert_eq!(
        body["message"].as_str(),
        Some(format!("Trop d'essais infructueux. Réessayez dans {minutes} minutes.").as_str())
    );
    // Another person is not affected.
    stack.sign_in(&neighbour, "1975-04-01", "GOOD5678").await;
    stack.stop().await;
}

/// A person who tries their letter before the import has brought them (a file late, or an
/// import that crashed and has not resumed yet) is refused and, after five tries, locked as
/// anyone; once imported they sign in at once: the tries against no one were counted apart.
#[tokio::test]
async fn failures_before_the_import_do_not_lock_the_person_once_imported() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(76, 5);
    let letter = json!({"nir": nir, "birth_date": "1976-05-01", "renewal_code": "LATE1234"});
    for attempt in 1..=5 {
        let (status, body) = stack
            .post("/api/auth/beneficiary", None, letter.clone())
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
            "attempt {attempt}"
        );
    }
    let (status, body) = stack
        .post("/api/auth/beneficiary", None, letter.clone())
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")),
        "an unknown NIR locks as a known one: the answers never tell who is on file"
    );
    stack
        .import(
            "late.jsonl",
            &[beneficiary(
                &nir,
                "1976-05-01",
                "LATE1234",
                "le-havre",
                &months_from_today(3),
            )
            .to_string()],
        )
        .await;
    stack.sign_in(&nir, "1976-05-01", "LATE1234").await;
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

/// The statuses of `requests` sent all at once, sorted, with how many of each.
async fn all_at_once(
    stack: &TestStack,
    path: &str,
    token: Option<&str>,
    bodies: Vec<serde_json::Value>,
) -> std::collections::BTreeMap<u16, usize> {
    let calls = bodies.into_iter().map(|b| stack.post(path, token, b));
    let mut counts = std::collections::BTreeMap::new();
    for (status, body) in futures::future::join_all(calls).await {
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        *counts.entry(status.as_u16()).or_insert(0) += 1;
    }
    counts
}

/// Each attempt is counted before it is judged: twenty wrong answers sent together get five
/// judged (401) and the lock for the rest (429), and none is lost to a 500.
#[tokio::test]
async fn twenty_parallel_wrong_answers_are_judged_five_times() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(72, 2);
    stack
        .import(
            "parallel.jsonl",
            &[beneficiary(
                &nir,
                "1972-02-02",
                "RIGHT722",
                "le-havre",
                &months_from_today(2),
            )
            .to_string()],
        )
        .await;
    let guesses = (0..20)
        .map(|i| json!({"nir": nir, "birth_date": "1972-02-02", "renewal_code": format!("GUESS{i:03}")}))
        .collect();
    let counts = all_at_once(&stack, "/api/auth/beneficiary", None, guesses).await;
    assert_eq!(
        counts,
        std::collections::BTreeMap::from([(401, 5), (429, 15)]),
        "statuses of 20 parallel wrong answers"
    );
    let (status, body) = stack
        .post(
            "/api/auth/beneficiary",
            None,
            json!({"nir": nir, "birth_date": "1972-02-02", "renewal_code": "RIGHT722"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    stack.stop().await;
}

/// The same for a partner's password: five judged, the account locked (423) for the rest.
#[tokio::test]
async fn twenty_parallel_wrong_passwords_lock_a_partner_account_after_five() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("adm-par", ROUEN).await;
    let email = "j.lemoine@udaf-parallele.fr";
    stack.onboard_partner(&admin, "UDAF parallèle", email).await;
    let guesses = (0..20)
        .map(|i| json!({"email": email, "password": format!("Mauvaise phrase numéro {i}")}))
        .collect();
    let counts = all_at_once(&stack, "/api/auth/partner", None, guesses).await;
    assert_eq!(
        counts,
        std::collections::BTreeMap::from([(401, 5), (423, 15)]),
        "statuses of 20 parallel wrong passwords"
    );
    let (status, body) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": email, "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::LOCKED, Some("account_locked"))
    );
    stack.stop().await;
}

/// The step-up has its own count: signing in again at level 1 (the person, or a partner for
/// them) does not give the IBAN and Vitale answers a fresh set of guesses.
#[tokio::test]
async fn a_level_one_sign_in_does_not_reset_the_step_up_count() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(69, 9);
    stack
        .import(
            "step-up.jsonl",
            &[beneficiary(
                &nir,
                "1969-09-09",
                "STEP6969",
                "le-havre",
                &months_from_today(2),
            )
            .to_string()],
        )
        .await;
    let wrong = json!({"iban_last4": "0000", "vitale_serial": "123456789"});
    let token = stack.sign_in(&nir, "1969-09-09", "STEP6969").await;
    for attempt in 1..=4 {
        let (status, _) = stack
            .post("/api/auth/beneficiary/step-up", Some(&token), wrong.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "step-up attempt {attempt}"
        );
    }
    let token = stack.sign_in(&nir, "1969-09-09", "STEP6969").await;
    let (status, _) = stack
        .post("/api/auth/beneficiary/step-up", Some(&token), wrong)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "step-up attempt 5");
    let (status, body) = stack
        .post(
            "/api/auth/beneficiary/step-up",
            Some(&token),
            json!({"iban_last4": "4242", "vitale_serial": "123456789"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")),
        "locked after five wrong step-ups, whatever level 1 did meanwhile"
    );
    // The level-1 sign-in has a count of its own, which the step-up's lock leaves alone.
    stack.sign_in(&nir, "1969-09-09", "STEP6969").await;
    stack.stop().await;
}
