use c2s_domain::dates::format_instant;
use c2s_domain::thread::{Message, Reader};
use serde_json::{json, Value};

/// One message as answered.
pub fn message_view(m: &Message) -> Value {
    json!({
        "id": m.message_id,
        "author_kind": m.author_kind,
        "text": m.text,
        "at": format_instant(m.at),
        "attachments": m.attachments,
        "confidential": m.confidential,
    })
}

/// The messages of a thread `reader` may read, oldest first: `{"items": […]}`.
pub fn thread_view(messages: &[Message], reader: &Reader) -> Value {
    json!({
        "items": messages
            .iter()
            .filter(|m| m.visible_to(reader))
            .map(message_view)
            .collect::<Vec<_>>(),
    })
}

/// The answer to a new message: the message itself, with the thread as `reader` now reads
/// it (`items`, as the thread's `GET` answers).
pub fn posted_view(m: &Message, messages: &[Message], reader: &Reader) -> Value {
    let mut v = message_view(m);
    v["items"] = thread_view(messages, reader)["items"].take();
    v
}

/// The answer to an agent's new message: `posted_view` with the health terms its text holds
/// (`warnings`, kept as for notes) and what to tell the agent of them (`warning`).
pub fn agent_posted_view(m: &Message, messages: &[Message], health_terms: &[&str]) -> Value {
    let mut v = posted_view(m, messages, &Reader::Agent);
    v["warnings"] = json!(health_terms);
    v["warning"] = json!((!health_terms.is_empty()).then_some(
        "Ce texte semble contenir des informations de santé : vérifiez qu'elles sont nécessaires."
    ));
    v
}
