//! The C2S eligibility engine: who counts in the foyer, the ceilings in force, the forfait
//! logement, the outcome and the participation. Pure functions over typed inputs, money in
//! cents. The legal amounts live in `parameters/c2s.toml`, dated; a period the file does not
//! cover is never guessed.

use crate::beneficiary::Territory;
use crate::dates::{self, age_on, Period};
use crate::household::{HousingStatus, Relation};
use serde::{Deserialize, Serialize};
use time::{Date, Month};

mod parameters;

pub use parameters::Parameters;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub relation: Relation,
    pub birth_date: Date,
    /// A child in alternating custody counts half in the foyer.
    pub alternating_custody: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Situation {
    pub request_date: Date,
    pub territory: Territory,
    pub household: Vec<Person>,
    /// The foyer's resources over the reference period, without the forfait logement.
    pub resources_annual_cents: i64,
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
    pub reference_period: Period,
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
fn foyer(s: &Situation) -> Result<Vec<(usize, u32)>, EstimateError> {
    let applicant = s
        .household
        .iter()
        .position(|p| p.relation == Relation::Applicant)
        .ok_or(EstimateError::Applicant)?;
    if s.household
        .iter()
        .filter(|p| p.relation == Relation::Applicant)
        .count()
        > 1
    {
        return Err(EstimateError::Applicant);
    }
    let spouses: Vec<usize> = s
        .household
        .iter()
        .enumerate()
        .filter(|(_, p)| p.relation == Relation::Spouse)
        .map(|(i, _)| i)
        .collect();
    if spouses.len() > 1 {
        return Err(EstimateError::Spouses);
    }
    let mut dependants: Vec<(usize, &Person)> = s
        .household
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            matches!(p.relation, Relation::Child | Relation::Other)
                && age_on(p.birth_date, s.request_date) < 25
        })
        .collect();
    dependants.sort_by_key(|(i, p)| (p.birth_date, *i));
    let mut out = vec![(applicant, 2)];
    out.extend(spouses.into_iter().map(|i| (i, 2)));
    out.extend(dependants.into_iter().map(|(i, p)| {
        let shared = p.alternating_custody
            && p.relation == Relation::Child
            && age_on(p.birth_date, s.request_date) < 18;
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

pub fn estimate(params: &Parameters, s: &Situation) -> Result<Estimate, EstimateError> {
    if s.resources_annual_cents < 0 || s.housing_aid_cents < 0 {
        return Err(EstimateError::NegativeResources);
    }
    let counted = foyer(s)?;
    let weights: Vec<u32> = counted.iter().map(|(_, w)| *w).collect();
    let halves: u32 = weights.iter().sum();
    let table = params
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
    let resources = s.resources_annual_cents + forfait;
    let outcome = if resources <= ceiling_free {
        Outcome::Free
    } else if resources <= ceiling_participation {
        Outcome::Participation
    } else {
        Outcome::OverCeiling
    };
    let january = Date::from_calendar_date(s.request_date.year(), Month::January, 1)
        .unwrap_or(s.request_date);
    let members: Vec<MemberParticipation> = if outcome == Outcome::Participation {
        counted
            .iter()
            .map(|(i, _)| {
                let age = age_on(s.household[*i].birth_date, january);
                MemberParticipation {
                    member: *i,
                    age_on_january_first: age,
                    monthly_cents: params.participation_for_age(age),
                }
            })
            .collect()
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
        reference_period: dates::reference_period(s.request_date),
    })
}

#[cfg(test)]
mod tests {
    use super::parameters::PARAMETERS;
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn params() -> &'static Parameters {
        Parameters::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    fn adult(relation: Relation, birth: Date) -> Person {
        Person {
            relation,
            birth_date: birth,
            alternating_custody: false,
        }
    }

    /// A foyer of `n` persons: an applicant born in 1980, a spouse, then children.
    fn household(n: usize) -> Vec<Person> {
        let mut h = vec![adult(Relation::Applicant, date!(1980 - 06 - 15))];
        if n >= 2 {
            h.push(adult(Relation::Spouse, date!(1982 - 06 - 15)));
        }
        for i in 2..n {
            h.push(adult(
                Relation::Child,
                Date::from_calendar_date(2010 + i as i32, Month::March, 3)
                    .unwrap_or(date!(2012 - 03 - 03)),
            ));
        }
        h
    }

    fn situation(n: usize, resources: i64) -> Situation {
        Situation {
            request_date: date!(2025 - 06 - 15),
            territory: Territory::Metropole,
            household: household(n),
            resources_annual_cents: resources,
            housing_status: HousingStatus::Tenant,
            housing_aid_cents: 0,
        }
    }

    fn run(s: &Situation) -> Estimate {
        estimate(params(), s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_shipped_parameters_read_and_hold_together() {
        assert!(Parameters::builtin().is_ok());
        assert!(Parameters::parse("plafonds = []").is_err());
        let overlapping = PARAMETERS.replace(
            "du = \"2025-04-01\"\nau = \"2026-03-31\"\ngratuite = [10339",
            "du = \"2025-03-01\"\nau = \"2026-03-31\"\ngratuite = [10339",
        );
        assert!(Parameters::parse(&overlapping).is_err_and(|e| e.contains("chevauchent")));
    }

    #[test]
    fn ceilings_for_each_foyer_size_up_to_eight() {
        // 2025-04-01 metropole, in euros.
        let free = [10339, 15508, 18609, 21711, 25846, 29981, 34116, 38251];
        let part = [13957, 20936, 25123, 29311, 34894, 40477, 46060, 51643];
        for n in 1..=8 {
            let e = run(&situation(n, 0));
            assert_eq!(
                (e.ceiling_free_cents, e.ceiling_participation_cents),
                (free[n - 1] * 100, part[n - 1] * 100),
                "{n} persons"
            );
            assert_eq!(e.foyer_size_halves, 2 * n as u32);
        }
    }

    #[test]
    fn exactly_at_a_ceiling_and_one_cent_above() {
        for n in 1..=8 {
            let e = run(&situation(n, 0));
            let (free, part) = (e.ceiling_free_cents, e.ceiling_participation_cents);
            assert_eq!(run(&situation(n, free)).outcome, Outcome::Free);
            assert_eq!(run(&situation(n, free + 1)).outcome, Outcome::Participation);
            assert_eq!(run(&situation(n, part)).outcome, Outcome::Participation);
            assert_eq!(run(&situation(n, part + 1)).outcome, Outcome::OverCeiling);
        }
    }

    #[test]
    fn ceilings_are_dated_and_never_guessed() {
        let mut s = situation(1, 0);
        s.request_date = date!(2025 - 03 - 31);
        assert_eq!(run(&s).ceiling_free_cents, 1_016_600);
        s.request_date = date!(2025 - 04 - 01);
        assert_eq!(run(&s).ceiling_free_cents, 1_033_900);
        s.request_date = date!(2026 - 04 - 01);
        assert_eq!(
            estimate(params(), &s),
            Err(EstimateError::ParametersUnknown)
        );
        s.request_date = date!(2024 - 03 - 31);
        assert_eq!(
            estimate(params(), &s),
            Err(EstimateError::ParametersUnknown)
        );
    }

    #[test]
    fn dom_has_its_own_ceilings_and_no_guess_for_2025() {
        let mut s = situation(3, 0);
        s.territory = Territory::Dom;
        s.request_date = date!(2024 - 10 - 01);
        let e = run(&s);
        assert_eq!(
            (e.ceiling_free_cents, e.ceiling_participation_cents),
            (2_036_600, 2_749_400)
        );
        s.household = household(6);
        assert_eq!(run(&s).ceiling_free_cents, (23_760 + 2 * 4_526) * 100);
        s.request_date = date!(2025 - 04 - 01);
        assert_eq!(
            estimate(params(), &s),
            Err(EstimateError::ParametersUnknown)
        );
    }

    #[test]
    fn a_child_in_alternating_custody_counts_half() {
        let mut s = situation(1, 0);
        s.household.push(Person {
            relation: Relation::Child,
            birth_date: date!(2015 - 01 - 01),
            alternating_custody: true,
        });
        let e = run(&s);
        assert_eq!(e.foyer_size_halves, 3);
        assert_eq!(
            e.ceiling_free_cents,
            1_033_900 + (1_550_800 - 1_033_900) / 2
        );
    }

    #[test]
    fn dependants_count_until_their_25th_birthday() {
        let mut s = situation(1, 0);
        s.household
            .push(adult(Relation::Child, date!(2000 - 06 - 16)));
        assert_eq!(
            run(&s).foyer_size_halves,
            4,
            "24 the day before the birthday"
        );
        s.household[1].birth_date = date!(2000 - 06 - 15);
        assert_eq!(run(&s).foyer_size_halves, 2, "25 on the request date");
        s.household[1] = adult(Relation::Other, date!(2003 - 01 - 01));
        assert_eq!(run(&s).foyer_size_halves, 4);
    }

    #[test]
    fn a_stated_participation_is_bounded_by_the_oldest_rate_for_each_member() {
        let p = params();
        assert_eq!(p.participation_ceiling_cents(1), 3000);
        assert_eq!(p.participation_ceiling_cents(4), 12_000);
        // No household given: the applicant alone.
        assert_eq!(p.participation_ceiling_cents(0), 3000);
        // No member of any age owes more than the bound.
        for age in [0, 29, 30, 49, 50, 59, 60, 69, 70, 110] {
            assert!(p.participation_for_age(age) <= p.participation_ceiling_cents(1));
        }
    }

    #[test]
    fn participation_by_age_on_january_first() {
        // Request in 2025: ages on 2025-01-01.
        let cases = [
            (date!(1995 - 01 - 02), 800),
            (date!(1995 - 01 - 01), 1400),
            (date!(1975 - 01 - 02), 1400),
            (date!(1975 - 01 - 01), 2100),
            (date!(1965 - 01 - 02), 2100),
            (date!(1965 - 01 - 01), 2500),
            (date!(1955 - 01 - 02), 2500),
            (date!(1955 - 01 - 01), 3000),
        ];
        for (birth, cents) in cases {
            let mut s = situation(1, 1_200_000);
            s.household[0].birth_date = birth;
            let e = run(&s);
            assert_eq!(e.outcome, Outcome::Participation);
            assert_eq!(e.monthly_participation_cents, cents, "born {birth}");
        }
        let e = run(&situation(4, 2_500_000));
        assert_eq!(e.outcome, Outcome::Participation);
        assert_eq!(
            e.members
                .iter()
                .map(|m| m.monthly_cents)
                .collect::<Vec<_>>(),
            [1400, 1400, 800, 800]
        );
        assert_eq!(e.monthly_participation_cents, 4400);
        assert_eq!(run(&situation(4, 0)).monthly_participation_cents, 0);
    }

    #[test]
    fn forfait_logement_variants() {
        let on = date!(2025 - 06 - 15);
        let p = params();
        let f = |persons, status, aid| forfait_logement_annual(p, on, persons, status, aid);
        // Owners and people housed free: 12 / 14 / 14 % of the RSA amount for the foyer
        // (646.52 EUR × 1 / 1.5 / 1.8).
        assert_eq!(f(1, HousingStatus::Owner, 0), Ok(7758 * 12));
        assert_eq!(f(2, HousingStatus::HousedFree, 0), Ok(13577 * 12));
        assert_eq!(f(5, HousingStatus::Owner, 0), Ok(16292 * 12));
        // Housing aid: 12 / 16 / 16.5 %, capped at the aid.
        assert_eq!(f(1, HousingStatus::Tenant, 30_000), Ok(7758 * 12));
        assert_eq!(f(2, HousingStatus::Tenant, 30_000), Ok(15516 * 12));
        assert_eq!(f(3, HousingStatus::Tenant, 30_000), Ok(19202 * 12));
        assert_eq!(f(3, HousingStatus::Tenant, 5_000), Ok(5_000 * 12));
        // Tenants without aid and homeless people: none.
        assert_eq!(f(2, HousingStatus::Tenant, 0), Ok(0));
        assert_eq!(f(2, HousingStatus::Homeless, 0), Ok(0));
        // 2024 base: 635.71 EUR; 2 people housed free: 14 % × 635.71 × 1.5 = 133.50 EUR.
        let in_2024 = date!(2024 - 06 - 15);
        assert_eq!(
            forfait_logement_annual(p, in_2024, 1, HousingStatus::Owner, 0),
            Ok(7629 * 12)
        );
        assert_eq!(
            forfait_logement_annual(p, in_2024, 2, HousingStatus::HousedFree, 0),
            Ok(13350 * 12)
        );
        // The forfait is added to the resources.
        let mut s = situation(1, 1_033_900 - 7758 * 12);
        s.housing_status = HousingStatus::Owner;
        assert_eq!(run(&s).outcome, Outcome::Free);
        s.resources_annual_cents += 1;
        assert_eq!(run(&s).outcome, Outcome::Participation);
    }

    #[test]
    fn malformed_foyers_are_refused() {
        let mut s = situation(2, 0);
        s.household[0].relation = Relation::Spouse;
        assert_eq!(estimate(params(), &s), Err(EstimateError::Applicant));
        let mut s = situation(2, 0);
        s.household
            .push(adult(Relation::Spouse, date!(1990 - 01 - 01)));
        assert_eq!(estimate(params(), &s), Err(EstimateError::Spouses));
        assert_eq!(
            estimate(params(), &situation(1, -1)),
            Err(EstimateError::NegativeResources)
        );
    }

    fn any_situation() -> impl Strategy<Value = Situation> {
        let person = (
            prop::sample::select(vec![Relation::Spouse, Relation::Child, Relation::Other]),
            0i32..90 * 365,
            any::<bool>(),
        );
        (
            prop::collection::vec(person, 0..7),
            0i32..700,
            prop::sample::select(vec![Territory::Metropole, Territory::Dom]),
            0i64..6_000_000,
            prop::sample::select(vec![
                HousingStatus::Tenant,
                HousingStatus::Owner,
                HousingStatus::HousedFree,
                HousingStatus::Homeless,
            ]),
            0i64..60_000,
        )
            .prop_map(|(others, day, territory, resources, housing_status, aid)| {
                let request_date = date!(2024 - 04 - 01) + time::Duration::days(i64::from(day));
                let mut household = vec![adult(Relation::Applicant, date!(1970 - 05 - 05))];
                let mut spouse = false;
                for (relation, age_days, alternating) in others {
                    if relation == Relation::Spouse && std::mem::replace(&mut spouse, true) {
                        continue;
                    }
                    household.push(Person {
                        relation,
                        birth_date: request_date - time::Duration::days(i64::from(age_days)),
                        alternating_custody: alternating,
                    });
                }
                Situation {
                    request_date,
                    territory,
                    household,
                    resources_annual_cents: resources,
                    housing_status,
                    housing_aid_cents: aid,
                }
            })
    }

    proptest! {
        #[test]
        fn more_resources_never_improve_the_outcome(s in any_situation(), more in 1i64..2_000_000) {
            let (Ok(a), Ok(b)) = (estimate(params(), &s), estimate(params(), &Situation { resources_annual_cents: s.resources_annual_cents + more, ..s.clone() })) else {
                return Ok(());
            };
            prop_assert!(b.outcome >= a.outcome);
        }

        #[test]
        fn adding_a_dependant_never_lowers_the_ceiling(s in any_situation(), age_days in 0i32..(24 * 365), alternating in any::<bool>()) {
            let mut bigger = s.clone();
            bigger.household.push(Person { relation: Relation::Child, birth_date: s.request_date - time::Duration::days(i64::from(age_days)), alternating_custody: alternating });
            if let (Ok(a), Ok(b)) = (estimate(params(), &s), estimate(params(), &bigger)) {
                prop_assert!(b.ceiling_free_cents > a.ceiling_free_cents);
                prop_assert!(b.ceiling_participation_cents > a.ceiling_participation_cents);
            }
        }

        #[test]
        fn participation_is_owed_exactly_between_the_ceilings(s in any_situation()) {
            if let Ok(e) = estimate(params(), &s) {
                prop_assert_eq!(e.monthly_participation_cents > 0, e.outcome == Outcome::Participation);
                prop_assert!(e.ceiling_free_cents < e.ceiling_participation_cents);
            }
        }
    }
}
