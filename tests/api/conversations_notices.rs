//! Who is told of an agent's message on a renewal: the beneficiary always, and the partner
//! account that filed or took it up as the beneficiary is, with a link and a first name only,
//! for what it may read.

use crate::helpers::*;
use crate::helpers_convo::*;
use crate::helpers_partnerx::sent_of_kind;
use serde_json::json;

/// The bodies of the `message` notices sent to `address`, once there are `count`.
async fn told(stack: &TestStack, address: &str, count: usize) -> Vec<String> {
    sent_of_kind(stack, address, "message", count)
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_partner_acting_on_a_renewal_is_told_of_the_caisses_messages() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS Averti", "alix@ccas-averti.fr")
        .await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let id = filed_and_submitted(&stack, &partner, 57).await;
    let theirs = format!("/api/agent/renewals/{id}/messages");

    said(
        &stack,
        &theirs,
        &agent,
        "Le dossier est complet.",
        json!({}),
    )
    .await;
    let first = &told(&stack, "alix@ccas-averti.fr", 1).await[0];
    assert!(
        first.contains("Bonjour Alix") && first.contains("/partenaire/historique"),
        "{first}"
    );
    assert!(!first.contains("complet"), "{first}");

    // A confidential message is not the partner's to read: it is not told of it (the open
    // one after it is).
    let secret = json!({"confidential": true});
    said(
        &stack,
        &theirs,
        &agent,
        "Pour la personne seulement.",
        secret,
    )
    .await;
    said(
        &stack,
        &theirs,
        &agent,
        "Décision sous huit jours.",
        json!({}),
    )
    .await;
    assert_eq!(told(&stack, "alix@ccas-averti.fr", 2).await.len(), 2);
    stack.stop().await;
}
