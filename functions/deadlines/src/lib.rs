//! `deadlines` (daily): the caisse decides within 2 months of the complete file, and silence
//! is acceptance (CSS L861-5). Files due within 10 days are flagged for the superviseur; files
//! past their deadline are marked accepted by silence, for the agent to record the rights
//! (they are already first in the queue, which runs oldest deadline first). Reads only what
//! is due, through the index `by_deadline`; flags make a second run change nothing.

use c2s_platform::aws::Clients;
use c2s_platform::clock::today;
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::Value;
use time::Duration;

/// How close a deadline must be for the superviseur to be warned.
pub const NEAR_DAYS: i64 = 10;

pub struct App {
    renewals: RenewalStore,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
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
    let mut report = Report::default();
    for mut r in app.renewals.due_by(day + Duration::days(NEAR_DAYS)).await? {
        report.read += 1;
        let Some(deadline) = r.deadline else { continue };
        let silent = deadline < day && !r.accepted_by_silence;
        let near = !r.near_deadline;
        if !(silent || near) {
            continue;
        }
        if silent {
            r.accepted_by_silence = true;
            report.accepted_by_silence += 1;
        }
        if near {
            r.near_deadline = true;
            report.flagged_near += 1;
        }
        match app.renewals.save(&mut r).await {
            // An agent acted meanwhile: tomorrow's run sees the new state.
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}
