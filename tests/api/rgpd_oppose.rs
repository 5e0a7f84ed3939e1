//! Opposition (RGPD art. 21) to what the service does by choice: no more reminders, while
//! what the law requires (the decision's notice) is still sent.

use crate::helpers::*;
use crate::helpers_rgpd::*;
use crate::helpers_supervision::chain_entries;
use serde_json::json;

#[tokio::test]
async fn after_an_opposition_no_reminder_but_the_decision_still_comes() {
    let stack = TestStack::start().await;
    let (_, opposed, nir, email) = with_draft(&stack, ROUEN, 67).await;
    let (_, free, _, free_email) = with_draft(&stack, ROUEN, 68).await;
    let token = dpo(&stack, ROUEN).await;
    let (status, body) = stack
        .post(
            "/api/agent/rgpd/oppose",
            Some(&token),
            json!({"nir": nir, "scope": "decisions"}),
        )
        .await;
    assert_eq!(
        (status, body["fields"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_enum")),
        "{body}"
    );
    let answer = dpo_call(
        &stack,
        &token,
        "/api/agent/rgpd/oppose",
        json!({"nir": nir, "scope": "reminders"}),
    )
    .await;
    assert_eq!(
        (
            answer["opposed"].as_bool(),
            answer["request"]["kind"].as_str()
        ),
        (Some(true), Some("opposition"))
    );
    stack.age_renewal(&opposed, 15).await;
    stack.age_renewal(&free, 15).await;
    let report = stack.run_job("reminders").await;
    assert_eq!(report["drafts_idle"].as_u64(), Some(2), "{report}");
    stack.wait_for_message(&free_email, "draft_idle").await;
    assert!(!was_sent(&stack, &email, "draft_idle").await);

    // What the law requires goes on: an opposed person's file is instructed, decided, told
    // of its decision and sent to the national system.
    let (_, file, file_nir) = stack.submitted_renewal(ROUEN, 69).await;
    dpo_call(
        &stack,
        &token,
        "/api/agent/rgpd/oppose",
        json!({"nir": file_nir, "scope": "reminders"}),
    )
    .await;
    let instructeur = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    assert!(queue_ids(&stack, &instructeur).await.contains(&file));
    stack
        .decide(&instructeur, &file, json!({"outcome": "free"}))
        .await;
    // `submitted_renewal`'s person writes from this address; no one else here does.
    let told = stack
        .wait_for_message("claire.martin@exemple.fr", "decision")
        .await;
    let body = told["body"].as_str().unwrap_or_default();
    assert!(body.contains("/suivi"), "{body}");
    let report = stack.run_job("sync-out").await;
    assert_eq!(report["exported"].as_u64(), Some(1), "{report}");
    stack
        .assert_exported_once(std::slice::from_ref(&file))
        .await;
    let items = register(&stack, &token).await;
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("opposition", "in_effect"), ("opposition", "in_effect")]
    );
    let oppositions = chain_entries(&stack, ROUEN, "rgpd_oppose").await;
    assert_eq!(oppositions.len(), 2, "each opposition in the audit trail");
    stack.stop().await;
}
