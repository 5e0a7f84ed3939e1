//! The functions' own binaries (what each `main.rs` builds), run as on Lambda: each is a child
//! process, started with the environment the template gives it plus what the Lambda service
//! sets, that polls cargo-lambda's emulator of the Lambda runtime API (`cargo lambda watch
//! --only-lambda-apis`) under `/.rt/<binary>/2018-06-01/runtime/invocation/`. The dev server
//! invokes it through the emulator's `POST /2015-03-31/functions/<binary>/invocations`, as the
//! Lambda service would.
//!
//! One invocation at a time per function (one execution environment), so a process that
//! stops fails the very invocation it was running; one that overruns its `Timeout` is killed.
//! Either way the next invocation gets a new process. Children die with the dev server: killed
//! when it stops or drops them, and by the kernel if it is killed itself (`setpriv
//! --pdeathsig`, where util-linux provides it).

use crate::functions::{Invoke, InvokeError};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;

/// Where the binaries and the emulator are.
#[derive(Debug, Clone)]
pub struct BinaryMode {
    /// The built binaries (`target/debug`).
    pub dir: PathBuf,
    /// cargo-lambda's executable (`infra/.venv/bin/cargo-lambda`).
    pub cargo_lambda: PathBuf,
    /// The workspace whose binaries the emulator serves (it checks names against it).
    pub workspace: PathBuf,
}

/// Every process started for a function, for the tests that check none outlives its server.
pub type Pids = Arc<std::sync::Mutex<Vec<u32>>>;

const SETPRIV: &str = "/usr/bin/setpriv";

