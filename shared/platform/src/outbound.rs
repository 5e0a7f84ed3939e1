//! The files sent to the national system (decisions, rectifications): each named
//! `<yyyymmdd>-<seq>` from the day's sequence (`store::next_count`: a name is never given
//! twice), its data `<name>.jsonl` written first, then `<name>.manifest.json` (count,
//! SHA-256, created_at) only if none exists: the national system reads a file once its
//! manifest is there, and a complete file is never rewritten.

use crate::objects::{ObjectError, Objects};
use c2s_domain::dates::{format_date, format_instant};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

/// The SHA-256 of `bytes`, in hex: what a manifest holds, and how a line sent again is
/// recognised.
pub fn fingerprint(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A file's name from its day and number.
pub fn file_name(day: Date, seq: u64) -> String {
    format!("{}-{seq:03}", format_date(day).replace('-', ""))
}

/// The day part of the names of `day`'s files, the key of its sequence.
pub fn day_key(day: Date) -> String {
    format_date(day).replace('-', "")
}

/// The manifest of these lines, as written beside them.
pub fn manifest(body: &[u8], count: usize) -> serde_json::Value {
    json!({"count": count, "sha256": fingerprint(body), "created_at": format_instant(OffsetDateTime::now_utc())})
}

/// Writes the data file under `prefix`, then its manifest, only if none exists. `false`: a
/// manifest was there already (the file was complete), nothing was changed.
pub async fn write(
    objects: &Objects,
    bucket: &str,
    prefix: &str,
    name: &str,
    lines: &[Vec<u8>],
) -> Result<bool, ObjectError> {
    let manifest_key = format!("{prefix}{name}.manifest.json");
    if objects.exists(bucket, &manifest_key).await? {
        return Ok(false);
    }
    let body = lines.concat();
    let manifest = manifest(&body, lines.len());
    objects
        .put(
            bucket,
            &format!("{prefix}{name}.jsonl"),
            body,
            "application/x-ndjson",
        )
        .await?;
    objects
        .put_new(
            bucket,
            &manifest_key,
            manifest.to_string().into_bytes(),
            "application/json",
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn names_sort_by_day_then_number() {
        assert_eq!(file_name(date!(2026 - 12 - 02), 7), "20261202-007");
        assert_eq!(day_key(date!(2026 - 01 - 31)), "20260131");
    }
}
