//! Retention of decided files that the national system never acknowledged (README,
//! "Retention"): an `approved` or `exported` file is closed for retention on its decision,
//! so it loses its details 3 years later and goes whole 5 years later, like a closed file;
//! its agents' notes go with its details. Two days either side of each boundary.

use crate::helpers::*;
use crate::helpers_retention::*;
use c2s_domain::dates::add_months;
use serde_json::json;

/// A file of Rouen, decided (approved), with one agent's note; (id, agent token).
async fn approved_with_note(stack: &TestStack, yy: u8) -> (String, String) {
    decided_with_note(
        stack,
        yy,
        json!({"outcome": "free", "reason_code": "eligible"}),
    )
    .await
}

/// A file of Rouen with one agent's note, then `decision`; (id, agent token).
async fn decided_with_note(
    stack: &TestStack,
    yy: u8,
    decision: serde_json::Value,
) -> (String, String) {
    let (_, id, _) = stack.submitted_renewal(ROUEN, yy).await;
    let agent = stack.agent_token("R7", ROUEN, &["instructeur"]).await;
    let (_, claimed) = stack.claim(&agent, &id).await;
    let (status, note) = stack
        .post(
            &format!("/api/agent/renewals/{id}/notes"),
            Some(&agent),
            json!({"text": "Appel du bénéficiaire le matin.", "version": claimed["version"]}),
        )
        .await;
    assert!(status.is_success(), "{note}");
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{id}"), &agent)
        .await;
    let mut body = decision;
    body["version"] = file["version"].clone();
    let (status, d) = stack
        .post(
            &format!("/api/agent/renewals/{id}/decision"),
            Some(&agent),
            body,
        )
        .await;
    assert!(status.is_success(), "{d}");
    (id, agent)
}

#[tokio::test]
async fn decided_files_never_acknowledged_are_purged_on_the_closed_files_clock() {
    let stack = TestStack::start().await;
    let (old_approved, agent) = approved_with_note(&stack, 61).await;
    let (recent_approved, _) = approved_with_note(&stack, 62).await;
    // A message on each: the conversation goes with the details, on the same clock.
    let thread = |id: &str| format!("/api/agent/renewals/{id}/messages");
    for id in [&old_approved, &recent_approved] {
        let (status, posted) = stack
            .post(
                &thread(id),
                Some(&agent),
                json!({"text": "Votre dossier est accordé."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{posted}");
    }
    let (old_exported, _) = approved_with_note(&stack, 63).await;
    let (recent_exported, _) = approved_with_note(&stack, 64).await;
    // The two last go out in the decisions file, and no acknowledgement ever comes.
    stack.run_job("sync-out").await;
    let store = stack.renewal_store();
    for id in [&old_exported, &recent_exported] {
        let (r, _) = store.load(id).await.ok().flatten().unwrap();
        assert_eq!(r.status.as_str(), "exported", "{id}");
    }
    stack
        .age_either_side(&old_approved, &recent_approved, 36, false)
        .await;
    stack
        .age_either_side(&old_exported, &recent_exported, 60, true)
        .await;

    let report = stack.run_job("purge").await;
    assert_eq!(report["items_read"], 2, "reads only what is due: {report}");
    assert_eq!(report["dispatched"]["details"], 1, "{report}");
    assert_eq!(report["dispatched"]["all"], 1, "{report}");

    eventually("the old exported file deleted", || async {
        store.load(&old_exported).await.ok().flatten().is_none()
    })
    .await;
    eventually("the old approved file's details deleted", || async {
        store
            .load(&old_approved)
            .await
            .ok()
            .flatten()
            .is_some_and(|(r, _)| r.details_purged)
    })
    .await;
    // Its notes went with its details; identification and the decision stay.
    assert!(store.notes(&old_approved).await.unwrap().is_empty());
    let (r, _) = store.load(&old_approved).await.ok().flatten().unwrap();
    assert!(r.form.resources.is_none() && r.decision.is_some());
    // Nothing not yet due was touched, notes included.
    let (r, _) = store.load(&recent_approved).await.ok().flatten().unwrap();
    assert!(!r.details_purged);
    assert_eq!(store.notes(&recent_approved).await.unwrap().len(), 1);
    let messages = |id: String| {
        let (stack, agent, path) = (&stack, &agent, thread(&id));
        async move {
            stack.get(&path, agent).await.1["items"]
                .as_array()
                .map(Vec::len)
        }
    };
    assert_eq!(messages(old_approved.clone()).await, Some(0));
    assert_eq!(messages(recent_approved.clone()).await, Some(1));
    assert!(store.load(&recent_exported).await.ok().flatten().is_some());
    stack.stop().await;
}

/// A closed (rejected) file's agents' notes and its conversation are "other data" (3 years):
/// the 3-year step takes them with the resources and documents.
#[tokio::test]
async fn a_closed_files_notes_and_messages_go_with_its_details() {
    let stack = TestStack::start().await;
    let (id, agent) = decided_with_note(
        &stack,
        65,
        json!({"outcome": "rejected", "reason_code": "over_ceiling"}),
    )
    .await;
    let store = stack.renewal_store();
    assert_eq!(store.notes(&id).await.unwrap().len(), 1);
    // The conversation is other data too.
    let thread = format!("/api/agent/renewals/{id}/messages");
    let (status, posted) = stack
        .post(
            &thread,
            Some(&agent),
            json!({"text": "Votre dossier a été étudié."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    stack
        .age_renewal_to(
            &id,
            add_months(today(), -36) - time::Duration::days(2),
            false,
        )
        .await;
    // Straight through the worker, as the queue would run it.
    let (env, clients) = stack.function("PurgeWorkerFunction");
    let app = purge_worker::App::from_env(&env, &clients).unwrap();
    let done = purge_worker::purge(&app, &id, c2s_platform::renewals::PurgeStage::Details).await;
    assert!(
        matches!(done, Ok(purge_worker::Outcome::Purged { .. })),
        "{done:?}"
    );
    assert!(store.notes(&id).await.unwrap().is_empty());
    let (status, left) = stack.get(&thread, &agent).await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(
        left["items"],
        json!([]),
        "the messages went with the details"
    );
    stack.stop().await;
}
