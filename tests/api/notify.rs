//! `notify`, the outbox queue's consumer, through the dev server's poller: what it renders
//! reaches the emulator's SES and SNS (and `/dev/outbox` shows what they say was sent), a
//! message that cannot be sent fails alone and ends in the dead-letter queue after 3
//! receives, and a message delivered twice is sent once.

use crate::helpers::*;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use serde_json::json;
use std::time::{Duration, Instant};

fn sqs_message(id: &str, body: &str) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.to_owned());
    m.body = Some(body.to_owned());
    m
}

#[tokio::test]
async fn what_can_be_sent_is_sent_and_the_rest_ends_in_the_dead_letter_queue() {
    let stack = TestStack::start().await;
    let idle = |id: &str, channel: &str, to: &str| {
        json!({"id": id, "channel": channel, "to": to, "kind": "draft_idle", "data": {"first_name": "Lou", "link": stack.url}}).to_string()
    };
    let poison = [
        // An activation link never goes by SMS.
        json!({"id": "p1", "channel": "sms", "to": "0611111111", "kind": "partner_activation", "data": {"first_name": "Lou", "organisation": "CCAS", "link": format!("{}/partenaire/activation#x", stack.url)}}).to_string(),
        // No template for this kind.
        json!({"id": "p2", "channel": "email", "to": "lou@notify.test", "kind": "decision", "data": {}}).to_string(),
    ];
    let good = [
        idle("g1", "email", "lou@notify.test"),
        idle("g2", "sms", "07 11 22 33 44"),
    ];
    for body in poison.iter().chain(&good) {
        stack
            .clients
            .sqs()
            .send_message()
            .queue_url(stack.queue("OutboxQueue"))
            .message_body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("send: {e}"));
    }

    let email = stack
        .wait_for_message("lou@notify.test", "draft_idle")
        .await;
    assert_eq!(
        email["subject"],
        "Votre demande de renouvellement n'est pas encore envoyée"
    );
    assert!(email["body"]
        .as_str()
        .is_some_and(|b| b.starts_with("Bonjour Lou,") && b.contains(&stack.url)));
    let sms = stack.wait_for_message("+33711223344", "draft_idle").await;
    assert_eq!(sms["channel"], "sms");
    assert!(!sms["body"].as_str().unwrap_or("Lou").contains("Lou"));

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut dead = Vec::new();
    while dead.len() < poison.len() && Instant::now() < deadline {
        let out = stack
            .clients
            .sqs()
            .receive_message()
            .queue_url(stack.queue("OutboxDeadLetterQueue"))
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await;
        dead.extend(
            out.ok()
                .and_then(|o| o.messages)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.body),
        );
    }
    dead.sort();
    let mut expected = poison.to_vec();
    expected.sort();
    assert_eq!(dead, expected);
    assert_eq!(stack.outbox().await.len(), 2, "nothing else left");
    stack.stop().await;
}

#[tokio::test]
async fn only_the_failed_messages_are_reported_and_a_redelivery_sends_nothing_twice() {
    let stack = TestStack::start_with(false).await;
    let (env, clients) = stack.function("NotifyFunction");
    let app = notify::App::from_env(&env, &clients).unwrap();
    let reminder = json!({"id": "r1", "channel": "email", "to": "sam@notify.test", "kind": "password_reminder", "data": {"first_name": "Sam", "link": format!("{}/partenaire/mot-de-passe", stack.url)}}).to_string();
    let not_a_mobile = json!({"id": "r2", "channel": "sms", "to": "0235000000", "kind": "draft_idle", "data": {"first_name": "Sam", "link": stack.url}}).to_string();
    let mut event = SqsEvent::default();
    event.records = vec![
        sqs_message("m-1", &reminder),
        sqs_message("m-2", "not json"),
        sqs_message("m-3", &not_a_mobile),
        sqs_message("m-4", &reminder),
    ];
    let response = notify::handle(&app, event).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    assert_eq!(failed, ["m-2", "m-3"]);
    let sent = stack
        .wait_for_message("sam@notify.test", "password_reminder")
        .await;
    assert!(sent["body"]
        .as_str()
        .is_some_and(|b| b.contains("/partenaire/mot-de-passe")));
    assert_eq!(
        stack.outbox().await.len(),
        1,
        "the same message twice is sent once"
    );
    stack.stop().await;
}
