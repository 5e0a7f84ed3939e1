//! AWS clients. `AWS_ENDPOINT_URL` points them at moto, LocalStack or nothing (AWS itself),
//! with no branch in the code.
//!
//! A function builds only the clients its stores ask for (each store's `from_env` takes its
//! own): a client is made on first use, so a package links no client it never calls, even
//! when built with the workspace's features unified (`sam build` from the workspace root).
//! The features (`s3`, `sqs`, `secretsmanager`; DynamoDB for all) keep the other SDKs out of
//! a function's own build: each function's `Cargo.toml` names those it calls.

use crate::env::Env;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use aws_types::sdk_config::{SharedCredentialsProvider, SharedHttpClient};
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use std::sync::{Arc, OnceLock};

#[derive(Clone, Debug)]
pub struct Clients {
    /// For the clients only one function needs (email and SMS in `notify`): built there.
    pub sdk: SdkConfig,
    made: Arc<Made>,
}

/// Each client once, shared by the stores (making one loads the TLS roots again).
#[derive(Debug, Default)]
struct Made {
    dynamo: OnceLock<aws_sdk_dynamodb::Client>,
    #[cfg(feature = "s3")]
    s3: OnceLock<aws_sdk_s3::Client>,
    #[cfg(feature = "sqs")]
    sqs: OnceLock<aws_sdk_sqs::Client>,
    #[cfg(feature = "s3")]
    force_path_style: bool,
}

/// A service's own settings from the environment alone, as the standard chain reads them
/// without its profile files: `AWS_ENDPOINT_URL_DYNAMODB` and the like, which the SDK asks
/// for before `AWS_ENDPOINT_URL` (LocalStack runs send DynamoDB to moto).
#[derive(Debug)]
struct FromEnvironment;

impl LoadServiceConfig for FromEnvironment {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        std::env::var(key.env()).ok().filter(|v| !v.is_empty())
    }
}

impl Clients {
    /// `S3_FORCE_PATH_STYLE=true` where bucket names cannot be host names (emulators).
    pub fn new(config: &SdkConfig, env: &Env) -> Clients {
        #[cfg(not(feature = "s3"))]
        let _ = env;
        Clients {
            sdk: config.clone(),
            made: Arc::new(Made {
                #[cfg(feature = "s3")]
                force_path_style: env.flag("S3_FORCE_PATH_STYLE"),
                ..Made::default()
            }),
        }
    }

    pub fn dynamo(&self) -> aws_sdk_dynamodb::Client {
        let made = || aws_sdk_dynamodb::Client::new(&self.sdk);
        self.made.dynamo.get_or_init(made).clone()
    }

    #[cfg(feature = "s3")]
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let made = || {
            aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&self.sdk)
                    .force_path_style(self.made.force_path_style)
                    .build(),
            )
        };
        self.made.s3.get_or_init(made).clone()
    }

    #[cfg(feature = "sqs")]
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        let made = || aws_sdk_sqs::Client::new(&self.sdk);
        self.made.sqs.get_or_init(made).clone()
    }
}

/// The SDK's HTTPS client: rustls on ring, the crypto provider reqwest uses too (the SDK's
/// default client would link aws-lc beside it).
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// aws-config's standard chain (environment, profiles, containers, IMDS…): for the dev
/// server and the tools, which may run anywhere.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .load()
        .await
}

/// What a function runs with: the region and credentials Lambda puts in its environment
/// (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and the
/// endpoints an emulator sets (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`). The standard
/// chain's other sources (profiles, SSO, containers, IMDS), and the STS client some of them
/// call, would be linked into every package and never used.
pub async fn lambda_config() -> SdkConfig {
    use aws_config::environment::{
        EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
    };
    use aws_config::meta::region::ProvideRegion;
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(EnvironmentVariableRegionProvider::new().region().await)
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(http_client())
        .service_config(FromEnvironment);
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        config = config.endpoint_url(url);
    }
    config.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configuration a function's `main.rs` loads reaches the emulator (`infra/env.sh`
    /// gives the same variables as Lambda would): region, credentials to sign with, endpoint.
    #[tokio::test]
    async fn a_function_reaches_aws_with_what_lambda_puts_in_its_environment() {
        let config = lambda_config().await;
        assert!(config.region().is_some(), "AWS_REGION is read");
        let tables = aws_sdk_dynamodb::Client::new(&config)
            .list_tables()
            .limit(1)
            .send()
            .await;
        assert!(tables.is_ok(), "{:?}", tables.err());
    }
}
