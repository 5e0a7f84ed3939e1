//! A beneficiary as the national system sends it, one JSON line each
//! (`inbound/beneficiaries/*.jsonl`), validated into typed data or a reason to reject the line.

use crate::dates::{self, parse_date};
use crate::field::FieldError;
use crate::nir::Nir;
use crate::text::{is_slug, normalize_secret, Email, Name, Phone};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Territory {
    Metropole,
    Dom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundRelation {
    Spouse,
    Child,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line: String,
    pub postal_code: String,
    pub city: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMember {
    pub relation: InboundRelation,
    pub first_name: Name,
    pub last_name: Name,
    #[serde(with = "dates::iso")]
    pub birth_date: Date,
}

/// A value typed by the person and kept only as a keyed hash; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Beneficiary {
    pub nir: Nir,
    pub birth_date: Date,
    pub last_name: Name,
    pub first_name: Name,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub address: Address,
    pub territory: Territory,
    pub caisse: String,
    pub css_end_date: Date,
    pub renewal_code: Secret,
    pub iban_last4: Secret,
    pub vitale_serial: Secret,
    pub household: Vec<InboundMember>,
    pub guardian_partner_id: Option<String>,
}

/// Why a line was refused. Never carries the refused value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub field: String,
    pub reason: &'static str,
    pub message: &'static str,
}

impl From<FieldError> for Rejection {
    fn from(e: FieldError) -> Self {
        Rejection {
            field: e.field,
            reason: e.code,
            message: e.message,
        }
    }
}

/// Parses and validates one line. `today` bounds birth dates.
pub fn parse_line(line: &str, today: Date) -> Result<Beneficiary, Rejection> {
    let value: Value = serde_json::from_str(line).map_err(|_| Rejection {
        field: String::new(),
        reason: "invalid_json",
        message: "La ligne n'est pas un objet JSON valide.",
    })?;
    let obj = value.as_object().ok_or(Rejection {
        field: String::new(),
        reason: "invalid_json",
        message: "La ligne n'est pas un objet JSON valide.",
    })?;
    Ok(validate(obj, today)?)
}

fn validate(o: &Map<String, Value>, today: Date) -> Result<Beneficiary, FieldError> {
    let nir = Nir::parse(req_str(o, "nir")?)
        .map_err(|e| FieldError::new("nir", e.code(), e.message()))?;
    let birth_date = birth_date(o, "birth_date", today)?;
    if let Some(month) = nir.birth_month() {
        let year_matches =
            i32::from(nir.birth_year_two_digits()) == birth_date.year().rem_euclid(100);
        if !year_matches || month != u8::from(birth_date.month()) {
            return Err(FieldError::new(
                "birth_date",
                "nir_birth_date_mismatch",
                "La date de naissance ne correspond pas au NIR.",
            ));
        }
    }
    let last_name = name(o, "last_name")?;
    let first_name = name(o, "first_name")?;
    let email = email(o)?;
    let phone = phone(o)?;
    let address = address(o)?;
    let territory = match req_str(o, "territory")? {
        "metropole" => Territory::Metropole,
        "dom" => Territory::Dom,
        _ => {
            return Err(FieldError::new(
                "territory",
                "invalid_enum",
                "Le territoire doit être metropole ou dom.",
            ))
        }
    };
    let caisse = req_str(o, "caisse")?;
    if !is_slug(caisse, 50) {
        return Err(FieldError::new(
            "caisse",
            "invalid_caisse",
            "L'identifiant de caisse est mal formé.",
        ));
    }
    let css_end_date = date(o, "css_end_date")?;
    if !(2000..=2100).contains(&css_end_date.year()) {
        return Err(FieldError::new(
            "css_end_date",
            "invalid_date",
            "La date de fin de droits n'est pas plausible.",
        ));
    }
    let renewal_code = secret(o, "renewal_code", 6, 32)?;
    let iban_last4 = secret(o, "iban_last4", 4, 4)?;
    let vitale_serial = secret(o, "vitale_serial", 4, 20)?;
    let household = household(o, today)?;
    let guardian_partner_id = opt_str(o, "guardian_partner_id")?
        .map(|s| {
            let ok = (1..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if ok {
                Ok(s.to_owned())
            } else {
                Err(FieldError::new(
                    "guardian_partner_id",
                    "invalid_partner_id",
                    "L'identifiant du partenaire est mal formé.",
                ))
            }
        })
        .transpose()?;
    Ok(Beneficiary {
        nir,
        birth_date,
        last_name,
        first_name,
        email,
        phone,
        address,
        territory,
        caisse: caisse.to_owned(),
        css_end_date,
        renewal_code,
        iban_last4,
        vitale_serial,
        household,
        guardian_partner_id,
    })
}

/// The optional `email` of `o`, well formed (a rectification reads it the same way).
pub(crate) fn email(o: &Map<String, Value>) -> Result<Option<Email>, FieldError> {
    opt_str(o, "email")?
        .map(|s| {
            Email::parse(s).ok_or(FieldError::new(
                "email",
                "invalid_email",
                "L'adresse électronique est mal formée.",
            ))
        })
        .transpose()
}

/// The optional `phone` of `o`, well formed.
pub(crate) fn phone(o: &Map<String, Value>) -> Result<Option<Phone>, FieldError> {
    opt_str(o, "phone")?
        .map(|s| {
            Phone::parse(s).ok_or(FieldError::new(
                "phone",
                "invalid_phone",
                "Le numéro de téléphone est mal formé.",
            ))
        })
        .transpose()
}

fn opt_str<'a>(o: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, FieldError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(FieldError::wrong_type(key)),
    }
}

