//! `deadlines-worker`: settles what `deadlines` dispatched, one file per message. The file is
//! read again and the rule applied to what it is now (CSS L861-5: a deadline within 10 days
//! is flagged for the superviseur, a passed one is acceptance by silence); a flag already set
//! is never set again, so a redelivered message changes nothing.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_domain::renewal::{Status, NEAR_DEADLINE_DAYS};
use c2s_platform::aws::Clients;
use c2s_platform::clock::today;
use c2s_platform::queue::{for_each_message, Json};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::tasks::DeadlineTask;
use c2s_platform::{ConfigError, Env};
use time::{Date, Duration};

/// Saves tried on one file when agents keep changing it meanwhile.
const ATTEMPTS: usize = 3;

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

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Flagged {
    pub near: bool,
    pub accepted_by_silence: bool,
}

/// One span per message; failed messages are reported so only they come back.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    for_each_message(
        event,
        "deadlines-worker",
        |Json(task): Json<DeadlineTask>| async move {
            // Boxed: the store's futures nest deep enough to pass the compiler's layout depth
            // limit in the Lambda binary otherwise.
            let flagged = Box::pin(settle(app, &task.renewal_id, today())).await?;
            tracing::info!(?flagged, "deadline");
            Ok::<_, StoreError>(())
        },
    )
    .await
}

/// Flags the file (near, accepted by silence) as its deadline says on `day`; when an agent
/// changed it meanwhile, reads it again and applies the rule to what it now is. What it
/// flagged now (nothing when the flags were set before, or the file is no longer running).
pub async fn settle(app: &App, id: &str, day: Date) -> Result<Flagged, StoreError> {
    let Some((mut r, _)) = app.renewals.load(id).await? else {
        return Ok(Flagged::default());
    };
    for _ in 0..ATTEMPTS {
        let running = matches!(r.status, Status::Submitted | Status::InReview);
        let Some(deadline) = r.deadline.filter(|_| running) else {
            return Ok(Flagged::default());
        };
        let silent = deadline < day && !r.accepted_by_silence;
        let near = deadline <= day + Duration::days(NEAR_DEADLINE_DAYS) && !r.near_deadline;
        if !(silent || near) {
            return Ok(Flagged::default());
        }
        r.accepted_by_silence |= silent;
        r.near_deadline |= near;
        match app.renewals.save(&mut r).await {
            Ok(()) => {
                return Ok(Flagged {
                    near,
                    accepted_by_silence: silent,
                })
            }
            Err(StoreError::Conflict) => match app.renewals.load(&r.id).await? {
                Some((fresh, _)) => r = fresh,
                None => return Ok(Flagged::default()),
            },
            Err(e) => return Err(e),
        }
    }
    // Back to the queue, to try again later (the job will not read this file again).
    tracing::warn!(renewal = %r.id, "deadline flags not saved: the file kept changing");
    Err(StoreError::Conflict)
}
