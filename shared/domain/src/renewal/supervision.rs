//! What a caisse does with its work beyond one agent's file: a superviseur reassigns or
//! releases a claim, agents act on several files at once, find a file for a phone call, and
//! export the queue. The bodies of those routes and the changes they make.

use super::{AgentRef, InvalidTransition, Renewal, Status};
use crate::dates;
use crate::field::{optional_str, FieldError};
use crate::text::contains_nir_like;
use crate::Nir;
use serde_json::Value;
use time::{Date, OffsetDateTime};
use unicode_normalization::UnicodeNormalization;

/// At most this many files in one bulk action: what one request can answer in time.
pub const BULK_MAX: usize = 100;

/// An agent's number as the caisses' identity provider gives it (`sub`): 1 to 64 visible
/// characters, no space.
fn agent_id(s: &str) -> Option<&str> {
    let t = s.trim();
    let ok = (1..=64).contains(&t.chars().count())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    ok.then_some(t)
}

/// The agent a file goes to: `agent_id` (null releases the claim), with the name shown in
/// the queue (`agent_name`, optional: the agent's number otherwise, until they act).
fn target(body: &Value) -> Result<Option<AgentRef>, Vec<FieldError>> {
    let id = match body.get("agent_id") {
        None => return Err(vec![FieldError::required("agent_id")]),
        Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => agent_id(s).ok_or_else(|| {
            vec![FieldError::new(
                "agent_id",
                "invalid_agent_id",
                "Le matricule de l'agent est vide, trop long ou mal formé.",
            )]
        })?,
        Some(_) => return Err(vec![FieldError::wrong_type("agent_id")]),
    };
    // A label for the queue only, never a key: kept as typed, less control characters;
    // the number stands for it when blank or shaped like a NIR.
    let name = optional_str(body, "agent_name")
        .map_err(|e| vec![e])?
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect::<String>()
        })
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty() && !contains_nir_like(n))
        .unwrap_or_else(|| id.to_owned());
    Ok(Some(AgentRef {
        agent_id: id.to_owned(),
        name,
    }))
}

/// A `POST …/reassign` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassignBody {
    pub version: u64,
    /// `None` releases the claim.
    pub to: Option<AgentRef>,
}

impl ReassignBody {
    pub fn parse(body: &Value) -> Result<ReassignBody, Vec<FieldError>> {
        let version = body.get("version").and_then(Value::as_u64);
        let to = target(body);
        match (version, to) {
            (Some(version), Ok(to)) => Ok(ReassignBody { version, to }),
            (v, to) => {
                let mut fields = Vec::new();
                if v.is_none() {
                    fields.push(FieldError::required("version"));
                }
                fields.extend(to.err().unwrap_or_default());
                Err(fields)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Claim,
    Reassign,
}

/// A `POST /api/agent/renewals/bulk` body: the action, 1 to `BULK_MAX` ids (each once, in
/// the order given), and for `reassign` the agent (null releases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkBody {
    pub action: BulkAction,
    pub ids: Vec<String>,
    pub to: Option<AgentRef>,
}

impl BulkBody {
    pub fn parse(body: &Value) -> Result<BulkBody, Vec<FieldError>> {
        let action = match body.get("action").and_then(Value::as_str) {
            Some("claim") => BulkAction::Claim,
            Some("reassign") => BulkAction::Reassign,
            _ => {
                return Err(vec![FieldError::new(
                    "action",
                    "invalid_enum",
                    "L'action doit être « claim » ou « reassign ».",
                )])
            }
        };
        let ids: Option<Vec<&str>> = body
            .get("ids")
            .and_then(Value::as_array)
            .filter(|a| (1..=BULK_MAX).contains(&a.len()))
            .and_then(|a| {
                a.iter()
                    .map(|v| {
                        // The shape of every id the service gives (openapi's `Id`).
                        v.as_str().filter(|s| {
                            (1..=200).contains(&s.len())
                                && s.chars().all(|c| {
                                    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
                                })
                        })
                    })
                    .collect()
            });
        let Some(ids) = ids else {
            return Err(vec![FieldError::new(
                "ids",
                "invalid_ids",
                "Indiquez de 1 à 100 identifiants de dossiers, tels que le service les donne.",
            )]);
        };
        let mut unique: Vec<String> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.iter().any(|u| u == id) {
                unique.push(id.to_owned());
            }
        }
        let to = match action {
            // A claim is for the agent signing in, so an agent given is unused; a malformed
            // one is still refused, as the same body would be for a reassignment.
            BulkAction::Claim if body.get("agent_id").is_some_and(|v| !v.is_null()) => {
                target(body)?;
                None
            }
            BulkAction::Claim => None,
            BulkAction::Reassign => target(body)?,
        };
        Ok(BulkBody {
            action,
            ids: unique,
            to,
        })
    }
}

impl Renewal {
    /// A superviseur gives the file to `to`, or releases it (`None`): a claimed file changes
    /// hands, or goes back to the queue (`submitted`, no one's); a file waiting for an agent
    /// is claimed for `to`. `Ok(false)` when the file is already as asked (a resent request).
    /// Files waiting for documents or decided are no one's to give.
    pub fn reassign(
        &mut self,
        to: Option<AgentRef>,
        at: OffsetDateTime,
    ) -> Result<bool, InvalidTransition> {
        let holder = self.assigned_to.as_ref().map(|a| a.agent_id.as_str());
        match (self.status, to) {
            (Status::InReview, Some(a)) => {
                if holder == Some(a.agent_id.as_str()) {
                    return Ok(false);
                }
                self.assigned_to = Some(a);
                Ok(true)
            }
            (Status::InReview, None) => {
                self.transition(Status::Submitted, super::ActorKind::Agent, at)?;
                self.assigned_to = None;
                Ok(true)
            }
            (Status::Submitted, Some(a)) => {
                self.claim(a, at)?;
                Ok(true)
            }
            // Back from the beneficiary, a file may still name its last agent: released, it
            // names no one.
            (Status::Submitted, None) => Ok(self.assigned_to.take().is_some()),
            (from, _) => Err(InvalidTransition {
                from,
                to: Status::InReview,
            }),
        }
    }
}

/// `POST /api/agent/search`: one of three ways to find a file for a phone call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A receipt number, upper-cased and trimmed (`C2S-2026-0F3A9C2E1B`).
    Receipt(String),
    Nir(Nir),
    /// The applicant's last name (folded, `identity_key`) and birth date.
    Identity {
        last_name: String,
        birth_date: Date,
    },
}

