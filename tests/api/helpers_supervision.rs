//! What the supervision tests do again and again: a file read then reassigned at its
//! version, a search, a bulk action, an export read as bytes with its headers, and the
//! cells of an XLSX read back.

use crate::helpers::*;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Read;

/// The file's version as an agent of its caisse reads it.
pub async fn version_of(stack: &TestStack, agent: &str, id: &str) -> Value {
    let (status, file) = stack.get(&format!("/api/agent/renewals/{id}"), agent).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    file["version"].clone()
}

/// Reads the file, then gives it to `to` (null releases) at that version.
pub async fn reassign(
    stack: &TestStack,
    superviseur: &str,
    id: &str,
    to: Value,
) -> (StatusCode, Value) {
    let version = version_of(stack, superviseur, id).await;
    stack
        .post(
            &format!("/api/agent/renewals/{id}/reassign"),
            Some(superviseur),
            json!({"agent_id": to, "version": version}),
        )
        .await
}

/// `POST /api/agent/search` with `criteria`: the ids found, in order.
pub async fn search_ids(stack: &TestStack, agent: &str, criteria: Value) -> Vec<String> {
    let (status, found) = stack.post("/api/agent/search", Some(agent), criteria).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    ids(&found["items"])
}

/// The `id`s of a list of items or results.
pub fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

/// `POST /api/agent/renewals/bulk`: each file's (id, status), in the order answered.
pub async fn bulk(stack: &TestStack, agent: &str, body: Value) -> Vec<(String, u64)> {
    let (status, out) = stack
        .post("/api/agent/renewals/bulk", Some(agent), body)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    out["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// A download as it arrives: status, content type, content disposition, bytes.
pub async fn download(
    stack: &TestStack,
    path: &str,
    token: &str,
) -> (StatusCode, String, String, Vec<u8>) {
    let resp = stack
        .http
        .get(format!("{}{path}", stack.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("request: {e}"));
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, kind, disposition) = (
        resp.status(),
        header("content-type"),
        header("content-disposition"),
    );
    assert_eq!(header("cache-control"), "no-store");
    let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    (status, kind, disposition, bytes)
}

/// Every text an XLSX holds (its shared strings and its sheets' inline strings): what a
/// spreadsheet would show, whatever the cells.
pub fn xlsx_text(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("not an XLSX (ZIP): {e}"));
    let mut text = String::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap_or_else(|e| panic!("{e}"));
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if name.starts_with("xl/") && name.ends_with(".xml") {
            entry
                .read_to_string(&mut text)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    text
}

/// The entries of `caisse`'s chain for `action`, as the table holds them, in order.
pub async fn chain_entries(
    stack: &TestStack,
    caisse: &str,
    action: &str,
) -> Vec<HashMap<String, AttributeValue>> {
    let out = stack
        .clients
        .dynamo()
        .query()
        .table_name(stack.table("AuditTable"))
        .key_condition_expression("caisse = :c")
        .expression_attribute_values(":c", AttributeValue::S(caisse.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    out.items()
        .iter()
        .filter(|i| text(i, "action").is_some_and(|a| a == action))
        .cloned()
        .collect()
}

/// A string attribute of an item.
pub fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}
