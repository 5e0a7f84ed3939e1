//! The organisations a caisse knows, for its admins' list: one `listed#<caisse>` item in the
//! organisation's partition per caisse that signed a convention with it, written with that
//! convention and never removed (a caisse whose convention ended still reads what it
//! administered), found through index `by_caisse_org` in the order of the organisations'
//! names. The organisation itself is read from its own item: the listing holds no copy.

use super::{org_pk, OrgRecord, PartnerStore};
use crate::page::{page, CursorKeys, Page, PageError};
use crate::store::{batch_get, from_item, key, query_all, s, sdk_error, Item, StoreError};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use c2s_domain::renewal::fold_name;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

const INDEX: &str = "by_caisse_org";

/// A listing item as the index gives it back (its keys only): in its organisation's partition.
#[derive(Deserialize)]
struct Listed {
    pk: String,
}

impl Listed {
    fn partner_id(&self) -> &str {
        self.pk.strip_prefix("org#").unwrap_or_default()
    }
}

/// The listing's sort key: the name as one reads it in a list (case and accents aside),
/// then the id, so that two organisations of the same name both appear.
fn order(org: &OrgRecord) -> String {
    format!("{}#{}", fold_name(&org.name), org.partner_id)
}

fn listing_sk(caisse: &str) -> String {
    format!("listed#{caisse}")
}

fn listing_item(org: &OrgRecord, caisse: &str) -> Item {
    let mut item: Item = key(&org_pk(&org.partner_id), &listing_sk(caisse));
    item.insert("org_caisse".into(), s(caisse));
    item.insert("org_order".into(), s(order(org)));
    item
}

impl PartnerStore {
    /// The write that lists `org` for `caisse`, to go in the transaction of the convention
    /// that makes the caisse know it (written again, it changes nothing).
    pub fn listing(&self, org: &OrgRecord, caisse: &str) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(listing_item(org, caisse)))
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Lists the organisation for each caisse of its conventions it is not listed for yet
    /// (organisations stored before the listing existed; the daily lifecycle job asks): one
    /// read of its entries, a write only for what is missing. How many it wrote.
    pub async fn list_for_its_caisses(&self, org: &OrgRecord) -> Result<u64, StoreError> {
        let present: HashSet<String> = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :l)")
                .expression_attribute_values(":pk", s(org_pk(&org.partner_id)))
                .expression_attribute_values(":l", s("listed#"))
                .projection_expression("sk"),
        )
        .await?
        .iter()
        .filter_map(|item| Some(item.get("sk")?.as_s().ok()?.clone()))
        .collect();
        let mut written = 0;
        let mut caisses: Vec<&str> = org.conventions.iter().map(|c| c.caisse.as_str()).collect();
        caisses.sort_unstable();
        caisses.dedup();
        for caisse in caisses {
            if present.contains(&listing_sk(caisse)) {
                continue;
            }
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(listing_item(org, caisse)))
                .send()
                .await
                .map_err(sdk_error)?;
            written += 1;
        }
        Ok(written)
    }

    /// A page of the organisations `caisse` knows, by name (`limit` at most).
    pub async fn orgs_known_to(
        &self,
        caisse: &str,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<Page<OrgRecord>, PageError> {
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(INDEX)
            .key_condition_expression("org_caisse = :c")
            .expression_attribute_values(":c", s(caisse));
        let keys = CursorKeys {
            names: &["org_caisse", "org_order", "pk", "sk"],
            partition: ("org_caisse", caisse),
        };
        let listed: Page<Listed> = page(q, &keys, cursor, limit).await?;
        let wanted = listed.items.iter().map(|l| key(&l.pk, "org")).collect();
        let mut by_id: HashMap<String, OrgRecord> = HashMap::new();
        for item in batch_get(&self.client, &self.table, wanted).await? {
            let org: OrgRecord = from_item(item)?;
            by_id.insert(org.partner_id.clone(), org);
        }
        // In the listing's order; one deleted since (retention) is left out.
        let items = listed
            .items
            .iter()
            .filter_map(|l| by_id.remove(l.partner_id()))
            .collect();
        Ok(Page {
            items,
            next: listed.next,
        })
    }
}
