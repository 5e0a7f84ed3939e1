//! `document-check`: every object that lands in the documents bucket is checked before an
//! agent may open it: size and magic bytes against what was announced, then the antivirus.
//! A failing object is deleted and its document marked `rejected` with the reason. Without
//! an antivirus the document stays `pending_scan`: never `clean` unscanned. The version
//! checked is pinned in the record (agents' links name it); any later version of the object
//! is deleted unchecked. Which antivirus scans: [`antivirus`] (on AWS, a clamd of the
//! function's own). An antivirus that cannot answer leaves the document `pending_scan` with
//! its attempts counted (the person is told the check is delayed); the message backs off
//! (30 s, 2 min, 10 min…: `queue::Backoff`) and `document-rescan` asks again for the
//! documents left waiting.

pub mod antivirus;

use antivirus::{Antivirus, AntivirusError};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_domain::document::{check_content, DocumentStatus, RejectReason, MAX_DOCUMENT_BYTES};
use c2s_platform::aws::Clients;
use c2s_platform::clamd::Verdict;
use c2s_platform::idempotency::{IdempotencyStore, InProgress, Once};
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::queue::{Backoff, BadMessage, CheckAgain, Decode, ObjectRef};
use c2s_platform::renewals::{parse_object_key, DocumentRecord, RenewalStore};
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use std::collections::HashMap;
use time::OffsetDateTime;

pub struct App {
    idempotency: IdempotencyStore,
    renewals: RenewalStore,
    objects: Objects,
    bucket: String,
    antivirus: Antivirus,
    backoff: Backoff,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            idempotency: IdempotencyStore::from_env(env, clients)?,
            renewals: RenewalStore::from_env(env, clients)?,
            objects: Objects::from_env(env, clients),
            bucket: env.require("DOCUMENTS_BUCKET")?,
            antivirus: Antivirus::from_env(env, clients)?,
            backoff: Backoff::new(clients.sqs(), env.require("DOCUMENT_CHECK_QUEUE_URL")?),
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

/// What comes on the queue: S3's notification of an upload, or the rescan job's request to
/// check a document that waited (`CheckAgain`).
pub enum Message {
    Uploaded(Vec<ObjectRef>),
    Again(ObjectRef),
}

impl Decode for Message {
    fn decode(body: &str) -> Result<Self, BadMessage> {
        match CheckAgain::read(body) {
            Some(again) => Ok(Message::Again(again.object())),
            None => Vec::<ObjectRef>::decode(body).map(Message::Uploaded),
        }
    }
}

/// One span per message; failed messages are reported so only they come back, each after
/// its back-off. A rescan's request is one attempt: an antivirus still down leaves the
/// document waiting for the next rescan, not another message backing off.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    app.backoff
        .for_each_message(event, "document-check", |message: Message| async move {
            match message {
                Message::Uploaded(objects) => {
                    for object in objects {
                        let outcome = check_once(app, &object).await?;
                        tracing::info!(outcome = ?outcome, "document checked");
                    }
                }
                Message::Again(object) => match check_once(app, &object).await {
                    Ok(outcome) => tracing::info!(outcome = ?outcome, "document checked again"),
                    Err(CheckError::Antivirus(e)) => {
                        tracing::warn!(error = %e, "antivirus still unavailable: left for the next rescan")
                    }
                    Err(e) => return Err(e),
                },
            }
            Ok::<_, CheckError>(())
        })
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
    let from = doc.status;
    let waiting = match (from, &doc.version_id, &object.version_id) {
        (DocumentStatus::AwaitingUpload, _, _) => true,
        // Left waiting by an antivirus that could not answer: the version it read, again.
        (DocumentStatus::PendingScan, Some(pinned), Some(v)) => pinned == v,
        (DocumentStatus::PendingScan, _, _) => true,
        _ => false,
    };
    if !waiting {
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
    // What was checked is these bytes, this version: agents' links will name it.
    doc.version_id = read.version_id.clone();
    let mut outcome = match check_content(doc.content_type, doc.size, read.size, head) {
        Err(reason) => Outcome::Rejected(reason),
        Ok(()) => match app.antivirus.scan(&read.bytes).await {
            Ok(None) => Outcome::PendingScan,
            Ok(Some(Verdict::Clean)) => Outcome::Clean,
            Ok(Some(Verdict::Infected)) => Outcome::Rejected(RejectReason::Infected),
            Err(e) => return Err(wait_for_antivirus(app, doc, from, e).await),
        },
    };
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
    match app.renewals.set_document_status(&doc, from).await {
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

/// The antivirus could not answer: never a verdict. The document is recorded `pending_scan`
/// with this attempt (the rescan job's index reads it, the person sees the check delayed),
/// its object kept, and the error fails the message, which comes back after its back-off.
async fn wait_for_antivirus(
    app: &App,
    mut doc: DocumentRecord,
    from: DocumentStatus,
    error: AntivirusError,
) -> CheckError {
    doc.status = DocumentStatus::PendingScan;
    doc.scan_attempts = doc.scan_attempts.saturating_add(1);
    doc.last_scan_attempt_at = Some(OffsetDateTime::now_utc());
    tracing::warn!(
        attempts = doc.scan_attempts,
        error = %error,
        "antivirus unavailable: document left pending_scan"
    );
    match app.renewals.set_document_status(&doc, from).await {
        // Checked or removed meanwhile by another delivery: that one's outcome stands.
        Ok(()) | Err(StoreError::Conflict) => error.into(),
        Err(e) => e.into(),
    }
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
