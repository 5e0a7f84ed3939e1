//! A renewal request: its status machine, the form the beneficiary fills, what a submission
//! still needs, the decision and the retention rules.

mod decision;
mod form;
mod status;
mod submission;
mod update;

pub use crate::household::{Housing, HousingStatus, Member, Relation, Resource, ResourceKind};
pub use decision::{
    decision_deadline, opens_on, receipt_number, rights_period, Decision, DecisionOutcome,
    REASON_CODES,
};
pub use form::{parse_manager, situation, Form};
pub use status::Status;
pub use submission::{missing, DocumentState};
pub use update::Update;

use crate::dates;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
