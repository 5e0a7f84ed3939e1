//! DynamoDB plumbing shared by the stores: error classification and item conversion.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
/// A write to commit in one transaction with a store's own (an audit entry, a guard), as the
/// stores' `*_with` methods take them: callers need not depend on the SDK to pass one on.
pub use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Number, Value};
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
    /// A transaction was cancelled by the condition of one of its other items (its
    /// position in the transaction), not the caller's own: see `transaction_error`.
    #[error("side condition failed (item {0})")]
    SideCondition(usize),
    /// DynamoDB could not answer (unreachable, throttled, busy, an unreadable answer): the
    /// caller may try again in a moment.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// DynamoDB refused the request as made (a fault of ours: request, permission, table).
    #[error("store error: {0}")]
    Failed(String),
    #[error("unreadable item: {0}")]
    Corrupt(String),
}

/// Classifies an SDK error. Its text holds codes and request ids, never item values.
pub fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: aws_sdk_dynamodb::error::SdkError<E>,
) -> StoreError {
    // A failed condition, or another transaction on the same item at that moment: either
    // way someone else wrote first, and the caller reads again. (A transaction whose items
    // are not all the caller's own says which with `transaction_error`.)
    if e.code() == Some("ConditionalCheckFailedException") {
        return StoreError::Conflict;
    }
    let reasons = cancellation_reasons(&e);
    if reasons
        .iter()
        .any(|r| matches!(r.as_str(), CONDITION_FAILED | TRANSACTION_CONFLICT))
    {
        return StoreError::Conflict;
    }
    unconditional(e, &reasons)
}

/// Classifies the error of a transaction whose items at the positions `own` (in the order
/// they were given) are the caller's: a failed condition on one of them, or another
/// transaction on any item, is `Conflict` (read again); a failed condition only on another
/// item is `SideCondition` with its position, which the caller tells apart from a lost race.
pub fn transaction_error(e: SdkError<TransactWriteItemsError>, own: &[usize]) -> StoreError {
    let reasons = cancellation_reasons(&e);
    let failed: Vec<usize> = reasons
        .iter()
        .enumerate()
        .filter(|(_, r)| r.as_str() == CONDITION_FAILED)
        .map(|(i, _)| i)
        .collect();
    if failed.iter().any(|i| own.contains(i))
        || reasons.iter().any(|r| r.as_str() == TRANSACTION_CONFLICT)
    {
        return StoreError::Conflict;
    }
    if let Some(&position) = failed.first() {
        return StoreError::SideCondition(position);
    }
    unconditional(e, &reasons)
}

/// Whether a transaction was cancelled only because another transaction held one of its
/// items (no condition failed): nothing was written, and the same transaction may be sent
/// again.
pub fn only_transaction_conflict(e: &SdkError<TransactWriteItemsError>) -> bool {
    let reasons = cancellation_reasons(e);
    reasons.iter().any(|r| r.as_str() == TRANSACTION_CONFLICT)
        && !reasons.iter().any(|r| r.as_str() == CONDITION_FAILED)
}

const CONDITION_FAILED: &str = "ConditionalCheckFailed";
const TRANSACTION_CONFLICT: &str = "TransactionConflict";

/// A cancelled transaction's reason per item, in the order the items were given ("None"
/// for an item that was not the cause); empty for any other error.
fn cancellation_reasons<E: ProvideErrorMetadata + 'static>(e: &SdkError<E>) -> Vec<String> {
    let service: Option<&dyn std::any::Any> = e.as_service_error().map(|s| s as _);
    if let Some(TransactWriteItemsError::TransactionCanceledException(c)) =
        service.and_then(|s| s.downcast_ref::<TransactWriteItemsError>())
    {
        if !c.cancellation_reasons().is_empty() {
            return c
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect();
        }
    }
    if e.code() != Some("TransactionCanceledException") {
        return Vec::new();
    }
    reasons_in_message(e.message().unwrap_or(""))
}

