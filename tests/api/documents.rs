//! Supporting documents: what may be announced, what the check does to what arrives.

use crate::helpers::*;
use serde_json::{json, Value};

async fn draft(stack: &TestStack, name: &str) -> (String, String) {
    let nir = fresh_nir(92, 2);
    stack
        .import(
            name,
            &[
                beneficiary(&nir, "1992-02-02", "DOCS2222", ROUEN, &months_from_today(2))
                    .to_string(),
            ],
        )
        .await;
    let token = stack.sign_in(&nir, "1992-02-02", "DOCS2222").await;
    let (status, r) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    (token, r["id"].as_str().unwrap_or_default().to_owned())
}

/// Fills the form with `resources` and submits it; the submission's answer.
async fn submit(stack: &TestStack, token: &str, id: &str, resources: Value) -> (StatusCode, Value) {
    let form = json!({"version": 1, "household": [], "resources": resources, "housing": {"status": "housed_free"}, "manager": "caisse"});
    let (status, _) = stack.put(&format!("/api/renewals/{id}"), token, form).await;
    assert_eq!(status, StatusCode::OK);
    stack
        .post(
            &format!("/api/renewals/{id}/submit"),
            Some(token),
            json!({}),
        )
        .await
}

#[tokio::test]
async fn announcements_are_bound_to_allowed_types_and_sizes() {
    let stack = TestStack::start().await;
    let (token, id) = draft(&stack, "announce.jsonl").await;
    let path = format!("/api/renewals/{id}/documents");
    let cases: [(Value, &str); 5] = [
        (
            json!({"kind": "payslip", "filename": "a.exe", "content_type": "application/x-msdownload", "size": 100}),
            "document_type_not_allowed",
        ),
        (
            json!({"kind": "payslip", "filename": "a.pdf", "content_type": "application/pdf", "size": 10 * 1024 * 1024 + 1}),
            "document_too_large",
        ),
        (
            json!({"kind": "payslip", "filename": "a.pdf", "content_type": "application/pdf", "size": 0}),
            "invalid",
        ),
        (
            json!({"kind": "selfie", "filename": "a.pdf", "content_type": "application/pdf", "size": 100}),
            "invalid",
        ),
        (
            json!({"kind": "payslip", "filename": "", "content_type": "image/png", "size": 100}),
            "invalid",
        ),
    ];
    for (body, code) in cases {
        let (status, answer) = stack.post(&path, Some(&token), body).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code))
        );
    }
    // A file name holding a NIR would be shown to agents and put in links: refused.
    let named = json!({"kind": "payslip", "filename": format!("bulletin_{}.pdf", nir("1840575123456")), "content_type": "application/pdf", "size": 100});
    let (status, answer) = stack.post(&path, Some(&token), named).await;
    assert_eq!(
        (status, answer["fields"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("nir_not_allowed"))
    );
    // A good announcement: a 5-minute PUT URL whose signed headers carry type and length.
    let (status, answer) = stack.post(&path, Some(&token), json!({"kind": "tax_notice", "filename": "C:\\docs\\avis.pdf", "content_type": "application/pdf", "size": 1234})).await;
    assert_eq!(status, StatusCode::CREATED);
    let upload = &answer["upload"];
    let url = upload["url"].as_str().unwrap_or_default();
    assert!(
        url.contains(&format!("renewals/{id}/")) && url.contains("X-Amz-Expires=300"),
        "{url}"
    );
    let signed = url
        .split("X-Amz-SignedHeaders=")
        .nth(1)
        .unwrap_or("")
        .split('&')
        .next()
        .unwrap_or("");
    assert!(
        signed.contains("content-type")
            && signed.contains("content-length")
            && signed.contains("if-none-match"),
        "{signed}"
    );
    assert_eq!(upload["headers"]["if-none-match"], "*");
    assert_eq!(upload["headers"]["content-type"], "application/pdf");
    assert_eq!(answer["document"]["filename"], "avis.pdf");
    assert_eq!(answer["document"]["status"], "awaiting_upload");
    stack.stop().await;
}

