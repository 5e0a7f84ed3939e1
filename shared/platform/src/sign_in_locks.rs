//! The sign-in locks (`SIGN_IN_LOCKS_TABLE`): one item per key (a purpose and a keyed hash,
//! never an identifier in clear) counting the attempts at a secret by the rule of
//! `c2s_domain::attempts`. Each attempt is reserved with one conditional `UpdateItem` before
//! it is judged, so parallel requests are never judged more often than the limit allows, and
//! none is lost to contention. Nothing else writes to this table: request counters live in
//! `RATE_LIMITS_TABLE` (`rate_limit`), so a flood of those never throttles sign-in.

use crate::store::{get_as, n, s, sdk_error, Item, StoreError};
use c2s_domain::attempts::{AttemptLimit, Attempts, Next};
use time::OffsetDateTime;

/// Whether an attempt may be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Counted: judge it.
    Granted,
    /// Refused unjudged; the key opens again in `retry_after` seconds.
    Locked { retry_after: i64 },
}

#[derive(Clone, Debug)]
pub struct SignInLocks {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

crate::store::table_store!(SignInLocks, "SIGN_IN_LOCKS_TABLE");

impl SignInLocks {
    /// Counts one attempt under `key` if `limit` lets it be judged.
    pub async fn reserve(
        &self,
        key: &str,
        limit: &AttemptLimit,
    ) -> Result<Reservation, StoreError> {
        // Each write holds only if the item is as its condition says, so a refusal means
        // another request wrote first: count in the open window, else open a new one, else
        // count in the window someone else just opened. All three refused is a lock, unless
        // a success forgot the count meanwhile, which starts over.
        for _ in 0..3 {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            if self.count(key, limit, now).await?
                || self.restart(key, limit, now).await?
                || self.count(key, limit, now).await?
            {
                return Ok(Reservation::Granted);
            }
            if let Next::Locked { retry_after } = limit.next(self.read(key).await?.as_ref(), now) {
                return Ok(Reservation::Locked { retry_after });
            }
        }
        Err(StoreError::Unavailable(
            "sign-in lock: the count kept changing".into(),
        ))
    }

    /// A success forgets the attempts counted under `key`.
    pub async fn forget(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// `Next::Count`: one more in the open window, below the limit.
    async fn count(&self, key: &str, limit: &AttemptLimit, now: i64) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression("ADD attempts :one SET last_at = :now, expires_at = :expires")
            .condition_expression("attempts < :max AND window_start > :window_floor")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":expires", n(now + limit.keep_seconds()))
            .expression_attribute_values(":max", n(limit.max))
            .expression_attribute_values(":window_floor", n(limit.window_floor(now)))
            .send()
            .await;
        written(out)
    }

    /// `Next::Restart`: the first attempt of a new window.
    async fn restart(&self, key: &str, limit: &AttemptLimit, now: i64) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression(
                "SET attempts = :one, window_start = :now, last_at = :now, expires_at = :expires",
            )
            .condition_expression(
                "attribute_not_exists(pk) \
                 OR (attempts < :max AND window_start <= :window_floor) \
                 OR (attempts >= :max AND last_at <= :lock_floor)",
            )
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":expires", n(now + limit.keep_seconds()))
            .expression_attribute_values(":max", n(limit.max))
            .expression_attribute_values(":window_floor", n(limit.window_floor(now)))
            .expression_attribute_values(":lock_floor", n(limit.lock_floor(now)))
            .send()
            .await;
        written(out)
    }

    async fn read(&self, key: &str) -> Result<Option<Attempts>, StoreError> {
        let stored: Option<Stored> = get_as(
            &self.client,
            &self.table,
            Item::from([("pk".into(), s(key))]),
        )
        .await?;
        Ok(stored.map(|i| Attempts {
            count: i.attempts,
            window_start: i.window_start,
            last_at: i.last_at,
        }))
    }
}

/// An item as both writes leave it.
#[derive(serde::Deserialize)]
struct Stored {
    attempts: u32,
    window_start: i64,
    last_at: i64,
}

/// A conditional write: done, or refused because its condition no longer held.
fn written<T, E>(out: Result<T, aws_sdk_dynamodb::error::SdkError<E>>) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match out.map_err(sdk_error) {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}
