//! The level-1 proof that one holds a beneficiary's letter: NIR, birth date and renewal code.
//! Used by the beneficiary's own sign-in and by a partner opening a renewal for them, so both
//! answer the same way and count against the same lock (5 failures in 15 minutes).

use crate::error::{ApiError, Code};
use c2s_domain::dates::parse_date;
use c2s_domain::text::normalize_secret;
use c2s_domain::Nir;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::hashing::{Hasher, Purpose};
use c2s_platform::rate_limit::RateLimiter;

pub fn invalid_credentials() -> ApiError {
    Code::InvalidCredentials.into()
}

pub fn too_many(retry_after: i64) -> ApiError {
    ApiError::from(Code::TooManyAttempts).with("retry_after", retry_after)
}

/// The key under which a NIR's failures are counted.
pub fn limiter_key(nir_hash: &str) -> String {
    format!("beneficiary-sign-in#{nir_hash}")
}

/// Counts a failure and answers the same 401 whatever was wrong.
pub async fn fail(limiter: &RateLimiter, key: &str) -> ApiError {
    match limiter.record_failure(key).await {
        Ok(locked) => {
            tracing::info!(
                outcome = "invalid_credentials",
                locked,
                "level 1 credentials refused"
            );
            invalid_credentials()
        }
        Err(e) => ApiError::internal(e),
    }
}

/// The beneficiary's profile if the three answers match, after the same work whatever was
/// wrong; a locked NIR answers 429.
pub async fn check_letter(
    beneficiaries: &BeneficiaryStore,
    limiter: &RateLimiter,
    hasher: &Hasher,
    nir: &str,
    birth_date: &str,
    renewal_code: &str,
) -> Result<Profile, ApiError> {
    check_letter_admitted(
        beneficiaries,
        limiter,
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
    limiter: &RateLimiter,
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
    let key = limiter_key(&nir_hash);
    if let Some(left) = limiter.locked_for(&key).await? {
        return Err(too_many(left));
    }
    let profile = beneficiaries.profile(&nir_hash).await?.filter(admits);
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
            limiter.reset(&key).await?;
            Ok(p)
        }
        _ => Err(fail(limiter, &key).await),
    }
}
