use super::*;
use crate::renewal::draft::tests::draft;
use crate::renewal::{ActorKind, Decision, DecisionOutcome, Receipt};
use proptest::prelude::*;
use std::collections::HashMap;
use time::macros::{date, datetime};

fn counters(r: &Renewal) -> Vec<String> {
    tally(r).counters
}

fn decided(r: &mut Renewal, at: OffsetDateTime) {
    r.decision = Some(Decision {
        outcome: DecisionOutcome::Free,
        reason_code: Some("eligible".into()),
        rights_start: None,
        rights_end: None,
        monthly_participation_cents: 0,
        decided_at: at,
        agent_id: "A1".into(),
    });
}

#[test]
fn a_renewal_counts_in_its_status_its_open_deadline_and_its_decision() {
    let mut r = draft();
    assert_eq!(counters(&r), ["status#draft"]);
    assert_eq!(tally(&r).caisse, "le-havre");

    let at = datetime!(2026-11-25 10:00 UTC);
    r.receipt = Some(Receipt {
        number: "R".into(),
        submitted_at: at,
    });
    r.mark_complete(date!(2026 - 11 - 25));
    assert_eq!(
        r.transition(Status::Submitted, ActorKind::Beneficiary, at),
        Ok(())
    );
    assert_eq!(counters(&r), ["status#submitted", "deadline#2027-01-25"]);
    // Waiting for documents, the file is still open with its deadline.
    r.status = Status::AwaitingDocuments;
    assert_eq!(
        counters(&r),
        ["status#awaiting_documents", "deadline#2027-01-25"]
    );

    // Decided 9 days and 23 hours later, on a Friday of week 49 in France.
    r.status = Status::Approved;
    decided(&mut r, datetime!(2026-12-05 09:00 UTC));
    assert_eq!(
        counters(&r),
        ["status#approved", "week#2026-W49", "days#00009"]
    );
    r.status = Status::Exported;
    assert_eq!(counters(&r)[1..], ["week#2026-W49", "days#00009"]);
    // Sent back by the national system: open again, in review, its old decision no longer
    // counted until it is decided anew.
    r.status = Status::InReview;
    assert_eq!(counters(&r), ["status#in_review", "deadline#2027-01-25"]);

    // Withdrawn: only its status.
    r.status = Status::Withdrawn;
    assert_eq!(counters(&r), ["status#withdrawn"]);
}

#[test]
fn the_decision_week_is_the_french_day_s() {
    // Sunday 6 December 2026 at 23:30 UTC is Monday 7 December in France: week 50.
    assert_eq!(
        french_day(datetime!(2026-12-06 23:30 UTC)),
        date!(2026 - 12 - 07)
    );
    assert_eq!(iso_week(date!(2026 - 12 - 06)), "2026-W49");
    assert_eq!(iso_week(date!(2026 - 12 - 07)), "2026-W50");
    // ISO years: 2026 has 53 weeks; 30 December 2024 is in 2025's first.
    assert_eq!(iso_week(date!(2027 - 01 - 01)), "2026-W53");
    assert_eq!(iso_week(date!(2024 - 12 - 30)), "2025-W01");
}

#[test]
fn a_save_moves_only_what_changed() {
    let mut r = draft();
    let created = tally(&r);
    // Created: one on its status.
    assert_eq!(
        moves(None, Some(&created)),
        [Move {
            caisse: "le-havre".into(),
            counter: "status#draft".into(),
            by: 1
        }]
    );
    // A form saved without a status change moves nothing.
    assert!(moves(Some(&created), Some(&tally(&r))).is_empty());

    r.mark_complete(date!(2026 - 11 - 25));
    r.status = Status::Submitted;
    let submitted = tally(&r);
    let m = moves(Some(&created), Some(&submitted));
    let by: Vec<(&str, i64)> = m.iter().map(|m| (m.counter.as_str(), m.by)).collect();
    assert_eq!(
        by,
        [
            ("deadline#2027-01-25", 1),
            ("status#draft", -1),
            ("status#submitted", 1)
        ]
    );

    // Moving to another caisse: off every counter of the first, on those of the second.
    r.caisse = "rouen".into();
    let moved = moves(Some(&submitted), Some(&tally(&r)));
    assert_eq!(moved.len(), 4);
    assert!(moved
        .iter()
        .all(|m| (m.caisse == "rouen") == (m.by == 1) && m.by.abs() == 1));

    // Deleted (the purge): off everything it counted in.
    let gone = moves(Some(&submitted), None);
    assert_eq!(gone.len(), 2);
    assert!(gone.iter().all(|m| m.by == -1));
}

