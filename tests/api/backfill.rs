//! Upgrading a live stack (README, "Mise à niveau"): items written before `by_receipt`
//! (renewals), `by_identity` (profiles) and `by_caisse_priority` (partner requests) lack the
//! attribute these indexes read. The purge function's backfill mode gives renewals and
//! profiles theirs, the daily partner lifecycle the requests theirs; each finds nothing left
//! to do when run again, and changes nothing else (no version, no counter).

use crate::helpers::*;
use crate::helpers_backfill::*;
use crate::helpers_retention::{partner_store, signalement};
use serde_json::json;

#[tokio::test]
async fn items_stored_before_the_search_and_priority_indexes_are_backfilled_once() {
    let stack = TestStack::start().await;
    let (_, id, nir) = stack.submitted_renewal(ROUEN, 74).await;
    let (_, fresh, _) = stack.submitted_renewal(ROUEN, 75).await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{id}"), &agent)
        .await;
    let receipt = file["receipt"]["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "CCAS Maromme", "alix@ccas-maromme.fr")
        .await;
    let rid = signalement(&stack, &partner, "Ancienne").await;

    // As written before the indexes: each item without the attribute its index reads.
    let nir_hash = stack
        .renewal_store()
        .load(&id)
        .await
        .unwrap()
        .unwrap()
        .0
        .nir_hash;
    strip(&stack, "RenewalsTable", &id, "renewal", "receipt_number").await;
    strip(
        &stack,
        "BeneficiariesTable",
        &nir_hash,
        "profile",
        "identity_key",
    )
    .await;
    strip(
        &stack,
        "PartnersTable",
        &format!("org#{pid}"),
        &format!("request#{rid}"),
        "req_priority",
    )
    .await;
    let by_receipt = json!({"receipt": receipt});
    let by_identity = json!({"last_name": "Martin", "birth_date": "1974-03-10"});
    assert!(found(&stack, &agent, by_receipt.clone()).await.is_empty());
    assert!(found(&stack, &agent, by_identity.clone()).await.is_empty());
    assert!(!listed_requests(&stack, &agent).await.contains(&rid));
    let before = stack.renewal_store().load(&id).await.unwrap().unwrap().0;
    let request_before = partner_store(&stack).request(&rid).await.unwrap().unwrap();
    let (_, stats_before) = stack
        .get(
            "/api/agent/stats",
            &stack.agent_token("S1", ROUEN, &["superviseur"]).await,
        )
        .await;

    let report = backfill(&stack).await;
    assert_eq!(
        (
            report["receipt_number"].as_u64(),
            report["identity_key"].as_u64()
        ),
        (Some(1), Some(1)),
        "{report}"
    );
    let lifecycle = stack.run_job("partner-lifecycle").await;
    assert_eq!(lifecycle["indexed_for_retention"], 1, "{lifecycle}");

    assert_eq!(
        found(&stack, &agent, by_receipt).await,
        std::slice::from_ref(&id)
    );
    assert_eq!(
        found(&stack, &agent, by_identity).await,
        std::slice::from_ref(&id)
    );
    assert_eq!(
        found(&stack, &agent, json!({"nir": nir})).await,
        std::slice::from_ref(&id)
    );
    assert!(listed_requests(&stack, &agent).await.contains(&rid));
    // Nothing else moved: the renewal's version, the request's, the dashboard's counters.
    let after = stack.renewal_store().load(&id).await.unwrap().unwrap().0;
    assert_eq!(after.version, before.version);
    let request = partner_store(&stack).request(&rid).await.unwrap().unwrap();
    assert_eq!(request.version, request_before.version);
    let (_, stats_after) = stack
        .get(
            "/api/agent/stats",
            &stack.agent_token("S1", ROUEN, &["superviseur"]).await,
        )
        .await;
    assert_eq!(stats_after["by_status"], stats_before["by_status"]);
    // The untouched file was left as it was, and a second run finds nothing to do.
    assert!(stack.renewal_store().load(&fresh).await.unwrap().is_some());
    let again = backfill(&stack).await;
    assert_eq!(
        (
            again["receipt_number"].as_u64(),
            again["identity_key"].as_u64()
        ),
        (Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(
        stack.run_job("partner-lifecycle").await["indexed_for_retention"],
        0
    );
    stack.stop().await;
}
