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
    /// The caisse the body's convention names, if it names one.
    pub convention_caisse: Option<String>,
    /// The convention's dates.
    pub start: Date,
    pub end: Date,
    pub email_domains: Vec<String>,
}

/// Why a caisse's admin may not create the organisation this body describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningRefusal {
    /// The caisses listed do not include the admin's own.
    NotListed,
    /// Another caisse is listed or named: each caisse signs its own convention, through its
    /// own admin.
    OtherCaisse,
}

/// An organisation's number of members, from a body: 1 to a million.
pub fn members(body: &Value) -> Result<u32, FieldError> {
    body.get("members")
        .and_then(Value::as_u64)
        .filter(|m| (1..=1_000_000).contains(m))
        .and_then(|m| u32::try_from(m).ok())
        .ok_or_else(|| {
            FieldError::new(
                "members",
                "invalid_members",
                "Indiquez le nombre de membres (au moins 1).",
            )
        })
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
        let members = members(body).map_err(|e| errors.push(e)).ok();
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
                    convention_caisse: c_caisse.map(str::to_owned),
                    start,
                    end,
                    email_domains,
                })
            }
            _ => Err(errors),
        }
    }

    /// The organisation to store, signed by `caisse`: its one convention, on the dates given,
    /// renewed tacitly; active, version 1. A caisse conventions in its own name only, so the
    /// body lists that caisse and no other (each other caisse adds its own convention).
    pub fn into_organisation(
        self,
        partner_id: String,
        caisse: &str,
        created_at: OffsetDateTime,
    ) -> Result<Organisation, SigningRefusal> {
        if !self.caisses.iter().any(|c| c == caisse) {
            return Err(SigningRefusal::NotListed);
        }
        let named = self.caisses.iter().chain(&self.convention_caisse);
        if named.into_iter().any(|c| c != caisse) {
            return Err(SigningRefusal::OtherCaisse);
        }
        Ok(Organisation {
            partner_id,
            name: self.name,
            kind: self.kind,
            members: self.members,
            caisses: vec![caisse.to_owned()],
            email_domains: self.email_domains,
            conventions: vec![Convention::new(caisse, self.start, self.end)],
            active: true,
            caisses_removed: Vec::new(),
            created_at,
            version: 1,
        })
    }
}

/// A `POST /api/agent/partners/{pid}/conventions` body: the calling caisse's own convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConvention {
    /// The caisse it names, if it names one (it must be the caller's).
    pub caisse: Option<String>,
    pub start: Date,
    pub end: Date,
}

impl NewConvention {
    pub fn parse(body: &Value) -> Result<NewConvention, Vec<FieldError>> {
        let mut errors = Vec::new();
        let caisse = match body.get("caisse") {
            None | Some(Value::Null) => None,
            Some(c) => match c.as_str().filter(|c| valid_caisse(c)) {
                Some(c) => Some(c.to_owned()),
                None => {
                    errors.push(FieldError::new(
                        "caisse",
                        "invalid_caisse",
                        "Le code de la caisse est mal formé.",
                    ));
                    None
                }
            },
        };
        let date = |k: &'static str, errors: &mut Vec<FieldError>| {
            let d = body
                .get(k)
                .and_then(Value::as_str)
                .and_then(|d| parse_date(d).ok());
            if d.is_none() {
                errors.push(FieldError::new(
                    k,
                    "invalid_date",
                    "La date doit être au format AAAA-MM-JJ.",
                ));
            }
            d
        };
        let start = date("start", &mut errors);
        let end = date("end", &mut errors);
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                errors.push(FieldError::new(
                    "end",
                    "end_before_start",
                    "La convention ne peut pas finir avant de commencer.",
                ));
            }
        }
        match (start, end) {
            (Some(start), Some(end)) if errors.is_empty() => {
                Ok(NewConvention { caisse, start, end })
            }
            _ => Err(errors),
        }
    }
}

/// Why a caisse may not add this convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConventionRefusal {
    /// The body names another caisse than the caller's.
    OtherCaisse,
    /// The caisse already has a convention in force, or one still to start.
    Exists,
    /// The organisation was deactivated.
    Inactive,
}

