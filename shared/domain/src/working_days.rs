//! Working days in France: Monday to Friday, except the eleven public holidays of the Code
//! du travail (art. L3133-1), three of which move with Easter.

use time::{Date, Duration, Month, Weekday};

/// Easter Sunday of `year` (Gregorian calendar; the anonymous algorithm, "Meeus/Jones/Butcher").
pub fn easter(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = if month == 3 {
        Month::March
    } else {
        Month::April
    };
    // Always a real date: March 22 to April 25.
    Date::from_calendar_date(year, month, day as u8).unwrap_or(Date::MIN)
}

/// Whether `d` is a French public holiday.
pub fn is_public_holiday(d: Date) -> bool {
    let fixed = matches!(
        (d.month(), d.day()),
        (Month::January, 1)
            | (Month::May, 1)
            | (Month::May, 8)
            | (Month::July, 14)
            | (Month::August, 15)
            | (Month::November, 1)
            | (Month::November, 11)
            | (Month::December, 25)
    );
    let e = easter(d.year());
    // Easter Monday, Ascension Thursday, Whit Monday.
    fixed || [1, 39, 50].iter().any(|n| e + Duration::days(*n) == d)
}

/// Whether `d` is a working day.
pub fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_public_holiday(d)
}

/// The day `n` working days after `from` (which does not count).
pub fn add_working_days(from: Date, n: u32) -> Date {
    let mut d = from;
    let mut left = n;
    while left > 0 {
        d += Duration::days(1);
        if is_working_day(d) {
            left -= 1;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_falls_where_the_calendars_say() {
        assert_eq!(easter(2024), date!(2024 - 03 - 31));
        assert_eq!(easter(2025), date!(2025 - 04 - 20));
        assert_eq!(easter(2026), date!(2026 - 04 - 05));
        assert_eq!(easter(2027), date!(2027 - 03 - 28));
        assert_eq!(easter(2038), date!(2038 - 04 - 25));
    }

    #[test]
    fn the_holidays_that_move_with_easter_are_off() {
        // 2026: Easter Monday 6 April, Ascension 14 May, Whit Monday 25 May.
        for d in [
            date!(2026 - 04 - 06),
            date!(2026 - 05 - 14),
            date!(2026 - 05 - 25),
        ] {
            assert!(is_public_holiday(d), "{d}");
        }
        assert!(!is_public_holiday(date!(2026 - 04 - 07)));
    }

    #[test]
    fn ten_working_days_across_easter() {
        // Thursday 2 April 2026: Easter Monday 6 April is off, so 10 working days end on
        // Friday 17 April, not Thursday 16.
        assert_eq!(
            add_working_days(date!(2026 - 04 - 02), 10),
            date!(2026 - 04 - 17)
        );
    }

    #[test]
    fn ten_working_days_across_may() {
        // Wednesday 29 April 2026: 1 May (Friday), 8 May (Friday) and Ascension (Thursday
        // 14 May) are off: 10 working days end on Monday 18 May, not Wednesday 13.
        assert_eq!(
            add_working_days(date!(2026 - 04 - 29), 10),
            date!(2026 - 05 - 18)
        );
        // From a Friday, the week-ends count for nothing.
        assert_eq!(
            add_working_days(date!(2026 - 06 - 05), 10),
            date!(2026 - 06 - 19)
        );
        assert!(!is_working_day(date!(2026 - 07 - 14)));
        assert!(!is_working_day(date!(2026 - 12 - 05)));
    }
}
