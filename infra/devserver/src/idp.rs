//! The development identity provider for agents, standing for the Assurance Maladie's: an
//! OpenID Connect provider with the authorization-code flow and PKCE (S256) only, for one
//! public client, the back-office. Its tokens are shaped like the real ones (`sub` agent
//! number, `name`, `caisse`, `roles`) and signed with a key made at start, published in its
//! JWKS. `POST /dev/token` (tokens without the flow) stays for the end-to-end tests.
//! Never deployed.

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const KID: &str = "dev-idp-1";
/// The API's audience: what `review` and `partner` expect in an access token.
pub const AGENT_AUDIENCE: &str = "c2s-agent";
/// The back-office, the provider's only client (public: PKCE instead of a secret).
pub const CLIENT_ID: &str = "c2s-back-office";
pub const SCOPES: &str = "openid profile";
/// Where the back-office completes a sign-in, and where it lands after signing out.
pub const CALLBACK_PATH: &str = "/agent/connexion/retour";
pub const SIGNED_OUT_PATH: &str = "/agent/connexion";
/// Vite's dev server (`cd web && npx vite`) is a registered origin too.
const VITE_ORIGINS: [&str; 2] = ["http://localhost:5173", "http://127.0.0.1:5173"];
const CODE_LIFETIME: Duration = Duration::from_secs(60);
const TOKEN_SECONDS: u64 = 15 * 60;

pub const CAISSES: [(&str, &str); 2] = [
    ("rouen-elbeuf-dieppe", "CPAM Rouen-Elbeuf-Dieppe"),
    ("le-havre", "CPAM Le Havre"),
];
pub const ROLES: [(&str, &str); 4] = [
    (
        "instructeur",
        "Instructeur (prend en charge, instruit et décide)",
    ),
    (
        "superviseur",
        "Superviseur (tableau de bord, journal d'audit)",
    ),
    (
        "admin_partenaires",
        "Administrateur partenaires (organismes partenaires et conventions)",
    ),
    (
        "dpo",
        "Délégué à la protection des données (droits d'accès des personnes)",
    ),
];

pub struct DevIdp {
    key: EncodingKey,
    jwks: Value,
    pub issuer: String,
    /// The issuer's scheme, host and port: the pages' own origin locally.
    pub origin: String,
    codes: Mutex<HashMap<String, Grant>>,
}

#[derive(Debug, Clone, Deserialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<u64>,
}

/// A checked authorization request: what the sign-in page carries to its own POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
}

/// Why an authorization request is refused: before the client and its redirect URI are
/// known good the provider must not redirect (RFC 6749 §4.1.2.1), after it redirects with
/// the error.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    Page(&'static str),
    Redirect(String),
}

struct Grant {
    request: AuthRequest,
    agent: TokenRequest,
    issued: Instant,
}

/// The token endpoint's error (RFC 6749 §5.2).
#[derive(Debug, PartialEq, Eq)]
pub struct TokenError {
    pub error: &'static str,
    pub description: &'static str,
}

fn token_error(error: &'static str, description: &'static str) -> TokenError {
    TokenError { error, description }
}

/// `scheme://host[:port]` of an absolute address.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// One value of a form or query (the first), parsed from `application/x-www-form-urlencoded`.
pub fn params(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).into_owned().collect()
}

fn first<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Appends query parameters to a redirect URI that may already have some.
fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", q.finish())
}

