//! Logs as JSON lines: request ids, routes, outcomes. Never bodies, never a NIR.

use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// `RUST_LOG` as a list of `target=level` (or one level); `info` otherwise. A `Targets`
/// filter rather than `EnvFilter`: the latter links a regex engine into every package
/// (150 KB of code) for span-field filters no function uses.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|spec| spec.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_target(false)
                .without_time(),
        )
        .with(filter)
        .try_init();
}
