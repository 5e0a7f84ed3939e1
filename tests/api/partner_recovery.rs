//! No dead end in partner accounts: an activation link reissued voids the one before (the
//! CPAM for gestionnaires, a gestionnaire for techniciens), and "Mot de passe oublié" sends a
//! one-hour, single-use link whether or not anyone asks about a real address.

use crate::helpers::*;
use crate::helpers_partnerx::*;
use serde_json::json;

#[tokio::test]
async fn a_reissued_activation_link_voids_the_one_before() {
    let stack = TestStack::start().await;
    let (pid, gestionnaire, admin) =
        partner_of(&stack, "CCAS Relance", "alix@ccas-relance.fr", false).await;
    // A second gestionnaire whose first link is lost.
    let email = "noe@ccas-relance.fr";
    let (status, created) = stack
        .post(
            &format!("/api/agent/partners/{pid}/managers"),
            Some(&admin),
            json!({"email": email, "last_name": "Petit", "first_name": "Noé", "function": "Directeur"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let aid = created["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let first = nth_link(&stack, email, "partner_activation", 1).await;
    let reissue = format!("/api/agent/partners/{pid}/accounts/{aid}/reissue");
    // Only the CPAM reissues a gestionnaire's link, and only its own caisse's admins.
    let far = stack.admin_token("adm-far", HAVRE).await;
    let (status, _) = stack.post(&reissue, Some(&far), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = stack
        .post(
            &format!("/api/partner/accounts/{aid}/reissue"),
            Some(&gestionnaire),
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a gestionnaire reissues only techniciens' links"
    );
    let (status, view) = stack.post(&reissue, Some(&admin), json!({})).await;
    assert_eq!(
        (status, view["status"].as_str()),
        (StatusCode::OK, Some("pending")),
        "{view}"
    );
    let second = nth_link(&stack, email, "partner_activation", 2).await;
    assert_ne!(first, second);
    only_the_last_link_activates(&stack, &first, &second).await;
    // Once active, no more activation links.
    let (status, refused) = stack.post(&reissue, Some(&admin), json!({})).await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    // The reissue is in the caisse's audit trail.
    let trail = stack.audit_store();
    let entries = trail
        .for_partner(&pid)
        .await
        .unwrap_or_else(|e| panic!("audit chain: {e:?}"));
    assert!(entries
        .iter()
        .any(|e| e.action == "reissue_activation" && e.target == aid));

    // A gestionnaire reissues a technicien's link.
    let tech = "lou@ccas-relance.fr";
    let (status, created) = stack
        .post(
            "/api/partner/technicians",
            Some(&gestionnaire),
            json!({"email": tech, "last_name": "Martin", "first_name": "Lou", "function": "Accueil"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let tid = created["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let first = nth_link(&stack, tech, "partner_activation", 1).await;
    let (status, _) = stack
        .post(
            &format!("/api/partner/accounts/{tid}/reissue"),
            Some(&gestionnaire),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let second = nth_link(&stack, tech, "partner_activation", 2).await;
    only_the_last_link_activates(&stack, &first, &second).await;
    stack.stop().await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_by_a_link_to_the_professional_address() {
    let stack = TestStack::start().await;
    let email = "alix@ccas-oubli.fr";
    let (_, _, _) = partner_of(&stack, "CCAS Oubli", email, false).await;
    // The same answer for an address without an account, and nothing sent.
    let (known, known_body) = stack
        .post("/api/auth/partner/reset", None, json!({"email": email}))
        .await;
    let (unknown, unknown_body) = stack
        .post(
            "/api/auth/partner/reset",
            None,
            json!({"email": "personne@ccas-oubli.fr"}),
        )
        .await;
    assert_eq!(
        (known, unknown),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(known_body, unknown_body);
    let token = nth_link(&stack, email, "password_reset", 1).await;
    assert!(stack.outbox_for("personne@ccas-oubli.fr").await.is_empty());
    // The password rules hold, and a refusal leaves the link usable.
    let (status, refused) = stack
        .post(
            "/api/auth/partner/reset/confirm",
            None,
            json!({"token": token, "new_password": "court"}),
        )
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let new_password = "Quatre pies sous la pluie 2026";
    let (status, _) = stack
        .post(
            "/api/auth/partner/reset/confirm",
            None,
            json!({"token": token, "new_password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Single use.
    let (status, refused) = stack
        .post(
            "/api/auth/partner/reset/confirm",
            None,
            json!({"token": token, "new_password": new_password}),
        )
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::BAD_REQUEST, Some("invalid_activation"))
    );
    let (status, _) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": email, "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, signed) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": email, "password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    // A second request voids the first link; a reset link does not activate an account.
    stack
        .post("/api/auth/partner/reset", None, json!({"email": email}))
        .await;
    stack
        .post("/api/auth/partner/reset", None, json!({"email": email}))
        .await;
    let (older, newer) = (
        nth_link(&stack, email, "password_reset", 2).await,
        nth_link(&stack, email, "password_reset", 3).await,
    );
    let (status, _) = stack
        .post(
            "/api/auth/partner/reset/confirm",
            None,
            json!({"token": older, "new_password": "Cinq renards dans le pré 2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = stack
        .post(
            "/api/partner/activate",
            None,
            json!({"token": newer, "password": "Cinq renards dans le pré 2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    stack.stop().await;
}
