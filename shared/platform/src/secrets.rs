//! Secrets read from Secrets Manager at cold start, never from the function's configuration:
//! the template gives `<NAME>_SECRET` (a secret's name or ARN, which a reader of the function's
//! configuration may see), and the function reads the value into `<NAME>` before anything is
//! built from its settings. Each function's role may read only the secrets it is given.
//!
//! Only functions built with the feature `secretsmanager` link the client; one built without
//! it refuses to start when the template gives it a secret, rather than run without it.

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
    #[error("secret {0} is given to a function built without the feature `secretsmanager`")]
    NotBuiltIn(String),
}

/// `(NAME, secret id)` for every non-empty `<NAME>_SECRET`.
fn wanted(env: &Env) -> Vec<(String, String)> {
    env.ending_with(SUFFIX)
        .filter(|(_, id)| !id.trim().is_empty())
        .map(|(name, id)| (name.trim_end_matches(SUFFIX).to_owned(), id.to_owned()))
        .collect()
}

/// `env` with the value of every `<NAME>_SECRET` read into `<NAME>`.
#[cfg(feature = "secretsmanager")]
pub async fn resolve(env: Env, sdk: &SdkConfig) -> Result<Env, SecretsError> {
    let wanted = wanted(&env);
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

/// `env` as it is, or an error naming the first secret it was given.
#[cfg(not(feature = "secretsmanager"))]
pub async fn resolve(env: Env, _sdk: &SdkConfig) -> Result<Env, SecretsError> {
    match wanted(&env).into_iter().next() {
        None => Ok(env),
        Some((_, id)) => Err(SecretsError::NotBuiltIn(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::from_map(
            vars.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[test]
    fn only_named_secrets_are_wanted_under_the_name_without_suffix() {
        let e = env(&[
            ("HASH_KEY_SECRET", "c2s/hash-key"),
            ("ORIGIN_VERIFY_SECRET", " "),
            ("TABLE", "t"),
        ]);
        assert_eq!(
            wanted(&e),
            vec![("HASH_KEY".to_owned(), "c2s/hash-key".to_owned())]
        );
    }

    #[cfg(not(feature = "secretsmanager"))]
    #[tokio::test]
    async fn without_the_client_a_given_secret_stops_the_start() {
        let sdk = SdkConfig::builder().build();
        let given = env(&[("HASH_KEY_SECRET", "c2s/hash-key")]);
        assert!(matches!(
            resolve(given, &sdk).await,
            Err(SecretsError::NotBuiltIn(id)) if id == "c2s/hash-key"
        ));
        assert!(resolve(env(&[("TABLE", "t")]), &sdk).await.is_ok());
    }
}
