//! `inbound/beneficiaries/`: the beneficiaries file, imported line by line.

use crate::arrivals::write_profiles;
use crate::{App, ImportError, BENEFICIARIES_PREFIX, IMPORT_CLAIM_SECONDS, REJECTS_PREFIX};
use c2s_domain::beneficiary::{parse_line, Beneficiary, Rejection};
use c2s_domain::text::Email;
use c2s_platform::beneficiaries::Profile;
use c2s_platform::clock::today;
use c2s_platform::exchange::CONSUMED;
use c2s_platform::hashing::{Hasher, Purpose};
use c2s_platform::idempotency::Once;
use c2s_platform::queue::ObjectRef;
use serde::Serialize;
use std::collections::HashMap;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// A line longer than this is rejected without being held in memory.
const MAX_LINE_BYTES: usize = 64 * 1024;
const BATCH: usize = 25;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub lines: u64,
    pub imported: u64,
    pub rejected: u64,
    /// True when the file had been imported before and nothing was done.
    pub already_done: bool,
}

#[derive(Serialize)]
struct RejectLine<'a> {
    line: u64,
    field: &'a str,
    reason: &'a str,
    message: &'a str,
}

/// The rejects file that goes with an inbound file.
pub fn rejects_key(inbound_key: &str) -> String {
    let name = inbound_key
        .strip_prefix(BENEFICIARIES_PREFIX)
        .unwrap_or(inbound_key);
    format!("{REJECTS_PREFIX}{name}")
}

/// Handles `inbound/beneficiaries/<file>.jsonl` (S3 object created): imports it once per
/// version, then tags that version consumed (`exchange::CONSUMED`) for the bucket's
/// lifecycle. A file whose tag could not be set is imported again (harmless) and tagged.
pub async fn import(app: &App, object: &ObjectRef) -> Result<ImportReport, ImportError> {
    let claim_key = object.once_key("sync-in");
    // A failed run gives its claim back so that a redelivery starts again at once; writes so
    // far are harmless to repeat.
    let once = app
        .idempotency
        .run_once(
            &claim_key,
            IMPORT_CLAIM_SECONDS,
            || run_import(app, object),
            |report| {
                HashMap::from([
                    ("lines".to_owned(), report.lines),
                    ("imported".to_owned(), report.imported),
                    ("rejected".to_owned(), report.rejected),
                ])
            },
        )
        .await?;
    Ok(match once {
        Once::Ran(report) => report,
        Once::AlreadyDone => ImportReport {
            already_done: true,
            ..Default::default()
        },
    })
}

async fn run_import(app: &App, object: &ObjectRef) -> Result<ImportReport, ImportError> {
    let (mut reader, version) = app
        .objects
        .reader(&object.bucket, &object.key, object.version_id.as_deref())
        .await?;
    let mut rejects = app
        .objects
        .jsonl_writer(&object.bucket, &rejects_key(&object.key));
    let mut report = ImportReport::default();
    let mut batch: Vec<Profile> = Vec::with_capacity(BATCH);
    let today = today();
    let mut buf = Vec::with_capacity(4096);
    loop {
        let line = match read_line(&mut reader, &mut buf).await? {
            Line::End => break,
            Line::TooLong => Err(Rejection {
                field: String::new(),
                reason: "line_too_long",
                message: "La ligne dépasse la taille maximale (64 Kio).",
            }),
            Line::Bytes => match std::str::from_utf8(&buf) {
                Ok(s) if s.trim().is_empty() => {
                    report.lines += 1;
                    continue;
                }
                Ok(s) => parse_line(s, today),
                Err(_) => Err(Rejection {
                    field: String::new(),
                    reason: "invalid_encoding",
                    message: "La ligne n'est pas en UTF-8.",
                }),
            },
        };
        report.lines += 1;
        match line {
            Ok(b) => {
                let profile = profile(&app.hasher, b);
                // One batch may not hold the same key twice: the later line wins.
                if batch.iter().any(|p| p.nir_hash == profile.nir_hash) {
                    write_profiles(app, &batch).await?;
                    batch.clear();
                }
                batch.push(profile);
                report.imported += 1;
                if batch.len() == BATCH {
                    write_profiles(app, &batch).await?;
                    batch.clear();
                }
            }
            Err(r) => {
                report.rejected += 1;
                rejects
                    .write(&RejectLine {
                        line: report.lines,
                        field: &r.field,
                        reason: r.reason,
                        message: r.message,
                    })
                    .await?;
            }
        }
    }
    if !batch.is_empty() {
        write_profiles(app, &batch).await?;
    }
    rejects.finish().await?;
    // Imported: the version read, with the letters' secrets in clear, expires the next day.
    app.objects
        .tag(&object.bucket, &object.key, version.as_deref(), &[CONSUMED])
        .await?;
    Ok(report)
}

enum Line {
    Bytes,
    TooLong,
    End,
}

/// Reads one line into `buf` (without its end), holding at most `MAX_LINE_BYTES`.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    let mut read_any = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            break;
        }
        read_any = true;
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if !too_long {
            if buf.len() + chunk.len() > MAX_LINE_BYTES {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let consumed = done.unwrap_or(available.len());
        reader.consume(consumed);
        if done.is_some() {
            break;
        }
    }
    if !read_any {
        return Ok(Line::End);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(if too_long { Line::TooLong } else { Line::Bytes })
}

/// What is stored of a beneficiary: the secrets only as keyed hashes.
fn profile(hasher: &Hasher, b: Beneficiary) -> Profile {
    Profile {
        nir_hash: hasher.nir(&b.nir),
        nir: b.nir.as_str().to_owned(),
        birth_date: b.birth_date,
        last_name: b.last_name.as_str().to_owned(),
        first_name: b.first_name.as_str().to_owned(),
        email: b.email.as_ref().map(Email::as_str).map(str::to_owned),
        phone: b.phone.as_ref().map(|p| p.as_str().to_owned()),
        address: b.address,
        territory: b.territory,
        caisse: b.caisse,
        css_end_date: b.css_end_date,
        renewal_code_hash: hasher.hash(Purpose::RenewalCode, b.renewal_code.expose()),
        iban_last4_hash: hasher.hash(Purpose::IbanLast4, b.iban_last4.expose()),
        vitale_serial_hash: hasher.hash(Purpose::VitaleSerial, b.vitale_serial.expose()),
        household: b.household,
        guardian_partner_id: b.guardian_partner_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8]) -> Vec<String> {
        let mut reader = tokio::io::BufReader::with_capacity(7, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_line(&mut reader, &mut buf).await {
                Ok(Line::End) | Err(_) => break,
                Ok(Line::TooLong) => out.push("<too long>".to_owned()),
                Ok(Line::Bytes) => out.push(String::from_utf8_lossy(&buf).into_owned()),
            }
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_across_small_buffers() {
        assert_eq!(
            lines(b"abc\r\ndefghijkl\n\nlast").await,
            ["abc", "defghijkl", "", "last"]
        );
        assert_eq!(lines(b"").await, Vec::<String>::new());
        let long = [vec![b'x'; MAX_LINE_BYTES + 1], b"\nok\n".to_vec()].concat();
        assert_eq!(lines(&long).await, ["<too long>", "ok"]);
    }

    #[test]
    fn rejects_go_beside_the_inbound_file() {
        assert_eq!(
            rejects_key("inbound/beneficiaries/2026-11-23.jsonl"),
            "inbound/rejects/2026-11-23.jsonl"
        );
    }
}
