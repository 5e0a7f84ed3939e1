//! `reminders-worker`: sends what `reminders` (or an import) dispatched, one reminder per
//! message, by email and SMS through the outbox. It reads the person (or the draft) again and
//! sends only if the reminder is still due: rights ending on the same day without a renewal
//! open, a draft still untouched since the change the job saw, and never to a person who
//! limited their processing or objected to reminders (their `choices`). Each reminder is claimed once
//! in the idempotency table, and its outbox messages carry ids derived from it, so a
//! redelivered message (or one that failed half-way) never sends a second email or SMS.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_domain::dates::format_instant;
use c2s_domain::notice::{Channel, Notice};
use c2s_domain::renewal::{renewal_open_on, Status};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::clock::today;
use c2s_platform::idempotency::{IdempotencyStore, InProgress, Once};
use c2s_platform::outbox::{Outbox, OutboxError, OutboxMessage};
use c2s_platform::queue::{for_each_message, Json};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::tasks::ReminderTask;
use c2s_platform::{ConfigError, Env};
use std::collections::HashMap;

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
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            renewals: RenewalStore::from_env(env, clients)?,
            idempotency: IdempotencyStore::from_env(env, clients)?,
            outbox: Outbox::from_env(env, clients)?,
            public_url: env.require("PUBLIC_URL")?,
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sent, with this many messages (email, SMS).
    Sent(u64),
    /// No longer due (renewed, rights changed, draft touched or gone), or sent before.
    Skipped,
}

/// Never a person's contact or name: the store's and the queue's errors carry codes and
/// request ids.
#[derive(Debug, thiserror::Error)]
pub enum RemindError {
    #[error("another delivery is sending this reminder")]
    InProgress(#[from] InProgress),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

/// One span per message; failed messages are reported so only they come back.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    for_each_message(
        event,
        "reminders-worker",
        |Json(task): Json<ReminderTask>| async move {
            // Boxed: the store's and the outbox's futures nest deep enough to pass the
            // compiler's layout depth limit in the Lambda binary otherwise.
            let outcome = Box::pin(remind(app, &task)).await?;
            tracing::info!(?outcome, "reminder");
            Ok::<_, RemindError>(())
        },
    )
    .await
}

/// Sends the reminder `task` names if it is still due, once.
pub async fn remind(app: &App, task: &ReminderTask) -> Result<Outcome, RemindError> {
    let Some((profile, notice)) = still_due(app, task).await? else {
        return Ok(Outcome::Skipped);
    };
    let key = task.once_key();
    let once = app
        .idempotency
        .run_once(
            &key,
            300,
            || send(app, &key, &profile, &notice),
            |n| HashMap::from([("messages".to_owned(), *n)]),
        )
        .await?;
    Ok(match once {
        Once::Ran(n) => Outcome::Sent(n),
        Once::AlreadyDone => Outcome::Skipped,
    })
}

/// The person and the notice, if the reminder is still due as the tables are now.
async fn still_due(
    app: &App,
    task: &ReminderTask,
) -> Result<Option<(Profile, Notice)>, RemindError> {
    match task {
        ReminderTask::RightsEnding { nir_hash, end } => {
            let Some(p) = app.beneficiaries.profile(nir_hash).await? else {
                return Ok(None);
            };
            // Another end (a new file) is another reminder, on its own day.
            if p.css_end_date != *end || !renewal_open_on(*end, today()) {
                return Ok(None);
            }
            if app.beneficiaries.open_renewal(nir_hash).await?.is_some() {
                return Ok(None);
            }
            // A reminder is the service's choice: none while processing is limited or
            // after the person objected (RGPD art. 18 and 21).
            if !app
                .beneficiaries
                .choices(nir_hash)
                .await?
                .reminders_allowed()
            {
                return Ok(None);
            }
            let notice = Notice::RightsEnding {
                first_name: p.first_name.clone(),
                end_date: p.css_end_date,
                link: app.public_url.clone(),
            };
            Ok(Some((p, notice)))
        }
        ReminderTask::DraftIdle {
            renewal_id,
            updated_at,
        } => {
            let Some((r, _)) = app.renewals.load(renewal_id).await? else {
                return Ok(None);
            };
            // Touched since: its idle reminder, if any, comes with that change's.
            if r.status != Status::Draft
                || format_instant(r.updated_at) != *updated_at
                || r.restricted
            {
                return Ok(None);
            }
            if !app
                .beneficiaries
                .choices(&r.nir_hash)
                .await?
                .reminders_allowed()
            {
                return Ok(None);
            }
            let Some(p) = app.beneficiaries.profile(&r.nir_hash).await? else {
                return Ok(None);
            };
            let notice = Notice::DraftIdle {
                first_name: p.first_name.clone(),
                link: app.public_url.clone(),
            };
            Ok(Some((p, notice)))
        }
    }
}

/// By email and SMS, where the person has them: how many messages.
async fn send(app: &App, key: &str, p: &Profile, notice: &Notice) -> Result<u64, RemindError> {
    let mut to = Vec::new();
    if let Some(email) = &p.email {
        to.push((Channel::Email, email.clone()));
    }
    if let Some(phone) = &p.phone {
        to.push((Channel::Sms, phone.clone()));
    }
    let mut sent = 0;
    for (channel, address) in to {
        app.outbox
            .send(&OutboxMessage::of_unit(
                key,
                channel,
                address,
                notice.clone(),
            ))
            .await?;
        sent += 1;
    }
    Ok(sent)
}
