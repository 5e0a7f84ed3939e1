//! Request counters (`RATE_LIMITS_TABLE`): how many requests one key (a purpose and a keyed
//! hash, never an address in clear) made in a fixed window, counted with one atomic `ADD`.
//! Only counters are written here; the sign-in locks have their own table (`sign_in_locks`).
//!
//! When the table cannot be reached, the counts are kept in the process instead, for
//! `TABLE_RETRY_SECONDS` before the table is tried again: each Lambda sandbox then limits on
//! its own, which is looser but keeps a route that needs nothing else (the public estimate)
//! answering rather than failing with its counter.

use crate::store::{n, s, sdk_error, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// How long the process counts alone after the table failed to answer.
const TABLE_RETRY_SECONDS: i64 = 15;
/// Keys counted in the process at most in one window; past that, new keys are refused, so a
/// flood of addresses cannot grow the sandbox's memory.
const LOCAL_KEYS: usize = 50_000;

#[derive(Clone, Debug)]
pub struct RateLimiter {
    client: aws_sdk_dynamodb::Client,
    table: String,
    local: Arc<Mutex<Local>>,
}

/// The counts of the current window, while the table is out of reach.
#[derive(Debug, Default)]
struct Local {
    window: i64,
    hits: HashMap<String, u64>,
    table_down_until: i64,
}

impl RateLimiter {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self {
            client,
            table,
            local: Arc::default(),
        }
    }

    /// The counters of the table named by `RATE_LIMITS_TABLE`.
    pub fn from_env(
        env: &crate::Env,
        clients: &crate::aws::Clients,
    ) -> Result<Self, crate::ConfigError> {
        Ok(Self::new(
            clients.dynamo(),
            env.require("RATE_LIMITS_TABLE")?,
        ))
    }

    /// Counts one request in a fixed window; false once more than `limit` came in it.
    pub async fn hit(
        &self,
        key: &str,
        limit: u64,
        window_seconds: i64,
    ) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let window_seconds = window_seconds.max(1);
        let window = now.div_euclid(window_seconds);
        if !self.table_down(now) {
            match self.hit_table(key, window, window_seconds, now).await {
                Ok(hits) => return Ok(hits <= limit),
                Err(StoreError::Unavailable(cause)) => {
                    tracing::warn!(error = %cause, "rate limits table unreachable: counting in the process");
                    self.set_table_down(now + TABLE_RETRY_SECONDS);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(self.hit_local(key, window) <= limit)
    }

    async fn hit_table(
        &self,
        key: &str,
        window: i64,
        window_seconds: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
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
        Ok(out
            .attributes
            .and_then(|a| {
                a.get("hits")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<u64>().ok())
            })
            .unwrap_or(u64::MAX))
    }

    fn table_down(&self, now: i64) -> bool {
        self.local
            .lock()
            .map(|l| l.table_down_until > now)
            .unwrap_or(false)
    }

    fn set_table_down(&self, until: i64) {
        if let Ok(mut l) = self.local.lock() {
            l.table_down_until = until;
        }
    }

    /// The request's number in this window, counted in the process.
    fn hit_local(&self, key: &str, window: i64) -> u64 {
        let Ok(mut l) = self.local.lock() else {
            return u64::MAX;
        };
        if l.window != window {
            l.window = window;
            l.hits.clear();
        }
        if !l.hits.contains_key(key) && l.hits.len() >= LOCAL_KEYS {
            return u64::MAX;
        }
        let hits = l.hits.entry(key.to_owned()).or_insert(0);
        *hits += 1;
        *hits
    }
}
