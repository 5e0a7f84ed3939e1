//! `sync-in`: files from the national system, through S3 object-created events on SQS.
//!
//! `inbound/beneficiaries/<file>.jsonl` is read line by line (never whole), each line is
//! validated; valid beneficiaries are written 25 at a time, several batches in flight, invalid
//! lines go to `inbound/rejects/<file>.jsonl` with their line number and reason (never the
//! NIR) ([`import`]). A file larger than `IMPORT_RANGE_BYTES` is cut into byte ranges, each a
//! task on `ImportRangesQueue` that this function also consumes ([`ranges`]). Those whose
//! renewal has already opened go to the reminders queue too. `inbound/acks/<name>.json` is the national system's answer to an outbound
//! file ([`acknowledge`]). The same file twice, or the same message twice, changes nothing.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::hashing::Hasher;
use c2s_platform::idempotency::{IdempotencyStore, InProgress};
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::queue::{backoff_seconds, objects_in, ObjectRef};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use tracing::Instrument;

mod acks;
mod arrivals;
mod import;
mod lines;
pub mod ranges;
mod rejects;

pub use acks::{acknowledge, AckReport};
pub use import::{import, ImportReport};
pub use lines::profile;
pub use rejects::rejects_key;

pub const BENEFICIARIES_PREFIX: &str = "inbound/beneficiaries/";
pub const REJECTS_PREFIX: &str = "inbound/rejects/";
pub const ACKS_PREFIX: &str = "inbound/acks/";
/// Where a large file's ranges write their rejects until the last one joins them.
pub const PARTS_PREFIX: &str = "inbound/import-parts/";

pub struct App {
    renewals: RenewalStore,
    beneficiaries: BeneficiaryStore,
    idempotency: IdempotencyStore,
    objects: Objects,
    bucket: String,
    hasher: Hasher,
    sqs: aws_sdk_sqs::Client,
    /// Where the people who arrive once their renewal has opened go to be reminded.
    reminders_queue_url: String,
    /// S3's notifications of new files (`SYNC_IN_QUEUE_URL`): a small file's message is
    /// leased as a range's is.
    files_queue_url: String,
    ranges_queue_url: String,
    /// A file larger than this is cut into ranges of this size (`IMPORT_RANGE_BYTES`).
    range_bytes: u64,
    /// How long a range's claim, and its message's invisibility, last unless renewed
    /// (`IMPORT_LEASE_SECONDS`): how soon a crashed worker's range is taken up again.
    lease_seconds: i64,
    /// BatchWriteItem calls in flight at once per worker (`IMPORT_WRITE_CONCURRENCY`).
    write_concurrency: usize,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            idempotency: IdempotencyStore::from_env(env, clients)?,
            objects: Objects::from_env(env, clients),
            bucket: env.require("EXCHANGE_BUCKET")?,
            hasher: Hasher::from_env(env)?,
            sqs: clients.sqs(),
            reminders_queue_url: env.require("REMINDERS_QUEUE_URL")?,
            files_queue_url: env.require("SYNC_IN_QUEUE_URL")?,
            ranges_queue_url: env.require("IMPORT_RANGES_QUEUE_URL")?,
            range_bytes: number(env, "IMPORT_RANGE_BYTES", 32 * 1024 * 1024)?,
            lease_seconds: number(env, "IMPORT_LEASE_SECONDS", 60)?,
            write_concurrency: number(env, "IMPORT_WRITE_CONCURRENCY", 8)?,
        })
    }

    /// Keeps a message out of sight for `seconds` from now (its lease, renewed while its
    /// work goes on). A failure is logged: the message then comes back after the queue's
    /// visibility timeout, and the claim still guards the work.
    async fn set_visibility(&self, message: Leased<'_>, seconds: i64) {
        let queue_url = match message.queue {
            Source::Files => &self.files_queue_url,
            Source::Ranges => &self.ranges_queue_url,
        };
        let set = self
            .sqs
            .change_message_visibility()
            .queue_url(queue_url)
            .receipt_handle(message.receipt)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await;
        if let Err(e) = set {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "visibility not set");
        }
    }
}

/// The queue a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Files,
    Ranges,
}

