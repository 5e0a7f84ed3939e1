//! Drives queue-triggered functions as the Lambda event source mapping does: receive a batch,
//! hand it over as the SQS event's JSON, delete what succeeded (all of it unless the function
//! reports `batchItemFailures`; none of it when the invocation fails), and let the failed
//! messages come back (and, after `maxReceiveCount`, go to the dead-letter queue).

use crate::functions::Function;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// `sqs` is the function's own client: the event source mapping receives and deletes with
/// the function's role (kms:Decrypt of an encrypted queue included). `admin` only hurries a
/// failed message back, which AWS does by its visibility timeout, unless the function sets
/// its failed messages' delay itself (`backs_off`: a back-off is what is tested then).
#[allow(clippy::too_many_arguments)]
pub async fn run(
    sqs: aws_sdk_sqs::Client,
    admin: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    region: String,
    batch: i32,
    backs_off: bool,
    function: Arc<Function>,
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
        let event = crate::events::sqs_event(&messages, &queue_arn, &region);
        let failed: HashSet<String> = match function
            .invoke(event)
            .await
            .map_err(|e| e.to_string())
            .and_then(|answer| crate::events::batch_failures(&answer).map_err(|e| e.to_string()))
        {
            Ok(failed) => failed,
            // Stopping: the functions' processes are going away, the messages come back.
            Err(_) if *stop.borrow() => return,
            Err(outcome) => {
                // As Lambda: a failed invocation returns the whole batch to the queue.
                tracing::warn!(function = %function.name, %outcome, "batch not processed");
                messages
                    .iter()
                    .filter_map(|m| m.message_id.clone())
                    .collect()
            }
        };
        let mut done = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let (Some(id), Some(handle)) = (&m.message_id, &m.receipt_handle) else {
                continue;
            };
            if failed.contains(id) {
                if backs_off {
                    continue;
                }
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
