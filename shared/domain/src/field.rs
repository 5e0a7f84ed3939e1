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
