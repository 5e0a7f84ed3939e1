//! Queue consumers through the dev server's pollers, as Lambda's event source mapping runs
//! them: partial batch failures come back, and a poison message ends in the dead-letter queue
//! after its receives (3; 10 for the document check, whose poison messages come back at once
//! while the others back off).

use crate::helpers::*;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use std::time::{Duration, Instant};

pub(crate) async fn dead_letters(stack: &TestStack, queue: &str) -> Vec<String> {
    let out = stack
        .clients
        .sqs()
        .receive_message()
        .queue_url(stack.queue(queue))
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await;
    out.ok()
        .and_then(|o| o.messages)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

#[tokio::test]
async fn a_poison_message_ends_in_the_dead_letter_queue_after_three_receives() {
    let stack = TestStack::start().await;
    for queue in ["SyncInQueue", "DocumentCheckQueue"] {
        stack
            .clients
            .sqs()
            .send_message()
            .queue_url(stack.queue(queue))
            .message_body("{\"not\": \"an S3 event\"}")
            .send()
            .await
            .unwrap_or_else(|e| panic!("send: {e}"));
    }
    for dlq in ["SyncInDeadLetterQueue", "DocumentCheckDeadLetterQueue"] {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut found = Vec::new();
        while found.is_empty() && Instant::now() < deadline {
            found = dead_letters(&stack, dlq).await;
        }
        assert_eq!(
            found,
            vec!["{\"not\": \"an S3 event\"}".to_owned()],
            "{dlq}"
        );
    }
    stack.stop().await;
}

fn message(id: &str, body: &str) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.to_owned());
    m.body = Some(body.to_owned());
    m
}

#[tokio::test]
async fn only_the_failed_messages_of_a_batch_are_reported() {
    let stack = TestStack::start().await;
    let (env, clients) = stack.function("SyncInFunction");
    let app = sync_in::App::from_env(&env, &clients).unwrap();
    let good = serde_json::json!({"Service": "Amazon S3", "Event": "s3:TestEvent"}).to_string();
    let mut event = SqsEvent::default();
    event.records = vec![
        message("ok-1", &good),
        message("bad-2", "not json at all"),
        message("ok-3", &good),
    ];
    let response = sync_in::handle(&app, event).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    assert_eq!(failed, vec!["bad-2".to_owned()]);
    stack.stop().await;
}