#[tokio::test]
async fn content_that_is_not_what_was_announced_is_deleted_and_rejected() {
    let stack = TestStack::start().await;
    let (token, id) = draft(&stack, "mismatch.jsonl").await;
    // A PNG announced as a PDF.
    let png = [b"\x89PNG\r\n\x1a\n".to_vec(), vec![0u8; 64]].concat();
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", png)
        .await;
    let checked = stack.checked_document(&token, &id, &doc).await;
    assert_eq!(
        (
            checked["status"].as_str(),
            checked["reject_reason"].as_str()
        ),
        (Some("rejected"), Some("type_mismatch"))
    );
    assert!(checked["reject_message"]
        .as_str()
        .is_some_and(|m| m.contains("PDF")));
    assert!(
        !stack.document_exists(&id, &doc).await,
        "a rejected object is deleted"
    );
    // The check left its idempotency record, done: a redelivered event will find it.
    let records = stack
        .clients
        .dynamo()
        .scan()
        .table_name(stack.table("IdempotencyTable"))
        .send()
        .await
        .unwrap();
    let done = records.items.unwrap_or_default().into_iter().filter(|i| {
        let pk = i
            .get("pk")
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        pk.starts_with("document-check#")
            && pk.contains(&doc)
            && i.get("status")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|s| s == "completed")
    });
    assert_eq!(done.count(), 1);
    // A rejected document does not count: the renewal still misses a document once income is declared.
    let (_, r) = stack.get(&format!("/api/renewals/{id}"), &token).await;
    assert!(!r["missing"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| m == "documents_pending"));
    stack.stop().await;
}

#[tokio::test]
async fn the_antivirus_rejects_the_eicar_test_file() {
    let stack = TestStack::start().await;
    if !stack.antivirus {
        eprintln!("NOTE: no clamd here: EICAR detection not tested");
        stack.stop().await;
        return;
    }
    let (token, id) = draft(&stack, "eicar.jsonl").await;
    // EICAR behind a PDF header: right magic bytes, still a virus.
    let infected = [b"%PDF-1.4\n".to_vec(), EICAR.to_vec()].concat();
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", infected)
        .await;
    let checked = stack.checked_document(&token, &id, &doc).await;
    assert_eq!(
        (
            checked["status"].as_str(),
            checked["reject_reason"].as_str()
        ),
        (Some("rejected"), Some("infected"))
    );
    assert!(!stack.document_exists(&id, &doc).await);
    let clean = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;
    assert_eq!(
        stack.checked_document(&token, &id, &clean).await["status"],
        "clean"
    );
    assert!(stack.document_exists(&id, &clean).await);
    stack.stop().await;
}

