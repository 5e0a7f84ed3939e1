//! `sync-in`: files from the national system, through S3 object-created events on SQS.
//!
//! `inbound/beneficiaries/<file>.jsonl` is read line by line (never whole), each line is
//! validated; valid beneficiaries are written 25 at a time, invalid lines go to
//! `inbound/rejects/<file>.jsonl` with their line number and reason (never the NIR)
//! ([`import`]); those whose renewal has already opened go to the reminders queue too. `inbound/acks/<name>.json` is the national system's answer to an outbound
//! file ([`acknowledge`]). The same file twice, or the same message twice, changes nothing.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::hashing::Hasher;
use c2s_platform::idempotency::{IdempotencyStore, InProgress};
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::queue::{for_each_message, ObjectRef};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};

mod acks;
mod arrivals;
mod import;

pub use acks::{acknowledge, AckReport};
pub use import::{import, rejects_key, ImportReport};

pub const BENEFICIARIES_PREFIX: &str = "inbound/beneficiaries/";
pub const REJECTS_PREFIX: &str = "inbound/rejects/";
pub const ACKS_PREFIX: &str = "inbound/acks/";
/// A claim on a file expires after the longest a run may take (the function's timeout).
const IMPORT_CLAIM_SECONDS: i64 = 15 * 60;

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
        })
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
}

/// One span per message; failed messages are reported so only they come back. Each object
/// goes to the job of its prefix.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    for_each_message(event, "sync-in", |objects: Vec<ObjectRef>| async move {
        for object in objects
            .iter()
            .filter(|o| o.bucket == app.bucket && o.key.starts_with(BENEFICIARIES_PREFIX))
        {
            let report = import(app, object).await?;
            tracing::info!(
                lines = report.lines,
                imported = report.imported,
                rejected = report.rejected,
                already_done = report.already_done,
                "beneficiaries file imported"
            );
        }
        for object in objects
            .iter()
            .filter(|o| o.bucket == app.bucket && o.key.starts_with(ACKS_PREFIX))
        {
            let report = acknowledge(app, object).await?;
            tracing::info!(
                integrated = report.integrated,
                sent_back = report.sent_back,
                skipped = report.skipped,
                slot_taken = report.slot_taken,
                "acknowledgement applied"
            );
        }
        Ok::<_, ImportError>(())
    })
    .await
}
