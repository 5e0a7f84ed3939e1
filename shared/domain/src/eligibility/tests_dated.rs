//! What changes with the date: provisional ceilings revalued from the last published table,
//! the age table whatever the ceilings, the RSA of 2026 and the resources the decree of
//! 28 June 2025 no longer counts.

use super::parameters::PARAMETERS;
use super::tests::{any_situation, household, params, run, salary, situation};
use super::*;
use proptest::prelude::*;
use time::macros::date;

fn parsed(text: &str) -> Parameters {
    Parameters::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// The shipped file without the block that starts with `first_line` (up to the next blank
/// line).
fn without_block(first_line: &str) -> String {
    let start = PARAMETERS
        .find(first_line)
        .unwrap_or_else(|| panic!("no block {first_line}"));
    let header = PARAMETERS[..start].rfind("[[").unwrap_or(start);
    let end = PARAMETERS[start..]
        .find("\n\n")
        .map_or(PARAMETERS.len(), |i| start + i + 2);
    format!("{}{}", &PARAMETERS[..header], &PARAMETERS[end..])
}

fn ceilings(p: &Parameters, s: &Situation) -> (i64, i64, bool) {
    let e = estimate(p, s).unwrap_or_else(|e| panic!("{e}"));
    (
        e.ceiling_free_cents,
        e.ceiling_participation_cents,
        e.provisional,
    )
}

#[test]
fn the_revaluation_rule_gives_back_the_published_2025_table_to_the_euro() {
    // Without the 2025 metropole table, 2025 is the 2024 one revalued by 1.7 %: the table
    // the Assurance Maladie published, one euro apart at most for every foyer size.
    let without_2025 = parsed(&without_block("au = \"2026-03-31\"\ngratuite = [10339"));
    for n in 1..=8 {
        let s = situation(n, 0);
        let (free, part, provisional) = ceilings(&without_2025, &s);
        let (published_free, published_part, published) = ceilings(params(), &s);
        assert!(provisional && !published, "{n} persons");
        assert!(
            (free - published_free).abs() <= 100 && (part - published_part).abs() <= 100,
            "{n} persons: {free} {part} against {published_free} {published_part}"
        );
    }
}

#[test]
fn after_the_last_table_the_ceilings_are_revalued_and_say_so() {
    let mut s = situation(1, 0);
    s.request_date = date!(2026 - 03 - 31);
    let e = run(&s);
    assert_eq!((e.ceiling_free_cents, e.provisional), (1_033_900, false));
    assert_eq!(e.revaluation, None);
    s.request_date = date!(2026 - 04 - 01);
    let e = run(&s);
    // 10 339 and 13 957 EUR × 1.008, to the nearest euro.
    assert_eq!(
        (e.ceiling_free_cents, e.ceiling_participation_cents),
        (1_042_200, 1_406_900)
    );
    assert!(e.provisional);
    let revaluation = e.revaluation.clone().unwrap_or_else(|| panic!("none"));
    assert_eq!(revaluation.coefficient_millionths, 1_008_000);
    assert!(
        revaluation.source.contains("1er avril 2026"),
        "{revaluation:?}"
    );
    let answered = serde_json::to_value(&e).unwrap_or_default();
    assert_eq!(answered["provisional"], true);
    assert_eq!(answered["revaluation"]["coefficient"], 1.008);
    // Eight persons: every step of the table and the amount per person beyond the fourth.
    let e = run(&situation(8, 0));
    assert_eq!(
        e.ceiling_free_cents, 3_825_100,
        "published 2025, not revalued"
    );
    let mut s = situation(8, 0);
    s.request_date = date!(2026 - 12 - 01);
    let e = run(&s);
    assert_eq!(e.ceiling_free_cents, (21_885 + 4 * 4_168) * 100);
    assert_eq!(e.ceiling_participation_cents, (29_545 + 4 * 5_628) * 100);
}

#[test]
fn a_published_table_once_added_always_wins() {
    let block = "[[plafonds]]\nterritoire = \"metropole\"\ndu = \"2026-04-01\"\nau = \"2027-03-31\"\ngratuite = [10500, 15750, 18900, 22050]\ngratuite_par_personne_en_plus = 4200\nparticipation = [14175, 21263, 25515, 29768]\nparticipation_par_personne_en_plus = 5670\nsource = \"test\"\n\n";
    let with_2026 = parsed(&format!("{block}{PARAMETERS}"));
    let mut s = situation(1, 0);
    s.request_date = date!(2026 - 12 - 01);
    assert_eq!(ceilings(&with_2026, &s), (1_050_000, 1_417_500, false));
    assert_eq!(ceilings(params(), &s), (1_042_200, 1_406_900, true));
}

#[test]
fn each_year_since_the_last_table_needs_its_coefficient() {
    let mut s = situation(3, 0);
    s.territory = Territory::Dom;
    s.request_date = date!(2026 - 06 - 01);
    // DOM: 2024's table, times 1.017 then 1.008, rounded each year as a table would be.
    let e = run(&s);
    assert_eq!(e.ceiling_free_cents, 2_087_800, "20 366 → 20 712 → 20 878");
    let revaluation = e.revaluation.unwrap_or_else(|| panic!("none"));
    assert_eq!(revaluation.coefficient_millionths, 1_025_136);
    assert!(revaluation.source.contains("2025") && revaluation.source.contains("2026"));
    // Without 2025's coefficient there is no way from 2024 to 2026: unknown, as 2025 is.
    let no_2025 = parsed(&without_block("coefficient = \"1.017\""));
    assert_eq!(
        estimate(&no_2025, &s),
        Err(EstimateError::ParametersUnknown)
    );
    s.request_date = date!(2025 - 06 - 01);
    assert_eq!(
        estimate(&no_2025, &s),
        Err(EstimateError::ParametersUnknown)
    );
    // Metropole 2026 only needs 2026's.
    s.territory = Territory::Metropole;
    s.request_date = date!(2026 - 06 - 01);
    assert!(estimate(&no_2025, &s).is_ok_and(|e| e.provisional));
}

#[test]
fn the_file_refuses_unreadable_or_overlapping_revaluations() {
    let bad = PARAMETERS.replace("coefficient = \"1.008\"", "coefficient = \"1,008\"");
    assert!(Parameters::parse(&bad).is_err_and(|e| e.contains("coefficient")));
    let bad = PARAMETERS.replace("coefficient = \"1.008\"", "coefficient = \"8\"");
    assert!(Parameters::parse(&bad).is_err_and(|e| e.contains("coefficient")));
    let bad = PARAMETERS.replace(
        "du = \"2026-04-01\"\nau = \"2027-03-31\"\ncoefficient",
        "du = \"2026-03-01\"\nau = \"2027-03-31\"\ncoefficient",
    );
    assert!(Parameters::parse(&bad).is_err_and(|e| e.contains("chevauchent")));
    let bad = PARAMETERS.replace("\"family_help\"", "\"gifts\"");
    assert!(Parameters::parse(&bad).is_err());
    let bad = PARAMETERS.replace(
        "[[participation]]\ndu = \"2019-11-01\"",
        "[[participation]]\ndu = \"2019-11-01\"\nau = \"2019-01-01\"",
    );
    assert!(Parameters::parse(&bad).is_err_and(|e| e.contains("inversée")));
}

#[test]
fn the_rsa_of_april_2026_gives_the_forfait_logement() {
    let p = params();
    let on = date!(2026 - 06 - 15);
    // 12 % of 651.69 EUR, and 14 % of 651.69 × 1.5 for two.
    assert_eq!(
        forfait_logement_annual(p, on, 1, HousingStatus::Owner, 0),
        Ok(7820 * 12)
    );
    assert_eq!(
        forfait_logement_annual(p, on, 2, HousingStatus::HousedFree, 0),
        Ok(13685 * 12)
    );
    let after = date!(2027 - 04 - 01);
    assert_eq!(
        forfait_logement_annual(p, after, 1, HousingStatus::Owner, 0),
        Err(EstimateError::ParametersUnknown)
    );
}

#[test]
fn the_age_table_gives_the_participation_whatever_the_ceilings() {
    let p = params();
    let people = household(4);
    // In 2027 after April no ceilings are known, yet the amounts by age are: 14 × 2 + 8 × 2.
    let later = date!(2027 - 06 - 01);
    let mut s = situation(4, 0);
    s.request_date = later;
    assert_eq!(estimate(p, &s), Err(EstimateError::ParametersUnknown));
    let by_age = participation_by_age(p, &people, later);
    assert_eq!(
        by_age.clone().map(|a| a.map(|a| a.monthly_cents)),
        Ok(Some(4400))
    );
    assert_eq!(
        by_age.map(|a| a.map(|a| a
            .members
            .iter()
            .map(|m| m.age_on_january_first)
            .collect::<Vec<_>>())),
        Ok(Some(vec![46, 44, 14, 13]))
    );
    // Before the C2S existed no age table covers the date.
    assert_eq!(
        participation_by_age(p, &people, date!(2019 - 10 - 31)),
        Ok(None)
    );
    assert!(participation_by_age(p, &people, date!(2019 - 11 - 01)).is_ok_and(|a| a.is_some()));
    // A foyer without its applicant has none.
    assert_eq!(
        participation_by_age(p, &people[1..], later),
        Err(EstimateError::Applicant)
    );
}

const NO_LONGER_COUNTED: [ResourceKind; 4] = [
    ResourceKind::LegalPersonAid,
    ResourceKind::FamilyHelp,
    ResourceKind::UnproductiveAssets,
    ResourceKind::BenefitsInKind,
];

#[test]
fn the_decree_of_28_june_2025_stops_counting_four_kinds_the_day_after_publication() {
    for kind in NO_LONGER_COUNTED {
        let mut s = situation(1, 1_000_000);
        s.resources.push(Declared {
            kind,
            annual_cents: 200_000,
        });
        // The day it was published: it still counts, and takes the foyer over the free
        // ceiling (10 339 EUR).
        s.request_date = date!(2025 - 06 - 29);
        let e = run(&s);
        assert_eq!(
            (
                e.outcome,
                e.resources_considered_cents,
                e.resources_not_counted_cents
            ),
            (Outcome::Participation, 1_200_000, 0),
            "{kind:?} before"
        );
        // From the day after: declared, but not counted.
        s.request_date = date!(2025 - 06 - 30);
        let e = run(&s);
        assert_eq!(
            (
                e.outcome,
                e.resources_considered_cents,
                e.resources_not_counted_cents
            ),
            (Outcome::Free, 1_000_000, 200_000),
            "{kind:?} after"
        );
    }
    // Every other kind counts on both sides.
    for kind in ResourceKind::ALL
        .into_iter()
        .filter(|k| !NO_LONGER_COUNTED.contains(k))
    {
        for on in [date!(2025 - 06 - 29), date!(2025 - 06 - 30)] {
            assert!(params().counts(kind, on), "{kind:?} on {on}");
        }
    }
}

proptest! {
    #[test]
    fn a_kind_no_longer_counted_changes_nothing_after_the_decree(s in any_situation(), kind in prop::sample::select(NO_LONGER_COUNTED.to_vec()), amount in 0i64..5_000_000) {
        let mut more = s.clone();
        more.resources.push(Declared { kind, annual_cents: amount });
        if let (Ok(a), Ok(b)) = (estimate(params(), &s), estimate(params(), &more)) {
            if s.request_date >= date!(2025 - 06 - 30) {
                prop_assert_eq!(a.outcome, b.outcome);
                prop_assert_eq!(a.resources_considered_cents, b.resources_considered_cents);
                prop_assert_eq!(b.resources_not_counted_cents, a.resources_not_counted_cents + amount);
            } else {
                prop_assert_eq!(b.resources_considered_cents, a.resources_considered_cents + amount);
            }
        }
    }

    #[test]
    fn an_owed_participation_is_the_age_table_s(s in any_situation()) {
        if let Ok(e) = estimate(params(), &s) {
            let by_age = participation_by_age(params(), &s.household, s.request_date);
            if e.outcome == Outcome::Participation {
                prop_assert_eq!(by_age.map(|a| a.map(|a| a.monthly_cents)), Ok(Some(e.monthly_participation_cents)));
            }
        }
    }

    #[test]
    fn provisional_exactly_where_no_published_table_covers(s in any_situation()) {
        if let Ok(e) = estimate(params(), &s) {
            let published = match s.territory {
                Territory::Metropole => s.request_date <= date!(2026 - 03 - 31),
                Territory::Dom => s.request_date <= date!(2025 - 03 - 31),
            };
            prop_assert_eq!(e.provisional, !published);
            prop_assert_eq!(e.revaluation.is_some(), e.provisional);
        }
    }

    #[test]
    fn salary_is_counted_whatever_the_date(s in any_situation(), amount in 1i64..1_000_000) {
        let mut more = s.clone();
        more.resources.push(salary(amount));
        if let (Ok(a), Ok(b)) = (estimate(params(), &s), estimate(params(), &more)) {
            prop_assert_eq!(b.resources_considered_cents, a.resources_considered_cents + amount);
        }
    }
}
