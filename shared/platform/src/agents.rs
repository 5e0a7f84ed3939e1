//! Agent tokens from the Assurance Maladie identity provider (OIDC): verified against its
//! JWKS, keys found by `kid`, cached, and fetched again once when an unknown `kid` shows up.
//! Issuer and audience come from configuration, never from the token; ES256 or RS256 only.

use crate::env::{ConfigError, Env};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Instructeur,
    Superviseur,
    AdminPartenaires,
    Dpo,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Instructeur => "instructeur",
            Role::Superviseur => "superviseur",
            Role::AdminPartenaires => "admin_partenaires",
            Role::Dpo => "dpo",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AgentClaims {
    /// The agent number.
    pub sub: String,
    pub name: String,
    pub caisse: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

impl AgentClaims {
    pub fn has(&self, role: Role) -> bool {
        self.roles.iter().any(|r| r == role.as_str())
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }
}

struct Keys {
    by_kid: HashMap<String, (DecodingKey, Algorithm)>,
    fetched: Option<Instant>,
}

pub struct AgentVerifier {
    jwks_url: String,
    issuer: String,
    audience: String,
    http: reqwest::Client,
    keys: RwLock<Keys>,
}

impl std::fmt::Debug for AgentVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentVerifier")
            .field("jwks_url", &self.jwks_url)
            .finish()
    }
}

/// Unknown kids may trigger a fetch at most this often, so a flood of forged tokens cannot
/// turn into a flood of requests to the identity provider.
const MIN_REFRESH: Duration = Duration::from_secs(30);

impl AgentVerifier {
    pub fn from_env(env: &Env) -> Result<AgentVerifier, ConfigError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|_| ConfigError::Invalid("http client".into()))?;
        Ok(AgentVerifier {
            jwks_url: env.require("AGENT_JWKS_URL")?,
            issuer: env.require("AGENT_TOKEN_ISSUER")?,
            audience: env.require("AGENT_TOKEN_AUDIENCE")?,
            http,
            keys: RwLock::new(Keys {
                by_kid: HashMap::new(),
                fetched: None,
            }),
        })
    }

    /// `None` for anything that is not a valid token of the identity provider.
    pub async fn verify(&self, token: &str) -> Option<AgentClaims> {
        let header = decode_header(token).ok()?;
        if !matches!(header.alg, Algorithm::ES256 | Algorithm::RS256) {
            return None;
        }
        let kid = header.kid?;
        let (key, alg) = self.key(&kid).await?;
        if alg != header.alg {
            return None;
        }
        let mut validation = Validation::new(alg);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 30;
        decode::<AgentClaims>(token, &key, &validation)
            .ok()
            .map(|d| d.claims)
    }

    async fn key(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        if let Some(k) = self.keys.read().await.by_kid.get(kid) {
            return Some(k.clone());
        }
        let mut keys = self.keys.write().await;
        if let Some(k) = keys.by_kid.get(kid) {
            return Some(k.clone());
        }
        if keys.fetched.is_some_and(|t| t.elapsed() < MIN_REFRESH) {
            return None;
        }
        keys.fetched = Some(Instant::now());
        match self.fetch().await {
            Ok(fresh) => keys.by_kid = fresh,
            Err(e) => tracing::warn!(error = %e, "JWKS fetch failed"),
        }
        keys.by_kid.get(kid).cloned()
    }

    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, Algorithm)>, String> {
        let set: JwkSet = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .error_for_status()
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let mut out = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk))
            else {
                continue;
            };
            let alg = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                _ => continue,
            };
            out.insert(kid, (key, alg));
        }
        Ok(out)
    }
}
