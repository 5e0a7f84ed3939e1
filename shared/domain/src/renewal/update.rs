//! The `PUT /api/renewals/{id}` body: every field error collected, with stable codes.

use super::form::{parse_manager, Form};
use crate::dates::{self, age_on};
use crate::field::{optional_bool, FieldError};
use crate::household::{Housing, HousingStatus, Member, Relation, Resource, ResourceKind};
use crate::text::Name;
use serde_json::{Map, Value};
use time::Date;

/// A `PUT /api/renewals/{id}` body, validated. Fields left out are left as they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub version: u64,
    pub household: Option<Vec<Member>>,
    pub resources: Option<Vec<Resource>>,
    pub housing: Option<Housing>,
    pub manager: Option<String>,
}

const MAX_MEMBERS: usize = 15;
const MAX_RESOURCES: usize = 60;
/// 10 million euros: anything above is a typing error, not an income.
const MAX_AMOUNT_CENTS: i64 = 1_000_000_000;

impl Update {
    /// `applicant` is the beneficiary as the national system knows them: always the first
    /// member, whatever the body says about them. `request_day` dates the under-25 rule.
    pub fn parse(
        body: &Value,
        applicant: &Member,
        current: &Form,
        request_day: Date,
    ) -> Result<Update, Vec<FieldError>> {
        let mut errors = Vec::new();
        let Some(o) = body.as_object() else {
            return Err(vec![FieldError::new(
                "",
                "invalid_body",
                "Le corps de la requête doit être un objet JSON.",
            )]);
        };
        let version = match o.get("version") {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64().unwrap_or(0),
            None | Some(Value::Null) => {
                errors.push(FieldError::required("version"));
                0
            }
            Some(_) => {
                errors.push(FieldError::wrong_type("version"));
                0
            }
        };
        let household = present(o, "household")
            .map(|v| parse_household(v, applicant, request_day, &mut errors));
        let members: Vec<Member> = household
            .clone()
            .flatten()
            .or_else(|| current.household.clone())
            .unwrap_or_else(|| vec![applicant.clone()]);
        let resources = present(o, "resources").map(|v| parse_resources(v, &members, &mut errors));
        let housing = present(o, "housing").map(|v| parse_housing(v, &mut errors));
        let manager = present(o, "manager").map(|v| match v.as_str().and_then(parse_manager) {
            Some(m) => Some(m),
            None => {
                errors.push(FieldError::new(
                    "manager",
                    "invalid_manager",
                    "Choisissez la caisse ou le code d'un organisme gestionnaire.",
                ));
                None
            }
        });
        if errors.is_empty() {
            Ok(Update {
                version,
                household: household.flatten(),
                resources: resources.flatten(),
                housing: housing.flatten(),
                manager: manager.flatten(),
            })
        } else {
            Err(errors)
        }
    }

    pub fn apply(self, form: &mut Form) {
        if let Some(h) = self.household {
            // Resources of members who left the household go with them.
            if let Some(res) = form.resources.as_mut() {
                res.retain(|r| h.iter().any(|m| m.id == r.member));
            }
            form.household = Some(h);
        }
        if self.resources.is_some() {
            form.resources = self.resources;
        }
        if self.housing.is_some() {
            form.housing = self.housing;
        }
        if self.manager.is_some() {
            form.manager = self.manager;
        }
    }
}

fn present<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    o.get(key).filter(|v| !v.is_null())
}

