//! Conversations: one thread of messages per renewal and per partner request, in both
//! directions, with attachments (ids of documents already held on that file). The same model
//! serves both; what differs is who may write and read, said here.
//!
//! Who reads what (confidentiality levels, guardian rule): agents read every message of
//! their caisse's threads. On a renewal, a message is `confidential` when it may carry what
//! only the person (or their legal guardian) may know: every message the beneficiary writes,
//! and an agent's message the agent marks so. The beneficiary reads their own messages and
//! the others' that are not confidential at level 1, everything at level 2. A partner acting
//! for them reads its own organisation's messages and the agents' that are not confidential;
//! a partner named legal guardian reads everything, as the person at level 2.

use crate::dates;
use crate::field::{optional_bool, FieldError};
use crate::renewal::{agent_text, AgentRefusal};
use crate::text::{contains_nir_like, health_terms};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

mod marks;
pub use marks::{Class, Marks, Side};

/// Longest message, in characters.
pub const MAX_TEXT: usize = 2000;
/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Beneficiary,
    Partner,
    Agent,
}

/// One message of a thread, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub message_id: String,
    pub author_kind: AuthorKind,
    /// The agent's number, the partner organisation's id, or empty for the beneficiary.
    pub author_id: String,
    pub text: String,
    #[serde(with = "dates::instant")]
    pub at: OffsetDateTime,
    #[serde(default)]
    pub attachments: Vec<String>,
    #[serde(default)]
    pub confidential: bool,
}

/// Who reads a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    Agent,
    Beneficiary { level: u8 },
    Partner { partner_id: String, guardian: bool },
}

impl Message {
    /// Whether `reader` may read this message (the rule in the module's head).
    pub fn visible_to(&self, reader: &Reader) -> bool {
        match reader {
            Reader::Agent => true,
            Reader::Beneficiary { level } => {
                *level >= 2
                    || self.author_kind == AuthorKind::Beneficiary
                    || (!self.confidential && self.author_kind != AuthorKind::Beneficiary)
            }
            Reader::Partner {
                partner_id,
                guardian,
            } => {
                *guardian
                    || match self.author_kind {
                        AuthorKind::Partner => &self.author_id == partner_id,
                        AuthorKind::Agent => !self.confidential,
                        AuthorKind::Beneficiary => false,
                    }
            }
        }
    }

    /// Whether a message by this author is one the agents have still to read.
    pub fn for_agents(&self) -> bool {
        self.author_kind != AuthorKind::Agent
    }
}

/// A `POST …/messages` body, checked for its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody {
    /// Trimmed.
    pub text: String,
    /// Document ids, each once, in the order given.
    pub attachments: Vec<String>,
    pub confidential: bool,
    /// Health terms an agent's text holds: kept, with a warning (as for notes).
    pub health_terms: Vec<&'static str>,
}

/// Why a message body is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRefusal {
    Invalid(Vec<FieldError>),
    NirNotAllowed,
    /// A partner's text seems to hold health information and was not confirmed.
    HealthTerms(Vec<&'static str>),
}

impl From<AgentRefusal> for MessageRefusal {
    fn from(r: AgentRefusal) -> Self {
        match r {
            AgentRefusal::NirNotAllowed => MessageRefusal::NirNotAllowed,
            AgentRefusal::Invalid(f) | AgentRefusal::Reason(f) => MessageRefusal::Invalid(f),
        }
    }
}

