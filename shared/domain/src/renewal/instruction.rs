//! What an agent does on a file (claim, ask for documents, decide, note): the bodies of those
//! routes, checked in the order the handlers answered before, and the changes they make.

use super::form::participation_by_age;
use super::{
    rights_period, ActorKind, AgentRef, Decision, DecisionOutcome, InvalidTransition, Renewal,
    Status, REASON_CODES,
};
use crate::dates;
use crate::document::DocumentKind;
use crate::eligibility::Parameters;
use crate::field::{optional_str, FieldError};
use crate::text::{contains_nir_like, health_terms};
use serde_json::Value;
use time::{Date, OffsetDateTime};

/// Why an agent's body is refused. Each body stops at its first refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentRefusal {
    Invalid(Vec<FieldError>),
    /// An unknown reason, or none for a rejection: answered with the list of reasons.
    Reason(Vec<FieldError>),
    /// A text holds something shaped like a NIR.
    NirNotAllowed,
}

/// `version`, required, a whole number.
pub fn required_version(body: &Value) -> Result<u64, AgentRefusal> {
    body.get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| AgentRefusal::Invalid(vec![FieldError::required("version")]))
}

/// A free text of an agent (note, message to the beneficiary): 1 to `max` characters once
/// trimmed, no NIR. Gives the health terms found, which only warn.
pub fn agent_text(field: &str, text: &str, max: usize) -> Result<Vec<&'static str>, AgentRefusal> {
    let n = text.trim().chars().count();
    if n == 0 || n > max {
        return Err(AgentRefusal::Invalid(vec![FieldError::new(
            field,
            "invalid_length",
            "Le texte est vide ou trop long.",
        )]));
    }
    if contains_nir_like(text) {
        return Err(AgentRefusal::NirNotAllowed);
    }
    Ok(health_terms(text))
}

/// A `POST …/request-documents` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRequest {
    pub version: u64,
    pub kinds: Vec<DocumentKind>,
    /// The message as typed, if any.
    pub message: Option<String>,
}

impl DocumentRequest {
    pub fn parse(body: &Value) -> Result<DocumentRequest, AgentRefusal> {
        let version = required_version(body)?;
        let kinds: Option<Vec<DocumentKind>> = body
            .get("items")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty() && a.len() <= 10)
            .and_then(|a| {
                a.iter()
                    .map(|k| k.as_str().and_then(DocumentKind::parse))
                    .collect()
            });
        let Some(kinds) = kinds else {
            return Err(AgentRefusal::Invalid(vec![FieldError::new(
                "items",
                "invalid_items",
                "Indiquez de 1 à 10 types de pièces de la liste.",
            )]));
        };
        let message = optional_str(body, "message")
            .map_err(|e| AgentRefusal::Invalid(vec![e]))?
            .unwrap_or("");
        if !message.is_empty() {
            agent_text("message", message, 1000)?;
        }
        Ok(DocumentRequest {
            version,
            kinds,
            message: (!message.is_empty()).then(|| message.to_owned()),
        })
    }
}

/// A `POST …/decision` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionBody {
    pub version: u64,
    pub outcome: DecisionOutcome,
    pub reason_code: Option<String>,
    /// The participation the agent states (0 or null: none), allowed only where no age table
    /// gives the amount, and then bounded (`Renewal::decide`).
    pub monthly_participation_cents: Option<i64>,
}

