//! `sync-out` (daily): decided renewals go to the national system once, in
//! `outbound/decisions/<yyyymmdd>-<seq>.jsonl` with its `.manifest.json` (count, SHA-256,
//! created_at) written last.
//!
//! Exactly once, even if a run stops half-way: renewals are first claimed for a named file
//! (a condition on their version), then the file and its manifest are written, then their
//! status becomes `exported`. A later run finds renewals claimed but not exported and
//! finishes that same file: it rewrites it only if its manifest is missing, and never puts
//! a renewal in two files.

use c2s_domain::dates::{format_date, format_instant};
use c2s_domain::renewal::{ActorKind, Status};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::clock::today;
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::renewals::{RenewalRecord, RenewalStore};
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub const PREFIX: &str = c2s_platform::exchange::DECISIONS;

pub struct App {
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    objects: Objects,
    bucket: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            objects: Objects::from_env(env, clients),
            bucket: env.require("EXCHANGE_BUCKET")?,
        })
    }
}

/// Where a run may be stopped in tests, to prove a rerun finishes the job exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopAfter {
    FilesWritten,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub files: Vec<String>,
    pub exported: u64,
    /// Files of an earlier run that stopped before the statuses were updated.
    pub resumed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("the beneficiary of a decided renewal is gone")]
    MissingBeneficiary,
    /// Writing a line of the file, or the report.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Transition(#[from] c2s_domain::renewal::InvalidTransition),
}

pub async fn run(app: &App) -> Result<Value, SyncError> {
    let report = sync(app, None).await?;
    tracing::info!(
        exported = report.exported,
        files = report.files.len(),
        resumed = report.resumed,
        "sync out"
    );
    Ok(serde_json::to_value(report)?)
}

pub async fn sync(app: &App, stop: Option<StopAfter>) -> Result<Report, SyncError> {
    let mut report = Report::default();
    let pending = app.renewals.pending_exports().await?;
    // Finish what an earlier run started, in its own file.
    let mut batches: BTreeMap<String, Vec<RenewalRecord>> = BTreeMap::new();
    let mut fresh = Vec::new();
    for r in pending {
        match r.export_batch.clone() {
            Some(b) => batches.entry(b).or_default().push(r),
            None if matches!(r.status, Status::Approved | Status::Rejected) => fresh.push(r),
            None => {}
        }
    }
    report.resumed = batches.len() as u64;
    if !fresh.is_empty() {
        let name = next_name(app).await?;
        let mut claimed = Vec::new();
        for mut r in fresh {
            r.export_batch = Some(name.clone());
            match app.renewals.save(&mut r).await {
                Ok(()) => claimed.push(r),
                // Changed meanwhile: the next run takes it.
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !claimed.is_empty() {
            batches.insert(name, claimed);
        }
    }
    for (name, renewals) in batches {
        write_file(app, &name, &renewals).await?;
        report.files.push(name.clone());
        if stop == Some(StopAfter::FilesWritten) {
            continue;
        }
        for mut r in renewals {
            r.transition(
                Status::Exported,
                ActorKind::System,
                OffsetDateTime::now_utc(),
            )?;
            r.export_pending = None;
            r.export_key = None;
            app.renewals.save(&mut r).await?;
            report.exported += 1;
        }
    }
    Ok(report)
}

/// `<yyyymmdd>-<seq>`: the next free sequence number of the day.
async fn next_name(app: &App) -> Result<String, SyncError> {
    let day = format_date(today()).replace('-', "");
    let taken = app
        .objects
        .count_with_suffix(&app.bucket, &format!("{PREFIX}{day}-"), ".manifest.json")
        .await?;
    Ok(format!("{day}-{:03}", taken + 1))
}

/// Writes the data file, then its manifest; a file whose manifest exists is complete.
async fn write_file(app: &App, name: &str, renewals: &[RenewalRecord]) -> Result<(), SyncError> {
    let manifest_key = format!("{PREFIX}{name}.manifest.json");
    if app.objects.exists(&app.bucket, &manifest_key).await? {
        return Ok(());
    }
    let mut sorted: Vec<&RenewalRecord> = renewals.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut body = Vec::new();
    for r in sorted {
        let profile = app
            .beneficiaries
            .profile(&r.nir_hash)
            .await?
            .ok_or(SyncError::MissingBeneficiary)?;
        let d = r.decision.as_ref();
        let members: Vec<Value> = r
            .form
            .household
            .as_ref()
            .unwrap_or(&r.suggested_household)
            .iter()
            .map(|m| json!({"relation": m.relation, "first_name": m.first_name, "last_name": m.last_name, "birth_date": format_date(m.birth_date)}))
            .collect();
        let line = json!({
            "renewal_id": r.id,
            "nir": profile.nir,
            "caisse": r.caisse,
            "outcome": d.map(|d| d.outcome),
            "rights_start": d.and_then(|d| d.rights_start).map(format_date),
            "rights_end": d.and_then(|d| d.rights_end).map(format_date),
            "monthly_participation_cents": d.map_or(0, |d| d.monthly_participation_cents),
            "members": members,
            "decided_at": d.map(|d| format_instant(d.decided_at)),
            "agent_id": d.map(|d| d.agent_id.clone()),
        });
        serde_json::to_writer(&mut body, &line)?;
        body.push(b'\n');
    }
    let manifest = json!({"count": renewals.len(), "sha256": hex::encode(Sha256::digest(&body)), "created_at": format_instant(OffsetDateTime::now_utc())});
    app.objects
        .put(
            &app.bucket,
            &format!("{PREFIX}{name}.jsonl"),
            body,
            "application/x-ndjson",
        )
        .await?;
    app.objects
        .put(
            &app.bucket,
            &manifest_key,
            manifest.to_string().into_bytes(),
            "application/json",
        )
        .await?;
    Ok(())
}
