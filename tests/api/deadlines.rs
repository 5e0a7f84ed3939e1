//! The deadlines job, run with `POST /dev/run/deadlines`: near deadlines flagged, past ones
//! accepted by silence, only what is due read, and a second run changes nothing.

use crate::helpers::*;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

const CAISSE: &str = "le-havre";

/// Moves a file's deadline to `days` from today, as if it had been submitted long ago.
async fn set_deadline(stack: &TestStack, id: &str, days: i64) {
    let deadline = c2s_domain::dates::format_date(today() + time::Duration::days(days));
    stack
        .clients
        .dynamo
        .update_item()
        .table_name(stack.table("RenewalsTable"))
        .key("pk", AttributeValue::S(id.to_owned()))
        .key("sk", AttributeValue::S("renewal".into()))
        .update_expression("SET deadline = :d, queue_key = :k")
        .expression_attribute_values(":d", AttributeValue::S(deadline.clone()))
        .expression_attribute_values(":k", AttributeValue::S(format!("{deadline}#{id}")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn run(stack: &TestStack) -> serde_json::Value {
    let (status, body) = stack.post("/dev/run/deadlines", None, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["report"].clone()
}

#[tokio::test]
async fn near_deadlines_are_flagged_and_past_ones_accepted_by_silence() {
    let stack = TestStack::start().await;
    let (_, agent) = stack.post("/dev/token", None, json!({"sub": "S1", "name": "Superviseur", "caisse": CAISSE, "roles": ["superviseur", "instructeur"]})).await;
    let agent = agent["token"].as_str().unwrap_or_default().to_owned();
    let (_, late, _) = stack.submitted_renewal(CAISSE, 51).await;
    let (_, near, _) = stack.submitted_renewal(CAISSE, 52).await;
    let (_, fresh, _) = stack.submitted_renewal(CAISSE, 53).await;
    let (_, decided, _) = stack.submitted_renewal(CAISSE, 54).await;
    set_deadline(&stack, &late, -3).await;
    set_deadline(&stack, &near, 6).await;
    // A decided file is out of the index, even with an old deadline.
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{decided}"), &agent)
        .await;
    let (_, claimed) = stack
        .post(
            &format!("/api/agent/renewals/{decided}/claim"),
            Some(&agent),
            json!({"version": file["version"]}),
        )
        .await;
    let (status, _) = stack
        .post(
            &format!("/api/agent/renewals/{decided}/decision"),
            Some(&agent),
            json!({"outcome": "free", "version": claimed["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    set_deadline(&stack, &decided, -30).await;

    let report = run(&stack).await;
    assert_eq!(
        (
            report["read"].as_u64(),
            report["flagged_near"].as_u64(),
            report["accepted_by_silence"].as_u64()
        ),
        (Some(2), Some(2), Some(1)),
        "{report}"
    );
    let again = run(&stack).await;
    assert_eq!(
        (
            again["read"].as_u64(),
            again["flagged_near"].as_u64(),
            again["accepted_by_silence"].as_u64()
        ),
        (Some(2), Some(0), Some(0))
    );

    // The queue: the late file first, accepted by silence; the near one flagged; the fresh one neither.
    let (_, queue) = stack.get("/api/agent/renewals", &agent).await;
    let items = queue["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items[0]["id"], json!(late));
    assert_eq!(
        (
            items[0]["accepted_by_silence"].as_bool(),
            items[0]["deadline_state"].as_str()
        ),
        (Some(true), Some("late"))
    );
    let near_item = items
        .iter()
        .find(|i| i["id"] == json!(near))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            near_item["near_deadline"].as_bool(),
            near_item["accepted_by_silence"].as_bool(),
            near_item["deadline_state"].as_str()
        ),
        (Some(true), Some(false), Some("near"))
    );
    let fresh_item = items
        .iter()
        .find(|i| i["id"] == json!(fresh))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            fresh_item["near_deadline"].as_bool(),
            fresh_item["accepted_by_silence"].as_bool()
        ),
        (Some(false), Some(false))
    );
    stack.stop().await;
}
