//! Beneficiary access tokens: ES256, 15 minutes, `exp`/`aud`/`iss`/`sub` required, keys from
//! configuration only. `sub` is the keyed hash of the NIR, never the NIR.

use crate::env::{ConfigError, Env};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ACCESS_TOKEN_SECONDS: u64 = 15 * 60;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BeneficiaryClaims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    /// 1: NIR + birth date + renewal code; 2: also IBAN digits and Vitale serial.
    pub level: u8,
    /// Set on a partner's token: `sub` is then the account, not a person's NIR hash, so it
    /// never matches a beneficiary's own records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenVerifier")
    }
}

#[derive(Clone)]
pub struct TokenIssuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenIssuer(<key redacted>)")
    }
}

impl TokenVerifier {
    pub fn from_env(env: &Env) -> Result<TokenVerifier, ConfigError> {
        crate::jwt::install();
        let pem = env.require("TOKEN_PUBLIC_KEY")?;
        let key = DecodingKey::from_ec_pem(pem.as_bytes())
            .map_err(|_| ConfigError::Invalid("TOKEN_PUBLIC_KEY".into()))?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[env.require("TOKEN_AUDIENCE")?]);
        validation.set_issuer(&[env.require("TOKEN_ISSUER")?]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 30;
        Ok(TokenVerifier { key, validation })
    }

    /// `None` for any token that is not ours, expired, or malformed: the caller answers 401.
    pub fn verify(&self, token: &str) -> Option<BeneficiaryClaims> {
        decode::<BeneficiaryClaims>(token, &self.key, &self.validation)
            .ok()
            .map(|d| d.claims)
    }
}

impl TokenIssuer {
    pub fn from_env(env: &Env) -> Result<TokenIssuer, ConfigError> {
        crate::jwt::install();
        let pem = env.require("TOKEN_SIGNING_KEY")?;
        let key = EncodingKey::from_ec_pem(pem.as_bytes())
            .map_err(|_| ConfigError::Invalid("TOKEN_SIGNING_KEY".into()))?;
        Ok(TokenIssuer {
            key,
            issuer: env.require("TOKEN_ISSUER")?,
            audience: env.require("TOKEN_AUDIENCE")?,
        })
    }

    pub fn issue(
        &self,
        sub: &str,
        level: u8,
        now: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = BeneficiaryClaims {
            sub: sub.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            level,
            partner_id: None,
            role: None,
        };
        encode(&Header::new(Algorithm::ES256), &claims, &self.key)
    }

    /// A partner account's token.
    pub fn issue_partner(
        &self,
        account_id: &str,
        partner_id: &str,
        role: &str,
        now: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = BeneficiaryClaims {
            sub: account_id.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            level: 0,
            partner_id: Some(partner_id.to_owned()),
            role: Some(role.to_owned()),
        };
        encode(&Header::new(Algorithm::ES256), &claims, &self.key)
    }
}

/// Seconds since the epoch, for token times.
pub fn now_seconds() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use std::collections::HashMap;

    fn env() -> Env {
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let private = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .unwrap_or_default();
        let public = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default();
        Env::from_map(HashMap::from([
            ("TOKEN_SIGNING_KEY".to_owned(), private),
            ("TOKEN_PUBLIC_KEY".to_owned(), public),
            ("TOKEN_ISSUER".to_owned(), "c2s-test".to_owned()),
            ("TOKEN_AUDIENCE".to_owned(), "c2s-beneficiary".to_owned()),
        ]))
    }

    #[test]
    fn issued_tokens_verify_and_others_do_not() -> Result<(), Box<dyn std::error::Error>> {
        let env = env();
        let issuer = TokenIssuer::from_env(&env)?;
        let verifier = TokenVerifier::from_env(&env)?;
        let now = now_seconds();
        let token = issuer.issue("abc", 1, now)?;
        assert_eq!(
            verifier.verify(&token).map(|c| (c.sub, c.level)),
            Some(("abc".to_owned(), 1))
        );
        // Expired.
        assert!(verifier
            .verify(&issuer.issue("abc", 1, now - 3600)?)
            .is_none());
        // Another key.
        let other = TokenIssuer::from_env(&self::env())?;
        assert!(verifier.verify(&other.issue("abc", 1, now)?).is_none());
        // Tampered payload: the same token claiming level 2.
        use base64::Engine;
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = String::from_utf8(engine.decode(&parts[1])?)?;
        assert!(payload.contains("\"level\":1"));
        parts[1] = engine.encode(payload.replace("\"level\":1", "\"level\":2"));
        assert!(verifier.verify(&parts.join(".")).is_none());
        // "none" algorithm.
        let unsigned = format!(
            "{}.{}.",
            base64_url(r#"{"alg":"none","typ":"JWT"}"#),
            token.split('.').nth(1).unwrap_or("")
        );
        assert!(verifier.verify(&unsigned).is_none());
        Ok(())
    }

    fn base64_url(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
