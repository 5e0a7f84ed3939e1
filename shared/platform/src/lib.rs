//! What the functions share around the pure domain: configuration, AWS clients, the stores,
//! documents in S3, tokens, keyed hashes, the queue driver, idempotency and the HTTP error
//! mapping.

pub mod access;
pub mod agents;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod beneficiaries;
pub mod clamd;
pub mod credentials;
pub mod env;
pub mod hashing;
pub mod http;
pub mod idempotency;
pub mod objects;
pub mod outbox;
pub mod partners;
pub mod passwords;
pub mod queue;
pub mod rate_limit;
pub mod renewals;
pub mod store;
pub mod telemetry;
pub mod tokens;

pub use env::{ConfigError, Env};
/// The former name of [`queue`], kept for code that still imports `s3_events::ObjectRef`.
pub use queue as s3_events;
