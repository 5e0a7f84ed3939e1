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
    keys: RwLock<Keys>,
    min_refresh: Duration,
    max_age: Duration,
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
/// Keys are fetched again after this long even when known: a key the provider retired stops
/// being accepted, and one it published ahead of a rotation is ready before its first token.
const MAX_AGE: Duration = Duration::from_secs(300);

/// The identity provider's key set: fetched within this long, at most this large (a few
/// keys weigh a few kilobytes).
const JWKS_WITHIN: Duration = Duration::from_secs(5);
const JWKS_MAX_BYTES: usize = 256 * 1024;

impl AgentVerifier {
    pub fn from_env(env: &Env) -> Result<AgentVerifier, ConfigError> {
        crate::jwt::install();
        Ok(AgentVerifier {
            jwks_url: env.require("AGENT_JWKS_URL")?,
            issuer: env.require("AGENT_TOKEN_ISSUER")?,
            audience: env.require("AGENT_TOKEN_AUDIENCE")?,
            keys: RwLock::new(Keys {
                by_kid: HashMap::new(),
                fetched: None,
            }),
            min_refresh: MIN_REFRESH,
            max_age: MAX_AGE,
        })
    }

    /// Other refresh intervals than the defaults (tests).
    pub fn with_refresh(mut self, min_refresh: Duration, max_age: Duration) -> Self {
        self.min_refresh = min_refresh;
        self.max_age = max_age;
        self
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
        let fresh = |k: &Keys| k.fetched.is_some_and(|t| t.elapsed() < self.max_age);
        {
            let keys = self.keys.read().await;
            if let (true, Some(k)) = (fresh(&keys), keys.by_kid.get(kid)) {
                return Some(k.clone());
            }
        }
        let mut keys = self.keys.write().await;
        let known = keys.by_kid.contains_key(kid);
        if fresh(&keys) {
            if known {
                return keys.by_kid.get(kid).cloned();
            }
            if keys.fetched.is_some_and(|t| t.elapsed() < self.min_refresh) {
                return None;
            }
        }
        keys.fetched = Some(Instant::now());
        match self.fetch().await {
            Ok(set) => keys.by_kid = set,
            // The provider unreachable: the keys already known keep working meanwhile.
            Err(e) => tracing::warn!(error = %e, "JWKS fetch failed"),
        }
        keys.by_kid.get(kid).cloned()
    }

    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, Algorithm)>, String> {
        let body = crate::aws::get(&self.jwks_url, JWKS_WITHIN, JWKS_MAX_BYTES)
            .await
            .map_err(|e| e.to_string())?;
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const ISSUER: &str = "https://idp.test";
    const AUDIENCE: &str = "c2s-agent";

    /// A signing key of the identity provider: its kid, its JWK, its private key.
    struct Key {
        kid: &'static str,
        jwk: serde_json::Value,
        signing: EncodingKey,
    }

    fn key(kid: &'static str) -> Key {
        crate::jwt::install();
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap_or_else(|e| panic!("pem: {e}"));
        let point = p256::EncodedPoint::from(secret.public_key());
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        Key {
            kid,
            jwk: serde_json::json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                "x": b64(point.x().unwrap_or_else(|| panic!("x"))), "y": b64(point.y().unwrap_or_else(|| panic!("y")))}),
            signing: EncodingKey::from_ec_pem(pem.as_bytes())
                .unwrap_or_else(|e| panic!("key: {e}")),
        }
    }

    fn token(k: &Key) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(k.kid.to_owned());
        let now = crate::tokens::now_seconds();
        let claims = serde_json::json!({"sub": "A1", "name": "Agent", "caisse": "le-havre", "roles": ["instructeur"],
            "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600});
        encode(&header, &claims, &k.signing).unwrap_or_else(|e| panic!("token: {e}"))
    }

    /// A JWKS endpoint whose keys the test changes, counting the fetches.
    async fn provider(keys: Arc<Mutex<Vec<serde_json::Value>>>, hits: Arc<AtomicUsize>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let url = format!(
            "http://{}/jwks.json",
            listener
                .local_addr()
                .unwrap_or_else(|e| panic!("addr: {e}"))
        );
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 2048];
                let _ = socket.read(&mut buf).await;
                hits.fetch_add(1, Ordering::SeqCst);
                let body = serde_json::json!({"keys": *keys.lock().unwrap_or_else(|e| panic!("keys: {e}"))}).to_string();
                let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        url
    }

    fn verifier(url: &str, min_refresh: Duration, max_age: Duration) -> AgentVerifier {
        let env = Env::from_map(HashMap::from([
            ("AGENT_JWKS_URL".to_owned(), url.to_owned()),
            ("AGENT_TOKEN_ISSUER".to_owned(), ISSUER.to_owned()),
            ("AGENT_TOKEN_AUDIENCE".to_owned(), AUDIENCE.to_owned()),
        ]));
        AgentVerifier::from_env(&env)
            .unwrap_or_else(|e| panic!("verifier: {e}"))
            .with_refresh(min_refresh, max_age)
    }

    #[tokio::test]
    async fn a_rotated_key_is_taken_up_and_a_retired_one_refused() {
        let (k1, k2) = (key("k1"), key("k2"));
        let published = Arc::new(Mutex::new(vec![k1.jwk.clone()]));
        let hits = Arc::new(AtomicUsize::new(0));
        let url = provider(published.clone(), hits.clone()).await;
        let v = verifier(&url, Duration::ZERO, Duration::from_secs(3600));
        assert!(v.verify(&token(&k1)).await.is_some());

        // The provider publishes k2 and signs with it: its first token fetches the keys again.
        published
            .lock()
            .unwrap_or_else(|e| panic!("keys: {e}"))
            .push(k2.jwk.clone());
        assert!(v.verify(&token(&k2)).await.is_some());
        assert!(
            v.verify(&token(&k1)).await.is_some(),
            "both during the overlap"
        );

        // k1 retired: once the keys are older than their maximum age, k1 is refused.
        *published.lock().unwrap_or_else(|e| panic!("keys: {e}")) = vec![k2.jwk.clone()];
        let strict = verifier(&url, Duration::ZERO, Duration::ZERO);
        assert!(strict.verify(&token(&k1)).await.is_none());
        assert!(strict.verify(&token(&k2)).await.is_some());
    }

    #[tokio::test]
    async fn unknown_kids_do_not_flood_the_provider() {
        let (k1, forged) = (key("k1"), key("k9"));
        let hits = Arc::new(AtomicUsize::new(0));
        let url = provider(Arc::new(Mutex::new(vec![k1.jwk.clone()])), hits.clone()).await;
        let v = verifier(&url, MIN_REFRESH, MAX_AGE);
        assert!(v.verify(&token(&k1)).await.is_some());
        for _ in 0..20 {
            assert!(v.verify(&token(&forged)).await.is_none());
        }
        assert_eq!(hits.load(Ordering::SeqCst), 1, "one fetch for 21 tokens");
    }
}