impl DecisionBody {
    pub fn parse(body: &Value) -> Result<DecisionBody, AgentRefusal> {
        let version = required_version(body)?;
        let outcome: Option<DecisionOutcome> = body
            .get("outcome")
            .and_then(|o| serde_json::from_value(o.clone()).ok());
        let Some(outcome) = outcome else {
            return Err(AgentRefusal::Invalid(vec![FieldError::new(
                "outcome",
                "invalid_enum",
                "La décision doit être free, participation ou rejected.",
            )]));
        };
        let reason_code = optional_str(body, "reason_code")
            .map_err(|e| AgentRefusal::Invalid(vec![e]))?
            .map(str::to_owned);
        if reason_code
            .as_deref()
            .is_some_and(|r| !REASON_CODES.contains(&r))
            || (outcome == DecisionOutcome::Rejected && reason_code.is_none())
        {
            return Err(AgentRefusal::Reason(vec![FieldError::new(
                "reason_code",
                "invalid_reason",
                "Choisissez un motif de la liste (obligatoire pour un rejet).",
            )]));
        }
        let monthly_participation_cents = match body.get("monthly_participation_cents") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                AgentRefusal::Invalid(vec![FieldError::wrong_type("monthly_participation_cents")])
            })?),
        }
        .filter(|a| *a != 0);
        Ok(DecisionBody {
            version,
            outcome,
            reason_code,
            monthly_participation_cents,
        })
    }
}

/// A `POST …/notes` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteBody {
    /// Trimmed.
    pub text: String,
    /// Health terms found: the note is kept, with a warning.
    pub health_terms: Vec<&'static str>,
}