impl MessageBody {
    /// An agent's text follows the notes' rules (no NIR; health terms warn); a partner's, the
    /// requests' (no NIR; health terms refused unless `confirm`); the beneficiary writes
    /// about themself. Only an agent marks a message `confidential`; the beneficiary's are.
    pub fn parse(body: &Value, author: AuthorKind) -> Result<MessageBody, MessageRefusal> {
        let text = body.get("text").and_then(Value::as_str).unwrap_or("");
        let mut errors = Vec::new();
        let attachments = match body.get("attachments") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) if a.len() <= MAX_ATTACHMENTS => {
                let mut ids: Vec<String> = Vec::new();
                for (i, v) in a.iter().enumerate() {
                    match v.as_str().filter(|s| !s.is_empty() && s.len() <= 64) {
                        Some(s) if !ids.iter().any(|x| x == s) => ids.push(s.to_owned()),
                        Some(_) => {}
                        None => errors.push(FieldError::new(
                            format!("attachments[{i}]"),
                            "invalid_document",
                            "Cette pièce jointe n'est pas un identifiant de document.",
                        )),
                    }
                }
                ids
            }
            Some(_) => {
                errors.push(FieldError::new(
                    "attachments",
                    "invalid_attachments",
                    "Indiquez au plus 10 pièces jointes, par leur identifiant de document.",
                ));
                Vec::new()
            }
        };
        let confidential = match body.get("confidential") {
            None | Some(Value::Null) => author == AuthorKind::Beneficiary,
            Some(Value::Bool(b)) if author == AuthorKind::Agent => *b,
            Some(Value::Bool(_)) => author == AuthorKind::Beneficiary,
            Some(_) => {
                errors.push(FieldError::new(
                    "confidential",
                    "wrong_type",
                    "Indiquez vrai ou faux.",
                ));
                false
            }
        };
        // `confirm` is a boolean or nothing: another type is refused, never read as false.
        let confirm = optional_bool(body, "confirm")
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
            == Some(true);
        let n = text.trim().chars().count();
        if n == 0 || n > MAX_TEXT {
            errors.push(FieldError::new(
                "text",
                "invalid_length",
                "Le message est vide ou trop long (2000 caractères au plus).",
            ));
        }
        if !errors.is_empty() {
            return Err(MessageRefusal::Invalid(errors));
        }
        let terms = match author {
            AuthorKind::Agent => agent_text("text", text, MAX_TEXT)?,
            AuthorKind::Partner => {
                if contains_nir_like(text) {
                    return Err(MessageRefusal::NirNotAllowed);
                }
                let terms = health_terms(text);
                if !terms.is_empty() && !confirm {
                    return Err(MessageRefusal::HealthTerms(terms));
                }
                Vec::new()
            }
            AuthorKind::Beneficiary => Vec::new(),
        };
        Ok(MessageBody {
            text: text.trim().to_owned(),
            attachments,
            confidential,
            health_terms: terms,
        })
    }

    /// The message this body makes, by `author_id`, at `at`.
    pub fn into_message(
        self,
        message_id: String,
        author_kind: AuthorKind,
        author_id: &str,
        at: OffsetDateTime,
    ) -> Message {
        Message {
            message_id,
            author_kind,
            author_id: author_id.to_owned(),
            text: self.text,
            at,
            attachments: self.attachments,
            confidential: self.confidential,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn message(kind: AuthorKind, author: &str, confidential: bool) -> Message {
        Message {
            message_id: "m".into(),
            author_kind: kind,
            author_id: author.into(),
            text: "Bonjour".into(),
            at: datetime!(2026-12-01 10:00 UTC),
            attachments: Vec::new(),
            confidential,
        }
    }

    #[test]
    fn a_third_party_reads_no_confidential_message_unless_guardian() {
        let own = message(AuthorKind::Beneficiary, "", true);
        let agent_open = message(AuthorKind::Agent, "A1", false);
        let agent_secret = message(AuthorKind::Agent, "A1", true);
        let partner = message(AuthorKind::Partner, "P1", false);
        let other_partner = message(AuthorKind::Partner, "P2", false);
        let p1 = Reader::Partner {
            partner_id: "P1".into(),
            guardian: false,
        };
        let guardian = Reader::Partner {
            partner_id: "P1".into(),
            guardian: true,
        };
        let level1 = Reader::Beneficiary { level: 1 };
        let level2 = Reader::Beneficiary { level: 2 };
        let seen = |r: &Reader| {
            [&own, &agent_open, &agent_secret, &partner, &other_partner]
                .iter()
                .map(|m| m.visible_to(r))
                .collect::<Vec<_>>()
        };
        assert_eq!(seen(&p1), [false, true, false, true, false]);
        assert_eq!(seen(&guardian), [true; 5]);
        assert_eq!(seen(&level1), [true, true, false, true, true]);
        assert_eq!(seen(&level2), [true; 5]);
        assert_eq!(seen(&Reader::Agent), [true; 5]);
    }

    fn at(m: &Message, minute: u8) -> Message {
        let mut m = m.clone();
        m.at = datetime!(2026-12-01 10:00 UTC) + time::Duration::minutes(minute.into());
        m
    }

    /// The marks of a thread holding `messages`, then read by each of `readers` in turn.
    fn marks(messages: &[Message], readers: &[&Reader]) -> Marks {
        let mut k = Marks::default();
        for m in messages {
            let (a, t) = Marks::posted(m);
            k.set(a, t);
        }
        for r in readers {
            for (a, t) in k.after_reading(r, messages) {
                k.set(a, t);
            }
        }
        k
    }

    #[test]
    fn the_people_wait_only_for_what_they_may_read_and_did_not_write() {
        let level1 = Reader::Beneficiary { level: 1 };
        let level2 = Reader::Beneficiary { level: 2 };
        let p1 = Reader::Partner {
            partner_id: "P1".into(),
            guardian: false,
        };
        let guardian = Reader::Partner {
            partner_id: "P1".into(),
            guardian: true,
        };
        let secret = at(&message(AuthorKind::Agent, "A1", true), 1);
        let open = at(&message(AuthorKind::Agent, "A1", false), 2);
        let own = at(&message(AuthorKind::Beneficiary, "", true), 3);
        let partner = at(&message(AuthorKind::Partner, "P1", false), 4);

        // Nothing written, nothing waits; one's own message never waits for oneself.
        assert!(!Marks::default().unread_for(&level2));
        let k = marks(std::slice::from_ref(&own), &[]);
        assert!(!k.unread_for(&level1) && !k.unread_for(&level2) && !k.unread_for(&p1));
        assert!(k.unread_for(&guardian));
        // The agents never wait here.
        assert!(!k.unread_for(&Reader::Agent));

        // A confidential message waits for the whole readers only.
        let k = marks(std::slice::from_ref(&secret), &[]);
        assert_eq!(
            [&level1, &level2, &p1, &guardian].map(|r| k.unread_for(r)),
            [false, true, false, true]
        );
        // Read at level 1, it still waits at level 2, even once an open one came and was read.
        let thread = [secret.clone(), open.clone()];
        let k = marks(&thread, &[&level1]);
        assert!(!k.unread_for(&level1) && k.unread_for(&level2));
        let k = marks(&thread, &[&level2]);
        assert!(!k.unread_for(&level1) && !k.unread_for(&level2));
        // Each side keeps its own marks: the beneficiary's reading reads nothing for the partner.
        assert!(k.unread_for(&p1) && k.unread_for(&guardian));
        // The partner's message waits for the beneficiary, not for the partner.
        let k = marks(&[secret, open, own, partner.clone()], &[&level2, &guardian]);
        assert!(!k.unread_for(&guardian));
        let mut k2 = k.clone();
        let (a, t) = Marks::posted(&at(&partner, 9));
        k2.set(a, t);
        assert!(k2.unread_for(&level1) && !k2.unread_for(&p1));
    }

    #[test]
    fn a_reading_marks_what_it_read_never_back_nor_past_it() {
        let level2 = Reader::Beneficiary { level: 2 };
        let first = at(&message(AuthorKind::Agent, "A1", false), 1);
        let later = at(&message(AuthorKind::Agent, "A1", false), 5);
        // Read before the later one was written: the later one still waits.
        let mut k = marks(std::slice::from_ref(&first), &[&level2]);
        let (a, t) = Marks::posted(&later);
        k.set(a, t);
        assert!(k.unread_for(&level2));
        // A reading of an older thread moves nothing back.
        let both = [first.clone(), later];
        let k = marks(&both, &[&level2]);
        assert!(k.after_reading(&level2, &[first]).is_empty());
        assert!(k.after_reading(&level2, &both).is_empty());
        // Every attribute names one mark.
        let names: Vec<&str> = Marks::attributes().collect();
        assert_eq!(names.len(), 8);
        let mut all = Marks::default();
        for n in &names {
            all.set(n, datetime!(2026-12-01 10:00 UTC));
        }
        assert_eq!(
            all.latest
                .iter()
                .chain(all.read.iter().flatten())
                .filter(|m| m.is_some())
                .count(),
            8
        );
    }

    #[test]
    fn each_author_follows_its_own_text_rules() {
        let nir = json!({"text": "Mon numéro 1 62 04 76 451 023 45"});
        assert_eq!(
            MessageBody::parse(&nir, AuthorKind::Agent),
            Err(MessageRefusal::NirNotAllowed)
        );
        assert_eq!(
            MessageBody::parse(&nir, AuthorKind::Partner),
            Err(MessageRefusal::NirNotAllowed)
        );
        assert!(MessageBody::parse(&nir, AuthorKind::Beneficiary).is_ok());

        let health = json!({"text": "Elle suit une chimiothérapie."});
        let agent = MessageBody::parse(&health, AuthorKind::Agent);
        assert!(
            matches!(agent, Ok(ref b) if !b.health_terms.is_empty()),
            "{agent:?}"
        );
        assert!(matches!(
            MessageBody::parse(&health, AuthorKind::Partner),
            Err(MessageRefusal::HealthTerms(_))
        ));
        let confirmed = json!({"text": "Elle suit une chimiothérapie.", "confirm": true});
        assert!(MessageBody::parse(&confirmed, AuthorKind::Partner).is_ok());

        // Only an agent chooses; the beneficiary's words are always confidential.
        let marked = json!({"text": "x", "confidential": false, "attachments": ["d1", "d1", "d2"]});
        let b = MessageBody::parse(&marked, AuthorKind::Beneficiary);
        assert!(matches!(b, Ok(ref b) if b.confidential && b.attachments == ["d1", "d2"]));
        let marked = json!({"text": "x", "confidential": true});
        assert!(
            matches!(MessageBody::parse(&marked, AuthorKind::Partner), Ok(b) if !b.confidential)
        );
        assert!(matches!(MessageBody::parse(&marked, AuthorKind::Agent), Ok(b) if b.confidential));
    }

    #[test]
    fn empty_long_or_malformed_bodies_are_refused_with_their_fields() {
        let fields = |b: Value| match MessageBody::parse(&b, AuthorKind::Agent) {
            Err(MessageRefusal::Invalid(f)) => {
                f.iter().map(|f| f.field.clone()).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(fields(json!({"text": "  "})), ["text"]);
        assert_eq!(fields(json!({"text": "x".repeat(2001)})), ["text"]);
        assert_eq!(
            fields(json!({"text": "x", "attachments": [1]})),
            ["attachments[0]"]
        );
        assert_eq!(
            fields(json!({"text": "x", "attachments": "d1"})),
            ["attachments"]
        );
        // Found by the contract fuzzer: `confirm: {}` was read as false and the message kept.
        assert_eq!(fields(json!({"text": "x", "confirm": {}})), ["confirm"]);
    }
}
