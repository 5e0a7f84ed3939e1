//! What a submission still needs, and the file entering the caisse's queue.

use super::form::Form;
use super::{decision_deadline, Renewal, Status};
use crate::document::{DocumentKind, DocumentStatus};
use time::Date;

/// What a document looks like to the submission rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentState {
    pub kind: DocumentKind,
    pub status: DocumentStatus,
}

/// What `submit` still needs, as stable codes, in the order the form asks for them.
/// Declared income needs at least one clean supporting document; each kind an agent asked
/// for needs one; a document still being checked holds the submission back.
pub fn missing(
    form: &Form,
    documents: &[DocumentState],
    requested: &[DocumentKind],
) -> Vec<String> {
    let mut out = Vec::new();
    if form.household.is_none() {
        out.push("household".to_owned());
    }
    if form.resources.is_none() {
        out.push("resources".to_owned());
    }
    if form.housing.is_none() {
        out.push("housing".to_owned());
    }
    if form.manager.is_none() {
        out.push("manager".to_owned());
    }
    let clean = |k: Option<DocumentKind>| {
        documents
            .iter()
            .any(|d| d.status == DocumentStatus::Clean && k.is_none_or(|k| d.kind == k))
    };
    let has_income = form
        .resources
        .as_ref()
        .is_some_and(|r| r.iter().any(|r| r.annual() > 0));
    if has_income && !clean(None) {
        out.push("documents".to_owned());
    }
    for kind in requested {
        if !clean(Some(*kind)) {
            out.push(format!("document:{}", kind.as_str()));
        }
    }
    if documents.iter().any(|d| {
        matches!(
            d.status,
            DocumentStatus::AwaitingUpload | DocumentStatus::PendingScan
        )
    }) {
        out.push("documents_pending".to_owned());
    }
    out
}

impl Renewal {
    /// The file is complete on `day`: it enters (or goes back to) the caisse's queue with its
    /// 2-month deadline.
    pub fn mark_complete(&mut self, day: Date) {
        self.complete_on = Some(day);
        self.deadline = Some(decision_deadline(day));
        self.queue = Some(self.caisse.clone());
    }

    /// The date by which the caisse must decide, while a decision is awaited: the deadline
    /// the queue sorts by (`decision_deadline`, set when the file became complete); none
    /// before the file was sent, nor once decided or withdrawn.
    pub fn decision_due(&self) -> Option<Date> {
        match self.status {
            Status::Submitted | Status::InReview | Status::AwaitingDocuments => self.deadline,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renewal::draft::tests::draft;
    use time::macros::date;

    #[test]
    fn a_complete_file_enters_the_queue_with_its_deadline() {
        let mut r = draft();
        r.mark_complete(date!(2026 - 12 - 31));
        assert_eq!(r.complete_on, Some(date!(2026 - 12 - 31)));
        assert_eq!(r.deadline, Some(date!(2027 - 02 - 28)));
        assert_eq!(r.queue.as_deref(), Some("le-havre"));
    }

    #[test]
    fn an_empty_form_misses_everything() {
        assert_eq!(
            missing(&Form::default(), &[], &[]),
            ["household", "resources", "housing", "manager"]
        );
    }
}
