//! The ClamAV daemon's INSTREAM protocol: send the object in chunks, read the verdict. The
//! daemon is reached at `host:port` over TCP, or at the path of its local socket (`/…`),
//! which is how the document check talks to the clamd it runs itself ([`daemon`]).

pub mod daemon;

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
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

trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

async fn connect(address: &str, within: Duration) -> Result<Box<dyn Connection>, ScanError> {
    let connecting = async {
        if address.starts_with('/') {
            UnixStream::connect(address)
                .await
                .map(|s| Box::new(s) as Box<dyn Connection>)
        } else {
            TcpStream::connect(address)
                .await
                .map(|s| Box::new(s) as Box<dyn Connection>)
        }
    };
    timeout(within, connecting)
        .await
        .map_err(|_| ScanError::TimedOut)?
        .map_err(ScanError::Unreachable)
}

pub async fn scan(address: &str, data: &[u8]) -> Result<Verdict, ScanError> {
    scan_within(address, data, Timeouts::default()).await
}

pub async fn scan_within(
    address: &str,
    data: &[u8],
    limits: Timeouts,
) -> Result<Verdict, ScanError> {
    let stream = connect(address, limits.connect).await?;
    timeout(limits.scan, exchange(stream, data))
        .await
        .map_err(|_| ScanError::TimedOut)?
}

/// The daemon answers `PING` with `PONG` once its databases are loaded.
pub async fn ping(address: &str, within: Duration) -> Result<(), ScanError> {
    let answering = async {
        let mut stream = connect(address, within).await?;
        stream
            .write_all(b"zPING\0")
            .await
            .map_err(ScanError::Unreachable)?;
        let answer = read_answer(&mut stream).await?;
        if answer == "PONG" {
            Ok(())
        } else {
            Err(ScanError::Unexpected)
        }
    };
    timeout(within, answering)
        .await
        .map_err(|_| ScanError::TimedOut)?
}

async fn read_answer(stream: &mut Box<dyn Connection>) -> Result<String, ScanError> {
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .map_err(ScanError::Unreachable)?;
    Ok(String::from_utf8_lossy(&answer)
        .trim_end_matches(['\0', '\n'])
        .to_owned())
}

async fn exchange(mut stream: Box<dyn Connection>, data: &[u8]) -> Result<Verdict, ScanError> {
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
    let answer = read_answer(&mut stream).await?;
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

    #[tokio::test]
    async fn a_socket_nobody_listens_on_is_unreachable() {
        let dir = std::env::temp_dir().join(format!("c2s-clamd-{}", uuid::Uuid::new_v4()));
        let path = dir.join("clamd.sock");
        let address = path.to_string_lossy();
        let verdict = scan(&address, b"%PDF-1.4").await;
        assert!(
            matches!(verdict, Err(ScanError::Unreachable(_))),
            "{verdict:?}"
        );
        let ping = ping(&address, Duration::from_millis(200)).await;
        assert!(matches!(ping, Err(ScanError::Unreachable(_))), "{ping:?}");
    }
}
