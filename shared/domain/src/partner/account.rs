//! A partner account and the rules on it that need no storage: password renewal, the
//! conditions of use, deactivation, and how many gestionnaires an organisation keeps.

use super::{manager_limit, AccountRole, AccountStatus};
use crate::dates;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

/// The version of the conditions of use a partner accepts at first sign-in.
pub const CGU_VERSION: &str = "2026-11";
/// Passwords are renewed at this interval.
pub const PASSWORD_DAYS: i64 = 90;
/// Failed sign-ins that lock a partner account until a gestionnaire or the CPAM unlocks it.
pub const LOCK_AFTER: u32 = 5;
/// Letters (a beneficiary's three answers) one account may check in a clock hour, right or
/// wrong, when acting for people: enough for a desk, too few to probe letters at scale.
pub const FILING_CHECKS_PER_HOUR: u64 = 30;

/// What a partner must do before anything else, on every route but the one that does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// No password yet, or one older than `PASSWORD_DAYS`.
    RenewPassword,
    /// The conditions of use in force (`CGU_VERSION`) are not the ones accepted.
    AcceptConditions,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub account_id: String,
    pub partner_id: String,
    pub email: String,
    pub role: AccountRole,
    /// `madame` or `monsieur`, when the CPAM recorded it.
    #[serde(default)]
    pub civility: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub function: String,
    pub phone: Option<String>,
    pub status: AccountStatus,
    pub password_hash: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub password_set_at: Option<OffsetDateTime>,
    pub failed_sign_ins: u32,
    pub cgu_version: Option<String>,
    pub created_by: String,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deactivated_at: Option<OffsetDateTime>,
    /// The password a renewal reminder was sent for (its setting time), so one is sent once.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub reminded_for: Option<OffsetDateTime>,
    /// The hash of the one link (activation or password reset) that may still be used: a
    /// link reissued voids the one before. `None` on accounts created before links were
    /// reissued, whose first link is the only one.
    #[serde(default)]
    pub link_hash: Option<String>,
    /// A gestionnaire another one asked the caisse to deactivate, on this date (the lifecycle
    /// job does it then, unless it is the last active gestionnaire).
    #[serde(default, with = "dates::iso_opt")]
    pub deactivation_on: Option<Date>,
    /// The account that asked.
    #[serde(default)]
    pub deactivation_asked_by: Option<String>,
    pub version: u64,
}

impl Account {
    /// No password yet, or one set `PASSWORD_DAYS` days ago or more.
    pub fn password_expired(&self, now: OffsetDateTime) -> bool {
        password_expired(self.password_set_at, now)
    }

    /// The duty that holds the account back, the password first.
    pub fn pending_duty(&self, now: OffsetDateTime) -> Option<Duty> {
        if self.password_expired(now) {
            Some(Duty::RenewPassword)
        } else if self.cgu_version.as_deref() != Some(CGU_VERSION) {
            Some(Duty::AcceptConditions)
        } else {
            None
        }
    }
}

/// No password yet, or one set `PASSWORD_DAYS` days ago or more.
pub fn password_expired(password_set_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    password_set_at.is_none_or(|t| (now - t).whole_days() >= PASSWORD_DAYS)
}

/// The convention's notice for deactivating a gestionnaire at another's request.
pub const DEACTIVATION_NOTICE_DAYS: i64 = 15;

/// The first day a deactivation asked `today` may take effect.
pub fn earliest_deactivation(today: Date) -> Date {
    today + Duration::days(DEACTIVATION_NOTICE_DAYS)
}

/// Whether a deactivation asked for `on` is due `today`.
pub fn deactivation_due(a: &Account, today: Date) -> bool {
    a.status != AccountStatus::Deactivated && a.deactivation_on.is_some_and(|on| on <= today)
}

/// Deactivates the account as of `at`. The version is the store's business.
pub fn deactivate(a: &mut Account, at: OffsetDateTime) {
    a.status = AccountStatus::Deactivated;
    a.deactivated_at = Some(at);
    a.deactivation_on = None;
}

/// Gestionnaires that count towards the size rule: every one not deactivated.
pub fn active_managers(accounts: &[Account]) -> usize {
    accounts
        .iter()
        .filter(|a| {
            a.role == AccountRole::Gestionnaire
                && matches!(
                    a.status,
                    AccountStatus::Active | AccountStatus::Pending | AccountStatus::Locked
                )
        })
        .count()
}

