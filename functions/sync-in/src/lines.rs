//! The lines of a beneficiaries file (a whole small file, or one range of a large one): each
//! read with a bound, validated in the domain, its profile written with several batches in
//! flight, its rejection written with its line number (local to what is read).

use crate::arrivals::Arrivals;
use crate::rejects::RejectLine;
use crate::{App, ImportError};
use c2s_domain::beneficiary::{parse_line, Beneficiary, Rejection};
use c2s_domain::text::Email;
use c2s_platform::beneficiaries::Profile;
use c2s_platform::clock::today;
use c2s_platform::hashing::{Hasher, Purpose};
use c2s_platform::objects::JsonlWriter;
use c2s_platform::store::StoreError;
use std::collections::HashMap;
use std::collections::HashSet;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::task::JoinSet;

/// A line longer than this is rejected without being held in memory.
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024;
/// Items in one BatchWriteItem (DynamoDB's most).
const BATCH: usize = 25;

/// What was read: every line (blank ones too), those imported, those rejected.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub lines: u64,
    pub imported: u64,
    pub rejected: u64,
}

impl Counts {
    /// What a completed claim keeps of the work.
    pub(crate) fn summary(&self) -> HashMap<String, u64> {
        HashMap::from([
            ("lines".to_owned(), self.lines),
            ("imported".to_owned(), self.imported),
            ("rejected".to_owned(), self.rejected),
        ])
    }
}

/// Imports the lines that start before `end` (a byte offset in the file; `None`: to the end),
/// `reader` being at offset `pos`, the start of a line. Rejections go to `rejects`, numbered
/// from 1 within what is read here.
pub(crate) async fn import_lines<R: AsyncBufRead + Unpin>(
    app: &App,
    reader: &mut R,
    mut pos: u64,
    end: Option<u64>,
    rejects: &mut JsonlWriter,
) -> Result<Counts, ImportError> {
    let mut counts = Counts::default();
    let mut writer = Writer::new(Arrivals::of(app), app.write_concurrency);
    let today = today();
    let mut buf = Vec::with_capacity(4096);
    while end.is_none_or(|end| pos < end) {
        let (line, consumed) = read_line(reader, &mut buf).await?;
        pos += consumed;
        let parsed = match line {
            Line::End => break,
            Line::TooLong => Err(Rejection {
                field: String::new(),
                reason: "line_too_long",
                message: "La ligne dépasse la taille maximale (64 Kio).",
            }),
            Line::Bytes => match std::str::from_utf8(&buf) {
                Ok(s) if s.trim().is_empty() => {
                    counts.lines += 1;
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
        counts.lines += 1;
        match parsed {
            Ok(b) => {
                writer.push(profile(&app.hasher, b)).await?;
                counts.imported += 1;
            }
            Err(r) => {
                counts.rejected += 1;
                rejects
                    .write(&RejectLine {
                        line: counts.lines,
                        field: r.field,
                        reason: r.reason.to_owned(),
                        message: r.message.to_owned(),
                    })
                    .await?;
            }
        }
    }
    writer.finish().await?;
    Ok(counts)
}

/// Writes profiles 25 to a BatchWriteItem with up to `concurrency` of them in flight. One
/// batch may not hold the same key twice, and a later line must win over an earlier one: a
/// key already held by the open batch or one in flight waits until those are written.
struct Writer {
    store: Arrivals,
    concurrency: usize,
    batch: Vec<Profile>,
    /// The keys of the open batch and of the batches in flight (each task gives its keys
    /// back when done), so at most `(concurrency + 1) × 25` of them.
    held: HashSet<String>,
    in_flight: JoinSet<(Result<(), ImportError>, Vec<String>)>,
}

impl Writer {
    fn new(store: Arrivals, concurrency: usize) -> Writer {
        Writer {
            store,
            concurrency: concurrency.max(1),
            batch: Vec::with_capacity(BATCH),
            held: HashSet::new(),
            in_flight: JoinSet::new(),
        }
    }

    async fn push(&mut self, profile: Profile) -> Result<(), ImportError> {
        if self.held.contains(&profile.nir_hash) {
            self.send().await?;
            while !self.in_flight.is_empty() {
                self.join_one().await?;
            }
        }
        self.held.insert(profile.nir_hash.clone());
        self.batch.push(profile);
        if self.batch.len() == BATCH {
            self.send().await?;
        }
        Ok(())
    }

    /// Sends the open batch once fewer than `concurrency` are in flight.
    async fn send(&mut self) -> Result<(), ImportError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        while self.in_flight.len() >= self.concurrency {
            self.join_one().await?;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let store = self.store.clone();
        self.in_flight.spawn(async move {
            let written = store.write_profiles(&batch).await;
            (written, batch.into_iter().map(|p| p.nir_hash).collect())
        });
        Ok(())
    }

    async fn join_one(&mut self) -> Result<(), ImportError> {
        let Some(done) = self.in_flight.join_next().await else {
            return Ok(());
        };
        let (written, keys) =
            done.map_err(|e| StoreError::Unavailable(format!("a batch write stopped: {e}")))?;
        for k in keys {
            self.held.remove(&k);
        }
        written
    }

    async fn finish(mut self) -> Result<(), ImportError> {
        self.send().await?;
        while !self.in_flight.is_empty() {
            self.join_one().await?;
        }
        Ok(())
    }
}

pub(crate) enum Line {
    Bytes,
    TooLong,
    End,
}

/// Reads one line into `buf` (without its end), holding at most `MAX_LINE_BYTES`; answers
/// how many bytes of the input it took (its end included).
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<(Line, u64)> {
    buf.clear();
    let mut too_long = false;
    let mut taken = 0u64;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            break;
        }
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
        taken += consumed as u64;
        if done.is_some() {
            break;
        }
    }
    if taken == 0 {
        return Ok((Line::End, 0));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok((if too_long { Line::TooLong } else { Line::Bytes }, taken))
}

/// What is stored of a beneficiary: the secrets only as keyed hashes.
pub fn profile(hasher: &Hasher, b: Beneficiary) -> Profile {
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

    async fn lines(input: &[u8]) -> Vec<(String, u64)> {
        let mut reader = tokio::io::BufReader::with_capacity(7, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_line(&mut reader, &mut buf).await {
                Ok((Line::End, _)) | Err(_) => break,
                Ok((Line::TooLong, n)) => out.push(("<too long>".to_owned(), n)),
                Ok((Line::Bytes, n)) => out.push((String::from_utf8_lossy(&buf).into_owned(), n)),
            }
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_across_small_buffers_and_counts_their_bytes() {
        let read = lines(b"abc\r\ndefghijkl\n\nlast").await;
        let text: Vec<&str> = read.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(text, ["abc", "defghijkl", "", "last"]);
        let bytes: Vec<u64> = read.iter().map(|(_, n)| *n).collect();
        assert_eq!(bytes, [5, 10, 1, 4]);
        assert_eq!(lines(b"").await, Vec::<(String, u64)>::new());
        let long = [vec![b'x'; MAX_LINE_BYTES + 1], b"\nok\n".to_vec()].concat();
        let read = lines(&long).await;
        assert_eq!(
            read[0],
            ("<too long>".to_owned(), MAX_LINE_BYTES as u64 + 2)
        );
        assert_eq!(read[1], ("ok".to_owned(), 3));
    }
}
