//! Reading a request: its JSON body, bearer token, path segments and query.

use crate::error::{ApiError, Code};
use lambda_http::Request;
use serde_json::Value;

/// The largest JSON body any route accepts.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The body as a JSON object; an absent body reads as `{}`. JSON that is not an object
/// (`[…]`, `12`) is refused rather than read as one without fields.
pub fn json_body(req: &Request) -> Result<Value, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Code::BodyTooLarge.into());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|_| Code::InvalidJson)?;
    if !value.is_object() {
        return Err(ApiError::invalid(vec![c2s_domain::FieldError::new(
            "",
            "invalid_body",
            "Le corps de la requête doit être un objet JSON.",
        )]));
    }
    Ok(whole_numbers(value))
}

/// `1.0` is the integer 1 to JSON (RFC 8259 has one number type) and to JSON Schema; serde
/// reads it as a float, which every integer field would then refuse as missing.
fn whole_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let whole = n.as_f64().filter(|f| f.fract() == 0.0);
            match whole {
                Some(f) if (0.0..=u64::MAX as f64).contains(&f) && f < u64::MAX as f64 => {
                    Value::from(f as u64)
                }
                Some(f) if (i64::MIN as f64..0.0).contains(&f) => Value::from(f as i64),
                _ => Value::Number(n),
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect(),
        ),
        other => other,
    }
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

/// The most items a list answers at once; `next_cursor` leads to the rest.
pub const PAGE: i32 = 50;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(text: &str) -> Result<Value, ApiError> {
        let req = lambda_http::http::Request::builder()
            .body(lambda_http::Body::Text(text.to_owned()))
            .unwrap_or_else(|e| panic!("request: {e}"));
        json_body(&req)
    }

    #[test]
    fn whole_numbers_are_integers_whatever_their_spelling() {
        let v = body(r#"{"version": 4864.0, "items": [-2.0, 1.5, 1e3], "n": {"m": 0.0}}"#)
            .unwrap_or_default();
        assert_eq!(
            v,
            json!({"version": 4864, "items": [-2, 1.5, 1000], "n": {"m": 0}})
        );
        assert_eq!(v["version"].as_u64(), Some(4864));
        assert_eq!(
            body("[1]").map_err(|e| e.code),
            Err(Code::Invalid),
            "an array is no object"
        );
        // Past what an integer holds, a number stays what it was.
        assert!(body(r#"{"v": 1e300}"#).unwrap_or_default()["v"].is_f64());
    }
}
