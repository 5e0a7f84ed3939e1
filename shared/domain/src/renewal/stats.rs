//! The superviseur's dashboard, kept as counters per caisse rather than computed from the
//! queue: which counters a renewal adds one to (its `Tally`), what a save moves between them
//! (`moves`), and the dashboard read back from them (`dashboard`).
//!
//! Deadline states are not counted as such (they change with the day, not with a save): the
//! open files are counted by deadline day, and `dashboard` sorts the days into late, near
//! and ok on the day it is asked, so no job has to move counters as time passes.

use super::{Renewal, Status};
use crate::dates;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// A file whose deadline is this close (in days, today excluded) is near it: the queue's
/// `deadline_state`, the deadlines job's flag and the dashboard.
pub const NEAR_DEADLINE_DAYS: i64 = 10;
/// The weeks of decisions the dashboard shows: this one and the 11 before it.
pub const WEEKS_SHOWN: i64 = 12;

const STATUS: &str = "status#";
const DEADLINE: &str = "deadline#";
const WEEK: &str = "week#";
const DAYS: &str = "days#";

/// The counters of one caisse a renewal counts in, each once: its status; while it is open
/// with a deadline, that day; once decided, the decision's ISO week and the whole days from
/// its receipt to the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub caisse: String,
    pub counters: Vec<String>,
}

/// One counter moved by a save: `by` is +1 or -1 per renewal (summed when several change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub caisse: String,
    pub counter: String,
    pub by: i64,
}

/// Where a deadline stands on `today`: passed, within `NEAR_DEADLINE_DAYS`, or further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    Late,
    Near,
    Ok,
}

impl DeadlineState {
    pub fn of(deadline: Date, today: Date) -> DeadlineState {
        if deadline < today {
            DeadlineState::Late
        } else if (deadline - today).whole_days() <= NEAR_DEADLINE_DAYS {
            DeadlineState::Near
        } else {
            DeadlineState::Ok
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineState::Late => "late",
            DeadlineState::Near => "near",
            DeadlineState::Ok => "ok",
        }
    }
}

/// The day in France (UTC+1, as `clock::today`) of an instant.
pub fn french_day(at: OffsetDateTime) -> Date {
    let offset = UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC);
    at.to_offset(offset).date()
}

/// ISO 8601 week of a day: `2026-W49` (sortable as text).
pub fn iso_week(day: Date) -> String {
    let (year, week, _) = day.to_iso_week_date();
    format!("{year:04}-W{week:02}")
}

/// The counter of a status.
pub fn status_counter(status: Status) -> String {
    format!("{STATUS}{}", status.as_str())
}

/// The counter of the decisions of an ISO week (`iso_week`).
pub fn week_counter(week: &str) -> String {
    format!("{WEEK}{week}")
}

/// Decided, in the counters' sense: a decision stands (a decision the national system sent
/// back is open again, and counts when decided anew).
fn decided(status: Status) -> bool {
    matches!(
        status,
        Status::Approved | Status::Rejected | Status::Exported | Status::Integrated
    )
}

/// The counters `r` counts in (`Tally`).
pub fn tally(r: &Renewal) -> Tally {
    let mut counters = vec![status_counter(r.status)];
    if let Some(deadline) = r.deadline.filter(|_| r.status.is_open()) {
        counters.push(format!("{DEADLINE}{}", dates::format_date(deadline)));
    }
    if let Some(d) = r.decision.as_ref().filter(|_| decided(r.status)) {
        counters.push(week_counter(&iso_week(french_day(d.decided_at))));
        if let Some(receipt) = &r.receipt {
            let days = (d.decided_at - receipt.submitted_at).whole_days().max(0);
            counters.push(format!("{DAYS}{days:05}"));
        }
    }
    Tally {
        caisse: r.caisse.clone(),
        counters,
    }
}

