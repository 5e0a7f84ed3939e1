//! The caisse's queue: pages of the `by_caisse_deadline` index, oldest deadline first, with
//! an opaque cursor.

use super::{RenewalRecord, RenewalStore};
use crate::store::{from_item, s, sdk_error, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use c2s_domain::renewal::Status;
use std::collections::HashMap;

/// How many index reads one queue page may take to fill itself past filtered-out files.
const QUEUE_READS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("cursor not recognised")]
    BadCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RenewalStore {
    /// A page of the caisse's queue, oldest deadline first, through the index (never a scan).
    /// The cursor is opaque to callers; one that is not ours is refused.
    pub async fn queue(
        &self,
        caisse: &str,
        status: Option<Status>,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<RenewalRecord>, Option<String>), QueueError> {
        let start = match cursor {
            None => None,
            Some(c) => {
                let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .map_err(|_| QueueError::BadCursor)?;
                let keys: std::collections::BTreeMap<String, String> =
                    serde_json::from_slice(&bytes).map_err(|_| QueueError::BadCursor)?;
                let expected = ["pk", "queue", "queue_key", "sk"];
                if keys.keys().map(String::as_str).ne(expected)
                    || keys.get("queue").map(String::as_str) != Some(caisse)
                {
                    return Err(QueueError::BadCursor);
                }
                Some(keys.into_iter().map(|(k, v)| (k, s(v))).collect())
            }
        };
        // A page holds up to `limit` files of the status asked for: DynamoDB applies its limit
        // before the status filter, so short pages are read again from where they stopped
        // (at most QUEUE_READS times, so one request stays bounded).
        let query = |start: Option<HashMap<String, AttributeValue>>| {
            let q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("by_caisse_deadline")
                .key_condition_expression("#q = :caisse")
                .expression_attribute_names("#q", "queue")
                .expression_attribute_values(":caisse", s(caisse))
                .set_exclusive_start_key(start)
                .limit(limit);
            // Without a status, the work still to do: files waiting for an agent or a document.
            match status {
                Some(st) => q
                    .filter_expression("#st = :st")
                    .expression_attribute_names("#st", "status")
                    .expression_attribute_values(":st", s(st.as_str())),
                None => q
                    .filter_expression("#st IN (:a, :b, :c)")
                    .expression_attribute_names("#st", "status")
                    .expression_attribute_values(":a", s(Status::Submitted.as_str()))
                    .expression_attribute_values(":b", s(Status::InReview.as_str()))
                    .expression_attribute_values(":c", s(Status::AwaitingDocuments.as_str())),
            }
        };
        let wanted = usize::try_from(limit).unwrap_or(0).max(1);
        let mut raw = Vec::new();
        let mut from = start;
        for _ in 0..QUEUE_READS {
            let out = query(from)
                .send()
                .await
                .map_err(|e| QueueError::Store(sdk_error(e)))?;
            raw.extend(out.items.unwrap_or_default());
            from = out.last_evaluated_key;
            if raw.len() >= wanted || from.is_none() {
                break;
            }
        }
        // A full page goes on after its last file; a short one after what was read.
        let resume = if raw.len() >= wanted {
            raw.truncate(wanted);
            raw.last().map(|item| {
                item.iter()
                    .filter(|(k, _)| matches!(k.as_str(), "pk" | "sk" | "queue" | "queue_key"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<HashMap<_, _>>()
            })
        } else {
            from
        };
        let items = raw
            .into_iter()
            .map(from_item::<RenewalRecord>)
            .collect::<Result<Vec<_>, _>>()?;
        let next = resume.map(|k| {
            let plain: std::collections::BTreeMap<String, String> = k
                .into_iter()
                .filter_map(|(k, v)| v.as_s().ok().map(|v| (k, v.clone())))
                .collect();
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&plain).unwrap_or_default())
        });
        Ok((items, next))
    }
}
