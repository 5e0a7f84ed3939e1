//! What waits for the people in a conversation: the beneficiary's renewal and the partner's
//! list and renewals say `unread_messages` when the caisse wrote something they may read and
//! have not; reading the thread clears it, their own messages never set it, and a message
//! they may not read (confidential) never shows.

use crate::helpers::*;
use crate::helpers_convo::*;
use serde_json::{json, Value};

/// `unread_messages` of the renewal as `token` reads it.
async fn renewal_unread(stack: &TestStack, id: &str, token: &str) -> Value {
    let (status, r) = stack.get(&format!("/api/renewals/{id}"), token).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r["unread_messages"].clone()
}

/// `unread_messages` of the line `id` of the organisation's list.
async fn line_unread(stack: &TestStack, partner: &str, id: &str) -> Value {
    let (status, list) = stack.get("/api/partner/requests", partner).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == id))
        .map(|i| i["unread_messages"].clone())
        .unwrap_or_else(|| panic!("{id} not in the list: {list}"))
}

#[tokio::test]
async fn the_beneficiary_is_told_of_what_waits_for_them_at_their_level() {
    let stack = TestStack::start().await;
    let (level1, id, _) = stack.submitted_renewal(ROUEN, 61).await;
    let level2 = stack.step_up(&level1).await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let mine = format!("/api/renewals/{id}/messages");
    let theirs = format!("/api/agent/renewals/{id}/messages");
    assert_eq!(renewal_unread(&stack, &id, &level1).await, false);

    // Their own message waits for nobody on their side.
    said(&stack, &mine, &level1, "Bonjour, une question.", json!({})).await;
    assert_eq!(renewal_unread(&stack, &id, &level2).await, false);

    // The caisse answers: it waits at both levels until read.
    said(&stack, &theirs, &agent, "Bien reçu.", json!({})).await;
    assert_eq!(renewal_unread(&stack, &id, &level1).await, true);
    assert_eq!(renewal_unread(&stack, &id, &level2).await, true);
    texts(&stack, &mine, &level1).await;
    assert_eq!(renewal_unread(&stack, &id, &level1).await, false);
    assert_eq!(renewal_unread(&stack, &id, &level2).await, false);

    // A confidential message waits at level 2 only, and reading at level 1 does not read it.
    said(
        &stack,
        &theirs,
        &agent,
        "Votre participation sera recalculée.",
        json!({"confidential": true}),
    )
    .await;
    assert_eq!(renewal_unread(&stack, &id, &level1).await, false);
    texts(&stack, &mine, &level1).await;
    assert_eq!(renewal_unread(&stack, &id, &level2).await, true);
    assert_eq!(texts(&stack, &mine, &level2).await.len(), 3);
    assert_eq!(renewal_unread(&stack, &id, &level2).await, false);
    stack.stop().await;
}

#[tokio::test]
async fn the_partner_is_told_of_the_caisses_messages_on_its_requests_and_renewals() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS Lu", "alix@ccas-lu.fr")
        .await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;

    // A signalement: the agent's message waits until the organisation reads the thread;
    // its own messages never set it.
    let rid = file_report(&stack, &partner).await;
    let ours = format!("/api/partner/requests/{rid}/messages");
    assert_eq!(line_unread(&stack, &partner, &rid).await, false);
    said(
        &stack,
        &ours,
        &partner,
        "Avez-vous reçu le dossier ?",
        json!({}),
    )
    .await;
    assert_eq!(line_unread(&stack, &partner, &rid).await, false);
    said(
        &stack,
        &format!("/api/agent/reports/{rid}/messages"),
        &agent,
        "Oui, il est en cours.",
        json!({}),
    )
    .await;
    assert_eq!(line_unread(&stack, &partner, &rid).await, true);
    assert_eq!(texts(&stack, &ours, &partner).await.len(), 2);
    assert_eq!(line_unread(&stack, &partner, &rid).await, false);

    // A renewal it filed and submitted for someone: the same, on its line and its answer.
    let id = filed_and_submitted(&stack, &partner, 58).await;
    let theirs = format!("/api/agent/renewals/{id}/messages");
    said(
        &stack,
        &theirs,
        &agent,
        "Il manque un justificatif ?",
        json!({}),
    )
    .await;
    assert_eq!(line_unread(&stack, &partner, &id).await, true);
    assert_eq!(renewal_unread(&stack, &id, &partner).await, true);
    texts(&stack, &format!("/api/renewals/{id}/messages"), &partner).await;
    assert_eq!(line_unread(&stack, &partner, &id).await, false);
    assert_eq!(renewal_unread(&stack, &id, &partner).await, false);

    // A confidential message is not for a partner that is not guardian: nothing waits.
    said(
        &stack,
        &theirs,
        &agent,
        "Pour la personne seulement.",
        json!({"confidential": true}),
    )
    .await;
    assert_eq!(line_unread(&stack, &partner, &id).await, false);
    assert_eq!(renewal_unread(&stack, &id, &partner).await, false);
    stack.stop().await;
}
