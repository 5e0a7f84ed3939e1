//! The local stack of C2S en ligne, never deployed: creates the resources of `template.yaml`
//! on the emulator, runs every function with the environment the template gives it (its own
//! binary through the Lambda runtime API, or its handler in-process: `Mode`), serves the HTTP
//! API, the dev routes and `web/` on one port, and polls the queues. Either way a function
//! gets the JSON events AWS sends (`events`).

pub mod binaries;
pub mod bootstrap;
pub mod demo;
pub mod events;
pub mod functions;
pub mod idp;
pub mod permissions;
pub mod pollers;
pub mod sent;
pub mod server;
pub mod template;

use aws_config::SdkConfig;
use bootstrap::StackInfo;
use c2s_platform::aws::Clients;
use c2s_platform::Env;
use functions::Function;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error(transparent)]
    Bootstrap(#[from] bootstrap::BootstrapError),
    #[error("configuration of {0}: {1}")]
    Config(String, c2s_platform::ConfigError),
    #[error("{0}")]
    Other(String),
}

pub struct Options {
    /// Prefix of every local resource name.
    pub prefix: String,
    pub template: PathBuf,
    pub web_root: PathBuf,
    pub listener: tokio::net::TcpListener,
    pub sdk: SdkConfig,
    /// The stack's clamd (`infra/lib/stack.sh`), which the document check uses instead of
    /// starting its own; `None`: documents stay `pending_scan`.
    pub clamd: Option<String>,
    /// freshclam's configuration for `antivirus-definitions` (the emulator has no internet:
    /// `infra/lib/stack.sh` writes one that reads a local file); `None` keeps the template's.
    pub freshclam_config: Option<PathBuf>,
    pub demo: bool,
    /// Poll the queues (off in tests that hand events to the handlers themselves).
    pub pollers: bool,
    /// Where the development secrets are kept between runs (`./infra/run`: the demo accounts'
    /// hashes and sessions survive a restart); `None` makes new ones (tests).
    pub secrets_file: Option<PathBuf>,
    /// Each function's calls checked against its own role (`permissions`); on unless
    /// `C2S_PERMISSIONS=off` (`permissions::enforced_by_default`).
    pub enforce_permissions: bool,
    pub mode: Mode,
}

/// How the functions run.
pub enum Mode {
    /// Each handler built inside this process, reached through the same JSON events: the
    /// per-test stacks, which start in a second and run side by side.
    InProcess,
    /// Each function's own binary, as deployed, through the Lambda runtime API (`./infra/run`,
    /// the browser tests, the end-to-end smoke test).
    Binaries(binaries::BinaryMode),
}

pub struct Running {
    pub addr: SocketAddr,
    pub stack: StackInfo,
    pub demo: Vec<demo::DemoAccount>,
    /// The configuration handed to each function, by logical id (tests use it).
    pub envs: HashMap<String, Env>,
    /// The SDK configuration each function signs its calls with: its own credentials, which
    /// carry only its role's permissions (tests build a function's clients from it).
    pub sdks: HashMap<String, SdkConfig>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    emulator: Option<binaries::Emulator>,
    pids: binaries::Pids,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every process started for a function so far (binaries mode).
    pub fn function_pids(&self) -> Vec<u32> {
        self.pids.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Stops the server, the pollers and the functions' processes, and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        if let Some(emulator) = self.emulator {
            emulator.stop().await;
        }
    }
}

