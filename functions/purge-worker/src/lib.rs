//! `purge-worker`: deletes what `purge` dispatched, one renewal and stage per message. It
//! checks the deletion is still due (the rules are recomputed from the stored renewal), so
//! nothing not yet due is ever deleted; documents go from S3 with their records; each
//! message is claimed once in the idempotency table.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_platform::auth::today;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::idempotency::{Claim, IdempotencyStore};
use c2s_platform::objects::Objects;
use c2s_platform::renewals::{PurgeStage, RenewalStore};
use c2s_platform::{ConfigError, Env};
use std::collections::HashMap;
use tracing::Instrument;

pub struct App {
    renewals: RenewalStore,
    beneficiaries: BeneficiaryStore,
    idempotency: IdempotencyStore,
    objects: Objects,
    bucket: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        let beneficiaries =
            BeneficiaryStore::new(clients.dynamo.clone(), env.require("BENEFICIARIES_TABLE")?);
        Ok(App {
            renewals: RenewalStore::new(
                clients.dynamo.clone(),
                env.require("RENEWALS_TABLE")?,
                &beneficiaries,
            ),
            beneficiaries,
            idempotency: IdempotencyStore::new(
                clients.dynamo.clone(),
                env.require("IDEMPOTENCY_TABLE")?,
            ),
            objects: Objects::new(clients.s3.clone()),
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

pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", consumer = "purge-worker", message_id = %id);
        let result = purge_message(app, message.body.as_deref().unwrap_or(""))
            .instrument(span)
            .await;
        match result {
            Ok(outcome) => tracing::info!(?outcome, "purge"),
            Err(e) => {
                tracing::warn!(message_id = %id, error = %e, "message failed");
                response.add_failure(id);
            }
        }
    }
    response
}

async fn purge_message(app: &App, body: &str) -> Result<Outcome, String> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|_| "not a purge message".to_owned())?;
    let (Some(id), Some(stage)) = (
        v["renewal_id"].as_str(),
        v["stage"].as_str().and_then(PurgeStage::parse),
    ) else {
        return Err("not a purge message".into());
    };
    let key = format!("purge#{id}#{}", stage.as_str());
    match app
        .idempotency
        .claim(&key, 300)
        .await
        .map_err(|e| e.to_string())?
    {
        Claim::AlreadyDone => return Ok(Outcome::Skipped),
        Claim::InProgress => return Err("in progress elsewhere".into()),
        Claim::Started => {}
    }
    let result = purge(app, id, stage).await;
    match &result {
        Ok(_) => app
            .idempotency
            .complete(&key, HashMap::new())
            .await
            .map_err(|e| e.to_string())?,
        Err(_) => {
            let _ = app.idempotency.release(&key).await;
        }
    }
    result
}

pub async fn purge(app: &App, id: &str, stage: PurgeStage) -> Result<Outcome, String> {
    let Some((mut r, docs)) = app.renewals.load(id).await.map_err(|e| e.to_string())? else {
        return Ok(Outcome::Skipped);
    };
    // Recomputed from the renewal as stored: a message never deletes what is not yet due.
    match r.next_purge() {
        Some((due, s)) if s == stage && due <= today() => {}
        _ => return Ok(Outcome::Skipped),
    }
    let mut objects = 0;
    for d in &docs {
        app.objects
            .delete(&app.bucket, &d.object_key)
            .await
            .map_err(|e| e.to_string())?;
        objects += 1;
    }
    match stage {
        PurgeStage::Draft | PurgeStage::All => {
            let items = app
                .renewals
                .delete_all(&r.id)
                .await
                .map_err(|e| e.to_string())?;
            // An abandoned draft frees the beneficiary's open-renewal slot.
            if app
                .beneficiaries
                .open_renewal(&r.nir_hash)
                .await
                .map_err(|e| e.to_string())?
                .as_deref()
                == Some(r.id.as_str())
            {
                app.beneficiaries
                    .release_open_renewal(&r.nir_hash, &r.id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(Outcome::Purged { items, objects })
        }
        PurgeStage::Details => {
            let mut items = 0;
            for d in &docs {
                app.renewals
                    .delete_document(&r.id, &d.document_id)
                    .await
                    .map_err(|e| e.to_string())?;
                items += 1;
            }
            let expected = r.version;
            r.form.resources = None;
            r.form.household = None;
            r.form.housing = None;
            r.suggested_household.truncate(1);
            r.details_purged = true;
            r.version += 1;
            app.renewals
                .save(&r, expected)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Outcome::Purged {
                items: items + 1,
                objects,
            })
        }
    }
}
