//! A renewal request: its status machine, the form the beneficiary fills, and what a
//! submission still needs.

use crate::beneficiary::Territory;
use crate::dates::{self, add_months, age_on, Period};
use crate::document::{DocumentKind, DocumentStatus};
use crate::eligibility::{Person, Situation};
use crate::field::FieldError;
use crate::text::{is_slug, Name};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    InReview,
    AwaitingDocuments,
    Approved,
    Rejected,
    Exported,
    Integrated,
    Withdrawn,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::InReview => "in_review",
            Status::AwaitingDocuments => "awaiting_documents",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Exported => "exported",
            Status::Integrated => "integrated",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Open: not decided, not withdrawn. A beneficiary has at most one open renewal.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Draft | Status::Submitted | Status::InReview | Status::AwaitingDocuments
        )
    }

    /// The beneficiary (or the partner acting for them) may change the form and its documents.
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Draft | Status::AwaitingDocuments)
    }

    /// The transitions of the contract; anything else is refused.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        match (self, next) {
            (Draft | AwaitingDocuments, Submitted) => true,
            (Submitted, InReview) => true,
            (InReview, AwaitingDocuments | Approved | Rejected) => true,
            (Approved | Rejected, Exported) => true,
            (Exported, Integrated) => true,
            // The national system refused the decision: back to the agents.
            (Exported, InReview) => true,
            (s, Withdrawn) => s.is_open(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Beneficiary,
    Partner,
    Agent,
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub status: Status,
    #[serde(with = "dates::instant")]
    pub at: OffsetDateTime,
    pub actor: ActorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Applicant,
    Spouse,
    Child,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub relation: Relation,
    pub first_name: Name,
    pub last_name: Name,
    #[serde(with = "dates::iso")]
    pub birth_date: Date,
    /// A child in alternating custody counts half in the foyer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alternating_custody: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Salary,
    SelfEmployed,
    Unemployment,
    Pension,
    Disability,
    DailyAllowances,
    FamilyBenefits,
    Rsa,
    Aah,
    Alimony,
    Scholarship,
    RentalIncome,
    CapitalIncome,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub member: String,
    pub kind: ResourceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annual_cents: Option<i64>,
}

impl Resource {
    /// The amount over the 12 months of the reference period.
    pub fn annual(&self) -> i64 {
        self.annual_cents
            .unwrap_or_else(|| self.monthly_cents.unwrap_or(0) * 12)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HousingStatus {
    Tenant,
    Owner,
    HousedFree,
    Homeless,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Housing {
    pub status: HousingStatus,
    /// Monthly housing aid received (APL, ALS, ALF), in cents.
    #[serde(default)]
    pub housing_aid_cents: i64,
}

/// Who manages the C2S once granted: the caisse itself or an approved organisme, by its code.
pub fn parse_manager(s: &str) -> Option<String> {
    let s = s.trim();
    (s == "caisse" || is_slug(&s.to_ascii_lowercase(), 40)).then(|| s.to_ascii_lowercase())
}

/// The form part of a renewal. `None` means "not given yet": declaring an empty list of
/// resources is an answer, not giving any is not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub household: Option<Vec<Member>>,
    pub resources: Option<Vec<Resource>>,
    pub housing: Option<Housing>,
    pub manager: Option<String>,
}

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
        let alternating_custody = m
            .get("alternating_custody")
            .and_then(Value::as_bool)
            .unwrap_or(false);
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

/// What a document looks like to the submission rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentState {
    pub kind: DocumentKind,
    pub status: DocumentStatus,
}

/// What `submit` still needs, as stable codes, in the order the form asks for them.
/// Declared income needs at least one clean supporting document; each kind an agent asked
/// for needs one; a document still being checked holds the submission back.
pub fn missing(
    form: &Form,
    documents: &[DocumentState],
    requested: &[DocumentKind],
) -> Vec<String> {
    let mut out = Vec::new();
    if form.household.is_none() {
        out.push("household".to_owned());
    }
    if form.resources.is_none() {
        out.push("resources".to_owned());
    }
    if form.housing.is_none() {
        out.push("housing".to_owned());
    }
    if form.manager.is_none() {
        out.push("manager".to_owned());
    }
    let clean = |k: Option<DocumentKind>| {
        documents
            .iter()
            .any(|d| d.status == DocumentStatus::Clean && k.is_none_or(|k| d.kind == k))
    };
    let has_income = form
        .resources
        .as_ref()
        .is_some_and(|r| r.iter().any(|r| r.annual() > 0));
    if has_income && !clean(None) {
        out.push("documents".to_owned());
    }
    for kind in requested {
        if !clean(Some(*kind)) {
            out.push(format!("document:{}", kind.as_str()));
        }
    }
    if documents.iter().any(|d| {
        matches!(
            d.status,
            DocumentStatus::AwaitingUpload | DocumentStatus::PendingScan
        )
    }) {
        out.push("documents_pending".to_owned());
    }
    out
}

/// The form as the eligibility engine reads it, once household, resources and housing are
/// given: the same engine answers the beneficiary's estimate and the agent's proposal.
pub fn situation(form: &Form, territory: Territory, request_day: Date) -> Option<Situation> {
    let (household, resources, housing) = (
        form.household.as_ref()?,
        form.resources.as_ref()?,
        form.housing.as_ref()?,
    );
    Some(Situation {
        request_date: request_day,
        territory,
        household: household
            .iter()
            .map(|m| Person {
                relation: m.relation,
                birth_date: m.birth_date,
                alternating_custody: m.alternating_custody,
            })
            .collect(),
        resources_annual_cents: resources.iter().map(Resource::annual).sum(),
        housing_status: housing.status,
        housing_aid_cents: housing.housing_aid_cents,
    })
}

/// What an agent decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    Free,
    Participation,
    Rejected,
}

