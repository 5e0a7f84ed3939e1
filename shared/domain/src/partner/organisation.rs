//! A partner organisation and the body a CPAM admin creates one with.

use super::{valid_caisse, Convention, KINDS};
use crate::dates::{self, parse_date};
use crate::field::{optional_str, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Organisation {
    pub partner_id: String,
    pub name: String,
    pub kind: String,
    pub members: u32,
    pub caisses: Vec<String>,
    pub email_domains: Vec<String>,
    pub conventions: Vec<Convention>,
    pub active: bool,
    /// Caisses whose convention ended and whose access the lifecycle job has removed.
    #[serde(default)]
    pub caisses_removed: Vec<String>,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

/// A `POST /api/agent/partners` body, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: String,
    pub members: u32,
    pub caisses: Vec<String>,
    /// The convention's dates, the same for each caisse.
    pub start: Date,
    pub end: Date,
    pub email_domains: Vec<String>,
}

impl NewOrganisation {
    /// Every field error, in the form's order. As before the move, a convention that ends
    /// before it starts, or names a caisse not in the list, is reported only alongside
    /// another refused field: on its own it does not refuse the body.
    pub fn parse(body: &Value) -> Result<NewOrganisation, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| (2..=200).contains(&n.chars().count()));
        if name.is_none() {
            errors.push(FieldError::new(
                "name",
                "invalid_name",
                "Indiquez le nom de l'organisme.",
            ));
        }
        let kind = body
            .get("kind")
            .and_then(Value::as_str)
            .map(|k| k.trim().to_lowercase())
            .filter(|k| KINDS.contains(&k.as_str()));
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "invalid_enum",
                "Le type d'organisme n'est pas dans la liste.",
            ));
        }
        let members = body
            .get("members")
            .and_then(Value::as_u64)
            .filter(|m| (1..=1_000_000).contains(m))
            .and_then(|m| u32::try_from(m).ok());
        if members.is_none() {
            errors.push(FieldError::new(
                "members",
                "invalid_members",
                "Indiquez le nombre de membres (au moins 1).",
            ));
        }
        let caisses: Option<Vec<String>> = body
            .get("caisses")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty() && a.len() <= 101)
            .and_then(|a| {
                a.iter()
                    .map(|c| c.as_str().filter(|c| valid_caisse(c)).map(str::to_owned))
                    .collect()
            });
        if caisses.is_none() {
            errors.push(FieldError::new(
                "caisses",
                "invalid_caisses",
                "Indiquez les caisses concernées.",
            ));
        }
        let convention = body.get("convention");
        let date = |k: &str| {
            convention
                .and_then(|c| c.get(k))
                .and_then(Value::as_str)
                .and_then(|d| parse_date(d).ok())
        };
        let (start, end) = (date("start"), date("end"));
        let c_caisse = convention
            .and_then(|c| c.get("caisse"))
            .and_then(Value::as_str);
        if start.is_none()
            || end.is_none()
            || start > end
            || c_caisse.is_some_and(|c| !caisses.as_ref().is_some_and(|l| l.iter().any(|x| x == c)))
        {
            errors.push(FieldError::new(
                "convention",
                "invalid_convention",
                "La convention doit indiquer une caisse de la liste, une date de début et une date de fin.",
            ));
        }
        let email_domains: Vec<String> = match body.get("email_domains") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(|d| d.as_str().map(|d| d.trim().to_lowercase()))
                .collect(),
            Some(_) => {
                errors.push(FieldError::wrong_type("email_domains"));
                Vec::new()
            }
        };
        if convention.is_some_and(|c| optional_str(c, "caisse").is_err()) {
            errors.push(FieldError::wrong_type("convention.caisse"));
        }
        let wrong_types = errors.iter().any(|e| e.code == "wrong_type");
        match (name, kind, members, caisses, start, end) {
            (Some(name), Some(kind), Some(members), Some(caisses), Some(start), Some(end))
                if !wrong_types =>
            {
                Ok(NewOrganisation {
                    name: name.to_owned(),
                    kind,
                    members,
                    caisses,
                    start,
                    end,
                    email_domains,
                })
            }
            _ => Err(errors),
        }
    }

    /// One convention per caisse, on the dates given, renewed tacitly.
    pub fn conventions(&self) -> Vec<Convention> {
        self.caisses
            .iter()
            .map(|c| Convention {
                caisse: c.clone(),
                start: self.start,
                end: self.end,
                tacit_renewal: true,
                terminated_on: None,
            })
            .collect()
    }

    /// The organisation to store: active, version 1.
    pub fn into_organisation(self, partner_id: String, created_at: OffsetDateTime) -> Organisation {
        let conventions = self.conventions();
        Organisation {
            partner_id,
            name: self.name,
            kind: self.kind,
            members: self.members,
            caisses: self.caisses,
            email_domains: self.email_domains,
            conventions,
            active: true,
            caisses_removed: Vec::new(),
            created_at,
            version: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::{date, datetime};

    fn body() -> Value {
        json!({
            "name": "  CCAS de Rouen ", "kind": "CCAS", "members": 12,
            "caisses": ["rouen", "le-havre"],
            "convention": {"caisse": "rouen", "start": "2026-01-01", "end": "2026-12-31"},
            "email_domains": [" CCAS-Rouen.fr "]
        })
    }

    fn codes(body: &Value) -> Vec<String> {
        NewOrganisation::parse(body)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect()
    }

    #[test]
    fn optional_fields_of_another_type_are_refused() {
        let mut b = body();
        b["email_domains"] = json!("ccas-rouen.fr");
        assert_eq!(codes(&b), ["email_domains:wrong_type"]);
        let mut b = body();
        b["convention"]["caisse"] = json!(1);
        assert_eq!(codes(&b), ["convention.caisse:wrong_type"]);
    }

    #[test]
    fn a_full_body_makes_one_convention_per_caisse() {
        let new = NewOrganisation::parse(&body()).map_err(|e| e.len());
        let org = new.map(|n| n.into_organisation("p-1".into(), datetime!(2026-11-30 12:00 UTC)));
        let Ok(org) = org else { panic!("{org:?}") };
        assert_eq!(
            (org.name.as_str(), org.kind.as_str()),
            ("CCAS de Rouen", "ccas")
        );
        assert_eq!(org.members, 12);
        assert_eq!(org.email_domains, ["ccas-rouen.fr"]);
        assert_eq!(org.conventions.len(), 2);
        assert_eq!(org.conventions[1].caisse, "le-havre");
        assert_eq!(org.conventions[1].start, date!(2026 - 01 - 01));
        assert!(org.conventions[1].tacit_renewal);
        assert!(org.active && org.version == 1 && org.caisses_removed.is_empty());
    }

    #[test]
    fn every_refused_field_is_named() {
        assert_eq!(
            codes(
                &json!({"name": "X", "kind": "club", "members": 0, "caisses": [], "convention": {}})
            ),
            [
                "name:invalid_name",
                "kind:invalid_enum",
                "members:invalid_members",
                "caisses:invalid_caisses",
                "convention:invalid_convention"
            ]
        );
        assert_eq!(codes(&json!("not an object")).len(), 5);
        let mut b = body();
        b["caisses"] = json!(["rouen", "Pas Un Code"]);
        b["convention"]["caisse"] = json!("rouen");
        assert_eq!(
            codes(&b),
            ["caisses:invalid_caisses", "convention:invalid_convention"]
        );
    }

    #[test]
    fn a_convention_alone_at_fault_does_not_refuse_the_body() {
        // Kept from the handler: the dates and caisse are checked, but only refuse with
        // another field.
        let mut b = body();
        b["convention"]["start"] = json!("2027-01-01");
        assert!(NewOrganisation::parse(&b).is_ok());
        b["name"] = json!("");
        assert_eq!(
            codes(&b),
            ["name:invalid_name", "convention:invalid_convention"]
        );
        let mut b = body();
        b["convention"]["caisse"] = json!("paris");
        assert!(NewOrganisation::parse(&b).is_ok());
    }
}
