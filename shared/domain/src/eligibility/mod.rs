//! The C2S eligibility engine: who counts in the foyer, the ceilings in force, the forfait
//! logement, the outcome and the participation. Pure functions over typed inputs, money in
//! cents. The legal amounts live in `parameters/c2s.toml`, dated; a period the file does not
//! cover is never guessed.

use crate::beneficiary::Territory;
use crate::dates::{self, age_on, Period};
use crate::household::{HousingStatus, Relation, ResourceKind};
use serde::{Deserialize, Serialize};
use time::{Date, Month};

mod parameters;

pub use parameters::{Parameters, Revaluation};

/// The C2S replaced the CMU-C and the ACS on 1 November 2019 (loi n° 2018-1203, art. 52):
/// no request can be for a month before.
pub const C2S_START: Date = time::macros::date!(2019 - 11 - 01);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub relation: Relation,
    pub birth_date: Date,
    /// A child in alternating custody counts half in the foyer.
    pub alternating_custody: bool,
}

/// A resource as declared: what it is, and its amount over the reference period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    pub kind: ResourceKind,
    pub annual_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Situation {
    pub request_date: Date,
    pub territory: Territory,
    pub household: Vec<Person>,
    /// The foyer's resources over the reference period, without the forfait logement; each
    /// counts or not by its kind and the rules in force on the request date.
    pub resources: Vec<Declared>,
    pub housing_status: HousingStatus,
    /// Monthly housing aid received.
    pub housing_aid_cents: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Free,
    Participation,
    OverCeiling,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberParticipation {
    /// Position in the household as given.
    pub member: usize,
    pub age_on_january_first: i32,
    pub monthly_cents: i64,
}

/// The foyer's participation by the age table, whatever the ceilings: what a participation
/// decision carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeParticipation {
    pub monthly_cents: i64,
    pub members: Vec<MemberParticipation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    pub outcome: Outcome,
    pub ceiling_free_cents: i64,
    pub ceiling_participation_cents: i64,
    /// Total for the foyer; 0 unless the outcome is `participation`.
    pub monthly_participation_cents: i64,
    /// Per member, when the outcome is `participation`.
    pub members: Vec<MemberParticipation>,
    /// The foyer's size in half persons (a child in alternating custody is 1).
    pub foyer_size_halves: u32,
    pub forfait_logement_annual_cents: i64,
    pub resources_considered_cents: i64,
    /// Declared, but of kinds the rules in force no longer count.
    pub resources_not_counted_cents: i64,
    pub reference_period: Period,
    /// The ceilings are the last published table revalued (`revaluation` says how), not a
    /// published one.
    pub provisional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revaluation: Option<Revaluation>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstimateError {
    #[error("les barèmes de cette période ne sont pas connus")]
    ParametersUnknown,
    #[error("le foyer doit compter exactement un demandeur")]
    Applicant,
    #[error("le foyer compte au plus un conjoint")]
    Spouses,
    #[error("les ressources ne peuvent pas être négatives")]
    NegativeResources,
}

// ------------------------------------------------------------------ the rules

/// Ceiling for a foyer ranked as R861-3 ranks it (applicant, spouse, then dependants from the
/// oldest), each with its weight in half persons: the base for the first person, then for each
/// rank its step of the table (after the 4th, a fixed amount per person), times its weight.
pub fn ceiling_for(table: &[i64; 4], extra: i64, weights: &[u32]) -> i64 {
    let step = |rank: usize| -> i64 {
        match rank {
            2..=4 => table[rank - 1] - table[rank - 2],
            _ => extra,
        }
    };
    table[0]
        + weights
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, w)| step(i + 1) * i64::from(*w) / 2)
            .sum::<i64>()
}

/// Who counts, in the order of R861-3: the applicant, a spouse, then dependants (children
/// and others under 25 on the request date) from the oldest. Returns (position, weight in half
/// persons); a minor child in alternating custody weighs half.
fn foyer(household: &[Person], request_date: Date) -> Result<Vec<(usize, u32)>, EstimateError> {
    let applicant = household
        .iter()
        .position(|p| p.relation == Relation::Applicant)
        .ok_or(EstimateError::Applicant)?;
    if household
        .iter()
        .filter(|p| p.relation == Relation::Applicant)
        .count()
        > 1
    {
        return Err(EstimateError::Applicant);
    }
    let spouses: Vec<usize> = household
        .iter()
        .enumerate()
        .filter(|(_, p)| p.relation == Relation::Spouse)
        .map(|(i, _)| i)
        .collect();
    if spouses.len() > 1 {
        return Err(EstimateError::Spouses);
    }
    let mut dependants: Vec<(usize, &Person)> = household
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            matches!(p.relation, Relation::Child | Relation::Other)
                && age_on(p.birth_date, request_date) < 25
        })
        .collect();
    dependants.sort_by_key(|(i, p)| (p.birth_date, *i));
    let mut out = vec![(applicant, 2)];
    out.extend(spouses.into_iter().map(|i| (i, 2)));
    out.extend(dependants.into_iter().map(|(i, p)| {
        let shared = p.alternating_custody
            && p.relation == Relation::Child
            && age_on(p.birth_date, request_date) < 18;
        (i, if shared { 1 } else { 2 })
    }));
    Ok(out)
}

