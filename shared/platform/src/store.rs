//! DynamoDB plumbing shared by the stores: error classification and item conversion.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// `new` and `from_env` for a store of one table (`client`, `table`), its name read from
/// the variable the template gives the function.
macro_rules! table_store {
    ($store:ident, $variable:literal) => {
        impl $store {
            pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
                Self { client, table }
            }

            #[doc = concat!("The store of the table named by `", $variable, "`.")]
            pub fn from_env(
                env: &crate::Env,
                clients: &crate::aws::Clients,
            ) -> Result<Self, crate::ConfigError> {
                Ok(Self::new(clients.dynamo(), env.require($variable)?))
            }
        }
    };
}
pub(crate) use table_store;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold: someone else changed the item first.
    #[error("conditional check failed")]
    Conflict,
    #[error("store error: {0}")]
    Unavailable(String),
    #[error("unreadable item: {0}")]
    Corrupt(String),
}

/// Classifies an SDK error. Its text holds codes and request ids, never item values.
pub fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: aws_sdk_dynamodb::error::SdkError<E>,
) -> StoreError {
    match e.code() {
        Some("ConditionalCheckFailedException") => StoreError::Conflict,
        Some("TransactionCanceledException")
            if e.message().unwrap_or("").contains("ConditionalCheckFailed") =>
        {
            StoreError::Conflict
        }
        _ => StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string()),
    }
}

pub fn to_item<T: Serialize>(value: &T, keys: &[(&str, &str)]) -> Result<Item, StoreError> {
    let mut item: Item =
        serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    for (k, v) in keys {
        item.insert((*k).to_owned(), AttributeValue::S((*v).to_owned()));
    }
    Ok(item)
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// One item by its key, read consistently, as a `T`.
pub async fn get_as<T: DeserializeOwned>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: Item,
) -> Result<Option<T>, StoreError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(sdk_error)?;
    out.item.map(from_item).transpose()
}

/// Every item a query returns, page after page, each read as a `T`.
pub async fn query_as<T: DeserializeOwned>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<Vec<T>, StoreError> {
    query_all(query).await?.into_iter().map(from_item).collect()
}

/// Every item a query returns, page after page.
pub async fn query_all(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        out.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(out);
        }
    }
}
