//! Sign-in throttling: 5 failures for one key within 15 minutes lock it for the next
//! 15 minutes. The key is a keyed hash, never an identifier in clear.

use crate::store::{n, s, sdk_error, StoreError};
use time::OffsetDateTime;

pub const MAX_FAILURES: u64 = 5;
pub const WINDOW_SECONDS: i64 = 15 * 60;
pub const LOCK_SECONDS: i64 = 15 * 60;

#[derive(Clone, Debug)]
pub struct RateLimiter {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

crate::store::table_store!(RateLimiter, "RATE_LIMITS_TABLE");

#[derive(Debug, Default, Clone, Copy)]
struct State {
    window_start: i64,
    failures: u64,
    locked_until: i64,
    version: u64,
}

impl RateLimiter {
    /// Seconds left before the key may try again, if it is locked.
    pub async fn locked_for(&self, key: &str) -> Result<Option<i64>, StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let state = self.read(key).await?;
        Ok(state
            .filter(|s| s.locked_until > now)
            .map(|s| s.locked_until - now))
    }

    /// Counts one failure; returns true when this failure locks the key.
    pub async fn record_failure(&self, key: &str) -> Result<bool, StoreError> {
        for _ in 0..5 {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let current = self.read(key).await?;
            let mut next = current.unwrap_or_default();
            if now - next.window_start >= WINDOW_SECONDS {
                next.window_start = now;
                next.failures = 0;
            }
            next.failures += 1;
            let locks = next.failures >= MAX_FAILURES;
            if locks {
                next.locked_until = now + LOCK_SECONDS;
                next.failures = 0;
                next.window_start = now;
            }
            next.version += 1;
            let expires = now + WINDOW_SECONDS.max(LOCK_SECONDS) + 60;
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(key))
                .item("window_start", n(next.window_start))
                .item("failures", n(next.failures))
                .item("locked_until", n(next.locked_until))
                .item("version", n(next.version))
                .item("expires_at", n(expires));
            put = match current {
                Some(c) => put
                    .condition_expression("version = :v")
                    .expression_attribute_values(":v", n(c.version)),
                None => put.condition_expression("attribute_not_exists(pk)"),
            };
            match put.send().await.map_err(sdk_error) {
                Ok(_) => return Ok(locks),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict)
    }

    /// A success forgets past failures (not an active lock: `locked_for` is checked first).
    pub async fn reset(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Counts one request in a fixed window; false once more than `limit` came in it.
    pub async fn hit(
        &self,
        key: &str,
        limit: u64,
        window_seconds: i64,
    ) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let window = now.div_euclid(window_seconds.max(1));
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("{key}#{window}")))
            .update_expression("ADD hits :one SET expires_at = :expires")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(now + 2 * window_seconds + 60))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(sdk_error)?;
        let hits = out
            .attributes
            .and_then(|a| {
                a.get("hits")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<u64>().ok())
            })
            .unwrap_or(u64::MAX);
        Ok(hits <= limit)
    }

    async fn read(&self, key: &str) -> Result<Option<State>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item.map(|i| {
            let num = |k: &str| {
                i.get(k)
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0)
            };
            State {
                window_start: num("window_start"),
                failures: num("failures").max(0) as u64,
                locked_until: num("locked_until"),
                version: num("version").max(0) as u64,
            }
        }))
    }
}
