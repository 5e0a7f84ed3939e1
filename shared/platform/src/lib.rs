//! What the functions share around the pure domain: configuration, AWS clients, the stores,
//! documents in S3, tokens, keyed hashes, the queue driver, idempotency, the antivirus (its
//! client, its daemon, its definitions). No HTTP here: that is `c2s-api`.

pub mod agents;
pub mod audit;
pub mod aws;
pub mod beneficiaries;
pub mod clamd;
pub mod clock;
pub mod env;
pub mod exchange;
pub mod fault;
pub mod hashing;
pub mod idempotency;
pub mod jwt;
pub mod objects;
#[cfg(feature = "s3")]
pub mod outbound;
pub mod outbox;
pub mod page;
pub mod partners;
pub mod passwords;
pub mod queue;
pub mod rate_limit;
pub mod registers;
pub mod renewals;
pub mod secrets;
pub mod sign_in_locks;
pub mod store;
pub mod tasks;
pub mod telemetry;
pub mod threads;
pub mod tokens;
#[cfg(feature = "s3")]
pub mod virus_definitions;

pub use env::{ConfigError, Env};
