//! The retention purge, run with `POST /dev/run/purge`: with data on both sides of each
//! boundary (6 months for an abandoned draft, 3 years for resources, household and
//! documents, 5 years for the rest), only what is due goes, documents with it, and the
//! report counts without personal data.

use crate::helpers::*;
use c2s_domain::dates::add_months;
use c2s_platform::renewals::PurgeStage;
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
    let (old_draft_token, old_draft) = draft(&stack, 41).await;
    let (_, recent_draft) = draft(&stack, 42).await;
    let (_, old_closed, old_doc) = withdrawn_with_document(&stack, 43).await;
    let (_, recent_closed, recent_doc) = withdrawn_with_document(&stack, 44).await;
    let (_, ancient, _) = withdrawn_with_document(&stack, 45).await;
    let (_, almost_ancient, _) = withdrawn_with_document(&stack, 46).await;
    stack
        .age_either_side(&old_draft, &recent_draft, 6, false)
        .await;
    stack
        .age_either_side(&old_closed, &recent_closed, 36, false)
        .await;
    stack
        .age_either_side(&ancient, &almost_ancient, 60, true)
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

/// The worker's purge of one renewal and stage, built as the stack builds it (its own
/// permissions).
async fn purge_now(
    stack: &TestStack,
    id: &str,
    stage: PurgeStage,
) -> Result<purge_worker::Outcome, purge_worker::PurgeError> {
    let (env, clients) = stack.function("PurgeWorkerFunction");
    let app = purge_worker::App::from_env(&env, &clients).unwrap();
    purge_worker::purge(&app, id, stage).await
}

/// The purge, run again once the stack is back on the repository's template, finishes: every
/// version of the renewal's objects is gone.
async fn finishes(stack: &TestStack, id: &str, stage: PurgeStage) {
    let done = purge_now(stack, id, stage).await;
    assert!(
        matches!(done, Ok(purge_worker::Outcome::Purged { .. })),
        "{done:?}"
    );
    assert_eq!(
        stack
            .object_versions("DocumentsBucket", &format!("renewals/{id}/"))
            .await,
        0
    );
}

/// The purge of an abandoned draft frees the person's slot in the same step as the renewal
/// goes: when the slot cannot be freed (its table refused), the renewal is still there, and
/// the next purge finishes. Never a slot left on a renewal that is gone.
#[tokio::test]
async fn a_purge_stopped_half_way_never_leaves_the_slot_on_a_deleted_renewal() {
    let template = template_without(
        "PurgeWorkerFunction",
        "            - Effect: Allow\n              Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem]\n              Resource: !GetAtt BeneficiariesTable.Arn\n",
    );
    let stack = TestStack::start_with_template(template).await;
    let (token, id) = draft(&stack, 47).await;
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;
    stack.checked_document(&token, &id, &doc).await;
    stack
        .age_renewal_to(
            &id,
            add_months(today(), -6) - time::Duration::days(2),
            false,
        )
        .await;

    let failed = purge_now(&stack, &id, PurgeStage::Draft).await;
    assert!(failed.is_err(), "{failed:?}");
    let store = stack.renewal_store();
    let (_, me) = stack.get("/api/me", &token).await;
    if me["open_renewal_id"] == id.as_str() {
        assert!(
            store.load(&id).await.ok().flatten().is_some(),
            "the slot points at a renewal that is gone"
        );
    }

    // The table back (the repository's template): the next purge finishes.
    let stack = stack.restart().await;
    finishes(&stack, &id, PurgeStage::Draft).await;
    assert!(stack
        .renewal_store()
        .load(&id)
        .await
        .ok()
        .flatten()
        .is_none());
    let (_, me) = stack.get("/api/me", &token).await;
    assert!(me["open_renewal_id"].is_null(), "{me}");
    let (status, _) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    stack.stop().await;
}

/// The 3-year step deletes each document's record before its object: when the records
/// cannot go (refused), every record left still has its object, and the next purge
/// finishes, objects included.
#[tokio::test]
async fn a_purge_stopped_half_way_never_deletes_an_object_before_its_record() {
    let template = template_edited(
        "PurgeWorkerFunction",
        "Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem, dynamodb:Query]",
        "Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query]",
    );
    let stack = TestStack::start_with_template(template).await;
    let (_, id, doc) = withdrawn_with_document(&stack, 48).await;
    stack
        .age_renewal_to(
            &id,
            add_months(today(), -36) - time::Duration::days(2),
            false,
        )
        .await;

    let failed = purge_now(&stack, &id, PurgeStage::Details).await;
    assert!(failed.is_err(), "{failed:?}");
    let (_, docs) = stack
        .renewal_store()
        .load(&id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("kept"));
    for d in &docs {
        assert!(
            stack.document_exists(&id, &d.document_id).await,
            "a document's record names an object that is gone"
        );
    }

    let stack = stack.restart().await;
    finishes(&stack, &id, PurgeStage::Details).await;
    let (r, docs) = stack
        .renewal_store()
        .load(&id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("kept"));
    assert!(r.details_purged && docs.is_empty());
    assert!(!stack.document_exists(&id, &doc).await);
    stack.stop().await;
}
