//! `inbound/beneficiaries/`: the beneficiaries file, imported line by line. A file up to
//! `IMPORT_RANGE_BYTES` goes through in one step here; a larger one is cut into ranges that
//! run in parallel ([`crate::ranges`]).

use crate::lines::{import_lines, Counts};
use crate::rejects::rejects_key;
use crate::{ranges, App, ImportError, Leased};
use c2s_platform::exchange::CONSUMED;
use c2s_platform::idempotency::Once;
use c2s_platform::queue::ObjectRef;
use serde::Serialize;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub lines: u64,
    pub imported: u64,
    pub rejected: u64,
    /// How many ranges the file was cut into (0: imported in one step). A planned file's
    /// counts come with its last range (`ranges::work`).
    pub ranges: u64,
    /// True when the file had been imported (or planned) before and nothing was done.
    pub already_done: bool,
}

/// Handles `inbound/beneficiaries/<file>.jsonl` (S3 object created): imports it once per
/// version, then tags that version consumed (`exchange::CONSUMED`) for the bucket's
/// lifecycle. A file whose tag could not be set is imported again (harmless) and tagged.
/// A file larger than `IMPORT_RANGE_BYTES` is planned as ranges instead.
pub async fn import(app: &App, object: &ObjectRef) -> Result<ImportReport, ImportError> {
    import_leased(app, object, None).await
}

/// [`import`], the message that named the file (when there is one) leased with the claim.
pub(crate) async fn import_leased(
    app: &App,
    object: &ObjectRef,
    message: Option<Leased<'_>>,
) -> Result<ImportReport, ImportError> {
    let (size, version) = app
        .objects
        .size_of(&object.bucket, &object.key, object.version_id.as_deref())
        .await?;
    if size > app.range_bytes {
        let version = object.version_id.clone().or(version);
        return ranges::plan(app, object, version, size).await;
    }
    // A short claim kept alive while the file is read: a run that stops gives the file back
    // within a lease; a failed one gives it back at once. Writes so far are harmless to repeat.
    let once = ranges::kept_alive(
        app,
        &object.once_key("sync-in"),
        message,
        || run_import(app, object),
        Counts::summary,
    )
    .await?;
    Ok(match once {
        Once::Ran(c) => ImportReport {
            lines: c.lines,
            imported: c.imported,
            rejected: c.rejected,
            ranges: 0,
            already_done: false,
        },
        Once::AlreadyDone => ImportReport {
            already_done: true,
            ..Default::default()
        },
    })
}

async fn run_import(app: &App, object: &ObjectRef) -> Result<Counts, ImportError> {
    let (mut reader, version) = app
        .objects
        .reader(&object.bucket, &object.key, object.version_id.as_deref())
        .await?;
    let mut rejects = app
        .objects
        .jsonl_writer(&object.bucket, &rejects_key(&object.key));
    let counts = import_lines(app, &mut reader, 0, None, &mut rejects).await?;
    rejects.finish().await?;
    // Imported: the version read, with the letters' secrets in clear, expires the next day.
    app.objects
        .tag(&object.bucket, &object.key, version.as_deref(), &[CONSUMED])
        .await?;
    Ok(counts)
}
