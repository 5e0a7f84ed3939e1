//! A partner's signalement or request to the caisse. The person is identified by civility,
//! names, birth date and department; no field may hold a NIR; health terms in the comment
//! are refused unless the author confirms them.

use crate::dates::parse_date;
use crate::field::{optional_bool, optional_str, FieldError};
use crate::text::{contains_nir_like, health_terms, Name};
use serde_json::Value;
use time::Date;

/// The motives of a signalement (repeated in `web/src/partner/shared.js`).
pub const MOTIVES: &[&str] = &[
    "renewal_help",
    "documents_missing",
    "no_answer",
    "rights_interrupted",
    "payment_issue",
    "contact_change",
    "language_barrier",
    "other",
];

/// Which route the body came by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `POST /api/partner/reports`: a difficulty report, with a motive.
    Signalement,
    /// `POST /api/partner/requests`: an appointment or a document (`kind` in the body).
    Other,
}

/// Why a body is refused, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestRefusal {
    /// Fields holding something shaped like a NIR (never the value itself).
    NirInFields(Vec<FieldError>),
    Invalid(Vec<FieldError>),
    /// No caisse named, and no convention in force to choose one from.
    NoConvention,
    /// The comment seems to hold health information and the author did not confirm.
    HealthTerms(Vec<&'static str>),
}

/// A signalement or request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// `signalement`, `appointment` or `document`.
    pub kind: String,
    /// The caisse it goes to.
    pub caisse: String,
    /// `madame` or `monsieur`.
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Date,
    pub department: String,
    /// Empty unless a signalement.
    pub motive: String,
    pub comment: String,
}

/// `madame` or `monsieur`, from what people type.
pub fn civility(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "madame" | "mme" => Some("madame"),
        "monsieur" | "m" | "m." => Some("monsieur"),
        _ => None,
    }
}

/// A French department code: two or three digits, or Corsica's 2A and 2B. Upper case.
pub fn department(s: &str) -> Option<String> {
    let d = s.trim().to_uppercase();
    let ok = matches!(d.len(), 2 | 3)
        && (d.bytes().all(|b| b.is_ascii_digit()) || d == "2A" || d == "2B");
    ok.then_some(d)
}

/// Whether a value holds something shaped like a NIR: a string, a number, or anything in a
/// list or an object, however deep.
fn holds_nir(v: &Value) -> bool {
    match v {
        Value::String(s) => contains_nir_like(s),
        Value::Number(n) => contains_nir_like(&n.to_string()),
        Value::Array(items) => items.iter().any(holds_nir),
        Value::Object(fields) => fields
            .iter()
            .any(|(k, v)| contains_nir_like(k) || holds_nir(v)),
        Value::Bool(_) | Value::Null => false,
    }
}

/// The top-level fields holding something shaped like a NIR, anywhere in their value.
pub fn fields_with_nir(body: &Value) -> Vec<FieldError> {
    body.as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| holds_nir(v))
        .map(|(k, _)| {
            FieldError::new(
                k.clone(),
                "nir_not_allowed",
                "Retirez le numéro de sécurité sociale de ce champ.",
            )
        })
        .collect()
}

