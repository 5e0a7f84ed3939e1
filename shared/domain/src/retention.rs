//! Every retention rule of the service, in one place: what kind of item, kept how long after
//! what, and the source that says so. The purge (`functions/purge`), the stores' TTLs and
//! lifecycle rules, the README's table and erasure on request (what no rule requires keeping)
//! all read them from here.
//!
//! Sources: DESIGN.md ("Retention"), the project's data-protection notice (identification and
//! administrative data 5 years, other data 3 years), the CNAM notice on agents' traces (1
//! year), the partnership convention (deactivated partner accounts deleted 6 months later).

use crate::dates::add_months;
use crate::partner::{Convention, Organisation};
use time::Date;

pub use crate::renewal::PurgeStage;

/// How a rule is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforced {
    /// The daily purge, through an index keyed by due day (`by_purge`).
    Purge,
    /// The partner lifecycle job (daily).
    Lifecycle,
    /// DynamoDB's TTL on `expires_at`, written with the item.
    Ttl,
    /// The bucket's lifecycle rules in `template.yaml`.
    BucketLifecycle,
    /// The queue's or log group's own retention in `template.yaml`.
    Resource,
    /// Nothing to enforce: counts that name no one.
    NotPersonal,
}

/// One kind of stored item and how long it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable name (the purge report counts by it).
    pub kind: &'static str,
    /// Where it is stored: table and item key, or bucket and prefix.
    pub store: &'static str,
    /// How long, and after what, in words (the README's column).
    pub kept: &'static str,
    pub enforced: Enforced,
    pub source: &'static str,
}

const NOTICE: &str = "notice of the project (5 years identification, 3 years other data)";
const TRACES: &str = "CNAM notice (agents' traces kept 1 year)";
const CONVENTION: &str = "partnership convention (inactive accounts deleted after 6 months)";
const MINIMISATION: &str = "DESIGN.md (minimisation: kept only while it serves)";

/// Months a draft untouched is kept.
pub const DRAFT_MONTHS: i32 = 6;
/// Months "other data" (resources, household, documents, notes, partners' requests) are kept.
pub const OTHER_DATA_MONTHS: i32 = 36;
/// Months identification and administrative data are kept.
pub const IDENTIFICATION_MONTHS: i32 = 60;
/// Days a deactivated partner account is kept.
pub const DEACTIVATED_ACCOUNT_DAYS: i64 = 183;
/// Days an agent's trace (audit entry) is kept.
pub const TRACE_DAYS: i64 = 366;
/// Days a request for a new gestionnaire (it names the person proposed) is kept after the
/// date the CPAM had to answer by: as long as a deactivated account, by the convention.
pub const HABILITATION_REQUEST_DAYS: i64 = DEACTIVATED_ACCOUNT_DAYS;

/// The exchange bucket's lifecycle, prefix by prefix: (prefix, days kept). `template.yaml`
/// declares these rules; a test holds the two together.
pub const EXCHANGE_EXPIRY: &[(&str, i32)] = &[
    ("inbound/beneficiaries/", 15),
    ("inbound/acks/", 15),
    ("outbound/", 30),
    ("inbound/rejects/", 365),
    ("inbound/import-parts/", 15),
    ("reports/", 365),
];
/// What sync-in consumed (tag `c2s-consumed=true`) goes the next day.
pub const EXCHANGE_CONSUMED_DAYS: i32 = 1;