/// `program` in a process group of its own (a Ctrl-C in the terminal is for the dev server,
/// which stops its children itself), made to die with the thread that starts it when
/// util-linux can arrange it.
fn command(program: &Path) -> Command {
    let mut c = if Path::new(SETPRIV).exists() {
        let mut c = Command::new(SETPRIV);
        c.args(["--pdeathsig", "KILL", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    c.process_group(0);
    c
}

/// Lines a child writes, into this server's log under the child's name. A function's are its
/// own log (JSON lines, as CloudWatch would get them); the emulator's only matter when
/// something goes wrong.
fn forward(name: Arc<str>, out: Option<impl AsyncRead + Unpin + Send + 'static>, function: bool) {
    let Some(out) = out else { return };
    tokio::spawn(async move {
        let mut lines = BufReader::new(out).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if function {
                tracing::info!(function = %name, "{line}");
            } else {
                tracing::debug!(emulator = %name, "{line}");
            }
        }
    });
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// cargo-lambda's emulator of the Lambda runtime API, on a port of its own.
pub struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    pub async fn start(mode: &BinaryMode) -> Result<Emulator, String> {
        if !mode.cargo_lambda.exists() {
            return Err(format!(
                "{} is missing: the project's scripts install it (./infra/run, ./infra/test: infra/requirements.txt)",
                mode.cargo_lambda.display()
            ));
        }
        // The port is free when chosen; another process may take it first: try again.
        for _ in 0..3 {
            let port = free_port()?;
            let mut child = command(&mode.cargo_lambda)
                .args(["lambda", "watch", "--only-lambda-apis", "--ignore-changes"])
                .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
                .arg(port.to_string())
                .current_dir(&mode.workspace)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("{}: {e}", mode.cargo_lambda.display()))?;
            let name: Arc<str> = Arc::from("cargo-lambda");
            forward(name.clone(), child.stdout.take(), false);
            forward(name, child.stderr.take(), false);
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return Ok(Emulator { child, port });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    return Err("cargo-lambda's emulator did not listen within 30 s".into());
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        Err("cargo-lambda's emulator stopped at start-up (its log: RUST_LOG=debug)".into())
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `AWS_LAMBDA_RUNTIME_API` of the function: the emulator tells functions apart by path.
    pub fn runtime_api(&self, binary: &str) -> String {
        format!("http://127.0.0.1:{}/.rt/{binary}", self.port)
    }

    fn invocations(&self, binary: &str) -> String {
        format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{binary}/invocations",
            self.port
        )
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// How to start one function's binary.
pub struct Launch {
    pub binary: String,
    pub program: PathBuf,
    /// Its whole environment: nothing of the dev server's own leaks in.
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

/// One execution environment of a function: the process now running, and the way to it.
struct Environment {
    binary: String,
    url: String,
    timeout: Duration,
    http: reqwest::Client,
    /// Held for the whole invocation: one at a time, as one Lambda environment runs them.
    turn: Mutex<()>,
    /// How many processes have ended: a change during an invocation means its process did.
    ended: watch::Receiver<u64>,
    /// Kill the process of that generation (the count of ended ones when it started).
    kill: watch::Sender<Option<u64>>,
}

/// Starts the function's process (again whenever it ends) until `stop`, and returns how to
/// invoke it and the task to wait for.
pub fn spawn(
    launch: Launch,
    emulator: &Emulator,
    stop: watch::Receiver<bool>,
    pids: Pids,
) -> (Invoke, JoinHandle<()>) {
    let (ended_tx, ended) = watch::channel(0u64);
    let (kill, kill_rx) = watch::channel(None);
    let env = Arc::new(Environment {
        binary: launch.binary.clone(),
        url: emulator.invocations(&launch.binary),
        timeout: launch.timeout,
        http: reqwest::Client::new(),
        turn: Mutex::new(()),
        ended,
        kill,
    });
    let task = tokio::spawn(supervise(
        launch,
        emulator.runtime_api(&env.binary),
        ended_tx,
        kill_rx,
        stop,
        pids,
    ));
    let invoke: Invoke = Arc::new(move |event: Vec<u8>| {
        let env = env.clone();
        Box::pin(async move { invoke(&env, event).await })
    });
    (invoke, task)
}

async fn invoke(env: &Environment, event: Vec<u8>) -> Result<Vec<u8>, InvokeError> {
    let _turn = env.turn.lock().await;
    let mut ended = env.ended.clone();
    let generation = *ended.borrow_and_update();
    let call = async {
        let response = env
            .http
            .post(&env.url)
            .body(event)
            .send()
            .await
            .map_err(|e| InvokeError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| InvokeError::Unreachable(e.without_url().to_string()))?;
        Ok::<_, InvokeError>((status, body))
    };
    tokio::select! {
        answer = call => {
            let (status, body) = answer?;
            if status.is_success() {
                return Ok(body.to_vec());
            }
            // The runtime's `{"errorType", "errorMessage"}`: the function logged the cause.
            let error_type = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("errorType")?.as_str().map(str::to_owned));
            Err(match error_type {
                Some(t) => InvokeError::Failed(t),
                None => InvokeError::Unreachable(format!("the emulator answered {status}")),
            })
        }
        _ = ended.changed() => Err(InvokeError::Crashed),
        _ = tokio::time::sleep(env.timeout) => {
            // As Lambda does: the environment that overran is thrown away.
            env.kill.send_replace(Some(generation));
            Err(InvokeError::TimedOut)
        }
    }
}

fn start_process(launch: &Launch, runtime_api: &str) -> std::io::Result<Child> {
    let mut cmd = command(&launch.program);
    cmd.env_clear()
        .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let name: Arc<str> = Arc::from(launch.binary.as_str());
    forward(name.clone(), child.stdout.take(), true);
    forward(name, child.stderr.take(), true);
    Ok(child)
}

async fn supervise(
    launch: Launch,
    runtime_api: String,
    ended: watch::Sender<u64>,
    mut kill: watch::Receiver<Option<u64>>,
    mut stop: watch::Receiver<bool>,
    pids: Pids,
) {
    let function = launch.binary.clone();
    let mut pause = Duration::from_millis(100);
    loop {
        if *stop.borrow() {
            return;
        }
        let generation = *ended.borrow();
        let started = Instant::now();
        match start_process(&launch, &runtime_api) {
            Err(e) => tracing::error!(%function, error = %e, "the function's binary did not start"),
            Ok(mut child) => {
                if let (Some(pid), Ok(mut all)) = (child.id(), pids.lock()) {
                    all.push(pid);
                }
                tokio::select! {
                    status = child.wait() => {
                        let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                        tracing::warn!(%function, %status, "the function's process exited");
                    }
                    gone = async { kill.wait_for(|k| *k == Some(generation)).await.is_err() } => {
                        let _ = child.kill().await;
                        if gone {
                            // No one can invoke it any more: the server has stopped.
                            return;
                        }
                        tracing::warn!(%function, "the function overran its timeout: its process was stopped");
                    }
                    _ = stop.changed() => {
                        let _ = child.kill().await;
                        return;
                    }
                }
            }
        }
        ended.send_modify(|n| *n += 1);
        // A process that keeps failing at start is not started in a tight loop.
        pause = if started.elapsed() > Duration::from_secs(5) {
            Duration::from_millis(100)
        } else {
            (pause * 2).min(Duration::from_secs(5))
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
    }
}
