//! The export's own items in the renewals table, beside the renewals it exports: the lease
//! that keeps one `sync-out` run at a time, and each day's file sequence. Their keys
//! (`export#…`) are no renewal id, and they carry none of the indexes' attributes.

use super::RenewalStore;
use crate::store::{key, n, next_count, s, sdk_error, StoreError};

const LEASE: &str = "export#lease";
const SEQUENCE: &str = "export#sequence";

/// The right to export, held by one run (`take_export_lease`).
#[derive(Debug)]
pub struct ExportLease {
    holder: String,
}

impl RenewalStore {
    /// Takes the export's lease until `until` (Unix seconds), unless another run's lease
    /// runs past `now`. `None`: another run is exporting.
    pub async fn take_export_lease(
        &self,
        now: i64,
        until: i64,
    ) -> Result<Option<ExportLease>, StoreError> {
        let lease = ExportLease {
            holder: uuid::Uuid::new_v4().to_string(),
        };
        let mut item = key(LEASE, LEASE);
        item.insert("holder".into(), s(&lease.holder));
        item.insert("until".into(), n(until));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #until < :now")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .map_err(sdk_error);
        match put {
            Ok(_) => Ok(Some(lease)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Gives the lease back, if it is still this one.
    pub async fn release_export_lease(&self, lease: ExportLease) -> Result<(), StoreError> {
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(LEASE, LEASE)))
            .condition_expression("holder = :h")
            .expression_attribute_values(":h", s(&lease.holder))
            .send()
            .await
            .map_err(sdk_error);
        match delete {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The next number of `day`'s export files (`store::next_count`).
    pub async fn next_export_sequence(&self, day: &str) -> Result<u64, StoreError> {
        next_count(&self.client, &self.table, key(SEQUENCE, day)).await
    }
}
