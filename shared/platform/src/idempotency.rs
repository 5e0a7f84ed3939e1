//! Idempotency records for queue consumers: SQS delivers at least once, so each unit of work
//! is claimed before it runs and marked done after. A claim left by a crashed run expires.
//! [`IdempotencyStore::run_once`] is the whole protocol; `claim`, `complete` and `release`
//! are its steps.

use crate::store::{n, s, sdk_error, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::future::Future;
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

/// What [`IdempotencyStore::run_once`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Once<T> {
    /// The work ran now (and is recorded as done).
    Ran(T),
    /// Done before: nothing ran.
    AlreadyDone,
}

/// Another run holds the claim and it has not expired: try again later. Each caller's error
/// type says what that means for it (`From<InProgress>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("another run holds this unit of work")]
pub struct InProgress;

#[derive(Clone, Debug)]
pub struct IdempotencyStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

crate::store::table_store!(IdempotencyStore, "IDEMPOTENCY_TABLE");

/// How long a finished record is kept (then TTL removes it).
const KEEP_DONE_SECONDS: i64 = 35 * 24 * 3600;

impl IdempotencyStore {
    /// Runs `work` once per `key`: claims the key (for `in_progress_seconds`), runs `work`,
    /// then records it done with the counts `summary` gives. If `work` fails, the claim is
    /// given back so that a redelivery can start at once (a failed release is only logged: the
    /// claim then expires) and `work`'s error is returned. A failed `complete` is an error, and
    /// the claim stays until it expires.
    pub async fn run_once<T, E, W, Fut, S>(
        &self,
        key: &str,
        in_progress_seconds: i64,
        work: W,
        summary: S,
    ) -> Result<Once<T>, E>
    where
        W: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        S: FnOnce(&T) -> HashMap<String, u64>,
        E: From<StoreError> + From<InProgress>,
    {
        // Each step and the work are boxed: the SDK's futures are deep, and this one more level
        // of nesting otherwise takes a consumer's future past the compiler's layout depth limit
        // ("queries overflow the depth limit" when building the Lambda binary).
        match Box::pin(self.claim(key, in_progress_seconds)).await? {
            Claim::AlreadyDone => return Ok(Once::AlreadyDone),
            Claim::InProgress => return Err(InProgress.into()),
            Claim::Started => {}
        }
        match Box::pin(work()).await {
            Ok(value) => {
                Box::pin(self.complete(key, summary(&value))).await?;
                Ok(Once::Ran(value))
            }
            Err(e) => {
                if let Err(release) = Box::pin(self.release(key)).await {
                    // The kind of work only: the rest of a key may name a person's records.
                    let unit = key.split('#').next().unwrap_or_default();
                    tracing::warn!(unit, error = %release, "could not release the claim");
                }
                Err(e)
            }
        }
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
                let done = self
                    .record(key)
                    .await?
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

    /// The record under `key`, read consistently.
    async fn record(
        &self,
        key: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item)
    }

    /// The last day a daily job finished (`YYYY-MM-DD` under `key`), so the next run reads
    /// from the day after: the days it did not run are caught up. Kept as long as a finished
    /// record; a job off for longer starts again from what it reads when it has none.
    pub async fn watermark(&self, key: &str) -> Result<Option<time::Date>, StoreError> {
        let record = self.record(key).await?;
        let Some(day) = record
            .as_ref()
            .and_then(|i| i.get("day"))
            .and_then(|v| v.as_s().ok())
        else {
            return Ok(None);
        };
        c2s_domain::dates::parse_date(day)
            .map(Some)
            .map_err(|_| StoreError::Corrupt(format!("watermark {key}")))
    }

