//! Helpers of the partner catalogue, requests and account recovery tests (issue 16).

use crate::helpers::*;
use serde_json::{json, Value};

/// A partner conventioned with Rouen and, when `both`, with Le Havre too: its id, its
/// gestionnaire's token and the Rouen admin's.
pub async fn partner_of(
    stack: &TestStack,
    name: &str,
    email: &str,
    both: bool,
) -> (String, String, String) {
    let admin = stack.admin_token("adm-rouen", ROUEN).await;
    let (pid, token) = stack.onboard_partner(&admin, name, email).await;
    if both {
        let havre = stack.admin_token("adm-havre", HAVRE).await;
        let (status, body) = stack
            .post(
                &format!("/api/agent/partners/{pid}/conventions"),
                Some(&havre),
                json!({"caisse": HAVRE, "start": "2025-06-01", "end": "2026-05-31"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    (pid, token, admin)
}

/// A person's fields for a request, with `extra` on top.
pub fn about_person(extra: Value) -> Value {
    let mut body = json!({"civility": "madame", "last_name": "Lefèvre", "first_name": "Jeanne",
        "birth_date": "1957-02-14", "department": "76", "comment": "Merci de la recontacter."});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

/// The codes of one kind of the catalogue.
pub fn codes(catalogue: &Value, kind: &str) -> Vec<String> {
    catalogue[kind]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["code"].as_str().map(str::to_owned))
        .collect()
}

/// The code of an error answer.
pub fn code(body: &Value) -> Option<&str> {
    body["code"].as_str()
}

/// Waits (30 s at most) until `address` has had `count` messages of `kind`; those sent so far.
pub async fn sent_of_kind(
    stack: &TestStack,
    address: &str,
    kind: &str,
    count: usize,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let of_kind: Vec<Value> = stack
            .outbox_for(address)
            .await
            .into_iter()
            .filter(|m| m["kind"] == kind)
            .collect();
        if of_kind.len() >= count {
            return of_kind;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} {kind} messages to {address}, not {count}",
            of_kind.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits (30 s at most) until `address` has had `count` messages of `kind`; the token after
/// `#` in the link of the `count`th.
pub async fn nth_link(stack: &TestStack, address: &str, kind: &str, count: usize) -> String {
    let sent = sent_of_kind(stack, address, kind, count).await;
    let body = sent[count - 1]["body"].as_str().unwrap_or_default();
    body.split('#')
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_else(|| panic!("no link in {body}"))
        .to_owned()
}

/// Of two activation links to one account, the first (`voided`) is refused and the second
/// (`current`) activates it.
pub async fn only_the_last_link_activates(stack: &TestStack, voided: &str, current: &str) {
    let activate = |token: &str| {
        stack.post(
            "/api/partner/activate",
            None,
            json!({"token": token, "password": PARTNER_PASSWORD}),
        )
    };
    let (status, refused) = activate(voided).await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::BAD_REQUEST, Some("invalid_activation"))
    );
    let (status, body) = activate(current).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Announces `bytes` as an attachment of request `rid` and sends them to the presigned
/// URL; the document id.
pub async fn attach(
    stack: &TestStack,
    token: &str,
    rid: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> String {
    let (status, body) = stack
        .post(
            &format!("/api/partner/requests/{rid}/attachments"),
            Some(token),
            json!({"filename": filename, "content_type": "application/pdf", "size": bytes.len()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "announce: {body}");
    let upload = &body["upload"];
    let mut req = reqwest::Client::new().put(upload["url"].as_str().unwrap_or_default());
    for (k, v) in upload["headers"].as_object().into_iter().flatten() {
        req = req.header(k.as_str(), v.as_str().unwrap_or_default());
    }
    let resp = req
        .body(bytes)
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload: {e:?} {body}"));
    assert!(resp.status().is_success(), "upload: {}", resp.status());
    body["document_id"].as_str().unwrap_or_default().to_owned()
}

/// Waits (60 s at most) until the attachment has been checked; its status.
pub async fn checked_attachment(stack: &TestStack, rid: &str, document_id: &str) -> String {
    let store = stack.renewal_store();
    let owner = c2s_platform::renewals::request_owner(rid);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let doc = store.document(&owner, document_id).await.ok().flatten();
        if let Some(d) = doc.filter(|d| d.status.as_str() != "awaiting_upload") {
            return d.status.as_str().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "attachment never checked"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
