//! The level-1 proof that one holds a beneficiary's letter: NIR, birth date and renewal code.
//! Used by the beneficiary's own sign-in and by a partner opening a renewal for them, so both
//! answer the same way and count against the same lock (`attempts::LETTER`). The step-up's
//! answers count under a key of their own (`step_up_key`), which no level-1 success resets.
//!
//! Every attempt is reserved before it is judged (`reserve`), so answers sent in parallel are
//! judged as many times as the limit allows and no more; the others get the lock's 429.

use crate::error::{ApiError, Code};
use c2s_domain::attempts::{wait_in_words, AttemptLimit, LETTER};
use c2s_domain::dates::parse_date;
use c2s_domain::text::normalize_secret;
use c2s_domain::Nir;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::hashing::{Hasher, Purpose};
use c2s_platform::sign_in_locks::{Reservation, SignInLocks};

pub fn invalid_credentials() -> ApiError {
    Code::InvalidCredentials.into()
}

/// The lock's 429, telling the real time left rather than the lock's full length.
pub fn too_many(retry_after: i64) -> ApiError {
    Code::TooManyAttempts
        .with_message(format!(
            "Trop d'essais infructueux. Réessayez dans {}.",
            wait_in_words(retry_after)
        ))
        .with("retry_after", retry_after)
}

/// The key under which the letter's answers for a NIR are counted.
pub fn letter_key(nir_hash: &str) -> String {
    format!("beneficiary-sign-in#{nir_hash}")
}

/// The key under which the letter's answers for a NIR with no profile are counted.
fn unknown_letter_key(nir_hash: &str) -> String {
    format!("beneficiary-sign-in-unknown#{nir_hash}")
}

/// The key under which the step-up's answers for a NIR are counted.
pub fn step_up_key(nir_hash: &str) -> String {
    format!("beneficiary-step-up#{nir_hash}")
}

/// Counts one attempt under `key` before it is judged, or answers 429 with the time left.
pub async fn reserve(locks: &SignInLocks, key: &str, limit: &AttemptLimit) -> Result<(), ApiError> {
    match locks.reserve(key, limit).await? {
        Reservation::Granted => Ok(()),
        Reservation::Locked { retry_after } => {
            tracing::info!(outcome = "too_many_attempts", "attempt refused unjudged");
            Err(too_many(retry_after))
        }
    }
}

/// The same 401 whatever was wrong (the attempt was counted when it was reserved).
pub fn refused(what: &'static str) -> ApiError {
    tracing::info!(outcome = "invalid_credentials", what, "credentials refused");
    invalid_credentials()
}

/// The beneficiary's profile if the three answers match, after the same work whatever was
/// wrong; a locked NIR answers 429.
pub async fn check_letter(
    beneficiaries: &BeneficiaryStore,
    locks: &SignInLocks,
    hasher: &Hasher,
    nir: &str,
    birth_date: &str,
    renewal_code: &str,
) -> Result<Profile, ApiError> {
    check_letter_admitted(
        beneficiaries,
        locks,
        hasher,
        nir,
        birth_date,
        renewal_code,
        |_| true,
    )
    .await
}

/// `check_letter` for a caller who may act only for some people (a partner, for those of
/// the caisses it has a convention with): a person `admits` refuses is judged before the
/// answers, exactly as an unknown NIR (same work, same 401, same count), so the answer
/// never tells whether the letter was right.
pub async fn check_letter_admitted(
    beneficiaries: &BeneficiaryStore,
    locks: &SignInLocks,
    hasher: &Hasher,
    nir: &str,
    birth_date: &str,
    renewal_code: &str,
    admits: impl FnOnce(&Profile) -> bool,
) -> Result<Profile, ApiError> {
    // A NIR that cannot exist is a wrong credential like any other.
    let Ok(nir) = Nir::parse(nir) else {
        return Err(invalid_credentials());
    };
    let nir_hash = hasher.nir(&nir);
    // Tries at a NIR no file has brought yet (a file late, an import that has not resumed)
    // are counted apart from those at the person on file, under the same limit: they lock
    // alike, so the answers never tell who is on file, and the person once imported is not
    // locked by them.
    let on_file = beneficiaries.profile(&nir_hash).await?;
    let key = match on_file {
        Some(_) => letter_key(&nir_hash),
        None => unknown_letter_key(&nir_hash),
    };
    reserve(locks, &key, &LETTER).await?;
    let profile = on_file.filter(admits);
    let birth_ok = parse_date(birth_date.trim())
        .ok()
        .zip(profile.as_ref())
        .is_some_and(|(d, p)| d == p.birth_date);
    // Hash the code even without a profile, so an unknown NIR costs the same time.
    let stored = profile
        .as_ref()
        .map(|p| p.renewal_code_hash.as_str())
        .unwrap_or("00");
    let code_ok = hasher.verify(
        Purpose::RenewalCode,
        &normalize_secret(renewal_code),
        stored,
    );
    match profile {
        Some(p) if birth_ok && code_ok => {
            locks.forget(&key).await?;
            Ok(p)
        }
        _ => Err(refused("level 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_tells_the_time_really_left() {
        let e = too_many(21);
        assert_eq!(
            e.message,
            "Trop d'essais infructueux. Réessayez dans 21 secondes."
        );
        let e = too_many(890);
        assert_eq!(
            e.message,
            "Trop d'essais infructueux. Réessayez dans 15 minutes."
        );
    }
}
