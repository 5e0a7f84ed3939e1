//! `sync-in`: files from the national system, through S3 object-created events on SQS.
//!
//! `inbound/beneficiaries/<file>.jsonl` is read line by line (never whole), each line is
//! validated; valid beneficiaries are written 25 at a time, invalid lines go to
//! `inbound/rejects/<file>.jsonl` with their line number and reason (never the NIR). The
//! same file twice, or the same message twice, changes nothing.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_domain::beneficiary::{parse_line, Beneficiary, Rejection};
use c2s_domain::renewal::{ActorKind, HistoryEntry, Status};
use c2s_domain::text::Email;
use c2s_platform::auth::today;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::hashing::{Hasher, Purpose};
use c2s_platform::idempotency::{Claim, IdempotencyStore};
use c2s_platform::objects::{ObjectError, Objects};
use c2s_platform::queue::{for_each_message, ObjectRef};
use c2s_platform::renewals::RenewalStore;
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use std::collections::HashMap;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

pub const BENEFICIARIES_PREFIX: &str = "inbound/beneficiaries/";
pub const REJECTS_PREFIX: &str = "inbound/rejects/";
pub const ACKS_PREFIX: &str = "inbound/acks/";
/// A line longer than this is rejected without being held in memory.
const MAX_LINE_BYTES: usize = 64 * 1024;
const BATCH: usize = 25;
/// A claim on a file expires after the longest a run may take (the function's timeout).
const IMPORT_CLAIM_SECONDS: i64 = 15 * 60;

