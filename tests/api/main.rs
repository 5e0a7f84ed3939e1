//! The end-to-end tests, one binary (`cargo test -p c2s-tests --test api`): each module is
//! one area of the service, each test starts its own stack on the emulator through
//! `helpers::TestStack` and stops it with the check that no NIR was ever logged. One module
//! alone: `cargo test -p c2s-tests --test api agents::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod helpers_backfill;
mod helpers_convo;
mod helpers_partnerx;
mod helpers_retention;
mod helpers_rgpd;
mod helpers_supervision;

mod agents;
mod antivirus;
mod backfill;
mod beneficiary_control;
mod beneficiary_journey;
mod beneficiary_notices;
mod binaries;
mod contract;
mod conversations_notices;
mod conversations_renewal;
mod conversations_requests;
mod conversations_unread;
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
mod partner_attachments;
mod partner_catalogue;
mod partner_cpam_changes;
mod partner_filing;
mod partner_lifecycle;
mod partner_list;
mod partner_manager_requests;
mod partner_recovery;
mod partner_requests;
mod partners;
mod permissions;
mod purge;
mod queues;
mod reminders;
mod reports_answer;
mod reports_filters;
mod restart;
mod retention_partners;
mod retention_renewals;
mod retention_table;
mod rgpd_access_zip;
mod rgpd_erase;
mod rgpd_incidents;
mod rgpd_oppose;
mod rgpd_rectify;
mod rgpd_register;
mod rgpd_restrict;
mod rgpd_restrict_files;
mod sign_in;
mod stats;
mod supervision;
mod sync_out;
