//! `sync-out` (daily): decided renewals go to the national system once, in
//! `outbound/decisions/<yyyymmdd>-<seq>.jsonl` with its `.manifest.json` (count, SHA-256,
//! created_at) written last.
//!
//! Exactly once, even if a run stops half-way or two overlap:
//! - one run at a time holds the export's lease (beside `ReservedConcurrentExecutions: 1`:
//!   a retry, or a run by hand, that starts while another runs does nothing);
//! - each file's name comes from the day's sequence, counted atomically: a name is never
//!   given twice, so no batch takes another's file;
//! - renewals are claimed for a named file (a condition on their version), then the file and
//!   its manifest are written (the manifest only if absent: a complete file is never
//!   overwritten), then their status becomes `exported`;
//! - a later run finishes a batch claimed but not exported: without a manifest it writes the
//!   file; with one, it checks the file against its manifest (count, SHA-256) and marks
//!   exported only the renewals the file holds, the others going back to a new batch;
//! - a renewal that cannot be written (its beneficiary's record is gone) is left pending and
//!   named in the report (`left_pending`), run after run, with the metric
//!   `ExportLeftPending` the alarm `ExportLeftPendingAlarm` watches; the others go out.

use c2s_domain::dates::{format_date, format_instant};
use c2s_domain::renewal::{ActorKind, Status};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::clock::today;
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::outbound;
use c2s_platform::renewals::{RenewalRecord, RenewalStore};
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

pub const PREFIX: &str = c2s_platform::exchange::DECISIONS;

/// How long a run holds the lease: past the function's 900-second timeout, so a run that
/// was killed frees it for the next one.
const LEASE_SECONDS: i64 = 960;

/// An outbound file holds at most this many bytes when read back to be checked.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

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
    /// Renewals claimed for a file, nothing written (a failure before the manifest).
    Claimed,
    FilesWritten,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub files: Vec<String>,
    pub exported: u64,
    /// Files of an earlier run that stopped before the statuses were updated.
    pub resumed: u64,
    /// Decided renewals still pending after this run (one that cannot be written, one
    /// changed meanwhile, a batch whose file does not match its manifest), by id.
    pub left_pending: Vec<String>,
    /// Another run held the lease: this one did nothing.
    pub busy: bool,
    /// Decided renewals held back because their person limited their processing.
    pub restricted: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Object(#[from] ObjectError),
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
        left_pending = report.left_pending.len(),
        busy = report.busy,
        "sync out"
    );
    if !report.busy {
        metric(report.left_pending.len());
    }
    Ok(serde_json::to_value(report)?)
}

/// `ExportLeftPending` in CloudWatch's embedded metric format: a line of its own on
/// standard output, which Lambda sends to the function's logs and CloudWatch reads.
fn metric(left_pending: usize) {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    let line = json!({
        "_aws": {
            "Timestamp": OffsetDateTime::now_utc().unix_timestamp() * 1000,
            "CloudWatchMetrics": [{
                "Namespace": "C2S",
                "Dimensions": [["FunctionName"]],
                "Metrics": [{"Name": "ExportLeftPending", "Unit": "Count"}],
            }],
        },
        "FunctionName": function,
        "ExportLeftPending": left_pending,
    });
    println!("{line}");
}

pub async fn sync(app: &App, stop: Option<StopAfter>) -> Result<Report, SyncError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let Some(lease) = app
        .renewals
        .take_export_lease(now, now + LEASE_SECONDS)
        .await?
    else {
        tracing::info!("another export is running");
        return Ok(Report {
            busy: true,
            ..Report::default()
        });
    };
    let result = export(app, stop).await;
    if let Err(e) = app.renewals.release_export_lease(lease).await {
        // It expires by itself; the next run waits for that.
        tracing::warn!(error = %e, "export lease not released");
    }
    result
}

