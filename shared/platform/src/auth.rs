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

/// The caller's network address as API Gateway saw it (the dev server sets the same header),
/// for rate limits only; it is hashed before it is stored.
pub fn client_address(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    if let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
        if let Some(ip) = ctx.http.source_ip.clone() {
            return ip;
        }
    }
    req.headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A partner account's token, or a 401 (the account itself is checked by the caller).
pub fn partner(req: &Request, verifier: &TokenVerifier) -> Result<BeneficiaryClaims, ApiError> {
    let claims = beneficiary(req, verifier)?;
    if claims.partner_id.is_some() {
        Ok(claims)
    } else {
        Err(ApiError::unauthenticated())
    }
}
