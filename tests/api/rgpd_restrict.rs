//! Limitation of processing (RGPD art. 18): while it holds, the person's files are in no
//! agent's queue (listed apart for the DPO), get no reminder and are not exported; retention
//! still runs; lifted, all goes on.

use crate::helpers::*;
use crate::helpers_rgpd::*;
use serde_json::json;

#[tokio::test]
async fn a_limited_file_leaves_the_queue_and_the_export_until_lifted() {
    let stack = TestStack::start().await;
    let (_, open, open_nir) = stack.submitted_renewal(ROUEN, 62).await;
    let (_, decided, decided_nir) = stack.submitted_renewal(ROUEN, 63).await;
    let (_, other, _) = stack.submitted_renewal(ROUEN, 64).await;
    let instructeur = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    stack
        .decide(&instructeur, &decided, json!({"outcome": "free"}))
        .await;
    let token = dpo(&stack, ROUEN).await;
    for nir in [&open_nir, &decided_nir] {
        let answer = dpo_call(
            &stack,
            &token,
            "/api/agent/rgpd/restrict",
            json!({"nir": nir, "reason": "Exactitude contestée"}),
        )
        .await;
        assert_eq!(
            (answer["restricted"].as_bool(), answer["renewals"].as_u64()),
            (Some(true), Some(1))
        );
    }

    // Out of every queue, the others stay; the DPO sees them apart.
    let queue = queue_ids(&stack, &instructeur).await;
    assert!(
        queue.contains(&other) && !queue.contains(&open),
        "{queue:?}"
    );
    let superviseur = stack.agent_token("S1", ROUEN, &["superviseur"]).await;
    let (_, submitted) = stack
        .get("/api/agent/renewals?status=submitted", &superviseur)
        .await;
    assert!(!ids(&submitted).contains(&open));
    let (status, apart) = stack.get("/api/agent/rgpd/restricted", &token).await;
    assert_eq!(status, StatusCode::OK, "{apart}");
    let mut listed = ids(&apart);
    listed.sort();
    let mut expected = vec![open.clone(), decided.clone()];
    expected.sort();
    assert_eq!(listed, expected);

    // Not exported: the decision waits.
    let report = stack.run_job("sync-out").await;
    assert_eq!(
        (report["exported"].as_u64(), report["restricted"].as_u64()),
        (Some(0), Some(1)),
        "{report}"
    );
    assert!(stack.outbound_files().await.is_empty());

    // A bad body is refused, whatever the person.
    let (status, body) = stack
        .post(
            "/api/agent/rgpd/restrict",
            Some(&token),
            json!({"nir": open_nir, "reason": "  "}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );

    // Lifted: back in the queue, exported once.
    for nir in [&open_nir, &decided_nir] {
        let answer = dpo_call(
            &stack,
            &token,
            "/api/agent/rgpd/restrict/lift",
            json!({"nir": nir}),
        )
        .await;
        assert_eq!(answer["restricted"].as_bool(), Some(false));
    }
    assert!(queue_ids(&stack, &instructeur).await.contains(&open));
    let report = stack.run_job("sync-out").await;
    assert_eq!(report["exported"].as_u64(), Some(1), "{report}");
    stack
        .assert_exported_once(std::slice::from_ref(&decided))
        .await;
    let (_, apart) = stack.get("/api/agent/rgpd/restricted", &token).await;
    assert!(ids(&apart).is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn a_limited_draft_gets_no_reminder_but_is_still_purged() {
    let stack = TestStack::start().await;
    let (_, limited, nir, email) = with_draft(&stack, HAVRE, 65).await;
    let (_, free, _, free_email) = with_draft(&stack, HAVRE, 66).await;
    let token = dpo(&stack, HAVRE).await;
    dpo_call(
        &stack,
        &token,
        "/api/agent/rgpd/restrict",
        json!({"nir": nir, "reason": "Demande écrite"}),
    )
    .await;
    stack.age_renewal(&limited, 15).await;
    stack.age_renewal(&free, 15).await;
    let report = stack.run_job("reminders").await;
    assert_eq!(report["drafts_idle"].as_u64(), Some(2), "{report}");
    stack.wait_for_message(&free_email, "draft_idle").await;
    assert!(!was_sent(&stack, &email, "draft_idle").await);

    // Retention runs all the same: a draft untouched for 6 months goes.
    stack
        .age_renewal_to(&limited, today() - time::Duration::days(200), false)
        .await;
    let report = stack.run_job("purge").await;
    assert_eq!(report["dispatched"]["draft"].as_u64(), Some(1), "{report}");
    let store = stack.renewal_store();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while store.load(&limited).await.unwrap().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the limited draft was never purged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    stack.stop().await;
}
