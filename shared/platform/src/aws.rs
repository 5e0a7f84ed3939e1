//! AWS clients from the standard configuration chain: `AWS_ENDPOINT_URL` points them at
//! moto, LocalStack or nothing (AWS itself), with no branch in the code.

use crate::env::Env;
use aws_config::{BehaviorVersion, SdkConfig};

#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// For the clients only one function needs (email and SMS in `notify`): built there.
    pub sdk: SdkConfig,
}

pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

impl Clients {
    /// `S3_FORCE_PATH_STYLE=true` where bucket names cannot be host names (emulators).
    pub fn new(config: &SdkConfig, env: &Env) -> Clients {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(env.flag("S3_FORCE_PATH_STYLE"))
            .build();
        Clients {
            dynamo: aws_sdk_dynamodb::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(config),
            sdk: config.clone(),
        }
    }
}
