//! What retention deletes of the partners' table: requests 3 years after filing or answer,
//! organisations 5 years after their last convention (`c2s_domain::retention`). Each item
//! that will be due carries `purge_index = "due"` and `purge_key = <day>#<kind>#<id>`
//! (index `by_purge`), derived on every write, so the purge reads only what is due.

use super::{org_item, org_pk, OrgRecord, PartnerStore, RequestRecord};
use crate::store::{
    from_item, key, n, purge_keys_due, query_all, s, sdk_error, written, Item, ScanPages,
    StoreError,
};
use crate::tasks::PurgeTask;
use c2s_domain::dates;
use c2s_domain::retention;
use time::Date;

pub(super) const PURGE_INDEX: &str = "purge_index";
pub(super) const PURGE_KEY: &str = "purge_key";
pub(super) const DUE: &str = "due";

pub(super) fn purge_key(day: Date, kind: &str, id: &str) -> String {
    format!("{}#{kind}#{id}", dates::format_date(day))
}

/// Adds the organisation's index attributes once its last convention has ended.
pub(super) fn index_org(item: &mut Item, org: &OrgRecord) {
    if let Some(day) = retention::organisation_purge_on(org) {
        item.insert(PURGE_INDEX.into(), s(DUE));
        item.insert(PURGE_KEY.into(), s(purge_key(day, "org", &org.partner_id)));
    }
}

impl PartnerStore {
    /// What the retention rules make due on or before `day` (index `by_purge`). Reads only
    /// what is due.
    pub async fn purge_due(&self, day: Date) -> Result<Vec<PurgeTask>, StoreError> {
        Ok(purge_keys_due(&self.client, &self.table, day)
            .await?
            .iter()
            .filter_map(|k| {
                let mut parts = k.splitn(3, '#');
                let (_, kind, id) = (parts.next()?, parts.next()?, parts.next()?.to_owned());
                match kind {
                    "request" => Some(PurgeTask::PartnerRequest { request_id: id }),
                    "org" => Some(PurgeTask::Organisation { partner_id: id }),
                    _ => None,
                }
            })
            .collect())
    }

    /// Deletes a request, unchanged since it was read (an answer since makes it a
    /// `Conflict`: read again, the rule may no longer hold).
    pub async fn delete_request(&self, r: &RequestRecord) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(
                &org_pk(&r.partner_id),
                &format!("request#{}", r.request_id),
            )))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(r.version))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Deletes everything of an organisation: its accounts with their addresses, whatever
    /// else its partition holds, the organisation last (unchanged since read), so that a
    /// purge stopped half-way still finds it due and finishes. The number of items deleted.
    pub async fn delete_organisation(&self, org: &OrgRecord) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for a in self.accounts(&org.partner_id).await? {
            self.delete_account(&a).await?;
            deleted += 2;
        }
        let pk = org_pk(&org.partner_id);
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(&pk))
                .projection_expression("pk, sk"),
        )
        .await?;
        for item in items {
            let Some(sk) = item.get("sk").and_then(|v| v.as_s().ok()) else {
                continue;
            };
            if sk == "org" {
                continue;
            }
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(&pk, sk)))
                .send()
                .await
                .map_err(sdk_error)?;
            deleted += 1;
        }
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(&pk, "org")))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(org.version))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(deleted + 1)
    }

    /// Gives their due day to the requests and ended organisations stored before the index
    /// existed (no `purge_key`), and their place in the caisse's list to the requests stored
    /// before `by_caisse_priority` (no `req_priority`): each written again as it is, same
    /// version, on the condition that it is unchanged (one changed meanwhile got its keys from
    /// that write). Read by the daily lifecycle job, whose scan of the organisations reads the
    /// table anyway. The number indexed.
    pub async fn index_for_retention(&self) -> Result<u64, StoreError> {
        let mut pages = ScanPages::new(
            self.client
                .scan()
                .table_name(&self.table)
                .filter_expression(
                    "(sk = :org AND attribute_not_exists(purge_key)) OR (begins_with(sk, :req) AND (attribute_not_exists(purge_key) OR attribute_not_exists(req_priority)))",
                )
                .expression_attribute_values(":org", s("org"))
                .expression_attribute_values(":req", s("request#")),
        );
        let mut indexed = 0;
        while let Some(items) = pages.next_page().await? {
            for item in items {
                let is_org = item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    == Some("org");
                let (item, version) = if is_org {
                    let org: OrgRecord = from_item(item)?;
                    if retention::organisation_purge_on(&org).is_none() {
                        continue;
                    }
                    (org_item(&org)?, org.version)
                } else {
                    let r: RequestRecord = from_item(item)?;
                    (Self::request_item(&r)?, r.version)
                };
                let put = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("version = :v")
                    .expression_attribute_values(":v", n(version))
                    .send()
                    .await
                    .map_err(sdk_error);
                if written(put)? {
                    indexed += 1;
                }
            }
        }
        Ok(indexed)
    }
}