/// Every kind of stored item. The README's "Retention" table is this list.
pub const RULES: &[Rule] = &[
    Rule {
        kind: "draft",
        store: "RenewalsTable `renewal` (draft), its `doc#`, DocumentsBucket `renewals/<id>/`",
        kept: "6 months after its last change, then deleted whole",
        enforced: Enforced::Purge,
        source: MINIMISATION,
    },
    Rule {
        kind: "details",
        store: "RenewalsTable `renewal` (resources, household, housing), `doc#`, `note#`, its conversation (`msg#…`), DocumentsBucket `renewals/<id>/`",
        kept: "3 years after the file closed (withdrawn, rejected, integrated) or was decided (approved, exported, never acknowledged)",
        enforced: Enforced::Purge,
        source: NOTICE,
    },
    Rule {
        kind: "all",
        store: "RenewalsTable every item of the renewal, and the person's `open_renewal` slot",
        kept: "5 years after the file closed or was decided",
        enforced: Enforced::Purge,
        source: NOTICE,
    },
    Rule {
        kind: "profile",
        store: "BeneficiariesTable `profile` (the national file's line)",
        kept: "5 years after the end of rights",
        enforced: Enforced::Ttl,
        source: NOTICE,
    },
    Rule {
        kind: "last_renewal",
        store: "BeneficiariesTable `last_renewal`",
        kept: "5 years (of 366 days) after the file's last change",
        enforced: Enforced::Ttl,
        source: NOTICE,
    },
    Rule {
        kind: "partner_request",
        store: "PartnersTable `request#<id>` (signalements and other requests) and its thread (`msg#<id>#…`), RenewalsTable `request.<id>` (its attachments' `doc#`), DocumentsBucket `renewals/request.<id>/`",
        kept: "3 years after it was filed or answered",
        enforced: Enforced::Purge,
        source: NOTICE,
    },
    Rule {
        kind: "organisation",
        store: "PartnersTable `org` and whatever is left in its partition (its `listed#<caisse>` entries among them), with the accounts' `email#`",
        kept: "5 years after its last convention ended",
        enforced: Enforced::Purge,
        source: NOTICE,
    },
    Rule {
        kind: "partner_account",
        store: "PartnersTable `account#<id>` and its `email#`",
        kept: "6 months after its deactivation",
        enforced: Enforced::Lifecycle,
        source: CONVENTION,
    },
    Rule {
        kind: "activation_link",
        store: "PartnersTable `activation#<hash>`",
        kept: "48 hours",
        enforced: Enforced::Ttl,
        source: MINIMISATION,
    },
    Rule {
        kind: "habilitation_request",
        store: "PartnersTable `habreq#<id>` (a gestionnaire's request for a new gestionnaire)",
        kept: "6 months after the date the CPAM had to answer by",
        enforced: Enforced::Ttl,
        source: CONVENTION,
    },
    Rule {
        kind: "rgpd_register",
        store: "RegistersTable (the DPO's register of requests and of data breaches)",
        kept: "5 years (of 366 days) after the entry's last change",
        enforced: Enforced::Ttl,
        source: "RGPD art. 5.2 (accountability: as long as the files it answers for)",
    },
    Rule {
        kind: "subject_choices",
        store: "BeneficiariesTable `choices` (an opposition, a limitation)",
        kept: "as the person's profile: 5 years after the end of rights",
        enforced: Enforced::Ttl,
        source: NOTICE,
    },
    Rule {
        kind: "rgpd_export",
        store: "DocumentsBucket `rgpd-exports/` (the DPO's access archives)",
        kept: "1 day (its link: 5 minutes)",
        enforced: Enforced::BucketLifecycle,
        source: MINIMISATION,
    },
    Rule {
        kind: "stats",
        store: "StatsTable (the dashboard's counts per caisse, status and week)",
        kept: "while the service runs: counts only, no personal data",
        enforced: Enforced::NotPersonal,
        source: MINIMISATION,
    },
    Rule {
        kind: "audit",
        store: "AuditTable (agents' actions, chained per caisse)",
        kept: "1 year (366 days) after the action",
        enforced: Enforced::Ttl,
        source: TRACES,
    },
    Rule {
        kind: "api_access_log",
        store: "log group `/c2s/<stack>/api-access`",
        kept: "1 year",
        enforced: Enforced::Resource,
        source: TRACES,
    },
    Rule {
        kind: "exchange_inbound",
        store: "ExchangeBucket `inbound/beneficiaries/`, `inbound/acks/`",
        kept: "1 day once consumed, 15 days if never",
        enforced: Enforced::BucketLifecycle,
        source: MINIMISATION,
    },
    Rule {
        kind: "exchange_outbound",
        store: "ExchangeBucket `outbound/`",
        kept: "1 day once acknowledged, 30 days if never",
        enforced: Enforced::BucketLifecycle,
        source: MINIMISATION,
    },
    Rule {
        kind: "exchange_rejects",
        store: "ExchangeBucket `inbound/rejects/` (no NIR), `inbound/import-parts/`",
        kept: "1 year; parts 1 day once joined, 15 days if never",
        enforced: Enforced::BucketLifecycle,
        source: TRACES,
    },
    Rule {
        kind: "reports",
        store: "ExchangeBucket `reports/` (counts, no personal data)",
        kept: "1 year",
        enforced: Enforced::BucketLifecycle,
        source: TRACES,
    },
    Rule {
        kind: "idempotency",
        store: "IdempotencyTable (keys of work done, no personal data)",
        kept: "35 days",
        enforced: Enforced::Ttl,
        source: MINIMISATION,
    },
    Rule {
        kind: "sign_in_locks",
        store: "SignInLocksTable, RateLimitsTable (keyed hashes, counters)",
        kept: "until the lock or window ends",
        enforced: Enforced::Ttl,
        source: MINIMISATION,
    },
    Rule {
        kind: "outbox",
        store: "OutboxQueue (a notice's variables until sent), dead-letter queues",
        kept: "4 days; dead letters 14 days",
        enforced: Enforced::Resource,
        source: MINIMISATION,
    },
    Rule {
        kind: "sessions",
        store: "none: signed tokens held in the browser tab only",
        kept: "their validity (minutes)",
        enforced: Enforced::Resource,
        source: MINIMISATION,
    },
];

