//! The caisse's list of its partner organisations (`GET /api/agent/partners`): those it signed
//! a convention with, in force or ended, by name, a page at a time, for its admins only and
//! audited; another caisse's appear once that caisse adds its own convention. An
//! organisation stored before the list existed is listed by the daily lifecycle job.

use crate::helpers::*;
use crate::helpers_retention::partner_store;
use crate::helpers_supervision::{chain_entries, text};
use serde_json::{json, Value};

async fn create(stack: &TestStack, admin: &str, caisse: &str, name: &str) -> String {
    let (status, org) = stack
        .post(
            "/api/agent/partners",
            Some(admin),
            json!({"name": name, "kind": "ccas", "members": 4, "caisses": [caisse],
                "convention": {"caisse": caisse, "start": "2026-01-01", "end": "2026-12-31"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    org["partner_id"].as_str().unwrap_or_default().to_owned()
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|o| o["name"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_caisse_lists_the_organisations_it_signed_with_by_name() {
    let stack = TestStack::start().await;
    let rouen = stack.admin_token("adm-rouen", ROUEN).await;
    let havre = stack.admin_token("adm-havre", HAVRE).await;
    let zebre = create(&stack, &rouen, ROUEN, "Zèbre solidaire").await;
    let ecluse = create(&stack, &rouen, ROUEN, "Écluse Mission locale").await;
    let ardoise = create(&stack, &rouen, ROUEN, "ardoise UDAF").await;
    let port = create(&stack, &havre, HAVRE, "CCAS du Port").await;

    // By name, case and accents aside; only what Rouen signed.
    let (status, list) = stack.get("/api/agent/partners", &rouen).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        names(&list),
        ["ardoise UDAF", "Écluse Mission locale", "Zèbre solidaire"]
    );
    assert_eq!(list["next_cursor"], Value::Null);
    let first = &list["items"][0];
    assert_eq!(
        (
            first["partner_id"].as_str(),
            first["conventioned"].as_bool(),
            first.get("accounts")
        ),
        (Some(ardoise.as_str()), Some(true), None),
        "the organisation, without its people: {first}"
    );

    // Le Havre signs its own convention with one of them: it is in Le Havre's list too.
    let (status, body) = stack
        .post(
            &format!("/api/agent/partners/{zebre}/conventions"),
            Some(&havre),
            json!({"caisse": HAVRE, "start": "2026-02-01", "end": "2027-01-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, list) = stack.get("/api/agent/partners", &havre).await;
    assert_eq!(names(&list), ["CCAS du Port", "Zèbre solidaire"]);
    let (_, list) = stack.get("/api/agent/partners", &rouen).await;
    assert_eq!(names(&list).len(), 3, "Rouen's list unchanged: {list}");
    // An empty cursor (a form sent as is) is the first page.
    let (status, first) = stack.get("/api/agent/partners?cursor=", &rouen).await;
    assert_eq!(
        (status, names(&first).len()),
        (StatusCode::OK, 3),
        "{first}"
    );

    // A page at a time, in the same order, each page going on from the last.
    let store = partner_store(&stack);
    let one = store
        .orgs_known_to(ROUEN, None, 2)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let ids: Vec<&str> = one.items.iter().map(|o| o.partner_id.as_str()).collect();
    assert_eq!(ids, [ardoise.as_str(), ecluse.as_str()]);
    let cursor = one.next.expect("a second page");
    let (status, rest) = stack
        .get(&format!("/api/agent/partners?cursor={cursor}"), &rouen)
        .await;
    assert_eq!(
        (status, names(&rest)),
        (StatusCode::OK, vec!["Zèbre solidaire"])
    );
    assert_eq!(rest["next_cursor"], Value::Null);
    // Rouen's cursor is no key into Le Havre's list.
    let (status, refused) = stack
        .get(&format!("/api/agent/partners?cursor={cursor}"), &havre)
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_cursor"))
    );

    // For the caisse's admins only; audited.
    let instructeur = stack.agent_token("I1", ROUEN, &["instructeur"]).await;
    let (status, _) = stack.get("/api/agent/partners", &instructeur).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let listed = chain_entries(&stack, ROUEN, "list_partners").await;
    assert!(listed
        .iter()
        .all(|e| text(e, "agent_id") == Some("adm-rouen") && text(e, "target") == Some(ROUEN)));
    assert_eq!(listed.len(), 4, "each list read is in Rouen's chain");
    assert!(chain_entries(&stack, HAVRE, "list_partners").await.len() == 1);
    // Le Havre's own organisation stays out of Rouen's reach.
    let (status, _) = stack
        .get(&format!("/api/agent/partners/{port}"), &rouen)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stack.stop().await;
}

#[tokio::test]
async fn an_organisation_stored_before_the_list_is_listed_by_the_lifecycle_job() {
    let stack = TestStack::start().await;
    let rouen = stack.admin_token("adm-rouen", ROUEN).await;
    let pid = create(&stack, &rouen, ROUEN, "CCAS Ancien").await;
    // As stored before the list existed: no entry for its caisse.
    stack
        .clients
        .dynamo()
        .delete_item()
        .table_name(stack.table("PartnersTable"))
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("org#{pid}")),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("listed#{ROUEN}")),
        )
        .send()
        .await
        .unwrap();
    assert!(names(&stack.get("/api/agent/partners", &rouen).await.1).is_empty());

    let report = stack.run_job("partner-lifecycle").await;
    assert_eq!(report["listed_for_caisses"], 1, "{report}");
    assert_eq!(
        names(&stack.get("/api/agent/partners", &rouen).await.1),
        ["CCAS Ancien"]
    );
    // Listed once: the next run has nothing to do.
    assert_eq!(
        stack.run_job("partner-lifecycle").await["listed_for_caisses"],
        0
    );
    stack.stop().await;
}
