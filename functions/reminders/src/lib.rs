//! `reminders` (daily): beneficiaries whose rights end within 4 months and who have not
//! started a renewal, and drafts untouched for 14 days, get a reminder by email and SMS.
//! This job only reads who is due, through indexes (rights ending by day,
//! `by_rights_end_day`; drafts by last change, `by_draft`), and fans them out on the
//! reminders queue; `reminders-worker` checks each is still due and sends it once.
//!
//! A person is reminded on the day their renewal opens (4 months before the end), so a run
//! reads only the ends that open today, and those of the days since its last run (its
//! watermark) when it missed some; likewise the drafts that became idle since. A run with no
//! watermark (the first) reads the whole window. Someone whose file arrives once their renewal
//! has opened is dispatched by the import (`sync-in`): no day of this index is theirs any more.

use c2s_domain::renewal::{ends_opening_between, opens_on};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::clock::today;
use c2s_platform::idempotency::IdempotencyStore;
use c2s_platform::queue::{send_all, SendError};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::tasks::ReminderTask;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::Value;
use time::Duration;

const DRAFT_IDLE: Duration = Duration::days(14);
/// The last day whose reminders were all dispatched (idempotency table).
pub const WATERMARK: &str = "watermark#reminders#rights_end";

pub struct App {
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    idempotency: IdempotencyStore,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            idempotency: IdempotencyStore::from_env(env, clients)?,
            sqs: clients.sqs(),
            queue_url: env.require("REMINDERS_QUEUE_URL")?,
        })
    }
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Items read from the indexes: what the run costs, one per reminder due.
    pub read: u64,
    /// Reminders sent to the workers, by reason.
    pub rights_ending: u64,
    pub drafts_idle: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RemindError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] SendError),
    #[error(transparent)]
    Report(#[from] serde_json::Error),
}

pub async fn run(app: &App) -> Result<Value, RemindError> {
    let report = dispatch(app).await?;
    tracing::info!(?report, "reminders dispatched");
    Ok(serde_json::to_value(report)?)
}

pub async fn dispatch(app: &App) -> Result<Report, RemindError> {
    let day = today();
    let mut report = Report::default();
    let last = app.idempotency.watermark(WATERMARK).await?;
    let mut tasks = Vec::new();
    // The ends whose renewal opened since the last run, up to today; never before the
    // window that is open today (rights ending today opened 4 months ago).
    let window = opens_on(day);
    let from = match last {
        Some(done) => done.next_day().unwrap_or(done).max(window),
        None => window,
    };
    for end in ends_opening_between(from, day) {
        if end < day {
            continue;
        }
        for p in app.beneficiaries.ending_on(end).await? {
            report.read += 1;
            report.rights_ending += 1;
            tasks.push(ReminderTask::RightsEnding {
                nir_hash: p.nir_hash,
                end: p.css_end_date,
            });
        }
    }
    // The drafts that became idle (14 days untouched) since the last run's midnight.
    let midnight = |d: time::Date| d.midnight().assume_utc();
    let idle_from = last.map(|done| midnight(done) - DRAFT_IDLE);
    let idle_before = midnight(day) - DRAFT_IDLE;
    for r in app
        .renewals
        .drafts_untouched_between(idle_from, idle_before)
        .await?
    {
        report.read += 1;
        report.drafts_idle += 1;
        tasks.push(ReminderTask::DraftIdle {
            renewal_id: r.id,
            updated_at: c2s_domain::dates::format_instant(r.updated_at),
        });
    }
    let bodies: Vec<String> = tasks.iter().map(ReminderTask::body).collect();
    send_all(&app.sqs, &app.queue_url, &bodies).await?;
    // Only once every reminder is on the queue: a run that failed is read again whole.
    app.idempotency.set_watermark(WATERMARK, day).await?;
    Ok(report)
}
