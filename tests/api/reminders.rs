//! The reminders job, run with `POST /dev/run/reminders`: rights ending within 4 months
//! without a renewal, drafts untouched for 14 days; by email and SMS; never twice.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn reminders_go_once_to_those_who_have_not_renewed() {
    let stack = TestStack::start().await;
    let due = fresh_nir(71, 1);
    let started = fresh_nir(72, 2);
    let later = fresh_nir(73, 3);
    let mut due_line = beneficiary(&due, "1971-01-05", "RAPPEL01", HAVRE, &months_from_today(2));
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
                    HAVRE,
                    &months_from_today(2),
                )
                .to_string(),
                beneficiary(
                    &later,
                    "1973-03-05",
                    "RAPPEL03",
                    HAVRE,
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
    stack.age_renewal(&id, 15).await;

    let report = stack.run_job("reminders").await;
    assert_eq!(
        (
            report["rights_ending"].as_u64(),
            report["drafts_idle"].as_u64(),
            report["messages"].as_u64()
        ),
        (Some(1), Some(1), Some(4)),
        "{report}"
    );
    let again = stack.run_job("reminders").await;
    assert_eq!(
        (
            again["rights_ending"].as_u64(),
            again["drafts_idle"].as_u64(),
            again["messages"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );

    // Sent by notify from the outbox queue, in no set order.
    let messages = stack.wait_for_messages(4).await;
    let to_due: Vec<(&str, &str)> = messages
        .iter()
        .filter(|m| m["kind"] == "rights_ending")
        .filter_map(|m| Some((m["channel"].as_str()?, m["to"].as_str()?)))
        .collect();
    assert_eq!(
        to_due,
        [("email", "due@exemple.fr"), ("sms", "+33612345678")]
    );
    assert_eq!(
        messages
            .iter()
            .filter(|m| m["kind"] == "draft_idle")
            .count(),
        2
    );
    let text = json!(messages).to_string();
    for nir in [&due, &started, &later] {
        assert!(!text.contains(nir.as_str()), "no NIR in a message");
    }
    stack.stop().await;
}
