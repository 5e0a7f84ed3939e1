//! A partner's signalement or request to the caisse. The person is identified by civility,
//! names, birth date and department; no field may hold a NIR; health terms in the comment
//! are refused unless the author confirms them.

use crate::dates::parse_date;
use crate::field::{optional_bool, optional_str, FieldError};
use crate::partner::catalogue;
use crate::text::{contains_nir_like, health_terms, Name};
use serde_json::Value;
use time::Date;

/// Which route the body came by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `POST /api/partner/reports`: a difficulty report, with a motive and an urgency.
    Signalement,
    /// `POST /api/partner/requests`: contact, document, appointment or dossier (`kind` in
    /// the body).
    Other,
}

/// Why a body is refused, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestRefusal {
    /// Fields holding something shaped like a NIR (never the value itself).
    NirInFields(Vec<FieldError>),
    /// The motive is not one of the catalogue's for that kind; every field refused is named.
    InvalidMotive(Vec<FieldError>),
    Invalid(Vec<FieldError>),
    /// Several conventions in force and no caisse named: the partner must choose the one the
    /// person is affiliated to (annex 3, "Sélectionner un organisme").
    CaisseRequired(Vec<String>),
    /// No caisse named, and no convention in force to choose one from.
    NoConvention,
    /// The comment seems to hold health information and the author did not confirm.
    HealthTerms(Vec<&'static str>),
}

/// The person a request is about (every kind but `contact`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// `madame` or `monsieur`.
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Date,
    pub department: String,
}

/// A signalement or request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// `signalement`, `contact`, `document`, `appointment` or `dossier`.
    pub kind: String,
    /// The caisse it goes to.
    pub caisse: String,
    /// `None` for a `contact`, which is about the partnership.
    pub person: Option<Person>,
    /// A code of the catalogue for that kind.
    pub motive: String,
    pub comment: String,
    /// A signalement the partner marked urgent: first in the caisse's list.
    pub urgent: bool,
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

/// The person's fields, each refusal pushed onto `errors`.
fn person(body: &Value, today: Date, errors: &mut Vec<FieldError>) -> Option<Person> {
    let text = |k: &str| text(body, k);
    let civility = civility(&text("civility"));
    if civility.is_none() {
        errors.push(FieldError::new(
            "civility",
            "invalid_enum",
            "La civilité doit être madame ou monsieur.",
        ));
    }
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
    let department = department(&text("department"));
    if department.is_none() {
        errors.push(FieldError::new(
            "department",
            "invalid_department",
            "Indiquez le département (deux ou trois chiffres, 2A, 2B).",
        ));
    }
    Some(Person {
        civility: civility?.to_owned(),
        last_name: last?.as_str().to_owned(),
        first_name: first?.as_str().to_owned(),
        birth_date: birth?,
        department: department?,
    })
}

fn text(body: &Value, k: &str) -> String {
    body.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
        .to_owned()
}

