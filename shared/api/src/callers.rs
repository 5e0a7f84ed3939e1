//! Who is calling: the beneficiary or partner behind a bearer token (or a 401), and from
//! which address.

use crate::error::ApiError;
use crate::request::bearer;
use c2s_platform::agents::{AgentClaims, AgentVerifier, Role};
use c2s_platform::env::SecretString;
use c2s_platform::tokens::{BeneficiaryClaims, TokenVerifier};
use lambda_http::Request;

pub fn beneficiary(req: &Request, verifier: &TokenVerifier) -> Result<BeneficiaryClaims, ApiError> {
    bearer(req)
        .and_then(|t| verifier.verify(t))
        .ok_or_else(ApiError::unauthenticated)
}

/// An agent with one of `roles`: 401 without a valid token from the identity provider, 403
/// with a role that may not.
pub async fn agent(
    req: &Request,
    verifier: &AgentVerifier,
    roles: &[Role],
) -> Result<AgentClaims, ApiError> {
    let token = bearer(req).ok_or_else(ApiError::unauthenticated)?;
    let claims = verifier
        .verify(token)
        .await
        .ok_or_else(ApiError::unauthenticated)?;
    if !claims.has_any(roles) {
        return Err(ApiError::forbidden());
    }
    Ok(claims)
}

/// The caller's network address, for rate limits only (it is hashed before it is stored).
/// Behind CloudFront, API Gateway sees an edge's address, shared by everyone behind that
/// edge: the viewer's own address comes in `x-viewer-address`, set by the distribution's
/// function, and is believed only with the secret CloudFront adds as `x-origin-verify`
/// (`edge`), so a call made straight to the API cannot choose its own address. Otherwise, the
/// address API Gateway saw (the dev server sets the same header).
pub fn client_address(req: &Request, edge: Option<&SecretString>) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let (Some(secret), Some(sent), Some(viewer)) =
        (edge, header("x-origin-verify"), header("x-viewer-address"))
    {
        if same(sent.as_bytes(), secret.expose().as_bytes()) && !viewer.trim().is_empty() {
            return viewer.trim().to_owned();
        }
    }
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

/// Equal bytes, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut req = lambda_http::http::Request::builder().uri("/api/eligibility/estimate");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(lambda_http::Body::Empty)
            .unwrap_or_else(|e| panic!("request: {e}"))
    }

    #[test]
    fn the_viewer_address_is_believed_only_from_cloudfront() {
        let secret = SecretString::new("un-secret-partage-avec-CloudFront".into());
        let through_cloudfront = request(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-origin-verify", "un-secret-partage-avec-CloudFront"),
            ("x-viewer-address", "203.0.113.9"),
        ]);
        assert_eq!(
            client_address(&through_cloudfront, Some(&secret)),
            "203.0.113.9"
        );
        // A direct call choosing its own address, with a wrong secret or none.
        for verify in ["un autre secret", ""] {
            let direct = request(&[
                ("x-forwarded-for", "198.51.100.7"),
                ("x-origin-verify", verify),
                ("x-viewer-address", "203.0.113.9"),
            ]);
            assert_eq!(client_address(&direct, Some(&secret)), "198.51.100.7");
        }
        // Where no distribution stands in front (locally), the header means nothing.
        assert_eq!(client_address(&through_cloudfront, None), "198.51.100.7");
    }
}