/// A message being worked on, by its receipt: its visibility is the work's lease.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leased<'a> {
    queue: Source,
    receipt: &'a str,
}

/// A positive number from the environment, or `default` when it is not set.
fn number<T: std::str::FromStr + From<u8> + PartialOrd>(
    env: &Env,
    name: &str,
    default: T,
) -> Result<T, ConfigError> {
    match env.optional(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| *n > T::from(0))
            .ok_or_else(|| ConfigError::Invalid(name.to_owned())),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is being imported by another run")]
    InProgress(#[from] InProgress),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error(transparent)]
    Queue(#[from] c2s_platform::queue::SendError),
    #[error("the acknowledgement is not the expected JSON")]
    BadAck,
    #[error("reading the file failed: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Transition(#[from] c2s_domain::renewal::InvalidTransition),
    #[error("range {0} is recorded done without its counts")]
    RangeMissing(u32),
    #[error("a part of the rejects is not what a range writes")]
    BadPart,
}

/// One span per message; failed messages are reported so only they come back. Each object
/// goes to the job of its prefix.
pub async fn handle(app: &App, mut event: SqsEvent) -> SqsBatchResponse {
    // Range tasks come from ImportRangesQueue, S3's notifications from SyncInQueue.
    let (tasks, files): (Vec<SqsMessage>, Vec<SqsMessage>) = std::mem::take(&mut event.records)
        .into_iter()
        .partition(|m| {
            m.body
                .as_deref()
                .is_some_and(|b| ranges::RangeTask::read(b).is_some())
        });
    let mut response = ranges::handle_ranges(app, tasks).await;
    // One message at a time with its receipt: its visibility is the lease of the work it
    // holds, so that a run that stops gives it back within a lease, not the queue's 15 min.
    for message in files {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", consumer = "sync-in", message_id = %id);
        let leased = message.receipt_handle.as_deref().map(|receipt| Leased {
            queue: Source::Files,
            receipt,
        });
        let after = match objects_in(message.body.as_deref().unwrap_or("")) {
            Ok(objects) => match files_of(app, &objects, leased).instrument(span).await {
                Ok(()) => continue,
                // Another run holds the file: its claim ends within a lease.
                Err(ImportError::InProgress(e)) => {
                    tracing::info!(message_id = %id, outcome = %e, "message put back");
                    app.lease_seconds
                }
                Err(e) => {
                    tracing::warn!(message_id = %id, error = %e, "message failed");
                    let count = message
                        .attributes
                        .get("ApproximateReceiveCount")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1);
                    app.lease_seconds.max(backoff_seconds(count).into())
                }
            },
            // A body that cannot be read never will be: back at once, to reach the
            // dead-letter queue after its receives.
            Err(e) => {
                tracing::warn!(message_id = %id, error = %e, "message failed");
                0
            }
        };
        if let Some(leased) = leased {
            app.set_visibility(leased, after).await;
        }
        response.add_failure(id);
    }
    response
}

/// The files one notification names: the beneficiaries files imported, the
/// acknowledgements applied.
async fn files_of(
    app: &App,
    objects: &[ObjectRef],
    leased: Option<Leased<'_>>,
) -> Result<(), ImportError> {
    for object in under(app, objects, BENEFICIARIES_PREFIX) {
        let report = import::import_leased(app, object, leased).await?;
        tracing::info!(
            lines = report.lines,
            imported = report.imported,
            rejected = report.rejected,
            ranges = report.ranges,
            already_done = report.already_done,
            "beneficiaries file imported or planned"
        );
    }
    for object in under(app, objects, ACKS_PREFIX) {
        let report = acks::acknowledge_leased(app, object, leased).await?;
        tracing::info!(
            integrated = report.integrated,
            sent_back = report.sent_back,
            skipped = report.skipped,
            slot_taken = report.slot_taken,
            "acknowledgement applied"
        );
    }
    Ok(())
}

/// The objects of the notification in the function's own bucket under `prefix`.
fn under<'a>(
    app: &'a App,
    objects: &'a [ObjectRef],
    prefix: &'a str,
) -> impl Iterator<Item = &'a ObjectRef> {
    objects
        .iter()
        .filter(move |o| o.bucket == app.bucket && o.key.starts_with(prefix))
}
