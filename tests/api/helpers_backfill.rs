//! Helpers of the backfill test: items taken back to their shape before an index existed
//! (its attribute removed, nothing else), and what the agents' lists find.

use crate::helpers::*;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

/// Removes `attribute` from the item (`pk`, `sk`) of the stack's table `table` (a logical
/// id), as the item was written before the index that reads it.
pub async fn strip(stack: &TestStack, table: &str, pk: &str, sk: &str, attribute: &str) {
    stack
        .clients
        .dynamo()
        .update_item()
        .table_name(stack.table(table))
        .key("pk", AttributeValue::S(pk.to_owned()))
        .key("sk", AttributeValue::S(sk.to_owned()))
        .update_expression("REMOVE #a")
        .expression_attribute_names("#a", attribute)
        .condition_expression("attribute_exists(#a)")
        .send()
        .await
        .unwrap_or_else(|e| panic!("strip {attribute} of {table} {sk}: {e}"));
}

/// Runs the backfill mode of the purge function (as `aws lambda invoke --payload` would, one
/// segment of one); its report.
pub async fn backfill(stack: &TestStack) -> Value {
    let (status, body) = stack
        .post(
            "/dev/run/purge",
            None,
            json!({"backfill": "indexes", "segment": 0, "segments": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["report"].clone()
}

/// The ids of the search's answer.
pub async fn found(stack: &TestStack, agent: &str, criteria: Value) -> Vec<String> {
    let (status, body) = stack.post("/api/agent/search", Some(agent), criteria).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    ids(&body, "id")
}

/// The request ids of the caisse's list of partner requests (first page).
pub async fn listed_requests(stack: &TestStack, agent: &str) -> Vec<String> {
    let (status, body) = stack.get("/api/agent/reports", agent).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    ids(&body, "request_id")
}

fn ids(body: &Value, key: &str) -> Vec<String> {
    body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i[key].as_str().map(str::to_owned))
        .collect()
}