async fn export(app: &App, stop: Option<StopAfter>) -> Result<Report, SyncError> {
    let mut report = Report::default();
    let pending = app.renewals.pending_exports().await?;
    let mut batches: BTreeMap<String, Vec<RenewalRecord>> = BTreeMap::new();
    let mut fresh = Vec::new();
    for r in pending {
        match r.export_batch.clone() {
            Some(b) => batches.entry(b).or_default().push(r),
            // A limited processing (RGPD art. 18) is not exported until lifted.
            None if r.restricted => report.restricted += 1,
            None if matches!(r.status, Status::Approved | Status::Rejected) => fresh.push(r),
            None => {}
        }
    }
    report.resumed = batches.len() as u64;
    let mut claimed: BTreeMap<String, Batch> = BTreeMap::new();
    let mut outside = Vec::new();
    // Finish what an earlier run started, in its own file.
    for (name, members) in batches {
        let mut batch = match existing_file(app, &name).await? {
            Existing::Complete(ids) => Batch::written(members, ids),
            Existing::Unreadable => {
                // Never marked exported against a file that is not its manifest's.
                tracing::error!(file = %name, "outbound file does not match its manifest");
                report
                    .left_pending
                    .extend(members.into_iter().map(|r| r.id));
                continue;
            }
            Existing::Missing => {
                let (batch, unwritable) = Batch::build(app, members).await?;
                outside.extend(unwritable);
                batch
            }
        };
        outside.append(&mut batch.outside);
        if !batch.members.is_empty() {
            claimed.insert(name, batch);
        }
    }
    // Renewals claimed for a batch but not in its file go back to a new one.
    for mut r in outside {
        r.export_batch = None;
        match app.renewals.save(&mut r).await {
            Ok(()) => fresh.push(r),
            Err(StoreError::Conflict) => report.left_pending.push(r.id),
            Err(e) => return Err(e.into()),
        }
    }
    let (new, unwritable) = Batch::build(app, fresh).await?;
    for r in unwritable {
        tracing::warn!(renewal_id = %r.id, "decided renewal without its beneficiary: not exported");
        report.left_pending.push(r.id);
    }
    if !new.members.is_empty() {
        let seq = app
            .renewals
            .next_export_sequence(&outbound::day_key(today()))
            .await?;
        let name = outbound::file_name(today(), seq);
        let mut batch = Batch::default();
        for (mut r, line) in new.members.into_iter().zip(new.lines) {
            r.export_batch = Some(name.clone());
            match app.renewals.save(&mut r).await {
                Ok(()) => {
                    batch.members.push(r);
                    batch.lines.push(line);
                }
                // Changed since it was read (a real version conflict): the next run takes it.
                Err(StoreError::Conflict) => report.left_pending.push(r.id),
                Err(e) => return Err(e.into()),
            }
        }
        if !batch.members.is_empty() {
            claimed.insert(name, batch);
        }
    }
    if stop == Some(StopAfter::Claimed) {
        return Ok(report);
    }
    for (name, batch) in claimed {
        if !batch.complete {
            write_file(app, &name, &batch.lines).await?;
        }
        report.files.push(name);
        if stop == Some(StopAfter::FilesWritten) {
            continue;
        }
        for mut r in batch.members {
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

/// The renewals of one file: `members` are in it (each with its line when this run writes
/// it), `outside` were claimed for it but are not in its complete file.
#[derive(Default)]
struct Batch {
    members: Vec<RenewalRecord>,
    lines: Vec<Vec<u8>>,
    outside: Vec<RenewalRecord>,
    /// The file is already complete, its manifest checked.
    complete: bool,
}

impl Batch {
    /// A batch whose complete file holds `ids`.
    fn written(claimed: Vec<RenewalRecord>, ids: BTreeSet<String>) -> Batch {
        let (members, outside) = claimed.into_iter().partition(|r| ids.contains(&r.id));
        Batch {
            members,
            outside,
            complete: true,
            ..Batch::default()
        }
    }

    /// The lines of these renewals, in id order, and apart those that cannot be written.
    async fn build(
        app: &App,
        mut renewals: Vec<RenewalRecord>,
    ) -> Result<(Batch, Vec<RenewalRecord>), SyncError> {
        renewals.sort_by(|a, b| a.id.cmp(&b.id));
        let mut batch = Batch::default();
        let mut unwritable = Vec::new();
        for r in renewals {
            match line(app, &r).await? {
                Some(line) => {
                    batch.members.push(r);
                    batch.lines.push(line);
                }
                None => unwritable.push(r),
            }
        }
        Ok((batch, unwritable))
    }
}

/// The line of a decided renewal, or `None` if its beneficiary's record is gone.
async fn line(app: &App, r: &RenewalRecord) -> Result<Option<Vec<u8>>, SyncError> {
    let Some(profile) = app.beneficiaries.profile(&r.nir_hash).await? else {
        return Ok(None);
    };
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
    let mut bytes = serde_json::to_vec(&line)?;
    bytes.push(b'\n');
    Ok(Some(bytes))
}

enum Existing {
    /// No manifest: the file is to be written.
    Missing,
    /// The manifest, and a file that matches it (count, SHA-256), holding these renewals.
    Complete(BTreeSet<String>),
    /// A manifest whose file is missing or does not match it.
    Unreadable,
}

/// What a batch's file is: checked against its manifest when there is one.
async fn existing_file(app: &App, name: &str) -> Result<Existing, SyncError> {
    let manifest = match read(app, &format!("{PREFIX}{name}.manifest.json")).await? {
        Some(bytes) => serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
        None => return Ok(Existing::Missing),
    };
    let Some(data) = read(app, &format!("{PREFIX}{name}.jsonl")).await? else {
        return Ok(Existing::Unreadable);
    };
    let ids: Option<BTreeSet<String>> = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice::<Value>(l)
                .ok()
                .and_then(|v| v["renewal_id"].as_str().map(str::to_owned))
        })
        .collect();
    let lines = data.iter().filter(|b| **b == b'\n').count();
    let matches = manifest["sha256"] == json!(hex::encode(Sha256::digest(&data)))
        && manifest["count"] == json!(lines);
    Ok(match ids {
        Some(ids) if matches && ids.len() == lines => Existing::Complete(ids),
        _ => Existing::Unreadable,
    })
}

async fn read(app: &App, key: &str) -> Result<Option<Vec<u8>>, SyncError> {
    match app
        .objects
        .read_small(&app.bucket, key, None, MAX_FILE_BYTES)
        .await
    {
        Ok(o) => Ok(Some(o.bytes)),
        Err(ObjectError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes the data file, then its manifest, only if none exists (`outbound::write`): a file
/// whose manifest exists is complete and never rewritten. (The name is this batch's alone,
/// so the data file without its manifest can only be this batch's, left by a run that
/// stopped.)
async fn write_file(app: &App, name: &str, lines: &[Vec<u8>]) -> Result<(), SyncError> {
    if !outbound::write(&app.objects, &app.bucket, PREFIX, name, lines).await? {
        return Err(ObjectError::Storage(format!("{name}: manifest written meanwhile")).into());
    }
    Ok(())
}
