//! The renewal's status machine.

use super::{ActorKind, HistoryEntry, Renewal};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

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
    /// Every status, in the order of the renewal's life.
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::Submitted,
        Status::InReview,
        Status::AwaitingDocuments,
        Status::Approved,
        Status::Rejected,
        Status::Exported,
        Status::Integrated,
        Status::Withdrawn,
    ];

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
            // A superviseur releases a claim: the file waits for an agent again.
            (InReview, Submitted) => true,
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

/// A status change the contract does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a renewal in status {} cannot become {}", from.as_str(), to.as_str())]
pub struct InvalidTransition {
    pub from: Status,
    pub to: Status,
}

impl Renewal {
    /// Moves the renewal to `next` if the contract allows it, and records who did it and
    /// when. `updated_at` is left to the caller: system changes (acknowledgements, export)
    /// do not count as a person's change.
    pub fn transition(
        &mut self,
        next: Status,
        actor: ActorKind,
        at: OffsetDateTime,
    ) -> Result<(), InvalidTransition> {
        if !self.status.can_become(next) {
            return Err(InvalidTransition {
                from: self.status,
                to: next,
            });
        }
        self.status = next;
        self.history.push(HistoryEntry {
            status: next,
            at,
            actor,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renewal::draft::tests::draft;
    use time::macros::datetime;

    #[test]
    fn a_legal_transition_is_recorded_without_touching_updated_at() {
        let mut r = draft();
        let before = r.updated_at;
        let at = datetime!(2026-11-25 14:00 UTC);
        assert_eq!(
            r.transition(Status::Submitted, ActorKind::Partner, at),
            Ok(())
        );
        assert_eq!(r.status, Status::Submitted);
        assert_eq!(
            r.history.last(),
            Some(&HistoryEntry {
                status: Status::Submitted,
                at,
                actor: ActorKind::Partner
            })
        );
        assert_eq!(r.updated_at, before);
        assert_eq!(r.version, 1, "the store owns the version");
        for (next, actor) in [
            (Status::InReview, ActorKind::Agent),
            (Status::AwaitingDocuments, ActorKind::Agent),
            (Status::Submitted, ActorKind::Beneficiary),
            (Status::InReview, ActorKind::Agent),
            (Status::Approved, ActorKind::Agent),
            (Status::Exported, ActorKind::System),
            (Status::InReview, ActorKind::System),
            (Status::Rejected, ActorKind::Agent),
            (Status::Exported, ActorKind::System),
            (Status::Integrated, ActorKind::System),
        ] {
            assert_eq!(r.transition(next, actor, at), Ok(()), "to {next:?}");
        }
        assert_eq!(r.history.len(), 12);
    }

    #[test]
    fn an_illegal_transition_changes_nothing() {
        let mut r = draft();
        let at = datetime!(2026-11-25 14:00 UTC);
        let refused = r.transition(Status::Approved, ActorKind::Agent, at);
        assert_eq!(
            refused,
            Err(InvalidTransition {
                from: Status::Draft,
                to: Status::Approved
            })
        );
        assert_eq!(r.status, Status::Draft);
        assert_eq!(r.history.len(), 1);
        assert_eq!(
            r.transition(Status::Withdrawn, ActorKind::Beneficiary, at),
            Ok(())
        );
        assert!(r
            .transition(Status::Withdrawn, ActorKind::Beneficiary, at)
            .is_err());
        assert!(r
            .transition(Status::Submitted, ActorKind::Beneficiary, at)
            .is_err());
        assert_eq!(r.history.len(), 2);
    }

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
        assert!(InReview.can_become(Submitted));
        assert!(!Approved.can_become(Submitted));
    }
}
