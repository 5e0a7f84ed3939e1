//! The harness: each test starts its own stack (own resource prefix, own port) on the
//! emulator, talks to it over HTTP and the queues, and stops it. Every log line of the run is
//! captured, so `stop` can prove no NIR was logged. Named helpers stand for what the tests
//! do again and again: agent tokens, the outbox, the scheduled jobs, a claim and a decision,
//! and making records older than they are (`age_*`, the one place that rewrites stored dates).

use aws_sdk_dynamodb::types::AttributeValue;
use c2s_platform::audit::AuditStore;
use c2s_platform::aws::Clients;
use c2s_platform::renewals::RenewalStore;
use c2s_platform::Env;
use devserver::Running;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use c2s_tests::{beneficiary, nir, root};
pub use reqwest::StatusCode;

/// The two caisses of the tests' world.
pub const ROUEN: &str = "rouen-elbeuf-dieppe";
pub const HAVRE: &str = "le-havre";
/// A password the partner policy accepts.
pub const PARTNER_PASSWORD: &str = "Trois chats sur un toit 2026";

/// Every log line written during this test binary's run.
fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let filter = tracing_subscriber::EnvFilter::new("info");
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(move || Capture(writer.clone()))
            .try_init();
        buffer
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn captured_logs() -> String {
    log_buffer()
        .lock()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A unique, valid NIR for a person born in `year`-`month` (2 digits each).
pub fn fresh_nir(yy: u8, mm: u8) -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000;
    nir(&format!("2{yy:02}{mm:02}76{n:06}"))
}

pub fn today() -> time::Date {
    c2s_platform::clock::today()
}

pub fn months_from_today(months: i32) -> String {
    c2s_domain::dates::format_date(c2s_domain::dates::add_months(today(), months))
}

/// A small but real PDF.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

pub const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// `template.yaml` with sync-in cutting files into ranges of `range_bytes` and leasing each
/// range `lease_seconds`: several ranges from a small file, a crash taken over quickly.
pub fn template_with_ranges(range_bytes: u64, lease_seconds: u64) -> PathBuf {
    template_edited(
        "SyncInFunction",
        "IMPORT_RANGE_BYTES: \"33554432\"\n          # A claim and its message's visibility (a small file's, an acknowledgement's or a\n          # range's), renewed every third of it while it works.\n          IMPORT_LEASE_SECONDS: \"60\"",
        &format!("IMPORT_RANGE_BYTES: \"{range_bytes}\"\n          IMPORT_LEASE_SECONDS: \"{lease_seconds}\""),
    )
}

/// `template.yaml` with `statement` (exact text, with its indentation) removed from
/// `function`'s block; the statement must be there exactly once.
pub fn template_without(function: &str, statement: &str) -> PathBuf {
    template_edited(function, statement, "")
}

/// `template.yaml` with `text` (exact, with its indentation) replaced by `replacement` in
/// `function`'s block (a permission narrowed or widened); `text` must be there exactly once.
pub fn template_edited(function: &str, statement: &str, replacement: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    let start = text
        .find(&format!("\n  {function}:\n"))
        .unwrap_or_else(|| panic!("no {function} in template.yaml"))
        + 1;
    // Up to the next resource (a line indented by two spaces) or top-level key.
    let mut end = text.len();
    let mut at = start + function.len() + 4;
    for line in text[at..].split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if !line.trim().is_empty() && indent <= 2 && !line.trim_start().starts_with('#') {
            end = at;
            break;
        }
        at += line.len();
    }
    let block = &text[start..end];
    assert_eq!(
        block.matches(statement).count(),
        1,
        "{function}'s role in template.yaml does not hold this statement once:\n{statement}"
    );
    let copy = format!(
        "{}{}{}",
        &text[..start],
        block.replacen(statement, replacement, 1),
        &text[end..]
    );
    let dir = std::env::temp_dir().join(format!("c2s-permissions-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("template.yaml");
    std::fs::write(&path, copy).expect("template copy");
    path
}

fn fresh_prefix() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// The template, and the handlers built in the test's process: fast, and many side by side.
fn in_process() -> (PathBuf, devserver::Mode) {
    (root().join("template.yaml"), devserver::Mode::InProcess)
}

/// The directory of the functions' binaries, built once per run of these tests with the
/// command `./infra/run` uses (seconds when they are up to date).
pub fn built_binaries() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build
            .args([
                "build",
                "--quiet",
                "--workspace",
                "--bins",
                "--exclude",
                "c2s-tests",
            ])
            .current_dir(root());
        // What cargo set for this test run (its package's name, manifest…), unlike the user's
        // own settings, is dropped: build scripts watch some of these names and would have
        // everything built again.
        let settings = [
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_",
            "CARGO_PROFILE_",
            "CARGO_NET_",
            "CARGO_HTTP_",
            "CARGO_REGISTR",
            "CARGO_INCREMENTAL",
            "CARGO_TERM_",
        ];
        for (name, _) in std::env::vars() {
            let set_by_cargo = (name.starts_with("CARGO") || name == "OUT_DIR")
                && !settings.iter().any(|s| name.starts_with(s));
            if set_by_cargo {
                build.env_remove(name);
            }
        }
        let status = build.status().map_err(|e| format!("cargo build: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build of the binaries: {status}"));
        }
        // This test binary is target/<profile>/deps/api-…: the binaries are in target/<profile>.
        std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
            .ok_or_else(|| "no target directory".to_owned())
    });
    built.clone().unwrap_or_else(|e| panic!("{e}"))
}

