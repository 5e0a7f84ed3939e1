//! A validation failure on one field: stable code for programs, French message for people.
//! Messages never repeat the value that was refused.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
            message,
        }
    }

    pub fn required(field: impl Into<String>) -> Self {
        Self::new(field, "required", "Ce champ est obligatoire.")
    }

    pub fn wrong_type(field: impl Into<String>) -> Self {
        Self::new(field, "wrong_type", "Ce champ n'a pas le bon type.")
    }
}

/// A field that may be left out: absent or `null` is `None`, a string is its text, any
/// other value is refused (`wrong_type`), never taken for absent.
pub fn optional_str<'a>(
    body: &'a serde_json::Value,
    key: &str,
) -> Result<Option<&'a str>, FieldError> {
    match body.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(FieldError::wrong_type(key)),
    }
}

/// The same for a boolean.
pub fn optional_bool(body: &serde_json::Value, key: &str) -> Result<Option<bool>, FieldError> {
    match body.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(FieldError::wrong_type(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_of_another_type_is_refused_not_taken_for_absent() {
        let body = json!({"s": "texte", "b": true, "n": null, "x": 3});
        assert_eq!(optional_str(&body, "s"), Ok(Some("texte")));
        assert_eq!(optional_str(&body, "n"), Ok(None));
        assert_eq!(optional_str(&body, "absent"), Ok(None));
        assert_eq!(optional_str(&body, "x"), Err(FieldError::wrong_type("x")));
        assert_eq!(optional_bool(&body, "b"), Ok(Some(true)));
        assert_eq!(optional_bool(&body, "s"), Err(FieldError::wrong_type("s")));
    }
}
