//! Upgrading a live table: renewals stored before `by_receipt` lack `receipt_number`. One
//! segment of a parallel scan at a time (`segment` of `segments`), so that each invocation
//! of the backfill fits in Lambda's 15 minutes whatever the table's size.

use super::stored::indexed;
use super::{RenewalRecord, RenewalStore, RENEWAL};
use crate::store::{from_item, key, n, s, sdk_error, written, ScanPages, StoreError};

impl RenewalStore {
    /// Gives its `receipt_number` (derived as on any save) to each renewal of the segment
    /// that reached the agents without one: only that attribute, on the condition that the
    /// renewal is unchanged (a save since derived it itself), so neither its version nor the
    /// dashboard's counters move. The number indexed; a second run finds none.
    pub async fn index_receipts(&self, segment: i32, segments: i32) -> Result<u64, StoreError> {
        let mut pages = ScanPages::new(
            self.client
                .scan()
                .table_name(&self.table)
                .segment(segment)
                .total_segments(segments)
                .filter_expression(
                    "sk = :r AND attribute_exists(#q) AND attribute_exists(receipt) AND attribute_not_exists(receipt_number)",
                )
                .expression_attribute_names("#q", "queue")
                .expression_attribute_values(":r", s(RENEWAL)),
        );
        let mut indexed_count = 0;
        while let Some(items) = pages.next_page().await? {
            for item in items {
                let r: RenewalRecord = from_item(item)?;
                let Some(number) = indexed(&r).receipt_number else {
                    continue;
                };
                let update = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(&r.id, RENEWAL)))
                    .update_expression("SET receipt_number = :n")
                    .condition_expression("version = :v AND attribute_not_exists(receipt_number)")
                    .expression_attribute_values(":n", s(number))
                    .expression_attribute_values(":v", n(r.version))
                    .send()
                    .await
                    .map_err(sdk_error);
                if written(update)? {
                    indexed_count += 1;
                }
            }
        }
        Ok(indexed_count)
    }
}
