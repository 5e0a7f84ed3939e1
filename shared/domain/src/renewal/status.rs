//! The renewal's status machine.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    InReview,
    AwaitingDocuments,
    Approved,
    Rejected,
    Exported,
    Integrated,
    Withdrawn,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::InReview => "in_review",
            Status::AwaitingDocuments => "awaiting_documents",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Exported => "exported",
            Status::Integrated => "integrated",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Open: not decided, not withdrawn. A beneficiary has at most one open renewal.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Draft | Status::Submitted | Status::InReview | Status::AwaitingDocuments
        )
    }

    /// The beneficiary (or the partner acting for them) may change the form and its documents.
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Draft | Status::AwaitingDocuments)
    }

    /// The transitions of the contract; anything else is refused.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        match (self, next) {
            (Draft | AwaitingDocuments, Submitted) => true,
            (Submitted, InReview) => true,
            (InReview, AwaitingDocuments | Approved | Rejected) => true,
            (Approved | Rejected, Exported) => true,
            (Exported, Integrated) => true,
            // The national system refused the decision: back to the agents.
            (Exported, InReview) => true,
            (s, Withdrawn) => s.is_open(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_contract() {
        use Status::*;
        assert!(Draft.can_become(Submitted));
        assert!(AwaitingDocuments.can_become(Submitted));
        assert!(InReview.can_become(Approved));
        assert!(!Draft.can_become(Approved));
        assert!(!Approved.can_become(Withdrawn));
        assert!(Submitted.can_become(Withdrawn));
        assert!(!Withdrawn.can_become(Submitted));
        assert!(!Integrated.can_become(Withdrawn));
    }
}
