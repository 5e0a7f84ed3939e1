//! A renewal's supporting documents (`doc#<id>`) and agents' notes (`note#<time>#<id>`),
//! kept under the renewal's partition so one query reads the whole file.

use super::{build_error, document_sk, RenewalStore, RENEWAL};
use crate::store::{get_as, key, query_as, s, sdk_error, to_item, StoreError};
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
use c2s_domain::dates;
use c2s_domain::document::{ContentType, DocumentKind, DocumentStatus, RejectReason};
use c2s_domain::renewal::Status;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
    /// The version of the object that was checked, pinned by the check: agents' links name
    /// it, and any other version of the object is deleted unchecked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
    /// Checks that could not reach the antivirus (the document stays `pending_scan`), and
    /// when the last one was: the rescan job takes those left waiting (index `by_rescan`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub scan_attempts: u32,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_scan_attempt_at: Option<OffsetDateTime>,
}

impl DocumentRecord {
    /// The version that was checked, for a clean document: the only one ever handed out
    /// (`None` for a document not, or not yet, clean, or whose check pinned no version).
    pub fn checked_version(&self) -> Option<&str> {
        self.version_id
            .as_deref()
            .filter(|_| self.status == DocumentStatus::Clean)
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The document item as stored: the record plus the attributes only `by_rescan` reads,
/// derived on every write (never set by hand): `rescan` = `waiting` and
/// `rescan_key` = `<last attempt>#<renewal>#<document>` while a check that could not reach
/// the antivirus leaves it `pending_scan`.
#[derive(Serialize)]
struct IndexedDocument<'a> {
    #[serde(flatten)]
    document: &'a DocumentRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    rescan: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rescan_key: Option<String>,
}

fn indexed_document(d: &DocumentRecord) -> IndexedDocument<'_> {
    let waiting = match (d.status, d.last_scan_attempt_at) {
        (DocumentStatus::PendingScan, Some(at)) => Some(at),
        _ => None,
    };
    IndexedDocument {
        document: d,
        rescan: waiting.map(|_| "waiting"),
        rescan_key: waiting.map(|at| {
            format!(
                "{}#{}#{}",
                dates::format_instant(at),
                d.renewal_id,
                d.document_id
            )
        }),
    }
}

fn document_item(d: &DocumentRecord) -> Result<crate::store::Item, StoreError> {
    to_item(
        &indexed_document(d),
        &[("pk", &d.renewal_id), ("sk", &document_sk(&d.document_id))],
    )
}

pub fn object_key(renewal_id: &str, document_id: &str) -> String {
    format!("{}{document_id}", object_prefix(renewal_id))
}

/// Where every object of a renewal's documents is: `renewals/<renewal id>/`.
pub fn object_prefix(renewal_id: &str) -> String {
    format!("renewals/{renewal_id}/")
}

/// The documents of a partner's request `rid` are kept as those of this pseudo renewal
/// (never a renewal's id: those are UUIDs).
pub fn request_owner(rid: &str) -> String {
    format!("request.{rid}")
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

impl RenewalStore {
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
        let item = document_item(d)?;
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

    /// Records an attachment announced on a partner's request: a document of the pseudo
    /// renewal `request_owner(rid)`, so that its upload is checked by `document-check` (and
    /// asked again by `document-rescan`) exactly as a renewal's documents are.
    pub async fn add_attachment(&self, d: &DocumentRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(document_item(d)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// The documents kept under `owner` (a partner request's, `request_owner`), oldest first.
    pub async fn documents_of(&self, owner: &str) -> Result<Vec<DocumentRecord>, StoreError> {
        let mut docs: Vec<DocumentRecord> = query_as(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :d)")
                .expression_attribute_values(":pk", s(owner))
                .expression_attribute_values(":d", s("doc#"))
                .consistent_read(true),
        )
        .await?;
        docs.sort_by_key(|d| d.created_at);
        Ok(docs)
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
        let item = document_item(d)?;
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

    /// Documents a check left `pending_scan` (the antivirus could not answer) whose last
    /// attempt was before `before`, oldest first (index `by_rescan`: only
    /// those documents have its keys).
    pub async fn documents_waiting_for_scan(
        &self,
        before: OffsetDateTime,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        query_as(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_rescan")
                .key_condition_expression("rescan = :w AND rescan_key < :t")
                .expression_attribute_values(":w", s("waiting"))
                .expression_attribute_values(":t", s(dates::format_instant(before))),
        )
        .await
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

    /// Deletes one agent's note (the 3-year retention step: notes are "other data").
    pub async fn delete_note(&self, note: &NoteRecord) -> Result<(), StoreError> {
        let sk = format!("note#{}#{}", dates::format_instant(note.at), note.note_id);
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(&note.renewal_id, &sk)))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}
