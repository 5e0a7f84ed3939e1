//! The renewals table: per renewal (partition key = its id) one `renewal` item with the form,
//! status, version and history, and one `doc#<id>` item per supporting document, so that a
//! single query reads the whole file. Index `by_beneficiary` finds a person's renewals.

use crate::beneficiaries::{BeneficiaryStore, OPEN_RENEWAL};
use crate::store::{from_item, key, n, s, sdk_error, to_item, StoreError};
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};
use c2s_domain::beneficiary::Territory;
use c2s_domain::dates;
use c2s_domain::document::{ContentType, DocumentKind, DocumentStatus, RejectReason};
use c2s_domain::renewal::{Form, HistoryEntry, Member, Status};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

pub const RENEWAL: &str = "renewal";

pub fn document_sk(document_id: &str) -> String {
    format!("doc#{document_id}")
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Receipt {
    pub number: String,
    #[serde(with = "dates::instant")]
    pub submitted_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenewalRecord {
    pub id: String,
    pub nir_hash: String,
    pub caisse: String,
    pub status: Status,
    pub version: u64,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "dates::instant")]
    pub updated_at: OffsetDateTime,
    /// The day the request was started: it dates the reference period.
    #[serde(with = "dates::iso")]
    pub request_day: Date,
    #[serde(with = "dates::iso")]
    pub css_end_date: Date,
    pub form: Form,
    pub history: Vec<HistoryEntry>,
    pub receipt: Option<Receipt>,
    /// Kinds an agent asked for; each needs a clean document before resubmission.
    #[serde(default)]
    pub requested_documents: Vec<DocumentKind>,
    /// The household on file when the renewal started, offered until the form confirms one.
    pub suggested_household: Vec<Member>,
    pub applicant: Member,
    /// The beneficiary's territory when the renewal started, for the eligibility engine.
    #[serde(default)]
    pub territory: Option<Territory>,
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
        let item = to_item(r, &[("pk", &r.id), ("sk", RENEWAL)])?;
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

    /// Saves `r` if the stored version is still `expected_version` (optimistic locking).
    /// A renewal that is no longer open releases the beneficiary's `open_renewal` marker in
    /// the same transaction.
    pub async fn save(&self, r: &RenewalRecord, expected_version: u64) -> Result<(), StoreError> {
        let item = to_item(r, &[("pk", &r.id), ("sk", RENEWAL)])?;
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
        }
        tx.send().await.map_err(sdk_error)?;
        Ok(())
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
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(renewal_id, &document_sk(document_id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item.map(from_item).transpose()
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
            .expression_attribute_values(":from", s(status_str(from)))
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

fn status_str(s: DocumentStatus) -> &'static str {
    match s {
        DocumentStatus::AwaitingUpload => "awaiting_upload",
        DocumentStatus::PendingScan => "pending_scan",
        DocumentStatus::Clean => "clean",
        DocumentStatus::Rejected => "rejected",
    }
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}
