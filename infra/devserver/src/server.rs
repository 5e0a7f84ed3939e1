//! One port for everything, as API Gateway and CloudFront would give: `/api/*` to the
//! function that owns the route in `template.yaml`, `/dev/*` for development, the rest from
//! `web/`.

use crate::bootstrap::StackInfo;
use crate::demo::DemoAccount;
use crate::functions::Function;
use crate::idp::{self, AuthError, DevIdp, SignInForm, TokenRequest};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub struct Route {
    pub method: Method,
    pub segments: Vec<String>,
    pub template: String,
    pub function: Arc<Function>,
}

impl Route {
    fn matches(&self, method: &Method, segs: &[&str]) -> bool {
        self.method == method
            && self.segments.len() == segs.len()
            && self
                .segments
                .iter()
                .zip(segs)
                .all(|(t, s)| is_parameter(t) || t == s)
    }

    /// `{id}` and the like, with the segment that stands for each: API Gateway's
    /// `pathParameters`.
    fn parameters(&self, segs: &[&str]) -> std::collections::BTreeMap<String, String> {
        self.segments
            .iter()
            .zip(segs)
            .filter(|(t, _)| is_parameter(t))
            .map(|(t, s)| (t[1..t.len() - 1].to_owned(), (*s).to_owned()))
            .collect()
    }
}

