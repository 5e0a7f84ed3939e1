//! The caisse's list of signalements and requests (`GET /api/agent/reports`) filtered on the
//! server by motive, partner and urgency besides status, in the index's order (urgent ones
//! first, then the oldest) page after page, so that the web reads one page at a time.

use crate::helpers::*;
use crate::helpers_partnerx::code;
use crate::helpers_retention::{age_request_to, partner_store, signalement_of as report};
use c2s_platform::partners::RequestFilter;
use serde_json::Value;

fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|r| r["request_id"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_list_filters_by_motive_partner_and_urgency_in_the_servers_order() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("adm-rouen", ROUEN).await;
    let (a, alpha) = stack
        .onboard_partner(&admin, "CCAS Alpha", "alix@ccas-alpha.fr")
        .await;
    let (_, beta) = stack
        .onboard_partner(&admin, "CCAS Beta", "alix@ccas-beta.fr")
        .await;
    // Filed in this order; the oldest made older still, so the order does not rest on the clock.
    let old = report(&stack, &alpha, "Ancienne", "dossier_complexe", false).await;
    age_request_to(&stack, &old, today() - time::Duration::days(3)).await;
    let urgent = report(&stack, &alpha, "Urgente", "situation_urgence", true).await;
    let other = report(&stack, &beta, "Autre", "dossier_complexe", false).await;
    let agent = stack.agent_token("I1", ROUEN, &["instructeur"]).await;
    let list = |q: &str| {
        let q = q.to_owned();
        let stack = &stack;
        let agent = agent.clone();
        async move { stack.get(&format!("/api/agent/reports{q}"), &agent).await }
    };

    let (status, all) = list("").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(
        ids(&all),
        [&urgent, &old, &other],
        "urgent first, then the oldest"
    );
    let (_, by_motive) = list("?motive=dossier_complexe").await;
    assert_eq!(ids(&by_motive), [&old, &other]);
    let (_, by_partner) = list(&format!("?partner_id={a}")).await;
    assert_eq!(ids(&by_partner), [&urgent, &old]);
    let (_, urgent_only) = list("?urgent=true").await;
    assert_eq!(ids(&urgent_only), [&urgent]);
    let (_, not_urgent) = list("?urgent=false&status=open").await;
    assert_eq!(ids(&not_urgent), [&old, &other]);
    let (_, both) = list(&format!(
        "?partner_id={a}&motive=dossier_complexe&urgent=false"
    ))
    .await;
    assert_eq!(ids(&both), [&old]);
    let (_, none) = list("?motive=dossier_complexe&status=closed").await;
    assert_eq!(ids(&none), Vec::<&str>::new());
    // Empty is absent.
    let (_, empty) = list("?motive=&partner_id=&urgent=").await;
    assert_eq!(ids(&empty).len(), 3);

    // A page at a time, the filter holding on every page and the order going on.
    let store = partner_store(&stack);
    let filter = RequestFilter {
        motive: Some("dossier_complexe"),
        ..RequestFilter::default()
    };
    let first = store.requests_to(ROUEN, &filter, None, 1).await.unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|r| r.request_id.as_str())
            .collect::<Vec<_>>(),
        [old.as_str()]
    );
    let cursor = first.next.expect("a second page");
    let (_, second) = list(&format!("?motive=dossier_complexe&cursor={cursor}")).await;
    assert_eq!(ids(&second), [&other]);
    assert_eq!(second["next_cursor"], Value::Null);

    // What is not a filter is said, field by field.
    let (status, refused) = list("?urgent=peut-etre&motive=%3Cscript%3E").await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let fields: Vec<&str> = refused["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["motive", "urgent"], "{refused}");
    stack.stop().await;
}
