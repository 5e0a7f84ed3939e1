//! The engine's rules, pinned on the shipped parameters.

use super::parameters::PARAMETERS;
use super::*;
use proptest::prelude::*;
use time::macros::date;

pub(super) fn params() -> &'static Parameters {
    Parameters::builtin().unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn adult(relation: Relation, birth: Date) -> Person {
    Person {
        relation,
        birth_date: birth,
        alternating_custody: false,
    }
}

/// A foyer of `n` persons: an applicant born in 1980, a spouse, then children.
pub(super) fn household(n: usize) -> Vec<Person> {
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

pub(super) fn situation(n: usize, resources: i64) -> Situation {
    Situation {
        request_date: date!(2025 - 06 - 15),
        territory: Territory::Metropole,
        household: household(n),
        resources: vec![salary(resources)],
        housing_status: HousingStatus::Tenant,
        housing_aid_cents: 0,
    }
}

pub(super) fn salary(annual_cents: i64) -> Declared {
    Declared {
        kind: ResourceKind::Salary,
        annual_cents,
    }
}

pub(super) fn run(s: &Situation) -> Estimate {
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
    assert!(!run(&s).provisional, "a published table");
    // After the last coefficient too: no table, no revaluation.
    s.request_date = date!(2027 - 04 - 01);
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
fn dom_has_its_own_ceilings_revalued_after_2024() {
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
    // No DOM table published since: the 2024 one revalued by 1.7 %, marked provisional.
    s.household = household(3);
    s.request_date = date!(2025 - 04 - 01);
    let e = run(&s);
    assert!(e.provisional);
    assert_eq!(
        (e.ceiling_free_cents, e.ceiling_participation_cents),
        (2_071_200, 2_796_100),
        "20 366 and 27 494 EUR × 1.017, to the euro"
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
        let on = date!(2025 - 06 - 15);
        assert!(p
            .participation_for_age(on, age)
            .is_some_and(|c| c <= p.participation_ceiling_cents(1)));
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
    s.resources[0].annual_cents += 1;
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

pub(super) fn any_situation() -> impl Strategy<Value = Situation> {
    let person = (
        prop::sample::select(vec![Relation::Spouse, Relation::Child, Relation::Other]),
        0i32..90 * 365,
        any::<bool>(),
    );
    (
        prop::collection::vec(person, 0..7),
        0i32..1200,
        prop::sample::select(vec![Territory::Metropole, Territory::Dom]),
        prop::collection::vec(
            (
                prop::sample::select(ResourceKind::ALL.to_vec()),
                0i64..3_000_000,
            ),
            0..4,
        ),
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
                resources: resources
                    .into_iter()
                    .map(|(kind, annual_cents)| Declared { kind, annual_cents })
                    .collect(),
                housing_status,
                housing_aid_cents: aid,
            }
        })
}

proptest! {
    #[test]
    fn more_resources_never_improve_the_outcome(s in any_situation(), more in 1i64..2_000_000) {
        let mut richer = s.clone();
        richer.resources.push(salary(more));
        let (Ok(a), Ok(b)) = (estimate(params(), &s), estimate(params(), &richer)) else {
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