#[tokio::test]
async fn documents_can_be_removed_only_while_the_renewal_is_editable() {
    let stack = TestStack::start().await;
    let (token, id) = draft(&stack, "remove.jsonl").await;
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;
    stack.checked_document(&token, &id, &doc).await;
    let path = format!("/api/renewals/{id}/documents/{doc}");
    let (status, _) = stack
        .call(reqwest::Method::DELETE, &path, Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!stack.document_exists(&id, &doc).await);
    let (_, r) = stack.get(&format!("/api/renewals/{id}"), &token).await;
    assert_eq!(r["documents"], json!([]));
    // Resent: still 204.
    let (status, _) = stack
        .call(reqwest::Method::DELETE, &path, Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Once submitted, the file is frozen.
    let (status, submitted) = submit(&stack, &token, &id, json!([])).await;
    assert_eq!(
        (status, submitted["status"].as_str()),
        (StatusCode::OK, Some("submitted")),
        "{submitted}"
    );
    let (status, body) = stack.post(&format!("/api/renewals/{id}/documents"), Some(&token), json!({"kind": "payslip", "filename": "a.pdf", "content_type": "application/pdf", "size": 10})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_editable"))
    );
    stack.stop().await;
}

/// Sends `bytes` to a presigned upload with its signed headers, but `leaving_out` one of them.
async fn put_to(
    stack: &TestStack,
    upload: &Value,
    bytes: &[u8],
    leaving_out: Option<&str>,
) -> StatusCode {
    let mut req = stack.http.put(upload["url"].as_str().unwrap_or_default());
    for (k, v) in upload["headers"].as_object().into_iter().flatten() {
        if Some(k.as_str()) != leaving_out {
            req = req.header(k.as_str(), v.as_str().unwrap_or_default());
        }
    }
    let resp = req
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload: {e}"));
    resp.status()
}

/// An upload URL works once. After the check, the same URL with other bytes of the same
/// size and type is refused (its signed `If-None-Match: *`), a PUT that leaves that header
/// out is refused by the bucket's policy, and a version that lands anyway (here written
/// around the URL) is deleted by the check: the agent opens the bytes that were checked.
#[tokio::test]
async fn a_second_upload_on_the_same_url_never_reaches_an_agent() {
    let stack = TestStack::start().await;
    let (token, id) = draft(&stack, "replace.jsonl").await;
    let checked = pdf();
    let mut swapped = checked.clone();
    let at = swapped.len() - 8;
    swapped[at..].copy_from_slice(b"%%SWAP!\n");
    assert_eq!(swapped.len(), checked.len());
    let (status, body) = stack.post(&format!("/api/renewals/{id}/documents"), Some(&token), json!({"kind": "payslip", "filename": "bulletin.pdf", "content_type": "application/pdf", "size": checked.len()})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let upload = body["upload"].clone();
    let doc = body["document_id"].as_str().unwrap_or_default().to_owned();
    let key = format!("renewals/{id}/{doc}");
    assert!(put_to(&stack, &upload, &checked, None).await.is_success());
    let first = stack.checked_document(&token, &id, &doc).await;

    assert_eq!(
        put_to(&stack, &upload, &swapped, None).await,
        StatusCode::PRECONDITION_FAILED,
        "the same URL accepted a second upload"
    );
    assert_eq!(
        put_to(&stack, &upload, &swapped, Some("if-none-match")).await,
        StatusCode::FORBIDDEN,
        "an upload without If-None-Match went through"
    );
    stack
        .clients
        .s3()
        .put_object()
        .bucket(stack.bucket("DocumentsBucket"))
        .key(&key)
        .content_type("application/pdf")
        .body(swapped.clone().into())
        .send()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while stack.object_versions("DocumentsBucket", &key).await > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "a version written after the check was kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (_, r) = stack.get(&format!("/api/renewals/{id}"), &token).await;
    assert_eq!(r["documents"][0]["status"], first["status"]);
    if !stack.antivirus {
        eprintln!("NOTE: no clamd here: the agent's download of a clean document not tested");
        stack.stop_allowing_refusals().await;
        return;
    }
    assert_eq!(first["status"], "clean");

    let income = json!([{"member": "applicant", "kind": "salary", "monthly_cents": 120000}]);
    let (status, submitted) = submit(&stack, &token, &id, income).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    let agent = stack.agent_token("A7", ROUEN, &["instructeur"]).await;
    let (status, link) = stack
        .get(
            &format!("/api/agent/renewals/{id}/documents/{doc}/download"),
            &agent,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(
        crate::helpers_convo::opened(&stack, &link).await,
        checked,
        "the agent opened other bytes than those checked"
    );
    // The PUT without its header was refused by the bucket policy, as on AWS.
    let refused = stack.refused().await;
    assert!(
        refused
            .iter()
            .all(|r| r["function"] == "UploadFunction" && r["action"] == "s3:PutObject"),
        "{refused:#?}"
    );
    stack.stop_allowing_refusals().await;
}

/// Removing a document deletes its record before its object: when the second step fails
/// (here the record's deletion, refused), no record is left naming an object that is gone,
/// and the removal sent again finishes.
#[tokio::test]
async fn a_removal_that_fails_half_way_leaves_no_record_without_its_object() {
    let template = template_edited(
        "UploadFunction",
        "dynamodb:PutItem, dynamodb:DeleteItem, dynamodb:Query, dynamodb:ConditionCheckItem]",
        "dynamodb:PutItem, dynamodb:Query, dynamodb:ConditionCheckItem]",
    );
    let stack = TestStack::start_with_template(template).await;
    let (token, id) = draft(&stack, "remove-half.jsonl").await;
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;
    stack.checked_document(&token, &id, &doc).await;
    let path = format!("/api/renewals/{id}/documents/{doc}");
    let (status, _) = stack
        .call(reqwest::Method::DELETE, &path, Some(&token), None)
        .await;
    assert!(
        !status.is_success(),
        "the removal passed without its permission"
    );
    let (_, r) = stack.get(&format!("/api/renewals/{id}"), &token).await;
    let listed = r["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|d| d["document_id"] == doc.as_str());
    assert!(
        !listed || stack.document_exists(&id, &doc).await,
        "the document is still listed, its object gone"
    );

    // The permission back (the repository's template), the same DELETE finishes the job.
    let stack = stack.restart().await;
    let (status, _) = stack
        .call(reqwest::Method::DELETE, &path, Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, r) = stack.get(&format!("/api/renewals/{id}"), &token).await;
    assert_eq!(r["documents"], json!([]));
    assert!(!stack.document_exists(&id, &doc).await);
    stack.stop().await;
}

/// A clamd that answers every scan `stream: OK`, on a local socket, as the stack's would.
fn serve_clean_verdicts(path: &std::path::Path) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::UnixListener::bind(path).unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // `zINSTREAM\0`, then chunks (a 4-byte length, the bytes) up to a zero length.
                let mut command = [0u8; 10];
                if socket.read_exact(&mut command).await.is_err() {
                    return;
                }
                loop {
                    let Ok(len) = socket.read_u32().await else {
                        return;
                    };
                    if len == 0 {
                        break;
                    }
                    let mut chunk = vec![0u8; len as usize];
                    if socket.read_exact(&mut chunk).await.is_err() {
                        return;
                    }
                }
                let _ = socket.write_all(b"stream: OK\0").await;
            });
        }
    })
}

