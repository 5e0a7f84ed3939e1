//! `./infra/run` starts this after the emulator: the whole service on http://127.0.0.1:3000.

use std::path::PathBuf;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();

    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!("Le port {port} est déjà pris : C2S en ligne tourne sans doute déjà sur http://127.0.0.1:{port}. Arrêtez-le (Ctrl-C) ou lancez avec PORT=<autre port>.");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("Impossible d'écouter sur 127.0.0.1:{port} : {e}");
            return ExitCode::FAILURE;
        }
    };
    let root = PathBuf::from(
        std::env::var("C2S_ROOT")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../..").to_owned()),
    );
    let web = if root.join("web/dist/index.html").exists() {
        root.join("web/dist")
    } else {
        root.join("web")
    };
    // The functions' own binaries, built beside this one (`cargo build --workspace --bins`),
    // unless C2S_FUNCTIONS=in-process asks for their handlers inside this process.
    let mode = match std::env::var("C2S_FUNCTIONS").as_deref() {
        Ok("in-process") => devserver::Mode::InProcess,
        _ => devserver::Mode::Binaries(devserver::binaries::BinaryMode {
            dir: std::env::current_exe()
                .ok()
                .and_then(|p| p.parent().map(PathBuf::from))
                .unwrap_or_else(|| root.join("target/debug")),
            cargo_lambda: std::env::var("CARGO_LAMBDA")
                .map(PathBuf::from)
                .unwrap_or_else(|_| root.join("infra/.venv/bin/cargo-lambda")),
            workspace: root.clone(),
        }),
    };
    let options = devserver::Options {
        prefix: std::env::var("C2S_PREFIX").unwrap_or_else(|_| "c2s-local".into()),
        template: root.join("template.yaml"),
        web_root: web,
        listener,
        sdk: c2s_platform::aws::sdk_config().await,
        clamd: std::env::var("CLAMD_ADDRESS")
            .ok()
            .filter(|s| !s.is_empty()),
        freshclam_config: std::env::var_os("FRESHCLAM_CONFIG").map(PathBuf::from),
        demo: true,
        pollers: true,
        secrets_file: Some(root.join("infra/.run/dev-secrets.json")),
        enforce_permissions: devserver::permissions::enforced_by_default(),
        mode,
    };
    let running = match devserver::start(options).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Le démarrage a échoué : {e}");
            return ExitCode::FAILURE;
        }
    };
    let url = running.url();
    println!("\nC2S en ligne tourne sur {url}");
    println!("  API : {url}/api/…   pile locale : {url}/dev/stack   comptes de démonstration : {url}/dev/demo");
    println!("  Ctrl-C pour tout arrêter.\n");
    stopped().await;
    println!("Arrêt…");
    running.stop().await;
    ExitCode::SUCCESS
}

/// Ctrl-C in a terminal, or TERM from `./infra/run` or a process manager.
async fn stopped() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
