//! The end-to-end tests, one binary (`cargo test -p c2s-tests --test api`): each module is
//! one area of the service, each test starts its own stack on the emulator through
//! `helpers::TestStack` and stops it with the check that no NIR was ever logged. One module
//! alone: `cargo test -p c2s-tests --test api agents::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod agents;
mod antivirus;
mod beneficiary_journey;
mod binaries;
mod contract;
mod data_minimisation;
mod deadlines;
mod degraded;
mod documents;
mod eligibility;
mod engine_today;
mod events_replay;
mod exchange_retention;
mod import_ranges;
mod notify;
mod partner_admin;
mod partner_filing;
mod partner_lifecycle;
mod partner_requests;
mod partners;
mod permissions;
mod purge;
mod queues;
mod reminders;
mod restart;
mod sign_in;
mod stats;
mod sync_out;
