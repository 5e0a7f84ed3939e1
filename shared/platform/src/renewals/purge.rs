//! What retention deletes: the renewals due (`by_purge`), then a renewal's items, the
//! renewal itself last with its person's slot.

use super::{build_error, PurgeStage, RenewalRecord, RenewalStore, RENEWAL};
use crate::beneficiaries::OPEN_RENEWAL;
use crate::store::{key, n, purge_keys_due, query_all, s, sdk_error, StoreError};
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use c2s_domain::renewal::moves;
use time::Date;

impl RenewalStore {
    /// What the retention rules make due on or before `day` (index `by_purge`): (id, stage).
    /// Reads only what is due.
    pub async fn purge_due(&self, day: Date) -> Result<Vec<(String, PurgeStage)>, StoreError> {
        // `purge_key` is `<day>#<stage>#<id>` (see `stored`).
        Ok(purge_keys_due(&self.client, &self.table, day)
            .await?
            .iter()
            .filter_map(|k| {
                let mut parts = k.splitn(3, '#');
                let (_, stage, id) = (parts.next()?, parts.next()?, parts.next()?);
                Some((id.to_owned(), PurgeStage::parse(stage)?))
            })
            .collect())
    }

    /// Deletes every item of a renewal but the renewal itself (its documents, its notes):
    /// the renewal goes last, with [`RenewalStore::delete`], so that a purge stopped half-way
    /// still finds it due and finishes.
    pub async fn delete_all_but_renewal(&self, id: &str) -> Result<u64, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(id))
                .projection_expression("pk, sk"),
        )
        .await?;
        let mut deleted = 0;
        for item in items {
            let Some(sk) = item.get("sk").and_then(|v| v.as_s().ok()) else {
                continue;
            };
            if sk == RENEWAL {
                continue;
            }
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(id, sk)))
                .send()
                .await
                .map_err(sdk_error)?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Deletes the renewal item, unchanged since it was read, and, in the same transaction,
    /// the person's `open_renewal` slot when it is this renewal's (`release_slot`): never a
    /// slot naming a renewal that is gone.
    pub async fn delete(&self, r: &RenewalRecord, release_slot: bool) -> Result<(), StoreError> {
        let renewal = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(&r.id, RENEWAL)))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(r.version))
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().delete(renewal).build()];
        if release_slot {
            let slot = Delete::builder()
                .table_name(&self.beneficiaries)
                .set_key(Some(key(&r.nir_hash, OPEN_RENEWAL)))
                .condition_expression("renewal_id = :id")
                .expression_attribute_values(":id", s(&r.id))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().delete(slot).build());
        }
        // Off the counters it counted in as read (the version condition holds them).
        items.extend(self.counter_updates(&moves(r.counted.as_ref(), None))?);
        // The slot (1) given to someone else since it was read is a conflict all the same:
        // the caller reads again.
        self.transact(items, &[0, 1]).await
    }
}