impl Organisation {
    /// `caisse` holds a convention in force with the organisation on `day`: only then may
    /// its admins administer it, and each only its own convention.
    pub fn conventioned_with(&self, caisse: &str, day: Date) -> bool {
        self.conventions
            .iter()
            .any(|c| c.caisse == caisse && c.active_on(day))
    }

    /// `caisse` signed a convention with the organisation, in force or not: its admins may
    /// still read what they administered (the organisation, its habilitation table).
    pub fn known_to(&self, caisse: &str) -> bool {
        self.conventions.iter().any(|c| c.caisse == caisse)
    }

    /// Adds `caisse`'s own convention, as its admin asked on `day`. A convention that ended
    /// stays, with its dates: the new one follows it.
    pub fn add_convention(
        &mut self,
        new: NewConvention,
        caisse: &str,
        day: Date,
    ) -> Result<&Convention, ConventionRefusal> {
        if new.caisse.as_deref().is_some_and(|c| c != caisse) {
            return Err(ConventionRefusal::OtherCaisse);
        }
        if !self.active {
            return Err(ConventionRefusal::Inactive);
        }
        // In force, or still to start (and not terminated before it does).
        let current = |c: &Convention| {
            c.active_on(day) || (c.start > day && c.terminated_on.is_none_or(|t| t > c.start))
        };
        if self
            .conventions
            .iter()
            .any(|c| c.caisse == caisse && current(c))
        {
            return Err(ConventionRefusal::Exists);
        }
        if !self.caisses.iter().any(|c| c == caisse) {
            self.caisses.push(caisse.to_owned());
        }
        // Its end will be recorded again by the lifecycle job.
        self.caisses_removed.retain(|c| c != caisse);
        self.conventions
            .push(Convention::new(caisse, new.start, new.end));
        Ok(&self.conventions[self.conventions.len() - 1])
    }