/// What the Lambda service gives a function's process besides the template's variables:
/// the region, and where its AWS calls go and as whom (from this server's own configuration,
/// where the function's environment does not say).
async fn aws_variables(sdk: &SdkConfig) -> Vec<(String, String)> {
    use aws_sdk_dynamodb::config::ProvideCredentials;
    let mut vars = vec![("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned())];
    if let Some(region) = sdk.region() {
        vars.push(("AWS_REGION".into(), region.to_string()));
        vars.push(("AWS_DEFAULT_REGION".into(), region.to_string()));
    }
    if let Some(url) = sdk.endpoint_url() {
        vars.push(("AWS_ENDPOINT_URL".into(), url.to_owned()));
    }
    // A service sent elsewhere (LocalStack runs keep DynamoDB and SES v2 on moto).
    vars.extend(std::env::vars().filter(|(k, _)| k.starts_with("AWS_ENDPOINT_URL_")));
    if let Some(provider) = sdk.credentials_provider() {
        if let Ok(c) = provider.provide_credentials().await {
            vars.push(("AWS_ACCESS_KEY_ID".into(), c.access_key_id().to_owned()));
            vars.push((
                "AWS_SECRET_ACCESS_KEY".into(),
                c.secret_access_key().to_owned(),
            ));
            if let Some(token) = c.session_token() {
                vars.push(("AWS_SESSION_TOKEN".into(), token.to_owned()));
            }
        }
    }
    vars
}

/// The whole environment of a function's process: the template's variables (secrets by
/// name: the function reads them itself), what Lambda sets, and the AWS settings it lacks.
fn process_env(
    f: &template::FunctionSpec,
    template_env: &Env,
    prefix: &str,
    aws: &[(String, String)],
) -> Vec<(String, String)> {
    let mut vars: std::collections::BTreeMap<String, String> = template_env
        .vars()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let name = format!("{prefix}-{}", f.logical_id);
    for (k, v) in [
        ("AWS_LAMBDA_FUNCTION_NAME", f.binary.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local".to_owned()),
        ("TZ", ":UTC".to_owned()),
    ] {
        vars.insert(k.to_owned(), v);
    }
    for (k, v) in aws {
        vars.entry(k.clone()).or_insert_with(|| v.clone());
    }
    vars.into_iter().collect()
}

/// Secrets that production reads from Secrets Manager: made up here, then stored in the
/// emulator's Secrets Manager, from which each function reads them as it does on AWS.
#[derive(serde::Serialize, serde::Deserialize)]
struct DevSecrets {
    hash_key: String,
    address_key: String,
    signing_key: String,
    public_key: String,
    origin_verify: String,
}

fn random_key() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl DevSecrets {
    fn new() -> Result<DevSecrets, DevError> {
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let signing_key = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| DevError::Other(e.to_string()))?
            .to_string();
        let public_key = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| DevError::Other(e.to_string()))?;
        Ok(DevSecrets {
            hash_key: random_key(),
            address_key: random_key(),
            signing_key,
            public_key,
            origin_verify: random_key(),
        })
    }

    /// The secrets kept in `file`, or new ones written there (readable by this user only).
    fn kept_in(file: Option<&std::path::Path>) -> Result<DevSecrets, DevError> {
        let Some(file) = file else {
            return DevSecrets::new();
        };
        if let Ok(text) = std::fs::read_to_string(file) {
            if let Ok(kept) = serde_json::from_str(&text) {
                return Ok(kept);
            }
            tracing::warn!(file = %file.display(), "unreadable development secrets: new ones");
        }
        let made = DevSecrets::new()?;
        let text = serde_json::to_string(&made).map_err(|e| DevError::Other(e.to_string()))?;
        write_private(file, &text)
            .map_err(|e| DevError::Other(format!("{}: {e}", file.display())))?;
        Ok(made)
    }

    /// The template's secret parameters, each with its value.
    fn by_parameter(&self) -> [(&'static str, &str); 4] {
        [
            ("HashKeySecret", &self.hash_key),
            ("AddressKeySecret", &self.address_key),
            ("TokenSigningKeySecret", &self.signing_key),
            ("OriginVerifySecret", &self.origin_verify),
        ]
    }
}

fn write_private(file: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)?;
    f.write_all(text.as_bytes())
}

/// Puts each secret in the emulator's Secrets Manager under this stack's prefix, and points
/// the template's parameter at it, so the functions read them the way they do on AWS.
async fn store_secrets(
    sdk: &SdkConfig,
    prefix: &str,
    secrets: &DevSecrets,
    parameters: &mut std::collections::BTreeMap<String, String>,
) -> Result<(), DevError> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    for (parameter, value) in secrets.by_parameter() {
        let default = parameters.get(parameter).cloned().unwrap_or_default();
        let name = format!("{prefix}/{default}");
        let created = client
            .create_secret()
            .name(&name)
            .secret_string(value)
            .send()
            .await;
        if let Err(e) = created {
            // A second start on an emulator that still runs: the secret is there already.
            use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
            if e.code() != Some("ResourceExistsException") {
                return Err(DevError::Other(format!(
                    "secret {name}: {}",
                    e.code().unwrap_or("?")
                )));
            }
            client
                .put_secret_value()
                .secret_id(&name)
                .secret_string(value)
                .send()
                .await
                .map_err(|e| {
                    DevError::Other(format!("secret {name}: {}", e.code().unwrap_or("?")))
                })?;
        }
        parameters.insert(parameter.to_owned(), name);
    }
    Ok(())
}

