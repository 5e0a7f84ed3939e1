//! The rejects of an inbound file: one file, `inbound/rejects/<same name>`, each refused
//! line with its number in the inbound file, field, code and French message, never the NIR.
//! A large file's ranges each write their part (`inbound/import-parts/<name>/<range>.jsonl`,
//! numbered within the range); the last range done joins them, adding to each number the
//! lines of the ranges before it.

use crate::lines::{read_line, Line};
use crate::{App, ImportError, BENEFICIARIES_PREFIX, PARTS_PREFIX, REJECTS_PREFIX};
use c2s_platform::exchange::CONSUMED;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct RejectLine {
    pub line: u64,
    pub field: String,
    pub reason: String,
    pub message: String,
}

fn name_of(inbound_key: &str) -> &str {
    inbound_key
        .strip_prefix(BENEFICIARIES_PREFIX)
        .unwrap_or(inbound_key)
}

/// The rejects file that goes with an inbound file.
pub fn rejects_key(inbound_key: &str) -> String {
    format!("{REJECTS_PREFIX}{}", name_of(inbound_key))
}

/// Where range `index` of an inbound file writes its rejects until they are joined.
pub(crate) fn part_key(inbound_key: &str, index: u32) -> String {
    format!("{PARTS_PREFIX}{}/{index:05}.jsonl", name_of(inbound_key))
}

/// Joins the parts of `lines.len()` ranges (`lines[i]`: how many lines range `i` read) into
/// the one rejects file, streamed part by part, then tags the parts consumed (the bucket's
/// lifecycle removes them the next day). A part is read whole only line by line.
pub(crate) async fn join_parts(
    app: &App,
    bucket: &str,
    inbound_key: &str,
    lines: &[u64],
) -> Result<u64, ImportError> {
    let mut out = app.objects.jsonl_writer(bucket, &rejects_key(inbound_key));
    let mut before = 0u64;
    let mut buf = Vec::with_capacity(1024);
    for (index, count) in (0u32..).zip(lines) {
        let key = part_key(inbound_key, index);
        let (mut reader, _) = app.objects.reader(bucket, &key, None).await?;
        loop {
            match read_line(&mut reader, &mut buf).await?.0 {
                Line::End => break,
                Line::TooLong => return Err(ImportError::BadPart),
                Line::Bytes if buf.is_empty() => continue,
                Line::Bytes => {
                    let mut reject: RejectLine =
                        serde_json::from_slice(&buf).map_err(|_| ImportError::BadPart)?;
                    reject.line += before;
                    out.write(&reject).await?;
                }
            }
        }
        before += count;
    }
    let written = out.finish().await?;
    for index in (0u32..).take(lines.len()) {
        app.objects
            .tag(bucket, &part_key(inbound_key, index), None, &[CONSUMED])
            .await?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_go_beside_the_inbound_file_and_parts_apart() {
        assert_eq!(
            rejects_key("inbound/beneficiaries/2026-11-23.jsonl"),
            "inbound/rejects/2026-11-23.jsonl"
        );
        assert_eq!(
            part_key("inbound/beneficiaries/2026-11-23.jsonl", 7),
            "inbound/import-parts/2026-11-23.jsonl/00007.jsonl"
        );
    }
}