async fn queue_counts(stack: &TestStack, queue: &str) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName::{
        ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible,
    };
    let attributes = stack
        .clients
        .sqs()
        .get_queue_attributes()
        .queue_url(stack.queue(queue))
        .attribute_names(ApproximateNumberOfMessages)
        .attribute_names(ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    let count = |name| attributes.get(&name).cloned().unwrap_or_default();
    (
        count(ApproximateNumberOfMessages),
        count(ApproximateNumberOfMessagesNotVisible),
    )
}

#[tokio::test]
async fn a_document_waits_out_an_antivirus_outage_and_is_rescanned() {
    let dir = std::env::temp_dir().join(format!("c2s-clamd-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("clamd.sock");
    // The antivirus is down: nobody listens on its socket yet.
    let stack = TestStack::start_with_antivirus(socket.display().to_string()).await;
    let (token, id) = draft(&stack, "av-outage.jsonl").await;
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;

    // Waiting for the antivirus, said so, never `awaiting_upload` as if nothing had come.
    let checked = stack.checked_document(&token, &id, &doc).await;
    assert_eq!(checked["status"], "pending_scan", "{checked}");
    let record = stack
        .renewal_store()
        .document(&id, &doc)
        .await
        .unwrap()
        .unwrap();
    assert!(record.scan_attempts >= 1 && record.last_scan_attempt_at.is_some());
    // The message backs off (30 s first) instead of spending its receives in seconds.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(
        queue_counts(&stack, "DocumentCheckDeadLetterQueue").await,
        ("0".to_owned(), "0".to_owned())
    );
    assert_eq!(
        queue_counts(&stack, "DocumentCheckQueue").await,
        ("0".to_owned(), "1".to_owned()),
        "the failed message waits, out of sight"
    );
    let record = stack
        .renewal_store()
        .document(&id, &doc)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.scan_attempts, 1, "received once in 5 seconds");
    // Nothing for the rescan while the last attempt is recent.
    assert_eq!(stack.run_job("document-rescan").await["asked_again"], 0);

    // The antivirus is back; the document has waited past the rescan's delay.
    let clamd = serve_clean_verdicts(&socket);
    let mut waited = record.clone();
    waited.last_scan_attempt_at =
        Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(20));
    stack
        .renewal_store()
        .set_document_status(&waited, c2s_domain::document::DocumentStatus::PendingScan)
        .await
        .unwrap();
    assert_eq!(stack.run_job("document-rescan").await["asked_again"], 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, r) = stack.get(&format!("/api/renewals/{id}"), &token).await;
        if r["documents"][0]["status"] == "clean" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never rescanned: {r}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Checked: out of the rescan's index, and the renewal goes.
    assert_eq!(stack.run_job("document-rescan").await["asked_again"], 0);
    let income = json!([{"member": "applicant", "kind": "salary", "monthly_cents": 120000}]);
    let (status, submitted) = submit(&stack, &token, &id, income).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    clamd.abort();
    let _ = std::fs::remove_dir_all(&dir);
    stack.stop().await;
}