/// A function's configuration as Lambda keeps it with `KmsKeyArn`: encrypted with that key
/// when deployed, decrypted when the function starts (Lambda does both through the grant it
/// holds on the key, not with the function's role), so a key the template names but the
/// stack lacks fails here as the deployment would.
async fn sealed_and_opened(
    kms: &aws_sdk_kms::Client,
    key: &str,
    vars: HashMap<String, String>,
) -> Result<HashMap<String, String>, String> {
    use aws_sdk_kms::primitives::Blob;
    let plain = serde_json::to_vec(&vars).map_err(|e| e.to_string())?;
    let sealed = kms
        .encrypt()
        .key_id(key)
        .plaintext(Blob::new(plain))
        .send()
        .await
        .map_err(|e| aws_sdk_kms::error::DisplayErrorContext(&e).to_string())?
        .ciphertext_blob
        .ok_or("no ciphertext")?;
    let opened = kms
        .decrypt()
        .key_id(key)
        .ciphertext_blob(sealed)
        .send()
        .await
        .map_err(|e| aws_sdk_kms::error::DisplayErrorContext(&e).to_string())?
        .plaintext
        .ok_or("no plaintext")?;
    serde_json::from_slice(opened.as_ref()).map_err(|e| e.to_string())
}

/// The most pollers one SQS event of a function gets locally.
const LOCAL_POLLERS: usize = 4;

/// How long a start waits for the demo file's import (a first build's binaries start slowly).
const DEMO_WITHIN: std::time::Duration = std::time::Duration::from_secs(120);