    /// Terminates `caisse`'s latest convention as of `on`; false when it has none.
    pub fn terminate(&mut self, caisse: &str, on: Date) -> bool {
        match self
            .conventions
            .iter_mut()
            .rev()
            .find(|c| c.caisse == caisse)
        {
            Some(c) => {
                c.terminated_on = Some(on);
                true
            }
            None => false,
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
    fn the_signing_caisse_gets_the_one_convention() {
        let mut b = body();
        b["caisses"] = json!(["rouen"]);
        let new = NewOrganisation::parse(&b).map_err(|e| e.len());
        let org = new
            .map(|n| n.into_organisation("p-1".into(), "rouen", datetime!(2026-11-30 12:00 UTC)));
        let Ok(Ok(org)) = org else { panic!("{org:?}") };
        assert_eq!(
            (org.name.as_str(), org.kind.as_str()),
            ("CCAS de Rouen", "ccas")
        );
        assert_eq!(org.members, 12);
        assert_eq!(org.email_domains, ["ccas-rouen.fr"]);
        assert_eq!(org.caisses, ["rouen"]);
        assert_eq!(org.conventions.len(), 1);
        assert_eq!(org.conventions[0].caisse, "rouen");
        assert_eq!(org.conventions[0].start, date!(2026 - 01 - 01));
        assert!(org.conventions[0].tacit_renewal);
        assert!(org.active && org.version == 1 && org.caisses_removed.is_empty());
    }

    #[test]
    fn a_caisse_signs_for_itself_only() {
        let refusal = |b: &Value, caisse: &str| {
            NewOrganisation::parse(b).ok().and_then(|n| {
                n.into_organisation("p-1".into(), caisse, datetime!(2026-11-30 12:00 UTC))
                    .err()
            })
        };
        // Two caisses listed: neither signs for the other.
        assert_eq!(refusal(&body(), "rouen"), Some(SigningRefusal::OtherCaisse));
        assert_eq!(
            refusal(&body(), "le-havre"),
            Some(SigningRefusal::OtherCaisse)
        );
        assert_eq!(refusal(&body(), "paris"), Some(SigningRefusal::NotListed));
        let mut b = body();
        b["caisses"] = json!(["rouen"]);
        assert!(NewOrganisation::parse(&b).is_ok() && refusal(&b, "rouen").is_none());
        assert_eq!(refusal(&b, "le-havre"), Some(SigningRefusal::NotListed));
        // The convention naming another caisse than the one listed.
        b["convention"]["caisse"] = json!("le-havre");
        b["caisses"] = json!(["rouen", "le-havre"]);
        assert_eq!(refusal(&b, "rouen"), Some(SigningRefusal::OtherCaisse));
    }

    fn org() -> Organisation {
        let mut b = body();
        b["caisses"] = json!(["rouen"]);
        match NewOrganisation::parse(&b)
            .ok()
            .map(|n| n.into_organisation("p-1".into(), "rouen", datetime!(2026-11-30 12:00 UTC)))
        {
            Some(Ok(o)) => o,
            other => panic!("{other:?}"),
        }
    }

    fn convention(caisse: Option<&str>, start: &str, end: &str) -> NewConvention {
        match NewConvention::parse(&json!({"caisse": caisse, "start": start, "end": end})) {
            Ok(c) => c,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn each_caisse_adds_and_administers_its_own_convention() {
        let day = date!(2026 - 11 - 30);
        let mut o = org();
        assert!(o.conventioned_with("rouen", day));
        assert!(!o.conventioned_with("le-havre", day));
        assert!(o.known_to("rouen") && !o.known_to("le-havre"));
        assert_eq!(
            o.add_convention(
                convention(Some("rouen"), "2026-12-01", "2027-11-30"),
                "le-havre",
                day
            )
            .err(),
            Some(ConventionRefusal::OtherCaisse)
        );
        assert_eq!(
            o.add_convention(convention(None, "2026-12-01", "2027-11-30"), "rouen", day)
                .err(),
            Some(ConventionRefusal::Exists)
        );
        let added = o
            .add_convention(
                convention(Some("le-havre"), "2026-12-01", "2027-11-30"),
                "le-havre",
                day,
            )
            .cloned();
        assert!(added.is_ok_and(|c| c.caisse == "le-havre" && c.tacit_renewal));
        assert_eq!(o.caisses, ["rouen", "le-havre"]);
        // Not in force yet, but still to come: not twice.
        assert!(!o.conventioned_with("le-havre", day));
        assert!(o.conventioned_with("le-havre", date!(2026 - 12 - 01)));
        assert_eq!(
            o.add_convention(
                convention(None, "2027-01-01", "2027-12-31"),
                "le-havre",
                day
            )
            .err(),
            Some(ConventionRefusal::Exists)
        );
        // Once ended, a caisse may convention again; the old one keeps its dates.
        assert!(o.terminate("le-havre", date!(2027 - 02 - 01)));
        assert!(!o.terminate("paris", day));
        assert!(!o.conventioned_with("le-havre", date!(2027 - 02 - 01)) && o.known_to("le-havre"));
        let later = date!(2027 - 03 - 01);
        o.caisses_removed.push("le-havre".into());
        assert!(o
            .add_convention(
                convention(None, "2027-03-01", "2028-02-29"),
                "le-havre",
                later
            )
            .is_ok());
        assert_eq!(o.conventions.len(), 3);
        assert_eq!(o.conventions[1].terminated_on, Some(date!(2027 - 02 - 01)));
        assert!(o.conventioned_with("le-havre", later) && o.caisses_removed.is_empty());
        // A deactivated organisation takes no convention.
        o.active = false;
        assert_eq!(
            o.add_convention(convention(None, "2027-03-01", "2028-02-29"), "paris", later)
                .err(),
            Some(ConventionRefusal::Inactive)
        );
    }

    #[test]
    fn a_convention_body_names_each_refused_field() {
        let codes = |b: Value| {
            NewConvention::parse(&b)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| format!("{}:{}", e.field, e.code))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(json!({"caisse": "Pas Un Code", "start": "2026-13-01"})),
            [
                "caisse:invalid_caisse",
                "start:invalid_date",
                "end:invalid_date"
            ]
        );
        assert_eq!(
            codes(json!({"start": "2026-12-01", "end": "2026-01-01"})),
            ["end:end_before_start"]
        );
        assert_eq!(codes(json!("not an object")).len(), 2);
        assert!(
            NewConvention::parse(&json!({"start": "2026-12-01", "end": "2027-11-30"}))
                .is_ok_and(|c| c.caisse.is_none())
        );
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
