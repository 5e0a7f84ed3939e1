//! HTTP conventions of the API: JSON in and out, `{"code","message"}` errors with a French
//! message, `Cache-Control: no-store` on everything (it is all personal data), a tiny router.

use lambda_http::{http::StatusCode, Body, Request, Response};
use serde::Serialize;
use serde_json::Value;

/// The largest JSON body any route accepts.
const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: &'static str,
    pub extra: Vec<(&'static str, Value)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
            extra: Vec::new(),
        }
    }

    pub fn with(mut self, key: &'static str, value: impl Serialize) -> Self {
        self.extra
            .push((key, serde_json::to_value(value).unwrap_or(Value::Null)));
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Votre session a expiré ou n'est pas valide. Reconnectez-vous.",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Vous n'avez pas accès à cette action.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Cette ressource n'existe pas.",
        )
    }

    pub fn invalid(fields: Vec<c2s_domain::FieldError>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Certaines informations sont à corriger.",
        )
        .with("fields", fields)
    }

    /// An unexpected failure: logged with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Une erreur inattendue est survenue. Réessayez dans quelques instants.",
        )
    }

    pub fn into_response(self) -> Response<Body> {
        let mut body = serde_json::Map::new();
        body.insert("code".into(), Value::from(self.code));
        body.insert("message".into(), Value::from(self.message));
        for (k, v) in self.extra {
            body.insert(k.into(), v);
        }
        json(self.status, &Value::Object(body))
    }
}

pub fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    response(status, Body::Text(body), "application/json")
}

pub fn no_content() -> Response<Body> {
    response(StatusCode::NO_CONTENT, Body::Empty, "application/json")
}

pub fn text(status: StatusCode, body: String, content_type: &str) -> Response<Body> {
    response(status, Body::Text(body), content_type)
}

fn response(status: StatusCode, body: Body, content_type: &str) -> Response<Body> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = content_type.parse() {
        h.insert("content-type", v);
    }
    h.insert(
        "cache-control",
        lambda_http::http::HeaderValue::from_static("no-store"),
    );
    h.insert(
        "x-content-type-options",
        lambda_http::http::HeaderValue::from_static("nosniff"),
    );
    r
}

/// The body as a JSON value; an absent body reads as `{}`.
pub fn json_body(req: &Request) -> Result<Value, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "La requête est trop volumineuse.",
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "Le corps de la requête n'est pas du JSON valide.",
        )
    })
}

pub fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The path split into segments, for `match (method, segments.as_slice())`.
pub fn segments(req: &Request) -> Vec<String> {
    req.uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The query string's parameters (the last value of each), decoded. Read from the URI so
/// that API Gateway events and the dev server's requests agree.
pub fn query(req: &Request) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Renders a handler's result, and logs the outcome: route template, status, request id.
pub fn finish(route: &str, result: Result<Response<Body>, ApiError>) -> Response<Body> {
    let response = result.unwrap_or_else(ApiError::into_response);
    tracing::info!(
        route,
        status = response.status().as_u16(),
        "request handled"
    );
    response
}

pub fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Cette méthode n'est pas permise sur cette adresse.",
    )
}