impl DevIdp {
    pub fn new(issuer: String) -> Result<DevIdp, String> {
        c2s_platform::jwt::install();
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        let point = p256::EncodedPoint::from(secret.public_key());
        let coord = |b: Option<&[u8]>| b64(b.unwrap_or_default());
        let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": KID, "use": "sig", "alg": "ES256",
            "x": coord(point.x().map(|x| &x[..])), "y": coord(point.y().map(|y| &y[..]))}]});
        let origin = origin_of(&issuer).to_owned();
        Ok(DevIdp {
            key,
            jwks,
            issuer,
            origin,
            codes: Mutex::new(HashMap::new()),
        })
    }

    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// The origins whose back-office may use this provider (for redirects and CORS).
    pub fn client_origins(&self) -> Vec<&str> {
        let mut o = vec![self.origin.as_str()];
        o.extend(VITE_ORIGINS);
        o
    }

    fn registered(&self, uri: &str, path: &str) -> bool {
        self.client_origins()
            .iter()
            .any(|o| uri == format!("{o}{path}"))
    }

    /// The discovery document (`{issuer}/.well-known/openid-configuration`).
    pub fn discovery(&self) -> Value {
        let i = &self.issuer;
        json!({
            "issuer": i,
            "authorization_endpoint": format!("{i}/authorize"),
            "token_endpoint": format!("{i}/token"),
            "jwks_uri": format!("{i}/jwks.json"),
            "end_session_endpoint": format!("{i}/logout"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "profile"],
            "claims_supported": ["sub", "name", "caisse", "roles", "iss", "aud", "exp", "iat", "nonce"],
        })
    }

    /// Checks `GET {issuer}/authorize`'s query (or the sign-in page's hidden fields).
    pub fn check_authorize(&self, p: &[(String, String)]) -> Result<AuthRequest, AuthError> {
        let client_id = first(p, "client_id").unwrap_or_default();
        if client_id != CLIENT_ID {
            return Err(AuthError::Page(
                "Ce client n'est pas enregistré auprès du fournisseur d'identité.",
            ));
        }
        let redirect_uri = first(p, "redirect_uri").unwrap_or_default();
        if !self.registered(redirect_uri, CALLBACK_PATH) {
            return Err(AuthError::Page(
                "Cette adresse de retour n'est pas enregistrée pour ce client.",
            ));
        }
        let state = first(p, "state").map(str::to_owned);
        let refuse = |error: &str, description: &str| {
            let mut pairs = vec![("error", error), ("error_description", description)];
            if let Some(s) = &state {
                pairs.push(("state", s));
            }
            AuthError::Redirect(with_query(redirect_uri, &pairs))
        };
        if first(p, "response_type") != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "only the authorization code flow",
            ));
        }
        let scope = first(p, "scope").unwrap_or_default();
        if !scope.split(' ').any(|s| s == "openid") {
            return Err(refuse("invalid_scope", "openid is required"));
        }
        if first(p, "code_challenge_method") != Some("S256") {
            return Err(refuse("invalid_request", "PKCE with S256 is required"));
        }
        let Some(challenge) = first(p, "code_challenge").filter(|c| c.len() == 43) else {
            return Err(refuse("invalid_request", "code_challenge is required"));
        };
        Ok(AuthRequest {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_owned(),
            state,
            nonce: first(p, "nonce").map(str::to_owned),
            code_challenge: challenge.to_owned(),
        })
    }

    /// The redirect back to the client with a new one-time code for this agent.
    pub fn grant(&self, request: &AuthRequest, agent: TokenRequest) -> String {
        let mut bytes = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut bytes);
        let code = b64(&bytes);
        if let Ok(mut codes) = self.codes.lock() {
            codes.retain(|_, g| g.issued.elapsed() < CODE_LIFETIME);
            codes.insert(
                code.clone(),
                Grant {
                    request: request.clone(),
                    agent,
                    issued: Instant::now(),
                },
            );
        }
        let mut pairs = vec![("code", code.as_str())];
        if let Some(s) = &request.state {
            pairs.push(("state", s));
        }
        with_query(&request.redirect_uri, &pairs)
    }

    /// The redirect back when the agent cancels on the sign-in page.
    pub fn denied(&self, request: &AuthRequest) -> String {
        let mut pairs = vec![
            ("error", "access_denied"),
            ("error_description", "sign-in cancelled"),
        ];
        if let Some(s) = &request.state {
            pairs.push(("state", s));
        }
        with_query(&request.redirect_uri, &pairs)
    }

    /// `POST {issuer}/token`: the code once, for the client, the redirect URI and the PKCE
    /// verifier it was issued with; answers the token response (RFC 6749 §5.1, OIDC §3.1.3.3).
    pub fn exchange(&self, p: &[(String, String)]) -> Result<Value, TokenError> {
        if first(p, "grant_type") != Some("authorization_code") {
            return Err(token_error(
                "unsupported_grant_type",
                "only authorization_code",
            ));
        }
        let code = first(p, "code").unwrap_or_default();
        // Taken out whatever follows: a code is good for one try only.
        let grant = self
            .codes
            .lock()
            .ok()
            .and_then(|mut codes| codes.remove(code))
            .filter(|g| g.issued.elapsed() < CODE_LIFETIME)
            .ok_or(token_error(
                "invalid_grant",
                "unknown, used or expired code",
            ))?;
        if first(p, "client_id") != Some(grant.request.client_id.as_str()) {
            return Err(token_error("invalid_client", "client_id does not match"));
        }
        if first(p, "redirect_uri") != Some(grant.request.redirect_uri.as_str()) {
            return Err(token_error("invalid_grant", "redirect_uri does not match"));
        }
        let verifier = first(p, "code_verifier").unwrap_or_default();
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !well_formed || b64(&Sha256::digest(verifier.as_bytes())) != grant.request.code_challenge
        {
            return Err(token_error("invalid_grant", "code_verifier does not match"));
        }
        let now = c2s_platform::tokens::now_seconds();
        let access = self
            .sign(&grant.agent, AGENT_AUDIENCE, None, now)
            .map_err(|_| token_error("server_error", "signing failed"))?;
        let id = self
            .sign(
                &grant.agent,
                &grant.request.client_id,
                grant.request.nonce.as_deref(),
                now,
            )
            .map_err(|_| token_error("server_error", "signing failed"))?;
        Ok(json!({
            "access_token": access,
            "id_token": id,
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "scope": grant.request.scope,
        }))
    }

    /// Where `GET {issuer}/logout` sends the browser back, when it is the back-office's.
    pub fn after_logout(&self, p: &[(String, String)]) -> Option<String> {
        let uri = first(p, "post_logout_redirect_uri")?;
        if !self.registered(uri, SIGNED_OUT_PATH) {
            return None;
        }
        Some(match first(p, "state") {
            Some(s) => with_query(uri, &[("state", s)]),
            None => uri.to_owned(),
        })
    }

    /// An access token without the flow (`POST /dev/token`, for the end-to-end tests).
    pub fn token(&self, req: &TokenRequest) -> Result<String, String> {
        self.sign(
            req,
            AGENT_AUDIENCE,
            None,
            c2s_platform::tokens::now_seconds(),
        )
    }

    fn sign(
        &self,
        agent: &TokenRequest,
        audience: &str,
        nonce: Option<&str>,
        now: u64,
    ) -> Result<String, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KID.to_owned());
        let claims = AgentClaims {
            sub: &agent.sub,
            name: &agent.name,
            caisse: &agent.caisse,
            roles: &agent.roles,
            iss: &self.issuer,
            aud: audience,
            iat: now,
            exp: now + TOKEN_SECONDS,
            nonce,
            auth_time: (audience != AGENT_AUDIENCE).then_some(now),
        };
        encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }
}