pub async fn start(opts: Options) -> Result<Running, DevError> {
    // The runtime API's emulator starts while the resources are made.
    let emulator = match &opts.mode {
        Mode::InProcess => None,
        Mode::Binaries(mode) => {
            let mode = mode.clone();
            Some(tokio::spawn(async move {
                binaries::Emulator::start(&mode).await
            }))
        }
    };
    let text = std::fs::read_to_string(&opts.template)
        .map_err(|e| DevError::Other(format!("{}: {e}", opts.template.display())))?;
    let mut template = template::Template::parse(&text)?;
    let region = opts
        .sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    let local = Env::from_map(HashMap::from([(
        "S3_FORCE_PATH_STYLE".to_owned(),
        "true".to_owned(),
    )]));
    let admin = Clients::new(&opts.sdk, &local);
    let (stack, names) = bootstrap::create(&template, &admin, &opts.prefix, &region).await?;
    let account = names
        .pseudo
        .get("AWS::AccountId")
        .cloned()
        .unwrap_or_default();
    let sender = bootstrap::email_sender(&template, &opts.sdk, &opts.prefix).await?;
    // This stack's own sender and configuration set, verified and created on the emulator:
    // the messages it shows at /dev/outbox are those sent from it, and NotifyFunction's role
    // names them.
    template
        .parameters
        .insert("SenderEmail".into(), sender.address.clone());
    template.parameters.insert(
        "SesConfigurationSet".into(),
        sender.configuration_set.clone(),
    );
    let secrets = DevSecrets::kept_in(opts.secrets_file.as_deref())?;
    store_secrets(&opts.sdk, &opts.prefix, &secrets, &mut template.parameters).await?;
    let keys: std::collections::BTreeMap<String, permissions::FunctionKey> = template
        .functions()
        .into_iter()
        .map(|f| {
            let key = permissions::FunctionKey::of(&opts.prefix, &f.logical_id);
            (f.logical_id, key)
        })
        .collect();
    if opts.enforce_permissions {
        permissions::register(
            &opts.sdk,
            &opts.prefix,
            &text,
            &names,
            &template.parameters,
            &keys,
        )
        .await?;
    } else {
        tracing::warn!(
            "C2S_PERMISSIONS=off: the functions' calls are not checked against their roles"
        );
    }
    let kms = aws_sdk_kms::Client::new(&opts.sdk);
    let addr = opts
        .listener
        .local_addr()
        .map_err(|e| DevError::Other(e.to_string()))?;
    let (stop, stop_rx) = watch::channel(false);
    let mut routes = Vec::new();
    let mut tasks = Vec::new();
    let mut envs = HashMap::new();
    let mut sdks = HashMap::new();
    let mut jobs = HashMap::new();

    let pids = binaries::Pids::default();
    let (emulator, aws) = match emulator {
        None => (None, Vec::new()),
        Some(starting) => (
            Some(
                starting
                    .await
                    .map_err(|e| DevError::Other(e.to_string()))?
                    .map_err(DevError::Other)?,
            ),
            aws_variables(&opts.sdk).await,
        ),
    };
    if let (Some(pid), Ok(mut all)) = (emulator.as_ref().and_then(|e| e.pid()), pids.lock()) {
        all.push(pid);
    }

    for f in template.functions() {
        let mut vars = HashMap::new();
        for (k, v) in &f.env {
            let Some(name) = k.as_str() else { continue };
            let value = match name {
                // A parameter on AWS, the public half of the signing key here.
                "TOKEN_PUBLIC_KEY" => secrets.public_key.clone(),
                "S3_FORCE_PATH_STYLE" => "true".into(),
                "FRESHCLAM_CONFIG" => match &opts.freshclam_config {
                    Some(path) => path.display().to_string(),
                    None => names.resolve(v, &template.parameters)?,
                },
                // The development identity provider of this server stands for the real one.
                "AGENT_JWKS_URL" => format!("http://{addr}/dev/idp/jwks.json"),
                "AGENT_TOKEN_ISSUER" => format!("http://{addr}/dev/idp"),
                "AGENT_TOKEN_AUDIENCE" => idp::AGENT_AUDIENCE.to_owned(),
                "PUBLIC_URL" => format!("http://{addr}"),
                // Presigned addresses go through this server's /s3 relay, as CloudFront's in
                // production: the pages' only origin.
                "OBJECTS_PUBLIC_URL" => format!("http://{addr}/s3"),
                _ => names.resolve(v, &template.parameters)?,
            };
            vars.insert(name.to_owned(), value);
        }
        // On AWS the document check starts its own clamd with the definitions of this bucket;
        // here the stack's clamd scans, or none (tests/api/antivirus.rs runs its own).
        if f.binary == "document-check" && vars.remove("VIRUS_DEFINITIONS_BUCKET").is_some() {
            if let Some(address) = &opts.clamd {
                vars.insert("CLAMD_ADDRESS".to_owned(), address.clone());
            }
        }
        // As the Lambda runtime gives a function its role's credentials.
        let key = keys
            .get(&f.logical_id)
            .cloned()
            .unwrap_or_else(|| permissions::FunctionKey::of(&opts.prefix, &f.logical_id));
        vars.insert("AWS_ACCESS_KEY_ID".into(), key.access_key_id.clone());
        vars.insert(
            "AWS_SECRET_ACCESS_KEY".into(),
            key.secret_access_key.clone(),
        );
        if let Some(k) = &f.kms_key {
            let key_arn = names.resolve(k, &template.parameters)?;
            vars = sealed_and_opened(&kms, &key_arn, vars)
                .await
                .map_err(|e| DevError::Other(format!("{}: KmsKeyArn: {e}", f.logical_id)))?;
        }
        let sdk = key.sdk(&opts.sdk);
        let template_env = Env::from_map(vars);
        let env = c2s_platform::secrets::resolve(template_env.clone(), &sdk)
            .await
            .map_err(|e| DevError::Other(format!("{}: {e}", f.logical_id)))?;
        let clients = Clients::new(&sdk, &env);
        let invoke = match (&opts.mode, &emulator) {
            (Mode::Binaries(mode), Some(emulator)) => {
                let program = mode.dir.join(&f.binary);
                if !program.exists() {
                    return Err(DevError::Other(format!(
                        "{}: {} is missing (cargo build --workspace --bins)",
                        f.logical_id,
                        program.display()
                    )));
                }
                let launch = binaries::Launch {
                    binary: f.binary.clone(),
                    program,
                    env: process_env(&f, &template_env, &opts.prefix, &aws),
                    timeout: std::time::Duration::from_secs(f.timeout_seconds),
                };
                let (invoke, task) =
                    binaries::spawn(launch, emulator, stop_rx.clone(), pids.clone());
                tasks.push(task);
                Some(invoke)
            }
            _ => functions::in_process(&f.binary, &env, &clients)
                .map_err(|e| DevError::Config(f.logical_id.clone(), e))?,
        };
        envs.insert(f.logical_id.clone(), env);
        sdks.insert(f.logical_id.clone(), sdk);
        let Some(invoke) = invoke else {
            tracing::warn!(function = %f.logical_id, "no local handler for this function");
            continue;
        };
        let function = Arc::new(Function::new(&f.binary, invoke));
        for r in &f.routes {
            let method = r
                .method
                .parse()
                .map_err(|_| DevError::Other(format!("bad method {}", r.method)))?;
            routes.push(server::Route {
                method,
                segments: r
                    .path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                template: r.path.clone(),
                function: function.clone(),
            });
        }
        // As the event source mapping: up to `MaximumConcurrency` invocations at once (in
        // binary mode one environment takes them one after the other), locally at most
        // `LOCAL_POLLERS`: this machine's cores, not the account, bound it here.
        for source in f.queues.iter().filter(|_| opts.pollers) {
            let url = stack
                .queues
                .get(&source.queue)
                .cloned()
                .ok_or_else(|| DevError::Other(format!("no queue {}", source.queue)))?;
            let arn = names.arns.get(&source.queue).cloned().unwrap_or_default();
            for _ in 0..source.concurrency.clamp(1, LOCAL_POLLERS) {
                tasks.push(tokio::spawn(pollers::run(
                    clients.sqs().clone(),
                    admin.sqs().clone(),
                    url.clone(),
                    arn.clone(),
                    region.clone(),
                    source.batch,
                    source.sets_visibility,
                    function.clone(),
                    stop_rx.clone(),
                )));
            }
        }
        // A job only where the template schedules it: `POST /dev/run/<binary>` plays the
        // schedule.
        if let Some(schedule) = f.schedules.first() {
            jobs.insert(
                f.binary.clone(),
                server::Job {
                    function: function.clone(),
                    schedule_arn: format!(
                        "arn:aws:scheduler:{region}:{account}:schedule/default/{}-{}-{schedule}",
                        opts.prefix, f.logical_id
                    ),
                },
            );
        }
        if f.routes.is_empty() && f.queues.is_empty() && f.schedules.is_empty() {
            tracing::warn!(function = %f.logical_id, "nothing in the template invokes this function");
        }
    }

    // What the emulator says was sent from this stack, for /dev/outbox.
    let sent = sent::SentMessages::new(
        opts.sdk
            .endpoint_url()
            .map(|u| u.trim_end_matches('/').to_owned()),
        sender.address.clone(),
        format!("http://{addr}"),
    )
    .await;
    let idp = idp::DevIdp::new(format!("http://{addr}/dev/idp")).map_err(DevError::Other)?;
    let mut demo_accounts = Vec::new();
    if opts.demo {
        let today = c2s_platform::clock::today();
        let (file, accounts) = demo::file(today);
        let bucket = stack
            .buckets
            .get("ExchangeBucket")
            .cloned()
            .unwrap_or_default();
        let key = format!(
            "inbound/beneficiaries/demo-{}.jsonl",
            c2s_domain::dates::format_date(today)
        );
        c2s_platform::objects::Objects::new(admin.s3().clone())
            .put(&bucket, &key, file.into_bytes(), "application/x-ndjson")
            .await
            .map_err(|e| DevError::Other(e.to_string()))?;
        demo_accounts = accounts;
    }

    let state = Arc::new(server::DevState {
        routes,
        region: region.clone(),
        account: account.clone(),
        stack: stack.clone(),
        idp,
        jobs,
        demo: demo_accounts.clone(),
        sent,
        storage: opts
            .sdk
            .endpoint_url()
            .map(|u| u.trim_end_matches('/').to_owned()),
        relay: reqwest::Client::new(),
        people: server::People {
            objects: c2s_platform::objects::Objects::new(admin.s3().clone()),
            bucket: stack
                .buckets
                .get("ExchangeBucket")
                .cloned()
                .unwrap_or_default(),
            store: c2s_platform::beneficiaries::BeneficiaryStore::new(
                admin.dynamo().clone(),
                stack
                    .tables
                    .get("BeneficiariesTable")
                    .cloned()
                    .unwrap_or_default(),
            ),
            hasher: c2s_platform::hashing::Hasher::from_env(&Env::from_map(HashMap::from([(
                "HASH_KEY".to_owned(),
                secrets.hash_key.clone(),
            )])))
            .map_err(|e| DevError::Other(e.to_string()))?,
        },
    });
    // The server answers once the demo people are imported: a sign-in before would be
    // refused with no reason given. Requests made meanwhile wait in the listener's backlog.
    if !demo_accounts.is_empty() {
        tracing::info!("waiting for the demo file's import");
        for account in &demo_accounts {
            if !state.people.imported(&account.nir, DEMO_WITHIN).await {
                tracing::warn!("the demo import has not landed: the demo accounts may be refused");
                break;
            }
        }
    }
    let app = server::router(state, opts.web_root.clone());
    let mut server_stop = stop_rx.clone();
    tasks.push(tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(
            opts.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        {
            tracing::error!(error = %e, "server stopped");
        }
    }));
    Ok(Running {
        addr,
        stack,
        demo: demo_accounts,
        envs,
        sdks,
        stop,
        tasks,
        emulator,
        pids,
    })
}
