//! Which antivirus scans the documents, from the configuration:
//! - `CLAMD_ADDRESS`: a daemon run by someone else (locally, the stack's: `infra/lib/stack.sh`);
//! - else `VIRUS_DEFINITIONS_BUCKET`: the function's own clamd, as on AWS: at the first scan
//!   of a sandbox, the definitions that `antivirus-definitions` keeps in that bucket are
//!   copied to `/tmp` and clamd (`CLAMD_PROGRAM`, `/usr/sbin/clamd` in the image) is started
//!   on a local socket; started again if it stops;
//! - else none: documents stay `pending_scan`.
//!
//! An antivirus that cannot start or answer is an error, never a verdict: the message comes
//! back, and after three receives waits in the dead-letter queue.

use c2s_platform::aws::Clients;
use c2s_platform::clamd::daemon::{Daemon, DaemonError};
use c2s_platform::clamd::{self, ScanError, Verdict};
use c2s_platform::virus_definitions::{DefinitionsError, VirusDefinitions};
use c2s_platform::{ConfigError, Env};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Loading the full definitions takes tens of seconds on a Lambda's CPU.
const START_WITHIN: Duration = Duration::from_secs(180);
/// After a failed start, the other messages of the batch fail at once rather than download
/// the definitions again; a start is tried again past this.
const RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum AntivirusError {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Definitions(#[from] DefinitionsError),
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    #[error("the definitions bucket holds no antivirus definitions yet")]
    NoDefinitions,
    #[error("the antivirus failed to start a moment ago: {0}")]
    Failed(String),
}

pub enum Antivirus {
    Off,
    Daemon(String),
    Own(Box<OwnDaemon>),
}

impl Antivirus {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<Antivirus, ConfigError> {
        if let Some(address) = env.optional("CLAMD_ADDRESS") {
            return Ok(Antivirus::Daemon(address));
        }
        if env.optional("VIRUS_DEFINITIONS_BUCKET").is_none() {
            return Ok(Antivirus::Off);
        }
        Ok(Antivirus::Own(Box::new(OwnDaemon::new(
            VirusDefinitions::from_env(env, clients)?,
            env.optional("CLAMD_PROGRAM")
                .unwrap_or_else(|| "/usr/sbin/clamd".to_owned())
                .into(),
        ))))
    }

    /// The verdict, or `None` without an antivirus.
    pub async fn scan(&self, data: &[u8]) -> Result<Option<Verdict>, AntivirusError> {
        let (address, own) = match self {
            Antivirus::Off => return Ok(None),
            Antivirus::Daemon(address) => (address.clone(), None),
            Antivirus::Own(own) => (own.address().await?, Some(own)),
        };
        let verdict = clamd::scan(&address, data).await;
        if let (Err(e), Some(own)) = (&verdict, own) {
            // A daemon of ours that hangs or refuses is replaced at the next scan.
            tracing::warn!(error = %e, "clamd failed a scan: stopping it");
            own.state.lock().await.daemon = None;
        }
        Ok(Some(verdict?))
    }
}

struct State {
    daemon: Option<Daemon>,
    failed: Option<(Instant, String)>,
}

pub struct OwnDaemon {
    definitions: VirusDefinitions,
    program: PathBuf,
    /// Its own directory: tests run several in one process.
    dir: PathBuf,
    state: Mutex<State>,
}

impl OwnDaemon {
    pub fn new(definitions: VirusDefinitions, program: PathBuf) -> OwnDaemon {
        OwnDaemon {
            definitions,
            program,
            dir: std::env::temp_dir().join(format!("clamav-{}", uuid::Uuid::new_v4().simple())),
            state: Mutex::new(State {
                daemon: None,
                failed: None,
            }),
        }
    }

    /// Where its definitions, socket, configuration and log are.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The running daemon's socket, started first if need be.
    pub async fn address(&self) -> Result<String, AntivirusError> {
        let mut state = self.state.lock().await;
        if let Some(daemon) = state.daemon.as_mut() {
            if daemon.is_running() {
                return Ok(daemon.address());
            }
            tracing::warn!("clamd stopped: starting it again");
            state.daemon = None;
        }
        if let Some((at, why)) = &state.failed {
            if at.elapsed() < RETRY_AFTER {
                return Err(AntivirusError::Failed(why.clone()));
            }
        }
        match self.start().await {
            Ok(daemon) => {
                let address = daemon.address();
                state.daemon = Some(daemon);
                state.failed = None;
                Ok(address)
            }
            Err(e) => {
                tracing::error!(error = %e, "the antivirus did not start");
                state.failed = Some((Instant::now(), e.to_string()));
                Err(e)
            }
        }
    }

    async fn start(&self) -> Result<Daemon, AntivirusError> {
        let started = Instant::now();
        let db = self.dir.join("db");
        match tokio::fs::remove_dir_all(&db).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(DefinitionsError::Io(e).into())
            }
            _ => {}
        }
        let files = self.definitions.download_into(&db).await?;
        if !files.iter().any(|f| is_database(f)) {
            return Err(AntivirusError::NoDefinitions);
        }
        let downloaded = started.elapsed();
        let daemon = Daemon::start(&self.program, &self.dir, START_WITHIN).await?;
        tracing::info!(
            files = files.len(),
            download_ms = downloaded.as_millis() as u64,
            ready_ms = started.elapsed().as_millis() as u64,
            "antivirus ready"
        );
        Ok(daemon)
    }
}

/// A file clamd loads signatures from (not freshclam's own `freshclam.dat`).
fn is_database(name: &str) -> bool {
    const KINDS: [&str; 14] = [
        "cvd", "cld", "cud", "ndb", "hdb", "hsb", "mdb", "msb", "ldb", "cdb", "fp", "sfp", "ign2",
        "yar",
    ];
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| KINDS.contains(&ext))
}

#[cfg(test)]
mod tests {
    use super::is_database;

    #[test]
    fn only_signature_files_count_as_definitions() {
        for name in ["main.cvd", "daily.cld", "bytecode.cvd", "eicar.ndb"] {
            assert!(is_database(name), "{name}");
        }
        for name in ["freshclam.dat", "mirrors.dat", "readme"] {
            assert!(!is_database(name), "{name}");
        }
    }
}
