//! Secrets read from Secrets Manager at cold start, never from the function's configuration:
//! the template gives `<NAME>_SECRET` (a secret's name or ARN, which a reader of the function's
//! configuration may see), and the function reads the value into `<NAME>` before anything is
//! built from its settings. Each function's role may read only the secrets it is given.

use crate::env::Env;
use aws_config::SdkConfig;

const SUFFIX: &str = "_SECRET";

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The secret's id only: its value never reaches an error or a log line.
    #[error("secret {0} could not be read: {1}")]
    Unreadable(String, String),
    #[error("secret {0} holds no text")]
    Empty(String),
}

/// `env` with the value of every `<NAME>_SECRET` read into `<NAME>`.
pub async fn resolve(env: Env, sdk: &SdkConfig) -> Result<Env, SecretsError> {
    let wanted: Vec<(String, String)> = env
        .ending_with(SUFFIX)
        .filter(|(_, id)| !id.trim().is_empty())
        .map(|(name, id)| (name.trim_end_matches(SUFFIX).to_owned(), id.to_owned()))
        .collect();
    if wanted.is_empty() {
        return Ok(env);
    }
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let mut env = env;
    for (name, id) in wanted {
        let out = client
            .get_secret_value()
            .secret_id(&id)
            .send()
            .await
            .map_err(|e| {
                let why = aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string();
                SecretsError::Unreadable(id.clone(), why)
            })?;
        let value = out
            .secret_string
            .filter(|v| !v.is_empty())
            .ok_or_else(|| SecretsError::Empty(id.clone()))?;
        env = env.with(&name, value);
    }
    Ok(env)
}