impl NewRequest {
    /// `active_caisses` are those the organisation has a convention in force with today;
    /// with only one, the body need not name it.
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
        let mut errors = Vec::new();
        // Optional, but never of another type.
        errors.extend(optional_str(body, "comment").err());
        errors.extend(optional_str(body, "caisse").err());
        errors.extend(optional_bool(body, "confirm").err());
        let urgent = optional_bool(body, "urgent").unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let kind = match kind {
            RequestKind::Signalement => "signalement".to_owned(),
            RequestKind::Other => match text(body, "kind").as_str() {
                k @ ("contact" | "appointment" | "document" | "dossier") => k.to_owned(),
                _ => {
                    errors.push(FieldError::new(
                        "kind",
                        "invalid_enum",
                        "Le type de demande doit être contact, document, appointment ou dossier.",
                    ));
                    String::new()
                }
            },
        };
        let person = if kind == "contact" {
            None
        } else {
            person(body, today, &mut errors)
        };
        let motive = text(body, "motive");
        let bad_motive = !kind.is_empty() && !catalogue::is_motive(&kind, &motive);
        if bad_motive {
            errors.push(FieldError::new(
                "motive",
                "invalid_motive",
                "Choisissez un motif dans la liste de ce type de demande.",
            ));
        }
        let comment = text(body, "comment");
        if comment.chars().count() > 1000 {
            errors.push(FieldError::new(
                "comment",
                "too_long",
                "Le commentaire est limité à 1000 caractères.",
            ));
        }
        let named = body.get("caisse").and_then(Value::as_str).map(str::trim);
        let caisse = match named {
            Some(cs) if !cs.is_empty() => {
                if active_caisses.iter().any(|x| x == cs) {
                    Some(cs.to_owned())
                } else {
                    errors.push(FieldError::new(
                        "caisse",
                        "no_convention",
                        "Votre organisme n'a pas de convention en vigueur avec cette caisse.",
                    ));
                    None
                }
            }
            _ => match active_caisses {
                [only] => Some(only.clone()),
                _ => None,
            },
        };
        if bad_motive {
            return Err(RequestRefusal::InvalidMotive(errors));
        }
        if !errors.is_empty() {
            return Err(RequestRefusal::Invalid(errors));
        }
        let Some(caisse) = caisse else {
            return Err(if active_caisses.len() > 1 {
                RequestRefusal::CaisseRequired(active_caisses.to_vec())
            } else {
                RequestRefusal::NoConvention
            });
        };
        // Without errors, the person is there unless the kind has none.
        if kind != "contact" && person.is_none() {
            return Err(RequestRefusal::Invalid(Vec::new()));
        }
        let terms = health_terms(&catalogue::without_catalogue_words(&comment));
        if !terms.is_empty() && body.get("confirm").and_then(Value::as_bool) != Some(true) {
            return Err(RequestRefusal::HealthTerms(terms));
        }
        Ok(NewRequest {
            urgent: kind == "signalement" && urgent == Some(true),
            kind,
            caisse,
            person,
            motive,
            comment,
        })
    }
}