fn parse_household(
    v: &Value,
    applicant: &Member,
    request_day: Date,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<Member>> {
    let Some(list) = v.as_array() else {
        errors.push(FieldError::wrong_type("household"));
        return None;
    };
    if list.len() > MAX_MEMBERS {
        errors.push(FieldError::new(
            "household",
            "too_many",
            "Le foyer compte trop de personnes.",
        ));
        return None;
    }
    let before = errors.len();
    let mut members = vec![applicant.clone()];
    let mut spouses = 0;
    for (i, item) in list.iter().enumerate() {
        let field = format!("household[{i}]");
        let Some(m) = item.as_object() else {
            errors.push(FieldError::wrong_type(field));
            continue;
        };
        let relation = match m.get("relation").and_then(Value::as_str) {
            Some("applicant") => continue,
            Some("spouse") => Relation::Spouse,
            Some("child") => Relation::Child,
            Some("other") => Relation::Other,
            _ => {
                errors.push(FieldError::new(
                    format!("{field}.relation"),
                    "invalid_enum",
                    "Le lien doit être spouse, child ou other.",
                ));
                continue;
            }
        };
        let first_name = m
            .get("first_name")
            .and_then(Value::as_str)
            .and_then(Name::parse);
        let last_name = m
            .get("last_name")
            .and_then(Value::as_str)
            .and_then(Name::parse);
        let birth_date = m
            .get("birth_date")
            .and_then(Value::as_str)
            .and_then(|s| dates::parse_date(s).ok());
        if first_name.is_none() {
            errors.push(FieldError::new(
                format!("{field}.first_name"),
                "invalid_name",
                "Indiquez un prénom, en lettres.",
            ));
        }
        if last_name.is_none() {
            errors.push(FieldError::new(
                format!("{field}.last_name"),
                "invalid_name",
                "Indiquez un nom, en lettres.",
            ));
        }
        let (Some(first_name), Some(last_name)) = (first_name, last_name) else {
            continue;
        };
        let Some(birth_date) = birth_date.filter(|d| *d <= request_day && d.year() >= 1890) else {
            errors.push(FieldError::new(
                format!("{field}.birth_date"),
                "invalid_date",
                "Indiquez une date de naissance réelle, au format AAAA-MM-JJ.",
            ));
            continue;
        };
        if relation == Relation::Spouse {
            spouses += 1;
            if spouses > 1 {
                errors.push(FieldError::new(
                    format!("{field}.relation"),
                    "too_many_spouses",
                    "Le foyer ne compte qu'un conjoint.",
                ));
                continue;
            }
        }
        if relation == Relation::Child && age_on(birth_date, request_day) >= 25 {
            errors.push(FieldError::new(
                format!("{field}.birth_date"),
                "child_too_old",
                "Un enfant à charge doit avoir moins de 25 ans ; déclarez-le comme « autre ».",
            ));
            continue;
        }
        let id = match m.get("id").and_then(Value::as_str) {
            Some(id) if is_member_id(id) && !members.iter().any(|x| x.id == id) => id.to_owned(),
            _ => next_member_id(&members),
        };
        let Ok(alternating_custody) = optional_bool(item, "alternating_custody") else {
            errors.push(FieldError::wrong_type(format!(
                "{field}.alternating_custody"
            )));
            continue;
        };
        let alternating_custody = alternating_custody.unwrap_or(false);
        members.push(Member {
            id,
            relation,
            first_name,
            last_name,
            birth_date,
            alternating_custody,
        });
    }
    (errors.len() == before).then_some(members)
}

fn is_member_id(id: &str) -> bool {
    id != "applicant"
        && (1..=20).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn next_member_id(members: &[Member]) -> String {
    (2..)
        .map(|n| format!("m{n}"))
        .find(|id| !members.iter().any(|m| &m.id == id))
        .unwrap_or_default()
}

fn parse_resources(
    v: &Value,
    members: &[Member],
    errors: &mut Vec<FieldError>,
) -> Option<Vec<Resource>> {
    let Some(list) = v.as_array() else {
        errors.push(FieldError::wrong_type("resources"));
        return None;
    };
    if list.len() > MAX_RESOURCES {
        errors.push(FieldError::new(
            "resources",
            "too_many",
            "Trop de lignes de ressources.",
        ));
        return None;
    }
    let before = errors.len();
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let field = format!("resources[{i}]");
        let Some(r) = item.as_object() else {
            errors.push(FieldError::wrong_type(field));
            continue;
        };
        // A member by id, or by position in the household (0 is the applicant).
        let member = match r.get("member") {
            None | Some(Value::Null) => Some("applicant".to_owned()),
            Some(Value::String(s)) => members.iter().find(|m| m.id == *s).map(|m| m.id.clone()),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|i| members.get(i as usize))
                .map(|m| m.id.clone()),
            Some(_) => None,
        };
        let Some(member) = member else {
            errors.push(FieldError::new(
                format!("{field}.member"),
                "unknown_member",
                "Cette personne ne fait pas partie du foyer déclaré.",
            ));
            continue;
        };
        let kind = r
            .get("kind")
            .and_then(|k| serde_json::from_value::<ResourceKind>(k.clone()).ok());
        let Some(kind) = kind else {
            errors.push(FieldError::new(
                format!("{field}.kind"),
                "invalid_enum",
                "Choisissez un type de ressource de la liste.",
            ));
            continue;
        };
        let amount = |key: &str| -> Result<Option<i64>, ()> {
            match r.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .filter(|a| (0..=MAX_AMOUNT_CENTS).contains(a))
                    .map(Some)
                    .ok_or(()),
                Some(_) => Err(()),
            }
        };
        match (amount("monthly_cents"), amount("annual_cents")) {
            (Ok(m), Ok(a)) if m.is_some() != a.is_some() => out.push(Resource {
                member,
                kind,
                monthly_cents: m,
                annual_cents: a,
            }),
            (Ok(_), Ok(_)) => errors.push(FieldError::new(
                field,
                "amount_required",
                "Indiquez un montant mensuel ou annuel, pas les deux.",
            )),
            _ => errors.push(FieldError::new(
                field,
                "invalid_amount",
                "Le montant doit être un nombre entier de centimes, positif.",
            )),
        }
    }
    (errors.len() == before).then_some(out)
}

