//! Each function signs its AWS calls with an access key of its own, and the emulator knows that
//! key to carry only the function's role from `template.yaml`: the dev server registers, per
//! stack, the template, the names it created and each function's key with the wrapper around
//! moto (`infra/lib/moto_server.py`, `permissions.py`), which refuses every other call with
//! the service's AccessDenied, as AWS would. The dev server's own calls (creating resources,
//! the relay, the demo file) and the tests' set-up are signed with other keys and pass.
//!
//! `C2S_PERMISSIONS=off` leaves calls unchecked, for an emulator that cannot check them
//! (LocalStack without its own IAM enforcement).

use crate::template::Names;
use crate::DevError;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Whether this process checks permissions (on unless `C2S_PERMISSIONS=off`).
pub fn enforced_by_default() -> bool {
    std::env::var("C2S_PERMISSIONS").map_or(true, |v| v != "off")
}

/// A function's credentials on a stack: the same on every start, so a restart finds them.
#[derive(Clone, Debug)]
pub struct FunctionKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl FunctionKey {
    pub fn of(prefix: &str, logical_id: &str) -> FunctionKey {
        let digest = hex::encode_upper(Sha256::digest(format!("{prefix}/{logical_id}")));
        FunctionKey {
            access_key_id: format!("AKIA{}", &digest[..16]),
            secret_access_key: format!("local{}", &digest[16..56]),
        }
    }

    /// `sdk` with these credentials instead of its own.
    pub fn sdk(&self, sdk: &SdkConfig) -> SdkConfig {
        let credentials = Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            None,
            None,
            "c2s-local-role",
        );
        sdk.to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build()
    }
}

/// Tells the emulator each function's key and the template its role comes from, with the
/// local names of every resource the role's statements may name.
pub async fn register(
    sdk: &SdkConfig,
    prefix: &str,
    template_text: &str,
    names: &Names,
    parameters: &BTreeMap<String, String>,
    keys: &BTreeMap<String, FunctionKey>,
) -> Result<(), DevError> {
    let Some(endpoint) = sdk.endpoint_url() else {
        return Err(DevError::Other(
            "permissions: no emulator endpoint (AWS_ENDPOINT_URL) to check them on".into(),
        ));
    };
    let url = format!("{}/moto-api/c2s/policies", endpoint.trim_end_matches('/'));
    let body = serde_json::json!({
        "stack": prefix,
        "account": names.pseudo.get("AWS::AccountId"),
        "template": template_text,
        "context": {
            "parameters": parameters,
            "pseudo": names.pseudo,
            "refs": names.refs,
            "arns": names.arns,
        },
        "keys": keys.iter().map(|(f, k)| (f.clone(), k.access_key_id.clone())).collect::<BTreeMap<_, _>>(),
    });
    let answer = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|e| DevError::Other(format!("permissions: {url}: {e}")))?;
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(DevError::Other(format!(
            "the emulator at {endpoint} cannot check permissions ({url} answers 404): it is not \
             infra/lib/moto_server.py of this checkout (an older one still running? stop it and \
             run again), or it is another emulator (then set C2S_PERMISSIONS=off)"
        )));
    }
    if !status.is_success() {
        return Err(DevError::Other(format!(
            "permissions: the emulator refused the template's policies: {text}"
        )));
    }
    tracing::info!(functions = keys.len(), "permissions enforced");
    Ok(())
}

/// What the emulator refused this stack's functions since they were registered: one line per
/// call, `Function: action on resource (for what)`.
pub async fn refused(sdk: &SdkConfig, prefix: &str) -> Result<Vec<serde_json::Value>, DevError> {
    let endpoint = sdk
        .endpoint_url()
        .ok_or_else(|| DevError::Other("no emulator endpoint".into()))?;
    let url = format!(
        "{}/moto-api/c2s/refused.json?stack={prefix}",
        endpoint.trim_end_matches('/')
    );
    let answer: serde_json::Value = reqwest::get(&url)
        .await
        .map_err(|e| DevError::Other(format!("{url}: {e}")))?
        .json()
        .await
        .map_err(|e| DevError::Other(format!("{url}: {e}")))?;
    Ok(answer["refused"].as_array().cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::FunctionKey;

    #[test]
    fn each_function_of_each_stack_has_its_own_key_and_keeps_it() {
        let a = FunctionKey::of("c2s-local", "RenewalFunction");
        assert_eq!(
            a.access_key_id,
            FunctionKey::of("c2s-local", "RenewalFunction").access_key_id
        );
        assert_ne!(
            a.access_key_id,
            FunctionKey::of("c2s-local", "UploadFunction").access_key_id
        );
        assert_ne!(
            a.access_key_id,
            FunctionKey::of("t1234", "RenewalFunction").access_key_id
        );
        assert_eq!(a.access_key_id.len(), 20);
    }
}
