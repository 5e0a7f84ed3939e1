//! A file announced before its presigned upload (a renewal's document, a partner request's
//! attachment): its type, size and name, checked the same way wherever it comes from. A NIR
//! may be inside the document, never in its name.

use crate::{ApiError, Code};
use c2s_domain::document::{display_filename, ContentType, FilenameError, MAX_DOCUMENT_BYTES};
use c2s_domain::FieldError;
use serde_json::Value;

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
}