impl Search {
    /// Exactly one criterion is read, in this order: `receipt`, `nir`, `last_name` with
    /// `birth_date`. None at all is refused (`invalid`), as is a malformed one.
    pub fn parse(body: &Value) -> Result<Search, Vec<FieldError>> {
        let text = |k: &str| -> Result<Option<String>, Vec<FieldError>> {
            Ok(optional_str(body, k)
                .map_err(|e| vec![e])?
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned))
        };
        if let Some(r) = text("receipt")? {
            let r = r.to_ascii_uppercase();
            if r.len() > 40
                || !r
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
            {
                return Err(vec![FieldError::new(
                    "receipt",
                    "invalid_receipt",
                    "Le numéro de récépissé est mal formé (par exemple C2S-2026-0F3A9C2E1B).",
                )]);
            }
            return Ok(Search::Receipt(r.replace(' ', "")));
        }
        if let Some(n) = text("nir")? {
            return Nir::parse(&n).map(Search::Nir).map_err(|_| {
                vec![FieldError::new(
                    "nir",
                    "invalid_nir",
                    "Le NIR est mal formé.",
                )]
            });
        }
        let (name, birth) = (text("last_name")?, text("birth_date")?);
        if name.is_none() && birth.is_none() {
            return Err(vec![FieldError::new(
                "receipt",
                "criterion_required",
                "Indiquez un numéro de récépissé, un NIR, ou un nom avec une date de naissance.",
            )]);
        }
        let mut fields = Vec::new();
        let last_name = match name.as_deref().map(fold_name) {
            Some(n) if !n.is_empty() && n.chars().count() <= 100 => Some(n),
            Some(_) => {
                fields.push(FieldError::new(
                    "last_name",
                    "invalid_name",
                    "Le nom est mal formé.",
                ));
                None
            }
            None => {
                fields.push(FieldError::required("last_name"));
                None
            }
        };
        let birth_date = match birth.as_deref().map(dates::parse_date) {
            Some(Ok(d)) => Some(d),
            Some(Err(_)) => {
                fields.push(FieldError::new(
                    "birth_date",
                    "invalid_date",
                    "La date de naissance doit être au format AAAA-MM-JJ.",
                ));
                None
            }
            None => {
                fields.push(FieldError::required("birth_date"));
                None
            }
        };
        match (last_name, birth_date) {
            (Some(last_name), Some(birth_date)) if fields.is_empty() => Ok(Search::Identity {
                last_name,
                birth_date,
            }),
            _ => Err(fields),
        }
    }

    /// What the audit entry says was looked for: the kind, and the receipt number (a
    /// number of ours); never the NIR or the person's name.
    pub fn audit_target(&self) -> String {
        match self {
            Search::Receipt(r) => format!("receipt:{r}"),
            Search::Nir(_) => "nir".to_owned(),
            Search::Identity { .. } => "identity".to_owned(),
        }
    }
}