fn req_str<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a str, FieldError> {
    opt_str(o, key)?.ok_or_else(|| FieldError::required(key))
}

pub(crate) fn name(o: &Map<String, Value>, key: &str) -> Result<Name, FieldError> {
    Name::parse(req_str(o, key)?).ok_or(FieldError::new(
        key,
        "invalid_name",
        "Le nom contient des caractères non autorisés.",
    ))
}

fn date(o: &Map<String, Value>, key: &str) -> Result<Date, FieldError> {
    parse_date(req_str(o, key)?).map_err(|_| {
        FieldError::new(
            key,
            "invalid_date",
            "La date doit être au format AAAA-MM-JJ et exister.",
        )
    })
}

fn birth_date(o: &Map<String, Value>, key: &str, today: Date) -> Result<Date, FieldError> {
    let d = date(o, key)?;
    if d > today || d.year() < 1890 {
        return Err(FieldError::new(
            key,
            "implausible_birth_date",
            "La date de naissance n'est pas plausible.",
        ));
    }
    Ok(d)
}

fn secret(o: &Map<String, Value>, key: &str, min: usize, max: usize) -> Result<Secret, FieldError> {
    let s = normalize_secret(req_str(o, key)?);
    let ok = (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(Secret(s))
    } else {
        Err(FieldError::new(
            key,
            "invalid_format",
            "La valeur n'a pas le format attendu.",
        ))
    }
}

pub(crate) fn address(o: &Map<String, Value>) -> Result<Address, FieldError> {
    let a = match o.get("address") {
        Some(Value::Object(a)) => a,
        None | Some(Value::Null) => return Err(FieldError::required("address")),
        Some(_) => return Err(FieldError::wrong_type("address")),
    };
    let line = req_str(a, "line")
        .map_err(|e| prefixed("address", e))?
        .trim();
    let postal_code = req_str(a, "postal_code")
        .map_err(|e| prefixed("address", e))?
        .trim();
    let city = req_str(a, "city")
        .map_err(|e| prefixed("address", e))?
        .trim();
    if line.chars().count() > 200 || line.chars().any(char::is_control) {
        return Err(FieldError::new(
            "address.line",
            "invalid_address",
            "L'adresse est mal formée.",
        ));
    }
    if postal_code.len() != 5 || !postal_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            "address.postal_code",
            "invalid_postal_code",
            "Le code postal doit compter 5 chiffres.",
        ));
    }
    if city.chars().count() > 100 || city.chars().any(char::is_control) {
        return Err(FieldError::new(
            "address.city",
            "invalid_address",
            "La commune est mal formée.",
        ));
    }
    Ok(Address {
        line: line.to_owned(),
        postal_code: postal_code.to_owned(),
        city: city.to_owned(),
    })
}

fn prefixed(prefix: &str, mut e: FieldError) -> FieldError {
    e.field = format!("{prefix}.{}", e.field);
    e
}

