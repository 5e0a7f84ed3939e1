//! `purge-worker`: deletes what `purge` dispatched, one renewal and stage per message. It
//! checks the deletion is still due (the rules are recomputed from the stored renewal), so
//! nothing not yet due is ever deleted; documents go from S3 (every version) after their
//! records, the renewal last; each message is claimed once in the idempotency table.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::clock::today;
use c2s_platform::idempotency::{IdempotencyStore, InProgress, Once};
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::queue::{for_each_message, Json};
use c2s_platform::renewals::{object_prefix, PurgeStage, RenewalStore};
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde::Deserialize;
use std::collections::HashMap;

pub struct App {
    renewals: RenewalStore,
    beneficiaries: BeneficiaryStore,
    idempotency: IdempotencyStore,
    objects: Objects,
    bucket: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            idempotency: IdempotencyStore::from_env(env, clients)?,
            objects: Objects::from_env(env, clients),
            bucket: env.require("DOCUMENTS_BUCKET")?,
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Purged {
        items: u64,
        objects: u64,
    },
    /// Not (or no longer) due, gone already, or done before.
    Skipped,
}

/// What `purge` puts on the queue: `{"renewal_id": …, "stage": "draft" | "details" | "all"}`.
#[derive(Debug, Deserialize)]
pub struct PurgeMessage {
    pub renewal_id: String,
    pub stage: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("in progress elsewhere")]
    InProgress(#[from] InProgress),
    #[error("not a purge message")]
    UnknownStage,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Object(#[from] ObjectError),
}

/// One span per message; failed messages are reported so only they come back.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    for_each_message(
        event,
        "purge-worker",
        |Json(message): Json<PurgeMessage>| async move {
            let outcome = purge_once(app, &message).await?;
            tracing::info!(?outcome, "purge");
            Ok::<_, PurgeError>(())
        },
    )
    .await
}

/// Purges a renewal's stage once (a redelivered message finds the record done).
async fn purge_once(app: &App, message: &PurgeMessage) -> Result<Outcome, PurgeError> {
    let id = message.renewal_id.as_str();
    let stage = PurgeStage::parse(&message.stage).ok_or(PurgeError::UnknownStage)?;
    let key = format!("purge#{id}#{}", stage.as_str());
    let once = app
        .idempotency
        .run_once(&key, 300, || purge(app, id, stage), |_| HashMap::new())
        .await?;
    Ok(match once {
        Once::Ran(outcome) => outcome,
        Once::AlreadyDone => Outcome::Skipped,
    })
}

pub async fn purge(app: &App, id: &str, stage: PurgeStage) -> Result<Outcome, PurgeError> {
    let Some((mut r, docs)) = app.renewals.load(id).await? else {
        return Ok(Outcome::Skipped);
    };
    // Recomputed from the renewal as stored: a message never deletes what is not yet due.
    match r.next_purge() {
        Some((due, s)) if s == stage && due <= today() => {}
        _ => return Ok(Outcome::Skipped),
    }
    // In this order, each step finished before the next: the records, then the objects they
    // named (all their versions, listed under the renewal's prefix, so that an object whose
    // record is gone is still found), then the renewal, which holds the step due. A purge
    // stopped anywhere leaves the renewal due, and the next one finishes: never a record
    // naming an object that is gone, never a slot naming a renewal that is gone.
    let prefix = object_prefix(&r.id);
    match stage {
        PurgeStage::Draft | PurgeStage::All => {
            let items = app.renewals.delete_all_but_renewal(&r.id).await?;
            let objects = app
                .objects
                .delete_all_versions(&app.bucket, &prefix)
                .await?;
            // An abandoned draft frees the beneficiary's open-renewal slot, with the renewal.
            let holds_slot = app
                .beneficiaries
                .open_renewal(&r.nir_hash)
                .await?
                .as_deref()
                == Some(r.id.as_str());
            app.renewals.delete(&r, holds_slot).await?;
            Ok(Outcome::Purged {
                items: items + 1,
                objects,
            })
        }
        PurgeStage::Details => {
            let mut items = 0;
            for d in &docs {
                app.renewals.delete_document(&r.id, &d.document_id).await?;
                items += 1;
            }
            let objects = app
                .objects
                .delete_all_versions(&app.bucket, &prefix)
                .await?;
            r.form.resources = None;
            r.form.household = None;
            r.form.housing = None;
            r.suggested_household.truncate(1);
            r.details_purged = true;
            app.renewals.save(&mut r).await?;
            Ok(Outcome::Purged {
                items: items + 1,
                objects,
            })
        }
    }
}
