//! The renewals' lists read through their indexes: files due (`by_deadline`), idle drafts
//! (`by_draft`), decisions to export (`by_export`), a partner's files (`by_partner`), a
//! person's (`by_beneficiary`) and the file of a receipt (`by_receipt`).

use super::{RenewalRecord, RenewalStore};
use crate::page::{page, CursorKeys, Page, PageError};
use crate::store::{query_all, query_as, s, StoreError};
use c2s_domain::dates;
use time::{Date, OffsetDateTime};

impl RenewalStore {
    /// Files whose decision clock runs and whose deadline is from `from` (if any) to `until`,
    /// both included, oldest first (index `by_deadline`): what the deadlines job reads grows
    /// with what is due those days.
    pub async fn due_between(
        &self,
        from: Option<Date>,
        until: Date,
    ) -> Result<Vec<RenewalRecord>, StoreError> {
        let until = s(format!("{}#\u{10ffff}", dates::format_date(until)));
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_deadline")
            .expression_attribute_values(":open", s("open"))
            .expression_attribute_values(":until", until);
        let query = match from {
            Some(from) => query
                .key_condition_expression(
                    "deadline_open = :open AND queue_key BETWEEN :from AND :until",
                )
                .expression_attribute_values(":from", s(dates::format_date(from))),
            None => query.key_condition_expression("deadline_open = :open AND queue_key <= :until"),
        };
        query_as(query).await
    }

    /// Drafts last changed from `from` (if any) to `before`, as the index `by_draft` orders
    /// the instants (strings): a daily job reads the drafts that became idle since its last
    /// run, the next run starting where this one ended (a draft exactly there is read twice,
    /// none is missed).
    pub async fn drafts_untouched_between(
        &self,
        from: Option<OffsetDateTime>,
        before: OffsetDateTime,
    ) -> Result<Vec<RenewalRecord>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_draft")
            .expression_attribute_values(":d", s("draft"))
            .expression_attribute_values(":t", s(dates::format_instant(before)));
        let query = match from {
            Some(from) => query
                .key_condition_expression("draft_open = :d AND updated_at BETWEEN :f AND :t")
                .expression_attribute_values(":f", s(dates::format_instant(from))),
            None => query.key_condition_expression("draft_open = :d AND updated_at < :t"),
        };
        query_as(query).await
    }

    /// Decided renewals not yet exported, in decision order (index `by_export`).
    pub async fn pending_exports(&self) -> Result<Vec<RenewalRecord>, StoreError> {
        query_as(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_export")
                .key_condition_expression("export_pending = :p")
                .expression_attribute_values(":p", s("pending")),
        )
        .await
    }

    /// A page of the renewals a partner filed, newest first (index `by_partner`).
    pub async fn filed_by(
        &self,
        partner_id: &str,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<Page<RenewalRecord>, PageError> {
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_partner")
            .key_condition_expression("filed_partner = :p")
            .expression_attribute_values(":p", s(partner_id))
            .scan_index_forward(false);
        let keys = CursorKeys {
            names: &["created_at", "filed_partner", "pk", "sk"],
            partition: ("filed_partner", partner_id),
        };
        page(q, &keys, cursor, limit).await
    }

    /// The ids of a person's renewals, oldest first (index `by_beneficiary`).
    pub async fn ids_for(&self, nir_hash: &str) -> Result<Vec<String>, StoreError> {
        self.ids_in("by_beneficiary", "nir_hash", nir_hash).await
    }

    /// The ids of the files that reached the agents under this receipt number (index
    /// `by_receipt`): one, unless two ids share their first ten characters in a year.
    pub async fn ids_with_receipt(&self, number: &str) -> Result<Vec<String>, StoreError> {
        self.ids_in("by_receipt", "receipt_number", number).await
    }

    /// The renewal ids an index holds under one key (its keys-only projection).
    async fn ids_in(
        &self,
        index: &str,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<String>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#k = :v")
                .expression_attribute_names("#k", attribute)
                .expression_attribute_values(":v", s(value)),
        )
        .await?;
        Ok(items
            .into_iter()
            .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }
}
