//! The agent's decision and the dates the law attaches to it.

use crate::dates::{self, add_months};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

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

/// A reason in the French words the person reads on their follow-up.
pub fn reason_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "eligible" => "Conditions remplies",
        "eligible_by_silence" => {
            "Accord implicite : la caisse n'a pas répondu dans le délai de deux mois"
        }
        "over_ceiling" => "Ressources supérieures au plafond",
        "incomplete_file" => "Dossier incomplet",
        "documents_not_provided" => "Pièces demandées non fournies",
        "not_resident" => "Résidence en France non établie",
        "irregular_stay" => "Séjour irrégulier",
        "already_covered" => "Déjà couvert par une complémentaire santé",
        "duplicate_request" => "Demande en double",
        "other" => "Autre motif : contactez votre caisse",
        _ => return None,
    })
}

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

/// Whether a person whose rights end on `css_end_date` may renew on `day` (from the day their
/// renewal opens to the end itself): someone who arrives then is reminded on arrival, since
/// the day their renewal opened has gone.
pub fn renewal_open_on(css_end_date: Date, day: Date) -> bool {
    opens_on(css_end_date) <= day && day <= css_end_date
}

/// The ends of rights whose renewal opens from `from` to `to` (both included), in order:
/// the days a daily job reads to remind each person once, on the day they may renew (or the
/// first run after it). Several ends can open on one day (the 28th to the 31st of a month
/// open on the last of a shorter one), so the ends are found by trying each, not by adding.
pub fn ends_opening_between(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    if from > to {
        return out;
    }
    // `opens_on` never decreases and never moves more than 3 days from "4 months before", so
    // every end that opens in range lies within 3 days of the range moved 4 months on.
    let mut end = add_months(from, 4) - time::Duration::days(3);
    let last = add_months(to, 4) + time::Duration::days(3);
    while end <= last {
        let opens = opens_on(end);
        if from <= opens && opens <= to {
            out.push(end);
        }
        end = end.next_day().unwrap_or(last + time::Duration::days(1));
    }
    out
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

    #[test]
    fn every_reason_has_its_words() {
        for code in REASON_CODES {
            assert!(reason_label(code).is_some(), "{code}");
        }
        assert_eq!(reason_label("made_up"), None);
    }
    use time::macros::date;

    #[test]
    fn renewals_open_four_months_before_the_end() {
        assert_eq!(opens_on(date!(2027 - 03 - 31)), date!(2026 - 11 - 30));
        assert_eq!(opens_on(date!(2027 - 01 - 31)), date!(2026 - 09 - 30));
    }

    #[test]
    fn a_renewal_is_open_from_its_opening_to_the_end() {
        let end = date!(2027 - 03 - 31);
        assert!(!renewal_open_on(end, date!(2026 - 11 - 29)));
        assert!(renewal_open_on(end, date!(2026 - 11 - 30)));
        assert!(renewal_open_on(end, date!(2027 - 01 - 15)));
        assert!(renewal_open_on(end, end));
        assert!(!renewal_open_on(end, date!(2027 - 04 - 01)));
    }

    #[test]
    fn each_end_opens_on_exactly_one_day() {
        // Over two years, the ends opening day by day are every end once, in order.
        let mut day = date!(2026 - 01 - 01);
        let mut ends = Vec::new();
        while day <= date!(2027 - 12 - 31) {
            let today = ends_opening_between(day, day);
            assert!(today.iter().all(|e| opens_on(*e) == day), "{day}");
            ends.extend(today);
            day += time::Duration::days(1);
        }
        let (Some(&first), Some(&last)) = (ends.first(), ends.last()) else {
            panic!("no end opens in two years");
        };
        let mut expected = Vec::new();
        let mut end = first;
        while end <= last {
            expected.push(end);
            end += time::Duration::days(1);
        }
        assert_eq!(ends, expected);
        // The last of February opens the ends of June from the 28th.
        assert_eq!(
            ends_opening_between(date!(2027 - 02 - 28), date!(2027 - 02 - 28)),
            [
                date!(2027 - 06 - 28),
                date!(2027 - 06 - 29),
                date!(2027 - 06 - 30)
            ]
        );
        // A range is the days of its days; an empty range reads nothing.
        assert_eq!(
            ends_opening_between(date!(2027 - 02 - 27), date!(2027 - 03 - 01)),
            [
                date!(2027 - 06 - 27),
                date!(2027 - 06 - 28),
                date!(2027 - 06 - 29),
                date!(2027 - 06 - 30),
                date!(2027 - 07 - 01)
            ]
        );
        assert!(ends_opening_between(date!(2027 - 03 - 02), date!(2027 - 03 - 01)).is_empty());
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
