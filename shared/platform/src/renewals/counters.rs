//! The dashboard's counters (`StatsTable`: `pk` = caisse, `sk` = counter, `count`), moved in
//! the same transaction as the renewal whose save changes them (`c2s_domain::renewal::moves`),
//! so that a failed or lost save never moves one; and read back per caisse.

use super::RenewalStore;
use crate::store::{n, query_all, s, transaction_error, Item, StoreError};
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use c2s_domain::renewal::{weeks_read, Move};
use std::time::Duration;
use time::Date;

/// Tries of a transaction that another transaction on one of its items cancelled (the
/// counters are shared by every renewal of a caisse): nothing was written, so it is sent
/// again, after 25 ms, then 50 ms (plus up to 25 ms of jitter).
const TRANSACTION_TRIES: u32 = 3;

impl RenewalStore {
    /// One `ADD` per counter moved. A counter no save ever made is created at its first.
    pub(super) fn counter_updates(
        &self,
        moves: &[Move],
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        moves
            .iter()
            .map(|m| {
                let update = Update::builder()
                    .table_name(&self.stats)
                    .key("pk", s(&m.caisse))
                    .key("sk", s(&m.counter))
                    .update_expression("ADD #count :by")
                    .expression_attribute_names("#count", "count")
                    .expression_attribute_values(":by", n(m.by))
                    .build()
                    .map_err(super::build_error)?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }

    /// Sends `items` as one transaction (`own`: the positions whose conditions are the
    /// caller's, see `transaction_error`), again while it was cancelled only because another
    /// transaction held one of its items at that moment.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        own: &[usize],
    ) -> Result<(), StoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let Err(e) = sent else {
                return Ok(());
            };
            if tries >= TRANSACTION_TRIES || !crate::store::only_transaction_conflict(&e) {
                return Err(transaction_error(e, own));
            }
            tokio::time::sleep(backoff(tries)).await;
        }
    }

    /// The caisse's counters the dashboard reads on `today` (`c2s_domain::renewal::dashboard`):
    /// statuses, deadline days and days to decision, then the shown weeks only. Two queries of
    /// one partition, read at once; a few hundred small items, whatever the caisse's size.
    pub async fn counters(
        &self,
        caisse: &str,
        today: Date,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let (first, last) = weeks_read(today);
        let partition = || {
            self.client
                .query()
                .table_name(&self.stats)
                .expression_attribute_values(":c", s(caisse))
                .expression_attribute_names("#count", "count")
                .projection_expression("sk, #count")
        };
        let (not_weeks, weeks) = tokio::join!(
            query_all(
                partition()
                    .key_condition_expression("pk = :c AND sk < :w")
                    .expression_attribute_values(":w", s("week#")),
            ),
            query_all(
                partition()
                    .key_condition_expression("pk = :c AND sk BETWEEN :first AND :last")
                    .expression_attribute_values(":first", s(first))
                    .expression_attribute_values(":last", s(last)),
            ),
        );
        Ok(not_weeks?
            .into_iter()
            .chain(weeks?)
            .filter_map(|item| counter(&item))
            .collect())
    }
}

fn counter(item: &Item) -> Option<(String, i64)> {
    let key = item.get("sk")?.as_s().ok()?.clone();
    let count = item.get("count")?.as_n().ok()?.parse().ok()?;
    Some((key, count))
}

fn backoff(tries: u32) -> Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()) % 25)
        .unwrap_or(0);
    Duration::from_millis(25 * u64::from(tries) + jitter)
}
