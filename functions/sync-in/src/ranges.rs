//! A large beneficiaries file, imported as byte ranges in parallel: the file's message only
//! plans (one task per range on `ImportRangesQueue`, which this function consumes with its
//! own concurrency); each range is then claimed, read with an S3 ranged GET and imported on
//! its own, its claim and its message's visibility kept short and renewed while it works, so
//! that a crashed worker's range comes back within a lease, alone. The worker that records
//! the last range done joins the rejects and writes the file's report, once.
//!
//! A range `[start, end)` owns the lines that start inside it: it reads from `start - 1` and
//! drops everything through the first newline (the end of the line before it, or of a line
//! begun earlier), then stops after the line that crosses `end`.

use crate::lines::{import_lines, read_line, Counts};
use crate::rejects::{join_parts, part_key};
use crate::{App, ImportError, ImportReport, Leased, Source};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsMessage};
use c2s_platform::exchange::CONSUMED;
use c2s_platform::idempotency::{Claim, InProgress, Once};
use c2s_platform::queue::{send_all, ObjectRef};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tracing::Instrument;

/// One range of a file to import: the message body on `ImportRangesQueue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeTask {
    /// The file's unit of work (`ObjectRef::once_key`): its report is completed under it.
    pub file: String,
    pub bucket: String,
    pub key: String,
    /// The version planned, read by every range.
    pub version_id: Option<String>,
    pub index: u32,
    pub count: u32,
    pub start: u64,
    pub end: u64,
}

#[derive(Serialize, Deserialize)]
struct Body {
    import_range: RangeTask,
}

impl RangeTask {
    pub fn body(&self) -> String {
        serde_json::json!({ "import_range": self }).to_string()
    }

    /// The task a message body holds, if it is one.
    pub fn read(body: &str) -> Option<RangeTask> {
        serde_json::from_str::<Body>(body)
            .ok()
            .map(|b| b.import_range)
    }

    fn claim_key(&self) -> String {
        format!("{}#range#{}", self.file, self.index)
    }

    fn parts_key(&self) -> String {
        format!("{}#ranges", self.file)
    }

    fn range_key(&self, index: u32) -> String {
        format!("{}#range#{index}", self.file)
    }
}

/// The ranges of a file of `size` bytes, of `range_bytes` each (the last one shorter).
pub fn split(size: u64, range_bytes: u64) -> Vec<(u64, u64)> {
    let step = range_bytes.max(1);
    (0..size.div_ceil(step))
        .map(|i| (i * step, ((i + 1) * step).min(size)))
        .collect()
}

/// The tasks of a file (that version, of that size), in order.
pub fn tasks(
    object: &ObjectRef,
    version_id: Option<String>,
    size: u64,
    range_bytes: u64,
) -> Vec<RangeTask> {
    let ranges = split(size, range_bytes);
    let count = u32::try_from(ranges.len()).unwrap_or(u32::MAX);
    (0u32..)
        .zip(ranges)
        .map(|(index, (start, end))| RangeTask {
            file: object.once_key("sync-in"),
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            version_id: version_id.clone(),
            index,
            count,
            start,
            end,
        })
        .collect()
}

/// Plans a large file once: its range tasks on the queue. A plan sent again (its message
/// redelivered before it was recorded) sends the same tasks, each of which runs once.
pub(crate) async fn plan(
    app: &App,
    object: &ObjectRef,
    version_id: Option<String>,
    size: u64,
) -> Result<ImportReport, ImportError> {
    let tasks = tasks(object, version_id, size, app.range_bytes);
    let ranges = tasks.len() as u64;
    let bodies: Vec<String> = tasks.iter().map(RangeTask::body).collect();
    let planned = app
        .idempotency
        .run_once(
            &format!("{}#plan", object.once_key("sync-in")),
            app.lease_seconds,
            || async {
                Ok::<(), ImportError>(send_all(&app.sqs, &app.ranges_queue_url, &bodies).await?)
            },
            |()| HashMap::from([("ranges".to_owned(), ranges)]),
        )
        .await?;
    Ok(ImportReport {
        ranges,
        already_done: planned == Once::AlreadyDone,
        ..Default::default()
    })
}

/// Handles the range tasks of one SQS event: each in its span, the failed ones reported, and
/// made visible again after a lease (the claim a crashed or busy run holds ends by then).
pub(crate) async fn handle_ranges(app: &App, messages: Vec<SqsMessage>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in messages {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", consumer = "sync-in-range", message_id = %id);
        let receipt = message.receipt_handle.clone();
        let Some(task) = message.body.as_deref().and_then(RangeTask::read) else {
            tracing::warn!(message_id = %id, "not a range task");
            response.add_failure(id);
            continue;
        };
        let result = work(app, &task, receipt.as_deref()).instrument(span).await;
        match result {
            Ok(Some(report)) => tracing::info!(
                lines = report.lines,
                imported = report.imported,
                rejected = report.rejected,
                ranges = report.ranges,
                "beneficiaries file imported"
            ),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(message_id = %id, range = task.index, error = %e, "range failed");
                if let Some(receipt) = &receipt {
                    let message = Leased {
                        queue: Source::Ranges,
                        receipt,
                    };
                    app.set_visibility(message, app.lease_seconds).await;
                }
                response.add_failure(id);
            }
        }
    }
    response
}

