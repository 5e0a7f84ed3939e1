//! Upgrading a live table: renewals stored before `by_receipt` lack `receipt_number`. One
//! segment of a parallel scan at a time (`segment` of `segments`), so that each invocation
//! of the backfill fits in Lambda's 15 minutes whatever the table's size.

use super::stored::indexed;
use super::{RenewalRecord, RenewalStore, RENEWAL};
use crate::store::{backfill_segment, key, n, s, StoreError};

impl RenewalStore {
    /// Gives its `receipt_number` (derived as on any save) to each renewal of the segment
    /// that reached the agents without one: only that attribute, on the condition that the
    /// renewal is unchanged (a save since derived it itself), so neither its version nor the
    /// dashboard's counters move. The number indexed; a second run finds none.
    pub async fn index_receipts(&self, segment: i32, segments: i32) -> Result<u64, StoreError> {
        let scan = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(
                "sk = :r AND attribute_exists(#q) AND attribute_exists(receipt) AND attribute_not_exists(receipt_number)",
            )
            .expression_attribute_names("#q", "queue")
            .expression_attribute_values(":r", s(RENEWAL));
        backfill_segment(scan, segment, segments, |r: RenewalRecord| {
            let number = indexed(&r).receipt_number?;
            Some(
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(&r.id, RENEWAL)))
                    .update_expression("SET receipt_number = :n")
                    .condition_expression("version = :v AND attribute_not_exists(receipt_number)")
                    .expression_attribute_values(":n", s(number))
                    .expression_attribute_values(":v", n(r.version)),
            )
        })
        .await
    }
}
