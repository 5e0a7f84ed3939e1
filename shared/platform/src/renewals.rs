//! The renewals table: per renewal (partition key = its id) one `renewal` item with the form,
//! status, version and history, one `doc#<id>` item per supporting document and one `note#…`
//! item per agent's note, so that a single query reads the whole file. Seven indexes
//! (template.yaml): `by_beneficiary`, `by_caisse_deadline`, `by_deadline`, `by_draft`,
//! `by_purge`, `by_export`, `by_partner`; `stored` derives the attributes most of them read.

use crate::beneficiaries::Profile;
use crate::beneficiaries::{BeneficiaryStore, OPEN_RENEWAL};
use crate::store::{
    from_item, get_as, key, n, query_all, query_as, s, sdk_error, to_item, StoreError,
};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};
use base64::Engine;
use c2s_domain::dates;
use c2s_domain::document::{ContentType, DocumentKind, DocumentStatus, RejectReason};
use c2s_domain::renewal::{ActorKind, Member, Status, CLOSED_FILE_KEPT_SECONDS};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use stored::indexed;
use time::{Date, OffsetDateTime};

mod stored;

/// How many index reads one queue page may take to fill itself past filtered-out files.
const QUEUE_READS: usize = 10;

pub const RENEWAL: &str = "renewal";

pub fn document_sk(document_id: &str) -> String {
    format!("doc#{document_id}")
}

pub use c2s_domain::renewal::{AgentRef, FiledBy, PurgeStage, Receipt, Renewal as RenewalRecord};

/// The applicant as the national system knows them.
pub fn applicant(profile: &Profile) -> Option<Member> {
    c2s_domain::renewal::applicant(&profile.on_file())
}

/// A new draft for this beneficiary, with a fresh id, started now.
pub fn new_draft(profile: &Profile, today: Date, actor: ActorKind) -> Option<RenewalRecord> {
    c2s_domain::renewal::new_draft(
        &profile.on_file(),
        uuid::Uuid::new_v4().to_string(),
        OffsetDateTime::now_utc(),
        today,
        actor,
    )
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub renewal_id: String,
    pub document_id: String,
    pub kind: DocumentKind,
    pub filename: String,
    pub content_type: ContentType,
    pub size: u64,
    pub status: DocumentStatus,
    pub reject_reason: Option<RejectReason>,
    /// Server-made: `renewals/<renewal id>/<document id>`.
    pub object_key: String,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
}

pub fn object_key(renewal_id: &str, document_id: &str) -> String {
    format!("renewals/{renewal_id}/{document_id}")
}

/// `renewals/<renewal id>/<document id>` back to its two ids.
pub fn parse_object_key(key: &str) -> Option<(String, String)> {
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("renewals"), Some(r), Some(d), None) if !r.is_empty() && !d.is_empty() => {
            Some((r.to_owned(), d.to_owned()))
        }
        _ => None,
    }
}

/// An agent's private note on a file: never shown to the beneficiary or a partner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoteRecord {
    pub renewal_id: String,
    pub note_id: String,
    pub text: String,
    pub agent_id: String,
    pub agent_name: String,
    #[serde(with = "dates::instant")]
    pub at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("cursor not recognised")]
    BadCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a renewal is already open")]
    AlreadyOpen,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone, Debug)]
pub struct RenewalStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    beneficiaries: String,
}

