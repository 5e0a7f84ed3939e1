//! The daily partner lifecycle job, run with `POST /dev/run/partner-lifecycle`: conventions
//! ended, accounts deactivated and later deleted, password reminders; twice changes nothing.

use crate::helpers::*;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

const CAISSE: &str = "rouen-elbeuf-dieppe";

async fn run(stack: &TestStack) -> Value {
    let (status, body) = stack
        .post("/dev/run/partner-lifecycle", None, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["report"].clone()
}

/// Moves a date of an account back in time, as if it had been set `days` ago.
async fn age(stack: &TestStack, pid: &str, aid: &str, attribute: &str, days: i64) {
    let when = time::OffsetDateTime::now_utc() - time::Duration::days(days);
    stack
        .clients
        .dynamo
        .update_item()
        .table_name(stack.table("PartnersTable"))
        .key("pk", AttributeValue::S(format!("org#{pid}")))
        .key("sk", AttributeValue::S(format!("account#{aid}")))
        .update_expression("SET #a = :t")
        .expression_attribute_names("#a", attribute)
        .expression_attribute_values(
            ":t",
            AttributeValue::S(c2s_domain::dates::format_instant(when)),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn accounts_follow_their_conventions_and_age_out() {
    let stack = TestStack::start().await;
    let (_, admin) = stack
        .post(
            "/dev/token",
            None,
            json!({"sub": "P1", "name": "Admin", "caisse": CAISSE, "roles": ["admin_partenaires"]}),
        )
        .await;
    let admin = admin["token"].as_str().unwrap_or_default().to_owned();
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
            &format!("/api/agent/partners/{ended}/conventions/{CAISSE}/terminate"),
            Some(&admin),
            json!({"date": yesterday}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let report = run(&stack).await;
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
            json!({"email": "alix@ccas-ferme.fr", "password": "Trois chats sur un toit 2026"}),
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
    let again = run(&stack).await;
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
    age(&stack, &ended, &aid, "deactivated_at", 170).await;
    assert_eq!(run(&stack).await["accounts_deleted"], 0, "not yet due");
    age(&stack, &ended, &aid, "deactivated_at", 184).await;
    assert_eq!(run(&stack).await["accounts_deleted"], 1);
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
    age(&stack, &kept, &kept_aid, "password_set_at", 85).await;
    assert_eq!(run(&stack).await["password_reminders"], 1);
    assert_eq!(run(&stack).await["password_reminders"], 0);
    let outbox: Value = stack
        .http
        .get(format!("{}/dev/outbox", stack.url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or(Value::Null);
    let reminders = outbox["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["kind"] == "password_reminder" && m["to"] == "alix@ccas-ouvert.fr")
        .count();
    assert_eq!(reminders, 1);

    // Past 90 days the password must be renewed before anything else.
    age(&stack, &kept, &kept_aid, "password_set_at", 91).await;
    let (status, body) = stack.get("/api/partner/requests", &kept_token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_expired"))
    );
    let change = |new: &str| json!({"current_password": "Trois chats sur un toit 2026", "new_password": new});
    let (status, _) = stack
        .post(
            "/api/partner/password",
            Some(&kept_token),
            change("Trois chats sur un toit 2026"),
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
