//! `purge` (daily): finds what the retention rules make due today through the index
//! `by_purge` (so what it reads grows with what is due, not with what is kept), fans the work
//! out on the purge queue, and writes a report of counts (no personal data) to the exchange
//! bucket under `reports/purge/`. `purge-worker` does the deleting.

use c2s_domain::dates::{format_date, format_instant};
use c2s_platform::aws::Clients;
use c2s_platform::clock::today;
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::queue::{send_all, SendError};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub struct App {
    renewals: RenewalStore,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    objects: Objects,
    bucket: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            sqs: clients.sqs(),
            queue_url: env.require("PURGE_QUEUE_URL")?,
            objects: Objects::from_env(env, clients),
            bucket: env.require("EXCHANGE_BUCKET")?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] SendError),
    #[error(transparent)]
    Report(#[from] ObjectError),
}

pub async fn run(app: &App) -> Result<Value, PurgeError> {
    let day = today();
    let due = app.renewals.purge_due(day).await?;
    let mut per_stage: BTreeMap<&str, u64> = BTreeMap::new();
    let bodies: Vec<String> = due
        .iter()
        .map(|(id, stage)| {
            *per_stage.entry(stage.as_str()).or_default() += 1;
            json!({"renewal_id": id, "stage": stage.as_str()}).to_string()
        })
        .collect();
    send_all(&app.sqs, &app.queue_url, &bodies).await?;
    let now = OffsetDateTime::now_utc();
    let report = json!({"date": format_date(day), "created_at": format_instant(now), "items_read": due.len(), "dispatched": per_stage});
    let key = format!(
        "reports/purge/{}.json",
        format_instant(now).replace(':', "")
    );
    app.objects
        .put(
            &app.bucket,
            &key,
            report.to_string().into_bytes(),
            "application/json",
        )
        .await?;
    tracing::info!(items_read = due.len(), "purge dispatched");
    Ok(json!({"report": key, "items_read": due.len(), "dispatched": report["dispatched"]}))
}
