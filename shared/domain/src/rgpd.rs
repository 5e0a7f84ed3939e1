//! Data-subject rights (RGPD chapter III) and data breaches (art. 33): the kinds of request
//! the DPO registers, their due dates, what their bodies hold, and a breach's deadlines.

pub mod erasure;
pub mod rectification;

use crate::dates::add_months;
use crate::FieldError;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

/// What the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Access,
    Rectification,
    Restriction,
    Opposition,
    Erasure,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Restriction => "restriction",
            RequestKind::Opposition => "opposition",
            RequestKind::Erasure => "erasure",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Answered: nothing more to do.
    Done,
    /// A limitation or an opposition that holds until lifted.
    InEffect,
    /// A limitation lifted.
    Lifted,
}

/// The controller answers within one month of receipt (RGPD art. 12.3). A month runs to the
/// same day of the next month, or to its last day when it has none (regulation 1182/71,
/// art. 3.2.c): 31 January gives 28 (or 29) February.
pub fn due_on(received_on: Date) -> Date {
    add_months(received_on, 1)
}

/// A partner tells the caisse of a breach within 48 hours (the convention, art. 8).
pub const PARTNER_NOTICE_HOURS: i64 = 48;
/// The caisse notifies the CNIL within 72 hours of becoming aware of it (RGPD art. 33.1).
pub const CNIL_NOTICE_HOURS: i64 = 72;

/// A breach's deadlines from the moment it was detected: (tell the caisse, notify the CNIL).
pub fn incident_deadlines(detected_at: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    (
        detected_at + Duration::hours(PARTNER_NOTICE_HOURS),
        detected_at + Duration::hours(CNIL_NOTICE_HOURS),
    )
}

/// A breach's declaration: what happened, and when it was detected (RFC 3339, not in the
/// future beyond a few minutes of clock skew).
pub fn parse_incident(
    body: &serde_json::Value,
    now: OffsetDateTime,
) -> Result<(String, OffsetDateTime), Vec<FieldError>> {
    let description = required_text(body, "description");
    let detected_at = match body.get("detected_at").and_then(serde_json::Value::as_str) {
        None => Err(FieldError::required("detected_at")),
        Some(s) => match OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
            Ok(t) if t <= now + Duration::minutes(5) => Ok(t),
            Ok(_) => Err(FieldError::new(
                "detected_at",
                "in_the_future",
                "La date de détection ne peut pas être dans le futur.",
            )),
            Err(_) => Err(FieldError::new(
                "detected_at",
                "invalid_instant",
                "La date de détection doit être une date et heure (RFC 3339).",
            )),
        },
    };
    match (description, detected_at) {
        (Ok(d), Ok(t)) => Ok((d, t)),
        (d, t) => Err(d.err().into_iter().chain(t.err()).collect()),
    }
}

/// The longest reason or description kept.
const MAX_TEXT: usize = 2000;

/// A required free text of `body` (`reason`, `description`): trimmed, 1 to 2000 characters.
pub fn required_text(body: &serde_json::Value, key: &str) -> Result<String, FieldError> {
    match body.get(key) {
        None | Some(serde_json::Value::Null) => Err(FieldError::required(key)),
        Some(serde_json::Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                Err(FieldError::required(key))
            } else if s.chars().count() > MAX_TEXT {
                Err(FieldError::new(
                    key,
                    "too_long",
                    "Ce texte dépasse 2000 caractères.",
                ))
            } else {
                Ok(s.to_owned())
            }
        }
        Some(_) => Err(FieldError::wrong_type(key)),
    }
}

/// What an opposition may stop: only what the service does by choice. Everything else it
/// does is required by law (CSS L861-1 and following: instruction, decision, its notice,
/// the exchange with the national system), to which art. 21 gives no right to object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OppositionScope {
    /// The reminders that rights end soon and that a draft is idle.
    Reminders,
}

impl OppositionScope {
    pub fn parse(body: &serde_json::Value) -> Result<OppositionScope, FieldError> {
        match body.get("scope").and_then(serde_json::Value::as_str) {
            Some("reminders") => Ok(OppositionScope::Reminders),
            None => Err(FieldError::required("scope")),
            Some(_) => Err(FieldError::new(
                "scope",
                "invalid_enum",
                "L'opposition ne peut porter que sur les rappels (scope « reminders ») : le reste du traitement est imposé par la loi.",
            )),
        }
    }
}

/// The person's choices the service must respect in every processing: a limitation in
/// effect (art. 18) and the oppositions made (art. 21).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectChoices {
    #[serde(default)]
    pub restricted: bool,
    #[serde(default)]
    pub opposed_reminders: bool,
}

impl SubjectChoices {
    /// Whether the person may be sent a reminder (a choice of the service, never a duty).
    pub fn reminders_allowed(&self) -> bool {
        !self.restricted && !self.opposed_reminders
    }
}

/// What an agent opens a file for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileUse {
    /// To read it (the file, a document, its conversation).
    Read,
    /// To process it: claim, ask for documents, decide, annotate, write, reassign.
    Process,
}

/// Whether an agent may open a file, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    Allowed,
    /// The person's processing is limited (art. 18): kept, but opened by no one else.
    Restricted,
    /// Not the caller's to open (a DPO reads only the files in their care).
    Forbidden,
}

