//! A clamd of our own: started as a child process on a local socket, with the databases of a
//! directory, and ready once it answers `PING`. On AWS the document check runs it inside its
//! container (loopback only: nothing else can reach it, nothing crosses a network).

use super::ping;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The documents are 10 MB at most (`MAX_DOCUMENT_BYTES`); a little more is accepted so that
/// the limit is never what refuses one.
const STREAM_MAX: &str = "12M";

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot prepare clamd: {0}")]
    Io(#[from] std::io::Error),
    #[error("clamd did not start: {0}")]
    Spawn(std::io::Error),
    #[error("clamd stopped while loading ({status}): {log}")]
    Exited { status: String, log: String },
    #[error("clamd was not ready within {seconds} s: {log}")]
    TimedOut { seconds: u64, log: String },
}

/// A running clamd; stopped when dropped.
#[derive(Debug)]
pub struct Daemon {
    child: Child,
    socket: PathBuf,
}

impl Daemon {
    /// Starts `program` (clamd) with the databases of `dir/db`, its socket, configuration,
    /// log and temporary files in `dir`, and waits until it answers, at most `within`.
    pub async fn start(
        program: &Path,
        dir: &Path,
        within: Duration,
    ) -> Result<Daemon, DaemonError> {
        let socket = dir.join("clamd.sock");
        let log = dir.join("clamd.log");
        let scratch = dir.join("tmp");
        tokio::fs::create_dir_all(&scratch).await?;
        let _ = tokio::fs::remove_file(&log).await;
        let conf = dir.join("clamd.conf");
        tokio::fs::write(&conf, config(&dir.join("db"), &socket, &log, &scratch)).await?;
        let child = Command::new(program)
            .arg("--config-file")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(DaemonError::Spawn)?;
        let mut daemon = Daemon { child, socket };
        let started = Instant::now();
        loop {
            if let Some(status) = daemon.child.try_wait()? {
                return Err(DaemonError::Exited {
                    status: status.to_string(),
                    log: tail(&log).await,
                });
            }
            if ping(&daemon.address(), Duration::from_secs(1))
                .await
                .is_ok()
            {
                return Ok(daemon);
            }
            if started.elapsed() > within {
                let _ = daemon.child.kill().await;
                return Err(DaemonError::TimedOut {
                    seconds: within.as_secs(),
                    log: tail(&log).await,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Where [`super::scan`] reaches it.
    pub fn address(&self) -> String {
        self.socket.to_string_lossy().into_owned()
    }

    /// False once the process has ended (killed for memory, crashed): start another.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// Its configuration: a local socket only, in the foreground (it is our child), no periodic
/// reload (the definitions are those of the start; a new sandbox loads newer ones).
fn config(db: &Path, socket: &Path, log: &Path, scratch: &Path) -> String {
    format!(
        "Foreground yes\n\
         LocalSocket {socket}\n\
         LocalSocketMode 600\n\
         FixStaleSocket yes\n\
         DatabaseDirectory {db}\n\
         TemporaryDirectory {scratch}\n\
         LogFile {log}\n\
         LogTime yes\n\
         StreamMaxLength {STREAM_MAX}\n\
         MaxFileSize {STREAM_MAX}\n\
         MaxScanSize 50M\n\
         MaxThreads 2\n\
         SelfCheck 0\n\
         ConcurrentDatabaseReload no\n",
        socket = socket.display(),
        db = db.display(),
        scratch = scratch.display(),
        log = log.display(),
    )
}

/// The last lines of clamd's log, which say why it stopped (they hold no document data:
/// only loading happens before it answers).
async fn tail(log: &Path) -> String {
    let text = tokio::fs::read_to_string(log).await.unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clamd::{scan, Verdict};

    const CLAMD: &str = "/usr/sbin/clamd";

    /// The EICAR test signature, as hex (so that this file is not itself detected).
    const EICAR_HEX: &str = "58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a";

    fn eicar() -> Vec<u8> {
        hex::decode(EICAR_HEX).unwrap_or_default()
    }

    /// A new working directory, with its empty `db/`.
    async fn workdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("c2s-clamd-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::create_dir_all(dir.join("db"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    fn clamd_here() -> bool {
        let here = Path::new(CLAMD).exists();
        if !here {
            eprintln!("NOTE: no clamd here ({CLAMD}): the daemon is not tested");
        }
        here
    }

    #[tokio::test]
    async fn a_started_daemon_answers_on_its_socket_and_stops_when_dropped() {
        if !clamd_here() {
            return;
        }
        let dir = workdir().await;
        tokio::fs::write(
            dir.join("db/test.ndb"),
            format!("Eicar-Test-Signature:0:*:{EICAR_HEX}\n"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let mut daemon = Daemon::start(Path::new(CLAMD), &dir, Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(daemon.is_running());
        let address = daemon.address();
        let infected = [b"%PDF-1.4\n".to_vec(), eicar()].concat();
        assert_eq!(
            scan(&address, &infected).await.ok(),
            Some(Verdict::Infected)
        );
        assert_eq!(
            scan(&address, b"%PDF-1.4\n").await.ok(),
            Some(Verdict::Clean)
        );
        drop(daemon);
        let deadline = Instant::now() + Duration::from_secs(10);
        while ping(&address, Duration::from_millis(200)).await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "clamd still answers after its drop"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }

    #[tokio::test]
    async fn without_databases_the_start_fails_and_says_why() {
        if !clamd_here() {
            return;
        }
        let dir = workdir().await;
        let failed = Daemon::start(Path::new(CLAMD), &dir, Duration::from_secs(60)).await;
        match failed {
            Err(DaemonError::Exited { log, .. }) => {
                assert!(log.to_lowercase().contains("database"), "{log}")
            }
            other => panic!("expected an exit, got {other:?}"),
        }
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }

    #[tokio::test]
    async fn a_program_that_is_not_there_is_a_spawn_error() {
        let dir = workdir().await;
        let failed = Daemon::start(
            Path::new("/nonexistent/clamd"),
            &dir,
            Duration::from_secs(1),
        )
        .await;
        assert!(matches!(failed, Err(DaemonError::Spawn(_))), "{failed:?}");
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
}
