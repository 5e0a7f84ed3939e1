//! Typed settings come from a flat map of variables: the process environment on Lambda,
//! the variables of `template.yaml` resolved by the dev server locally. One code path.

use std::collections::HashMap;
use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing configuration variable {0}")]
    Missing(String),
    #[error("invalid configuration variable {0}")]
    Invalid(String),
}

#[derive(Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Env {
        Env(std::env::vars().collect())
    }

    pub fn from_map(map: HashMap<String, String>) -> Env {
        Env(map)
    }

    pub fn require(&self, name: &str) -> Result<String, ConfigError> {
        self.optional(name)
            .ok_or_else(|| ConfigError::Missing(name.to_owned()))
    }

    /// A variable that may be absent or empty (an unset template parameter).
    pub fn optional(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }

    /// The same settings with `name` set to `value`.
    pub fn with(mut self, name: &str, value: String) -> Env {
        self.0.insert(name.to_owned(), value);
        self
    }

    /// The variables whose names end with `suffix`, with their values.
    pub fn ending_with<'a>(&'a self, suffix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter(move |(k, _)| k.ends_with(suffix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Every variable, with its value (to hand a whole configuration to a process).
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.optional(name).as_deref(), Some("true" | "1" | "yes"))
    }
}

/// Variable names only: values may be secrets.
impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// A secret from configuration: usable, never printed.
#[derive(Clone)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: String) -> Self {
        Self(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}
