//! A rectification (RGPD art. 16): the identity, contact and household details the DPO
//! corrects, each checked as the national file's line is (`beneficiary`).

use crate::beneficiary::{self, Address, InboundMember};
use crate::household::{Member, Relation};
use crate::renewal::{members_on_file, Renewal};
use crate::text::{Email, Name, Phone};
use crate::FieldError;
use serde_json::{Map, Value};
use time::Date;

/// What may be corrected; the field names of `changes`.
pub const FIELDS: &[&str] = &[
    "last_name",
    "first_name",
    "email",
    "phone",
    "address",
    "household",
];

/// The corrections asked for: `None` leaves a field as it is; `Some(None)` for a contact
/// removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rectification {
    pub last_name: Option<Name>,
    pub first_name: Option<Name>,
    pub email: Option<Option<Email>>,
    pub phone: Option<Option<Phone>>,
    pub address: Option<Address>,
    pub household: Option<Vec<InboundMember>>,
}

fn prefixed(mut e: FieldError) -> FieldError {
    e.field = format!("changes.{}", e.field);
    e
}

impl Rectification {
    /// Reads `changes`: at least one field, none but those of `FIELDS`, each well formed;
    /// every error with its path under `changes`.
    pub fn parse(body: &Value, today: Date) -> Result<Rectification, Vec<FieldError>> {
        let o: &Map<String, Value> = match body.get("changes") {
            Some(Value::Object(o)) if !o.is_empty() => o,
            Some(Value::Object(_)) | None | Some(Value::Null) => {
                return Err(vec![FieldError::required("changes")])
            }
            Some(_) => return Err(vec![FieldError::wrong_type("changes")]),
        };
        let mut errors: Vec<FieldError> = o
            .keys()
            .filter(|k| !FIELDS.contains(&k.as_str()))
            .map(|k| {
                FieldError::new(
                    format!("changes.{k}"),
                    "unknown_field",
                    "Ce champ ne peut pas être rectifié ici.",
                )
            })
            .collect();
        let mut r = Rectification::default();
        let mut take = |result: Result<(), FieldError>| {
            if let Err(e) = result {
                errors.push(prefixed(e));
            }
        };
        if o.contains_key("last_name") {
            take(beneficiary::name(o, "last_name").map(|n| r.last_name = Some(n)));
        }
        if o.contains_key("first_name") {
            take(beneficiary::name(o, "first_name").map(|n| r.first_name = Some(n)));
        }
        if o.contains_key("email") {
            take(beneficiary::email(o).map(|e| r.email = Some(e)));
        }
        if o.contains_key("phone") {
            take(beneficiary::phone(o).map(|p| r.phone = Some(p)));
        }
        if o.contains_key("address") {
            take(beneficiary::address(o).map(|a| r.address = Some(a)));
        }
        if o.contains_key("household") {
            take(beneficiary::household(o, today).map(|h| r.household = Some(h)));
        }
        if errors.is_empty() {
            Ok(r)
        } else {
            Err(errors)
        }
    }
}

impl Rectification {
    /// Applies the identity and household corrections to an open renewal: the applicant's
    /// names wherever the renewal holds them, and the household it offers, while the person
    /// has not confirmed one (what they declared is theirs to change). Whether it changed.
    pub fn apply_to(&self, r: &mut Renewal) -> bool {
        let before = (
            r.applicant.clone(),
            r.suggested_household.clone(),
            r.form.household.clone(),
        );
        let rename = |m: &mut Member| {
            if let Some(n) = &self.first_name {
                m.first_name = n.clone();
            }
            if let Some(n) = &self.last_name {
                m.last_name = n.clone();
            }
        };
        rename(&mut r.applicant);
        let applicants = r
            .suggested_household
            .iter_mut()
            .chain(r.form.household.iter_mut().flatten())
            .filter(|m| m.relation == Relation::Applicant);
        applicants.for_each(rename);
        if let (Some(household), None) = (&self.household, &r.form.household) {
            r.suggested_household.truncate(1);
            r.suggested_household.extend(members_on_file(household));
        }
        before
            != (
                r.applicant.clone(),
                r.suggested_household.clone(),
                r.form.household.clone(),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 02);

    #[test]
    fn each_field_is_checked_as_the_national_file_is() {
        let r = Rectification::parse(
            &json!({"changes": {"last_name": "Durand-Petit", "email": null, "address": {"line": "1 place du Marché", "postal_code": "76100", "city": "Rouen"}}}),
            TODAY,
        )
        .unwrap_or_default();
        assert_eq!(r.last_name.as_ref().map(Name::as_str), Some("Durand-Petit"));
        assert_eq!(r.email, Some(None));
        assert_eq!(r.address.map(|a| a.postal_code), Some("76100".to_owned()));
        assert_eq!((r.first_name, r.phone, r.household), (None, None, None));
    }

    #[test]
    fn nothing_unknown_nor_malformed_passes() {
        let codes = |body: Value| -> Vec<(String, &'static str)> {
            Rectification::parse(&body, TODAY)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect()
        };
        assert_eq!(codes(json!({})), [("changes".to_owned(), "required")]);
        assert_eq!(
            codes(json!({"changes": {}})),
            [("changes".to_owned(), "required")]
        );
        assert_eq!(
            codes(json!({"changes": {"nir": "x", "email": "pas-une-adresse"}})),
            [
                ("changes.nir".to_owned(), "unknown_field"),
                ("changes.email".to_owned(), "invalid_email")
            ]
        );
        assert_eq!(
            codes(json!({"changes": {"household": [{"relation": "child"}]}})).len(),
            1
        );
    }

    #[test]
    fn names_and_the_offered_household_reach_the_open_renewal() {
        let mut r = crate::renewal::draft::tests::draft();
        let fix = Rectification::parse(
            &json!({"changes": {"last_name": "Durand-Petit", "household": []}}),
            TODAY,
        )
        .unwrap_or_default();
        assert!(fix.apply_to(&mut r));
        assert_eq!(r.applicant.last_name.as_str(), "Durand-Petit");
        assert_eq!(r.suggested_household.len(), 1);
        assert_eq!(r.suggested_household[0].last_name.as_str(), "Durand-Petit");
        assert!(!fix.apply_to(&mut r), "applied twice changes nothing");
    }
}
