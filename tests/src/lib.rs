//! What the end-to-end tests (`tests/api/`) and the benchmarks (`src/bin/bench.rs`) share:
//! the emulator's SDK configuration, the repository root, and well-formed inbound data. The
//! test harness itself (`TestStack` and its named helpers) is `tests/api/helpers.rs`.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use serde_json::{json, Value};
use std::path::PathBuf;

/// A well-formed NIR from its first 13 characters.
pub fn nir(first13: &str) -> String {
    format!("{first13}{:02}", c2s_domain::nir::key_of(first13))
}

/// An inbound line for the national file; `overrides` replace fields.
pub fn beneficiary(
    nir: &str,
    birth_date: &str,
    code: &str,
    caisse: &str,
    css_end_date: &str,
) -> Value {
    json!({
        "nir": nir, "birth_date": birth_date, "last_name": "Martin", "first_name": "Claire",
        "email": "claire.martin@exemple.fr", "phone": "06 12 34 56 78",
        "address": {"line": "5 quai de la Seine", "postal_code": "76000", "city": "Rouen"},
        "territory": "metropole", "caisse": caisse, "css_end_date": css_end_date,
        "renewal_code": code, "iban_last4": "4242", "vitale_serial": "123456789",
        "household": [{"relation": "child", "first_name": "Hugo", "last_name": "Martin", "birth_date": "2015-06-01"}]
    })
}

pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-west-3".into());
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .http_client(c2s_platform::aws::http_client());
    // Set, AWS_ENDPOINT_URL is read by the standard chain, which also honours the
    // per-service AWS_ENDPOINT_URL_<SERVICE> (LocalStack runs route DynamoDB to moto).
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        loader = loader.endpoint_url("http://127.0.0.1:4566");
    }
    loader.load().await
}
