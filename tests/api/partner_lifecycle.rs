//! The daily partner lifecycle job, run with `POST /dev/run/partner-lifecycle`: conventions
//! ended, accounts deactivated and later deleted, password reminders; twice changes nothing.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn accounts_follow_their_conventions_and_age_out() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (ended, _) = stack
        .onboard_partner(&admin, "CCAS fermé", "alix@ccas-ferme.fr")
        .await;
    let (kept, kept_token) = stack
        .onboard_partner(&admin, "CCAS ouvert", "alix@ccas-ouvert.fr")
        .await;
    let (status, _) = stack.post("/dev/run/no-such-job", None, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every convention of one organisation ended yesterday.
    let yesterday = c2s_domain::dates::format_date(today().previous_day().unwrap_or(today()));
    let (status, _) = stack
        .post(
            &format!("/api/agent/partners/{ended}/conventions/{ROUEN}/terminate"),
            Some(&admin),
            json!({"date": yesterday}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let report = stack.run_job("partner-lifecycle").await;
    assert_eq!(
        (
            report["organisations"].as_u64(),
            report["organisations_deactivated"].as_u64(),
            report["accounts_deactivated"].as_u64(),
            report["caisses_removed"].as_u64()
        ),
        (Some(2), Some(1), Some(1), Some(1)),
        "{report}"
    );
    let (status, _) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": "alix@ccas-ferme.fr", "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = stack.get("/api/partner/requests", &kept_token).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the other organisation is untouched"
    );

    // Twice: nothing more to do.
    let again = stack.run_job("partner-lifecycle").await;
    assert_eq!(
        (
            again["accounts_deactivated"].as_u64(),
            again["caisses_removed"].as_u64(),
            again["accounts_deleted"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );

    // Six months after deactivation, the account is deleted and its address freed.
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{ended}"), &admin)
        .await;
    let aid = org["accounts"][0]["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    stack
        .age_account(&ended, &aid, AccountDate::Deactivated, 170)
        .await;
    assert_eq!(
        stack.run_job("partner-lifecycle").await["accounts_deleted"],
        0,
        "not yet due"
    );
    stack
        .age_account(&ended, &aid, AccountDate::Deactivated, 184)
        .await;
    assert_eq!(
        stack.run_job("partner-lifecycle").await["accounts_deleted"],
        1
    );
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{ended}"), &admin)
        .await;
    assert_eq!(org["accounts"], json!([]));

    // A password 85 days old gets one reminder, once.
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{kept}"), &admin)
        .await;
    let kept_aid = org["accounts"][0]["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    stack
        .age_account(&kept, &kept_aid, AccountDate::PasswordSet, 85)
        .await;
    assert_eq!(
        stack.run_job("partner-lifecycle").await["password_reminders"],
        1
    );
    assert_eq!(
        stack.run_job("partner-lifecycle").await["password_reminders"],
        0
    );
    let reminders = stack
        .outbox_for("alix@ccas-ouvert.fr")
        .await
        .iter()
        .filter(|m| m["kind"] == "password_reminder")
        .count();
    assert_eq!(reminders, 1);

    // Past 90 days the password must be renewed before anything else.
    stack
        .age_account(&kept, &kept_aid, AccountDate::PasswordSet, 91)
        .await;
    let (status, body) = stack.get("/api/partner/requests", &kept_token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_expired"))
    );
    let change = |new: &str| json!({"current_password": PARTNER_PASSWORD, "new_password": new});
    let (status, _) = stack
        .post(
            "/api/partner/password",
            Some(&kept_token),
            change(PARTNER_PASSWORD),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the same password again"
    );
    let (status, _) = stack
        .post(
            "/api/partner/password",
            Some(&kept_token),
            change("Quatre souris dans un grenier"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack.get("/api/partner/requests", &kept_token).await;
    assert_eq!(status, StatusCode::OK);

    // A gestionnaire's details change through the CPAM only.
    let (status, changed) = stack
        .put(
            &format!("/api/agent/partners/{kept}/accounts/{kept_aid}"),
            &admin,
            json!({"function": "Directrice", "phone": "02 35 11 22 33"}),
        )
        .await;
    assert_eq!(
        (status, changed["function"].as_str()),
        (StatusCode::OK, Some("Directrice"))
    );
    let (status, _) = stack
        .put(
            &format!("/api/agent/partners/{kept}/accounts/{kept_aid}"),
            &kept_token,
            json!({"function": "Moi-même"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a partner token is no agent token"
    );
    stack.stop().await;
}