/// The rule of a kind, for whoever must say until when and why something is kept.
pub fn rule(kind: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.kind == kind)
}

/// The day a partner's request goes: 3 years after it was filed, or answered if later.
pub fn request_purge_on(filed: Date, answered: Option<Date>) -> Date {
    let last = answered.map_or(filed, |a| a.max(filed));
    add_months(last, OTHER_DATA_MONTHS)
}

/// The day a convention ended for good: its termination, or its end when not renewed
/// tacitly; `None` while it runs (renewed tacitly, not terminated).
fn ended_on(c: &Convention) -> Option<Date> {
    match (c.terminated_on, c.tacit_renewal) {
        (Some(t), _) => Some(if c.tacit_renewal { t } else { t.min(c.end) }),
        (None, false) => Some(c.end),
        (None, true) => None,
    }
}

/// The day an organisation goes: 5 years after its last convention ended; `None` while one
/// runs (or none was ever signed: it is not yet a partner).
pub fn organisation_purge_on(org: &Organisation) -> Option<Date> {
    let mut last: Option<Date> = None;
    for c in &org.conventions {
        let end = ended_on(c)?;
        last = Some(last.map_or(end, |l| l.max(end)));
    }
    last.map(|d| add_months(d, IDENTIFICATION_MONTHS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner::Convention;
    use time::macros::{date, datetime};

    fn org(conventions: Vec<Convention>) -> Organisation {
        Organisation {
            partner_id: "p1".into(),
            name: "CCAS".into(),
            kind: "ccas".into(),
            members: 3,
            caisses: vec!["rouen".into()],
            email_domains: vec![],
            conventions,
            active: true,
            caisses_removed: vec![],
            created_at: datetime!(2025-01-01 10:00 UTC),
            version: 1,
        }
    }

    #[test]
    fn a_request_goes_three_years_after_its_filing_or_its_answer() {
        assert_eq!(
            request_purge_on(date!(2026 - 02 - 10), None),
            date!(2029 - 02 - 10)
        );
        assert_eq!(
            request_purge_on(date!(2026 - 02 - 10), Some(date!(2026 - 05 - 02))),
            date!(2029 - 05 - 02)
        );
        // An answer dated before its filing (clock skew) never shortens the term.
        assert_eq!(
            request_purge_on(date!(2026 - 02 - 10), Some(date!(2026 - 02 - 01))),
            date!(2029 - 02 - 10)
        );
    }

    #[test]
    fn an_organisation_goes_five_years_after_its_last_convention_ended() {
        let start = date!(2025 - 01 - 01);
        let end = date!(2025 - 12 - 31);
        let running = Convention::new("rouen", start, end);
        let mut terminated = Convention::new("havre", start, end);
        terminated.terminated_on = Some(date!(2026 - 03 - 01));
        assert_eq!(
            organisation_purge_on(&org(vec![running.clone(), terminated.clone()])),
            None,
            "one convention still runs"
        );
        let mut other = terminated.clone();
        other.terminated_on = Some(date!(2026 - 06 - 15));
        assert_eq!(
            organisation_purge_on(&org(vec![terminated.clone(), other])),
            Some(date!(2031 - 06 - 15)),
            "the last to end counts"
        );
        let mut fixed = running;
        fixed.tacit_renewal = false;
        assert_eq!(
            organisation_purge_on(&org(vec![fixed])),
            Some(date!(2030 - 12 - 31))
        );
        assert_eq!(organisation_purge_on(&org(vec![])), None);
    }

    #[test]
    fn every_kind_is_named_once_with_a_source() {
        for r in RULES {
            assert_eq!(RULES.iter().filter(|o| o.kind == r.kind).count(), 1);
            assert!(!r.source.is_empty() && !r.kept.is_empty());
        }
        for stage in [PurgeStage::Draft, PurgeStage::Details, PurgeStage::All] {
            assert!(rule(stage.as_str()).is_some(), "{}", stage.as_str());
        }
        for kind in ["partner_request", "organisation", "audit", "outbox"] {
            assert!(rule(kind).is_some(), "{kind}");
        }
    }
}
