//! Writing a response: JSON, text, a file or nothing, always `no-store` and `nosniff`.

use crate::error::ApiError;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

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

/// A file to download (an export): its bytes, type and name.
pub fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response<Body> {
    let mut r = response(StatusCode::OK, Body::Binary(bytes), content_type);
    if let Ok(v) = format!("attachment; filename=\"{filename}\"").parse() {
        r.headers_mut().insert("content-disposition", v);
    }
    r
}

fn response(status: StatusCode, body: Body, content_type: &str) -> Response<Body> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = content_type.parse() {
        h.insert("content-type", v);
    }
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
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