/// Without the structured reasons, the message lists them in the same order:
/// "… for specific reasons [ConditionalCheckFailed, None]".
fn reasons_in_message(message: &str) -> Vec<String> {
    message
        .rsplit_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list.split(',').map(|r| r.trim().to_owned()).collect())
        .unwrap_or_default()
}

/// An error that is no failed condition: DynamoDB could not answer, or refused the request.
fn unconditional<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: SdkError<E>,
    reasons: &[String],
) -> StoreError {
    // A transaction cancelled for throughput may pass when tried again; any other reason is
    // the request's.
    let busy = ["ThrottlingError", "ProvisionedThroughputExceeded"];
    let throttled = reasons.iter().any(|r| busy.contains(&r.as_str()));
    let why = aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string();
    if crate::fault::unavailable(&e) || throttled {
        StoreError::Unavailable(why)
    } else {
        StoreError::Failed(why)
    }
}

/// `value`'s item, with `keys` (string attributes) added. Records go through JSON's values
/// (`attribute`): one small converter instead of a DynamoDB serializer generic over every
/// record type, which weighed about 170 KB in each function.
pub fn to_item<T: Serialize>(value: &T, keys: &[(&str, &str)]) -> Result<Item, StoreError> {
    let Value::Object(fields) = to_value(value)? else {
        return Err(StoreError::Corrupt("a record is not a map".into()));
    };
    let mut item: Item = fields.into_iter().map(|(k, v)| (k, attribute(v))).collect();
    for (k, v) in keys {
        item.insert((*k).to_owned(), AttributeValue::S((*v).to_owned()));
    }
    Ok(item)
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    let fields = item
        .into_iter()
        .map(|(k, a)| Ok((k, json(a)?)))
        .collect::<Result<Map<String, Value>, StoreError>>()?;
    serde_json::from_value(Value::Object(fields)).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `value` as one attribute (an enum's variant, a number).
pub fn to_attribute<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    Ok(attribute(to_value(value)?))
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The attribute of a JSON value, as serde_dynamo wrote them (the tables hold its items):
/// a string S, a number N, a boolean BOOL, null NULL, an array L, an object M.
fn attribute(value: Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s),
        Value::Array(a) => AttributeValue::L(a.into_iter().map(attribute).collect()),
        Value::Object(m) => {
            AttributeValue::M(m.into_iter().map(|(k, v)| (k, attribute(v))).collect())
        }
    }
}

/// The JSON value of an attribute; sets read as arrays, binaries as arrays of bytes.
fn json(attribute: AttributeValue) -> Result<Value, StoreError> {
    Ok(match attribute {
        AttributeValue::S(s) => Value::String(s),
        AttributeValue::N(n) => Value::Number(number(&n)?),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => Value::Array(l.into_iter().map(json).collect::<Result<_, _>>()?),
        AttributeValue::M(m) => Value::Object(
            m.into_iter()
                .map(|(k, a)| Ok((k, json(a)?)))
                .collect::<Result<_, StoreError>>()?,
        ),
        AttributeValue::Ss(s) => Value::Array(s.into_iter().map(Value::String).collect()),
        AttributeValue::Ns(ns) => Value::Array(
            ns.iter()
                .map(|n| number(n).map(Value::Number))
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::B(b) => bytes(b.into_inner()),
        AttributeValue::Bs(bs) => {
            Value::Array(bs.into_iter().map(|b| bytes(b.into_inner())).collect())
        }
        _ => {
            return Err(StoreError::Corrupt(
                "an attribute of an unknown type".into(),
            ))
        }
    })
}

/// A DynamoDB number: an integer when it is one (DynamoDB drops a trailing `.0`), else a
/// float.
fn number(n: &str) -> Result<Number, StoreError> {
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| StoreError::Corrupt("a number that is none".into()))
}

