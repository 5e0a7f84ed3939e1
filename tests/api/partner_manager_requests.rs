//! A gestionnaire's requests to the CPAM about gestionnaires: another one deactivated at a
//! date 15 days ahead at least, carried out by the lifecycle job but never for the last
//! active gestionnaire; a new one, due 10 working days later; both seen by the CPAM.

use crate::helpers::*;
use crate::helpers_partnerx::*;
use aws_sdk_dynamodb::types::AttributeValue;
use c2s_domain::dates::{format_date, parse_date};
use c2s_domain::working_days::add_working_days;
use c2s_platform::partners::PartnerStore;
use serde_json::json;

/// Moves an account's requested deactivation to `today`, as if the date had come.
async fn make_due(stack: &TestStack, pid: &str, aid: &str) {
    let (env, clients) = stack.function("PartnerFunction");
    let store = PartnerStore::from_env(&env, &clients).unwrap_or_else(|e| panic!("{e:?}"));
    let mut a = store
        .account(pid, aid)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no account {aid}"));
    a.deactivation_on = Some(today());
    store
        .save_account(&mut a)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

#[tokio::test]
async fn a_gestionnaire_asks_another_to_be_deactivated_with_notice() {
    let stack = TestStack::start().await;
    let (pid, alix, admin) =
        partner_of(&stack, "CCAS Préavis", "alix@ccas-preavis.fr", false).await;
    let (status, created) = stack
        .post(
            &format!("/api/agent/partners/{pid}/managers"),
            Some(&admin),
            json!({"email": "noe@ccas-preavis.fr", "last_name": "Petit", "first_name": "Noé", "function": "Directeur"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let noe_id = created["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let noe = stack.activate_partner("noe@ccas-preavis.fr").await;
    let path = format!("/api/partner/accounts/{noe_id}/deactivation-request");
    let in_days = |n: i64| format_date(today() + time::Duration::days(n));
    let (status, refused) = stack
        .post(&path, Some(&alix), json!({"on": in_days(14)}))
        .await;
    assert_eq!(
        (status, code(&refused), refused["earliest"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("notice_too_short"),
            Some(in_days(15).as_str())
        )
    );
    let (status, asked) = stack
        .post(&path, Some(&alix), json!({"on": in_days(15)}))
        .await;
    assert_eq!(
        (status, asked["deactivation_on"].as_str()),
        (StatusCode::CREATED, Some(in_days(15).as_str())),
        "{asked}"
    );
    // The CPAM sees it on the organisation.
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{pid}"), &admin)
        .await;
    let seen = org["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["account_id"] == noe_id.as_str())
        .map(|a| {
            (
                a["deactivation_on"].clone(),
                a["deactivation_asked_by"].clone(),
            )
        });
    // And who asked for it: an account of the organisation, which the same list names.
    let alix_id = org["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["email"] == "alix@ccas-preavis.fr")
        .map(|a| a["account_id"].clone());
    assert_eq!(
        seen,
        Some((json!(in_days(15)), alix_id.unwrap_or_default())),
        "{org}"
    );
    // Not yet due: nothing happens.
    let report = stack.run_job("partner-lifecycle").await;
    assert_eq!(report["requested_deactivations"], json!(0), "{report}");
    let (status, _) = stack.get("/api/partner/accounts", &noe).await;
    assert_eq!(status, StatusCode::OK);
    // On the date, the job deactivates it.
    make_due(&stack, &pid, &noe_id).await;
    let report = stack.run_job("partner-lifecycle").await;
    assert_eq!(report["requested_deactivations"], json!(1), "{report}");
    let (status, _) = stack.get("/api/partner/accounts", &noe).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    stack.stop().await;
}

#[tokio::test]
async fn the_last_active_gestionnaire_is_never_deactivated_by_request() {
    let stack = TestStack::start().await;
    let (pid, alix, admin) =
        partner_of(&stack, "CCAS Dernier", "alix@ccas-dernier.fr", false).await;
    let (_, created) = stack
        .post(
            &format!("/api/agent/partners/{pid}/managers"),
            Some(&admin),
            json!({"email": "noe@ccas-dernier.fr", "last_name": "Petit", "first_name": "Noé", "function": "Directeur"}),
        )
        .await;
    let noe_id = created["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let noe = stack.activate_partner("noe@ccas-dernier.fr").await;
    let (_, me) = stack.get("/api/partner/accounts", &alix).await;
    let alix_id = me["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["email"] == "alix@ccas-dernier.fr")
        .and_then(|a| a["account_id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let on = format_date(today() + time::Duration::days(20));
    // Each asks for the other: only one may go.
    for (token, target) in [(&alix, &noe_id), (&noe, &alix_id)] {
        let (status, body) = stack
            .post(
                &format!("/api/partner/accounts/{target}/deactivation-request"),
                Some(token),
                json!({"on": on}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    make_due(&stack, &pid, &noe_id).await;
    make_due(&stack, &pid, &alix_id).await;
    let report = stack.run_job("partner-lifecycle").await;
    assert_eq!(
        (
            report["requested_deactivations"].clone(),
            report["kept_last_manager"].clone()
        ),
        (json!(1), json!(1)),
        "{report}"
    );
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{pid}"), &admin)
        .await;
    let active = org["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["status"] == "active")
        .count();
    assert_eq!(active, 1);
    stack.stop().await;
}

#[tokio::test]
async fn a_request_for_a_new_gestionnaire_is_due_in_ten_working_days() {
    let stack = TestStack::start().await;
    let (pid, alix, admin) = partner_of(
        &stack,
        "CCAS Habilitation",
        "alix@ccas-habilitation.fr",
        false,
    )
    .await;
    let body = json!({"civility": "Madame", "last_name": "Roux", "first_name": "Inès",
        "function": "Responsable", "phone": "02 35 00 00 00", "email": "ines@ccas-habilitation.fr"});
    let (status, asked) = stack
        .post("/api/partner/habilitation-requests", Some(&alix), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    let due = asked["due_on"].as_str().and_then(|d| parse_date(d).ok());
    assert_eq!(due, Some(add_working_days(today(), 10)));
    assert!(due.is_some_and(|d| d >= today() + time::Duration::days(14)));
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{pid}"), &admin)
        .await;
    assert_eq!(
        org["habilitation_requests"][0]["due_on"], asked["due_on"],
        "{org}"
    );
    // The organisation's gestionnaires find their requests again; another organisation
    // sees none of them.
    let (status, listed) = stack.get("/api/partner/habilitation-requests", &alix).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["items"], json!([asked.clone()]), "{listed}");
    let (_, other, _) = partner_of(&stack, "CCAS Voisin", "alix@ccas-voisin.fr", false).await;
    let (status, listed) = stack
        .get("/api/partner/habilitation-requests", &other)
        .await;
    assert_eq!(
        (status, listed["items"].clone()),
        (StatusCode::OK, json!([]))
    );
    // It names a person: DynamoDB's TTL takes it 6 months after its due date (README,
    // "Retention", `habilitation_request`).
    let stored = stack
        .clients
        .dynamo()
        .get_item()
        .table_name(stack.table("PartnersTable"))
        .key("pk", AttributeValue::S(format!("org#{pid}")))
        .key(
            "sk",
            AttributeValue::S(format!(
                "habreq#{}",
                asked["request_id"].as_str().unwrap_or_default()
            )),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .item
        .unwrap_or_else(|| panic!("no habilitation request stored"));
    let expires = stored
        .get("expires_at")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok());
    let kept_until = due.map(|d| {
        (d + time::Duration::days(c2s_domain::retention::HABILITATION_REQUEST_DAYS))
            .midnight()
            .assume_utc()
            .unix_timestamp()
    });
    assert_eq!(expires, kept_until);
    // A webmail or another organisation's address is refused, as for any gestionnaire.
    let body = json!({"civility": "madame", "last_name": "Roux", "first_name": "Inès", "email": "ines@gmail.com"});
    let (status, _) = stack
        .post("/api/partner/habilitation-requests", Some(&alix), body)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    stack.stop().await;
}