fn is_parameter(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

/// A scheduled function, run on demand by `POST /dev/run/<binary>`.
pub struct Job {
    pub function: Arc<Function>,
    /// The schedule's ARN, in the event as EventBridge Scheduler sends it.
    pub schedule_arn: String,
}

pub struct DevState {
    pub routes: Vec<Route>,
    pub region: String,
    /// The stack's account, in the events' ARNs.
    pub account: String,
    pub stack: StackInfo,
    pub idp: DevIdp,
    /// Scheduled functions, by binary name: `POST /dev/run/<name>` runs one now.
    pub jobs: std::collections::HashMap<String, Job>,
    pub demo: Vec<DemoAccount>,
    /// What the emulator's SES and SNS sent from this stack.
    pub sent: crate::sent::SentMessages,
    /// The emulator's address, behind the `/s3` relay (`AWS_ENDPOINT_URL`).
    pub storage: Option<String>,
    pub relay: reqwest::Client,
    pub people: People,
}

/// What `POST /dev/beneficiaries` needs to import a new person through the real path.
pub struct People {
    pub objects: c2s_platform::objects::Objects,
    pub bucket: String,
    pub store: c2s_platform::beneficiaries::BeneficiaryStore,
    pub hasher: c2s_platform::hashing::Hasher,
}

impl People {
    /// Whether the person of `nir` has a profile, waiting for their import up to `within`.
    pub async fn imported(&self, nir: &str, within: std::time::Duration) -> bool {
        let Ok(nir) = c2s_domain::nir::Nir::parse(nir) else {
            return false;
        };
        let hash = self.hasher.nir(&nir);
        let until = std::time::Instant::now() + within;
        loop {
            if let Ok(Some(_)) = self.store.profile(&hash).await {
                return true;
            }
            if std::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// The pages may load and call nothing but their own origin and the agents' identity
/// provider (its discovery document and token endpoint), as CloudFront's response headers
/// policy says in production (Vuetify writes its theme in an inline style).
pub fn csp(idp_origin: &str) -> String {
    format!("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' {idp_origin}; frame-src 'self' blob:; object-src 'self' blob:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
}

/// The dev server's own routes, as `router` serves them: `openapi.yaml` documents each
/// (`functions::tests::routes_agree_with_the_template_and_openapi`).
pub const DEV_ROUTES: &[(&str, &str)] = &[
    ("GET", "/config.json"),
    ("GET", "/dev/stack"),
    ("POST", "/dev/token"),
    ("GET", "/dev/idp/.well-known/openid-configuration"),
    ("GET", "/dev/idp/authorize"),
    ("POST", "/dev/idp/authorize"),
    ("POST", "/dev/idp/token"),
    ("GET", "/dev/idp/logout"),
    ("GET", "/dev/idp/jwks.json"),
    ("POST", "/dev/run/{job}"),
    ("GET", "/dev/demo"),
    ("GET", "/dev/outbox"),
    ("POST", "/dev/beneficiaries"),
];

pub fn router(state: Arc<DevState>, web_root: PathBuf) -> Router {
    let index = web_root.join("index.html");
    let policy = http::HeaderValue::from_str(&csp(&state.idp.origin))
        .unwrap_or_else(|_| http::HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .route("/api/{*rest}", any(api))
        .route("/config.json", get(runtime_config))
        .route("/dev/stack", get(stack))
        .route("/dev/token", post(token))
        .route(
            "/dev/idp/.well-known/openid-configuration",
            get(idp_discovery),
        )
        .route("/dev/idp/authorize", get(idp_authorize).post(idp_sign_in))
        .route("/dev/idp/token", post(idp_token))
        .route("/dev/idp/logout", get(idp_logout))
        .route("/dev/idp/jwks.json", get(jwks))
        .route("/dev/run/{job}", post(run_job))
        .route("/dev/demo", get(demo))
        .route("/dev/outbox", get(outbox))
        .route("/dev/beneficiaries", post(new_beneficiary))
        .route("/s3/{*rest}", any(storage_relay))
        .fallback_service(ServeDir::new(web_root).fallback(ServeFile::new(index)))
        .layer(SetResponseHeaderLayer::if_not_present(
            http::header::CONTENT_SECURITY_POLICY,
            policy,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            http::header::X_CONTENT_TYPE_OPTIONS,
            http::HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// What API Gateway's caller gets when the function cannot answer (its process stopped, it
/// overran its timeout): the cause is in the log, under the function's name.
fn unavailable(function: &str, outcome: &crate::functions::InvokeError) -> Response {
    tracing::error!(%function, %outcome, "the function did not answer");
    let code = c2s_api::Code::ServiceUnavailable;
    error(code.status(), code.as_str(), code.message())
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [("cache-control", "no-store")],
        Json(json!({"code": code, "message": message})),
    )
        .into_response()
}

async fn api(
    State(state): State<Arc<DevState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> Response {
    let started = Instant::now();
    let path = req.uri().path().to_owned();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some(route) = route_for(&state.routes, req.method(), &segs) else {
        return not_routed(&state.routes, &segs);
    };
    let (mut parts, body) = req.into_parts();
    // As API Gateway does: the address the request came from, last in X-Forwarded-For.
    let forwarded = match parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
    {
        Some(chain) => format!("{chain}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = forwarded.parse() {
        parts.headers.insert("x-forwarded-for", v);
    }
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "La requête est trop volumineuse.",
        );
    };
    let route_key = format!("{} {}", route.method, route.template);
    let request_id = uuid::Uuid::new_v4().to_string();
    let event = crate::events::http_request(&crate::events::HttpCall {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body: &bytes,
        route_key: &route_key,
        path_parameters: route.parameters(&segs),
        source_ip: peer.ip(),
        request_id: &request_id,
        account: &state.account,
    });
    let answer = match route.function.invoke(event).await {
        Ok(answer) => answer,
        Err(e) => return unavailable(&route.function.name, &e),
    };
    let response = match crate::events::http_response(&answer) {
        Ok(r) => r,
        Err(e) => {
            let e = crate::functions::InvokeError::Unreachable(e.to_string());
            return unavailable(&route.function.name, &e);
        }
    };
    let (parts, body) = response.into_parts();
    tracing::info!(route = %route_key, status = parts.status.as_u16(), ms = started.elapsed().as_millis() as u64, "api");
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// No route for this method: 405 with the methods the address has (RFC 9110 §15.5.6), as the
/// functions answer a method their table lacks; 404 for an address no route has.
/// The route `segs` takes: as API Gateway, the most specific of those that match (a literal
/// segment wins over a parameter, from the left), whichever function serves it and whatever
/// the template's order.
pub(crate) fn route_for<'a>(
    routes: &'a [Route],
    method: &Method,
    segs: &[&str],
) -> Option<&'a Route> {
    routes
        .iter()
        .filter(|r| r.matches(method, segs))
        .max_by_key(|r| {
            r.segments
                .iter()
                .map(|t| !is_parameter(t))
                .collect::<Vec<_>>()
        })
}

fn not_routed(routes: &[Route], segs: &[&str]) -> Response {
    let matching: Vec<&Route> = routes
        .iter()
        .filter(|r| r.matches(&r.method, segs))
        .collect();
    // The address is the resource its most literal routes name: `/renewals/bulk` is the bulk
    // action (POST), not also a file whose id would be "bulk" (GET `/renewals/{id}`).
    let literal = |r: &Route| r.segments.iter().filter(|t| !is_parameter(t)).count();
    let most = matching.iter().map(|r| literal(r)).max().unwrap_or(0);
    let mut allowed: Vec<&str> = matching
        .iter()
        .filter(|r| literal(r) == most)
        .map(|r| r.method.as_str())
        .collect();
    if allowed.is_empty() {
        return error(
            StatusCode::NOT_FOUND,
            "route_not_found",
            "Cette adresse n'existe pas.",
        );
    }
    allowed.sort_unstable();
    allowed.dedup();
    let code = c2s_api::Code::MethodNotAllowed;
    let mut response = error(code.status(), code.as_str(), code.message());
    if let Ok(v) = http::HeaderValue::from_str(&allowed.join(", ")) {
        response.headers_mut().insert(http::header::ALLOW, v);
    }
    response
}

/// Presigned uploads and downloads reach the emulator through the pages' own origin, as
/// they would reach S3 in production. The signature covers the emulator's host, which is
/// the one the relay sends to; the headers the signature binds are passed on as they came.
async fn storage_relay(
    State(state): State<Arc<DevState>>,
    req: axum::extract::Request,
) -> Response {
    let Some(base) = &state.storage else {
        return error(
            StatusCode::NOT_FOUND,
            "route_not_found",
            "Cette adresse n'existe pas.",
        );
    };
    let rest = req.uri().path().trim_start_matches("/s3");
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{base}{rest}{query}");
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 12 * 1024 * 1024).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "Le fichier est trop volumineux.",
        );
    };
    let mut out = state.relay.request(parts.method, url).body(bytes);
    for (name, value) in &parts.headers {
        let n = name.as_str();
        // As the distribution's PresignedStorageRequestPolicy passes them (If-None-Match:
        // the upload's single use).
        if n == "content-type"
            || n == "content-md5"
            || n == "if-none-match"
            || n.starts_with("x-amz-")
        {
            out = out.header(name, value);
        }
    }
    let Ok(answer) = out.send().await else {
        return error(
            StatusCode::BAD_GATEWAY,
            "storage_unavailable",
            "Le stockage des documents ne répond pas.",
        );
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for name in [
        "content-type",
        "content-disposition",
        "etag",
        "content-length",
    ] {
        if let Some(v) = answer.headers().get(name) {
            response = response.header(name, v.as_bytes());
        }
    }
    let body = answer.bytes().await.unwrap_or_default();
    response
        .body(axum::body::Body::from(body))
        .unwrap_or_else(|_| {
            error(
                StatusCode::BAD_GATEWAY,
                "storage_unavailable",
                "Le stockage des documents ne répond pas.",
            )
        })
}

#[derive(serde::Deserialize)]
struct NewBeneficiary {
    #[serde(default = "default_caisse")]
    caisse: String,
    #[serde(default = "default_months")]
    months: u32,
    #[serde(default)]
    household: Vec<Value>,
}

fn default_caisse() -> String {
    "rouen-elbeuf-dieppe".into()
}

fn default_months() -> u32 {
    2
}

/// A new invented beneficiary, imported as the national file would send it (a JSON Lines
/// file, its S3 event, the queue, sync-in); answers once the import has landed, with the
/// letter's answers to sign in with. Lets every browser test start from someone new.
async fn new_beneficiary(State(state): State<Arc<DevState>>, body: axum::body::Bytes) -> Response {
    let req = if body.is_empty() {
        serde_json::from_str::<NewBeneficiary>("{}")
    } else {
        serde_json::from_slice::<NewBeneficiary>(&body)
    };
    let Ok(req) = req else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Attendu : {\"caisse\", \"months\", \"household\"}, tous facultatifs.",
        );
    };
    let today = c2s_platform::clock::today();
    let (line, account) = crate::demo::fresh(
        today,
        &req.caisse,
        req.months.min(24),
        Value::Array(req.household),
    );
    // A line the import would refuse never lands: say why now rather than wait for it.
    if let Err(r) = c2s_domain::beneficiary::parse_line(&line, today) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            [("cache-control", "no-store")],
            Json(json!({
                "code": "invalid",
                "message": "Certaines informations sont à corriger.",
                "fields": [{"field": r.field, "code": r.reason, "message": r.message}],
            })),
        )
            .into_response();
    }
    let people = &state.people;
    let key = format!("inbound/beneficiaries/dev-{}.jsonl", uuid::Uuid::new_v4());
    if people
        .objects
        .put(
            &people.bucket,
            &key,
            line.into_bytes(),
            "application/x-ndjson",
        )
        .await
        .is_err()
    {
        return error(
            StatusCode::BAD_GATEWAY,
            "storage_unavailable",
            "Le dépôt du fichier a échoué.",
        );
    }
    if people
        .imported(&account.nir, std::time::Duration::from_secs(30))
        .await
    {
        return (
            StatusCode::CREATED,
            [("cache-control", "no-store")],
            Json(json!({"account": account})),
        )
            .into_response();
    }
    error(
        StatusCode::GATEWAY_TIMEOUT,
        "import_pending",
        "L'import n'a pas abouti en 30 secondes.",
    )
}

async fn stack(State(state): State<Arc<DevState>>) -> Response {
    Json(&state.stack).into_response()
}

/// The pages' runtime configuration, as CloudFront answers it in production
/// (`SpaFallbackFunction` in `template.yaml`): the agents' identity provider.
async fn runtime_config(State(state): State<Arc<DevState>>, headers: HeaderMap) -> Response {
    // The callback on the pages' own origin, which is Vite's when it relays this.
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(http::header::HOST))
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"))
        .filter(|o| state.idp.client_origins().contains(&o.as_str()))
        .unwrap_or_else(|| state.idp.origin.clone());
    (
        [("cache-control", "no-cache")],
        Json(json!({
            "agent_oidc": {
                "authority": state.idp.issuer,
                "client_id": idp::CLIENT_ID,
                "scope": idp::SCOPES,
                "redirect_uri": format!("{host}{}", idp::CALLBACK_PATH),
                "post_logout_redirect_uri": format!("{host}{}", idp::SIGNED_OUT_PATH),
            }
        })),
    )
        .into_response()
}

/// Lets the back-office served by Vite (another origin) read the provider's answers.
fn cors(state: &DevState, headers: &HeaderMap, mut response: Response) -> Response {
    let origin = headers
        .get(http::header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    if let Some(o) = origin.filter(|o| state.idp.client_origins().contains(o)) {
        if let Ok(v) = http::HeaderValue::from_str(o) {
            let h = response.headers_mut();
            h.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            h.insert(http::header::VARY, http::HeaderValue::from_static("origin"));
        }
    }
    response
}

async fn jwks(State(state): State<Arc<DevState>>, headers: HeaderMap) -> Response {
    cors(
        &state,
        &headers,
        Json(state.idp.jwks().clone()).into_response(),
    )
}

async fn idp_discovery(State(state): State<Arc<DevState>>, headers: HeaderMap) -> Response {
    cors(
        &state,
        &headers,
        Json(state.idp.discovery()).into_response(),
    )
}

/// The provider's own pages: no script, and their form may lead back to any registered
/// origin of the back-office (Vite's too: form-action also covers the redirect after it).
fn idp_html(state: &DevState, status: StatusCode, page: String) -> Response {
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {}; base-uri 'none'; frame-ancestors 'none'",
        state.idp.client_origins().join(" ")
    );
    (
        status,
        [
            ("cache-control", "no-store".to_owned()),
            ("content-security-policy", policy),
        ],
        Html(page),
    )
        .into_response()
}

/// `GET /dev/idp/authorize`: the sign-in page, or back to the client with an error.
async fn idp_authorize(State(state): State<Arc<DevState>>, RawQuery(q): RawQuery) -> Response {
    let p = idp::params(q.unwrap_or_default().as_bytes());
    match state.idp.check_authorize(&p) {
        Ok(req) => idp_html(
            &state,
            StatusCode::OK,
            idp::sign_in_page(&req, &SignInForm::default(), &[]),
        ),
        Err(AuthError::Page(m)) => idp_html(&state, StatusCode::BAD_REQUEST, idp::refusal_page(m)),
        Err(AuthError::Redirect(to)) => Redirect::to(&to).into_response(),
    }
}

/// The sign-in page's form: the request travels in its hidden fields and is checked again.
async fn idp_sign_in(State(state): State<Arc<DevState>>, body: axum::body::Bytes) -> Response {
    let p = idp::params(&body);
    let req = match state.idp.check_authorize(&p) {
        Ok(req) => req,
        Err(AuthError::Page(m)) => {
            return idp_html(&state, StatusCode::BAD_REQUEST, idp::refusal_page(m))
        }
        Err(AuthError::Redirect(to)) => return Redirect::to(&to).into_response(),
    };
    if p.iter().any(|(k, v)| k == "action" && v == "cancel") {
        return Redirect::to(&state.idp.denied(&req)).into_response();
    }
    let form = SignInForm::from_params(&p);
    match form.validate() {
        Ok(agent) => Redirect::to(&state.idp.grant(&req, agent)).into_response(),
        Err(errors) => idp_html(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            idp::sign_in_page(&req, &form, &errors),
        ),
    }
}

/// `POST /dev/idp/token`: the code for the tokens (RFC 6749 §4.1.3, with PKCE).
async fn idp_token(
    State(state): State<Arc<DevState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let answer = match state.idp.exchange(&idp::params(&body)) {
        Ok(tokens) => (
            StatusCode::OK,
            [("cache-control", "no-store")],
            Json(tokens),
        )
            .into_response(),
        Err(e) => (
            if e.error == "invalid_client" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            },
            [("cache-control", "no-store")],
            Json(json!({"error": e.error, "error_description": e.description})),
        )
            .into_response(),
    };
    cors(&state, &headers, answer)
}

