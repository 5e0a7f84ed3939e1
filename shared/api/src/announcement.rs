//! A file announced before its presigned upload (a renewal's document, a partner request's
//! attachment): its type, size and name, checked the same way wherever it comes from. A NIR
//! may be inside the document, never in its name.

use crate::{ApiError, Code};
use c2s_domain::document::{
    display_filename, ContentType, DocumentKind, DocumentStatus, FilenameError,
    MAX_DOCUMENTS_PER_RENEWAL, MAX_DOCUMENT_BYTES,
};
use c2s_domain::FieldError;
use c2s_platform::objects::PresignedRequest;
use c2s_platform::renewals::{object_key, DocumentRecord};
use serde_json::{json, Value};
use std::time::Duration;
use time::OffsetDateTime;

/// How long the presigned PUT of an announced file may be used.
pub const UPLOAD_URL_VALIDITY: Duration = Duration::from_secs(5 * 60);

/// 409 `too_many_documents` once `docs` (those already announced) hold as many as a file may;
/// a rejected one leaves its place.
pub fn check_room(docs: &[DocumentRecord]) -> Result<(), ApiError> {
    if docs
        .iter()
        .filter(|d| d.status != DocumentStatus::Rejected)
        .count()
        >= MAX_DOCUMENTS_PER_RENEWAL
    {
        return Err(ApiError::from(Code::TooManyDocuments));
    }
    Ok(())
}

/// The 201 answer to an announcement: the document's id and view, and its upload.
pub fn announced(record: &DocumentRecord, upload: &PresignedRequest) -> Value {
    json!({"document_id": record.document_id, "upload": upload, "document": crate::views::document_view(record)})
}

pub struct Announcement {
    pub filename: String,
    pub content_type: ContentType,
    pub size: u64,
}

impl Announcement {
    /// The type first (`document_type_not_allowed`), then the size (`document_too_large`),
    /// then the name; `errors` holds field errors found before (a renewal document's kind),
    /// answered with the name's.
    pub fn parse(body: &Value, mut errors: Vec<FieldError>) -> Result<Announcement, ApiError> {
        let text = |k: &str| body.get(k).and_then(Value::as_str);
        let content_type = match text("content_type") {
            None => {
                return Err(ApiError::invalid(vec![FieldError::required(
                    "content_type",
                )]))
            }
            Some(ct) => ContentType::parse(ct)
                .ok_or_else(|| ApiError::from(Code::DocumentTypeNotAllowed))?,
        };
        let size = match body.get("size") {
            Some(Value::Number(n)) => n.as_u64().filter(|s| *s > 0).ok_or_else(|| {
                ApiError::invalid(vec![FieldError::new(
                    "size",
                    "invalid_size",
                    "La taille du fichier doit être un nombre d'octets positif.",
                )])
            })?,
            None | Some(Value::Null) => {
                return Err(ApiError::invalid(vec![FieldError::required("size")]))
            }
            Some(_) => return Err(ApiError::invalid(vec![FieldError::wrong_type("size")])),
        };
        if size > MAX_DOCUMENT_BYTES {
            return Err(ApiError::from(Code::DocumentTooLarge).with("max_size", MAX_DOCUMENT_BYTES));
        }
        let filename = match text("filename").map(display_filename) {
            Some(Ok(name)) => Some(name),
            Some(Err(FilenameError::Nir)) => {
                errors.push(FieldError::new(
                    "filename",
                    "nir_not_allowed",
                    "Renommez le fichier : son nom ne doit pas contenir de numéro de sécurité sociale.",
                ));
                None
            }
            Some(Err(FilenameError::Invalid)) | None => {
                errors.push(FieldError::new(
                    "filename",
                    "invalid_filename",
                    "Le nom du fichier est manquant ou trop long.",
                ));
                None
            }
        };
        match filename {
            Some(filename) if errors.is_empty() => Ok(Announcement {
                filename,
                content_type,
                size,
            }),
            _ => Err(ApiError::invalid(errors)),
        }
    }

    /// The file as a document of `kind` under `owner` (a renewal, or a request's
    /// `request_owner`), not uploaded yet: a new id, and its object's key.
    pub fn awaiting_upload(self, owner: String, kind: DocumentKind) -> DocumentRecord {
        let document_id = uuid::Uuid::new_v4().to_string();
        let object_key = object_key(&owner, &document_id);
        DocumentRecord {
            renewal_id: owner,
            document_id,
            kind,
            filename: self.filename,
            content_type: self.content_type,
            size: self.size,
            status: DocumentStatus::AwaitingUpload,
            reject_reason: None,
            object_key,
            version_id: None,
            created_at: OffsetDateTime::now_utc(),
            scan_attempts: 0,
            last_scan_attempt_at: None,
        }
    }
}