impl NoteBody {
    pub fn parse(body: &Value) -> Result<NoteBody, AgentRefusal> {
        let text = body.get("text").and_then(Value::as_str).unwrap_or("");
        let health_terms = agent_text("text", text, 2000)?;
        Ok(NoteBody {
            text: text.trim().to_owned(),
            health_terms,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    /// A participation was decided, but neither the agent nor the age table gives its amount.
    #[error("participation amount required")]
    ParticipationRequired,
    /// The agent stated an amount though the age table gives one: the table's is the
    /// amount of the scale, not the agent's to change.
    #[error("participation amount computed by the engine")]
    ParticipationNotAllowed,
    /// The stated amount is not above 0 and at most `max_cents` (the household's ceiling).
    #[error("participation amount out of range")]
    ParticipationOutOfRange { max_cents: i64 },
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
}

impl Renewal {
    /// The agent takes the submitted file.
    pub fn claim(&mut self, agent: AgentRef, at: OffsetDateTime) -> Result<(), InvalidTransition> {
        self.transition(Status::InReview, ActorKind::Agent, at)?;
        self.assigned_to = Some(agent);
        Ok(())
    }

    /// The agent asks for documents: the file waits for them, out of the agents' work.
    pub fn request_documents(
        &mut self,
        request: &DocumentRequest,
        at: OffsetDateTime,
    ) -> Result<(), InvalidTransition> {
        self.transition(Status::AwaitingDocuments, ActorKind::Agent, at)?;
        self.requested_documents = request.kinds.clone();
        self.requested_message = request.message.clone();
        Ok(())
    }

    /// Records the decision, with its rights period, and queues it for the national system
    /// (every decision is exported once). A participation is the age table's amount for the
    /// foyer on the request day, whatever the ceilings (`participation_by_age`); only where no
    /// age table gives one, the agent's, bounded by the household's ceiling (`params`'
    /// highest monthly amount for each member).
    pub fn decide(
        &mut self,
        d: &DecisionBody,
        params: &Parameters,
        agent_id: &str,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<(), DecideError> {
        let submitted_on = self.complete_on.unwrap_or(self.request_day);
        let (start, end) = rights_period(self.css_end_date, submitted_on, today);
        let participation = match d.outcome {
            DecisionOutcome::Participation => {
                let proposed = participation_by_age(&self.form, self.request_day, params)
                    .map(|a| a.monthly_cents)
                    .filter(|a| *a > 0);
                match (d.monthly_participation_cents, proposed) {
                    (Some(_), Some(_)) => return Err(DecideError::ParticipationNotAllowed),
                    (None, Some(amount)) => amount,
                    (None, None) => return Err(DecideError::ParticipationRequired),
                    (Some(stated), None) => {
                        let members = self.form.household.as_ref().map_or(1, Vec::len);
                        let max_cents = params.participation_ceiling_cents(members);
                        if stated <= 0 || stated > max_cents {
                            return Err(DecideError::ParticipationOutOfRange { max_cents });
                        }
                        stated
                    }
                }
            }
            _ => 0,
        };
        let approved = d.outcome != DecisionOutcome::Rejected;
        let status = if approved {
            Status::Approved
        } else {
            Status::Rejected
        };
        self.transition(status, ActorKind::Agent, now)?;
        self.decision = Some(Decision {
            outcome: d.outcome,
            reason_code: d.reason_code.clone(),
            rights_start: approved.then_some(start),
            rights_end: approved.then_some(end),
            monthly_participation_cents: participation,
            decided_at: now,
            agent_id: agent_id.to_owned(),
        });
        self.export_pending = Some("pending".into());
        self.export_key = Some(format!("{}#{}", dates::format_instant(now), self.id));
        self.export_batch = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renewal::draft::tests::draft;
    use serde_json::json;
    use time::macros::{date, datetime};

    fn fields(e: AgentRefusal) -> Vec<String> {
        match e {
            AgentRefusal::Invalid(f) | AgentRefusal::Reason(f) => f
                .into_iter()
                .map(|e| format!("{}:{}", e.field, e.code))
                .collect(),
            AgentRefusal::NirNotAllowed => vec!["nir".into()],
        }
    }

    #[test]
    fn a_document_request_checks_version_items_then_message() {
        let bad = |b: Value| DocumentRequest::parse(&b).map_err(fields).err();
        assert_eq!(
            bad(json!({"items": ["payslip"]})),
            Some(vec!["version:required".into()])
        );
        assert_eq!(
            bad(json!({"version": 2, "items": []})),
            Some(vec!["items:invalid_items".into()])
        );
        assert_eq!(
            bad(json!({"version": 2, "items": ["selfie"]})),
            Some(vec!["items:invalid_items".into()])
        );
        assert_eq!(
            bad(json!({"version": 2, "items": ["payslip"], "message": "   "})),
            Some(vec!["message:invalid_length".into()])
        );
        assert_eq!(
            bad(json!({"version": 2, "items": ["payslip"], "message": "NIR 184057512345678"})),
            Some(vec!["nir".into()])
        );
        let ok = DocumentRequest::parse(
            &json!({"version": 2, "items": ["payslip", "rent_receipt"], "message": " Merci "}),
        );
        assert_eq!(
            ok,
            Ok(DocumentRequest {
                version: 2,
                kinds: vec![DocumentKind::Payslip, DocumentKind::RentReceipt],
                message: Some(" Merci ".into())
            })
        );
        let none =
            DocumentRequest::parse(&json!({"version": 2, "items": ["payslip"], "message": ""}));
        assert_eq!(none.map(|r| r.message), Ok(None));
    }

    #[test]
    fn a_decision_needs_an_outcome_and_a_listed_reason() {
        let bad = |b: Value| DecisionBody::parse(&b).err();
        assert_eq!(
            bad(json!({"outcome": "free"})).map(fields),
            Some(vec!["version:required".into()])
        );
        assert_eq!(
            bad(json!({"version": 1, "outcome": "maybe"})).map(fields),
            Some(vec!["outcome:invalid_enum".into()])
        );
        assert!(matches!(
            bad(json!({"version": 1, "outcome": "rejected"})),
            Some(AgentRefusal::Reason(_))
        ));
        assert!(matches!(
            bad(json!({"version": 1, "outcome": "free", "reason_code": "whim"})),
            Some(AgentRefusal::Reason(_))
        ));
        let d = DecisionBody::parse(
            &json!({"version": 1, "outcome": "participation", "monthly_participation_cents": 0}),
        );
        assert_eq!(
            d.map(|d| (d.outcome, d.reason_code, d.monthly_participation_cents)),
            Ok((DecisionOutcome::Participation, None, None))
        );
    }

    #[test]
    fn a_note_is_trimmed_and_warns_of_health_terms() {
        assert_eq!(
            NoteBody::parse(&json!({})).map_err(fields),
            Err(vec!["text:invalid_length".into()])
        );
        assert_eq!(
            NoteBody::parse(&json!({"text": "x".repeat(2001)})).map_err(fields),
            Err(vec!["text:invalid_length".into()])
        );
        let n = NoteBody::parse(&json!({"text": "  Appelée ce matin.  "}));
        assert_eq!(
            n,
            Ok(NoteBody {
                text: "Appelée ce matin.".into(),
                health_terms: vec![]
            })
        );
    }

    fn in_review() -> Renewal {
        let mut r = draft();
        let at = datetime!(2026-11-25 14:00 UTC);
        assert!(r
            .transition(Status::Submitted, ActorKind::Beneficiary, at)
            .is_ok());
        r.mark_complete(at.date());
        let agent = AgentRef {
            agent_id: "agent-1".into(),
            name: "Paul Martin".into(),
        };
        assert_eq!(r.claim(agent, at), Ok(()));
        r
    }

    #[test]
    fn a_claim_and_a_request_for_documents_follow_the_state_machine() {
        let mut r = in_review();
        assert_eq!(r.status, Status::InReview);
        assert_eq!(
            r.assigned_to.as_ref().map(|a| a.agent_id.as_str()),
            Some("agent-1")
        );
        let at = datetime!(2026-11-26 09:00 UTC);
        let ask = DocumentRequest {
            version: 3,
            kinds: vec![DocumentKind::Payslip],
            message: None,
        };
        assert_eq!(r.request_documents(&ask, at), Ok(()));
        assert_eq!(
            (r.status, r.requested_documents.len()),
            (Status::AwaitingDocuments, 1)
        );
        assert!(r.request_documents(&ask, at).is_err());
        let other = AgentRef {
            agent_id: "agent-2".into(),
            name: "Autre".into(),
        };
        assert!(r.claim(other, at).is_err());
        assert_eq!(
            r.assigned_to.as_ref().map(|a| a.agent_id.as_str()),
            Some("agent-1")
        );
    }

    fn params() -> &'static Parameters {
        Parameters::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    /// In review, its suggested household confirmed: Marie (41 on 1 January 2026, 14 € a
    /// month) and Léa (13, 8 €).
    fn confirmed() -> Renewal {
        let mut r = in_review();
        r.form.household = Some(r.suggested_household.clone());
        r
    }

    #[test]
    fn a_stated_participation_only_where_no_age_table_gives_one_and_bounded() {
        let now = datetime!(2026-12-10 10:00 UTC);
        let stating = |cents| DecisionBody {
            version: 4,
            outcome: DecisionOutcome::Participation,
            reason_code: None,
            monthly_participation_cents: Some(cents),
        };
        let decide = |r: &mut Renewal, cents| {
            r.decide(&stating(cents), params(), "agent-1", now.date(), now)
        };
        // The age table gives an amount: the agent may not state another, nor the same.
        let mut r = confirmed();
        assert_eq!(
            decide(&mut r, 900),
            Err(DecideError::ParticipationNotAllowed)
        );
        assert_eq!(
            decide(&mut r, 2200),
            Err(DecideError::ParticipationNotAllowed)
        );
        // A request from before the C2S (no age table covers it): above 0, at most 30 € for
        // each member.
        r.request_day = date!(2019 - 10 - 01);
        let max_cents = 3000 * 2;
        for cents in [-1, max_cents + 1, i64::MAX] {
            assert_eq!(
                decide(&mut r, cents),
                Err(DecideError::ParticipationOutOfRange { max_cents }),
                "{cents}"
            );
        }
        assert_eq!(r.status, Status::InReview, "nothing changed");
        assert_eq!(decide(&mut r, max_cents), Ok(()));
        assert_eq!(
            r.decision.map(|d| d.monthly_participation_cents),
            Some(max_cents)
        );
        // 0 states nothing, as null does.
        let zero = DecisionBody::parse(
            &json!({"version": 1, "outcome": "participation", "monthly_participation_cents": 0}),
        );
        assert_eq!(zero.map(|d| d.monthly_participation_cents), Ok(None));
        let negative = DecisionBody::parse(
            &json!({"version": 1, "outcome": "participation", "monthly_participation_cents": -5}),
        );
        assert_eq!(
            negative.map(|d| d.monthly_participation_cents),
            Ok(Some(-5))
        );
    }

    #[test]
    fn a_participation_decision_takes_the_age_table_whatever_the_ceilings() {
        let now = datetime!(2026-12-10 10:00 UTC);
        let participation = DecisionBody {
            version: 4,
            outcome: DecisionOutcome::Participation,
            reason_code: None,
            monthly_participation_cents: None,
        };
        // Filed in 2027 after April, when no ceilings are known: 14 € + 8 € all the same.
        for day in [date!(2026 - 11 - 25), date!(2027 - 06 - 01)] {
            let mut r = confirmed();
            r.request_day = day;
            assert_eq!(
                r.decide(&participation, params(), "agent-1", now.date(), now),
                Ok(()),
                "{day}"
            );
            assert_eq!(
                r.decision.map(|d| d.monthly_participation_cents),
                Some(2200)
            );
        }
        // Neither the table (no confirmed household) nor the agent gives it.
        let mut r = in_review();
        assert_eq!(
            r.decide(&participation, params(), "agent-1", now.date(), now),
            Err(DecideError::ParticipationRequired)
        );
        r.request_day = date!(2019 - 10 - 01);
        r.form.household = Some(r.suggested_household.clone());
        assert_eq!(
            r.decide(&participation, params(), "agent-1", now.date(), now),
            Err(DecideError::ParticipationRequired)
        );
        assert_eq!(r.status, Status::InReview, "nothing changed");
    }

    #[test]
    fn a_decision_records_rights_and_goes_to_export() {
        let now = datetime!(2026-12-10 10:00 UTC);
        let body = |outcome, cents| DecisionBody {
            version: 4,
            outcome,
            reason_code: None,
            monthly_participation_cents: cents,
        };
        let mut r = confirmed();
        assert_eq!(
            r.decide(
                &body(DecisionOutcome::Participation, None),
                params(),
                "agent-1",
                now.date(),
                now
            ),
            Ok(())
        );
        let d = r.decision.clone();
        assert_eq!(
            d.as_ref().map(|d| d.monthly_participation_cents),
            Some(2200)
        );
        // In time (before the rights end on 2027-01-31): they follow on.
        assert_eq!(
            d.as_ref().and_then(|d| d.rights_start),
            Some(date!(2027 - 02 - 01))
        );
        assert_eq!(r.status, Status::Approved);
        assert_eq!(r.export_pending.as_deref(), Some("pending"));
        assert_eq!(r.export_key.as_deref(), Some("2026-12-10T10:00:00Z#r-1"));

        let mut r = in_review();
        r.export_batch = Some("old".into());
        let rejected = DecisionBody {
            reason_code: Some("over_ceiling".into()),
            ..body(DecisionOutcome::Rejected, Some(5))
        };
        assert_eq!(
            r.decide(&rejected, params(), "agent-1", now.date(), now),
            Ok(())
        );
        let d = r.decision.clone();
        assert_eq!(
            d.as_ref()
                .map(|d| (d.rights_start, d.monthly_participation_cents)),
            Some((None, 0))
        );
        assert_eq!((r.status, r.export_batch.clone()), (Status::Rejected, None));
        assert!(
            r.decide(&rejected, params(), "agent-1", now.date(), now)
                .is_err(),
            "decided once"
        );
    }
}
