//! `antivirus-definitions` (every 6 hours, and once when the stack is created): brings the
//! ClamAV definitions of `VIRUS_DEFINITIONS_BUCKET` up to date, for the document check's
//! own clamd. The bucket's files are copied to `/tmp` first, so that freshclam only fetches
//! what changed (daily diffs) and keeps its state (`freshclam.dat`: the mirrors' cool-down
//! after a refusal); then freshclam (`FRESHCLAM_PROGRAM`) runs once with `FRESHCLAM_CONFIG`
//! (the image's, which points at ClamAV's mirrors; locally a file mirror, the emulator having
//! no internet) and tests what it downloads; what it changed is uploaded, what it removed is
//! deleted. The same function answers CloudFormation's custom resource `VirusDefinitions`,
//! so the first deploy does not wait 6 hours for its first definitions.

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceRequest, CloudFormationCustomResourceResponse,
    CloudFormationCustomResourceResponseStatus,
};
use c2s_platform::aws::Clients;
use c2s_platform::virus_definitions::{fingerprints, DefinitionsError, VirusDefinitions};
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// The first download of the full databases, tested, takes a few minutes; the function has 15.
const FRESHCLAM_WITHIN: Duration = Duration::from_secs(12 * 60);

pub struct App {
    definitions: VirusDefinitions,
    freshclam: PathBuf,
    config: PathBuf,
    http: reqwest::Client,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            definitions: VirusDefinitions::from_env(env, clients)?,
            freshclam: env
                .optional("FRESHCLAM_PROGRAM")
                .unwrap_or_else(|| "/usr/bin/freshclam".to_owned())
                .into(),
            config: env.require("FRESHCLAM_CONFIG")?.into(),
            http: reqwest::Client::new(),
        })
    }
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Files the bucket held before the update.
    pub downloaded: usize,
    /// Files new or changed, uploaded.
    pub uploaded: Vec<String>,
    /// Files freshclam removed (a `.cvd` replaced by its `.cld`, a database no longer wanted),
    /// deleted from the bucket.
    pub removed: Vec<String>,
    pub unchanged: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Definitions(#[from] DefinitionsError),
    #[error("freshclam did not run: {0}")]
    Spawn(std::io::Error),
    #[error("freshclam failed ({status}): {output}")]
    Freshclam { status: String, output: String },
    #[error("freshclam did not finish within {0} s")]
    TimedOut(u64),
    #[error(transparent)]
    Report(#[from] serde_json::Error),
}

/// The scheduled run: the update and its report.
pub async fn run(app: &App) -> Result<Value, UpdateError> {
    let report = update(app).await?;
    tracing::info!(?report, "antivirus definitions");
    Ok(serde_json::to_value(report)?)
}

pub async fn update(app: &App) -> Result<Report, UpdateError> {
    let dir = std::env::temp_dir().join(format!("freshclam-{}", uuid::Uuid::new_v4().simple()));
    // Boxed: the SDK's futures nested this deep overflow the compiler's layout queries.
    let result = Box::pin(update_in(app, &dir)).await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    result
}

async fn update_in(app: &App, dir: &Path) -> Result<Report, UpdateError> {
    let downloaded = app.definitions.download_into(dir).await?.len();
    let before = fingerprints(dir).await?;
    freshclam(app, dir).await?;
    let after = fingerprints(dir).await?;
    let mut report = Report {
        downloaded,
        ..Report::default()
    };
    for (name, print) in &after {
        if before.get(name) == Some(print) {
            report.unchanged += 1;
        } else {
            app.definitions.upload(dir, name).await?;
            report.uploaded.push(name.clone());
        }
    }
    for name in before.keys().filter(|n| !after.contains_key(*n)) {
        app.definitions.remove(name).await?;
        report.removed.push(name.clone());
    }
    Ok(report)
}

async fn freshclam(app: &App, dir: &Path) -> Result<(), UpdateError> {
    let child = Command::new(&app.freshclam)
        .arg(format!("--config-file={}", app.config.display()))
        .arg(format!("--datadir={}", dir.display()))
        .arg("--stdout")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(UpdateError::Spawn)?;
    let out = tokio::time::timeout(FRESHCLAM_WITHIN, child.wait_with_output())
        .await
        .map_err(|_| UpdateError::TimedOut(FRESHCLAM_WITHIN.as_secs()))?
        .map_err(UpdateError::Spawn)?;
    // freshclam says which databases it updated or found up to date; nothing personal.
    let output = [out.stdout, out.stderr].concat();
    let output = String::from_utf8_lossy(&output);
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    let summary = lines[lines.len().saturating_sub(8)..].join(" | ");
    if out.status.success() {
        tracing::info!(freshclam = %summary, "freshclam done");
        Ok(())
    } else {
        Err(UpdateError::Freshclam {
            status: out.status.to_string(),
            output: summary,
        })
    }
}

/// What Lambda hands over: EventBridge Scheduler's event (run), or a CloudFormation custom
/// resource request, answered at its `ResponseURL` as CloudFormation expects.
pub async fn handle(app: &App, event: Value) -> Result<Value, HandleError> {
    if event.get("RequestType").is_none() {
        return Ok(run(app).await?);
    }
    let request: CloudFormationCustomResourceRequest = serde_json::from_value(event)?;
    let (url, response) = custom_resource(app, &request).await?;
    // No content type: the presigned address may be signed with one (empty) in mind.
    let sent = app
        .http
        .put(&url)
        .body(serde_json::to_vec(&response)?)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Ok(serde_json::to_value(&response)?),
        Ok(r) => Err(HandleError::Answer(format!("HTTP {}", r.status()))),
        Err(e) => Err(HandleError::Answer(e.to_string())),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Update(#[from] UpdateError),
    #[error("not a custom resource request: {0}")]
    Request(#[from] serde_json::Error),
    #[error("unknown custom resource request")]
    Unknown,
    #[error("CloudFormation was not answered: {0}")]
    Answer(String),
}

/// Create and Update fill the bucket (a failure fails the deployment, with freshclam's own
/// words); Delete empties it, so that the stack's deletion can remove it. The resource is the
/// bucket it fills.
async fn custom_resource(
    app: &App,
    request: &CloudFormationCustomResourceRequest,
) -> Result<(String, CloudFormationCustomResourceResponse), HandleError> {
    use CloudFormationCustomResourceRequest::{Create, Delete, Update};
    let bucket = app.definitions.bucket();
    let (url, stack, id, logical) = match request {
        Create(r) => (
            &r.response_url,
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
        ),
        Update(r) => (
            &r.response_url,
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
        ),
        Delete(r) => (
            &r.response_url,
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
        ),
        _ => return Err(HandleError::Unknown),
    };
    let outcome = match request {
        // Only the bucket it filled: the Delete of a replaced resource leaves the new one.
        Delete(r) if r.physical_resource_id != bucket => Ok(()),
        Delete(_) => empty(&app.definitions).await.map_err(|e| e.to_string()),
        _ => update(app).await.map(|_| ()).map_err(|e| e.to_string()),
    };
    let mut response = CloudFormationCustomResourceResponse::default();
    response.stack_id = stack.clone();
    response.request_id = id.clone();
    response.logical_resource_id = logical.clone();
    response.physical_resource_id = bucket.to_owned();
    match outcome {
        Ok(()) => response.status = CloudFormationCustomResourceResponseStatus::Success,
        Err(why) => {
            tracing::error!(error = %why, "custom resource failed");
            response.status = CloudFormationCustomResourceResponseStatus::Failed;
            response.reason = Some(why);
        }
    }
    Ok((url.clone(), response))
}

async fn empty(definitions: &VirusDefinitions) -> Result<(), DefinitionsError> {
    for name in definitions.list().await? {
        definitions.remove(&name).await?;
    }
    Ok(())
}
