//! The deadlines job, run with `POST /dev/run/deadlines`: near deadlines flagged, past ones
//! accepted by silence, only what is due read, and a second run changes nothing.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn near_deadlines_are_flagged_and_past_ones_accepted_by_silence() {
    let stack = TestStack::start().await;
    let agent = stack
        .agent_token("S1", HAVRE, &["superviseur", "instructeur"])
        .await;
    let (_, late, _) = stack.submitted_renewal(HAVRE, 51).await;
    let (_, near, _) = stack.submitted_renewal(HAVRE, 52).await;
    let (_, fresh, _) = stack.submitted_renewal(HAVRE, 53).await;
    let (_, decided, _) = stack.submitted_renewal(HAVRE, 54).await;
    stack.move_deadline(&late, -3).await;
    stack.move_deadline(&near, 6).await;
    // A decided file is out of the index, even with an old deadline.
    stack
        .decide(&agent, &decided, json!({"outcome": "free"}))
        .await;
    stack.move_deadline(&decided, -30).await;

    let report = stack.run_job("deadlines").await;
    assert_eq!(
        (
            report["read"].as_u64(),
            report["flagged_near"].as_u64(),
            report["accepted_by_silence"].as_u64()
        ),
        (Some(2), Some(2), Some(1)),
        "{report}"
    );
    let again = stack.run_job("deadlines").await;
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