impl NewRequest {
    /// `active_caisses` are those the organisation has a convention in force with today,
    /// the first one being the default when the body names none.
    pub fn parse(
        body: &Value,
        kind: RequestKind,
        today: Date,
        active_caisses: &[String],
    ) -> Result<NewRequest, RequestRefusal> {
        let with_nir = fields_with_nir(body);
        if !with_nir.is_empty() {
            return Err(RequestRefusal::NirInFields(with_nir));
        }
        let text = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or("")
                .to_owned()
        };
        let mut errors = Vec::new();
        // Optional, but never of another type.
        errors.extend(optional_str(body, "comment").err());
        errors.extend(optional_str(body, "caisse").err());
        errors.extend(optional_bool(body, "confirm").err());
        let kind = match kind {
            RequestKind::Signalement => "signalement".to_owned(),
            RequestKind::Other => match text("kind").as_str() {
                k @ ("appointment" | "document") => k.to_owned(),
                _ => {
                    errors.push(FieldError::new(
                        "kind",
                        "invalid_enum",
                        "Le type de demande doit être appointment ou document.",
                    ));
                    String::new()
                }
            },
        };
        let civility = civility(&text("civility")).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "civility",
                "invalid_enum",
                "La civilité doit être madame ou monsieur.",
            ));
            ""
        });
        let last = Name::parse(&text("last_name"));
        let first = Name::parse(&text("first_name"));
        if last.is_none() {
            errors.push(FieldError::new(
                "last_name",
                "invalid_name",
                "Indiquez le nom, en lettres.",
            ));
        }
        if first.is_none() {
            errors.push(FieldError::new(
                "first_name",
                "invalid_name",
                "Indiquez le prénom, en lettres.",
            ));
        }
        let birth = parse_date(&text("birth_date"))
            .ok()
            .filter(|d| *d <= today && d.year() >= 1890);
        if birth.is_none() {
            errors.push(FieldError::new(
                "birth_date",
                "invalid_date",
                "Indiquez une date de naissance réelle, au format AAAA-MM-JJ.",
            ));
        }
        let department = department(&text("department")).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "department",
                "invalid_department",
                "Indiquez le département (deux ou trois chiffres, 2A, 2B).",
            ));
            text("department").to_uppercase()
        });
        let motive = text("motive");
        if kind == "signalement" && !MOTIVES.contains(&motive.as_str()) {
            errors.push(FieldError::new(
                "motive",
                "invalid_enum",
                "Choisissez un motif dans la liste.",
            ));
        }
        let comment = text("comment");
        if comment.chars().count() > 1000 {
            errors.push(FieldError::new(
                "comment",
                "too_long",
                "Le commentaire est limité à 1000 caractères.",
            ));
        }
        let caisse = match body.get("caisse").and_then(Value::as_str) {
            Some(cs) if active_caisses.iter().any(|x| x == cs) => Some(cs.to_owned()),
            Some(_) => {
                errors.push(FieldError::new(
                    "caisse",
                    "no_convention",
                    "Votre organisme n'a pas de convention en vigueur avec cette caisse.",
                ));
                None
            }
            None => active_caisses.first().cloned(),
        };
        if !errors.is_empty() {
            return Err(RequestRefusal::Invalid(errors));
        }
        // Without errors, names and birth date are there: only the caisse may be missing.
        let (Some(last), Some(first), Some(birth_date), Some(caisse)) =
            (last, first, birth, caisse)
        else {
            return Err(RequestRefusal::NoConvention);
        };
        let terms = health_terms(&comment);
        if !terms.is_empty() && body.get("confirm").and_then(Value::as_bool) != Some(true) {
            return Err(RequestRefusal::HealthTerms(terms));
        }
        Ok(NewRequest {
            kind,
            caisse,
            civility: civility.to_owned(),
            last_name: last.as_str().to_owned(),
            first_name: first.as_str().to_owned(),
            birth_date,
            department,
            motive,
            comment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 30);

    fn caisses() -> Vec<String> {
        vec!["rouen".into(), "le-havre".into()]
    }

    fn report() -> Value {
        json!({"civility": "Mme", "last_name": "Durand", "first_name": "Marie", "birth_date": "1984-05-12",
               "department": "2a", "motive": "no_answer", "comment": " Pas de réponse depuis un mois. "})
    }

    fn parse(body: &Value, kind: RequestKind) -> Result<NewRequest, RequestRefusal> {
        NewRequest::parse(body, kind, TODAY, &caisses())
    }

    fn invalid(body: &Value, kind: RequestKind) -> Vec<String> {
        match parse(body, kind) {
            Err(RequestRefusal::Invalid(e)) => e
                .into_iter()
                .map(|e| format!("{}:{}", e.field, e.code))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn optional_fields_of_another_type_are_refused() {
        let mut b = report();
        b["comment"] = json!(3);
        b["caisse"] = json!(["rouen"]);
        b["confirm"] = json!("yes");
        assert_eq!(
            invalid(&b, RequestKind::Signalement),
            [
                "comment:wrong_type",
                "caisse:wrong_type",
                "confirm:wrong_type"
            ]
        );
    }

    #[test]
    fn a_signalement_goes_to_the_first_caisse_by_default() {
        let r = parse(&report(), RequestKind::Signalement);
        let Ok(r) = r else { panic!("{r:?}") };
        assert_eq!(
            (r.kind.as_str(), r.caisse.as_str()),
            ("signalement", "rouen")
        );
        assert_eq!(
            (r.civility.as_str(), r.department.as_str()),
            ("madame", "2A")
        );
        assert_eq!(r.comment, "Pas de réponse depuis un mois.");
        let mut b = report();
        b["caisse"] = json!("le-havre");
        assert_eq!(
            parse(&b, RequestKind::Signalement).map(|r| r.caisse),
            Ok("le-havre".into())
        );
    }

    #[test]
    fn a_request_says_its_kind_and_needs_no_motive() {
        let mut b = report();
        b["kind"] = json!("document");
        b["motive"] = json!("anything");
        assert_eq!(
            parse(&b, RequestKind::Other).map(|r| r.kind),
            Ok("document".into())
        );
        b["kind"] = json!("visit");
        assert_eq!(invalid(&b, RequestKind::Other), ["kind:invalid_enum"]);
        assert_eq!(civility(" M. "), Some("monsieur"));
        assert_eq!(department("976").as_deref(), Some("976"));
        assert_eq!(department("2C"), None);
    }

    #[test]
    fn a_nir_anywhere_is_refused_first() {
        let mut b = report();
        b["comment"] = json!("son numéro 1 84 05 75 123 456 78");
        b["last_name"] = json!("");
        b["note"] = json!(184057512345678u64);
        let Err(RequestRefusal::NirInFields(fields)) = parse(&b, RequestKind::Signalement) else {
            panic!("not refused for the NIR")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["comment", "note"]);
    }

    #[test]
    fn every_refused_field_is_named() {
        let b = json!({"civility": "docteur", "last_name": "D4", "first_name": "", "birth_date": "2027-01-01",
                       "department": "7", "motive": "boredom", "comment": "x".repeat(1001), "caisse": "paris"});
        assert_eq!(
            invalid(&b, RequestKind::Signalement),
            [
                "civility:invalid_enum",
                "last_name:invalid_name",
                "first_name:invalid_name",
                "birth_date:invalid_date",
                "department:invalid_department",
                "motive:invalid_enum",
                "comment:too_long",
                "caisse:no_convention"
            ]
        );
    }

    #[test]
    fn without_a_convention_in_force_nothing_is_sent() {
        assert_eq!(
            NewRequest::parse(&report(), RequestKind::Signalement, TODAY, &[]),
            Err(RequestRefusal::NoConvention)
        );
        // A field error still answers first.
        let mut b = report();
        b["civility"] = json!("");
        assert!(matches!(
            NewRequest::parse(&b, RequestKind::Signalement, TODAY, &[]),
            Err(RequestRefusal::Invalid(_))
        ));
    }

    #[test]
    fn health_terms_need_a_confirmation() {
        let mut b = report();
        b["comment"] = json!("Elle suit une chimiothérapie et ne peut pas se déplacer.");
        let Err(RequestRefusal::HealthTerms(terms)) = parse(&b, RequestKind::Signalement) else {
            panic!("health terms not caught")
        };
        assert!(!terms.is_empty());
        b["confirm"] = json!(true);
        assert!(parse(&b, RequestKind::Signalement).is_ok());
    }
}
