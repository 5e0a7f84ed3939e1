//! The partner space, first part: organisations and conventions, gestionnaires within the
//! size rule, activation links through the outbox, passwords, conditions of use, techniciens,
//! lockout, deactivation rules, the habilitation table, and organisation A against B.

use crate::helpers::*;
use serde_json::{json, Value};

async fn organisation(stack: &TestStack, admin: &str, name: &str, members: u32) -> String {
    let (status, org) = stack
        .post("/api/agent/partners", Some(admin), json!({"name": name, "kind": "ccas", "members": members, "caisses": [ROUEN], "convention": {"caisse": ROUEN, "start": "2025-01-01", "end": "2025-12-31"}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    org["partner_id"].as_str().unwrap_or_default().to_owned()
}

fn person(email: &str, last: &str) -> Value {
    json!({"email": email, "last_name": last, "first_name": "Camille", "function": "Conseillère", "phone": "02 35 00 00 00"})
}

#[tokio::test]
async fn accounts_follow_the_partner_convention() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P100", ROUEN).await;
    let pid = organisation(&stack, &admin, "CCAS de Rouen", 8).await;
    let managers = format!("/api/agent/partners/{pid}/managers");

    // Gestionnaires: professional addresses only, two at most for 8 members.
    let (status, body) = stack
        .post(
            &managers,
            Some(&admin),
            person("camille@gmail.com", "Martin"),
        )
        .await;
    assert_eq!(
        (status, body["fields"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_professional"))
    );
    let (status, body) = stack
        .post(
            &managers,
            Some(&admin),
            person("c.martin@ccas-rouen.fr", "Martin"),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str(), body["role"].as_str()),
        (StatusCode::CREATED, Some("pending"), Some("gestionnaire"))
    );
    let (status, body) = stack
        .post(
            &managers,
            Some(&admin),
            person("C.Martin@ccas-rouen.fr", "Martin"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("email_taken"))
    );
    let (status, _) = stack
        .post(
            &managers,
            Some(&admin),
            person("l.petit@ccas-rouen.fr", "Petit"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = stack
        .post(
            &managers,
            Some(&admin),
            person("x.third@ccas-rouen.fr", "Tiers"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str(), body["limit"].as_u64()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("manager_limit"),
            Some(2)
        )
    );

    // Activation: the link from the email, a password that follows the policy, once.
    let link = stack.activation_token("c.martin@ccas-rouen.fr").await;
    for weak in ["court", "motdepasse123", "Camille Martin 2026"] {
        let (status, body) = stack
            .post(
                "/api/partner/activate",
                None,
                json!({"token": link, "password": weak}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {body}");
    }
    let (status, body) = stack
        .post(
            "/api/partner/activate",
            None,
            json!({"token": link, "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("active")),
        "{body}"
    );
    let (status, body) = stack
        .post(
            "/api/partner/activate",
            None,
            json!({"token": link, "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_activation")),
        "a link serves once"
    );

    // Sign-in, then the conditions of use before anything else.
    let (status, body) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": "c.martin@ccas-rouen.fr", "password": "Pas le bon mot de passe"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let (status, signed) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": "C.Martin@ccas-rouen.fr", "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(
        (
            status,
            signed["role"].as_str(),
            signed["partner_id"].as_str(),
            signed["cgu_accepted"].as_bool()
        ),
        (
            StatusCode::OK,
            Some("gestionnaire"),
            Some(pid.as_str()),
            Some(false)
        )
    );
    let manager = signed["token"].as_str().unwrap_or_default().to_owned();
    let (status, body) = stack
        .post(
            "/api/partner/technicians",
            Some(&manager),
            person("t.durand@ccas-rouen.fr", "Durand"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("cgu_not_accepted"))
    );
    let (status, accepted) = stack
        .post(
            "/api/partner/cgu",
            Some(&manager),
            json!({"version": "2026-11"}),
        )
        .await;
    assert_eq!(
        (status, accepted["cgu_version"].as_str()),
        (StatusCode::OK, Some("2026-11"))
    );

    // A technicien, created by the gestionnaire; a technicien cannot create one.
    let (status, tech) = stack
        .post(
            "/api/partner/technicians",
            Some(&manager),
            person("t.durand@ccas-rouen.fr", "Durand"),
        )
        .await;
    assert_eq!(
        (status, tech["role"].as_str()),
        (StatusCode::CREATED, Some("technicien"))
    );
    let technicien = stack.activate_partner("t.durand@ccas-rouen.fr").await;
    let (status, _) = stack
        .post(
            "/api/partner/technicians",
            Some(&technicien),
            person("z.autre@ccas-rouen.fr", "Autre"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Five failures lock the technicien; the gestionnaire unlocks.
    for _ in 0..5 {
        let (status, _) = stack
            .post(
                "/api/auth/partner",
                None,
                json!({"email": "t.durand@ccas-rouen.fr", "password": "Mauvais mot de passe"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": "t.durand@ccas-rouen.fr", "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::LOCKED, Some("account_locked"))
    );
    let tech_id = tech["account_id"].as_str().unwrap_or_default();
    let (status, _) = stack
        .post(
            &format!("/api/partner/accounts/{tech_id}/unlock"),
            Some(&manager),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": "t.durand@ccas-rouen.fr", "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The last active gestionnaire stays; the CPAM deactivates gestionnaires, not a gestionnaire.
    let manager_id = signed["account_id"].as_str().unwrap_or_default().to_owned();
    let (status, body) = stack
        .post(
            &format!("/api/partner/accounts/{manager_id}/deactivate"),
            Some(&manager),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("last_manager"))
    );
    let (status, body) = stack
        .post(
            &format!("/api/agent/partners/{pid}/accounts/{manager_id}/deactivate"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("last_manager"))
    );

    // With a second active gestionnaire, the CPAM deactivates the first: effective at once
    // for its token, while the technicien it created keeps working.
    let second = stack.activate_partner("l.petit@ccas-rouen.fr").await;
    let (status, _) = stack
        .post(
            &format!("/api/agent/partners/{pid}/accounts/{manager_id}/deactivate"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = stack.get("/api/partner/accounts", &manager).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("account_inactive"))
    );
    let (status, _) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": "t.durand@ccas-rouen.fr", "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "techniciens stay when their creator leaves"
    );
    let (status, _) = stack
        .post(
            &format!("/api/partner/accounts/{tech_id}/deactivate"),
            Some(&second),
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a gestionnaire deactivates a technicien"
    );

    // The habilitation table, for the gestionnaire and for the CPAM.
    let resp = stack
        .http
        .get(format!("{}/api/partner/habilitations.csv", stack.url))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let csv = resp.text().await.unwrap_or_default();
    assert!(csv.starts_with("organisme;identifiant;nom;prénom"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.contains("\"deactivated\"") && csv.contains("\"Durand\""));
    let (status, _) = stack
        .call(
            reqwest::Method::GET,
            &format!("/api/agent/partners/{pid}/habilitations.csv"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    stack.stop().await;
}

#[tokio::test]
async fn organisation_a_cannot_touch_organisation_b_and_fraud_stops_everyone() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P100", ROUEN).await;
    let a = organisation(&stack, &admin, "UDAF A", 30).await;
    let b = organisation(&stack, &admin, "Mission locale B", 5).await;
    stack
        .post(
            &format!("/api/agent/partners/{a}/managers"),
            Some(&admin),
            person("g@udaf-a.fr", "Alpha"),
        )
        .await;
    let (_, gb) = stack
        .post(
            &format!("/api/agent/partners/{b}/managers"),
            Some(&admin),
            person("g@ml-b.fr", "Beta"),
        )
        .await;
    let manager_a = stack.activate_partner("g@udaf-a.fr").await;
    let _manager_b = stack.activate_partner("g@ml-b.fr").await;
    let b_account = gb["account_id"].as_str().unwrap_or_default();
    for path in [
        format!("/api/partner/accounts/{b_account}/deactivate"),
        format!("/api/partner/accounts/{b_account}/unlock"),
    ] {
        let (status, _) = stack.post(&path, Some(&manager_a), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = stack.get("/api/partner/accounts", &manager_a).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    assert!(
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|account| account["partner_id"] == json!(a)),
        "{list}"
    );
    // An admin of another caisse does not see the organisation.
    let other = stack.admin_token("P9", HAVRE).await;
    let (status, _) = stack.get(&format!("/api/agent/partners/{a}"), &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without the role: 403.
    let instructeur = stack.agent_token("I1", ROUEN, &["instructeur"]).await;
    let (status, _) = stack
        .get(&format!("/api/agent/partners/{a}"), &instructeur)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Fraud: the whole organisation at once, tokens already issued included.
    let (status, body) = stack
        .post(
            &format!("/api/agent/partners/{a}/deactivate"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["accounts_deactivated"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let (status, _) = stack.get("/api/partner/accounts", &manager_a).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": "g@udaf-a.fr", "password": PARTNER_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    stack.stop().await;
}
