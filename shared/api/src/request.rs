//! Reading a request: its JSON body, bearer token, path segments and query.

use crate::error::{ApiError, Code};
use lambda_http::Request;
use serde_json::Value;

/// The largest JSON body any route accepts.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The body as a JSON value; an absent body reads as `{}`.
pub fn json_body(req: &Request) -> Result<Value, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Code::BodyTooLarge.into());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(|_| Code::InvalidJson.into())
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
