//! Helpers of the conversation tests (threads on renewals and on partner requests).

use crate::helpers::*;
use serde_json::{json, Value};

/// The texts of a thread as `token` reads it (GET `path`), asserting a 200.
pub async fn texts(stack: &TestStack, path: &str, token: &str) -> Vec<String> {
    let (status, body) = stack.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Posts `text` (with `extra` fields) to the thread at `path`; the status and answer.
pub async fn say(
    stack: &TestStack,
    path: &str,
    token: &str,
    text: &str,
    extra: Value,
) -> (StatusCode, Value) {
    let mut body = json!({"text": text});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    stack.post(path, Some(token), body).await
}

/// Posts `text` (with `extra` fields) to the thread at `path`, asserting a 201; the answer.
pub async fn said(stack: &TestStack, path: &str, token: &str, text: &str, extra: Value) -> Value {
    let (status, body) = say(stack, path, token, text, extra).await;
    assert_eq!(status, StatusCode::CREATED, "POST {path}: {body}");
    body
}

/// Posts `text` to the thread at `path`, asserting a 422 with `code`.
pub async fn refused(stack: &TestStack, path: &str, token: &str, text: &str, code: &str) {
    let (status, body) = say(stack, path, token, text, json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
        "POST {path}: {body}"
    );
}

/// The actions of the caisse's audit trail about partner organisation `pid`, as a
/// superviseur reads it.
pub async fn partner_trail(stack: &TestStack, superviseur: &str, pid: &str) -> Vec<String> {
    let (status, trail) = stack
        .get(&format!("/api/agent/audit?partner_id={pid}"), superviseur)
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    trail["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

/// The bytes behind a download link the API handed out (`{"download_url"}`).
pub async fn opened(stack: &TestStack, link: &Value) -> Vec<u8> {
    let opened = stack
        .http
        .get(link["download_url"].as_str().unwrap_or_default())
        .send()
        .await
        .unwrap_or_else(|e| panic!("download: {e:?} {link}"));
    assert!(opened.status().is_success(), "{}", opened.status());
    opened
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_else(|e| panic!("download: {e:?}"))
}

/// The queue item of renewal `id` as `agent` sees it in the whole queue.
pub async fn queue_item(stack: &TestStack, agent: &str, id: &str) -> Value {
    let (status, queue) = stack.get("/api/agent/renewals", agent).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    queue["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == id).cloned())
        .unwrap_or_else(|| panic!("{id} not in the queue: {queue}"))
}

/// The kinds of the messages sent so far to `address`.
pub async fn kinds_sent_to(stack: &TestStack, address: &str) -> Vec<String> {
    stack
        .outbox_for(address)
        .await
        .iter()
        .map(|m| m["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A beneficiary of `caisse` (born in 19`yy`) whose submitted renewal holds one checked
/// document (`other`). Returns (level-1 token, renewal id, document id).
pub async fn submitted_with_document(
    stack: &TestStack,
    caisse: &str,
    yy: u8,
) -> (String, String, String) {
    let nir = fresh_nir(yy, 5);
    let birth = format!("19{yy:02}-05-10");
    stack
        .import(
            &format!("c{}.jsonl", &nir[5..13]),
            &[beneficiary(&nir, &birth, "CONVO001", caisse, &months_from_today(2)).to_string()],
        )
        .await;
    let token = stack.sign_in(&nir, &birth, "CONVO001").await;
    let (_, r) = stack.post("/api/renewals", Some(&token), json!({})).await;
    let id = r["id"].as_str().unwrap_or_default().to_owned();
    let doc = stack
        .upload(&token, &id, "other", "application/pdf", pdf())
        .await;
    let checked = stack.checked_document(&token, &id, &doc).await;
    assert_eq!(checked["status"], "clean", "{checked}");
    let form = json!({"version": 1, "household": r["household"], "resources": [], "housing": {"status": "housed_free"}, "manager": "caisse"});
    let (status, body) = stack
        .put(&format!("/api/renewals/{id}"), &token, form)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = stack
        .post(
            &format!("/api/renewals/{id}/submit"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (token, id, doc)
}

/// A signalement `partner` files with the caisse, with a motive of the catalogue; its request id.
pub async fn file_report(stack: &TestStack, partner: &str) -> String {
    let body = json!({"civility": "Madame", "last_name": "Lefèvre", "first_name": "Jeanne", "birth_date": "1957-02-14", "department": "76", "motive": "dossier_complexe", "comment": "Pas de nouvelles depuis l'envoi du dossier."});
    let (status, filed) = stack
        .post("/api/partner/reports", Some(partner), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    filed["request_id"].as_str().unwrap_or_default().to_owned()
}

/// The item of request `rid` in the caisse's list as `agent` sees it.
pub async fn report_item(stack: &TestStack, agent: &str, rid: &str) -> Value {
    let (status, list) = stack.get("/api/agent/reports", agent).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["request_id"] == rid).cloned())
        .unwrap_or_else(|| panic!("{rid} not in the list: {list}"))
}

/// The audit entries of the person withdrawing a partner's access to renewal `id`.
pub async fn revocations(stack: &TestStack, id: &str) -> Vec<c2s_platform::audit::AuditEntry> {
    stack
        .audit_store()
        .for_renewal(id)
        .await
        .unwrap_or_else(|e| panic!("audit of {id}: {e}"))
        .into_iter()
        .filter(|e| e.action == "revoke_partner")
        .collect()
}

/// A person of Rouen (NIR `fresh_nir(yy, 4)`, born 19`yy`-04-05) whose draft `partner` opened
/// with their letter and consent: the draft, the person's own level-1 token, their NIR.
pub async fn filed_by_partner(stack: &TestStack, partner: &str, yy: u8) -> (Value, String, String) {
    let (nir, birth, code) = (
        fresh_nir(yy, 4),
        format!("19{yy:02}-04-05"),
        format!("LETTRE{yy:02}"),
    );
    stack
        .import(
            &format!("filed{yy:02}.jsonl"),
            &[beneficiary(&nir, &birth, &code, ROUEN, &months_from_today(3)).to_string()],
        )
        .await;
    let file = json!({"nir": nir, "birth_date": birth, "renewal_code": code, "consent": true});
    let (status, draft) = stack
        .post("/api/partner/renewals", Some(partner), file)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let token = stack.sign_in(&nir, &birth, &code).await;
    (draft, token, nir)
}

/// A beneficiary of Rouen (born in 19`yy`) whose renewal `partner` opened with their consent,
/// filled and submitted: the renewal's id.
pub async fn filed_and_submitted(stack: &TestStack, partner: &str, yy: u8) -> String {
    let nir = fresh_nir(yy, 6);
    let birth = format!("19{yy:02}-06-10");
    stack
        .import(
            &format!("p{}.jsonl", &nir[5..13]),
            &[beneficiary(&nir, &birth, "LETTREPA", ROUEN, &months_from_today(2)).to_string()],
        )
        .await;
    let (status, draft) = stack
        .post(
            "/api/partner/renewals",
            Some(partner),
            json!({"nir": nir, "birth_date": birth, "renewal_code": "LETTREPA", "consent": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    let form = json!({"version": draft["version"], "household": draft["household"], "resources": [], "housing": {"status": "housed_free"}, "manager": "caisse"});
    let (status, body) = stack
        .put(&format!("/api/renewals/{id}"), partner, form)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = stack
        .post(
            &format!("/api/renewals/{id}/submit"),
            Some(partner),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}
