//! What the retention rules delete of a renewal, and when (DESIGN: 5 years for identification
//! and administrative data, 3 years for the rest, 6 months for an abandoned draft). The rules
//! of every other kind of item are in `crate::retention`.

use super::{Renewal, Status};
use crate::dates::add_months;
use crate::retention::{DRAFT_MONTHS, IDENTIFICATION_MONTHS, OTHER_DATA_MONTHS};
use time::Date;

/// How long the beneficiary's `last_renewal` marker outlives the file's last change, in
/// seconds: 5 years of 366 days, so it never goes before the 5-year rule.
pub const CLOSED_FILE_KEPT_SECONDS: i64 = 5 * 366 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeStage {
    /// A draft untouched for 6 months: deleted whole.
    Draft,
    /// 3 years after closing: resources, household, documents and agents' notes.
    Details,
    /// 5 years after closing: everything left.
    All,
}

impl PurgeStage {
    pub fn as_str(self) -> &'static str {
        match self {
            PurgeStage::Draft => "draft",
            PurgeStage::Details => "details",
            PurgeStage::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<PurgeStage> {
        [PurgeStage::Draft, PurgeStage::Details, PurgeStage::All]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

impl Renewal {
    /// The day the file closed for retention: withdrawn, integrated by the national system,
    /// rejected, or decided (approved, exported) without the national system's
    /// acknowledgement ever coming: the caisse's decision is then its last act on it.
    pub fn closed_on(&self) -> Option<Date> {
        let closed = matches!(
            self.status,
            Status::Withdrawn
                | Status::Integrated
                | Status::Rejected
                | Status::Approved
                | Status::Exported
        );
        closed.then(|| {
            self.history
                .last()
                .map(|h| h.at.date())
                .unwrap_or(self.updated_at.date())
        })
    }

    /// The next deletion the retention rules call for, and its due day.
    pub fn next_purge(&self) -> Option<(Date, PurgeStage)> {
        if self.status == Status::Draft {
            return Some((
                add_months(self.updated_at.date(), DRAFT_MONTHS),
                PurgeStage::Draft,
            ));
        }
        let closed = self.closed_on()?;
        if self.details_purged {
            Some((add_months(closed, IDENTIFICATION_MONTHS), PurgeStage::All))
        } else {
            Some((add_months(closed, OTHER_DATA_MONTHS), PurgeStage::Details))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renewal::draft::tests::draft;
    use crate::renewal::{ActorKind, HistoryEntry};
    use time::macros::{date, datetime};

    #[test]
    fn stages_round_trip() {
        for s in [PurgeStage::Draft, PurgeStage::Details, PurgeStage::All] {
            assert_eq!(PurgeStage::parse(s.as_str()), Some(s));
        }
        assert_eq!(PurgeStage::parse("soon"), None);
    }

    #[test]
    fn a_draft_goes_6_months_after_its_last_change() {
        let mut r = draft();
        r.updated_at = datetime!(2026-11-30 23:00 UTC);
        assert_eq!(r.closed_on(), None);
        assert_eq!(
            r.next_purge(),
            Some((date!(2027 - 05 - 30), PurgeStage::Draft))
        );
    }

    #[test]
    fn a_closed_file_loses_its_details_at_3_years_and_the_rest_at_5() {
        let mut r = draft();
        r.status = Status::Submitted;
        assert_eq!(r.next_purge(), None, "an open file is kept");
        r.status = Status::AwaitingDocuments;
        assert_eq!(r.next_purge(), None, "an open file is kept");
        r.status = Status::Rejected;
        r.history.push(HistoryEntry {
            status: Status::Rejected,
            at: datetime!(2026-12-10 10:00 UTC),
            actor: ActorKind::Agent,
        });
        assert_eq!(r.closed_on(), Some(date!(2026 - 12 - 10)));
        assert_eq!(
            r.next_purge(),
            Some((date!(2029 - 12 - 10), PurgeStage::Details))
        );
        r.details_purged = true;
        assert_eq!(
            r.next_purge(),
            Some((date!(2031 - 12 - 10), PurgeStage::All))
        );
        assert_eq!(CLOSED_FILE_KEPT_SECONDS, 158_112_000);
    }

    #[test]
    fn a_decision_never_acknowledged_starts_the_closed_files_clock() {
        for status in [Status::Approved, Status::Exported] {
            let mut r = draft();
            r.status = status;
            r.history.push(HistoryEntry {
                status,
                at: datetime!(2026-12-10 10:00 UTC),
                actor: ActorKind::Agent,
            });
            assert_eq!(
                r.next_purge(),
                Some((date!(2029 - 12 - 10), PurgeStage::Details)),
                "{status:?}"
            );
        }
    }
}
