//! Retention of the partners' side (README, "Retention"): a signalement or request goes 3
//! years after it was filed or answered, an organisation 5 years after its last convention
//! ended, each with what it holds, and nothing a day early. The purge reads only what is due.

use crate::helpers::*;
use crate::helpers_retention::*;
use c2s_domain::dates::add_months;
use serde_json::Value;

#[tokio::test]
async fn requests_go_three_years_after_filing_and_organisations_five_years_after_their_last_convention(
) {
    let stack = TestStack::start().await;
    let day = today();
    let two = time::Duration::days(2);
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS Yvetot", "alix@ccas-yvetot.fr")
        .await;
    let old = signalement(&stack, &partner, "Ancienne").await;
    let recent = signalement(&stack, &partner, "Recente").await;
    age_request_to(&stack, &old, add_months(day, -36) - two).await;
    age_request_to(&stack, &recent, add_months(day, -36) + two).await;

    let (ended, _) = stack
        .onboard_partner(&admin, "CCAS Fécamp", "alix@ccas-fecamp.fr")
        .await;
    let (almost, _) = stack
        .onboard_partner(&admin, "CCAS Bolbec", "alix@ccas-bolbec.fr")
        .await;
    end_conventions_on(&stack, &ended, add_months(day, -60) - two).await;
    end_conventions_on(&stack, &almost, add_months(day, -60) + two).await;

    let report = stack.run_job("purge").await;
    assert_eq!(report["items_read"], 2, "reads only what is due: {report}");
    assert_eq!(report["dispatched"]["partner_request"], 1, "{report}");
    assert_eq!(report["dispatched"]["organisation"], 1, "{report}");

    eventually("the old request deleted", || async {
        !request_kept(&stack, &old).await
    })
    .await;
    eventually("the ended organisation deleted", || async {
        !org_kept(&stack, &ended).await
    })
    .await;
    // Its accounts and their addresses went with it: the address is free again.
    let accounts = partner_store(&stack).accounts(&ended).await.unwrap();
    assert!(accounts.is_empty(), "{accounts:?}");
    assert!(partner_store(&stack)
        .account_by_email("alix@ccas-fecamp.fr")
        .await
        .unwrap()
        .is_none());
    // Nothing not yet due was touched.
    assert!(request_kept(&stack, &recent).await);
    assert!(org_kept(&stack, &almost).await);

    // The report holds counts only.
    let key = report["report"].as_str().unwrap_or_default().to_owned();
    let text = stack
        .wait_for_object(&stack.bucket("ExchangeBucket"), &key)
        .await;
    let file: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(file["items_read"], 2);
    for personal in [old.as_str(), ended.as_str(), "Ancienne", "Fécamp", "alix@"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let again = stack.run_job("purge").await;
    assert_eq!(again["items_read"], 0, "{again}");
    stack.stop().await;
}

/// A request stored before the partners' `by_purge` existed carries no due day: the daily
/// lifecycle job, which reads every organisation anyway, gives it one, and the purge then
/// finds it.
#[tokio::test]
async fn a_request_stored_before_the_index_is_indexed_by_the_lifecycle_and_purged() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "CCAS Duclair", "alix@ccas-duclair.fr")
        .await;
    let old = signalement(&stack, &partner, "Ancienne").await;
    age_request_to(
        &stack,
        &old,
        add_months(today(), -36) - time::Duration::days(2),
    )
    .await;
    unindex_request(&stack, &pid, &old).await;
    assert_eq!(stack.run_job("purge").await["items_read"], 0);

    let lifecycle = stack.run_job("partner-lifecycle").await;
    assert_eq!(lifecycle["indexed_for_retention"], 1, "{lifecycle}");
    let report = stack.run_job("purge").await;
    assert_eq!(report["dispatched"]["partner_request"], 1, "{report}");
    eventually("the old request deleted", || async {
        !request_kept(&stack, &old).await
    })
    .await;
    assert_eq!(
        stack.run_job("partner-lifecycle").await["indexed_for_retention"],
        0
    );
    stack.stop().await;
}

/// A request goes with all it holds: its conversation (in its organisation's partition) and
/// its attachments (their records and every version of their objects), two days past the
/// boundary; two days short of it, everything stays.
#[tokio::test]
async fn a_request_goes_with_its_thread_and_its_attachments() {
    use crate::helpers_convo::say;
    use crate::helpers_partnerx::{attach, checked_attachment};
    let stack = TestStack::start().await;
    let two = time::Duration::days(2);
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "CCAS Bapeaume", "alix@ccas-bapeaume.fr")
        .await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let old = signalement(&stack, &partner, "Ancienne").await;
    let recent = signalement(&stack, &partner, "Recente").await;
    for rid in [&old, &recent] {
        let doc = attach(&stack, &partner, rid, "avis.pdf", pdf()).await;
        assert_eq!(checked_attachment(&stack, rid, &doc).await, "clean");
        let (status, body) = say(
            &stack,
            &format!("/api/partner/requests/{rid}/messages"),
            &partner,
            "Voici l'avis d'imposition.",
            serde_json::json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = say(
            &stack,
            &format!("/api/agent/reports/{rid}/messages"),
            &agent,
            "Bien reçu.",
            serde_json::json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let day = today();
    age_request_to(&stack, &old, add_months(day, -36) - two).await;
    age_request_to(&stack, &recent, add_months(day, -36) + two).await;
    for rid in [&old, &recent] {
        assert_eq!(
            thread_items(&stack, &pid, rid).await,
            3,
            "2 messages and the state"
        );
        let (records, objects) = attachments_held(&stack, rid).await;
        assert!(records == 1 && objects > 0, "{records} {objects}");
    }

    let report = stack.run_job("purge").await;
    assert_eq!(report["dispatched"]["partner_request"], 1, "{report}");
    eventually("the old request deleted", || async {
        !request_kept(&stack, &old).await
    })
    .await;
    assert_eq!(thread_items(&stack, &pid, &old).await, 0);
    assert_eq!(attachments_held(&stack, &old).await, (0, 0));
    // Nothing of the other one was touched.
    assert!(request_kept(&stack, &recent).await);
    assert_eq!(thread_items(&stack, &pid, &recent).await, 3);
    let (records, objects) = attachments_held(&stack, &recent).await;
    assert!(records == 1 && objects > 0, "{records} {objects}");
    stack.stop().await;
}
