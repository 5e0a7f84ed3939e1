//! The DPO's register of data-subject requests: each call makes or updates an entry, due one
//! month after receipt (RGPD art. 12.3), of the DPO's own caisse only.

use crate::helpers::*;
use crate::helpers_rgpd::*;
use serde_json::json;

#[tokio::test]
async fn every_dpo_call_lands_in_the_register_due_a_month_later() {
    let stack = TestStack::start().await;
    let (_, _, nir) = stack.submitted_renewal(ROUEN, 61).await;
    let token = dpo(&stack, ROUEN).await;
    assert!(register(&stack, &token).await.is_empty());

    dpo_call(
        &stack,
        &token,
        "/api/agent/rgpd/access",
        json!({"nir": nir}),
    )
    .await;
    dpo_call(
        &stack,
        &token,
        "/api/agent/rgpd/restrict",
        json!({"nir": nir, "reason": "Contestation de l'exactitude"}),
    )
    .await;
    let items = register(&stack, &token).await;
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("access", "done"), ("restriction", "in_effect")]);
    let today = today();
    for item in &items {
        assert_eq!(
            item["received_on"],
            json!(c2s_domain::dates::format_date(today))
        );
        assert_eq!(
            item["due_on"],
            json!(c2s_domain::dates::format_date(
                c2s_domain::dates::add_months(today, 1)
            ))
        );
        assert!(item["id"].as_str().is_some_and(|id| !id.is_empty()));
        // Never the person: neither their NIR nor its hash.
        assert_eq!(item.as_object().map(|o| o.len()), Some(5), "{item}");
    }
    // Lifting updates the limitation's entry, it makes no new one.
    dpo_call(
        &stack,
        &token,
        "/api/agent/rgpd/restrict/lift",
        json!({"nir": nir}),
    )
    .await;
    let after = register(&stack, &token).await;
    assert_eq!(after.len(), 2);
    assert_eq!(after[1]["id"], items[1]["id"]);
    assert_eq!(after[1]["status"], "lifted");

    // Each action is in the chained audit trail, about the person, never by NIR.
    let actions = actions_about(&stack, &token, &nir).await;
    assert_eq!(
        actions,
        [
            "rgpd_access",
            "rgpd_restrict",
            "rgpd_restrict_lift",
            "rgpd_access"
        ]
    );
    let audit = stack.audit_store();
    assert_eq!(
        audit.verify(ROUEN).await.unwrap(),
        c2s_platform::audit::Verification::Intact { entries: 7 }
    );

    // Another caisse's DPO sees none of it, and cannot reach the person.
    let other = dpo(&stack, HAVRE).await;
    assert!(register(&stack, &other).await.is_empty());
    let (status, _) = stack
        .post(
            "/api/agent/rgpd/restrict",
            Some(&other),
            json!({"nir": nir, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor can any other role read the register.
    let instructeur = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let (status, _) = stack.get("/api/agent/rgpd/requests", &instructeur).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor exercise any right.
    let superviseur = stack.agent_token("S1", ROUEN, &["superviseur"]).await;
    for route in [
        "access",
        "rectify",
        "restrict",
        "restrict/lift",
        "oppose",
        "erase",
    ] {
        for who in [&instructeur, &superviseur] {
            let (status, _) = stack
                .post(
                    &format!("/api/agent/rgpd/{route}"),
                    Some(who),
                    json!({"nir": nir, "reason": "x", "scope": "reminders", "changes": {"first_name": "X"}}),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{route}");
        }
    }
    // A malformed NIR is refused before any lookup.
    let (status, body) = stack
        .post(
            "/api/agent/rgpd/restrict",
            Some(&token),
            json!({"nir": "123", "reason": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    stack.stop().await;
}
