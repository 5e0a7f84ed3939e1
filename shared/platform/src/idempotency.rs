//! Idempotency records for queue consumers: SQS delivers at least once, so each unit of work
//! is claimed before it runs and marked done after. A claim left by a crashed run expires.

use crate::store::{n, s, sdk_error, StoreError};
use std::collections::HashMap;
use time::OffsetDateTime;

#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Ours to do now.
    Started,
    /// Done before: do nothing.
    AlreadyDone,
    /// Another run holds it and has not expired: try again later.
    InProgress,
}

#[derive(Clone, Debug)]
pub struct IdempotencyStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// How long a finished record is kept (then TTL removes it).
const KEEP_DONE_SECONDS: i64 = 35 * 24 * 3600;

impl IdempotencyStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    pub async fn claim(&self, key: &str, in_progress_seconds: i64) -> Result<Claim, StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(key))
            .item("status", s("in_progress"))
            .item("in_progress_expires_at", n(now + in_progress_seconds))
            .item("expires_at", n(now + KEEP_DONE_SECONDS))
            .condition_expression("attribute_not_exists(pk) OR (#st = :in_progress AND in_progress_expires_at < :now)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match put.map_err(sdk_error) {
            Ok(_) => Ok(Claim::Started),
            Err(StoreError::Conflict) => {
                let out = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s(key))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                let done = out
                    .item
                    .as_ref()
                    .and_then(|i| i.get("status"))
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|v| v == "completed");
                Ok(if done {
                    Claim::AlreadyDone
                } else {
                    Claim::InProgress
                })
            }
            Err(e) => Err(e),
        }
    }

    pub async fn complete(
        &self,
        key: &str,
        summary: HashMap<String, u64>,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(key))
            .item("status", s("completed"))
            .item("completed_at", n(now))
            .item("expires_at", n(now + KEEP_DONE_SECONDS));
        for (k, v) in summary {
            req = req.item(format!("count_{k}"), n(v));
        }
        req.send().await.map_err(sdk_error)?;
        Ok(())
    }

    /// Gives a claim back after a failure so a redelivery can start at once.
    pub async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .condition_expression("#st = :in_progress")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .send()
            .await
            .map_err(sdk_error)
            .map(|_| ())
            .or_else(|e| {
                if matches!(e, StoreError::Conflict) {
                    Ok(())
                } else {
                    Err(e)
                }
            })
    }
}
