//! What the message routes share: an agent's message as posted, the answer to a refused
//! body, the check that each attachment is a document of the file the thread is about.

use crate::error::{ApiError, Code};
use c2s_domain::thread::{AuthorKind, Message, MessageBody, MessageRefusal};
use c2s_domain::FieldError;
use c2s_platform::threads::message_id;
use serde_json::Value;
use time::OffsetDateTime;

/// The message the agent `sub` posts now with `body`, and the health terms its text holds
/// (kept; the answer warns of them); a refused body as `refusal` answers it.
pub fn agent_message(body: &Value, sub: &str) -> Result<(Message, Vec<&'static str>), ApiError> {
    let parsed = MessageBody::parse(body, AuthorKind::Agent).map_err(refusal)?;
    let warnings = parsed.health_terms.clone();
    let message = parsed.into_message(
        message_id(),
        AuthorKind::Agent,
        sub,
        OffsetDateTime::now_utc(),
    );
    Ok((message, warnings))
}

/// A refused message body as answered: 422 `invalid` with its fields, `nir_not_allowed`,
/// or `health_data` with the terms found.
pub fn refusal(r: MessageRefusal) -> ApiError {
    match r {
        MessageRefusal::Invalid(fields) => ApiError::invalid(fields),
        MessageRefusal::NirNotAllowed => Code::NirNotAllowed.with_message(
            "Un numéro de sécurité sociale ne doit pas figurer dans un message : joignez plutôt le document qui le porte.",
        ),
        MessageRefusal::HealthTerms(terms) => Code::HealthData
            .with_message("Le message semble contenir des informations de santé, qui n'ont pas leur place ici. Retirez-les, ou confirmez qu'elles sont nécessaires (confirm).")
            .with("terms", terms),
    }
}

/// 422 unless every attachment is one of `held` (the documents of the file).
pub fn check_attachments<'a>(
    attachments: &[String],
    held: impl Iterator<Item = &'a str> + Clone,
) -> Result<(), ApiError> {
    let unknown: Vec<FieldError> = attachments
        .iter()
        .enumerate()
        .filter(|(_, a)| !held.clone().any(|h| h == a.as_str()))
        .map(|(i, _)| {
            FieldError::new(
                format!("attachments[{i}]"),
                "unknown_document",
                "Cette pièce jointe n'est pas un document de ce dossier.",
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(unknown))
    }
}
