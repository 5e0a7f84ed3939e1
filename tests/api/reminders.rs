//! The reminders job, run with `POST /dev/run/reminders`: rights ending within 4 months
//! without a renewal, drafts untouched for 14 days; by email and SMS; never twice.

use crate::helpers::*;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

async fn run(stack: &TestStack) -> Value {
    let (status, body) = stack.post("/dev/run/reminders", None, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["report"].clone()
}

#[tokio::test]
async fn reminders_go_once_to_those_who_have_not_renewed() {
    let stack = TestStack::start().await;
    let due = fresh_nir(71, 1);
    let started = fresh_nir(72, 2);
    let later = fresh_nir(73, 3);
    let mut due_line = beneficiary(
        &due,
        "1971-01-05",
        "RAPPEL01",
        "le-havre",
        &months_from_today(2),
    );
    due_line["email"] = json!("due@exemple.fr");
    stack
        .import(
            "reminders.jsonl",
            &[
                due_line.to_string(),
                beneficiary(
                    &started,
                    "1972-02-05",
                    "RAPPEL02",
                    "le-havre",
                    &months_from_today(2),
                )
                .to_string(),
                beneficiary(
                    &later,
                    "1973-03-05",
                    "RAPPEL03",
                    "le-havre",
                    &months_from_today(6),
                )
                .to_string(),
            ],
        )
        .await;
    // One of them started a renewal, then left it alone for 15 days.
    let token = stack.sign_in(&started, "1972-02-05", "RAPPEL02").await;
    let (_, draft) = stack.post("/api/renewals", Some(&token), json!({})).await;
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    let long_ago = c2s_domain::dates::format_instant(
        time::OffsetDateTime::now_utc() - time::Duration::days(15),
    );
    stack
        .clients
        .dynamo
        .update_item()
        .table_name(stack.table("RenewalsTable"))
        .key("pk", AttributeValue::S(id.clone()))
        .key("sk", AttributeValue::S("renewal".into()))
        .update_expression("SET updated_at = :t")
        .expression_attribute_values(":t", AttributeValue::S(long_ago))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let report = run(&stack).await;
    assert_eq!(
        (
            report["rights_ending"].as_u64(),
            report["drafts_idle"].as_u64(),
            report["messages"].as_u64()
        ),
        (Some(1), Some(1), Some(4)),
        "{report}"
    );
    let again = run(&stack).await;
    assert_eq!(
        (
            again["rights_ending"].as_u64(),
            again["drafts_idle"].as_u64(),
            again["messages"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );

    let outbox: Value = stack
        .http
        .get(format!("{}/dev/outbox", stack.url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or(Value::Null);
    let messages = outbox["messages"].as_array().cloned().unwrap_or_default();
    let to_due: Vec<(&str, &str)> = messages
        .iter()
        .filter(|m| m["kind"] == "rights_ending")
        .filter_map(|m| Some((m["channel"].as_str()?, m["to"].as_str()?)))
        .collect();
    assert_eq!(to_due, [("email", "due@exemple.fr"), ("sms", "0612345678")]);
    assert_eq!(
        messages
            .iter()
            .filter(|m| m["kind"] == "draft_idle")
            .count(),
        2
    );
    let text = outbox.to_string();
    for nir in [&due, &started, &later] {
        assert!(!text.contains(nir.as_str()), "no NIR in a message");
    }
    stack.stop().await;
}
