//! Calendar dates as the contract writes them (`YYYY-MM-DD`) and the month arithmetic of the rules.

use serde::{Deserialize, Serialize};
use time::{macros::format_description, Date, Month};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("La date doit être au format AAAA-MM-JJ et exister.")]
pub struct DateError;

/// Strict `YYYY-MM-DD`: no time, no offset, a real calendar day.
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(DateError);
    }
    Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|_| DateError)
}

pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Adds (or with a negative count, removes) calendar months, clamping the day to the
/// month's length: 31 January + 1 month = 28 or 29 February.
pub fn add_months(d: Date, months: i32) -> Date {
    let index = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + months;
    let year = index.div_euclid(12);
    let month = Month::try_from((index.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, d.day().min(last)).unwrap_or(d)
}

pub fn first_of_month(d: Date) -> Date {
    d.replace_day(1).unwrap_or(d)
}

/// An instant as RFC 3339 UTC (sortable as text at a fixed precision).
pub fn format_instant(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A closed range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    #[serde(with = "iso")]
    pub from: Date,
    #[serde(with = "iso")]
    pub to: Date,
}

/// The 12 months whose resources count: from month M-13 to month M-2 before the request month.
pub fn reference_period(request_day: Date) -> Period {
    let month = first_of_month(request_day);
    let from = add_months(month, -13);
    let to = add_months(month, -1).previous_day().unwrap_or(month);
    Period { from, to }
}

/// Age in whole years on `on`.
pub fn age_on(birth: Date, on: Date) -> i32 {
    let mut age = on.year() - birth.year();
    if (u8::from(on.month()), on.day()) < (u8::from(birth.month()), birth.day()) {
        age -= 1;
    }
    age
}

/// Serde for `Date` as `YYYY-MM-DD`.
pub mod iso {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_date(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for `Option<Date>` as `YYYY-MM-DD` or nothing.
pub mod iso_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_date(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| super::parse_date(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Serde for `OffsetDateTime` as RFC 3339 UTC.
pub mod instant {
    pub use time::serde::rfc3339::{deserialize, serialize};
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn parses_only_real_days() {
        assert_eq!(parse_date("2026-02-28"), Ok(date!(2026 - 02 - 28)));
        assert_eq!(parse_date("2024-02-29"), Ok(date!(2024 - 02 - 29)));
        assert!(parse_date("2026-02-29").is_err());
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("2026-1-01").is_err());
        assert!(parse_date("01/02/2026").is_err());
        assert!(parse_date("2026-01-01T00:00:00Z").is_err());
        assert!(parse_date("").is_err());
    }

    #[test]
    fn month_arithmetic_clamps() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 03 - 31), -4), date!(2025 - 11 - 30));
        assert_eq!(
            add_months(date!(2026 - 11 - 15), -13),
            date!(2025 - 10 - 15)
        );
    }

    #[test]
    fn reference_period_is_m13_to_m2() {
        let p = reference_period(date!(2026 - 11 - 23));
        assert_eq!(p.from, date!(2025 - 10 - 01));
        assert_eq!(p.to, date!(2026 - 09 - 30));
        let p = reference_period(date!(2026 - 01 - 05));
        assert_eq!(p.from, date!(2024 - 12 - 01));
        assert_eq!(p.to, date!(2025 - 11 - 30));
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(date!(2000 - 06 - 15), date!(2025 - 06 - 14)), 24);
        assert_eq!(age_on(date!(2000 - 06 - 15), date!(2025 - 06 - 15)), 25);
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(days in 0i32..80_000) {
            let d = Date::from_julian_day(2_415_021 + days).map_err(|_| TestCaseError::fail("day"))?;
            prop_assert_eq!(parse_date(&format_date(d)), Ok(d));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = parse_date(&s);
        }

        #[test]
        fn reference_period_spans_twelve_whole_months(days in 0i32..40_000) {
            let d = Date::from_julian_day(2_440_000 + days).map_err(|_| TestCaseError::fail("day"))?;
            let p = reference_period(d);
            prop_assert_eq!(p.from.day(), 1);
            prop_assert_eq!(p.to.next_day().map(|n| n.day()), Some(1));
            prop_assert_eq!(add_months(p.from, 12), p.to.next_day().unwrap_or(p.to));
        }
    }
}
