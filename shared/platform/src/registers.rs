//! The DPO's registers (`RegistersTable`): each caisse's data-subject requests
//! (`request#<caisse>`, one item per request) and its data breaches (`incident#<caisse>`).
//! A request names the person by the keyed hash of their NIR only; each is written in the
//! same transaction as the audit entry of the action that made or changed it.

use crate::store::{
    key, next_count, query_as, s, to_item, transaction_error, StoreError, TransactWriteItem,
};
use aws_sdk_dynamodb::types::Put;
use c2s_domain::dates;
use c2s_domain::rgpd::{RequestKind, RequestStatus};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Entries are kept 5 years after their last change, as the files they are about, so that
/// the caisse can show how it answered (RGPD art. 5.2, accountability).
const KEPT_SECONDS: i64 = 5 * 366 * 24 * 3600;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequestEntry {
    pub id: String,
    pub caisse: String,
    pub kind: RequestKind,
    /// The keyed hash of the person's NIR.
    pub subject: String,
    #[serde(with = "dates::iso")]
    pub received_on: Date,
    #[serde(with = "dates::iso")]
    pub due_on: Date,
    pub status: RequestStatus,
    /// When it was registered: the register's order.
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
    /// Why, as the DPO recorded it (rectification, limitation, erasure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The outbound file a rectification goes in, named before it is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The SHA-256 of what a rectification sends: the same request sent again (its answer
    /// lost) finishes the first one instead of sending it twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The DPO who answered last.
    pub agent_id: String,
    #[serde(with = "dates::instant")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IncidentEntry {
    pub id: String,
    pub caisse: String,
    pub description: String,
    #[serde(with = "dates::instant")]
    pub detected_at: OffsetDateTime,
    #[serde(with = "dates::instant")]
    pub declared_at: OffsetDateTime,
    /// `agent` or `partner`, and who: an agent number or a partner organisation's id.
    pub declared_by_kind: String,
    pub declared_by: String,
    #[serde(with = "dates::instant")]
    pub notify_caisse_by: OffsetDateTime,
    #[serde(with = "dates::instant")]
    pub notify_cnil_by: OffsetDateTime,
}

impl IncidentEntry {
    /// A breach declared now by `declared_by` (`agent` or `partner`), with its deadlines
    /// (`c2s_domain::rgpd::incident_deadlines`).
    pub fn declared(
        id: &str,
        caisse: &str,
        description: &str,
        detected_at: OffsetDateTime,
        declared_by_kind: &str,
        declared_by: &str,
    ) -> IncidentEntry {
        let (notify_caisse_by, notify_cnil_by) = c2s_domain::rgpd::incident_deadlines(detected_at);
        IncidentEntry {
            id: id.to_owned(),
            caisse: caisse.to_owned(),
            description: description.to_owned(),
            detected_at,
            declared_at: OffsetDateTime::now_utc(),
            declared_by_kind: declared_by_kind.to_owned(),
            declared_by: declared_by.to_owned(),
            notify_caisse_by,
            notify_cnil_by,
        }
    }

    /// The DPO's alert, by email to `to`, sent once per incident and caisse (they name it):
    /// never the description, which may hold personal data.
    pub fn alert(&self, public_url: &str, to: &str) -> crate::outbox::OutboxMessage {
        crate::outbox::OutboxMessage::of_unit(
            &format!("incident#{}#{}", self.caisse, self.id),
            c2s_domain::notice::Channel::Email,
            to,
            c2s_domain::notice::Notice::Incident {
                caisse: self.caisse.clone(),
                notify_cnil_by: dates::format_instant(self.notify_cnil_by),
                link: format!("{public_url}/agent/incidents"),
            },
        )
    }
}

#[derive(Serialize)]
struct Stored<'a, T> {
    #[serde(flatten)]
    entry: &'a T,
    expires_at: i64,
}

#[derive(Clone, Debug)]
pub struct RegisterStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

crate::store::table_store!(RegisterStore, "REGISTERS_TABLE");

fn requests_pk(caisse: &str) -> String {
    format!("request#{caisse}")
}

fn incidents_pk(caisse: &str) -> String {
    format!("incident#{caisse}")
}

impl RegisterStore {
    /// Writes (creates or replaces) a request entry with `with` (its audit entry) in one
    /// transaction; a conflict on `with` (the audit chain moved) is `Conflict`.
    pub async fn put_request(
        &self,
        entry: &RequestEntry,
        with: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let pk = requests_pk(&entry.caisse);
        let item = self.put(entry, &pk, &entry.id, entry.updated_at)?;
        self.transact(item, with).await
    }

    /// The caisse's requests, oldest first. A caisse answers a few hundred a year: one
    /// partition read whole.
    pub async fn requests(&self, caisse: &str) -> Result<Vec<RequestEntry>, StoreError> {
        let mut items: Vec<RequestEntry> = query_as(self.partition(&requests_pk(caisse))).await?;
        items.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(items)
    }

    /// The person's requests of `kind` still in effect (a limitation not lifted yet).
    pub async fn in_effect(
        &self,
        caisse: &str,
        subject: &str,
        kind: RequestKind,
    ) -> Result<Vec<RequestEntry>, StoreError> {
        Ok(self
            .requests(caisse)
            .await?
            .into_iter()
            .filter(|e| e.subject == subject && e.kind == kind)
            .filter(|e| e.status == RequestStatus::InEffect)
            .collect())
    }

    /// The next number of `day`'s rectifications files (`store::next_count`).
    pub async fn next_rectification_sequence(&self, day: &str) -> Result<u64, StoreError> {
        next_count(
            &self.client,
            &self.table,
            key("sequence#rectifications", day),
        )
        .await
    }

    pub async fn put_incident(
        &self,
        entry: &IncidentEntry,
        with: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let pk = incidents_pk(&entry.caisse);
        let item = self.put(entry, &pk, &entry.id, entry.declared_at)?;
        self.transact(item, with).await
    }

    /// The caisse's breaches, latest detected first.
    pub async fn incidents(&self, caisse: &str) -> Result<Vec<IncidentEntry>, StoreError> {
        let mut items: Vec<IncidentEntry> = query_as(self.partition(&incidents_pk(caisse))).await?;
        items.sort_by_key(|e| std::cmp::Reverse(e.detected_at));
        Ok(items)
    }

    fn partition(
        &self,
        pk: &str,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
    }

    fn put<T: Serialize>(
        &self,
        entry: &T,
        pk: &str,
        sk: &str,
        at: OffsetDateTime,
    ) -> Result<TransactWriteItem, StoreError> {
        let stored = Stored {
            entry,
            expires_at: at.unix_timestamp() + KEPT_SECONDS,
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&stored, &[("pk", pk), ("sk", sk)])?))
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn transact(
        &self,
        item: TransactWriteItem,
        with: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let others: Vec<usize> = (1..=with.len()).collect();
        let mut items = vec![item];
        items.extend(with);
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
            // The entry's own put has no condition: any cancellation is the chain's.
            .map_err(|e| match transaction_error(e, &others) {
                StoreError::SideCondition(_) => StoreError::Conflict,
                other => other,
            })
    }
}
