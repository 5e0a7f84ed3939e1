//! A renewal request: its status machine, the form the beneficiary fills, what a submission
//! still needs, the decision and the retention rules.

mod decision;
pub(crate) mod draft;
mod form;
mod instruction;
mod retention;
mod stats;
mod status;
mod submission;
mod supervision;
mod update;

pub use crate::household::{Housing, HousingStatus, Member, Relation, Resource, ResourceKind};
pub use decision::{
    decision_deadline, ends_opening_between, opens_on, reason_label, receipt_number,
    renewal_open_on, rights_period, Decision, DecisionOutcome, REASON_CODES,
};
pub use draft::{applicant, members_on_file, new_draft, OnFile};
pub use form::{parse_manager, participation_by_age, situation, Form};
pub use instruction::{
    agent_text, required_version, AgentRefusal, DecideError, DecisionBody, DocumentRequest,
    NoteBody,
};
pub use retention::{PurgeStage, CLOSED_FILE_KEPT_SECONDS};
pub use stats::{
    dashboard, french_day, iso_week, median, moves, status_counter, tally, week_counter,
    weeks_read, Dashboard, DeadlineCounts, DeadlineState, Move, Tally, WeekCount,
    NEAR_DEADLINE_DAYS, WEEKS_SHOWN,
};
pub use status::{InvalidTransition, Status};
pub use submission::{missing, DocumentState};
pub use supervision::{
    fold_name, identity_key, BulkAction, BulkBody, ReassignBody, Search, BULK_MAX,
};
pub use update::Update;

use crate::beneficiary::Territory;
use crate::dates;
use crate::document::DocumentKind;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Beneficiary,
    Partner,
    Agent,
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub status: Status,
    #[serde(with = "dates::instant")]
    pub at: OffsetDateTime,
    pub actor: ActorKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Receipt {
    pub number: String,
    #[serde(with = "dates::instant")]
    pub submitted_at: OffsetDateTime,
}

/// Who files for the beneficiary, and the consent given: who, when, which partner.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FiledBy {
    pub partner_id: String,
    pub partner_name: String,
    pub account_id: String,
    #[serde(with = "dates::instant")]
    pub consent_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AgentRef {
    pub agent_id: String,
    pub name: String,
}

/// A renewal as the business sees it. The store adds the attributes that only feed its
/// indexes (`queue_key`, `deadline_open`, `draft_open`, `purge_index`, `purge_key`) on every
/// save; the fields below marked "index" are state the handlers set themselves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Renewal {
    pub id: String,
    pub nir_hash: String,
    pub caisse: String,
    pub status: Status,
    pub version: u64,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
    /// Last change by a person (beneficiary, partner, agent); system updates leave it. The
    /// draft reminders and the draft purge count from it.
    #[serde(with = "dates::instant")]
    pub updated_at: OffsetDateTime,
    /// The day the request was started: it dates the reference period.
    #[serde(with = "dates::iso")]
    pub request_day: Date,
    #[serde(with = "dates::iso")]
    pub css_end_date: Date,
    pub form: Form,
    pub history: Vec<HistoryEntry>,
    pub receipt: Option<Receipt>,
    /// Kinds an agent asked for; each needs a clean document before resubmission.
    #[serde(default)]
    pub requested_documents: Vec<DocumentKind>,
    /// The household on file when the renewal started, offered until the form confirms one.
    pub suggested_household: Vec<Member>,
    pub applicant: Member,
    /// The beneficiary's territory when the renewal started, for the eligibility engine.
    #[serde(default)]
    pub territory: Option<Territory>,
    /// The agents' queue (index `by_caisse_deadline`): the caisse, once the file was complete
    /// (`mark_complete`). Absent, not null, until then: an index key cannot be null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// The decision deadline: 2 months after the file became complete.
    #[serde(
        default,
        with = "dates::iso_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub deadline: Option<Date>,
    /// The day the file was last submitted (complete).
    #[serde(
        default,
        with = "dates::iso_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub complete_on: Option<Date>,
    #[serde(default)]
    pub assigned_to: Option<AgentRef>,
    #[serde(default)]
    pub decision: Option<Decision>,
    /// The agent's message with the last request for documents.
    #[serde(default)]
    pub requested_message: Option<String>,
    /// The partner that files for the beneficiary, with their consent.
    #[serde(default)]
    pub filed_by: Option<FiledBy>,
    /// The filing partner's id (index `by_partner`); absent, not null, otherwise. Set by the
    /// partner handler with `filed_by`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed_partner: Option<String>,
    /// `pending` from the decision until the file is exported (index `by_export`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_pending: Option<String>,
    /// `<decided at>#<id>`: the export's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_key: Option<String>,
    /// The outbound file this renewal belongs to, claimed before the file is written, so a
    /// run that stops half-way is finished by the next one in the same file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_batch: Option<String>,
    /// Why the national system refused the decision, for the agent who takes it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_rejection: Option<String>,
    /// Flagged for the superviseur: the deadline is within 10 days.
    #[serde(default)]
    pub near_deadline: bool,
    /// The deadline passed without a decision: accepted by silence (CSS L861-5); the agent
    /// records the rights.
    #[serde(default)]
    pub accepted_by_silence: bool,
    /// The resources, household and documents were deleted (3 years after closing).
    #[serde(default)]
    pub details_purged: bool,
    /// Processing limited at the person's request (RGPD art. 18): kept, but in no agent's
    /// queue, sent no reminder and not exported until lifted. Absent when false, so the
    /// items written before it keep their shape.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restricted: bool,
    /// The dashboard's counters this renewal was last saved into (`stats::tally`), as read
    /// from the store: the store moves them by the difference on the next save and writes
    /// the new tally itself. Never set by hand, never shown (not serialized from here).
    #[serde(default, skip_serializing)]
    pub counted: Option<Tally>,
}
