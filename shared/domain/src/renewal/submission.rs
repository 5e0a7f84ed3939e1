//! What a submission still needs, and the file entering the caisse's queue.

use super::form::Form;
use crate::document::{DocumentKind, DocumentStatus};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_form_misses_everything() {
        assert_eq!(
            missing(&Form::default(), &[], &[]),
            ["household", "resources", "housing", "manager"]
        );
    }
}