/// Imports one range once, records it done, and finishes the file if it was the last: the
/// file's report when this call finished it.
pub async fn work(
    app: &App,
    task: &RangeTask,
    receipt: Option<&str>,
) -> Result<Option<ImportReport>, ImportError> {
    let message = receipt.map(|receipt| Leased {
        queue: Source::Ranges,
        receipt,
    });
    let counts = kept_alive(
        app,
        &task.claim_key(),
        message,
        || import_range(app, task),
        Counts::summary,
    )
    .await?;
    if let Once::Ran(c) = counts {
        tracing::info!(
            range = task.index,
            lines = c.lines,
            imported = c.imported,
            rejected = c.rejected,
            "range imported"
        );
    }
    // Recorded again when the range was done before (a redelivery after a crash here):
    // counted once all the same.
    let done = app
        .idempotency
        .done_part(&task.parts_key(), task.index, task.count)
        .await?;
    if done < task.count {
        return Ok(None);
    }
    match kept_alive(
        app,
        &task.file,
        message,
        || finish(app, task),
        Counts::summary,
    )
    .await?
    {
        Once::Ran(c) => Ok(Some(ImportReport {
            lines: c.lines,
            imported: c.imported,
            rejected: c.rejected,
            ranges: u64::from(task.count),
            already_done: false,
        })),
        Once::AlreadyDone => Ok(None),
    }
}

async fn import_range(app: &App, task: &RangeTask) -> Result<Counts, ImportError> {
    let from = task.start.saturating_sub(1);
    let mut reader = app
        .objects
        .reader_from(&task.bucket, &task.key, task.version_id.as_deref(), from)
        .await?;
    let mut pos = from;
    if task.start > 0 {
        let mut buf = Vec::new();
        pos += read_line(&mut reader, &mut buf).await?.1;
    }
    let mut rejects = app
        .objects
        .jsonl_writer(&task.bucket, &part_key(&task.key, task.index));
    let counts = import_lines(app, &mut reader, pos, Some(task.end), &mut rejects).await?;
    // Written whole each time: a range done again replaces its part, never adds to it.
    rejects.finish().await?;
    Ok(counts)
}

/// Every range done: their rejects in one file, numbered in the whole file, then the version
/// read tagged consumed. Its counts are the file's report.
async fn finish(app: &App, task: &RangeTask) -> Result<Counts, ImportError> {
    let mut total = Counts::default();
    let mut lines = Vec::with_capacity(task.count as usize);
    for index in 0..task.count {
        let summary = app
            .idempotency
            .summary(&task.range_key(index))
            .await?
            .ok_or(ImportError::RangeMissing(index))?;
        let count = |k: &str| summary.get(k).copied().unwrap_or(0);
        total.lines += count("lines");
        total.imported += count("imported");
        total.rejected += count("rejected");
        lines.push(count("lines"));
    }
    join_parts(app, &task.bucket, &task.key, &lines).await?;
    app.objects
        .tag(
            &task.bucket,
            &task.key,
            task.version_id.as_deref(),
            &[CONSUMED],
        )
        .await?;
    Ok(total)
}

/// `IdempotencyStore::run_once` with a short claim kept alive while `work` goes on: renewed
/// every third of a lease, with the message's visibility (when there is a message), so that a
/// run that stops leaves both to end within a lease and a redelivery takes over.
pub(crate) async fn kept_alive<T, W, Fut, S>(
    app: &App,
    key: &str,
    message: Option<Leased<'_>>,
    work: W,
    summary: S,
) -> Result<Once<T>, ImportError>
where
    W: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, ImportError>>,
    S: FnOnce(&T) -> HashMap<String, u64>,
{
    let lease = app.lease_seconds;
    match Box::pin(app.idempotency.claim(key, lease)).await? {
        Claim::AlreadyDone => return Ok(Once::AlreadyDone),
        Claim::InProgress => return Err(InProgress.into()),
        Claim::Started => {}
    }
    if let Some(message) = message {
        app.set_visibility(message, lease).await;
    }
    let beat = Duration::from_secs(u64::try_from(lease / 3).unwrap_or(1).max(1));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
    let mut work = Box::pin(work());
    let result = loop {
        tokio::select! {
            done = &mut work => break done,
            _ = tick.tick() => {
                if let Err(e) = app.idempotency.renew(key, lease).await {
                    tracing::warn!(error = %e, "the claim could not be renewed");
                }
                if let Some(message) = message {
                    app.set_visibility(message, lease).await;
                }
            }
        }
    };
    match result {
        Ok(value) => {
            Box::pin(app.idempotency.complete(key, summary(&value))).await?;
            Ok(Once::Ran(value))
        }
        Err(e) => {
            if let Err(release) = app.idempotency.release(key).await {
                tracing::warn!(error = %release, "could not release the claim");
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_file_once() {
        assert_eq!(split(10, 4), [(0, 4), (4, 8), (8, 10)]);
        assert_eq!(split(8, 4), [(0, 4), (4, 8)]);
        assert_eq!(split(0, 4), Vec::<(u64, u64)>::new());
    }

    #[test]
    fn a_task_goes_through_its_message_body() {
        let object = ObjectRef {
            bucket: "b".into(),
            key: "inbound/beneficiaries/f.jsonl".into(),
            size: None,
            etag: Some("e".into()),
            version_id: None,
        };
        let all = tasks(&object, Some("v1".into()), 10, 4);
        assert_eq!(all.len(), 3);
        assert_eq!(RangeTask::read(&all[2].body()), Some(all[2].clone()));
        assert_eq!(all[2].file, "sync-in#b#inbound/beneficiaries/f.jsonl#e");
        assert_eq!(RangeTask::read("{\"Records\": []}"), None);
    }
}