#[test]
fn deadline_states_change_with_the_day() {
    let today = date!(2026 - 12 - 01);
    assert_eq!(
        DeadlineState::of(date!(2026 - 11 - 30), today),
        DeadlineState::Late
    );
    assert_eq!(DeadlineState::of(today, today), DeadlineState::Near);
    assert_eq!(
        DeadlineState::of(date!(2026 - 12 - 11), today),
        DeadlineState::Near
    );
    assert_eq!(
        DeadlineState::of(date!(2026 - 12 - 12), today),
        DeadlineState::Ok
    );
}

#[test]
fn the_dashboard_sorts_deadlines_on_the_day_and_shows_every_week() {
    let counted = |pairs: &[(&str, i64)]| -> Vec<(String, i64)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    };
    let stored = counted(&[
        ("status#submitted", 3),
        ("status#in_review", 0),
        ("status#bogus", 7),
        ("deadline#2026-11-30", 1),
        ("deadline#2026-12-11", 2),
        ("deadline#2027-01-25", 4),
        ("deadline#not-a-day", 9),
        ("week#2026-W49", 5),
        ("week#2026-W38", 1),
        ("days#00003", 2),
        ("days#00020", 1),
    ]);
    let d = dashboard(&stored, date!(2026 - 12 - 01));
    assert_eq!(d.by_status.len(), Status::ALL.len());
    assert_eq!(d.by_status["submitted"], 3);
    assert_eq!(d.by_status["draft"], 0);
    assert_eq!(
        d.by_deadline_state,
        DeadlineCounts {
            late: 1,
            near: 2,
            ok: 4
        }
    );
    let weeks: Vec<(&str, u64)> = d
        .decisions_per_week
        .iter()
        .map(|w| (w.week.as_str(), w.count))
        .collect();
    assert_eq!(weeks.len(), 12);
    assert_eq!(weeks[0], ("2026-W38", 1));
    assert_eq!(weeks[11], ("2026-W49", 5));
    assert_eq!(weeks[5], ("2026-W43", 0));
    assert_eq!(d.median_days_to_decision, Some(3.0));
    assert_eq!(
        weeks_read(date!(2026 - 12 - 01)),
        ("week#2026-W38".to_owned(), "week#2026-W49".to_owned())
    );
    // Nothing decided: no median, not 0.
    assert_eq!(
        dashboard(&[], date!(2026 - 12 - 01)).median_days_to_decision,
        None
    );
}

#[test]
fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
    assert_eq!(median(&[(2, 1), (5, 1)]), Some(3.5));
    assert_eq!(median(&[(7, 0)]), None);
    assert_eq!(median(&[(9, 1), (1, 2)]), Some(1.0));
}

proptest! {
    #[test]
    fn the_median_of_a_histogram_is_the_median_of_its_values(
        values in proptest::collection::vec(0u64..400, 1..200)
    ) {
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let n = sorted.len();
        let expected = (sorted[(n - 1) / 2] + sorted[n / 2]) as f64 / 2.0;
        let mut histogram: HashMap<u64, u64> = HashMap::new();
        for v in &values {
            *histogram.entry(*v).or_default() += 1;
        }
        let histogram: Vec<(u64, u64)> = histogram.into_iter().collect();
        prop_assert_eq!(median(&histogram), Some(expected));
    }

    /// Whatever the saves (creations, changes, moves between caisses, deletions), the
    /// counters moved by each are the recount of what the renewals left count in.
    #[test]
    fn the_counters_are_always_the_recount_of_the_renewals(
        saves in proptest::collection::vec(
            (0usize..6, proptest::option::of((0usize..2, proptest::collection::vec(0usize..5, 0..4)))),
            0..60,
        )
    ) {
        const KEYS: [&str; 5] = ["status#draft", "status#submitted", "deadline#2026-12-01", "week#2026-W49", "days#00004"];
        let mut renewals: HashMap<usize, Tally> = HashMap::new();
        let mut counted: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (renewal, after) in saves {
            let after = after.map(|(caisse, keys)| {
                let mut counters: Vec<String> = keys.iter().map(|k| KEYS[*k].to_owned()).collect();
                counters.sort();
                counters.dedup();
                Tally { caisse: ["rouen", "le-havre"][caisse].to_owned(), counters }
            });
            for m in moves(renewals.get(&renewal), after.as_ref()) {
                prop_assert!(m.by != 0);
                *counted.entry((m.caisse, m.counter)).or_default() += m.by;
            }
            match after {
                Some(t) => renewals.insert(renewal, t),
                None => renewals.remove(&renewal),
            };
        }
        let mut recount: BTreeMap<(String, String), i64> = BTreeMap::new();
        for t in renewals.values() {
            for c in &t.counters {
                *recount.entry((t.caisse.clone(), c.clone())).or_default() += 1;
            }
        }
        counted.retain(|_, n| *n != 0);
        prop_assert_eq!(counted, recount);
    }
}
