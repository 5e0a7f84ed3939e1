//! Data breaches (RGPD art. 33): any agent declares one, the DPO is alerted at once, and the
//! register shows the deadlines (48 h for a partner to tell the caisse, 72 h for the CNIL).

use crate::helpers::*;
use crate::helpers_rgpd::*;
use crate::helpers_supervision::chain_entries;
use serde_json::json;

#[tokio::test]
async fn a_declared_breach_alerts_the_dpo_and_shows_its_deadlines() {
    let stack = TestStack::start().await;
    let instructeur = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let (status, body) = stack
        .post(
            "/api/agent/incidents",
            Some(&instructeur),
            json!({"description": "x", "detected_at": "demain"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, created) = stack
        .post(
            "/api/agent/incidents",
            Some(&instructeur),
            json!({"description": "Liste de dossiers envoyée au mauvais destinataire", "detected_at": "2026-11-30T08:15:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["notify_caisse_by"], "2026-12-02T08:15:00Z");
    assert_eq!(created["notify_cnil_by"], "2026-12-03T08:15:00Z");
    let alert = stack
        .wait_for_message("dpo@c2s.exemple.fr", "incident")
        .await;
    assert!(
        alert["body"]
            .as_str()
            .is_some_and(|b| b.contains(ROUEN) && !b.contains("mauvais destinataire")),
        "{alert}"
    );

    let token = dpo(&stack, ROUEN).await;
    let (status, register) = stack.get("/api/agent/incidents", &token).await;
    assert_eq!(status, StatusCode::OK, "{register}");
    let items = register["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], created["id"]);
    assert_eq!(items[0]["declared_by_kind"], "agent");
    assert_eq!(items[0]["notify_cnil_by"], "2026-12-03T08:15:00Z");
    // Another caisse's DPO sees none of it; an instructeur cannot read the register.
    let other = dpo(&stack, HAVRE).await;
    let (_, theirs) = stack.get("/api/agent/incidents", &other).await;
    assert_eq!(theirs["items"], json!([]));
    let (status, _) = stack.get("/api/agent/incidents", &instructeur).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The declaration and the register's reading are in the caisse's trail.
    for done in ["incident_declared", "incidents_register"] {
        assert!(
            !chain_entries(&stack, ROUEN, done).await.is_empty(),
            "{done}"
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_partner_declares_a_breach_to_the_caisses_it_works_with() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS de Saint-Pierre", "gestion@ccas-incident.fr")
        .await;
    let (status, created) = stack
        .post(
            "/api/partner/incidents",
            Some(&partner),
            json!({"description": "Ordinateur portable volé", "detected_at": "2026-12-01T18:00:00+01:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["notify_caisse_by"], "2026-12-03T17:00:00Z");
    assert_eq!(created["notify_cnil_by"], "2026-12-04T17:00:00Z");
    stack
        .wait_for_message("dpo@c2s.exemple.fr", "incident")
        .await;
    let token = dpo(&stack, ROUEN).await;
    let (_, register) = stack.get("/api/agent/incidents", &token).await;
    assert_eq!(register["items"][0]["id"], created["id"]);
    assert_eq!(register["items"][0]["declared_by_kind"], "partner");
    stack.stop().await;
}