pub struct App {
    renewals: RenewalStore,
    beneficiaries: BeneficiaryStore,
    idempotency: IdempotencyStore,
    objects: Objects,
    bucket: String,
    hasher: Hasher,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        let beneficiaries =
            BeneficiaryStore::new(clients.dynamo.clone(), env.require("BENEFICIARIES_TABLE")?);
        Ok(App {
            renewals: RenewalStore::new(
                clients.dynamo.clone(),
                env.require("RENEWALS_TABLE")?,
                &beneficiaries,
            ),
            beneficiaries,
            idempotency: IdempotencyStore::new(
                clients.dynamo.clone(),
                env.require("IDEMPOTENCY_TABLE")?,
            ),
            objects: Objects::new(clients.s3.clone()),
            bucket: env.require("EXCHANGE_BUCKET")?,
            hasher: Hasher::from_env(env)?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is being imported by another run")]
    InProgress,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("the acknowledgement is not the expected JSON")]
    BadAck,
    #[error("reading the file failed: {0}")]
    Read(#[from] std::io::Error),
}

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

pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    for_each_message(event, "sync-in", |objects: Vec<ObjectRef>| async move {
        for object in objects
            .iter()
            .filter(|o| o.bucket == app.bucket && o.key.starts_with(BENEFICIARIES_PREFIX))
        {
            let report = import(app, object).await?;
            tracing::info!(
                lines = report.lines,
                imported = report.imported,
                rejected = report.rejected,
                already_done = report.already_done,
                "beneficiaries file imported"
            );
        }
        for object in objects
            .iter()
            .filter(|o| o.bucket == app.bucket && o.key.starts_with(ACKS_PREFIX))
        {
            let report = acknowledge(app, object).await?;
            tracing::info!(
                integrated = report.integrated,
                sent_back = report.sent_back,
                skipped = report.skipped,
                "acknowledgement applied"
            );
        }
        Ok::<_, ImportError>(())
    })
    .await
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AckReport {
    pub integrated: u64,
    pub sent_back: u64,
    /// Not exported (any more): already applied, or unknown.
    pub skipped: u64,
}

#[derive(serde::Deserialize)]
struct Ack {
    #[serde(default)]
    integrated: Vec<String>,
    #[serde(default)]
    rejected: Vec<AckRejection>,
}

#[derive(serde::Deserialize)]
struct AckRejection {
    renewal_id: String,
    reason: String,
}

/// `inbound/acks/<name>.json`: the national system's answer to an outbound file. Integrated
/// renewals become `integrated`; rejected ones go back to the agents (`in_review`, the same
/// agent) with the reason. Only `exported` renewals move, so a replay changes nothing.
pub async fn acknowledge(app: &App, object: &ObjectRef) -> Result<AckReport, ImportError> {
    let claim_key = format!(
        "sync-in-ack#{}#{}#{}",
        object.bucket,
        object.key,
        object.etag.as_deref().unwrap_or("-")
    );
    match app
        .idempotency
        .claim(&claim_key, IMPORT_CLAIM_SECONDS)
        .await?
    {
        Claim::AlreadyDone => return Ok(AckReport::default()),
        Claim::InProgress => return Err(ImportError::InProgress),
        Claim::Started => {}
    }
    let result = apply_ack(app, object).await;
    match &result {
        Ok(r) => {
            app.idempotency
                .complete(
                    &claim_key,
                    HashMap::from([
                        ("integrated".to_owned(), r.integrated),
                        ("sent_back".to_owned(), r.sent_back),
                    ]),
                )
                .await?
        }
        Err(_) => {
            if let Err(e) = app.idempotency.release(&claim_key).await {
                tracing::warn!(error = %e, "could not release the acknowledgement claim");
            }
        }
    }
    result
}

async fn apply_ack(app: &App, object: &ObjectRef) -> Result<AckReport, ImportError> {
    let (_, bytes) = app
        .objects
        .read_small(&object.bucket, &object.key, 50 * 1024 * 1024)
        .await?;
    let Ok(ack) = serde_json::from_slice::<Ack>(&bytes) else {
        return Err(ImportError::BadAck);
    };
    let mut report = AckReport::default();
    let moves = ack.integrated.iter().map(|id| (id.as_str(), None)).chain(
        ack.rejected
            .iter()
            .map(|r| (r.renewal_id.as_str(), Some(r.reason.as_str()))),
    );
    for (id, rejection) in moves {
        let Some((mut r, _)) = app.renewals.load(id).await? else {
            report.skipped += 1;
            continue;
        };
        if r.status != Status::Exported {
            report.skipped += 1;
            continue;
        }
        let expected = r.version;
        let next = if rejection.is_some() {
            Status::InReview
        } else {
            Status::Integrated
        };
        r.status = next;
        r.integration_rejection = rejection.map(|s| s.chars().take(500).collect());
        r.history.push(HistoryEntry {
            status: next,
            at: time::OffsetDateTime::now_utc(),
            actor: ActorKind::System,
        });
        r.version += 1;
        app.renewals.save(&r, expected).await?;
        if rejection.is_some() {
            report.sent_back += 1;
        } else {
            report.integrated += 1;
        }
    }
    Ok(report)
}

/// The rejects file that goes with an inbound file.
pub fn rejects_key(inbound_key: &str) -> String {
    let name = inbound_key
        .strip_prefix(BENEFICIARIES_PREFIX)
        .unwrap_or(inbound_key);
    format!("{REJECTS_PREFIX}{name}")
}

pub async fn import(app: &App, object: &ObjectRef) -> Result<ImportReport, ImportError> {
    let claim_key = format!(
        "sync-in#{}#{}#{}",
        object.bucket,
        object.key,
        object.etag.as_deref().unwrap_or("-")
    );
    match app
        .idempotency
        .claim(&claim_key, IMPORT_CLAIM_SECONDS)
        .await?
    {
        Claim::AlreadyDone => {
            return Ok(ImportReport {
                already_done: true,
                ..Default::default()
            })
        }
        Claim::InProgress => return Err(ImportError::InProgress),
        Claim::Started => {}
    }
    match run_import(app, object).await {
        Ok(report) => {
            let counts = HashMap::from([
                ("lines".to_owned(), report.lines),
                ("imported".to_owned(), report.imported),
                ("rejected".to_owned(), report.rejected),
            ]);
            app.idempotency.complete(&claim_key, counts).await?;
            Ok(report)
        }
        Err(e) => {
            // Let a redelivery start again at once; writes so far are harmless to repeat.
            if let Err(release) = app.idempotency.release(&claim_key).await {
                tracing::warn!(error = %release, "could not release the import claim");
            }
            Err(e)
        }
    }
}

async fn run_import(app: &App, object: &ObjectRef) -> Result<ImportReport, ImportError> {
    let mut reader = app.objects.reader(&object.bucket, &object.key).await?;
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
                    app.beneficiaries.put_profiles(&batch).await?;
                    batch.clear();
                }
                batch.push(profile);
                report.imported += 1;
                if batch.len() == BATCH {
                    app.beneficiaries.put_profiles(&batch).await?;
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
        app.beneficiaries.put_profiles(&batch).await?;
    }
    rejects.finish().await?;
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
        rights_end_month: c2s_domain::dates::format_date(b.css_end_date)[..7].to_owned(),
        expires_at: c2s_domain::dates::add_months(b.css_end_date, 60)
            .midnight()
            .assume_utc()
            .unix_timestamp(),
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