fn bytes(b: Vec<u8>) -> Value {
    Value::Array(b.into_iter().map(Value::from).collect())
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

/// The items of these keys that exist, read consistently in batches of 100 (as DynamoDB
/// allows), what it leaves unprocessed asked again a few times; in no particular order.
pub async fn batch_get(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keys: Vec<Item>,
) -> Result<Vec<Item>, StoreError> {
    let mut found = Vec::new();
    for chunk in keys.chunks(100) {
        let wanted = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
            .consistent_read(true)
            .set_keys(Some(chunk.to_vec()))
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        let mut request = Some(HashMap::from([(table.to_owned(), wanted)]));
        for _ in 0..5 {
            let Some(items) = request.take().filter(|r| !r.is_empty()) else {
                break;
            };
            let out = client
                .batch_get_item()
                .set_request_items(Some(items))
                .send()
                .await
                .map_err(sdk_error)?;
            found.extend(
                out.responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default(),
            );
            request = out.unprocessed_keys;
        }
    }
    Ok(found)
}

/// The next number of the counter at `key` (attribute `seq`), counted atomically (`ADD`):
/// never given twice, whatever calls fail or overlap (a failed call leaves a gap, never a
/// reuse). The outbound files' names are numbered so (`outbound`).
pub async fn next_count(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: Item,
) -> Result<u64, StoreError> {
    let out = client
        .update_item()
        .table_name(table)
        .set_key(Some(key))
        .update_expression("ADD seq :one")
        .expression_attribute_values(":one", n(1))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
        .send()
        .await
        .map_err(sdk_error)?;
    out.attributes
        .and_then(|a| a.get("seq").and_then(|v| v.as_n().ok()).cloned())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::Corrupt("counter without a number".into()))
}

/// Every item a query returns, page after page, each read as a `T`.
pub async fn query_as<T: DeserializeOwned>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<Vec<T>, StoreError> {
    query_all(query).await?.into_iter().map(from_item).collect()
}

/// Every item a query returns, page after page.
/// The `purge_key`s (`<day>#<kind>#<id>`) due on or before `day` in a table's `by_purge`
/// index (`purge_index = "due"`): the retention purge reads only what is due.
pub async fn purge_keys_due(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    day: time::Date,
) -> Result<Vec<String>, StoreError> {
    let items = query_all(
        client
            .query()
            .table_name(table)
            .index_name("by_purge")
            .key_condition_expression("purge_index = :d AND purge_key <= :until")
            .expression_attribute_values(":d", s("due"))
            .expression_attribute_values(
                ":until",
                s(format!(
                    "{}#\u{10ffff}",
                    c2s_domain::dates::format_date(day)
                )),
            )
            .projection_expression("purge_key"),
    )
    .await?;
    Ok(items
        .iter()
        .filter_map(|item| Some(item.get("purge_key")?.as_s().ok()?.clone()))
        .collect())
}

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

/// A scan read one page at a time, so that its reader writes as it reads: a backfill's
/// segment holds more than memory should.
pub struct ScanPages {
    scan: aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder,
    start: Option<Item>,
    done: bool,
}

impl ScanPages {
    pub fn new(scan: aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder) -> Self {
        ScanPages {
            scan,
            start: None,
            done: false,
        }
    }

    /// The next page's items (its filter applied), or `None` once the scan is done.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Item>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .scan
            .clone()
            .set_exclusive_start_key(self.start.take())
            .send()
            .await
            .map_err(sdk_error)?;
        self.start = page.last_evaluated_key;
        self.done = self.start.is_none();
        Ok(Some(page.items.unwrap_or_default()))
    }
}

