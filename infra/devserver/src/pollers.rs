//! Drives queue-triggered functions as the Lambda event source mapping does: receive a batch,
//! hand it over as a real `SqsEvent`, delete what succeeded, and let the failed messages
//! come back (and, after `maxReceiveCount`, go to the dead-letter queue).

use crate::functions::QueueHandler;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::watch;

/// `sqs` is the function's own client: the event source mapping receives and deletes with
/// the function's role (kms:Decrypt of an encrypted queue included). `admin` only hurries a
/// failed message back, which AWS does by its visibility timeout.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    sqs: aws_sdk_sqs::Client,
    admin: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    region: String,
    batch: i32,
    handler: QueueHandler,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let received = tokio::select! {
            r = sqs.receive_message().queue_url(&queue_url).max_number_of_messages(batch.clamp(1, 10)).wait_time_seconds(1).message_system_attribute_names(MessageSystemAttributeName::All).send() => r,
            _ = stop.changed() => return,
        };
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(queue = %queue_arn, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "receive failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let mut event = SqsEvent::default();
        for m in &messages {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body.clone();
            record.md5_of_body = m.md5_of_body.clone();
            record.attributes = m
                .attributes
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect();
            record.event_source = Some("aws:sqs".into());
            record.event_source_arn = Some(queue_arn.clone());
            record.aws_region = Some(region.clone());
            event.records.push(record);
        }
        let response = handler(event).await;
        let failed: HashSet<String> = response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        let mut done = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let (Some(id), Some(handle)) = (&m.message_id, &m.receipt_handle) else {
                continue;
            };
            if failed.contains(id) {
                // Back in the queue shortly, as after a visibility timeout.
                let _ = admin
                    .change_message_visibility()
                    .queue_url(&queue_url)
                    .receipt_handle(handle)
                    .visibility_timeout(1)
                    .send()
                    .await;
            } else if let Ok(entry) = DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(handle)
                .build()
            {
                done.push(entry);
            }
        }
        if !done.is_empty() {
            if let Err(e) = sqs
                .delete_message_batch()
                .queue_url(&queue_url)
                .set_entries(Some(done))
                .send()
                .await
            {
                tracing::warn!(queue = %queue_arn, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "delete failed");
            }
        }
    }
}