/// `GET /dev/idp/logout`: the provider keeps no session; back to the back-office.
async fn idp_logout(State(state): State<Arc<DevState>>, RawQuery(q): RawQuery) -> Response {
    let p = idp::params(q.unwrap_or_default().as_bytes());
    match state.idp.after_logout(&p) {
        Some(to) => Redirect::to(&to).into_response(),
        None => idp_html(
            &state,
            StatusCode::OK,
            idp::refusal_page("Vous êtes déconnecté du fournisseur d'identité de développement."),
        ),
    }
}

async fn token(State(state): State<Arc<DevState>>, body: axum::body::Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<TokenRequest>(&body) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Attendu : {\"sub\",\"name\",\"caisse\",\"roles\":[…]}.",
        );
    };
    if req.sub.trim().is_empty() || req.caisse.trim().is_empty() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "sub et caisse sont obligatoires.",
        );
    }
    match state.idp.token(&req) {
        Ok(t) => (
            StatusCode::OK,
            [("cache-control", "no-store")],
            Json(json!({"token": t})),
        )
            .into_response(),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Le jeton n'a pas pu être signé.",
        ),
    }
}

/// Runs a job with its schedule's event, or, given a non-empty JSON object, with that object
/// as the event, as `aws lambda invoke --payload` would (a backfill, `README`).
async fn run_job(
    State(state): State<Arc<DevState>>,
    Path(job): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(handler) = state.jobs.get(&job) else {
        let mut known: Vec<&String> = state.jobs.keys().collect();
        known.sort();
        return (StatusCode::NOT_FOUND, Json(json!({"code": "unknown_job", "message": "Ce traitement planifié n'existe pas.", "jobs": known}))).into_response();
    };
    let event = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(payload)) if !payload.is_empty() => {
            serde_json::to_vec(&payload).unwrap_or_default()
        }
        _ => crate::events::scheduled_event(&handler.schedule_arn, &state.region, &state.account),
    };
    match handler.function.invoke(event).await {
        Ok(answer) => (
            StatusCode::OK,
            [("cache-control", "no-store")],
            Json(json!({
                "job": job,
                "report": serde_json::from_slice::<Value>(&answer).unwrap_or(Value::Null),
            })),
        )
            .into_response(),
        Err(crate::functions::InvokeError::Failed(error_type)) => {
            tracing::error!(function = %handler.function.name, %error_type, "job failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "job_failed",
                "Le traitement a échoué ; voir les journaux du serveur.",
            )
        }
        Err(e) => unavailable(&handler.function.name, &e),
    }
}

