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
use aws_types::sdk_config::{SharedCredentialsProvider, SharedHttpClient};
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

mod https;

/// How many times in all the SDK sends a call that failed for a reason that may pass
/// (`retry_config`) before the caller gets the error, and so a 503.
pub const MAX_ATTEMPTS: u32 = 3;

/// Retries before any answer, by the SDK itself (standard mode, on every client): throttling,
/// 5xx, timeouts and broken connections are tried again up to `MAX_ATTEMPTS` times in all,
/// after an exponential backoff with jitter from 50 ms, at most 1 s per wait (the SDK's own
/// 1 s to 20 s would hold an HTTP answer for seconds). A shared token bucket stops retries
/// when most calls fail, so an outage is not multiplied.
pub fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_secs(1))
}

/// The DynamoDB client: `retry_config`, and a single-item write that met a transaction in
/// progress on its item (`TransactionConflictException`, which the SDK does not retry) is
/// retried like throttling.
pub fn dynamo_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(config)
            .retry_classifier(TransactionConflict)
            .build(),
    )
}

#[derive(Debug)]
struct TransactionConflict;

impl aws_sdk_dynamodb::config::retry::ClassifyRetry for TransactionConflict {
    fn classify_retry(
        &self,
        ctx: &aws_sdk_dynamodb::config::interceptors::InterceptorContext,
    ) -> aws_sdk_dynamodb::config::retry::RetryAction {
        use aws_sdk_dynamodb::config::retry::RetryAction;
        use aws_sdk_dynamodb::error::ProvideErrorMetadata;
        use aws_sdk_dynamodb::operation::{
            delete_item::DeleteItemError, put_item::PutItemError, update_item::UpdateItemError,
        };
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let Some(error) = error.as_operation_error() else {
            return RetryAction::NoActionIndicated;
        };
        let code = None
            .or_else(|| error.downcast_ref::<PutItemError>().and_then(|e| e.code()))
            .or_else(|| {
                error
                    .downcast_ref::<UpdateItemError>()
                    .and_then(|e| e.code())
            })
            .or_else(|| {
                error
                    .downcast_ref::<DeleteItemError>()
                    .and_then(|e| e.code())
            });
        if code == Some("TransactionConflictException") {
            RetryAction::throttling_error()
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "TransactionConflict"
    }
}

#[derive(Clone, Debug)]
pub struct Clients {
    /// For the clients only one function needs (email and SMS in `notify`): built there.
    pub sdk: SdkConfig,
    made: Arc<Made>,
}

/// Each client once, shared by the stores.
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
        let made = || dynamo_client(&self.sdk);
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

/// The SDK's HTTPS client: HTTP/1.1 on rustls with ring, the crypto provider reqwest uses
/// too (the SDK's default client would link aws-lc beside it, and HTTP/2).
pub fn http_client() -> SharedHttpClient {
    https::client()
}

pub use https::{get, GetError};

/// aws-config's standard chain (environment, profiles, containers, IMDS…): for the dev
/// server and the tools, which may run anywhere.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(retry_config())
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
        .retry_config(retry_config())
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
    use crate::store::StoreError;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An endpoint that gives these answers (status, `__type`), one per connection, counting
    /// the requests it served.
    async fn endpoint(
        answers: Vec<(u16, &'static str)>,
    ) -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
            panic!("a local port");
        };
        let url = format!(
            "http://{}",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        );
        let served = Arc::new(AtomicUsize::new(0));
        let count = served.clone();
        let server = tokio::spawn(async move {
            for (status, error) in answers {
                let Ok((mut socket, _)) = listener.accept().await else {
                    break;
                };
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                // The headers, then as many bytes as they announce.
                while let Ok(n) = socket.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&request).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let body = if error.is_empty() {
                    "{}".to_owned()
                } else {
                    format!(
                        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{error}","message":"busy"}}"#
                    )
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        (url, served, server)
    }

    async fn put_through(answers: Vec<(u16, &'static str)>) -> (Result<(), StoreError>, usize) {
        let (url, served, server) = endpoint(answers).await;
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_types::region::Region::new("eu-west-3"))
            .credentials_provider(SharedCredentialsProvider::new(
                aws_sdk_dynamodb::config::Credentials::new("AKID", "secret", None, None, "test"),
            ))
            .http_client(http_client())
            .retry_config(retry_config())
            .endpoint_url(url)
            .build();
        let result = dynamo_client(&config)
            .put_item()
            .table_name("t")
            .item("pk", aws_sdk_dynamodb::types::AttributeValue::S("k".into()))
            .send()
            .await
            .map(|_| ())
            .map_err(crate::store::sdk_error);
        server.abort();
        (result, served.load(Ordering::SeqCst))
    }

    /// Transient errors are tried again by the SDK before the caller sees any: a write that
    /// met a transaction on its item, throttling; at most `MAX_ATTEMPTS` sends in all, then
    /// `Unavailable` (a 503).
    #[tokio::test]
    async fn transient_store_errors_are_retried_a_bounded_number_of_times() {
        let (result, served) =
            put_through(vec![(400, "TransactionConflictException"), (200, "")]).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(served, 2);

        let throttled = (400, "ThrottlingException");
        let (result, served) = put_through(vec![throttled; MAX_ATTEMPTS as usize + 1]).await;
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{result:?}"
        );
        assert_eq!(served, MAX_ATTEMPTS as usize);

        // A failed condition is an answer: never sent twice.
        let (result, served) =
            put_through(vec![(400, "ConditionalCheckFailedException"), (200, "")]).await;
        assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
        assert_eq!(served, 1);
    }

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