/// One segment (`segment` of `segments`) of a backfill's parallel scan, read a page at a
/// time: each item `scan` keeps, decoded, is handed to `update`, whose conditional write (none
/// for an item it passes over) is sent at once. The number written: one whose condition no
/// longer held was written meanwhile by someone else, and does not count.
pub async fn backfill_segment<T: DeserializeOwned>(
    scan: aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder,
    segment: i32,
    segments: i32,
    mut update: impl FnMut(
        T,
    ) -> Option<
        aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    >,
) -> Result<u64, StoreError> {
    let mut pages = ScanPages::new(scan.segment(segment).total_segments(segments));
    let mut count = 0;
    while let Some(items) = pages.next_page().await? {
        for item in items {
            let Some(write) = update(from_item(item)?) else {
                continue;
            };
            if written(write.send().await.map_err(sdk_error))? {
                count += 1;
            }
        }
    }
    Ok(count)
}

/// Whether a conditional write went through: `false` when its condition did not hold (someone
/// wrote first, and that write did what this one would have); any other failure stays one.
pub fn written<T>(result: Result<T, StoreError>) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::{from_item, reasons_in_message, to_attribute, to_item, Item};
    use aws_sdk_dynamodb::types::AttributeValue;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Draft,
        Decided { on: String },
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Record {
        id: String,
        count: u32,
        signed: i64,
        share: f64,
        whole: f64,
        done: bool,
        missing: Option<String>,
        kind: Kind,
        decided: Kind,
        tags: Vec<String>,
        nested: BTreeMap<String, Vec<u8>>,
    }

    fn record() -> Record {
        Record {
            id: "r-1".into(),
            count: 3,
            signed: -12,
            share: 0.25,
            whole: 2.0,
            done: true,
            missing: None,
            kind: Kind::Draft,
            decided: Kind::Decided {
                on: "2026-12-01".into(),
            },
            tags: vec!["a".into(), "".into()],
            nested: BTreeMap::from([("k".into(), vec![0, 255])]),
        }
    }

    /// The tables hold items serde_dynamo wrote: each is written the same and read back.
    #[test]
    fn items_are_those_serde_dynamo_wrote_and_read_back() -> Result<(), Box<dyn std::error::Error>>
    {
        let ours = to_item(&record(), &[])?;
        let theirs: Item = serde_dynamo::to_item(record())?;
        let normal = |item: &Item| -> BTreeMap<String, String> {
            // A float's text aside (`2` or `2.0`: DynamoDB keeps the number, not its text).
            item.iter()
                .map(|(k, v)| (k.clone(), format!("{v:?}").replace(".0\"", "\"")))
                .collect()
        };
        assert_eq!(normal(&ours), normal(&theirs));
        assert_eq!(ours["missing"], AttributeValue::Null(true));
        assert_eq!(ours["kind"], AttributeValue::S("draft".into()));
        let back: Record = from_item(theirs)?;
        assert_eq!(back, record());
        let back: Record = from_item(ours)?;
        assert_eq!(back, record());
        Ok(())
    }

    /// As DynamoDB answers them: numbers without their `.0`, sets, binaries.
    #[test]
    fn numbers_sets_and_binaries_read_as_dynamodb_answers_them(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut item = to_item(&record(), &[("pk", "renewal#r-1")])?;
        assert_eq!(item["pk"], AttributeValue::S("renewal#r-1".into()));
        item.insert("whole".into(), AttributeValue::N("2".into()));
        item.insert(
            "tags".into(),
            AttributeValue::Ss(vec!["a".into(), "".into()]),
        );
        let back: Record = from_item(item.clone())?;
        assert_eq!(back, record());
        item.insert("count".into(), AttributeValue::N("three".into()));
        assert!(from_item::<Record>(item).is_err());
        assert_eq!(
            to_attribute(&Kind::Draft).ok(),
            Some(AttributeValue::S("draft".into()))
        );
        Ok(())
    }

    #[test]
    fn the_message_of_a_cancelled_transaction_gives_each_item_its_reason() {
        let m = "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]";
        assert_eq!(reasons_in_message(m), ["None", "ConditionalCheckFailed"]);
        assert!(reasons_in_message("Throughput exceeded").is_empty());
    }
}
