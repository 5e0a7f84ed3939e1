//! `document-rescan` (every 15 minutes): the documents that a check left `pending_scan`
//! because the antivirus could not answer, and whose last attempt is older than
//! `RESCAN_AFTER_MINUTES`, are read through the index `by_rescan` (only those have its keys)
//! and their check asked again on the document check's own queue (`CheckAgain`): once the
//! antivirus answers, whatever waited is checked, whether its first message still backs off
//! or ended in the dead-letter queue. An antivirus still down records one more attempt,
//! which puts the document off until the next run past the delay.

use c2s_domain::dates::format_instant;
use c2s_platform::aws::Clients;
use c2s_platform::queue::{send_all, CheckAgain, SendError};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

pub struct App {
    renewals: RenewalStore,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    bucket: String,
    after: Duration,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        let minutes: i64 = env
            .require("RESCAN_AFTER_MINUTES")?
            .parse()
            .map_err(|_| ConfigError::Invalid("RESCAN_AFTER_MINUTES".to_owned()))?;
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            sqs: clients.sqs(),
            queue_url: env.require("DOCUMENT_CHECK_QUEUE_URL")?,
            bucket: env.require("DOCUMENTS_BUCKET")?,
            after: Duration::minutes(minutes),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RescanError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Send(#[from] SendError),
}

pub async fn run(app: &App) -> Result<Value, RescanError> {
    let before = OffsetDateTime::now_utc() - app.after;
    let waiting = app.renewals.documents_waiting_for_scan(before).await?;
    let bodies: Vec<String> = waiting
        .iter()
        .map(|d| {
            CheckAgain {
                bucket: app.bucket.clone(),
                key: d.object_key.clone(),
                version_id: d.version_id.clone(),
            }
            .body()
        })
        .collect();
    send_all(&app.sqs, &app.queue_url, &bodies).await?;
    tracing::info!(
        asked_again = bodies.len(),
        "documents waiting for the antivirus"
    );
    Ok(json!({"waiting_before": format_instant(before), "asked_again": bodies.len()}))
}
