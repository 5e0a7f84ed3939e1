//! The development identity provider for agents: signs tokens shaped like the Assurance
//! Maladie's (`sub` agent number, `name`, `caisse`, `roles`) and publishes its JWKS.
//! Never deployed.

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const KID: &str = "dev-idp-1";
pub const AGENT_AUDIENCE: &str = "c2s-agent";

pub struct DevIdp {
    key: EncodingKey,
    jwks: Value,
    pub issuer: String,
}

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    pub sub: String,
    pub name: String,
    pub caisse: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Serialize)]
struct AgentClaims<'a> {
    sub: &'a str,
    name: &'a str,
    caisse: &'a str,
    roles: &'a [String],
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

impl DevIdp {
    pub fn new(issuer: String) -> Result<DevIdp, String> {
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        let point = p256::EncodedPoint::from(secret.public_key());
        let b64 = |b: Option<&[u8]>| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b.unwrap_or_default())
        };
        let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": KID, "use": "sig", "alg": "ES256",
            "x": b64(point.x().map(|x| &x[..])), "y": b64(point.y().map(|y| &y[..]))}]});
        Ok(DevIdp { key, jwks, issuer })
    }

    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    pub fn token(&self, req: &TokenRequest) -> Result<String, String> {
        let now = c2s_platform::tokens::now_seconds();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KID.to_owned());
        let claims = AgentClaims {
            sub: &req.sub,
            name: &req.name,
            caisse: &req.caisse,
            roles: &req.roles,
            iss: &self.issuer,
            aud: AGENT_AUDIENCE,
            iat: now,
            exp: now + 15 * 60,
        };
        encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }
}
