//! `deadlines` (daily): the caisse decides within 2 months of the complete file, and silence
//! is acceptance (CSS L861-5). Files due within 10 days are flagged for the superviseur; files
//! past their deadline are marked accepted by silence, for the agent to record the rights
//! (they are already first in the queue, which runs oldest deadline first). Reads only what
//! is due, through the index `by_deadline`; flags make a second run change nothing.
//!
//! A run reads the deadlines that came within 10 days or passed since its last run (its
//! watermark), so each file is read about twice in its life (near, then past), not every day
//! of its last 10; a day the job did not run is caught up by the next. With no watermark
//! (the first run) it reads every running file due within 10 days.

use c2s_domain::renewal::Status;
use c2s_platform::aws::Clients;
use c2s_platform::clock::today;
use c2s_platform::idempotency::IdempotencyStore;
use c2s_platform::renewals::{RenewalRecord, RenewalStore};
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use time::{Date, Duration};

/// How close a deadline must be for the superviseur to be warned: the queue's and the
/// dashboard's `near` too.
pub const NEAR_DAYS: i64 = c2s_domain::renewal::NEAR_DEADLINE_DAYS;
/// The last day the job finished (idempotency table).
pub const WATERMARK: &str = "watermark#deadlines";
/// Saves tried on one file when agents keep changing it meanwhile.
const ATTEMPTS: usize = 3;

pub struct App {
    renewals: RenewalStore,
    idempotency: IdempotencyStore,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            idempotency: IdempotencyStore::from_env(env, clients)?,
        })
    }
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Files read from the index (all due within the window).
    pub read: u64,
    pub flagged_near: u64,
    pub accepted_by_silence: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DeadlinesError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Report(#[from] serde_json::Error),
}

pub async fn run(app: &App) -> Result<Value, DeadlinesError> {
    let report = flag(app).await?;
    tracing::info!(?report, "deadlines");
    Ok(serde_json::to_value(report)?)
}

pub async fn flag(app: &App) -> Result<Report, StoreError> {
    let day = today();
    let near_until = day + Duration::days(NEAR_DAYS);
    let mut due: BTreeMap<String, RenewalRecord> = BTreeMap::new();
    let mut read = |files: Vec<RenewalRecord>| {
        for r in files {
            due.entry(r.id.clone()).or_insert(r);
        }
    };
    match app.idempotency.watermark(WATERMARK).await? {
        // The run of `done` flagged deadlines up to `done + 10` and accepted those before
        // `done`: what came near since, and what passed since.
        Some(done) if done < day => {
            let near_from = done + Duration::days(NEAR_DAYS + 1);
            read(
                app.renewals
                    .due_between(Some(near_from), near_until)
                    .await?,
            );
            read(
                app.renewals
                    .due_between(Some(done), day - Duration::days(1))
                    .await?,
            );
        }
        Some(_) => {}
        None => read(app.renewals.due_between(None, near_until).await?),
    }
    let mut report = Report::default();
    for r in due.into_values() {
        report.read += 1;
        settle(app, r, day, &mut report).await?;
    }
    app.idempotency.set_watermark(WATERMARK, day).await?;
    Ok(report)
}

/// Flags the file (near, accepted by silence) as its deadline says; when an agent changed it
/// meanwhile, reads it again and applies the rule to what it now is (the next run will not
/// read it again).
async fn settle(
    app: &App,
    mut r: RenewalRecord,
    day: Date,
    report: &mut Report,
) -> Result<(), StoreError> {
    for _ in 0..ATTEMPTS {
        let running = matches!(r.status, Status::Submitted | Status::InReview);
        let Some(deadline) = r.deadline.filter(|_| running) else {
            return Ok(());
        };
        let silent = deadline < day && !r.accepted_by_silence;
        let near = deadline <= day + Duration::days(NEAR_DAYS) && !r.near_deadline;
        if !(silent || near) {
            return Ok(());
        }
        r.accepted_by_silence |= silent;
        r.near_deadline |= near;
        match app.renewals.save(&mut r).await {
            Ok(()) => {
                report.accepted_by_silence += u64::from(silent);
                report.flagged_near += u64::from(near);
                return Ok(());
            }
            Err(StoreError::Conflict) => match app.renewals.load(&r.id).await? {
                Some((fresh, _)) => r = fresh,
                None => return Ok(()),
            },
            Err(e) => return Err(e),
        }
    }
    tracing::warn!(renewal = %r.id, "deadline flags not saved: the file kept changing");
    Ok(())
}
