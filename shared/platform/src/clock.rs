//! The service's day: the rules count in French days, while Lambda runs in UTC.

/// Today in France, for the rules that count in days.
pub fn today() -> time::Date {
    let offset = time::UtcOffset::from_hms(1, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(offset).date()
}