/// A last name as a phone call gives it: case, accents, spaces, hyphens and apostrophes do
/// not matter (`Le Gall-Hénaff` is `legallhenaff`).
pub fn fold_name(s: &str) -> String {
    s.nfd()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .flat_map(|c| match c {
            'œ' => "oe".chars().collect::<Vec<_>>(),
            'æ' => "ae".chars().collect(),
            c => vec![c],
        })
        .collect()
}

/// The key under which a person is found by last name and birth date (index
/// `by_identity` of the beneficiaries table).
pub fn identity_key(last_name: &str, birth_date: Date) -> String {
    format!(
        "{}#{}",
        fold_name(last_name),
        dates::format_date(birth_date)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renewal::draft::tests::draft;
    use serde_json::json;
    use time::macros::{date, datetime};

    fn agent(id: &str) -> AgentRef {
        AgentRef {
            agent_id: id.into(),
            name: format!("Agent {id}"),
        }
    }

    #[test]
    fn a_superviseur_moves_releases_or_gives_a_file() {
        let at = datetime!(2026-11-25 14:00 UTC);
        let mut r = draft();
        assert_eq!(
            r.transition(Status::Submitted, super::super::ActorKind::Beneficiary, at),
            Ok(())
        );
        // Waiting for an agent: given to one, it is theirs, in review.
        assert_eq!(r.reassign(Some(agent("A1")), at), Ok(true));
        assert_eq!(r.status, Status::InReview);
        assert_eq!(r.assigned_to, Some(agent("A1")));
        // Resent: nothing changes.
        assert_eq!(r.reassign(Some(agent("A1")), at), Ok(false));
        // To another agent: same status, another holder.
        assert_eq!(r.reassign(Some(agent("A2")), at), Ok(true));
        assert_eq!(r.status, Status::InReview);
        assert_eq!(r.assigned_to, Some(agent("A2")));
        // Released: back in the queue, no one's, in the history.
        assert_eq!(r.reassign(None, at), Ok(true));
        assert_eq!(r.status, Status::Submitted);
        assert_eq!(r.assigned_to, None);
        assert_eq!(r.history.last().map(|h| h.status), Some(Status::Submitted));
        assert_eq!(r.reassign(None, at), Ok(false));
        // Waiting for documents: no one's to give.
        assert_eq!(r.reassign(Some(agent("A1")), at), Ok(true));
        assert_eq!(
            r.transition(
                Status::AwaitingDocuments,
                super::super::ActorKind::Agent,
                at
            ),
            Ok(())
        );
        let before = r.clone();
        assert_eq!(
            r.reassign(Some(agent("A3")), at),
            Err(InvalidTransition {
                from: Status::AwaitingDocuments,
                to: Status::InReview
            })
        );
        assert_eq!(
            (r.status, &r.assigned_to, r.history.len()),
            (before.status, &before.assigned_to, before.history.len())
        );
        // Back from the beneficiary with its last agent named: released, it names no one.
        assert_eq!(
            r.transition(Status::Submitted, super::super::ActorKind::Beneficiary, at),
            Ok(())
        );
        assert_eq!(r.reassign(None, at), Ok(true));
        assert_eq!(r.assigned_to, None);
    }

    #[test]
    fn reassign_bodies() {
        let ok = ReassignBody::parse(
            &json!({"version": 3, "agent_id": "A1002", "agent_name": "Claire Martin"}),
        );
        assert_eq!(
            ok,
            Ok(ReassignBody {
                version: 3,
                to: Some(AgentRef {
                    agent_id: "A1002".into(),
                    name: "Claire Martin".into()
                })
            })
        );
        assert_eq!(
            ReassignBody::parse(&json!({"version": 3, "agent_id": null})),
            Ok(ReassignBody {
                version: 3,
                to: None
            })
        );
        assert_eq!(
            ReassignBody::parse(&json!({"version": 3, "agent_id": "A1"}))
                .map(|b| b.to.map(|a| a.name)),
            Ok(Some("A1".to_owned())),
            "the number stands for the name"
        );
        let codes = |v: Value| {
            ReassignBody::parse(&v)
                .err()
                .unwrap_or_default()
                .iter()
                .map(|f| (f.field.clone(), f.code))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(json!({})),
            [
                ("version".to_owned(), "required"),
                ("agent_id".to_owned(), "required")
            ]
        );
        assert_eq!(
            codes(json!({"version": 1, "agent_id": "A 1"})),
            [("agent_id".to_owned(), "invalid_agent_id")]
        );
        assert_eq!(
            ReassignBody::parse(&json!({"version": 1, "agent_id": "A1", "agent_name": " \u{7}Claire 184057512345625 "}))
                .map(|b| b.to.map(|a| a.name)),
            Ok(Some("A1".to_owned())),
            "no NIR as a name"
        );
        assert_eq!(
            codes(json!({"version": 1, "agent_id": 7})),
            [("agent_id".to_owned(), "wrong_type")]
        );
    }

    #[test]
    fn bulk_bodies_are_bounded_and_deduplicated() {
        let b = BulkBody::parse(&json!({"action": "claim", "ids": ["a", "b", "a"]}));
        assert_eq!(
            b,
            Ok(BulkBody {
                action: BulkAction::Claim,
                ids: vec!["a".into(), "b".into()],
                to: None
            })
        );
        let many: Vec<String> = (0..=BULK_MAX).map(|i| format!("id-{i}")).collect();
        assert!(BulkBody::parse(&json!({"action": "claim", "ids": many})).is_err());
        let max: Vec<String> = (0..BULK_MAX).map(|i| format!("id-{i}")).collect();
        assert!(BulkBody::parse(&json!({"action": "claim", "ids": max})).is_ok());
        assert!(BulkBody::parse(&json!({"action": "claim", "ids": []})).is_err());
        assert!(
            BulkBody::parse(&json!({"action": "claim", "ids": ["×ø"]})).is_err(),
            "an id no file could have is refused, not looked up"
        );
        assert!(BulkBody::parse(&json!({"action": "decide", "ids": ["a"]})).is_err());
        assert!(
            BulkBody::parse(&json!({"action": "reassign", "ids": ["a"]})).is_err(),
            "agent_id required"
        );
        assert_eq!(
            BulkBody::parse(&json!({"action": "reassign", "ids": ["a"], "agent_id": null}))
                .map(|b| b.to),
            Ok(None)
        );
        assert!(
            BulkBody::parse(&json!({"action": "claim", "ids": ["a"], "agent_id": "×ø"})).is_err(),
            "a malformed agent is refused, even where unused"
        );
        assert_eq!(
            BulkBody::parse(&json!({"action": "claim", "ids": ["a"], "agent_id": "A1"}))
                .map(|b| b.to),
            Ok(None)
        );
    }

    #[test]
    fn searches_read_one_criterion() {
        assert_eq!(
            Search::parse(&json!({"receipt": " c2s-2026-0f3a9c2e1b "})),
            Ok(Search::Receipt("C2S-2026-0F3A9C2E1B".into()))
        );
        assert_eq!(
            Search::parse(&json!({"nir": "1 84 05 75 123 456 25"})),
            Nir::parse("184057512345625")
                .map(Search::Nir)
                .map_err(|_| Vec::new())
        );
        assert_eq!(
            Search::parse(&json!({"last_name": "Le Gall-Hénaff", "birth_date": "1984-05-02"})),
            Ok(Search::Identity {
                last_name: "legallhenaff".into(),
                birth_date: date!(1984 - 05 - 02)
            })
        );
        let codes = |v: Value| {
            Search::parse(&v)
                .err()
                .unwrap_or_default()
                .iter()
                .map(|f| f.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(json!({})), ["criterion_required"]);
        assert_eq!(codes(json!({"receipt": "  "})), ["criterion_required"]);
        assert_eq!(codes(json!({"last_name": "Durand"})), ["required"]);
        assert_eq!(
            codes(json!({"last_name": "Durand", "birth_date": "02/05/1984"})),
            ["invalid_date"]
        );
        assert_eq!(codes(json!({"nir": "123"})), ["invalid_nir"]);
        assert_eq!(codes(json!({"receipt": "C2S;DROP"})), ["invalid_receipt"]);
        assert_eq!(codes(json!({"receipt": 12})), ["wrong_type"]);
    }

    #[test]
    fn the_audit_never_names_the_person() {
        let Ok(s) = Search::parse(&json!({"last_name": "Durand", "birth_date": "1984-05-02"}))
        else {
            panic!("a search");
        };
        assert_eq!(s.audit_target(), "identity");
    }

    #[test]
    fn names_fold_as_a_phone_call_gives_them() {
        assert_eq!(fold_name("Le Gall-Hénaff"), "legallhenaff");
        assert_eq!(fold_name("D'ARTAGNAN"), "dartagnan");
        assert_eq!(fold_name("Cœur"), "coeur");
        assert_eq!(fold_name("Ñúñez"), "nunez");
        assert_eq!(
            identity_key("Éloïse-Durand", date!(1980 - 03 - 14)),
            "eloisedurand#1980-03-14"
        );
    }
}