fn parse_housing(v: &Value, errors: &mut Vec<FieldError>) -> Option<Housing> {
    let status = v
        .get("status")
        .and_then(|s| serde_json::from_value::<HousingStatus>(s.clone()).ok());
    let aid = match v.get("housing_aid_cents") {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_i64().filter(|a| (0..=MAX_AMOUNT_CENTS).contains(a)),
        Some(_) => None,
    };
    match (status, aid) {
        (Some(status), Some(housing_aid_cents)) => Some(Housing {
            status,
            housing_aid_cents,
        }),
        (None, _) => {
            errors.push(FieldError::new(
                "housing.status",
                "invalid_enum",
                "Choisissez locataire, propriétaire, hébergé gratuitement ou sans domicile.",
            ));
            None
        }
        (_, None) => {
            errors.push(FieldError::new(
                "housing.housing_aid_cents",
                "invalid_amount",
                "Le montant doit être un nombre entier de centimes, positif.",
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentKind;
    use crate::document::DocumentStatus::*;
    use crate::renewal::submission::{missing, DocumentState};
    use serde_json::json;
    use time::macros::date;

    fn applicant() -> Member {
        Member {
            id: "applicant".into(),
            relation: Relation::Applicant,
            first_name: Name::parse("Marie").unwrap_or_else(|| unreachable!()),
            last_name: Name::parse("Durand").unwrap_or_else(|| unreachable!()),
            birth_date: date!(1984 - 05 - 12),
            alternating_custody: false,
        }
    }

    const DAY: Date = date!(2026 - 11 - 23);

    fn full_update() -> Value {
        json!({
            "version": 3,
            "household": [{"relation": "child", "first_name": "Léa", "last_name": "Durand", "birth_date": "2012-03-04"}],
            "resources": [{"member": "applicant", "kind": "salary", "monthly_cents": 120000}, {"member": 1, "kind": "scholarship", "annual_cents": 0}],
            "housing": {"status": "tenant", "housing_aid_cents": 25000},
            "manager": "caisse"
        })
    }

    #[test]
    fn a_full_update_applies_and_needs_a_document() {
        let u =
            Update::parse(&full_update(), &applicant(), &Form::default(), DAY).map_err(|e| e.len());
        let mut form = Form::default();
        let u = u.map(|u| {
            assert_eq!(u.version, 3);
            u.apply(&mut form)
        });
        assert_eq!(u, Ok(()));
        let members = form.household.clone().unwrap_or_default();
        assert_eq!(
            members.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["applicant", "m2"]
        );
        assert_eq!(
            form.resources.as_ref().map(|r| r[1].member.as_str()),
            Some("m2")
        );
        assert_eq!(missing(&form, &[], &[]), ["documents"]);
        let pending = [DocumentState {
            kind: DocumentKind::Payslip,
            status: PendingScan,
        }];
        assert_eq!(
            missing(&form, &pending, &[]),
            ["documents", "documents_pending"]
        );
        let clean = [DocumentState {
            kind: DocumentKind::Payslip,
            status: Clean,
        }];
        assert!(missing(&form, &clean, &[]).is_empty());
        assert_eq!(
            missing(&form, &clean, &[DocumentKind::RentReceipt]),
            ["document:rent_receipt"]
        );
    }

    #[test]
    fn no_income_needs_no_document() {
        let body = json!({"version": 1, "household": [], "resources": [], "housing": {"status": "homeless"}, "manager": "caisse"});
        let mut form = Form::default();
        let applied =
            Update::parse(&body, &applicant(), &Form::default(), DAY).map(|u| u.apply(&mut form));
        assert!(applied.is_ok());
        assert!(missing(&form, &[], &[]).is_empty());
    }

    #[test]
    fn errors_name_each_field() {
        let body = json!({
            "household": [{"relation": "child", "first_name": "Léo", "last_name": "Durand", "birth_date": "1990-01-01"}, {"relation": "uncle"}],
            "resources": [{"member": "nobody", "kind": "salary", "monthly_cents": 1}, {"kind": "lottery", "monthly_cents": 1}, {"kind": "salary", "monthly_cents": -5}],
            "housing": {"status": "castle"},
            "manager": "Not a code!"
        });
        let fields: Vec<String> = Update::parse(&body, &applicant(), &Form::default(), DAY)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect();
        assert_eq!(
            fields,
            [
                "version:required",
                "household[0].birth_date:child_too_old",
                "household[1].relation:invalid_enum",
                "resources[0].member:unknown_member",
                "resources[1].kind:invalid_enum",
                "resources[2]:invalid_amount",
                "housing.status:invalid_enum",
                "manager:invalid_manager",
            ]
        );
    }
}
