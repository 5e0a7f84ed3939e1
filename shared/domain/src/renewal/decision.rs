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
    use time::macros::date;

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