/// The fixed list of reasons an agent may give; a rejection needs one.
pub const REASON_CODES: &[&str] = &[
    "eligible",
    "eligible_by_silence",
    "over_ceiling",
    "incomplete_file",
    "documents_not_provided",
    "not_resident",
    "irregular_stay",
    "already_covered",
    "duplicate_request",
    "other",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub outcome: DecisionOutcome,
    pub reason_code: Option<String>,
    #[serde(with = "dates::iso_opt", default)]
    pub rights_start: Option<Date>,
    #[serde(with = "dates::iso_opt", default)]
    pub rights_end: Option<Date>,
    pub monthly_participation_cents: i64,
    #[serde(with = "dates::instant")]
    pub decided_at: OffsetDateTime,
    pub agent_id: String,
}

/// Rights last 12 months. They start the day after the current rights end when the request
/// came in time (submitted before they ended), else on the 1st of the month after the decision.
pub fn rights_period(css_end_date: Date, submitted_on: Date, decided_on: Date) -> (Date, Date) {
    let start = if submitted_on <= css_end_date {
        css_end_date.next_day().unwrap_or(css_end_date)
    } else {
        crate::dates::first_of_month(add_months(decided_on, 1))
    };
    let end = add_months(start, 12).previous_day().unwrap_or(start);
    (start, end)
}

/// The decision deadline: 2 months after the file became complete; silence means acceptance
/// (CSS L861-5).
pub fn decision_deadline(complete_on: Date) -> Date {
    add_months(complete_on, 2)
}

/// A renewal may be asked from 4 months before the rights end.
pub fn opens_on(css_end_date: Date) -> Date {
    add_months(css_end_date, -4)
}

pub fn reference_period(request_day: Date) -> Period {
    dates::reference_period(request_day)
}

/// The number printed on the receipt: year of submission and a short form of the id.
pub fn receipt_number(renewal_id: &str, submitted_at: OffsetDateTime) -> String {
    let short: String = renewal_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect::<String>()
        .to_ascii_uppercase();
    format!("C2S-{}-{short}", submitted_at.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentStatus::*;
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

    #[test]
    fn transitions_follow_the_contract() {
        use Status::*;
        assert!(Draft.can_become(Submitted));
        assert!(AwaitingDocuments.can_become(Submitted));
        assert!(InReview.can_become(Approved));
        assert!(!Draft.can_become(Approved));
        assert!(!Approved.can_become(Withdrawn));
        assert!(Submitted.can_become(Withdrawn));
        assert!(!Withdrawn.can_become(Submitted));
        assert!(!Integrated.can_become(Withdrawn));
    }

    #[test]
    fn an_empty_form_misses_everything() {
        assert_eq!(
            missing(&Form::default(), &[], &[]),
            ["household", "resources", "housing", "manager"]
        );
    }

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

    #[test]
    fn renewals_open_four_months_before_the_end() {
        assert_eq!(opens_on(date!(2027 - 03 - 31)), date!(2026 - 11 - 30));
        assert_eq!(opens_on(date!(2027 - 01 - 31)), date!(2026 - 09 - 30));
    }

    #[test]
    fn rights_start_after_the_current_ones_when_asked_in_time() {
        assert_eq!(
            rights_period(
                date!(2027 - 01 - 31),
                date!(2026 - 11 - 23),
                date!(2026 - 12 - 10)
            ),
            (date!(2027 - 02 - 01), date!(2028 - 01 - 31))
        );
        // Asked after the end: the 1st of the month after the decision.
        assert_eq!(
            rights_period(
                date!(2026 - 10 - 31),
                date!(2026 - 11 - 23),
                date!(2026 - 12 - 10)
            ),
            (date!(2027 - 01 - 01), date!(2027 - 12 - 31))
        );
        // Asked on the last day still counts as in time.
        assert_eq!(
            rights_period(
                date!(2026 - 11 - 23),
                date!(2026 - 11 - 23),
                date!(2027 - 01 - 05)
            )
            .0,
            date!(2026 - 11 - 24)
        );
        assert_eq!(
            decision_deadline(date!(2026 - 12 - 31)),
            date!(2027 - 02 - 28)
        );
    }

    #[test]
    fn receipt_numbers() {
        let at = time::macros::datetime!(2026-11-23 10:00 UTC);
        assert_eq!(
            receipt_number("0f3a9c2e-1b2c-4d5e-8f90-123456789abc", at),
            "C2S-2026-0F3A9C2E1B"
        );
    }
}