/// The sign-in page's fields, as typed (shown again with the errors).
#[derive(Debug, Default, Clone)]
pub struct SignInForm {
    pub sub: String,
    pub name: String,
    pub caisse: String,
    pub roles: Vec<String>,
}

impl SignInForm {
    pub fn from_params(p: &[(String, String)]) -> SignInForm {
        let get = |n: &str| first(p, n).unwrap_or_default().trim().to_owned();
        SignInForm {
            sub: get("sub"),
            name: get("name"),
            caisse: get("caisse"),
            roles: p
                .iter()
                .filter(|(k, _)| k == "roles")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }

    /// The agent, or each field's error (its id on the page, its message).
    pub fn validate(&self) -> Result<TokenRequest, Vec<(&'static str, &'static str)>> {
        let mut errors = Vec::new();
        let sub_ok = (1..=40).contains(&self.sub.len())
            && self
                .sub
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if self.sub.is_empty() {
            errors.push(("agent-sub", "Indiquez votre numéro d'agent."));
        } else if !sub_ok {
            errors.push(("agent-sub", "Le numéro d'agent ne contient que des lettres, des chiffres, « . », « - » ou « _ » (40 au plus)."));
        }
        if self.name.is_empty() {
            errors.push(("agent-name", "Indiquez vos prénom et nom."));
        }
        if !CAISSES.iter().any(|(v, _)| *v == self.caisse) {
            errors.push(("agent-caisse", "Choisissez votre caisse."));
        }
        let known = self.roles.iter().all(|r| ROLES.iter().any(|(v, _)| v == r));
        if self.roles.is_empty() || !known {
            errors.push(("agent-role-instructeur", "Cochez au moins un rôle."));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TokenRequest {
            sub: self.sub.clone(),
            name: self.name.clone(),
            caisse: self.caisse.clone(),
            roles: self.roles.clone(),
        })
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;line-height:1.5}\
main{max-width:560px;margin:0 auto;padding:16px}h1{font-size:1.6rem;line-height:1.25}\
.warning{border-left:4px solid #8a4b00;background:#fff4e5;padding:8px 12px}\
.summary{border:2px solid #b00020;padding:8px 12px;margin:16px 0}.summary h2{font-size:1.1rem;margin:0 0 4px}\
.summary a,.error{color:#b00020}.field{margin:16px 0}label{display:block;font-weight:600}\
input[type=text],select{box-sizing:border-box;width:100%;font:inherit;padding:8px;border:1px solid #555;border-radius:4px}\
fieldset{border:0;padding:0;margin:16px 0}legend{font-weight:600;padding:0}\
.check{display:flex;gap:8px;align-items:flex-start;margin:4px 0}.check input{margin-top:5px}.check label{font-weight:400}\
button{font:inherit;padding:10px 20px;border-radius:4px;border:2px solid #0c419a;margin:0 8px 8px 0;cursor:pointer}\
.primary{background:#0c419a;color:#fff}.secondary{background:#fff;color:#0c419a}\
:focus-visible{outline:3px solid #0c419a;outline-offset:2px}";

/// The development sign-in page: the agent types who they are, as the real provider would
/// know it. No script (the CSP forbids inline ones and none is needed): the errors come back
/// in a summary that takes the focus, each field says its own.
pub fn sign_in_page(
    req: &AuthRequest,
    form: &SignInForm,
    errors: &[(&'static str, &'static str)],
) -> String {
    let err = |id: &str| errors.iter().find(|(f, _)| *f == id).map(|(_, m)| *m);
    let described = |id: &str| match err(id) {
        Some(_) => format!(" aria-invalid=\"true\" aria-describedby=\"{id}-error\""),
        None => String::new(),
    };
    let message = |id: &str| match err(id) {
        Some(m) => format!("<p class=\"error\" id=\"{id}-error\">{}</p>", esc(m)),
        None => String::new(),
    };
    let mut hidden = String::new();
    for (k, v) in [
        ("client_id", Some(req.client_id.as_str())),
        ("redirect_uri", Some(req.redirect_uri.as_str())),
        ("response_type", Some("code")),
        ("scope", Some(req.scope.as_str())),
        ("state", req.state.as_deref()),
        ("nonce", req.nonce.as_deref()),
        ("code_challenge", Some(req.code_challenge.as_str())),
        ("code_challenge_method", Some("S256")),
    ] {
        if let Some(v) = v {
            hidden.push_str(&format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
                esc(v)
            ));
        }
    }
    let summary = if errors.is_empty() {
        String::new()
    } else {
        let items: String = errors
            .iter()
            .map(|(id, m)| format!("<li><a href=\"#{id}\">{}</a></li>", esc(m)))
            .collect();
        let n = errors.len();
        let title = if n == 1 {
            "Le formulaire contient 1 erreur".to_owned()
        } else {
            format!("Le formulaire contient {n} erreurs")
        };
        format!("<div class=\"summary\" role=\"alert\" tabindex=\"-1\" autofocus aria-labelledby=\"summary-title\"><h2 id=\"summary-title\">{title}</h2><ul>{items}</ul></div>")
    };
    let caisse = form.caisse.as_str();
    let caisse = if caisse.is_empty() {
        CAISSES[0].0
    } else {
        caisse
    };
    let options: String = CAISSES
        .iter()
        .map(|(v, t)| {
            let sel = if *v == caisse { " selected" } else { "" };
            format!("<option value=\"{v}\"{sel}>{t}</option>")
        })
        .collect();
    // A first visit proposes the instructeur's role, as the back-office's main use.
    let roles_checked: Vec<&str> = if errors.is_empty() && form.roles.is_empty() {
        vec!["instructeur"]
    } else {
        form.roles.iter().map(String::as_str).collect()
    };
    let roles: String = ROLES
        .iter()
        .map(|(v, t)| {
            let checked = if roles_checked.contains(v) {
                " checked"
            } else {
                ""
            };
            format!("<div class=\"check\"><input type=\"checkbox\" id=\"agent-role-{v}\" name=\"roles\" value=\"{v}\"{checked}><label for=\"agent-role-{v}\">{t}</label></div>")
        })
        .collect();
    let roles_described = if err("agent-role-instructeur").is_some() {
        " aria-describedby=\"agent-role-instructeur-error\""
    } else {
        ""
    };
    let title = if errors.is_empty() {
        "Connexion agent — fournisseur d'identité de développement".to_owned()
    } else {
        "Erreur : connexion agent — fournisseur d'identité de développement".to_owned()
    };
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
<style>{PAGE_STYLE}</style></head><body><main>\
<h1>Connexion agent — fournisseur d'identité de développement</h1>\
<p class=\"warning\">Cette page n'existe qu'en développement : elle remplace le fournisseur d'identité de \
l'Assurance Maladie et renvoie au back-office un agent avec les informations saisies ci-dessous.</p>\
{summary}\
<form method=\"post\" action=\"authorize\" novalidate>{hidden}\
<p>Tous les champs sont obligatoires.</p>\
<div class=\"field\"><label for=\"agent-sub\">Numéro d'agent (par exemple A1001)</label>\
<input type=\"text\" id=\"agent-sub\" name=\"sub\" autocomplete=\"username\" value=\"{sub}\"{sub_d}>{sub_m}</div>\
<div class=\"field\"><label for=\"agent-name\">Prénom et nom</label>\
<input type=\"text\" id=\"agent-name\" name=\"name\" autocomplete=\"name\" value=\"{name}\"{name_d}>{name_m}</div>\
<div class=\"field\"><label for=\"agent-caisse\">Caisse</label>\
<select id=\"agent-caisse\" name=\"caisse\"{caisse_d}>{options}</select>{caisse_m}</div>\
<fieldset{roles_described}><legend>Rôles</legend>{roles}{roles_m}</fieldset>\
<button type=\"submit\" class=\"primary\" name=\"action\" value=\"sign-in\">Se connecter</button>\
<button type=\"submit\" class=\"secondary\" name=\"action\" value=\"cancel\">Annuler et revenir au back-office</button>\
</form></main></body></html>",
        sub = esc(&form.sub),
        sub_d = described("agent-sub"),
        sub_m = message("agent-sub"),
        name = esc(&form.name),
        name_d = described("agent-name"),
        name_m = message("agent-name"),
        caisse_d = described("agent-caisse"),
        caisse_m = message("agent-caisse"),
        roles_m = message("agent-role-instructeur"),
    )
}

/// What the provider says when it must not send the browser back to the client.
pub fn refusal_page(message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Erreur : connexion agent</title>\
<style>{PAGE_STYLE}</style></head><body><main><h1>Connexion agent impossible</h1>\
<p role=\"alert\">{}</p></main></body></html>",
        esc(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idp() -> DevIdp {
        DevIdp::new("http://127.0.0.1:3000/dev/idp".into()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // RFC 7636 appendix B.
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const CALLBACK: &str = "http://127.0.0.1:3000/agent/connexion/retour";

    fn authorize(idp: &DevIdp) -> AuthRequest {
        idp.check_authorize(&p(&[
            ("client_id", CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("state", "s1"),
            ("nonce", "n1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]))
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn agent() -> TokenRequest {
        TokenRequest {
            sub: "A1".into(),
            name: "Camille".into(),
            caisse: "le-havre".into(),
            roles: vec!["instructeur".into()],
        }
    }

    fn code_of(redirect: &str) -> String {
        let q = redirect.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let pairs = params(q.as_bytes());
        assert_eq!(first(&pairs, "state"), Some("s1"));
        first(&pairs, "code").unwrap_or_default().to_owned()
    }

    fn exchange(
        idp: &DevIdp,
        code: &str,
        verifier: &str,
        redirect: &str,
    ) -> Result<Value, TokenError> {
        idp.exchange(&p(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ]))
    }

    #[test]
    fn discovery_names_the_endpoints_under_the_issuer() {
        let d = idp().discovery();
        assert_eq!(d["issuer"], "http://127.0.0.1:3000/dev/idp");
        assert_eq!(d["token_endpoint"], "http://127.0.0.1:3000/dev/idp/token");
        assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(idp().origin, "http://127.0.0.1:3000");
    }

    #[test]
    fn a_code_is_exchanged_once_with_the_right_verifier() {
        let idp = idp();
        let req = authorize(&idp);
        let code = code_of(&idp.grant(&req, agent()));
        let answer = exchange(&idp, &code, VERIFIER, CALLBACK).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(answer["token_type"], "Bearer");
        let claims = |t: &str| -> Value {
            let part = t.split('.').nth(1).unwrap_or_default();
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap_or_default();
            serde_json::from_slice(&bytes).unwrap_or_default()
        };
        let access = claims(answer["access_token"].as_str().unwrap_or_default());
        assert_eq!(access["aud"], AGENT_AUDIENCE);
        assert_eq!(access["caisse"], "le-havre");
        let id = claims(answer["id_token"].as_str().unwrap_or_default());
        assert_eq!(id["aud"], CLIENT_ID);
        assert_eq!(id["nonce"], "n1");
        assert_eq!(id["iss"], "http://127.0.0.1:3000/dev/idp");
        // Used: refused the second time.
        assert_eq!(
            exchange(&idp, &code, VERIFIER, CALLBACK).map_err(|e| e.error),
            Err("invalid_grant")
        );
    }

    #[test]
    fn a_wrong_verifier_or_redirect_or_client_is_refused() {
        let idp = idp();
        let req = authorize(&idp);
        let code = code_of(&idp.grant(&req, agent()));
        let other = "x".repeat(43);
        assert_eq!(
            exchange(&idp, &code, &other, CALLBACK).map_err(|e| e.error),
            Err("invalid_grant")
        );
        let code = code_of(&idp.grant(&req, agent()));
        assert_eq!(
            exchange(
                &idp,
                &code,
                VERIFIER,
                "http://localhost:5173/agent/connexion/retour"
            )
            .map_err(|e| e.error),
            Err("invalid_grant")
        );
        let code = code_of(&idp.grant(&req, agent()));
        let answer = idp.exchange(&p(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "someone-else"),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ]));
        assert_eq!(answer.map_err(|e| e.error), Err("invalid_client"));
    }

    #[test]
    fn authorize_refuses_unknown_clients_on_its_page_and_the_rest_by_redirect() {
        let idp = idp();
        let base = [
            ("client_id", CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "s1"),
        ];
        let mut other = base;
        other[1] = (
            "redirect_uri",
            "https://ailleurs.example/agent/connexion/retour",
        );
        assert!(matches!(
            idp.check_authorize(&p(&other)),
            Err(AuthError::Page(_))
        ));
        // No PKCE: back to the client with the error and its state.
        match idp.check_authorize(&p(&base)) {
            Err(AuthError::Redirect(to)) => {
                assert!(to.starts_with(CALLBACK));
                assert!(to.contains("error=invalid_request") && to.contains("state=s1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_form_says_each_missing_field() {
        let form =
            SignInForm::from_params(&p(&[("sub", " "), ("name", "x"), ("caisse", "le-havre")]));
        let errors = form.validate().err().unwrap_or_default();
        let ids: Vec<&str> = errors.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, ["agent-sub", "agent-role-instructeur"]);
        let page = sign_in_page(&authorize(&idp()), &form, &errors);
        assert!(page.contains("Le formulaire contient 2 erreurs"));
        assert!(page.contains("aria-describedby=\"agent-sub-error\""));
    }

    #[test]
    fn logout_returns_only_to_the_back_office() {
        let idp = idp();
        let home = "http://127.0.0.1:3000/agent/connexion";
        assert_eq!(
            idp.after_logout(&p(&[("post_logout_redirect_uri", home), ("state", "z")])),
            Some(format!("{home}?state=z"))
        );
        assert_eq!(
            idp.after_logout(&p(&[(
                "post_logout_redirect_uri",
                "https://ailleurs.example/"
            )])),
            None
        );
    }
}
