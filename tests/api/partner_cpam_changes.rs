//! The CPAM changes an organisation's size (the limit of gestionnaires follows) and a
//! gestionnaire's address (a new activation link to the new address) and civility.

use crate::helpers::*;
use crate::helpers_partnerx::*;
use serde_json::json;

#[tokio::test]
async fn the_manager_limit_follows_the_members() {
    let stack = TestStack::start().await;
    let (pid, _, admin) = partner_of(&stack, "UDAF Taille", "alix@udaf-taille.fr", false).await;
    let base = format!("/api/agent/partners/{pid}");
    // 12 members: 3 gestionnaires at most; Alix and two more.
    for name in ["b", "c"] {
        let (status, _) = stack
            .post(&format!("{base}/managers"), Some(&admin), json!({"email": format!("{name}@udaf-taille.fr"), "last_name": "Petit", "first_name": "Noé", "function": "Directeur"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let fourth = json!({"email": "d@udaf-taille.fr", "last_name": "Petit", "first_name": "Léa", "function": "Directrice"});
    let (status, refused) = stack
        .post(&format!("{base}/managers"), Some(&admin), fourth.clone())
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("manager_limit"))
    );
    let (status, org) = stack.put(&base, &admin, json!({"members": 40})).await;
    assert_eq!(
        (
            status,
            org["members"].as_u64(),
            org["manager_limit"].as_u64()
        ),
        (StatusCode::OK, Some(40), Some(5)),
        "{org}"
    );
    let (status, _) = stack
        .post(&format!("{base}/managers"), Some(&admin), fourth)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refused) = stack.put(&base, &admin, json!({"members": 0})).await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let far = stack.admin_token("adm-far", HAVRE).await;
    let (status, _) = stack.put(&base, &far, json!({"members": 3})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let trail = stack
        .audit_store()
        .for_partner(&pid)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(trail.iter().any(|e| e.action == "modify_partner"));
    stack.stop().await;
}

#[tokio::test]
async fn a_new_address_gets_a_new_activation_link() {
    let stack = TestStack::start().await;
    let old = "alix@ccas-adresse.fr";
    let (pid, token, admin) = partner_of(&stack, "CCAS Adresse", old, false).await;
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{pid}"), &admin)
        .await;
    let aid = org["accounts"][0]["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/api/agent/partners/{pid}/accounts/{aid}");
    let (status, view) = stack.put(&path, &admin, json!({"civility": "Mme"})).await;
    assert_eq!(
        (status, view["civility"].as_str(), view["status"].as_str()),
        (StatusCode::OK, Some("madame"), Some("active")),
        "{view}"
    );
    let new = "alix.robert@ccas-adresse.fr";
    let (status, view) = stack.put(&path, &admin, json!({"email": new})).await;
    assert_eq!(
        (status, view["email"].as_str(), view["status"].as_str()),
        (StatusCode::OK, Some(new), Some("pending")),
        "{view}"
    );
    // The old address no longer signs in, the old session is over, the new address activates.
    let (status, _) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": old, "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = stack.get("/api/partner/catalogue", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let link = nth_link(&stack, new, "partner_activation", 1).await;
    let (status, _) = stack
        .post(
            "/api/partner/activate",
            None,
            json!({"token": link, "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": new, "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The old address is free again; an address taken by another account is refused.
    let (status, _) = stack
        .post(&format!("/api/agent/partners/{pid}/managers"), Some(&admin), json!({"email": old, "last_name": "Robert", "first_name": "Lou", "function": "Adjoint"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refused) = stack.put(&path, &admin, json!({"email": old})).await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::CONFLICT, Some("email_taken"))
    );
    stack.stop().await;
}