pub struct TestStack {
    pub running: Running,
    pub url: String,
    pub http: reqwest::Client,
    pub clients: Clients,
    pub sdk: aws_config::SdkConfig,
    pub antivirus: bool,
    nirs: Mutex<Vec<String>>,
    prefix: String,
    secrets_file: Option<PathBuf>,
}

impl TestStack {
    pub async fn start() -> TestStack {
        Self::start_with(true).await
    }

    /// `pollers: false` leaves the queues alone: the test hands events to the handlers.
    pub async fn start_with(pollers: bool) -> TestStack {
        Self::launch(fresh_prefix(), None, pollers, in_process()).await
    }

    /// A stack whose document check asks the antivirus at `clamd` (a socket a test serves,
    /// or not yet), whatever the environment's `CLAMD_ADDRESS`.
    pub async fn start_with_antivirus(clamd: String) -> TestStack {
        Self::launch_with(fresh_prefix(), None, true, in_process(), Some(clamd), false).await
    }

    /// A stack made from another template than the repository's (a copy with a permission
    /// removed, say). Its secrets are kept in a file, so that `restart` brings it back on
    /// the repository's template with the same keys: a dependency that failed, then works.
    pub async fn start_with_template(template: PathBuf) -> TestStack {
        let secrets =
            std::env::temp_dir().join(format!("c2s-secrets-{}.json", uuid::Uuid::new_v4()));
        Self::launch(
            fresh_prefix(),
            Some(secrets),
            true,
            (template, devserver::Mode::InProcess),
        )
        .await
    }

    /// A stack that keeps its development secrets in `file`, as `./infra/run` does.
    pub async fn start_keeping_secrets(file: PathBuf) -> TestStack {
        Self::launch(fresh_prefix(), Some(file), true, in_process()).await
    }

    /// A stack whose functions run as their own binaries through the Lambda runtime API, as
    /// `./infra/run` runs them.
    pub async fn start_binaries() -> TestStack {
        Self::start_binaries_from(root().join("template.yaml"), built_binaries()).await
    }

    /// The same with another template and the binaries of `dir` (a test's own stand-ins).
    pub async fn start_binaries_from(template: PathBuf, dir: PathBuf) -> TestStack {
        let mode = devserver::Mode::Binaries(devserver::binaries::BinaryMode {
            dir,
            cargo_lambda: root().join("infra/.venv/bin/cargo-lambda"),
            workspace: root(),
        });
        Self::launch(fresh_prefix(), None, true, (template, mode)).await
    }

    /// Stops the server and starts it again on the same resources, which the emulator still
    /// holds, as a second `./infra/run` would.
    pub async fn restart(self) -> TestStack {
        let nirs = self.nirs.lock().map(|n| n.clone()).unwrap_or_default();
        self.running.stop().await;
        let again = Self::launch(self.prefix, self.secrets_file, true, in_process()).await;
        again.remember_nirs(nirs);
        again
    }

    async fn launch(
        prefix: String,
        secrets_file: Option<PathBuf>,
        pollers: bool,
        template_and_mode: (PathBuf, devserver::Mode),
    ) -> TestStack {
        let clamd = std::env::var("CLAMD_ADDRESS")
            .ok()
            .filter(|s| !s.is_empty());
        Self::launch_with(
            prefix,
            secrets_file,
            pollers,
            template_and_mode,
            clamd,
            false,
        )
        .await
    }

    /// As `./infra/run` starts: with the demo file imported.
    pub async fn start_with_demo() -> TestStack {
        Self::launch_with(fresh_prefix(), None, true, in_process(), None, true).await
    }

    async fn launch_with(
        prefix: String,
        secrets_file: Option<PathBuf>,
        pollers: bool,
        (template, mode): (PathBuf, devserver::Mode),
        clamd: Option<String>,
        demo: bool,
    ) -> TestStack {
        log_buffer();
        let sdk = c2s_tests::sdk_config().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let running = devserver::start(devserver::Options {
            prefix: prefix.clone(),
            template,
            web_root: root().join("web"),
            listener,
            sdk: sdk.clone(),
            clamd: clamd.clone(),
            freshclam_config: std::env::var_os("FRESHCLAM_CONFIG").map(PathBuf::from),
            demo,
            pollers,
            secrets_file: secrets_file.clone(),
            enforce_permissions: devserver::permissions::enforced_by_default(),
            mode,
        })
        .await
        .unwrap_or_else(|e| panic!("the local stack did not start (is the emulator running? ./infra/test starts it): {e}"));
        let local = Env::from_map(HashMap::from([(
            "S3_FORCE_PATH_STYLE".to_owned(),
            "true".to_owned(),
        )]));
        TestStack {
            url: running.url(),
            running,
            http: reqwest::Client::new(),
            clients: Clients::new(&sdk, &local),
            sdk,
            antivirus: clamd.is_some(),
            nirs: Mutex::new(Vec::new()),
            prefix,
            secrets_file,
        }
    }