async fn demo(State(state): State<Arc<DevState>>) -> Response {
    (
        StatusCode::OK,
        [("cache-control", "no-store")],
        Json(json!({"accounts": state.demo})),
    )
        .into_response()
}

/// Serves `GET /dev/outbox`: what the emulator says was sent from this stack (never what the
/// queue held).
async fn outbox(State(state): State<Arc<DevState>>) -> Response {
    match state.sent.messages().await {
        Ok(messages) => (
            StatusCode::OK,
            [("cache-control", "no-store")],
            Json(json!({"messages": messages})),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "the emulator did not say what was sent");
            error(
                StatusCode::BAD_GATEWAY,
                "emulator",
                "L'émulateur ne répond pas.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{route_for, Route};
    use crate::functions::Function;
    use axum::http::Method;
    use std::sync::Arc;

    fn route(function: &str, template: &str) -> Route {
        let invoke: crate::functions::Invoke = Arc::new(|_| Box::pin(async { Ok(Vec::new()) }));
        Route {
            method: Method::GET,
            segments: template
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            template: template.to_owned(),
            function: Arc::new(Function::new(function, invoke)),
        }
    }

    /// As API Gateway: the most specific route wins, whatever the template's order; here the
    /// export, served by another function than the file it would otherwise be taken for.
    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let routes = [
            route("review", "/api/agent/renewals/{id}"),
            route("review-records", "/api/agent/renewals/export"),
        ];
        let served = |path: &str| {
            let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            route_for(&routes, &Method::GET, &segs).map(|r| r.function.name.clone())
        };
        assert_eq!(
            served("/api/agent/renewals/export").as_deref(),
            Some("review-records")
        );
        assert_eq!(served("/api/agent/renewals/r-1").as_deref(), Some("review"));
        assert_eq!(served("/api/agent/renewals"), None);
    }
}
