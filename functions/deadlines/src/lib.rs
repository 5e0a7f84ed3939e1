//! `deadlines` (daily): the caisse decides within 2 months of the complete file, and silence
//! is acceptance (CSS L861-5). Files due within 10 days are flagged for the superviseur; files
//! past their deadline are marked accepted by silence, for the agent to record the rights
//! (they are already first in the queue, which runs oldest deadline first). This job only
//! reads what is due, through the index `by_deadline`, and fans the files out on the deadlines
//! queue; `deadlines-worker` flags each one (flags make a second delivery change nothing).
//!
//! A run reads the deadlines that came within 10 days or passed since its last run (its
//! watermark), so each file is read about twice in its life (near, then past), not every day
//! of its last 10; a day the job did not run is caught up by the next. With no watermark
//! (the first run) it reads every running file due within 10 days.

use c2s_domain::renewal::NEAR_DEADLINE_DAYS;
use c2s_platform::aws::Clients;
use c2s_platform::clock::today;
use c2s_platform::idempotency::IdempotencyStore;
use c2s_platform::queue::{send_all, SendError};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::tasks::DeadlineTask;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use time::Duration;

/// The last day the job finished (idempotency table).
pub const WATERMARK: &str = "watermark#deadlines";

pub struct App {
    renewals: RenewalStore,
    idempotency: IdempotencyStore,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            idempotency: IdempotencyStore::from_env(env, clients)?,
            sqs: clients.sqs(),
            queue_url: env.require("DEADLINES_QUEUE_URL")?,
        })
    }
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Files read from the index (all due within the window).
    pub read: u64,
    /// Files sent to the workers (each file once, however many ranges named it).
    pub dispatched: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DeadlinesError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] SendError),
    #[error(transparent)]
    Report(#[from] serde_json::Error),
}

pub async fn run(app: &App) -> Result<Value, DeadlinesError> {
    let report = dispatch(app).await?;
    tracing::info!(?report, "deadlines dispatched");
    Ok(serde_json::to_value(report)?)
}

pub async fn dispatch(app: &App) -> Result<Report, DeadlinesError> {
    let day = today();
    let near_until = day + Duration::days(NEAR_DEADLINE_DAYS);
    let mut report = Report::default();
    let mut due: BTreeSet<String> = BTreeSet::new();
    let ranges = match app.idempotency.watermark(WATERMARK).await? {
        // The run of `done` flagged deadlines up to `done + 10` and accepted those before
        // `done`: what came near since, and what passed since.
        Some(done) if done < day => vec![
            (
                Some(done + Duration::days(NEAR_DEADLINE_DAYS + 1)),
                near_until,
            ),
            (Some(done), day - Duration::days(1)),
        ],
        Some(_) => Vec::new(),
        None => vec![(None, near_until)],
    };
    for (from, until) in ranges {
        for r in app.renewals.due_between(from, until).await? {
            report.read += 1;
            due.insert(r.id);
        }
    }
    let bodies: Vec<String> = due
        .into_iter()
        .map(|renewal_id| DeadlineTask { renewal_id }.body())
        .collect();
    send_all(&app.sqs, &app.queue_url, &bodies).await?;
    report.dispatched = bodies.len() as u64;
    // Only once every file is on the queue: a run that failed is read again whole.
    app.idempotency.set_watermark(WATERMARK, day).await?;
    Ok(report)
}
