//! The C2S domain: types that validate on parse, the renewal state machine and its rules.
//! Nothing here knows about AWS, HTTP or the clock: callers pass `today`.

pub mod attempts;
pub mod beneficiary;
pub mod dates;
pub mod document;
pub mod eligibility;
pub mod field;
pub mod household;
pub mod nir;
pub mod notice;
pub mod partner;
pub mod renewal;
pub mod retention;
pub mod rgpd;
pub mod text;
pub mod thread;
pub mod working_days;

pub use field::FieldError;
pub use nir::Nir;