impl RenewalStore {
    /// The renewals table (`RENEWALS_TABLE`); a renewal that closes also writes the
    /// beneficiaries table (`BENEFICIARIES_TABLE`): its open marker goes, its last one stays.
    pub fn from_env(
        env: &crate::Env,
        clients: &crate::aws::Clients,
    ) -> Result<Self, crate::ConfigError> {
        Ok(Self {
            client: clients.dynamo.clone(),
            table: env.require("RENEWALS_TABLE")?,
            // Only the functions that close renewals are given it (document-check is not);
            // without it, such a write is refused by DynamoDB rather than sent elsewhere.
            beneficiaries: env.optional("BENEFICIARIES_TABLE").unwrap_or_default(),
        })
    }

    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table: String,
        beneficiaries: &BeneficiaryStore,
    ) -> Self {
        Self {
            client,
            table,
            beneficiaries: beneficiaries.table().to_owned(),
        }
    }

    /// Creates the renewal and the beneficiary's `open_renewal` marker in one transaction,
    /// so two concurrent starts cannot both succeed.
    pub async fn create(&self, r: &RenewalRecord) -> Result<(), CreateError> {
        let item = to_item(&indexed(r), &[("pk", &r.id), ("sk", RENEWAL)])?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let lock = Put::builder()
            .table_name(&self.beneficiaries)
            .set_item(Some(BeneficiaryStore::open_renewal_item(
                &r.nir_hash,
                &r.id,
            )))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().put(lock).build())
            .send()
            .await
            .map_err(|e| match sdk_error(e) {
                StoreError::Conflict => CreateError::AlreadyOpen,
                other => CreateError::Store(other),
            })?;
        Ok(())
    }

    /// The renewal and its documents, read consistently.
    pub async fn load(
        &self,
        id: &str,
    ) -> Result<Option<(RenewalRecord, Vec<DocumentRecord>)>, StoreError> {
        let mut renewal = None;
        let mut documents = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(id))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in out.items.unwrap_or_default() {
                match item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                {
                    Some(RENEWAL) => renewal = Some(from_item::<RenewalRecord>(item)?),
                    Some(sk) if sk.starts_with("doc#") => {
                        documents.push(from_item::<DocumentRecord>(item)?)
                    }
                    _ => {}
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        documents.sort_by_key(|d| d.created_at);
        Ok(renewal.map(|r| (r, documents)))
    }

    /// The renewal of this beneficiary (or of whoever acts for them), or `None` whether it is
    /// missing or someone else's: the caller answers 404 either way.
    pub async fn load_owned(
        &self,
        id: &str,
        nir_hash: &str,
    ) -> Result<Option<(RenewalRecord, Vec<DocumentRecord>)>, StoreError> {
        if id.len() > 64 {
            return Ok(None);
        }
        Ok(self.load(id).await?.filter(|(r, _)| r.nir_hash == nir_hash))
    }

    /// Saves `r` if the stored version is still `expected_version` (optimistic locking).
    /// A renewal that is no longer open releases the beneficiary's `open_renewal` marker in
    /// the same transaction.
    pub async fn save(&self, r: &RenewalRecord, expected_version: u64) -> Result<(), StoreError> {
        self.save_with(r, expected_version, Vec::new()).await
    }

    /// `save`, with other writes (an audit entry, a note) in the same transaction: all or none.
    pub async fn save_with(
        &self,
        r: &RenewalRecord,
        expected_version: u64,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let item = to_item(&indexed(r), &[("pk", &r.id), ("sk", RENEWAL)])?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .build()
            .map_err(build_error)?;
        let mut tx = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build());
        if !r.status.is_open() {
            let release = Delete::builder()
                .table_name(&self.beneficiaries)
                .set_key(Some(key(&r.nir_hash, OPEN_RENEWAL)))
                .condition_expression("attribute_not_exists(pk) OR renewal_id = :id")
                .expression_attribute_values(":id", s(&r.id))
                .build()
                .map_err(build_error)?;
            tx = tx.transact_items(TransactWriteItem::builder().delete(release).build());
            let last = Put::builder()
                .table_name(&self.beneficiaries)
                .set_item(Some(BeneficiaryStore::last_renewal_item(
                    &r.nir_hash,
                    &r.id,
                    r.updated_at.unix_timestamp() + CLOSED_FILE_KEPT_SECONDS,
                )))
                .build()
                .map_err(build_error)?;
            tx = tx.transact_items(TransactWriteItem::builder().put(last).build());
        }
        for item in extra {
            tx = tx.transact_items(item);
        }
        tx.send().await.map_err(sdk_error)?;
        Ok(())
    }

    /// Writes these items in one transaction.
    pub async fn write_all(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

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

    /// Files whose decision clock runs and whose deadline is on or before `until`, oldest
    /// first (index `by_deadline`): what the deadlines job reads grows with what is due.
    pub async fn due_by(&self, until: Date) -> Result<Vec<RenewalRecord>, StoreError> {
        let mut out = Vec::new();
        for item in query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_deadline")
                .key_condition_expression("deadline_open = :open AND queue_key <= :until")
                .expression_attribute_values(":open", s("open"))
                .expression_attribute_values(
                    ":until",
                    s(format!("{}#\u{10ffff}", dates::format_date(until))),
                ),
        )
        .await?
        {
            out.push(from_item::<RenewalRecord>(item)?);
        }
        Ok(out)
    }

    /// What the retention rules make due on or before `day` (index `by_purge`): (id, stage).
    /// Reads only what is due.
    pub async fn purge_due(&self, day: Date) -> Result<Vec<(String, PurgeStage)>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("by_purge")
                .key_condition_expression("purge_index = :d AND purge_key <= :until")
                .expression_attribute_values(":d", s("due"))
                .expression_attribute_values(
                    ":until",
                    s(format!("{}#\u{10ffff}", dates::format_date(day))),
                )
                .projection_expression("purge_key")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in page.items.unwrap_or_default() {
                let k = item
                    .get("purge_key")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                let mut parts = k.splitn(3, '#');
                if let (Some(_), Some(stage), Some(id)) = (
                    parts.next(),
                    parts.next().and_then(PurgeStage::parse),
                    parts.next(),
                ) {
                    out.push((id.to_owned(), stage));
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Deletes every item of a renewal (the renewal, its documents, its notes).
    pub async fn delete_all(&self, id: &str) -> Result<u64, StoreError> {
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
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(id, &sk)))
                .send()
                .await
                .map_err(sdk_error)?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Drafts last changed before `before` (index `by_draft`).
    pub async fn drafts_untouched_since(
        &self,
        before: OffsetDateTime,
    ) -> Result<Vec<RenewalRecord>, StoreError> {
        let mut out = Vec::new();
        for item in query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_draft")
                .key_condition_expression("draft_open = :d AND updated_at < :t")
                .expression_attribute_values(":d", s("draft"))
                .expression_attribute_values(":t", s(dates::format_instant(before))),
        )
        .await?
        {
            out.push(from_item::<RenewalRecord>(item)?);
        }
        Ok(out)
    }

    /// Decided renewals not yet exported, in decision order (index `by_export`).
    pub async fn pending_exports(&self) -> Result<Vec<RenewalRecord>, StoreError> {
        let mut out = Vec::new();
        for item in query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_export")
                .key_condition_expression("export_pending = :p")
                .expression_attribute_values(":p", s("pending")),
        )
        .await?
        {
            out.push(from_item::<RenewalRecord>(item)?);
        }
        Ok(out)
    }

    /// The renewals a partner filed, newest first (index `by_partner`).
    pub async fn filed_by(&self, partner_id: &str) -> Result<Vec<RenewalRecord>, StoreError> {
        query_as(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_partner")
                .key_condition_expression("filed_partner = :p")
                .expression_attribute_values(":p", s(partner_id))
                .scan_index_forward(false),
        )
        .await
    }

    /// The ids of a person's renewals, oldest first (index `by_beneficiary`).
    pub async fn ids_for(&self, nir_hash: &str) -> Result<Vec<String>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_beneficiary")
                .key_condition_expression("nir_hash = :h")
                .expression_attribute_values(":h", s(nir_hash)),
        )
        .await?;
        Ok(items
            .into_iter()
            .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    pub fn note_item(&self, note: &NoteRecord) -> Result<TransactWriteItem, StoreError> {
        let sk = format!("note#{}#{}", dates::format_instant(note.at), note.note_id);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(
                note,
                &[("pk", &note.renewal_id), ("sk", &sk)],
            )?))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub async fn notes(&self, renewal_id: &str) -> Result<Vec<NoteRecord>, StoreError> {
        query_as(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :note)")
                .expression_attribute_values(":pk", s(renewal_id))
                .expression_attribute_values(":note", s("note#"))
                .consistent_read(true),
        )
        .await
    }

    /// Adds a document while the renewal still accepts documents.
    pub async fn add_document(&self, d: &DocumentRecord) -> Result<(), StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(&d.renewal_id, RENEWAL)))
            .condition_expression("#st IN (:draft, :awaiting)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":draft", s(Status::Draft.as_str()))
            .expression_attribute_values(":awaiting", s(Status::AwaitingDocuments.as_str()))
            .build()
            .map_err(build_error)?;
        let item = to_item(
            d,
            &[("pk", &d.renewal_id), ("sk", &document_sk(&d.document_id))],
        )?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().condition_check(check).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    pub async fn document(
        &self,
        renewal_id: &str,
        document_id: &str,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        get_as(
            &self.client,
            &self.table,
            key(renewal_id, &document_sk(document_id)),
        )
        .await
    }

    /// Records the outcome of a check, only if the document is still in `from`: a redelivered
    /// message finds it already checked and changes nothing.
    pub async fn set_document_status(
        &self,
        d: &DocumentRecord,
        from: DocumentStatus,
    ) -> Result<(), StoreError> {
        let item = to_item(
            d,
            &[("pk", &d.renewal_id), ("sk", &document_sk(&d.document_id))],
        )?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#st = :from")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":from", s(from.as_str()))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    pub async fn delete_document(
        &self,
        renewal_id: &str,
        document_id: &str,
    ) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(renewal_id, &document_sk(document_id))))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}
