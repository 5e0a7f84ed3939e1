//! The form the beneficiary fills, and how the eligibility engine reads it.

use crate::beneficiary::Territory;
use crate::eligibility::{self, AgeParticipation, Declared, Parameters, Person, Situation};
use crate::household::{Housing, Member, Resource};
use crate::text::is_slug;
use serde::{Deserialize, Serialize};
use time::Date;

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
        household: persons(household),
        resources: resources
            .iter()
            .map(|r| Declared {
                kind: r.kind,
                annual_cents: r.annual(),
            })
            .collect(),
        housing_status: housing.status,
        housing_aid_cents: housing.housing_aid_cents,
    })
}

fn persons(household: &[Member]) -> Vec<Person> {
    household
        .iter()
        .map(|m| Person {
            relation: m.relation,
            birth_date: m.birth_date,
            alternating_custody: m.alternating_custody,
        })
        .collect()
}

/// What a participation decision on this form carries: the age table's amount for each
/// member of the confirmed household, whatever the ceilings; `None` until the household is
/// confirmed, for a household the engine refuses, or where no age table covers the day.
pub fn participation_by_age(
    form: &Form,
    request_day: Date,
    params: &Parameters,
) -> Option<AgeParticipation> {
    let household = persons(form.household.as_ref()?);
    eligibility::participation_by_age(params, &household, request_day)
        .ok()
        .flatten()
}