pub(crate) fn household(
    o: &Map<String, Value>,
    today: Date,
) -> Result<Vec<InboundMember>, FieldError> {
    let list = match o.get("household") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(FieldError::wrong_type("household")),
    };
    if list.len() > 20 {
        return Err(FieldError::new(
            "household",
            "too_many",
            "Le foyer compte trop de personnes.",
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, m)| {
            let field = format!("household[{i}]");
            let m = m
                .as_object()
                .ok_or_else(|| FieldError::wrong_type(field.clone()))?;
            let relation = match req_str(m, "relation").map_err(|e| prefixed(&field, e))? {
                "spouse" => InboundRelation::Spouse,
                "child" => InboundRelation::Child,
                "other" => InboundRelation::Other,
                _ => {
                    return Err(FieldError::new(
                        format!("{field}.relation"),
                        "invalid_enum",
                        "Le lien doit être spouse, child ou other.",
                    ))
                }
            };
            Ok(InboundMember {
                relation,
                first_name: name(m, "first_name").map_err(|e| prefixed(&field, e))?,
                last_name: name(m, "last_name").map_err(|e| prefixed(&field, e))?,
                birth_date: birth_date(m, "birth_date", today).map_err(|e| prefixed(&field, e))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    pub(crate) fn line(overrides: &[(&str, Value)]) -> String {
        let mut v = serde_json::json!({
            "nir": "184057512345625", "birth_date": "1984-05-12", "last_name": "Durand",
            "first_name": "Marie", "email": "marie.durand@exemple.fr", "phone": "0612345678",
            "address": {"line": "3 rue des Lilas", "postal_code": "76000", "city": "Rouen"},
            "territory": "metropole", "caisse": "rouen-elbeuf-dieppe", "css_end_date": "2027-01-31",
            "renewal_code": "AB12-CD34", "iban_last4": "1234", "vitale_serial": "123456789",
            "household": [{"relation": "child", "first_name": "Léa", "last_name": "Durand", "birth_date": "2012-03-04"}]
        });
        for (k, val) in overrides {
            v[*k] = val.clone();
        }
        v.to_string()
    }

    const TODAY: Date = date!(2026 - 11 - 23);

    #[test]
    fn a_good_line_parses() {
        let b = parse_line(&line(&[]), TODAY).map_err(|r| r.reason);
        let b = b.as_ref().map(|b| {
            (
                b.caisse.as_str(),
                b.renewal_code.expose(),
                b.household.len(),
            )
        });
        assert_eq!(b, Ok(("rouen-elbeuf-dieppe", "AB12CD34", 1)));
    }

    fn reason(overrides: &[(&str, Value)]) -> (String, &'static str) {
        match parse_line(&line(overrides), TODAY) {
            Ok(_) => (String::new(), "accepted"),
            Err(r) => (r.field, r.reason),
        }
    }

    #[test]
    fn each_bad_field_has_its_reason() {
        use serde_json::json;
        assert_eq!(
            reason(&[("nir", json!("184057512345624"))]),
            ("nir".into(), "nir_key")
        );
        assert_eq!(
            reason(&[("nir", json!(184057512345625u64))]),
            ("nir".into(), "wrong_type")
        );
        assert_eq!(
            reason(&[("birth_date", json!("1984-06-12"))]),
            ("birth_date".into(), "nir_birth_date_mismatch")
        );
        assert_eq!(
            reason(&[("birth_date", json!("1984-02-30"))]),
            ("birth_date".into(), "invalid_date")
        );
        assert_eq!(
            reason(&[("territory", json!("mars"))]),
            ("territory".into(), "invalid_enum")
        );
        assert_eq!(
            reason(&[("css_end_date", json!(null))]),
            ("css_end_date".into(), "required")
        );
        assert_eq!(
            reason(&[("email", json!("nope"))]),
            ("email".into(), "invalid_email")
        );
        assert_eq!(
            reason(&[("caisse", json!("Le Havre"))]),
            ("caisse".into(), "invalid_caisse")
        );
        assert_eq!(
            reason(&[(
                "household",
                json!([{"relation": "cousin", "first_name": "A", "last_name": "B", "birth_date": "2000-01-01"}])
            )]),
            ("household[0].relation".into(), "invalid_enum")
        );
        assert_eq!(
            reason(&[(
                "address",
                json!({"line": "x", "postal_code": "7600", "city": "Rouen"})
            )]),
            ("address.postal_code".into(), "invalid_postal_code")
        );
        assert_eq!(
            reason(&[("email", json!(null)), ("phone", json!(""))]),
            (String::new(), "accepted")
        );
    }

    #[test]
    fn not_json_is_rejected_without_echo() {
        let r = parse_line("{\"nir\": \"1840575", TODAY).err();
        assert_eq!(
            r.map(|r| (r.reason, r.message.contains("1840575"))),
            Some(("invalid_json", false))
        );
    }
}
