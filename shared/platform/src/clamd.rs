//! The ClamAV daemon's INSTREAM protocol over TCP: send the object in chunks, read the verdict.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
}

pub async fn scan(address: &str, data: &[u8]) -> Result<Verdict, ScanError> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(ScanError::Unreachable)?;
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
