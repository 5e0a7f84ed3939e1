//! `purge` (daily): finds what the retention rules (`c2s_domain::retention`) make due today
//! through the index `by_purge` of the renewals' and the partners' tables (so what it reads
//! grows with what is due, not with what is kept), fans the work out on the purge queue, and
//! writes a report of counts by kind (no personal data) to the exchange bucket under
//! `reports/purge/`. `purge-worker` does the deleting.
//!
//! Invoked with `{"backfill": "indexes", "segment": k, "segments": n}` instead of its
//! schedule's event, it upgrades a live stack (README, "Mise à niveau"): the renewals and
//! profiles stored before `by_receipt` and `by_identity` get the attribute these indexes
//! read, one segment of a parallel scan per invocation.

use c2s_domain::dates::{format_date, format_instant};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::clock::today;
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::partners::PartnerStore;
use c2s_platform::queue::{send_all, SendError};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::tasks::PurgeTask;
use c2s_platform::{ConfigError, Env};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub struct App {
    renewals: RenewalStore,
    /// The profiles' backfill only.
    beneficiaries: BeneficiaryStore,
    partners: PartnerStore,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    objects: Objects,
    bucket: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            partners: PartnerStore::from_env(env, clients)?,
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
    #[error("not a backfill: {0}")]
    Backfill(&'static str),
}

/// Handles the function's event: its schedule's, or a backfill's.
pub async fn handle(app: &App, event: Value) -> Result<Value, PurgeError> {
    match event.get("backfill") {
        None => run(app).await,
        Some(_) => {
            let (segment, segments) = segment_of(&event)?;
            backfill(app, segment, segments).await
        }
    }
}

/// The backfill's segment of the scan: `segment` (from 0) of `segments` (1 when absent, at
/// most DynamoDB's 1 000 000).
fn segment_of(event: &Value) -> Result<(i32, i32), PurgeError> {
    if event["backfill"] != "indexes" {
        return Err(PurgeError::Backfill("`backfill` must be \"indexes\""));
    }
    let number = |k: &str, default: i32| match event.get(k) {
        None | Some(Value::Null) => Some(default),
        Some(v) => v.as_i64().and_then(|n| i32::try_from(n).ok()),
    };
    match (number("segment", 0), number("segments", 1)) {
        (Some(segment), Some(segments))
            if (1..=1_000_000).contains(&segments) && (0..segments).contains(&segment) =>
        {
            Ok((segment, segments))
        }
        _ => Err(PurgeError::Backfill(
            "`segment` must be 0 to `segments` - 1, `segments` 1 to 1 000 000",
        )),
    }
}

/// Gives the renewals and profiles of one segment stored before `by_receipt` and
/// `by_identity` the attribute these indexes read (the partners' requests get theirs from
/// the daily `partner-lifecycle`); counts only, as the purge's report.
pub async fn backfill(app: &App, segment: i32, segments: i32) -> Result<Value, PurgeError> {
    let receipts = app.renewals.index_receipts(segment, segments).await?;
    let identities = app
        .beneficiaries
        .index_identities(segment, segments)
        .await?;
    tracing::info!(
        segment,
        segments,
        receipts,
        identities,
        "indexes backfilled"
    );
    Ok(json!({
        "backfill": "indexes",
        "segment": segment,
        "segments": segments,
        "receipt_number": receipts,
        "identity_key": identities,
    }))
}

pub async fn run(app: &App) -> Result<Value, PurgeError> {
    let day = today();
    let mut due: Vec<PurgeTask> = app
        .renewals
        .purge_due(day)
        .await?
        .into_iter()
        .map(|(renewal_id, stage)| PurgeTask::Renewal {
            renewal_id,
            stage: stage.as_str().to_owned(),
        })
        .collect();
    due.extend(app.partners.purge_due(day).await?);
    let mut per_stage: BTreeMap<&str, u64> = BTreeMap::new();
    let bodies: Vec<String> = due
        .iter()
        .map(|task| {
            *per_stage.entry(task.kind()).or_default() += 1;
            task.body()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backfill_names_its_segment_of_the_scan() {
        let ok = |v: Value| segment_of(&v).ok();
        assert_eq!(ok(json!({"backfill": "indexes"})), Some((0, 1)));
        assert_eq!(
            ok(json!({"backfill": "indexes", "segment": 127, "segments": 128})),
            Some((127, 128))
        );
        for refused in [
            json!({"backfill": "counters"}),
            json!({"backfill": "indexes", "segment": 1, "segments": 1}),
            json!({"backfill": "indexes", "segment": -1, "segments": 4}),
            json!({"backfill": "indexes", "segments": 0}),
            json!({"backfill": "indexes", "segments": 1_000_001}),
            json!({"backfill": "indexes", "segment": "0"}),
        ] {
            assert_eq!(ok(refused.clone()), None, "{refused}");
        }
    }
}
