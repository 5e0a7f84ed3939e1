//! The ClamAV daemon's INSTREAM protocol over TCP: send the object in chunks, read the verdict.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How long the antivirus may take: to accept the connection, and to scan a 10 MB document.
/// Past that the document stays `pending_scan` and the message comes back later.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub scan: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            scan: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    Infected,
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("antivirus unreachable: {0}")]
    Unreachable(std::io::Error),
    #[error("antivirus answered something unexpected")]
    Unexpected,
    #[error("antivirus did not answer in time")]
    TimedOut,
}

pub async fn scan(address: &str, data: &[u8]) -> Result<Verdict, ScanError> {
    scan_within(address, data, Timeouts::default()).await
}

pub async fn scan_within(
    address: &str,
    data: &[u8],
    limits: Timeouts,
) -> Result<Verdict, ScanError> {
    let stream = timeout(limits.connect, TcpStream::connect(address))
        .await
        .map_err(|_| ScanError::TimedOut)?
        .map_err(ScanError::Unreachable)?;
    timeout(limits.scan, exchange(stream, data))
        .await
        .map_err(|_| ScanError::TimedOut)?
}

async fn exchange(mut stream: TcpStream, data: &[u8]) -> Result<Verdict, ScanError> {
    stream
        .write_all(b"zINSTREAM\0")
        .await
        .map_err(ScanError::Unreachable)?;
    for chunk in data.chunks(64 * 1024) {
        stream
            .write_all(&(chunk.len() as u32).to_be_bytes())
            .await
            .map_err(ScanError::Unreachable)?;
        stream
            .write_all(chunk)
            .await
            .map_err(ScanError::Unreachable)?;
    }
    stream
        .write_all(&0u32.to_be_bytes())
        .await
        .map_err(ScanError::Unreachable)?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .map_err(ScanError::Unreachable)?;
    let answer = String::from_utf8_lossy(&answer);
    let answer = answer.trim_end_matches(['\0', '\n']);
    if answer.ends_with("OK") {
        Ok(Verdict::Clean)
    } else if answer.ends_with("FOUND") {
        Ok(Verdict::Infected)
    } else {
        Err(ScanError::Unexpected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_daemon_that_never_answers_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
        // Accepts, reads, and never says a word.
        let silent = tokio::spawn(async move {
            if let Ok((mut socket, _)) = listener.accept().await {
                let mut sink = Vec::new();
                let _ = socket.read_to_end(&mut sink).await;
            }
        });
        let limits = Timeouts {
            connect: Duration::from_millis(500),
            scan: Duration::from_millis(200),
        };
        let verdict = scan_within(&address, b"%PDF-1.4", limits).await;
        assert!(matches!(verdict, Err(ScanError::TimedOut)), "{verdict:?}");
        silent.abort();
    }
}