/// The size rule: `Some(limit)` when an organisation of `members` already has as many
/// gestionnaires as its size allows, so another one is refused.
pub fn manager_limit_reached(members: u32, accounts: &[Account]) -> Option<usize> {
    let limit = manager_limit(members);
    (active_managers(accounts) >= limit).then_some(limit)
}

/// Deactivating `account_id` would leave the organisation without an active gestionnaire:
/// it is one, and no other gestionnaire is active (pending or locked ones do not count).
pub fn is_last_active_manager(accounts: &[Account], account_id: &str) -> bool {
    let Some(a) = accounts.iter().find(|a| a.account_id == account_id) else {
        return false;
    };
    a.role == AccountRole::Gestionnaire
        && !accounts.iter().any(|o| {
            o.account_id != a.account_id
                && o.role == AccountRole::Gestionnaire
                && o.status == AccountStatus::Active
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    pub(crate) fn account(id: &str, role: AccountRole, status: AccountStatus) -> Account {
        Account {
            account_id: id.into(),
            partner_id: "p-1".into(),
            email: format!("{id}@ccas-rouen.fr"),
            role,
            civility: None,
            last_name: "Durand".into(),
            first_name: "Marie".into(),
            function: String::new(),
            phone: None,
            status,
            password_hash: None,
            password_set_at: None,
            failed_sign_ins: 0,
            cgu_version: None,
            created_by: "agent:a".into(),
            created_at: datetime!(2026-01-01 00:00 UTC),
            deactivated_at: None,
            reminded_for: None,
            link_hash: None,
            deactivation_on: None,
            deactivation_asked_by: None,
            version: 3,
        }
    }

    use AccountRole::{Gestionnaire as G, Technicien as T};
    use AccountStatus::{Active, Deactivated, Locked, Pending};

    #[test]
    fn passwords_expire_after_90_days() {
        let now = datetime!(2026-11-30 12:00 UTC);
        assert!(password_expired(None, now), "never set");
        assert!(!password_expired(Some(now - Duration::days(89)), now));
        assert!(password_expired(Some(now - Duration::days(90)), now));
        let mut a = account("a", T, Active);
        a.password_set_at = Some(now - Duration::hours(90 * 24 - 1));
        assert!(!a.password_expired(now));
    }

    #[test]
    fn the_password_then_the_conditions_in_force_come_first() {
        let now = datetime!(2026-11-30 12:00 UTC);
        let mut a = account("a", T, Active);
        assert_eq!(
            a.pending_duty(now),
            Some(Duty::RenewPassword),
            "no password yet"
        );
        a.password_set_at = Some(now - Duration::days(10));
        assert_eq!(a.pending_duty(now), Some(Duty::AcceptConditions));
        a.cgu_version = Some("2025-01".into());
        assert_eq!(
            a.pending_duty(now),
            Some(Duty::AcceptConditions),
            "an older version"
        );
        a.cgu_version = Some(CGU_VERSION.into());
        assert_eq!(a.pending_duty(now), None);
        a.password_set_at = Some(now - Duration::days(PASSWORD_DAYS));
        assert_eq!(a.pending_duty(now), Some(Duty::RenewPassword));
    }

    #[test]
    fn deactivating_leaves_the_version_to_the_store() {
        let mut a = account("a", T, Active);
        let at = datetime!(2026-11-30 12:00 UTC);
        deactivate(&mut a, at);
        assert_eq!(a.status, Deactivated);
        assert_eq!(a.deactivated_at, Some(at));
        assert_eq!(a.version, 3);
    }

    #[test]
    fn the_size_rule_counts_every_gestionnaire_not_deactivated() {
        let accounts = [
            account("a", G, Active),
            account("b", G, Pending),
            account("c", G, Locked),
            account("d", G, Deactivated),
            account("e", T, Active),
        ];
        assert_eq!(active_managers(&accounts), 3);
        assert_eq!(manager_limit_reached(10, &accounts), Some(2));
        assert_eq!(manager_limit_reached(25, &accounts), Some(3));
        assert_eq!(manager_limit_reached(26, &accounts), None);
    }

    #[test]
    fn the_last_active_gestionnaire_stays() {
        let accounts = [
            account("a", G, Active),
            account("b", G, Pending),
            account("e", T, Active),
        ];
        assert!(is_last_active_manager(&accounts, "a"));
        assert!(!is_last_active_manager(&accounts, "e"), "a technicien");
        assert!(
            !is_last_active_manager(&accounts, "b"),
            "another one is active"
        );
        assert!(!is_last_active_manager(&accounts, "zz"));
        let two = [account("a", G, Active), account("b", G, Active)];
        assert!(!is_last_active_manager(&two, "a"));
    }
}
