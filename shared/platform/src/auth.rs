//! Who is calling: the beneficiary behind a bearer token, or a 401.

use crate::http::{bearer, ApiError};
use crate::tokens::{BeneficiaryClaims, TokenVerifier};
use lambda_http::Request;

pub fn beneficiary(req: &Request, verifier: &TokenVerifier) -> Result<BeneficiaryClaims, ApiError> {
    bearer(req)
        .and_then(|t| verifier.verify(t))
        .ok_or_else(ApiError::unauthenticated)
}

/// Today in France, for the rules that count in days (the service is French; Lambda runs in UTC).
pub fn today() -> time::Date {
    let offset = time::UtcOffset::from_hms(1, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(offset).date()
}
