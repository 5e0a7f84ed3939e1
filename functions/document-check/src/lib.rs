//! `document-check`: every object that lands in the documents bucket is checked before an
//! agent may open it: size and magic bytes against what was announced, then the antivirus.
//! A failing object is deleted and its document marked `rejected` with the reason. Without
//! an antivirus the document stays `pending_scan`: never `clean` unscanned. The version
//! checked is pinned in the record (agents' links name it); any later version of the object
//! is deleted unchecked. Which antivirus scans: [`antivirus`] (on AWS, a clamd of the
//! function's own).

pub mod antivirus;

use antivirus::{Antivirus, AntivirusError};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_domain::document::{check_content, DocumentStatus, RejectReason, MAX_DOCUMENT_BYTES};
use c2s_platform::aws::Clients;
use c2s_platform::clamd::Verdict;
use c2s_platform::idempotency::{IdempotencyStore, InProgress, Once};
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::queue::{for_each_message, ObjectRef};
use c2s_platform::renewals::{parse_object_key, DocumentRecord, RenewalStore};
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use std::collections::HashMap;

pub struct App {
    idempotency: IdempotencyStore,
    renewals: RenewalStore,
    objects: Objects,
    bucket: String,
    antivirus: Antivirus,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            idempotency: IdempotencyStore::from_env(env, clients)?,
            renewals: RenewalStore::from_env(env, clients)?,
            objects: Objects::from_env(env, clients),
            bucket: env.require("DOCUMENTS_BUCKET")?,
            antivirus: Antivirus::from_env(env, clients)?,
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    PendingScan,
    Rejected(RejectReason),
    /// A version that came after the check: deleted, never checked into the record.
    Discarded,
    /// Nothing to do: unknown key, already checked, or deleted meanwhile.
    Skipped,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("another delivery is checking this object")]
    InProgress(#[from] InProgress),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error(transparent)]
    Antivirus(#[from] AntivirusError),
}

/// One span per message; failed messages are reported so only they come back.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    for_each_message(
        event,
        "document-check",
        |objects: Vec<ObjectRef>| async move {
            for object in objects {
                let outcome = check_once(app, &object).await?;
                tracing::info!(outcome = ?outcome, "document checked");
            }
            Ok::<_, CheckError>(())
        },
    )
    .await
}

/// Checks an object once per upload (bucket, key, ETag): a redelivered message finds the
/// record done, a concurrent one finds it in progress and comes back later.
pub async fn check_once(app: &App, object: &ObjectRef) -> Result<Outcome, CheckError> {
    let key = object.once_key("document-check");
    let once = app
        .idempotency
        .run_once(&key, 120, || check(app, object), |_| HashMap::new())
        .await?;
    Ok(match once {
        Once::Ran(outcome) => outcome,
        Once::AlreadyDone => Outcome::Skipped,
    })
}

pub async fn check(app: &App, object: &ObjectRef) -> Result<Outcome, CheckError> {
    if object.bucket != app.bucket {
        return Ok(Outcome::Skipped);
    }
    let Some((renewal_id, document_id)) = parse_object_key(&object.key) else {
        return Ok(Outcome::Skipped);
    };
    let Some(mut doc) = app.renewals.document(&renewal_id, &document_id).await? else {
        // No record: the document was removed meanwhile; do not keep what nobody announced.
        match &object.version_id {
            Some(v) => {
                app.objects
                    .delete_version(&app.bucket, &object.key, v)
                    .await?
            }
            None => app.objects.delete(&app.bucket, &object.key).await?,
        }
        return Ok(Outcome::Skipped);
    };
    if doc.status != DocumentStatus::AwaitingUpload {
        return discard_unchecked(app, &doc, object.version_id.clone()).await;
    }
    let read = match app
        .objects
        .read_small(
            &app.bucket,
            &doc.object_key,
            object.version_id.as_deref(),
            MAX_DOCUMENT_BYTES,
        )
        .await
    {
        Ok(read) => read,
        Err(ObjectError::NotFound) => return Ok(Outcome::Skipped),
        Err(e) => return Err(e.into()),
    };
    let head = &read.bytes[..read.bytes.len().min(16)];
    let mut outcome = match check_content(doc.content_type, doc.size, read.size, head) {
        Err(reason) => Outcome::Rejected(reason),
        Ok(()) => match app.antivirus.scan(&read.bytes).await? {
            None => Outcome::PendingScan,
            Some(Verdict::Clean) => Outcome::Clean,
            Some(Verdict::Infected) => Outcome::Rejected(RejectReason::Infected),
        },
    };
    // What was checked is these bytes, this version: agents' links will name it.
    doc.version_id = read.version_id.clone();
    match &outcome {
        Outcome::Rejected(reason) => {
            match &read.version_id {
                Some(v) => {
                    app.objects
                        .delete_version(&app.bucket, &doc.object_key, v)
                        .await?
                }
                None => app.objects.delete(&app.bucket, &doc.object_key).await?,
            }
            doc.status = DocumentStatus::Rejected;
            doc.reject_reason = Some(*reason);
        }
        Outcome::PendingScan => {
            tracing::warn!("no antivirus configured: document left pending_scan");
            doc.status = DocumentStatus::PendingScan;
        }
        Outcome::Clean => doc.status = DocumentStatus::Clean,
        Outcome::Skipped | Outcome::Discarded => {}
    }
    match app
        .renewals
        .set_document_status(&doc, DocumentStatus::AwaitingUpload)
        .await
    {
        Ok(()) => {}
        // Checked meanwhile by a concurrent delivery (of this version, or of another one
        // that then is the checked one), or removed.
        Err(StoreError::Conflict) => {
            outcome = match app.renewals.document(&renewal_id, &document_id).await? {
                Some(now) => discard_unchecked(app, &now, read.version_id).await?,
                None => Outcome::Skipped,
            }
        }
        Err(e) => return Err(e.into()),
    }
    Ok(outcome)
}

/// A version of a document's object that came after its check (an upload over it, which the
/// single-use URL and the bucket's policy should have refused) is a new object nobody
/// checked: it is deleted, and the record keeps the version that was checked. An event
/// that names no version is about the current one.
async fn discard_unchecked(
    app: &App,
    doc: &DocumentRecord,
    version: Option<String>,
) -> Result<Outcome, CheckError> {
    let version = match version {
        Some(v) => Some(v),
        None => {
            app.objects
                .current_version(&app.bucket, &doc.object_key)
                .await?
        }
    };
    match version {
        // A record checked before versions were pinned names none: nothing to tell apart.
        Some(v) if doc.version_id.as_ref().is_some_and(|pinned| *pinned != v) => {
            app.objects
                .delete_version(&app.bucket, &doc.object_key, &v)
                .await?;
            tracing::warn!("a version uploaded after the check was deleted unchecked");
            Ok(Outcome::Discarded)
        }
        _ => Ok(Outcome::Skipped),
    }
}