/// The forfait logement over a year: a share of the RSA base by number of persons, for
/// owners and people housed free, or for people with housing aid (capped at the aid).
pub fn forfait_logement_annual(
    params: &Parameters,
    on: Date,
    persons: usize,
    status: HousingStatus,
    aid_monthly_cents: i64,
) -> Result<i64, EstimateError> {
    let index = persons.clamp(1, 3) - 1;
    // A share (per mille) of the RSA amount for the foyer (per cent of the single amount).
    let majoration = params.rsa_majoration[index];
    let monthly_share =
        |permille: i64, base: i64| (permille * base * majoration + 50_000) / 100_000;
    let monthly = if aid_monthly_cents > 0 {
        let base = params
            .rsa_base(on)
            .ok_or(EstimateError::ParametersUnknown)?;
        monthly_share(params.forfait_aid[index], base).min(aid_monthly_cents)
    } else if matches!(status, HousingStatus::Owner | HousingStatus::HousedFree) {
        let base = params
            .rsa_base(on)
            .ok_or(EstimateError::ParametersUnknown)?;
        monthly_share(params.forfait_owner[index], base)
    } else {
        0
    };
    Ok(monthly * 12)
}

/// What each member of the foyer pays by the age table in force on the request date (age on
/// 1 January of its year), whatever the ceilings; `None` where no age table covers the date.
fn by_age(
    params: &Parameters,
    household: &[Person],
    counted: &[(usize, u32)],
    request_date: Date,
) -> Option<AgeParticipation> {
    let january =
        Date::from_calendar_date(request_date.year(), Month::January, 1).unwrap_or(request_date);
    let members = counted
        .iter()
        .map(|(i, _)| {
            let age = age_on(household[*i].birth_date, january);
            Some(MemberParticipation {
                member: *i,
                age_on_january_first: age,
                monthly_cents: params.participation_for_age(request_date, age)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(AgeParticipation {
        monthly_cents: members.iter().map(|m| m.monthly_cents).sum(),
        members,
    })
}

/// The participation a decision carries for this household: the age table's amount for each
/// member of the foyer, whatever the ceilings (`None`: no age table for the date).
pub fn participation_by_age(
    params: &Parameters,
    household: &[Person],
    request_date: Date,
) -> Result<Option<AgeParticipation>, EstimateError> {
    let counted = foyer(household, request_date)?;
    Ok(by_age(params, household, &counted, request_date))
}

pub fn estimate(params: &Parameters, s: &Situation) -> Result<Estimate, EstimateError> {
    if s.resources.iter().any(|r| r.annual_cents < 0) || s.housing_aid_cents < 0 {
        return Err(EstimateError::NegativeResources);
    }
    let counted = foyer(&s.household, s.request_date)?;
    let weights: Vec<u32> = counted.iter().map(|(_, w)| *w).collect();
    let halves: u32 = weights.iter().sum();
    let (table, revaluation) = params
        .ceilings(s.territory, s.request_date)
        .ok_or(EstimateError::ParametersUnknown)?;
    let ceiling_free = ceiling_for(&table.free, table.free_extra, &weights);
    let ceiling_participation =
        ceiling_for(&table.participation, table.participation_extra, &weights);
    let forfait = forfait_logement_annual(
        params,
        s.request_date,
        counted.len(),
        s.housing_status,
        s.housing_aid_cents,
    )?;
    let (counts, not_counted): (Vec<&Declared>, Vec<&Declared>) = s
        .resources
        .iter()
        .partition(|r| params.counts(r.kind, s.request_date));
    let sum = |rs: &[&Declared]| rs.iter().map(|r| r.annual_cents).sum::<i64>();
    let resources = sum(&counts) + forfait;
    let outcome = if resources <= ceiling_free {
        Outcome::Free
    } else if resources <= ceiling_participation {
        Outcome::Participation
    } else {
        Outcome::OverCeiling
    };
    let members = if outcome == Outcome::Participation {
        // Owed, but of an amount no age table gives: never guessed.
        by_age(params, &s.household, &counted, s.request_date)
            .ok_or(EstimateError::ParametersUnknown)?
            .members
    } else {
        Vec::new()
    };
    Ok(Estimate {
        outcome,
        ceiling_free_cents: ceiling_free,
        ceiling_participation_cents: ceiling_participation,
        monthly_participation_cents: members.iter().map(|m| m.monthly_cents).sum(),
        members,
        foyer_size_halves: halves,
        forfait_logement_annual_cents: forfait,
        resources_considered_cents: resources,
        resources_not_counted_cents: sum(&not_counted),
        reference_period: dates::reference_period(s.request_date),
        provisional: revaluation.is_some(),
        revaluation,
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dated;