    pub fn bucket(&self, logical_id: &str) -> String {
        self.running
            .stack
            .buckets
            .get(logical_id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn table(&self, logical_id: &str) -> String {
        self.running
            .stack
            .tables
            .get(logical_id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn queue(&self, logical_id: &str) -> String {
        self.running
            .stack
            .queues
            .get(logical_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The configuration the stack gave a function, to build its handler in a test.
    pub fn env_of(&self, function: &str) -> Env {
        self.running.envs.get(function).cloned().unwrap_or_default()
    }

    /// A function's configuration and clients, signed with its own credentials: a handler a
    /// test builds has only that function's permissions, as the stack's own.
    pub fn function(&self, function: &str) -> (Env, Clients) {
        let env = self.env_of(function);
        let sdk = self
            .running
            .sdks
            .get(function)
            .cloned()
            .unwrap_or_else(|| panic!("no function {function} in the stack"));
        let clients = Clients::new(&sdk, &env);
        (env, clients)
    }

    /// `function`'s configuration and clients (its own credentials) with every AWS call sent
    /// to `endpoint` instead of the emulator: the function as it runs while AWS is out of
    /// reach (`closed_endpoint`) or answers what the SDK cannot read (`html_page_endpoint`).
    pub async fn function_reaching(&self, function: &str, endpoint: &str) -> (Env, Clients) {
        let env = self.env_of(function);
        let own = self
            .running
            .sdks
            .get(function)
            .unwrap_or_else(|| panic!("no function {function} in the stack"));
        // Set here, the endpoint outranks AWS_ENDPOINT_URL from the environment.
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(own.region().cloned())
            .http_client(c2s_platform::aws::http_client())
            .endpoint_url(endpoint);
        if let Some(credentials) = own.credentials_provider() {
            loader = loader.credentials_provider(credentials);
        }
        let clients = Clients::new(&loader.load().await, &env);
        (env, clients)
    }

    /// What the emulator refused this stack's functions so far (`Function: action on
    /// resource`), as `infra/lib/permissions.py` records it.
    pub async fn refused(&self) -> Vec<Value> {
        devserver::permissions::refused(&self.sdk, &self.prefix)
            .await
            .unwrap_or_else(|e| panic!("refused calls: {e}"))
    }

    /// NIRs this test uses: `stop` checks that none was logged.
    pub fn remember_nirs(&self, nirs: impl IntoIterator<Item = String>) {
        if let Ok(mut known) = self.nirs.lock() {
            known.extend(nirs);
        }
    }

    /// Drops a file in `inbound/beneficiaries/` and waits for sync-in to finish it (its
    /// rejects file appears last). Returns the rejects as JSON values.
    pub async fn import(&self, name: &str, lines: &[String]) -> Vec<Value> {
        for l in lines {
            if let Some(n) = serde_json::from_str::<Value>(l)
                .ok()
                .and_then(|v| v["nir"].as_str().map(str::to_owned))
            {
                if let Ok(mut nirs) = self.nirs.lock() {
                    nirs.push(n);
                }
            }
        }
        let bucket = self.bucket("ExchangeBucket");
        let body = lines.join("\n") + "\n";
        self.clients
            .s3()
            .put_object()
            .bucket(&bucket)
            .key(format!("inbound/beneficiaries/{name}"))
            .body(body.into_bytes().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put: {e}"));
        let text = self
            .wait_for_object(&bucket, &format!("inbound/rejects/{name}"))
            .await;
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
            .collect()
    }

    pub async fn wait_for_object(&self, bucket: &str, key: &str) -> String {
        self.wait_for_object_within(bucket, key, Duration::from_secs(60))
            .await
    }

    /// The object's text once it exists, waiting `within` at most.
    /// Drops `body` as `inbound/beneficiaries/<name>` without waiting for its import.
    pub async fn put_inbound(&self, name: &str, body: Vec<u8>) {
        self.clients
            .s3()
            .put_object()
            .bucket(self.bucket("ExchangeBucket"))
            .key(format!("inbound/beneficiaries/{name}"))
            .body(body.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put: {e}"));
    }

    /// How many profiles the beneficiaries table holds (a scan: this stack's table only).
    pub async fn profile_count(&self) -> usize {
        let mut count = 0;
        let mut start = None;
        loop {
            let out = self
                .clients
                .dynamo()
                .scan()
                .table_name(self.table("BeneficiariesTable"))
                .filter_expression("sk = :p")
                .expression_attribute_values(":p", AttributeValue::S("profile".into()))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap_or_else(|e| panic!("scan: {e}"));
            count += out.count as usize;
            start = out.last_evaluated_key;
            if start.is_none() {
                return count;
            }
        }
    }

    /// The report sync-in recorded for `inbound/beneficiaries/<name>` once wholly imported
    /// (its `count_*` as `lines`, `imported`, `rejected`), and how many ranges were done;
    /// waits for it 30 s at most (it is written after the rejects and the tag).
    pub async fn import_report(&self, name: &str) -> (HashMap<String, u64>, usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (counts, ranges) = self.import_records(name).await;
            if !counts.is_empty() {
                return (counts, ranges);
            }
            assert!(Instant::now() < deadline, "no report for {name}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn import_records(&self, name: &str) -> (HashMap<String, u64>, usize) {
        let prefix = format!(
            "sync-in#{}#inbound/beneficiaries/{name}#",
            self.bucket("ExchangeBucket")
        );
        let out = self
            .clients
            .dynamo()
            .scan()
            .table_name(self.table("IdempotencyTable"))
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", AttributeValue::S(prefix))
            .send()
            .await
            .unwrap_or_else(|e| panic!("scan: {e}"));
        let items = out.items.unwrap_or_default();
        let pk = |i: &HashMap<String, AttributeValue>| {
            i.get("pk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let ranges = items.iter().filter(|i| pk(i).contains("#range#")).count();
        let file = items
            .iter()
            .find(|i| !pk(i).contains("#range") && !pk(i).ends_with("#plan"));
        let counts = file
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                Some((
                    k.strip_prefix("count_")?.to_owned(),
                    v.as_n().ok()?.parse().ok()?,
                ))
            })
            .collect();
        (counts, ranges)
    }

    /// Kills (SIGKILL) the running process of a function's binary, as a crashed Lambda
    /// environment; `false` when none runs. Binary stacks only.
    pub fn kill_function(&self, binary: &str) -> bool {
        for pid in self.running.function_pids().into_iter().rev() {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if program.ends_with(format!("/{binary}").as_bytes()) && !stat.contains(") Z ") {
                return std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status()
                    .is_ok_and(|s| s.success());
            }
        }
        false
    }

    pub async fn wait_for_object_within(
        &self,
        bucket: &str,
        key: &str,
        within: Duration,
    ) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(out) = self
                .clients
                .s3()
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
            {
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map(|b| b.into_bytes().to_vec())
                    .unwrap_or_default();
                return String::from_utf8_lossy(&bytes).into_owned();
            }
            assert!(Instant::now() < deadline, "{key} never appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("request: {e}"));
        let status = resp.status();
        let cache = resp
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = resp.text().await.unwrap_or_default();
        if path.starts_with("/api/") {
            assert_eq!(cache, "no-store", "{path} must not be cached");
        }
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            },
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, Some(token), Some(body))
            .await
    }

    pub async fn sign_in(&self, nir: &str, birth_date: &str, code: &str) -> String {
        let (status, body) = self
            .post(
                "/api/auth/beneficiary",
                None,
                json!({"nir": nir, "birth_date": birth_date, "renewal_code": code}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "sign-in: {body}");
        token_of(&body)
    }

    /// Announces `bytes` as a document, sends them to the presigned URL with its headers,
    /// and returns the document id.
    pub async fn upload(
        &self,
        token: &str,
        renewal_id: &str,
        kind: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> String {
        let (status, body) = self
            .post(&format!("/api/renewals/{renewal_id}/documents"), Some(token), json!({"kind": kind, "filename": "piece.pdf", "content_type": content_type, "size": bytes.len()}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "announce: {body}");
        let upload = &body["upload"];
        assert_eq!(upload["method"], "PUT");
        let mut req = self.http.put(upload["url"].as_str().unwrap_or_default());
        for (k, v) in upload["headers"].as_object().into_iter().flatten() {
            req = req.header(k.as_str(), v.as_str().unwrap_or_default());
        }
        let resp = req
            .body(bytes)
            .send()
            .await
            .unwrap_or_else(|e| panic!("upload: {e}"));
        assert!(
            resp.status().is_success(),
            "upload to the presigned URL: {}",
            resp.status()
        );
        body["document_id"].as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the document has left `awaiting_upload`; returns its view.
    pub async fn checked_document(
        &self,
        token: &str,
        renewal_id: &str,
        document_id: &str,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, r) = self
                .get(&format!("/api/renewals/{renewal_id}"), token)
                .await;
            let doc = r["documents"]
                .as_array()
                .and_then(|d| d.iter().find(|d| d["document_id"] == document_id).cloned());
            match doc {
                Some(d) if d["status"] != "awaiting_upload" => return d,
                None if Instant::now() > deadline => panic!("document vanished"),
                _ => {}
            }
            assert!(Instant::now() < deadline, "document never checked");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A beneficiary of `caisse` (born in 19`yy`) with a submitted renewal that needs no
    /// document (no income). Returns (beneficiary token, renewal id, nir).
    pub async fn submitted_renewal(&self, caisse: &str, yy: u8) -> (String, String, String) {
        let nir = fresh_nir(yy, 3);
        let birth = format!("19{yy:02}-03-10");
        self.import(
            &format!("f{}.jsonl", &nir[5..13]),
            &[beneficiary(&nir, &birth, "AGENTS01", caisse, &months_from_today(2)).to_string()],
        )
        .await;
        let token = self.sign_in(&nir, &birth, "AGENTS01").await;
        let (_, r) = self.post("/api/renewals", Some(&token), json!({})).await;
        let id = r["id"].as_str().unwrap_or_default().to_owned();
        let form = json!({"version": 1, "household": r["household"], "resources": [], "housing": {"status": "housed_free"}, "manager": "caisse"});
        let (status, _) = self.put(&format!("/api/renewals/{id}"), &token, form).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = self
            .post(
                &format!("/api/renewals/{id}/submit"),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (token, id, nir)
    }

    /// An organisation conventioned with Rouen (by `admin`, an admin_partenaires of that
    /// caisse), with one gestionnaire activated through the outbox, signed in and past the
    /// conditions of use. Returns (partner id, partner token).
    pub async fn onboard_partner(&self, admin: &str, name: &str, email: &str) -> (String, String) {
        let (_, org) = self.post("/api/agent/partners", Some(admin), json!({"name": name, "kind": "udaf", "members": 12, "caisses": [ROUEN], "convention": {"caisse": ROUEN, "start": "2025-01-01", "end": "2025-12-31"}})).await;
        let pid = org["partner_id"].as_str().unwrap_or_default().to_owned();
        let (status, _) = self.post(&format!("/api/agent/partners/{pid}/managers"), Some(admin), json!({"email": email, "last_name": "Robert", "first_name": "Alix", "function": "Mandataire"})).await;
        assert_eq!(status, StatusCode::CREATED);
        (pid, self.activate_partner(email).await)
    }

    /// Activates `email`'s account from its latest activation email with
    /// `PARTNER_PASSWORD`, signs in and accepts the conditions of use; returns the token.
    pub async fn activate_partner(&self, email: &str) -> String {
        let token = self.activation_token(email).await;
        let (status, body) = self
            .post(
                "/api/partner/activate",
                None,
                json!({"token": token, "password": PARTNER_PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "activation of {email}: {body}");
        let (status, signed) = self
            .post(
                "/api/auth/partner",
                None,
                json!({"email": email, "password": PARTNER_PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "sign-in of {email}: {signed}");
        let t = token_of(&signed);
        let (status, body) = self
            .post("/api/partner/cgu", Some(&t), json!({"version": "2026-11"}))
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "conditions of use for {email}: {body}"
        );
        t
    }

    // Tokens -----------------------------------------------------------------------------

    /// A token of the dev identity provider (the caisses' SSO locally) for agent `sub`
    /// ("Agent {sub}") of `caisse`, with `roles`.
    pub async fn agent_token(&self, sub: &str, caisse: &str, roles: &[&str]) -> String {
        let (status, body) = self
            .post(
                "/dev/token",
                None,
                json!({"sub": sub, "name": format!("Agent {sub}"), "caisse": caisse, "roles": roles}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "dev token for {sub}: {body}");
        token_of(&body)
    }

    /// An admin_partenaires of `caisse`.
    pub async fn admin_token(&self, sub: &str, caisse: &str) -> String {
        self.agent_token(sub, caisse, &["admin_partenaires"]).await
    }

    /// The level-2 token of a signed-in beneficiary (the answers of `beneficiary`'s line).
    pub async fn step_up(&self, token: &str) -> String {
        let (status, up) = self
            .post(
                "/api/auth/beneficiary/step-up",
                Some(token),
                json!({"iban_last4": "4242", "vitale_serial": "123456789"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "step-up: {up}");
        token_of(&up)
    }

    // The outbox: what the emulator's SES and SNS say notify sent from this stack ----------

    /// Every message sent so far (emails, then SMS, each oldest first); an SMS goes to the
    /// number in E.164 (`+33612345678`).
    pub async fn outbox(&self) -> Vec<Value> {
        let resp = self
            .http
            .get(format!("{}/dev/outbox", self.url))
            .send()
            .await
            .expect("GET /dev/outbox");
        let outbox: Value = resp.json().await.expect("the outbox is JSON");
        outbox["messages"].as_array().cloned().unwrap_or_default()
    }

    /// The messages sent so far to `address`, oldest first.
    pub async fn outbox_for(&self, address: &str) -> Vec<Value> {
        let mut messages = self.outbox().await;
        messages.retain(|m| m["to"] == address);
        messages
    }

    /// Waits (30 s at most) until `count` messages have been sent; returns them all.
    pub async fn wait_for_messages(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let messages = self.outbox().await;
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{} messages sent, not {count}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (30 s at most) for a message of `kind` to `address`; returns the latest one.
    pub async fn wait_for_message(&self, address: &str, kind: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self
                .outbox_for(address)
                .await
                .into_iter()
                .rev()
                .find(|m| m["kind"] == kind);
            if let Some(m) = found {
                return m;
            }
            assert!(Instant::now() < deadline, "no {kind} message for {address}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The activation token of the latest activation email to `email` (after `#` in its link).
    pub async fn activation_token(&self, email: &str) -> String {
        let message = self.wait_for_message(email, "partner_activation").await;
        message["body"]
            .as_str()
            .and_then(|b| b.split('#').nth(1))
            .and_then(|t| t.split_whitespace().next())
            .unwrap_or_else(|| panic!("no activation link in {message}"))
            .to_owned()
    }

    // Scheduled jobs ---------------------------------------------------------------------

    /// Waits (30 s at most) until `deadlines-worker` has flagged the file so (`near`: its
    /// deadline is near, `silent`: accepted by silence); answers its version then.
    pub async fn wait_for_deadline_flags(&self, id: &str, near: bool, silent: bool) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some((r, _))) = self.renewal_store().load(id).await {
                if (r.near_deadline, r.accepted_by_silence) == (near, silent) {
                    return r.version;
                }
            }
            assert!(Instant::now() < deadline, "{id} never flagged");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs a scheduled function now (`POST /dev/run/{job}`: deadlines, reminders, purge,
    /// partner-lifecycle, sync-out, document-rescan) and returns its report.
    pub async fn run_job(&self, job: &str) -> Value {
        let (status, body) = self.post(&format!("/dev/run/{job}"), None, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{job}: {body}");
        body["report"].clone()
    }

    // The export's reconciliation -------------------------------------------------------

    /// Every complete outbound file (`outbound/decisions/<name>.jsonl` with its manifest),
    /// each checked against its manifest (line count, SHA-256): name → the renewal ids it holds.
    pub async fn outbound_files(&self) -> BTreeMap<String, Vec<String>> {
        let bucket = self.bucket("ExchangeBucket");
        let listed = self
            .clients
            .s3()
            .list_objects_v2()
            .bucket(&bucket)
            .prefix("outbound/decisions/")
            .send()
            .await
            .unwrap();
        let mut files = BTreeMap::new();
        for key in listed.contents().iter().filter_map(|o| o.key()) {
            let Some(name) = key
                .strip_prefix("outbound/decisions/")
                .and_then(|k| k.strip_suffix(".manifest.json"))
            else {
                continue;
            };
            let manifest: Value =
                serde_json::from_str(&self.wait_for_object(&bucket, key).await).unwrap();
            let data = self
                .wait_for_object(&bucket, &format!("outbound/decisions/{name}.jsonl"))
                .await;
            use sha2::Digest;
            assert_eq!(
                manifest["sha256"],
                json!(hex::encode(sha2::Sha256::digest(data.as_bytes()))),
                "{name}: the manifest's SHA-256 is not its file's"
            );
            let ids: Vec<String> = data
                .lines()
                .map(|l| {
                    let line: Value = serde_json::from_str(l).unwrap();
                    line["renewal_id"].as_str().unwrap().to_owned()
                })
                .collect();
            assert_eq!(manifest["count"], json!(ids.len()), "{name}: count");
            files.insert(name.to_owned(), ids);
        }
        files
    }

    /// The reconciliation: each of `decided` is in exactly one complete outbound file and
    /// marked `exported` (with that file as its batch), and no file holds a renewal that is
    /// not exported. Returns the file of each.
    pub async fn assert_exported_once(&self, decided: &[String]) -> HashMap<String, String> {
        let files = self.outbound_files().await;
        let mut file_of: HashMap<String, Vec<String>> = HashMap::new();
        for (name, ids) in &files {
            for id in ids {
                file_of.entry(id.clone()).or_default().push(name.clone());
            }
        }
        let store = self.renewal_store();
        for (id, names) in &file_of {
            let (r, _) = store.load(id).await.unwrap().unwrap();
            assert!(
                r.status == c2s_domain::renewal::Status::Exported && names.len() == 1,
                "{id} is {:?} and in {names:?}",
                r.status
            );
            assert_eq!(r.export_batch.as_deref(), Some(names[0].as_str()), "{id}");
        }
        decided
            .iter()
            .map(|id| match file_of.get(id).map(Vec::as_slice) {
                Some([name]) => (id.clone(), name.clone()),
                other => panic!("{id} is in {other:?} of {files:?}"),
            })
            .collect()
    }

    // The agents' side -------------------------------------------------------------------

    /// Reads the file (as an agent would before acting) and claims it at that version.
    pub async fn claim(&self, agent: &str, id: &str) -> (StatusCode, Value) {
        let (_, file) = self.get(&format!("/api/agent/renewals/{id}"), agent).await;
        self.post(
            &format!("/api/agent/renewals/{id}/claim"),
            Some(agent),
            json!({"version": file["version"]}),
        )
        .await
    }

    /// Claims the file and records `decision` (its version added); the decision must pass.
    pub async fn decide(&self, agent: &str, id: &str, decision: Value) {
        let (_, claimed) = self.claim(agent, id).await;
        let mut body = decision;
        body["version"] = claimed["version"].clone();
        let (status, d) = self
            .post(
                &format!("/api/agent/renewals/{id}/decision"),
                Some(agent),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
    }

    // The stores, read directly ----------------------------------------------------------

    pub fn renewal_store(&self) -> RenewalStore {
        RenewalStore::new(
            self.clients.dynamo(),
            self.table("RenewalsTable"),
            self.table("BeneficiariesTable"),
            self.table("StatsTable"),
        )
    }

    pub fn idempotency_store(&self) -> c2s_platform::idempotency::IdempotencyStore {
        c2s_platform::idempotency::IdempotencyStore::new(
            self.clients.dynamo(),
            self.table("IdempotencyTable"),
        )
    }

    pub fn audit_store(&self) -> AuditStore {
        AuditStore::new(self.clients.dynamo(), self.table("AuditTable"))
    }

    /// Asserts that the audit chain of `caisse` verifies whole.
    pub async fn assert_chain_intact(&self, caisse: &str) {
        let verified = self.audit_store().verify(caisse).await;
        assert!(
            matches!(
                verified,
                Ok(c2s_platform::audit::Verification::Intact { .. })
            ),
            "{caisse}'s chain: {verified:?}"
        );
    }

    /// Whether a document's object is still in the documents bucket.
    pub async fn document_exists(&self, renewal_id: &str, document_id: &str) -> bool {
        self.clients
            .s3()
            .head_object()
            .bucket(self.bucket("DocumentsBucket"))
            .key(format!("renewals/{renewal_id}/{document_id}"))
            .send()
            .await
            .is_ok()
    }

    /// How many versions (delete markers included) a bucket holds under `prefix`.
    pub async fn object_versions(&self, bucket: &str, prefix: &str) -> usize {
        let out = self
            .clients
            .s3()
            .list_object_versions()
            .bucket(self.bucket(bucket))
            .prefix(prefix)
            .send()
            .await
            .unwrap_or_else(|e| panic!("list versions: {e}"));
        out.versions.unwrap_or_default().len() + out.delete_markers.unwrap_or_default().len()
    }

    /// The tags of an object's current version (none for a missing object).
    pub async fn object_tags(&self, bucket: &str, key: &str) -> Vec<(String, String)> {
        self.clients
            .s3()
            .get_object_tagging()
            .bucket(self.bucket(bucket))
            .key(key)
            .send()
            .await
            .map(|out| out.tag_set.into_iter().map(|t| (t.key, t.value)).collect())
            .unwrap_or_default()
    }

    /// Drops the national system's acknowledgement `inbound/acks/<name>.json`.
    pub async fn put_ack(&self, name: &str, ack: &Value) {
        self.clients
            .s3()
            .put_object()
            .bucket(self.bucket("ExchangeBucket"))
            .key(format!("inbound/acks/{name}.json"))
            .body(ack.to_string().into_bytes().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put the acknowledgement {name}: {e}"));
    }

    /// Waits (60 s at most) until sync-in has tagged `key` consumed (`c2s-consumed=true`).
    pub async fn wait_until_consumed(&self, bucket: &str, key: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let consumed = ("c2s-consumed".to_owned(), "true".to_owned());
        while !self.object_tags(bucket, key).await.contains(&consumed) {
            assert!(Instant::now() < deadline, "{key} was never tagged consumed");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // Ageing ----------------------------------------------------------------------------
    //
    // The functions read the system clock (`now_utc()`, `auth::today()`): there is no date
    // override to set. A test that needs a record older than it is rewrites the record's
    // dates here, and only here: these are the one place that knows which stored attributes
    // hold them.

    /// Moves a submitted file's decision deadline to `days` from today (and its place in the
    /// agents' queue), as if it had been submitted long ago.
    pub async fn move_deadline(&self, id: &str, days: i64) {
        let deadline = c2s_domain::dates::format_date(today() + time::Duration::days(days));
        self.update_item(
            "RenewalsTable",
            [("pk", id.to_owned()), ("sk", "renewal".to_owned())],
            "SET deadline = :d, queue_key = :k",
            [(":d", deadline.clone()), (":k", format!("{deadline}#{id}"))],
        )
        .await;
    }

    /// Makes a renewal look untouched for `days` (its last change, `updated_at`).
    pub async fn age_renewal(&self, id: &str, days: i64) {
        let long_ago = c2s_domain::dates::format_instant(
            time::OffsetDateTime::now_utc() - time::Duration::days(days),
        );
        self.update_item(
            "RenewalsTable",
            [("pk", id.to_owned()), ("sk", "renewal".to_owned())],
            "SET updated_at = :t",
            [(":t", long_ago)],
        )
        .await;
    }

    /// Moves a renewal's last change and last status change to noon on `day`, through the
    /// store (so what it derives on save follows), marking its details purged or not.
    pub async fn age_renewal_to(&self, id: &str, day: time::Date, details_purged: bool) {
        let store = self.renewal_store();
        let (mut r, _) = store
            .load(id)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no renewal {id}"));
        let noon = time::Time::from_hms(12, 0, 0).expect("noon is a time");
        let at = time::OffsetDateTime::new_utc(day, noon);
        r.updated_at = at;
        if let Some(h) = r.history.last_mut() {
            h.at = at;
        }
        r.details_purged = details_purged;
        store
            .save(&mut r)
            .await
            .unwrap_or_else(|e| panic!("save {id}: {e}"));
    }

    /// Ages two renewals to either side of a retention boundary `months` months back: `due`
    /// to two days before it, `kept` to two days after (`age_renewal_to`).
    pub async fn age_either_side(&self, due: &str, kept: &str, months: i32, details_purged: bool) {
        let boundary = c2s_domain::dates::add_months(today(), -months);
        let two = time::Duration::days(2);
        self.age_renewal_to(due, boundary - two, details_purged)
            .await;
        self.age_renewal_to(kept, boundary + two, details_purged)
            .await;
    }

    /// Moves one date of a partner account back in time, as if it had been set `days` ago.
    pub async fn age_account(
        &self,
        partner_id: &str,
        account_id: &str,
        date: AccountDate,
        days: i64,
    ) {
        let when = time::OffsetDateTime::now_utc() - time::Duration::days(days);
        let attribute = match date {
            AccountDate::Deactivated => "deactivated_at",
            AccountDate::PasswordSet => "password_set_at",
        };
        self.update_item(
            "PartnersTable",
            [
                ("pk", format!("org#{partner_id}")),
                ("sk", format!("account#{account_id}")),
            ],
            &format!("SET {attribute} = :t"),
            [(":t", c2s_domain::dates::format_instant(when))],
        )
        .await;
    }

    /// Records that a partner account accepted conditions of use `version` (an older one
    /// than those in force, say).
    pub async fn set_accepted_conditions(&self, partner_id: &str, account_id: &str, version: &str) {
        self.update_item(
            "PartnersTable",
            [
                ("pk", format!("org#{partner_id}")),
                ("sk", format!("account#{account_id}")),
            ],
            "SET cgu_version = :v",
            [(":v", version.to_owned())],
        )
        .await;
    }

    // Behind the application's back ------------------------------------------------------

    /// Someone edits audit entry `seq` of `caisse` straight in the table.
    pub async fn tamper_with_audit_entry(&self, caisse: &str, seq: u64) {
        use aws_sdk_dynamodb::types::AttributeValue;
        self.clients
            .dynamo()
            .update_item()
            .table_name(self.table("AuditTable"))
            .key("caisse", AttributeValue::S(caisse.into()))
            .key("seq", AttributeValue::N(seq.to_string()))
            .update_expression("SET agent_name = :n")
            .expression_attribute_values(":n", AttributeValue::S("Quelqu'un d'autre".into()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("update audit {seq}: {e:?}"));
    }

    /// Someone deletes audit entry `seq` of `caisse` straight from the table.
    pub async fn delete_audit_entry(&self, caisse: &str, seq: u64) {
        use aws_sdk_dynamodb::types::AttributeValue;
        self.clients
            .dynamo()
            .delete_item()
            .table_name(self.table("AuditTable"))
            .key("caisse", AttributeValue::S(caisse.into()))
            .key("seq", AttributeValue::N(seq.to_string()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("delete audit {seq}: {e:?}"));
    }

    /// `UpdateItem` on a table of the stack with string keys and string values.
    async fn update_item<const K: usize, const V: usize>(
        &self,
        table: &str,
        key: [(&str, String); K],
        expression: &str,
        values: [(&str, String); V],
    ) {
        use aws_sdk_dynamodb::types::AttributeValue;
        let mut update = self
            .clients
            .dynamo()
            .update_item()
            .table_name(self.table(table))
            .update_expression(expression);
        for (name, value) in key {
            update = update.key(name, AttributeValue::S(value));
        }
        for (name, value) in values {
            update = update.expression_attribute_values(name, AttributeValue::S(value));
        }
        update
            .send()
            .await
            .unwrap_or_else(|e| panic!("{table} {expression}: {e:?}"));
    }

    /// Stops the stack and checks that no NIR this test imported was ever logged.
    /// Stops the stack; fails the test if a NIR was logged, or if a function was refused a
    /// call: every journey runs with each function's own permissions, so a permission the
    /// template lacks fails the test that needs it, even where the function copes.
    pub async fn stop(self) {
        let refused = if devserver::permissions::enforced_by_default() {
            self.refused().await
        } else {
            Vec::new()
        };
        self.stop_allowing_refusals().await;
        assert!(
            refused.is_empty(),
            "calls refused to the functions (their role in template.yaml lacks a permission): {refused:#?}"
        );
    }

    /// `stop` for a test that has functions refused on purpose.
    pub async fn stop_allowing_refusals(self) {
        let nirs = self.nirs.lock().map(|n| n.clone()).unwrap_or_default();
        self.running.stop().await;
        if let Some(file) = self
            .secrets_file
            .filter(|f| f.starts_with(std::env::temp_dir()))
        {
            let _ = std::fs::remove_file(file);
        }
        let logs = captured_logs();
        assert!(!logs.is_empty(), "logs were not captured");
        for n in nirs {
            assert!(!logs.contains(&n), "a NIR appeared in the logs");
        }
    }
}

/// A listener on a free local port, and its address.
async fn local_listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("address: {e}"));
    (listener, format!("http://{addr}"))
}

/// An address where nothing listens: every call there fails to connect.
pub async fn closed_endpoint() -> String {
    // The listener is dropped here: the port was free, and is closed again.
    local_listener().await.1
}

/// An address where a proxy answers every request with an HTML page and `status` (its 502
/// error page, say), which no AWS SDK can read as an answer. It serves until the test ends.
pub async fn html_page_endpoint(status: StatusCode) -> String {
    let (listener, url) = local_listener().await;
    let page = axum::Router::new().fallback(move || async move {
        (
            status,
            [("content-type", "text/html")],
            format!(
                "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
            ),
        )
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, page).await;
    });
    url
}

/// The dates of a partner account that the lifecycle job counts from.
#[derive(Clone, Copy, Debug)]
pub enum AccountDate {
    /// `deactivated_at`: deleted 6 months after.
    Deactivated,
    /// `password_set_at`: a reminder at 85 days, expired past 90.
    PasswordSet,
}

/// The `token` of a sign-in or dev-token answer; a missing one fails the test here.
fn token_of(body: &Value) -> String {
    body["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {body}"))
        .to_owned()
}
