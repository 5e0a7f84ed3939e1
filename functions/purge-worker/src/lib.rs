//! `purge-worker`: deletes what `purge` dispatched, one item and step per message: a
//! renewal's stage, a partner's request (with its thread and attachments), an organisation. It checks the deletion is still
//! due (the rules are recomputed from the stored item), so nothing not yet due is ever
//! deleted; documents go from S3 (every version) after their records, the renewal last;
//! each message is claimed once in the idempotency table.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_domain::retention;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::clock::today;
use c2s_platform::idempotency::{IdempotencyStore, InProgress, Once};
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::partners::PartnerStore;
use c2s_platform::queue::{for_each_message, Json};
use c2s_platform::renewals::{object_prefix, request_owner, PurgeStage, RenewalStore};
use c2s_platform::store::StoreError;
use c2s_platform::tasks::PurgeTask;
use c2s_platform::threads::{ThreadKey, ThreadStore};
use c2s_platform::{ConfigError, Env};
use std::collections::HashMap;

pub struct App {
    renewals: RenewalStore,
    beneficiaries: BeneficiaryStore,
    partners: PartnerStore,
    /// The partner requests' threads (in the partners' table).
    threads: ThreadStore,
    /// The renewals' conversations (in the renewals' table).
    renewal_threads: ThreadStore,
    idempotency: IdempotencyStore,
    objects: Objects,
    bucket: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            partners: PartnerStore::from_env(env, clients)?,
            threads: ThreadStore::requests(env, clients)?,
            renewal_threads: ThreadStore::renewals(env, clients)?,
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
        |Json(message): Json<PurgeTask>| async move {
            let outcome = purge_once(app, &message).await?;
            tracing::info!(?outcome, "purge");
            Ok::<_, PurgeError>(())
        },
    )
    .await
}

/// Purges an item's step once (a redelivered message finds the record done).
async fn purge_once(app: &App, task: &PurgeTask) -> Result<Outcome, PurgeError> {
    let key = task.once_key();
    let work = || async {
        match task {
            PurgeTask::Renewal { renewal_id, stage } => {
                let stage = PurgeStage::parse(stage).ok_or(PurgeError::UnknownStage)?;
                purge(app, renewal_id, stage).await
            }
            PurgeTask::PartnerRequest { request_id } => purge_request(app, request_id).await,
            PurgeTask::Organisation { partner_id } => purge_organisation(app, partner_id).await,
        }
    };
    let once = app
        .idempotency
        .run_once(&key, 300, work, |_| HashMap::new())
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
            // Agents' notes and the conversation are other data too (3 years), like
            // resources and documents.
            let mut items = app
                .renewal_threads
                .delete_thread(&ThreadKey::Renewal(r.id.clone()))
                .await?;
            for note in app.renewals.notes(&r.id).await? {
                app.renewals.delete_note(&note).await?;
                items += 1;
            }
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

/// Deletes a partner's request once 3 years have passed since it was filed or answered, with
/// what it holds, in the renewals' order: its thread and its attachments' records, then every
/// version of their objects, the request last (so a purge stopped half-way finds it due).
pub async fn purge_request(app: &App, request_id: &str) -> Result<Outcome, PurgeError> {
    let Some(r) = app.partners.request(request_id).await? else {
        return Ok(Outcome::Skipped);
    };
    if retention::request_purge_on(r.created_at.date(), r.answered_on) > today() {
        return Ok(Outcome::Skipped);
    }
    let thread = ThreadKey::Request {
        partner_id: r.partner_id.clone(),
        request_id: r.request_id.clone(),
    };
    let mut items = app.threads.delete_thread(&thread).await?;
    // The attachments are kept as the documents of a pseudo renewal that has no renewal item.
    let owner = request_owner(&r.request_id);
    items += app.renewals.delete_all_but_renewal(&owner).await?;
    let objects = app
        .objects
        .delete_all_versions(&app.bucket, &object_prefix(&owner))
        .await?;
    app.partners.delete_request(&r).await?;
    Ok(Outcome::Purged {
        items: items + 1,
        objects,
    })
}

/// Deletes an organisation, with all that is left of it, 5 years after its last convention.
pub async fn purge_organisation(app: &App, partner_id: &str) -> Result<Outcome, PurgeError> {
    let Some(org) = app.partners.org(partner_id).await? else {
        return Ok(Outcome::Skipped);
    };
    match retention::organisation_purge_on(&org) {
        Some(due) if due <= today() => {}
        _ => return Ok(Outcome::Skipped),
    }
    let items = app.partners.delete_organisation(&org).await?;
    Ok(Outcome::Purged { items, objects: 0 })
}
