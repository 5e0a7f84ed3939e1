//! A second start of the local stack on an emulator that still runs, as a newcomer's second
//! `./infra/run`: the resources are there already and the data stays usable.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn a_second_start_keeps_the_resources_the_secrets_and_the_people() {
    let file = std::env::temp_dir().join(format!("c2s-secrets-{}.json", uuid::Uuid::new_v4()));
    let stack = TestStack::start_keeping_secrets(file.clone()).await;
    let nir = fresh_nir(71, 5);
    let line = beneficiary(
        &nir,
        "1971-05-02",
        "AGAIN123",
        "le-havre",
        &months_from_today(3),
    );
    stack.import("before.jsonl", &[line.to_string()]).await;
    let token = stack.sign_in(&nir, "1971-05-02", "AGAIN123").await;

    let stack = stack.restart().await;
    // The session made before still holds: the token signing key was kept.
    let (status, _) = stack.get("/api/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    // The person signs in again, and importing them again updates the same profile: the key
    // that hashes their NIR was kept too.
    stack.sign_in(&nir, "1971-05-02", "AGAIN123").await;
    stack.import("after.jsonl", &[line.to_string()]).await;
    let profiles = stack
        .clients
        .dynamo()
        .scan()
        .table_name(stack.table("BeneficiariesTable"))
        .filter_expression("sk = :p")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S("profile".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(profiles.count, 1);
    let _ = std::fs::remove_file(&file);
    stack.stop().await;
}

/// The demo people can sign in from the first answer of the server: it answers once their
/// import has landed (it used to answer 401 for a few seconds, with no reason given).
#[tokio::test]
async fn the_demo_people_sign_in_as_soon_as_the_stack_answers() {
    let stack = TestStack::start_with_demo().await;
    let (status, accounts) = stack.get("/dev/demo", "").await;
    assert_eq!(status, StatusCode::OK);
    let marie = accounts["accounts"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["who"].as_str() == Some("Marie Durand")))
        .cloned()
        .unwrap_or_else(|| panic!("no Marie Durand in /dev/demo: {accounts}"));
    let (status, body) = stack
        .post(
            "/api/auth/beneficiary",
            None,
            json!({
                "nir": marie["nir"],
                "birth_date": marie["birth_date"],
                "renewal_code": marie["renewal_code"],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
