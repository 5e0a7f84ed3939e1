//! Helpers of the DPO's tests (`rgpd_*`): the register, the queue and the outbox as the DPO
//! and the agents see them.

use crate::helpers::*;
use serde_json::{json, Value};

/// A DPO of `caisse`.
pub async fn dpo(stack: &TestStack, caisse: &str) -> String {
    stack.agent_token("DPO1", caisse, &["dpo"]).await
}

/// Posts a DPO call and expects 200; returns its answer.
pub async fn dpo_call(stack: &TestStack, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = stack.post(path, Some(token), body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    answer
}

/// The register's items.
pub async fn register(stack: &TestStack, token: &str) -> Vec<Value> {
    let (status, body) = stack.get("/api/agent/rgpd/requests", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

/// The ids in the caisse's queue (first page, any open status), as an instructeur sees it.
pub async fn queue_ids(stack: &TestStack, instructeur: &str) -> Vec<String> {
    let (status, body) = stack.get("/api/agent/renewals", instructeur).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    ids(&body)
}

/// The `id`s of a list's `items`.
pub fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

/// The audit actions about the person, as the DPO's access export lists them.
pub async fn actions_about(stack: &TestStack, token: &str, nir: &str) -> Vec<String> {
    let export = dpo_call(stack, token, "/api/agent/rgpd/access", json!({"nir": nir})).await;
    export["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

/// A beneficiary of `caisse` with an email, signed in with a draft started. Returns (token,
/// draft id, nir, email).
pub async fn with_draft(
    stack: &TestStack,
    caisse: &str,
    yy: u8,
) -> (String, String, String, String) {
    let nir = fresh_nir(yy, 4);
    let birth = format!("19{yy:02}-04-12");
    let email = format!("dpo{yy}@exemple.fr");
    let mut line = beneficiary(&nir, &birth, "DPORGPD1", caisse, &months_from_today(2));
    line["email"] = json!(email);
    line["phone"] = Value::Null;
    stack
        .import(&format!("dpo{}.jsonl", &nir[5..13]), &[line.to_string()])
        .await;
    let token = stack.sign_in(&nir, &birth, "DPORGPD1").await;
    let (status, draft) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    (token, id, nir, email)
}

/// Whether `address` was sent a message of `kind` (after the outbox had time to deliver).
pub async fn was_sent(stack: &TestStack, address: &str, kind: &str) -> bool {
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    stack
        .outbox_for(address)
        .await
        .iter()
        .any(|m| m["kind"] == kind)
}

/// Calls `method path` (with `body` unless null) and expects 423 `restricted`, in French.
pub async fn assert_restricted(
    stack: &TestStack,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) {
    let method: reqwest::Method = method.parse().unwrap_or(reqwest::Method::GET);
    let body = body.filter(|b| !b.is_null());
    let (status, answer) = stack.call(method.clone(), path, Some(token), body).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::LOCKED, Some("restricted")),
        "{method} {path}: {answer}"
    );
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(message.contains("limité"), "{message}");
}
