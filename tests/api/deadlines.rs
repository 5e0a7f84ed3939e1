//! The deadlines job, run with `POST /dev/run/deadlines`: only what came due since the last
//! run read, fanned out to its worker, which flags near deadlines and accepts past ones by
//! silence; a second run, or a message delivered twice, changes nothing.

use crate::helpers::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Waits (30 s at most) until the worker has flagged the file so.
async fn wait_for_flags(stack: &TestStack, id: &str, near: bool, silent: bool) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some((r, _))) = stack.renewal_store().load(id).await {
            if (r.near_deadline, r.accepted_by_silence) == (near, silent) {
                return r.version;
            }
        }
        assert!(Instant::now() < deadline, "{id} never flagged");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

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
        (report["read"].as_u64(), report["dispatched"].as_u64()),
        (Some(2), Some(2)),
        "{report}"
    );
    let again = stack.run_job("deadlines").await;
    assert_eq!(
        (again["read"].as_u64(), again["dispatched"].as_u64()),
        (Some(0), Some(0)),
        "a second run the same day reads nothing: {again}"
    );
    let late_version = wait_for_flags(&stack, &late, true, true).await;
    wait_for_flags(&stack, &near, true, false).await;

    // The same message delivered again (as SQS may) flags nothing twice.
    let (env, clients) = stack.function("DeadlinesWorkerFunction");
    let worker = deadlines_worker::App::from_env(&env, &clients).expect("worker");
    for _ in 0..2 {
        let flagged = deadlines_worker::settle(&worker, &late, today())
            .await
            .expect("settle");
        assert_eq!(flagged, deadlines_worker::Flagged::default());
    }
    assert_eq!(
        wait_for_flags(&stack, &late, true, true).await,
        late_version
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

#[tokio::test]
async fn deadlines_read_only_what_came_due_since_the_last_run() {
    let stack = TestStack::start().await;
    let (_, came_near, _) = stack.submitted_renewal(HAVRE, 55).await;
    let (_, passed, _) = stack.submitted_renewal(HAVRE, 56).await;
    let (_, not_yet, _) = stack.submitted_renewal(HAVRE, 57).await;
    let (_, seen, _) = stack.submitted_renewal(HAVRE, 58).await;
    // Within 10 days since yesterday, when the job did not run.
    stack.move_deadline(&came_near, 9).await;
    // Passed yesterday.
    stack.move_deadline(&passed, -1).await;
    stack.move_deadline(&not_yet, 12).await;
    // Within 10 days of the last run already: that run read it.
    stack.move_deadline(&seen, 5).await;
    // The job last ran two days ago.
    stack
        .idempotency_store()
        .set_watermark(deadlines::WATERMARK, today() - time::Duration::days(2))
        .await
        .expect("watermark");

    let report = stack.run_job("deadlines").await;
    assert_eq!(
        (report["read"].as_u64(), report["dispatched"].as_u64()),
        (Some(2), Some(2)),
        "{report}"
    );
    wait_for_flags(&stack, &came_near, true, false).await;
    wait_for_flags(&stack, &passed, true, true).await;
    for (id, near, silent) in [
        (&came_near, true, false),
        (&passed, true, true),
        (&not_yet, false, false),
        (&seen, false, false),
    ] {
        let (r, _) = stack
            .renewal_store()
            .load(id)
            .await
            .ok()
            .flatten()
            .expect("renewal");
        assert_eq!(
            (r.near_deadline, r.accepted_by_silence),
            (near, silent),
            "{id}"
        );
    }
    stack.stop().await;
}