/// What a save moves: one off each counter of `before` (what the stored renewal counted in,
/// `None` for a renewal not yet counted), one on each of `after` (`None` when it is deleted),
/// netted per counter, those that do not move left out. Sorted, so a write is reproducible.
pub fn moves(before: Option<&Tally>, after: Option<&Tally>) -> Vec<Move> {
    let mut net: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (tally, by) in [(before, -1), (after, 1)] {
        for t in tally.into_iter() {
            for c in &t.counters {
                *net.entry((t.caisse.clone(), c.clone())).or_default() += by;
            }
        }
    }
    net.into_iter()
        .filter(|(_, by)| *by != 0)
        .map(|((caisse, counter), by)| Move {
            caisse,
            counter,
            by,
        })
        .collect()
}

/// The counter keys of a caisse that the dashboard reads on `today`: every one below
/// `WEEK` (statuses, deadlines, days) and the weeks from `first` to `last` (both included).
pub fn weeks_read(today: Date) -> (String, String) {
    let weeks = shown_weeks(today);
    let first = weeks.first().cloned().unwrap_or_default();
    let last = weeks.last().cloned().unwrap_or_default();
    (week_counter(&first), week_counter(&last))
}

/// The ISO weeks shown on `today`, oldest first, this one last.
fn shown_weeks(today: Date) -> Vec<String> {
    (0..WEEKS_SHOWN)
        .rev()
        .map(|k| iso_week(today - Duration::weeks(k)))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadlineCounts {
    pub late: u64,
    pub near: u64,
    pub ok: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekCount {
    pub week: String,
    pub count: u64,
}

/// `GET /api/agent/stats`: every status (0 when none), the open files by deadline state on
/// the day, the decisions of each shown week (0 when none) and the median days to decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub by_status: BTreeMap<&'static str, u64>,
    pub by_deadline_state: DeadlineCounts,
    pub decisions_per_week: Vec<WeekCount>,
    pub median_days_to_decision: Option<f64>,
}

/// The dashboard of `today` from a caisse's counters (key, value): an unknown or malformed
/// key is ignored, a count below zero (which no save makes) read as 0.
pub fn dashboard(counters: &[(String, i64)], today: Date) -> Dashboard {
    let mut by_status: BTreeMap<&'static str, u64> =
        Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let mut deadlines = DeadlineCounts {
        late: 0,
        near: 0,
        ok: 0,
    };
    let mut weeks: BTreeMap<&str, u64> = BTreeMap::new();
    let mut histogram: Vec<(u64, u64)> = Vec::new();
    for (key, value) in counters {
        let n = u64::try_from(*value).unwrap_or(0);
        if let Some(s) = key.strip_prefix(STATUS).and_then(Status::parse) {
            *by_status.entry(s.as_str()).or_default() += n;
        } else if let Some(d) = key.strip_prefix(DEADLINE) {
            let Ok(day) = dates::parse_date(d) else {
                continue;
            };
            match DeadlineState::of(day, today) {
                DeadlineState::Late => deadlines.late += n,
                DeadlineState::Near => deadlines.near += n,
                DeadlineState::Ok => deadlines.ok += n,
            }
        } else if let Some(w) = key.strip_prefix(WEEK) {
            *weeks.entry(w).or_default() += n;
        } else if let Some(days) = key.strip_prefix(DAYS).and_then(|d| d.parse().ok()) {
            histogram.push((days, n));
        }
    }
    let decisions_per_week = shown_weeks(today)
        .into_iter()
        .map(|week| {
            let count = weeks.get(week.as_str()).copied().unwrap_or(0);
            WeekCount { week, count }
        })
        .collect();
    Dashboard {
        by_status,
        by_deadline_state: deadlines,
        decisions_per_week,
        median_days_to_decision: median(&histogram),
    }
}

/// The median of the values a histogram (value, how many) counts: the middle one, or the
/// mean of the two middle ones; `None` when it counts nothing.
pub fn median(histogram: &[(u64, u64)]) -> Option<f64> {
    let mut sorted: Vec<(u64, u64)> = histogram.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let total: u64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The values at ranks `low` and `high` (0-based) of the sorted list: the same one when
    // the count is odd.
    let (low, high) = ((total - 1) / 2, total / 2);
    let at = |rank: u64| {
        let mut seen = 0;
        for (value, n) in &sorted {
            seen += n;
            if rank < seen {
                return *value;
            }
        }
        0
    };
    Some((at(low) + at(high)) as f64 / 2.0)
}

#[cfg(test)]
mod tests;
