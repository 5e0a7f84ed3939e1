//! The caisse's queue: pages of the `by_caisse_deadline` index, oldest deadline first, with
//! an opaque cursor.

use super::{RenewalRecord, RenewalStore};
use crate::page::{page, CursorKeys, Page, PageError};
use crate::store::s;
use c2s_domain::renewal::Status;

impl RenewalStore {
    /// A page of the caisse's queue, oldest deadline first, through the index (never a scan):
    /// up to `limit` files of the status asked for. The cursor is opaque to callers; one that
    /// is not of this caisse's queue is refused.
    pub async fn queue(
        &self,
        caisse: &str,
        status: Option<Status>,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<Page<RenewalRecord>, PageError> {
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_caisse_deadline")
            .key_condition_expression("#q = :caisse")
            .expression_attribute_names("#q", "queue")
            .expression_attribute_values(":caisse", s(caisse));
        // Files of a person who limited their processing (RGPD art. 18) are in no queue: few
        // enough that the filter costs a read here and there, never a page.
        let q = q.expression_attribute_names("#restricted", "restricted");
        // Without a status, the work still to do: files waiting for an agent or a document.
        let q = match status {
            Some(st) => q
                .filter_expression("#st = :st AND attribute_not_exists(#restricted)")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":st", s(st.as_str())),
            None => q
                .filter_expression("#st IN (:a, :b, :c) AND attribute_not_exists(#restricted)")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":a", s(Status::Submitted.as_str()))
                .expression_attribute_values(":b", s(Status::InReview.as_str()))
                .expression_attribute_values(":c", s(Status::AwaitingDocuments.as_str())),
        };
        let keys = CursorKeys {
            names: &["pk", "queue", "queue_key", "sk"],
            partition: ("queue", caisse),
        };
        page(q, &keys, cursor, limit).await
    }
}
