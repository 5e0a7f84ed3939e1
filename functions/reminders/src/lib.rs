//! `reminders` (daily): beneficiaries whose rights end within 4 months and who have not
//! started a renewal, and drafts untouched for 14 days, get a reminder by email and SMS
//! through the outbox, never twice for the same reason and period (each reminder is claimed
//! in the idempotency table). Found through indexes: rights ending by day
//! (`by_rights_end_day`), drafts by last change (`by_draft`).
//!
//! A person is reminded on the day their renewal opens (4 months before the end), so a run
//! reads only the ends that open today, and those of the days since its last run (its
//! watermark) when it missed some. A run with no watermark (the first) reads the whole window.

use c2s_domain::dates::format_date;
use c2s_domain::notice::{Channel, Notice};
use c2s_domain::renewal::{ends_opening_between, opens_on};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::clock::today;
use c2s_platform::idempotency::{IdempotencyStore, InProgress, Once};
use c2s_platform::outbox::{Outbox, OutboxMessage};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

const DRAFT_IDLE: Duration = Duration::days(14);
/// The last day whose opening ends were all read (idempotency table).
const WATERMARK: &str = "watermark#reminders#rights_end";

pub struct App {
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    idempotency: IdempotencyStore,
    outbox: Outbox,
    public_url: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            idempotency: IdempotencyStore::from_env(env, clients)?,
            outbox: Outbox::from_env(env, clients)?,
            public_url: env.require("PUBLIC_URL")?,
        })
    }
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Profiles read from the index: what the run costs, one per person due.
    pub read: u64,
    pub rights_ending: u64,
    pub drafts_idle: u64,
    pub messages: u64,
}

/// Never a person's contact or name: the store's and the queue's errors carry codes and
/// request ids.
#[derive(Debug, thiserror::Error)]
pub enum RemindError {
    #[error("another run is sending this reminder")]
    InProgress(#[from] InProgress),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Outbox(#[from] c2s_platform::outbox::OutboxError),
    #[error(transparent)]
    Report(#[from] serde_json::Error),
}

pub async fn run(app: &App) -> Result<Value, RemindError> {
    let report = remind(app).await?;
    tracing::info!(?report, "reminders");
    Ok(serde_json::to_value(report)?)
}

pub async fn remind(app: &App) -> Result<Report, RemindError> {
    let day = today();
    let mut report = Report::default();
    // The ends whose renewal opened since the last run, up to today; never before the
    // window that is open today (rights ending today opened 4 months ago).
    let window = opens_on(day);
    let from = match app.idempotency.watermark(WATERMARK).await? {
        Some(done) => done.next_day().unwrap_or(done).max(window),
        None => window,
    };
    for end in ends_opening_between(from, day) {
        if end < day {
            continue;
        }
        for p in app.beneficiaries.ending_on(end).await? {
            report.read += 1;
            if app.beneficiaries.open_renewal(&p.nir_hash).await?.is_some() {
                continue;
            }
            let key = format!(
                "reminder#rights_end#{}#{}",
                p.nir_hash,
                format_date(p.css_end_date)
            );
            let notice = Notice::RightsEnding {
                first_name: p.first_name.clone(),
                end_date: p.css_end_date,
                link: app.public_url.clone(),
            };
            if send_once(app, &key, &p, &notice, &mut report).await? {
                report.rights_ending += 1;
            }
        }
    }
    app.idempotency.set_watermark(WATERMARK, day).await?;
    // Drafts left alone for 14 days.
    for r in app
        .renewals
        .drafts_untouched_since(OffsetDateTime::now_utc() - DRAFT_IDLE)
        .await?
    {
        let Some(p) = app.beneficiaries.profile(&r.nir_hash).await? else {
            continue;
        };
        let key = format!(
            "reminder#draft#{}#{}",
            r.id,
            c2s_domain::dates::format_instant(r.updated_at)
        );
        let notice = Notice::DraftIdle {
            first_name: p.first_name.clone(),
            link: app.public_url.clone(),
        };
        if send_once(app, &key, &p, &notice, &mut report).await? {
            report.drafts_idle += 1;
        }
    }
    Ok(report)
}

/// Sends by email and SMS (where the person has them) unless this reminder was sent before
/// (or is being sent by another run).
async fn send_once(
    app: &App,
    key: &str,
    p: &Profile,
    notice: &Notice,
    report: &mut Report,
) -> Result<bool, RemindError> {
    let messages = &mut report.messages;
    let send = || async move {
        let mut to = Vec::new();
        if let Some(email) = &p.email {
            to.push((Channel::Email, email.clone()));
        }
        if let Some(phone) = &p.phone {
            to.push((Channel::Sms, phone.clone()));
        }
        for (channel, address) in to {
            app.outbox
                .send(&OutboxMessage::new(channel, address, notice.clone()))
                .await
                .map_err(RemindError::Outbox)?;
            *messages += 1;
        }
        Ok(())
    };
    match app
        .idempotency
        .run_once(key, 300, send, |_| HashMap::new())
        .await
    {
        Ok(Once::Ran(())) => Ok(true),
        Ok(Once::AlreadyDone) | Err(RemindError::InProgress(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
