//! The body that names a partner's person: a gestionnaire (by the CPAM) or a technicien (by a
//! gestionnaire), created or modified.

use super::professional_email;
use crate::field::{optional_str, FieldError};
use crate::text::{Email, Name, Phone};
use serde_json::Value;

/// A person's details, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPerson {
    pub email: Email,
    pub last_name: String,
    pub first_name: String,
    pub function: String,
    pub phone: Option<String>,
}

impl NewPerson {
    /// Every field error, in the form's order. `email_domains` are the organisation's
    /// declared domains: the address must be of one of them when there are some.
    pub fn parse(body: &Value, email_domains: &[String]) -> Result<NewPerson, Vec<FieldError>> {
        let mut errors = Vec::new();
        // Optional, but never of another type.
        errors.extend(optional_str(body, "function").err());
        errors.extend(optional_str(body, "phone").err());
        let email = body
            .get("email")
            .and_then(Value::as_str)
            .and_then(Email::parse);
        match &email {
            None => errors.push(FieldError::new(
                "email",
                "invalid_email",
                "L'adresse électronique est mal formée.",
            )),
            Some(e) if !professional_email(e, email_domains) => errors.push(FieldError::new(
                "email",
                "not_professional",
                "Seule une adresse professionnelle de l'organisme est acceptée.",
            )),
            _ => {}
        }
        let name = |k: &str| body.get(k).and_then(Value::as_str).and_then(Name::parse);
        let (last, first) = (name("last_name"), name("first_name"));
        if last.is_none() {
            errors.push(FieldError::new(
                "last_name",
                "invalid_name",
                "Indiquez un nom, en lettres.",
            ));
        }
        if first.is_none() {
            errors.push(FieldError::new(
                "first_name",
                "invalid_name",
                "Indiquez un prénom, en lettres.",
            ));
        }
        let function = body
            .get("function")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_owned();
        if function.chars().count() > 100 || function.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "function",
                "invalid_function",
                "La fonction est trop longue.",
            ));
        }
        let phone = match body
            .get("phone")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty())
        {
            None => None,
            Some(p) => match Phone::parse(p) {
                Some(p) => Some(p.as_str().to_owned()),
                None => {
                    errors.push(FieldError::new(
                        "phone",
                        "invalid_phone",
                        "Le numéro de téléphone est mal formé.",
                    ));
                    None
                }
            },
        };
        match (email, last, first) {
            (Some(email), Some(last), Some(first)) if errors.is_empty() => Ok(NewPerson {
                email,
                last_name: last.as_str().to_owned(),
                first_name: first.as_str().to_owned(),
                function,
                phone,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(body: &Value, domains: &[String]) -> Vec<String> {
        NewPerson::parse(body, domains)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect()
    }

    #[test]
    fn optional_fields_of_another_type_are_refused() {
        let body = json!({"email": "marie.durand@ccas-rouen.fr", "last_name": "Durand", "first_name": "Marie", "function": 12, "phone": ["06"]});
        assert_eq!(
            codes(&body, &["ccas-rouen.fr".into()]),
            ["function:wrong_type", "phone:wrong_type"]
        );
    }

    #[test]
    fn a_person_with_a_professional_address() {
        let body = json!({"email": "marie.durand@ccas-rouen.fr", "last_name": "Durand", "first_name": "Marie", "function": "  Travailleuse sociale ", "phone": "  "});
        let p = NewPerson::parse(&body, &["ccas-rouen.fr".into()]);
        let Ok(p) = p else { panic!("{p:?}") };
        assert_eq!(p.email.as_str(), "marie.durand@ccas-rouen.fr");
        assert_eq!(
            (p.last_name.as_str(), p.first_name.as_str()),
            ("Durand", "Marie")
        );
        assert_eq!(p.function, "Travailleuse sociale");
        assert_eq!(p.phone, None, "a blank phone is no phone");
    }

    #[test]
    fn every_refused_field_is_named() {
        let body = json!({"email": "jean@gmail.com", "last_name": "", "first_name": "J3an!", "function": "x".repeat(101), "phone": "pas un numéro"});
        assert_eq!(
            codes(&body, &[]),
            [
                "email:not_professional",
                "last_name:invalid_name",
                "first_name:invalid_name",
                "function:invalid_function",
                "phone:invalid_phone"
            ]
        );
        assert_eq!(
            codes(
                &json!({"email": "jean@autre.fr", "last_name": "Martin", "first_name": "Jean"}),
                &["ccas-rouen.fr".into()]
            ),
            ["email:not_professional"]
        );
        assert_eq!(
            codes(
                &json!({"email": "pas-une-adresse", "last_name": "Martin", "first_name": "Jean"}),
                &[]
            ),
            ["email:invalid_email"]
        );
    }
}