    pub async fn set_watermark(&self, key: &str, day: time::Date) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(key))
            .item("day", s(c2s_domain::dates::format_date(day)))
            .item("expires_at", n(now + KEEP_DONE_SECONDS))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Keeps a claim alive while its work goes on (a heartbeat): `in_progress_seconds` more
    /// from now, if it is still in progress. `false` when it is not any more (completed, or
    /// released): nothing was changed then. A stalled run whose claim another took renews
    /// that one: harmless, since the work it guards is the same deterministic writes.
    pub async fn renew(&self, key: &str, in_progress_seconds: i64) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let renewed = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression("SET in_progress_expires_at = :until")
            .condition_expression("#st = :in_progress")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":until", n(now + in_progress_seconds))
            .send()
            .await
            .map_err(sdk_error);
        match renewed {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Records part `index` of `total` as done under `key` (a set of part numbers, so that a
    /// part recorded twice counts once) and answers how many distinct parts are done: the
    /// caller that sees `total` finishes the whole.
    pub async fn done_part(&self, key: &str, index: u32, total: u32) -> Result<u32, StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression(
                "ADD parts_done :part SET parts_total = :total, expires_at = :expires",
            )
            .expression_attribute_values(":part", AttributeValue::Ns(vec![index.to_string()]))
            .expression_attribute_values(":total", n(total))
            .expression_attribute_values(":expires", n(now + KEEP_DONE_SECONDS))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await
            .map_err(sdk_error)?;
        let done = out
            .attributes
            .as_ref()
            .and_then(|a| a.get("parts_done"))
            .and_then(|v| v.as_ns().ok())
            .map_or(0, Vec::len);
        u32::try_from(done).map_err(|_| StoreError::Corrupt(format!("parts of {key}")))
    }

    /// The counts a completed unit of work was recorded with (`complete`'s summary); `None`
    /// when it is not completed.
    pub async fn summary(&self, key: &str) -> Result<Option<HashMap<String, u64>>, StoreError> {
        let Some(item) = self.record(key).await? else {
            return Ok(None);
        };
        if item
            .get("status")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
            != Some("completed")
        {
            return Ok(None);
        }
        Ok(Some(
            item.iter()
                .filter_map(|(k, v)| {
                    let name = k.strip_prefix("count_")?;
                    Some((name.to_owned(), v.as_n().ok()?.parse().ok()?))
                })
                .collect(),
        ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    use std::cell::Cell;

    #[derive(Debug, PartialEq, Eq, thiserror::Error)]
    enum TestError {
        #[error("in progress")]
        InProgress,
        #[error("store: {0}")]
        Store(String),
        #[error("the work failed")]
        Work,
    }

    impl From<StoreError> for TestError {
        fn from(e: StoreError) -> Self {
            TestError::Store(e.to_string())
        }
    }

    impl From<InProgress> for TestError {
        fn from(_: InProgress) -> Self {
            TestError::InProgress
        }
    }

    /// A fresh table on the emulator (`AWS_ENDPOINT_URL`, as `infra/test` sets it); `None`
    /// without one.
    async fn store() -> Option<IdempotencyStore> {
        if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
            eprintln!("no emulator (AWS_ENDPOINT_URL): run_once is not tested here");
            return None;
        }
        let client = aws_sdk_dynamodb::Client::new(&crate::aws::sdk_config().await);
        let table = format!("test-idempotency-{}", uuid::Uuid::new_v4());
        let created = client
            .create_table()
            .table_name(&table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .ok()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .ok()?,
            )
            .send()
            .await;
        created.unwrap_or_else(|e| {
            panic!(
                "create table: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            )
        });
        Some(IdempotencyStore::new(client, table))
    }

    async fn drop_table(store: IdempotencyStore) {
        let _ = store
            .client
            .delete_table()
            .table_name(&store.table)
            .send()
            .await;
    }

    #[tokio::test]
    async fn run_once_runs_once_and_a_failure_lets_a_retry_run() {
        let Some(store) = store().await else { return };
        let runs = Cell::new(0);
        let work = || async {
            runs.set(runs.get() + 1);
            Ok::<_, TestError>(7)
        };
        let counts = |n: &u64| HashMap::from([("n".to_owned(), *n)]);
        assert_eq!(
            store.run_once("unit#a", 60, work, counts).await,
            Ok(Once::Ran(7))
        );
        assert_eq!(
            store.run_once("unit#a", 60, work, counts).await,
            Ok(Once::AlreadyDone)
        );
        assert_eq!(runs.get(), 1, "the second call does not run the work");

        // A failing work gives the claim back: the retry runs at once.
        let failed = store
            .run_once(
                "unit#b",
                60,
                || async { Err::<u64, _>(TestError::Work) },
                counts,
            )
            .await;
        assert_eq!(failed, Err(TestError::Work));
        assert_eq!(
            store.run_once("unit#b", 60, work, counts).await,
            Ok(Once::Ran(7))
        );
        assert_eq!(runs.get(), 2);

        // A claim held by another run, not expired: InProgress, through the caller's error.
        assert!(matches!(
            store.claim("unit#c", 60).await,
            Ok(Claim::Started)
        ));
        assert_eq!(
            store.run_once("unit#c", 60, work, counts).await,
            Err(TestError::InProgress)
        );
        assert_eq!(runs.get(), 2);
        drop_table(store).await;
    }
}