/// The health terms of the caisse's answer to a request that the agent has not confirmed:
/// the partner, a third party, reads it, so the rule of the partner's own comment applies.
/// Empty when the answer may be sent.
pub fn unconfirmed_health_terms(answer: &str, confirmed: bool) -> Vec<&'static str> {
    if confirmed {
        return Vec::new();
    }
    health_terms(answer)
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
               "department": "2a", "motive": "dossier_complexe", "comment": " Pas de réponse depuis un mois. ",
               "caisse": "rouen"})
    }

    fn parse(body: &Value, kind: RequestKind) -> Result<NewRequest, RequestRefusal> {
        NewRequest::parse(body, kind, TODAY, &caisses())
    }

    fn fields(e: Vec<FieldError>) -> Vec<String> {
        e.into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect()
    }

    fn invalid(body: &Value, kind: RequestKind) -> Vec<String> {
        match parse(body, kind) {
            Err(RequestRefusal::Invalid(e) | RequestRefusal::InvalidMotive(e)) => fields(e),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn optional_fields_of_another_type_are_refused() {
        let mut b = report();
        b["comment"] = json!(3);
        b["caisse"] = json!(["rouen"]);
        b["confirm"] = json!("yes");
        b["urgent"] = json!("oui");
        assert_eq!(
            invalid(&b, RequestKind::Signalement),
            [
                "comment:wrong_type",
                "caisse:wrong_type",
                "confirm:wrong_type",
                "urgent:wrong_type"
            ]
        );
    }

    #[test]
    fn with_several_conventions_the_caisse_must_be_chosen() {
        let mut b = report();
        b["caisse"] = json!(null);
        assert_eq!(
            parse(&b, RequestKind::Signalement),
            Err(RequestRefusal::CaisseRequired(caisses()))
        );
        let one = NewRequest::parse(&b, RequestKind::Signalement, TODAY, &["le-havre".into()]);
        assert_eq!(one.map(|r| r.caisse), Ok("le-havre".into()));
        let r = parse(&report(), RequestKind::Signalement);
        let Ok(r) = r else { panic!("{r:?}") };
        assert_eq!(
            (r.kind.as_str(), r.caisse.as_str(), r.urgent),
            ("signalement", "rouen", false)
        );
        let p = r.person.unwrap_or_else(|| panic!("no person"));
        assert_eq!(
            (p.civility.as_str(), p.department.as_str()),
            ("madame", "2A")
        );
        assert_eq!(r.comment, "Pas de réponse depuis un mois.");
    }

    #[test]
    fn each_kind_takes_its_motive_from_the_catalogue() {
        let mut b = report();
        b["kind"] = json!("document");
        b["motive"] = json!("attestation_droits");
        assert_eq!(
            parse(&b, RequestKind::Other).map(|r| r.kind),
            Ok("document".into())
        );
        // A signalement's motive is not a document's.
        b["motive"] = json!("dossier_complexe");
        assert_eq!(
            parse(&b, RequestKind::Other),
            Err(RequestRefusal::InvalidMotive(vec![FieldError::new(
                "motive",
                "invalid_motive",
                "Choisissez un motif dans la liste de ce type de demande."
            )]))
        );
        b["kind"] = json!("visit");
        assert_eq!(invalid(&b, RequestKind::Other), ["kind:invalid_enum"]);
        assert_eq!(civility(" M. "), Some("monsieur"));
        assert_eq!(department("976").as_deref(), Some("976"));
        assert_eq!(department("2C"), None);
    }

    #[test]
    fn a_contact_is_about_the_partnership_and_needs_no_person() {
        let b = json!({"kind": "contact", "motive": "gestion_convention", "caisse": "le-havre"});
        let r = parse(&b, RequestKind::Other);
        assert_eq!(
            r.map(|r| (r.kind, r.person, r.urgent)),
            Ok(("contact".into(), None, false))
        );
    }

    #[test]
    fn only_a_signalement_is_urgent() {
        let mut b = report();
        b["urgent"] = json!(true);
        assert_eq!(
            parse(&b, RequestKind::Signalement).map(|r| r.urgent),
            Ok(true)
        );
        b["kind"] = json!("appointment");
        b["motive"] = json!("c2s");
        assert_eq!(parse(&b, RequestKind::Other).map(|r| r.urgent), Ok(false));
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
                "motive:invalid_motive",
                "comment:too_long",
                "caisse:no_convention"
            ]
        );
    }

    #[test]
    fn without_a_convention_in_force_nothing_is_sent() {
        assert_eq!(
            NewRequest::parse(&report(), RequestKind::Signalement, TODAY, &[]),
            Err(RequestRefusal::Invalid(vec![FieldError::new(
                "caisse",
                "no_convention",
                "Votre organisme n'a pas de convention en vigueur avec cette caisse."
            )]))
        );
        let mut b = report();
        b["caisse"] = json!(null);
        assert_eq!(
            NewRequest::parse(&b, RequestKind::Signalement, TODAY, &[]),
            Err(RequestRefusal::NoConvention)
        );
        // A field error still answers first.
        b["civility"] = json!("");
        assert!(matches!(
            NewRequest::parse(&b, RequestKind::Signalement, TODAY, &[]),
            Err(RequestRefusal::Invalid(_))
        ));
    }

    #[test]
    fn health_terms_need_a_confirmation_but_the_catalogues_words_are_not_ones() {
        let mut b = report();
        b["comment"] = json!("Elle suit une chimiothérapie et ne peut pas se déplacer.");
        let Err(RequestRefusal::HealthTerms(terms)) = parse(&b, RequestKind::Signalement) else {
            panic!("health terms not caught")
        };
        assert!(!terms.is_empty());
        b["confirm"] = json!(true);
        assert!(parse(&b, RequestKind::Signalement).is_ok());
        let mut b = report();
        b["motive"] = json!("suivi_demande_assure");
        b["comment"] =
            json!("Suivi du traitement d'une demande de pension d'invalidité déposée en mai.");
        assert!(parse(&b, RequestKind::Signalement).is_ok());
    }

    #[test]
    fn an_answer_with_health_terms_needs_the_agents_confirmation() {
        let text = "La personne est hospitalisée.";
        assert_eq!(unconfirmed_health_terms(text, false), vec!["hospitalis"]);
        assert!(unconfirmed_health_terms(text, true).is_empty());
        assert!(unconfirmed_health_terms("Rendez-vous fixé au 3 mars.", false).is_empty());
    }
}
