//! The retention purge, run with `POST /dev/run/purge`: with data on both sides of each
//! boundary (6 months for an abandoned draft, 3 years for resources, household and
//! documents, 5 years for the rest), only what is due goes, documents with it, and the
//! report counts without personal data.

use crate::helpers::*;
use c2s_domain::dates::add_months;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn draft(stack: &TestStack, yy: u8) -> (String, String) {
    let nir = fresh_nir(yy, 8);
    let birth = format!("19{yy:02}-08-08");
    stack
        .import(
            &format!("p{}.jsonl", &nir[5..13]),
            &[beneficiary(&nir, &birth, "PURGE001", HAVRE, &months_from_today(2)).to_string()],
        )
        .await;
    let token = stack.sign_in(&nir, &birth, "PURGE001").await;
    let (_, r) = stack.post("/api/renewals", Some(&token), json!({})).await;
    (token, r["id"].as_str().unwrap_or_default().to_owned())
}

async fn withdrawn_with_document(stack: &TestStack, yy: u8) -> (String, String, String) {
    let (token, id) = draft(stack, yy).await;
    let form = json!({"version": 1, "household": [], "resources": [{"member": "applicant", "kind": "salary", "monthly_cents": 50000}], "housing": {"status": "tenant"}, "manager": "caisse"});
    stack
        .put(&format!("/api/renewals/{id}"), &token, form)
        .await;
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;
    stack.checked_document(&token, &id, &doc).await;
    let (status, _) = stack
        .post(
            &format!("/api/renewals/{id}/withdraw"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    (token, id, doc)
}

#[tokio::test]
async fn only_what_is_due_is_deleted_everywhere() {
    let stack = TestStack::start().await;
    let day = today();
    let two = time::Duration::days(2);
    let (old_draft_token, old_draft) = draft(&stack, 41).await;
    let (_, recent_draft) = draft(&stack, 42).await;
    let (_, old_closed, old_doc) = withdrawn_with_document(&stack, 43).await;
    let (_, recent_closed, recent_doc) = withdrawn_with_document(&stack, 44).await;
    let (_, ancient, _) = withdrawn_with_document(&stack, 45).await;
    let (_, almost_ancient, _) = withdrawn_with_document(&stack, 46).await;
    stack
        .age_renewal_to(&old_draft, add_months(day, -6) - two, false)
        .await;
    stack
        .age_renewal_to(&recent_draft, add_months(day, -6) + two, false)
        .await;
    stack
        .age_renewal_to(&old_closed, add_months(day, -36) - two, false)
        .await;
    stack
        .age_renewal_to(&recent_closed, add_months(day, -36) + two, false)
        .await;
    stack
        .age_renewal_to(&ancient, add_months(day, -60) - two, true)
        .await;
    stack
        .age_renewal_to(&almost_ancient, add_months(day, -60) + two, true)
        .await;

    let report = stack.run_job("purge").await;
    assert_eq!(report["items_read"], 3, "reads only what is due: {report}");
    assert_eq!(
        report["dispatched"],
        json!({"all": 1, "details": 1, "draft": 1})
    );

    // The workers delete, through the queue.
    let store = stack.renewal_store();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let gone = store.load(&old_draft).await.ok().flatten().is_none()
            && store.load(&ancient).await.ok().flatten().is_none();
        let details = store
            .load(&old_closed)
            .await
            .ok()
            .flatten()
            .is_some_and(|(r, d)| r.details_purged && d.is_empty());
        if gone && details {
            break;
        }
        assert!(Instant::now() < deadline, "the purge never completed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The 3-year step: resources and documents gone (from S3 too), identification kept.
    let (r, _) = store
        .load(&old_closed)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("kept"));
    assert!(r.form.resources.is_none() && r.form.household.is_none());
    assert_eq!(r.applicant.last_name.as_str(), "Martin");
    assert!(!stack.document_exists(&old_closed, &old_doc).await);
    // Nothing not yet due was touched.
    for id in [&recent_draft, &recent_closed, &almost_ancient] {
        assert!(
            store.load(id).await.ok().flatten().is_some(),
            "{id} must be kept"
        );
    }
    let (r, docs) = store
        .load(&recent_closed)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("kept"));
    assert!(!r.details_purged && r.form.resources.is_some() && docs.len() == 1);
    assert!(stack.document_exists(&recent_closed, &recent_doc).await);
    // The abandoned draft freed the slot: its beneficiary may start again.
    let (status, _) = stack
        .post("/api/renewals", Some(&old_draft_token), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // The report in the exchange bucket: counts, no personal data; a second run finds nothing.
    let key = report["report"].as_str().unwrap_or_default().to_owned();
    let text = stack
        .wait_for_object(&stack.bucket("ExchangeBucket"), &key)
        .await;
    let file: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(file["items_read"], 3);
    assert!(!text.contains(&old_draft) && !text.contains("Martin"));
    let again = stack.run_job("purge").await;
    assert_eq!(again["items_read"], 0);
    stack.stop().await;
}
