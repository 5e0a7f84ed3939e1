//! A partner files for the people it accompanies: consent, the letter's three answers, the
//! beneficiary routes with the partner's own token, who filed it, amounts only for a legal
//! guardian, another organisation kept out, and access lost when the convention ends.

use crate::helpers::*;
use c2s_domain::partner::FILING_CHECKS_PER_HOUR;
use serde_json::json;

#[tokio::test]
async fn a_partner_files_with_consent_and_sees_no_amounts_unless_guardian() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid_a, partner_a) = stack
        .onboard_partner(&admin, "CCAS A", "alix@ccas-a.fr")
        .await;
    let (pid_g, guardian) = stack
        .onboard_partner(&admin, "UDAF G", "alix@udaf-g.fr")
        .await;
    let (_, partner_b) = stack
        .onboard_partner(&admin, "Mission locale B", "alix@ml-b.fr")
        .await;

    let x = fresh_nir(62, 4);
    let y = fresh_nir(48, 9);
    let mut protected = beneficiary(&y, "1948-09-02", "TUTELLE1", ROUEN, &months_from_today(2));
    protected["guardian_partner_id"] = json!(pid_g);
    stack
        .import(
            "filing.jsonl",
            &[
                beneficiary(&x, "1962-04-05", "LETTRE62", ROUEN, &months_from_today(3)).to_string(),
                protected.to_string(),
            ],
        )
        .await;

    // Consent first, then the letter's three answers, as for the person's own sign-in.
    let file = |nir: &str, birth: &str, code: &str, consent: bool| json!({"nir": nir, "birth_date": birth, "renewal_code": code, "consent": consent});
    let (status, body) = stack
        .post(
            "/api/partner/renewals",
            Some(&partner_a),
            file(&x, "1962-04-05", "LETTRE62", false),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("consent_required"))
    );
    let (status, body) = stack
        .post(
            "/api/partner/renewals",
            Some(&partner_a),
            file(&x, "1962-04-05", "LETTRE00", true),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let (status, draft) = stack
        .post(
            "/api/partner/renewals",
            Some(&partner_a),
            file(&x, "1962-04-05", "lettre62", true),
        )
        .await;
    assert_eq!(
        (status, draft["status"].as_str()),
        (StatusCode::CREATED, Some("draft")),
        "{draft}"
    );
    assert_eq!(
        (
            draft["filed_by"]["partner_id"].as_str(),
            draft["filed_by"]["partner_name"].as_str()
        ),
        (Some(pid_a.as_str()), Some("CCAS A"))
    );
    assert_eq!(draft["history"][0]["actor"], "partner");
    let id = draft["id"].as_str().unwrap_or_default().to_owned();

    // The partner fills and submits through the beneficiary routes with its own token.
    let path = format!("/api/renewals/{id}");
    let form = json!({"version": 1, "household": draft["household"], "resources": [], "housing": {"status": "housed_free"}, "manager": "caisse"});
    let (status, _) = stack.put(&path, &partner_a, form).await;
    assert_eq!(status, StatusCode::OK);
    let (status, submitted) = stack
        .post(&format!("{path}/submit"), Some(&partner_a), json!({}))
        .await;
    assert_eq!(
        (status, submitted["status"].as_str()),
        (StatusCode::OK, Some("submitted"))
    );
    assert_eq!(submitted["history"][1]["actor"], "partner");
    assert!(
        submitted.get("estimate").is_none(),
        "no amounts for a partner who is not guardian"
    );

    // The beneficiary sees who filed it.
    let me = stack.sign_in(&x, "1962-04-05", "LETTRE62").await;
    let (_, mine) = stack.get(&path, &me).await;
    assert_eq!(mine["filed_by"]["partner_name"], "CCAS A");

    // Another organisation: 404 on the renewal, the partner's own list only holds its own.
    let (status, _) = stack.get(&path, &partner_b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = stack.put(&path, &partner_b, json!({"version": 3})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let routes = [
        stack.post(&format!("{path}/submit"), Some(&partner_b), json!({})).await,
        stack.post(&format!("{path}/withdraw"), Some(&partner_b), json!({})).await,
        stack.post(&format!("{path}/documents"), Some(&partner_b), json!({"kind": "payslip", "filename": "a.pdf", "content_type": "application/pdf", "size": 10})).await,
        stack.call(reqwest::Method::DELETE, &format!("{path}/documents/any"), Some(&partner_b), None).await,
    ];
    for (status, body) in routes {
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "organisation B on A's renewal: {body}"
        );
    }
    let (_, list_b) = stack.get("/api/partner/requests", &partner_b).await;
    assert_eq!(list_b["items"], json!([]));
    let (_, list_a) = stack.get("/api/partner/requests", &partner_a).await;
    assert_eq!(list_a["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list_a["items"][0]["status"], "submitted");
    assert!(
        !list_a.to_string().contains("cents"),
        "never an amount: {list_a}"
    );

    // The legal guardian sees the amounts.
    let (status, g) = stack
        .post(
            "/api/partner/renewals",
            Some(&guardian),
            file(&y, "1948-09-02", "TUTELLE1", true),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_str().unwrap_or_default().to_owned();
    let form = json!({"version": 1, "household": g["household"], "resources": [{"member": "applicant", "kind": "pension", "monthly_cents": 95000}], "housing": {"status": "owner"}, "manager": "caisse"});
    let (status, filled) = stack
        .put(&format!("/api/renewals/{gid}"), &guardian, form)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        filled.get("estimate").is_some(),
        "a guardian sees the amounts: {filled}"
    );
    let (status, _) = stack.get(&format!("/api/renewals/{gid}"), &partner_a).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The convention with the caisse ends: access is lost at once.
    let (status, _) = stack
        .post(
            &format!("/api/agent/partners/{pid_a}/conventions/{ROUEN}/terminate"),
            Some(&admin),
            json!({"date": c2s_domain::dates::format_date(today())}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = stack.get(&path, &partner_a).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("convention_ended"))
    );
    // Filing again: the convention is checked before the letter, which it does not confirm.
    let (status, body) = stack
        .post(
            "/api/partner/renewals",
            Some(&partner_a),
            file(&x, "1962-04-05", "LETTRE62", true),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_partner_takes_up_a_renewal_the_beneficiary_started() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner_a) = stack
        .onboard_partner(&admin, "France Services", "alix@fs.fr")
        .await;
    let x = fresh_nir(70, 6);
    stack
        .import(
            "takeup.jsonl",
            &[beneficiary(&x, "1970-06-06", "REPRISE7", ROUEN, &months_from_today(1)).to_string()],
        )
        .await;
    let me = stack.sign_in(&x, "1970-06-06", "REPRISE7").await;
    let (_, started) = stack.post("/api/renewals", Some(&me), json!({})).await;
    let (status, taken) = stack.post("/api/partner/renewals", Some(&partner_a), json!({"nir": x, "birth_date": "1970-06-06", "renewal_code": "REPRISE7", "consent": true})).await;
    assert_eq!(
        (status, taken["id"].clone()),
        (StatusCode::OK, started["id"].clone())
    );
    assert_eq!(taken["filed_by"]["partner_name"], "France Services");
    // A partner's token does not start renewals on the beneficiary route.
    let (status, _) = stack
        .post("/api/renewals", Some(&partner_a), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    stack.stop().await;
}

/// The account behind a gestionnaire's token (its organisation's only account).
async fn own_account_id(stack: &TestStack, token: &str) -> String {
    let (_, accounts) = stack.get("/api/partner/accounts", token).await;
    accounts["items"][0]["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_convention_comes_before_the_letter_and_each_account_has_its_limit() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS Rouen", "alix@ccas-rouen.fr")
        .await;
    let account = own_account_id(&stack, &partner).await;
    let havrais = fresh_nir(66, 2);
    stack
        .import(
            "other-caisse.jsonl",
            &[beneficiary(
                &havrais,
                "1966-02-02",
                "HAVRE066",
                HAVRE,
                &months_from_today(2),
            )
            .to_string()],
        )
        .await;

    // A person of a caisse without a convention: the right answers tell nothing, and the
    // refusal names the account in the log.
    let (status, body) = stack
        .post("/api/partner/renewals", Some(&partner), json!({"nir": havrais, "birth_date": "1966-02-02", "renewal_code": "HAVRE066", "consent": true}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
        "{body}"
    );
    assert!(
        captured_logs()
            .lines()
            .any(|l| l.contains("partner letter check refused") && l.contains(&account)),
        "the refusal names the account"
    );

    // Each account checks a bounded number of letters an hour, right or wrong (the count
    // runs per clock hour: not across the top of one).
    let into_hour = time::OffsetDateTime::now_utc().unix_timestamp() % 3600;
    if into_hour > 3600 - 60 {
        tokio::time::sleep(std::time::Duration::from_secs((3601 - into_hour) as u64)).await;
    }
    let mut answers = Vec::new();
    for _ in 0..FILING_CHECKS_PER_HOUR {
        let (status, body) = stack
            .post("/api/partner/renewals", Some(&partner), json!({"nir": fresh_nir(70, 1), "birth_date": "1970-01-01", "renewal_code": "ABCDEFGH", "consent": true}))
            .await;
        answers.push((status, body["code"].clone()));
    }
    assert_eq!(
        answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
            .count() as u64,
        FILING_CHECKS_PER_HOUR - 1,
        "{answers:?}"
    );
    let (status, body) = answers.last().cloned().unwrap_or_default();
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    stack.stop().await;
}

#[tokio::test]
async fn an_expired_password_or_old_conditions_hold_a_partner_back_on_the_beneficiary_routes() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "France Services Elbeuf", "alix@fs-elbeuf.fr")
        .await;
    let account = own_account_id(&stack, &partner).await;
    let x = fresh_nir(58, 7);
    stack
        .import(
            "duties.jsonl",
            &[beneficiary(&x, "1958-07-07", "DEVOIRS5", ROUEN, &months_from_today(2)).to_string()],
        )
        .await;
    let (status, draft) = stack
        .post("/api/partner/renewals", Some(&partner), json!({"nir": x, "birth_date": "1958-07-07", "renewal_code": "DEVOIRS5", "consent": true}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let path = format!("/api/renewals/{}", draft["id"].as_str().unwrap_or_default());
    let routes = |code: &'static str| {
        let (stack, path, partner) = (&stack, &path, &partner);
        async move {
            let form = json!({"version": 1, "housing": {"status": "housed_free"}});
            for (status, body) in [
                stack.get(path, partner).await,
                stack.put(path, partner, form).await,
                stack.post(&format!("{path}/submit"), Some(partner), json!({})).await,
                stack.post(&format!("{path}/withdraw"), Some(partner), json!({})).await,
                stack.post(&format!("{path}/documents"), Some(partner), json!({"kind": "payslip", "filename": "a.pdf", "content_type": "application/pdf", "size": 10})).await,
            ] {
                assert_eq!(
                    (status, body["code"].as_str()),
                    (StatusCode::FORBIDDEN, Some(code)),
                    "{body}"
                );
            }
        }
    };

    // The password expired: nothing but renewing it.
    stack
        .age_account(&pid, &account, AccountDate::PasswordSet, 91)
        .await;
    routes("password_expired").await;
    let (status, body) = stack
        .post("/api/partner/password", Some(&partner), json!({"current_password": PARTNER_PASSWORD, "new_password": "Quatre chiens dans un pré 2027"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = stack.get(&path, &partner).await;
    assert_eq!(status, StatusCode::OK);

    // Conditions of use accepted in an older version: the current ones first.
    stack
        .set_accepted_conditions(&pid, &account, "2025-01")
        .await;
    routes("cgu_not_accepted").await;
    let (status, signed) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": "alix@fs-elbeuf.fr", "password": "Quatre chiens dans un pré 2027"}),
        )
        .await;
    assert_eq!(
        (status, signed["cgu_accepted"].as_bool()),
        (StatusCode::OK, Some(false)),
        "the sign-in says the conditions in force are still to accept: {signed}"
    );
    let (_, body) = stack.get(&path, &partner).await;
    assert_eq!(body["cgu_version"], c2s_domain::partner::CGU_VERSION);
    let (status, _) = stack
        .post(
            "/api/partner/cgu",
            Some(&partner),
            json!({"version": c2s_domain::partner::CGU_VERSION}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack.get(&path, &partner).await;
    assert_eq!(status, StatusCode::OK);
    stack.stop().await;
}
