//! Partner organisations and their accounts: the rules of the partner convention that need
//! no storage (size rule, conventions, password policy, professional email), and the typed
//! bodies of the partner routes.

pub mod account;
pub mod catalogue;
pub mod organisation;
pub mod person;
pub mod request;

pub use account::{Account, Duty, CGU_VERSION, FILING_CHECKS_PER_HOUR, LOCK_AFTER, PASSWORD_DAYS};
pub use catalogue::Motive;
pub use organisation::{
    ConventionRefusal, NewConvention, NewOrganisation, Organisation, SigningRefusal,
};
pub use person::NewPerson;
pub use request::{unconfirmed_health_terms, NewRequest, Person, RequestKind, RequestRefusal};

use crate::dates;
use crate::text::{is_slug, Email};
use serde::{Deserialize, Serialize};
use time::Date;

pub const KINDS: &[&str] = &[
    "ccas",
    "udaf",
    "cmbd",
    "mission_locale",
    "france_services",
    "association",
    "other",
];

/// How many gestionnaires an organisation may have, by its number of members.
pub fn manager_limit(members: u32) -> usize {
    match members {
        0..=10 => 2,
        11..=25 => 3,
        _ => 5,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Gestionnaire,
    Technicien,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Created; the activation link has not been used yet.
    Pending,
    Active,
    /// Five failed sign-ins: until a gestionnaire or the CPAM unlocks it.
    Locked,
    Deactivated,
}

/// One convention per caisse: a year from `start`, renewed tacitly each year unless
/// terminated; the termination date is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Convention {
    pub caisse: String,
    #[serde(with = "dates::iso")]
    pub start: Date,
    #[serde(with = "dates::iso")]
    pub end: Date,
    #[serde(default = "yes")]
    pub tacit_renewal: bool,
    #[serde(default, with = "dates::iso_opt")]
    pub terminated_on: Option<Date>,
}

fn yes() -> bool {
    true
}

impl Convention {
    /// A year's convention (or the dates given), renewed tacitly unless terminated.
    pub fn new(caisse: &str, start: Date, end: Date) -> Convention {
        Convention {
            caisse: caisse.to_owned(),
            start,
            end,
            tacit_renewal: true,
            terminated_on: None,
        }
    }

    pub fn active_on(&self, day: Date) -> bool {
        let started = self.start <= day;
        let not_terminated = self.terminated_on.is_none_or(|t| day < t);
        let in_term = self.tacit_renewal || day <= self.end;
        started && not_terminated && in_term
    }
}

/// The caisses with which the organisation's conventions are in force on `day`.
pub fn active_caisses(conventions: &[Convention], day: Date) -> Vec<String> {
    conventions
        .iter()
        .filter(|c| c.active_on(day))
        .map(|c| c.caisse.clone())
        .collect()
}

pub fn valid_caisse(s: &str) -> bool {
    is_slug(s, 50)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Le mot de passe doit compter au moins 12 caractères.")]
    TooShort,
    #[error("Le mot de passe est trop long.")]
    TooLong,
    #[error("Ce mot de passe est trop courant : choisissez-en un autre.")]
    Common,
    #[error("Le mot de passe ne doit pas reprendre votre nom ou votre adresse électronique.")]
    Personal,
}

impl PasswordError {
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::TooShort => "password_too_short",
            PasswordError::TooLong => "password_too_long",
            PasswordError::Common => "password_too_common",
            PasswordError::Personal => "password_personal",
        }
    }
}

const COMMON: &str = include_str!("../../data/common-passwords.txt");

/// Length 12 to 128, none of the shipped common passwords or patterns, nothing of the
/// person's own name or address, and not a single repeated character.
pub fn check_password(password: &str, personal: &[&str]) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < 12 {
        return Err(PasswordError::TooShort);
    }
    if n > 128 {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    if lower.chars().all(|c| Some(c) == first) {
        return Err(PasswordError::Common);
    }
    let common = COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    for pattern in common {
        // Short patterns only count when they are most of the password.
        if lower == pattern
            || (pattern.len() >= 6 && lower.contains(pattern) && lower.len() < pattern.len() + 6)
        {
            return Err(PasswordError::Common);
        }
    }
    if personal
        .iter()
        .map(|p| p.to_lowercase())
        .any(|p| p.chars().count() >= 3 && lower.contains(&p))
    {
        return Err(PasswordError::Personal);
    }
    Ok(())
}

const WEBMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.fr",
    "outlook.com",
    "outlook.fr",
    "live.com",
    "live.fr",
    "msn.com",
    "yahoo.com",
    "yahoo.fr",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "sfr.fr",
    "neuf.fr",
    "laposte.net",
    "aol.com",
    "icloud.com",
    "me.com",
    "gmx.fr",
    "gmx.com",
    "protonmail.com",
    "proton.me",
];

/// A professional address: of one of the organisation's declared domains when it declared
/// some, and never of a public webmail.
pub fn professional_email(email: &Email, domains: &[String]) -> bool {
    let domain = email.domain();
    if WEBMAIL.contains(&domain) {
        return false;
    }
    domains.is_empty() || domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_size_rule() {
        assert_eq!(
            [1, 10, 11, 25, 26, 400].map(manager_limit),
            [2, 2, 3, 3, 5, 5]
        );
    }

    #[test]
    fn conventions_renew_tacitly_until_terminated() {
        let mut c = Convention {
            caisse: "le-havre".into(),
            start: date!(2025 - 01 - 01),
            end: date!(2025 - 12 - 31),
            tacit_renewal: true,
            terminated_on: None,
        };
        assert!(!c.active_on(date!(2024 - 12 - 31)));
        assert!(c.active_on(date!(2027 - 06 - 01)), "renewed tacitly");
        c.terminated_on = Some(date!(2026 - 03 - 01));
        assert!(c.active_on(date!(2026 - 02 - 28)));
        assert!(!c.active_on(date!(2026 - 03 - 01)));
        c.terminated_on = None;
        c.tacit_renewal = false;
        assert!(!c.active_on(date!(2026 - 01 - 01)));
    }

    #[test]
    fn password_policy() {
        assert_eq!(check_password("court", &[]), Err(PasswordError::TooShort));
        assert_eq!(
            check_password("MotDePasse123", &[]),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_password("azertyuiop12", &[]),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_password("zzzzzzzzzzzzzz", &[]),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_password("Durand-CCAS-2026!", &["Durand", "marie.durand"]),
            Err(PasswordError::Personal)
        );
        assert_eq!(
            check_password("Le chat dort sur 3 coussins", &["Durand"]),
            Ok(())
        );
    }

    #[test]
    fn only_professional_addresses() {
        let e = |s: &str| Email::parse(s).unwrap_or_else(|| unreachable!());
        assert!(!professional_email(&e("jean@gmail.com"), &[]));
        assert!(professional_email(&e("jean@ccas-rouen.fr"), &[]));
        assert!(professional_email(
            &e("jean@ccas-rouen.fr"),
            &["ccas-rouen.fr".into()]
        ));
        assert!(!professional_email(
            &e("jean@autre.fr"),
            &["ccas-rouen.fr".into()]
        ));
    }
}