/// Who opens a file while a limitation holds (art. 18.2: the data are then only kept): no
/// one processes it, and only the DPO reads it, to answer the person and to lift the
/// limitation. Otherwise the files are the instruction's (`instructs`: instructeur or
/// superviseur), not the DPO's, who reads everything a person has through their access right.
pub fn opening(restricted: bool, use_: FileUse, instructs: bool, dpo: bool) -> Opening {
    match (restricted, use_) {
        (true, FileUse::Read) if dpo => Opening::Allowed,
        (true, _) => Opening::Restricted,
        (false, _) if instructs => Opening::Allowed,
        (false, _) => Opening::Forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::{date, datetime};

    #[test]
    fn a_month_runs_to_the_same_day_or_the_last_of_a_shorter_month() {
        assert_eq!(due_on(date!(2026 - 12 - 02)), date!(2027 - 01 - 02));
        assert_eq!(due_on(date!(2027 - 01 - 31)), date!(2027 - 02 - 28));
        assert_eq!(due_on(date!(2028 - 01 - 31)), date!(2028 - 02 - 29));
        assert_eq!(due_on(date!(2026 - 03 - 31)), date!(2026 - 04 - 30));
        assert_eq!(due_on(date!(2026 - 02 - 28)), date!(2026 - 03 - 28));
        assert_eq!(due_on(date!(2026 - 12 - 31)), date!(2027 - 01 - 31));
    }

    #[test]
    fn a_breach_gives_48_hours_to_the_partner_and_72_to_the_caisse() {
        let (caisse, cnil) = incident_deadlines(datetime!(2026-12-31 22:30 UTC));
        assert_eq!(caisse, datetime!(2027-01-02 22:30 UTC));
        assert_eq!(cnil, datetime!(2027-01-03 22:30 UTC));
    }

    #[test]
    fn texts_are_required_trimmed_and_bounded() {
        assert_eq!(
            required_text(&json!({"reason": "  courrier du 1er  "}), "reason"),
            Ok("courrier du 1er".to_owned())
        );
        for body in [json!({}), json!({"reason": " "}), json!({"reason": null})] {
            assert_eq!(
                required_text(&body, "reason").map_err(|e| e.code),
                Err("required")
            );
        }
        let long = "a".repeat(2001);
        assert_eq!(
            required_text(&json!({ "reason": long }), "reason").map_err(|e| e.code),
            Err("too_long")
        );
        assert!(required_text(&json!({"reason": 3}), "reason").is_err());
    }

    #[test]
    fn a_breach_is_described_and_dated_in_the_past() {
        let now = datetime!(2026-12-02 10:00 UTC);
        let ok = parse_incident(
            &json!({"description": "Courriel mal adressé", "detected_at": "2026-12-02T09:00:00+01:00"}),
            now,
        );
        assert_eq!(
            ok,
            Ok((
                "Courriel mal adressé".to_owned(),
                datetime!(2026-12-02 08:00 UTC)
            ))
        );
        let codes = |body| {
            parse_incident(&body, now)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(json!({})), ["required", "required"]);
        assert_eq!(
            codes(json!({"description": "x", "detected_at": "hier"})),
            ["invalid_instant"]
        );
        assert_eq!(
            codes(json!({"description": "x", "detected_at": "2026-12-03T10:00:00Z"})),
            ["in_the_future"]
        );
    }

    #[test]
    fn only_reminders_can_be_opposed() {
        assert_eq!(
            OppositionScope::parse(&json!({"scope": "reminders"})),
            Ok(OppositionScope::Reminders)
        );
        assert_eq!(
            OppositionScope::parse(&json!({"scope": "decisions"})).map_err(|e| e.code),
            Err("invalid_enum")
        );
        assert!(OppositionScope::parse(&json!({})).is_err());
    }

    #[test]
    fn a_limitation_or_an_opposition_stops_reminders() {
        assert!(SubjectChoices::default().reminders_allowed());
        for c in [
            SubjectChoices {
                restricted: true,
                opposed_reminders: false,
            },
            SubjectChoices {
                restricted: false,
                opposed_reminders: true,
            },
        ] {
            assert!(!c.reminders_allowed());
        }
    }

    #[test]
    fn a_limited_file_is_read_by_the_dpo_alone_and_processed_by_no_one() {
        use FileUse::{Process, Read};
        // (restricted, use, instructs, dpo) → opening
        let cases = [
            ((true, Read, true, false), Opening::Restricted),
            ((true, Process, true, false), Opening::Restricted),
            ((true, Read, false, true), Opening::Allowed),
            ((true, Read, true, true), Opening::Allowed),
            ((true, Process, true, true), Opening::Restricted),
            ((false, Read, true, false), Opening::Allowed),
            ((false, Process, true, true), Opening::Allowed),
            ((false, Read, false, true), Opening::Forbidden),
        ];
        for ((restricted, use_, instructs, dpo), expected) in cases {
            assert_eq!(
                opening(restricted, use_, instructs, dpo),
                expected,
                "{restricted} {use_:?} {instructs} {dpo}"
            );
        }
    }
}
