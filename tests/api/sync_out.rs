//! Sync out and back: decided renewals exported once, even when a run stops between the
//! file and the status updates; the national system's acknowledgement integrates them or
//! sends them back to the agents.

use crate::helpers::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn objects(stack: &TestStack, prefix: &str) -> Vec<String> {
    let out = stack
        .clients
        .s3()
        .list_objects_v2()
        .bucket(stack.bucket("ExchangeBucket"))
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = out
        .contents
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| o.key)
        .collect();
    keys.sort();
    keys
}

async fn status(stack: &TestStack, agent: &str, id: &str) -> String {
    let (_, file) = stack.get(&format!("/api/agent/renewals/{id}"), agent).await;
    file["status"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn each_decision_is_exported_once_even_after_a_crash_and_comes_back_acknowledged() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A3", HAVRE, &["instructeur"]).await;
    let mut ids = Vec::new();
    let mut nirs = Vec::new();
    for (yy, decision) in [
        (61, json!({"outcome": "free"})),
        // Claire, born 1962, 25 € a month by the age table, and Hugo, 8 €.
        (62, json!({"outcome": "participation"})),
        (
            63,
            json!({"outcome": "rejected", "reason_code": "over_ceiling"}),
        ),
    ] {
        let (_, id, nir) = stack.submitted_renewal(HAVRE, yy).await;
        stack.decide(&agent, &id, decision).await;
        ids.push(id);
        nirs.push(nir);
    }

    // A run that stops after writing the file, before the statuses.
    let (env, clients) = stack.function("SyncOutFunction");
    let app = sync_out::App::from_env(&env, &clients).unwrap();
    let crashed = sync_out::sync(&app, Some(sync_out::StopAfter::FilesWritten))
        .await
        .unwrap();
    assert_eq!((crashed.files.len(), crashed.exported), (1, 0));
    let name = crashed.files[0].clone();
    assert_eq!(status(&stack, &agent, &ids[0]).await, "approved");

    // The next run finishes that same file, and exports nothing twice.
    let run = stack.run_job("sync-out").await;
    assert_eq!(
        (
            run["files"].clone(),
            run["exported"].as_u64(),
            run["resumed"].as_u64()
        ),
        (json!([name]), Some(3), Some(1))
    );
    let keys = objects(&stack, "outbound/decisions/").await;
    assert_eq!(
        keys,
        [
            format!("outbound/decisions/{name}.jsonl"),
            format!("outbound/decisions/{name}.manifest.json")
        ]
    );
    let bucket = stack.bucket("ExchangeBucket");
    let data = stack
        .wait_for_object(&bucket, &format!("outbound/decisions/{name}.jsonl"))
        .await;
    let manifest: Value = serde_json::from_str(
        &stack
            .wait_for_object(&bucket, &format!("outbound/decisions/{name}.manifest.json"))
            .await,
    )
    .unwrap_or(Value::Null);
    let lines: Vec<Value> = data
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect();
    assert_eq!(manifest["count"], 3);
    use sha2::Digest;
    assert_eq!(
        manifest["sha256"],
        json!(hex::encode(sha2::Sha256::digest(data.as_bytes())))
    );
    let mut exported: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["renewal_id"].as_str())
        .collect();
    exported.sort();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(exported, expected);
    let participation = lines
        .iter()
        .find(|l| l["outcome"] == "participation")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(participation["monthly_participation_cents"], 3300);
    assert!(nirs.contains(&participation["nir"].as_str().unwrap_or_default().to_owned()));
    assert!(
        participation["rights_start"].is_string()
            && participation["members"].is_array()
            && participation["agent_id"] == "A3"
    );
    for id in &ids {
        assert_eq!(status(&stack, &agent, id).await, "exported");
    }
    let again = stack.run_job("sync-out").await;
    assert_eq!(
        (again["exported"].as_u64(), again["files"].clone()),
        (Some(0), json!([]))
    );

    // The acknowledgement: two integrated, one sent back to the agents with its reason.
    let ack = json!({"file": name, "integrated": [ids[0], ids[1]], "rejected": [{"renewal_id": ids[2], "reason": "Rejet du référentiel : adresse incomplète"}]});
    stack.put_ack(&name, &ack).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while status(&stack, &agent, &ids[2]).await != "in_review" {
        assert!(Instant::now() < deadline, "acknowledgement never applied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status(&stack, &agent, &ids[0]).await, "integrated");
    assert_eq!(status(&stack, &agent, &ids[1]).await, "integrated");
    // Served: the acknowledgement and the file it answers are tagged for the bucket's
    // lifecycle (exchange_retention.rs), the file's NIRs gone within two days.
    for key in [
        format!("inbound/acks/{name}.json"),
        format!("outbound/decisions/{name}.jsonl"),
        format!("outbound/decisions/{name}.manifest.json"),
    ] {
        stack.wait_until_consumed("ExchangeBucket", &key).await;
    }
    let (_, queue) = stack
        .get("/api/agent/renewals?status=in_review", &agent)
        .await;
    assert!(queue["items"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|i| i["id"] == json!(ids[2])));
    // The same acknowledgement again, under another name: nothing moves.
    stack.put_ack(&format!("{name}-bis"), &ack).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(status(&stack, &agent, &ids[0]).await, "integrated");
    assert_eq!(status(&stack, &agent, &ids[2]).await, "in_review");
    stack.stop().await;
}

/// Exports `id` (decided free) in a file of its own and sends the national system's
/// rejection of it; waits until it is back with the agents.
async fn exported_then_rejected(
    stack: &TestStack,
    agent: &str,
    id: &str,
    before_ack: impl std::future::Future<Output = ()>,
) {
    stack.decide(agent, id, json!({"outcome": "free"})).await;
    let run = stack.run_job("sync-out").await;
    let name = run["files"][0].as_str().unwrap_or_default().to_owned();
    assert_eq!(status(stack, agent, id).await, "exported", "{run}");
    before_ack.await;
    let ack = json!({"file": name, "integrated": [], "rejected": [{"renewal_id": id, "reason": "Rejet du référentiel : adresse incomplète"}]});
    stack.put_ack(&name, &ack).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while status(stack, agent, id).await != "in_review" {
        assert!(Instant::now() < deadline, "acknowledgement never applied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_renewal_sent_back_by_the_national_system_takes_its_open_slot_again() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A4", HAVRE, &["instructeur"]).await;
    let (token, id, _) = stack.submitted_renewal(HAVRE, 64).await;
    exported_then_rejected(&stack, &agent, &id, async {}).await;
    // Back with the agents, it is open again: the person cannot start a second one.
    let (status, body) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(
        (
            status,
            body["code"].as_str(),
            body["open_renewal_id"].as_str()
        ),
        (
            StatusCode::CONFLICT,
            Some("renewal_already_open"),
            Some(id.as_str())
        ),
        "{body}"
    );
    let (_, me) = stack.get("/api/me", &token).await;
    assert_eq!(me["open_renewal_id"], json!(id));
    stack.stop().await;
}

#[tokio::test]
async fn a_renewal_sent_back_while_a_new_draft_holds_the_slot_is_saved_and_the_conflict_logged() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A5", HAVRE, &["instructeur"]).await;
    let (token, id, _) = stack.submitted_renewal(HAVRE, 65).await;
    let mut draft = String::new();
    exported_then_rejected(&stack, &agent, &id, async {
        // Decided, the renewal left the slot: the person starts another one.
        let (status, body) = stack.post("/api/renewals", Some(&token), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        draft = body["id"].as_str().unwrap_or_default().to_owned();
    })
    .await;
    // The decision side's change is kept (in review again), the draft keeps the slot, and
    // the conflict is logged by ids for the agents to settle.
    let (status, body) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(
        (status, body["open_renewal_id"].as_str()),
        (StatusCode::CONFLICT, Some(draft.as_str())),
        "{body}"
    );
    assert!(
        captured_logs()
            .lines()
            .any(|l| l.contains("open slot held by another renewal")
                && l.contains(&id)
                && l.contains(&draft)),
        "the conflict is logged with both ids"
    );
    assert!(
        captured_logs()
            .lines()
            .any(|l| l.contains("acknowledgement applied") && l.contains("slot_taken=1")),
        "and counted in the job's report"
    );
    stack.stop().await;
}

/// A person rejected who applies again before the night's export: the decision still goes
/// out (releasing the person's open-renewal marker, which now names the new draft, is a step
/// that may do nothing), and the new draft keeps the marker.
#[tokio::test]
async fn a_decision_is_exported_though_the_person_has_opened_a_new_draft() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A3", HAVRE, &["instructeur"]).await;
    let (token, id, _) = stack.submitted_renewal(HAVRE, 64).await;
    stack
        .decide(
            &agent,
            &id,
            json!({"outcome": "rejected", "reason_code": "over_ceiling"}),
        )
        .await;
    let (status, draft) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft = draft["id"].as_str().unwrap_or_default().to_owned();

    let run = stack.run_job("sync-out").await;
    assert_eq!(run["exported"], 1, "{run}");
    stack.assert_exported_once(std::slice::from_ref(&id)).await;
    let (_, me) = stack.get("/api/me", &token).await;
    assert_eq!(me["open_renewal_id"], json!(draft), "{me}");
    // And it stays so: nothing is left for the next run.
    let again = stack.run_job("sync-out").await;
    assert_eq!(again["exported"], 0, "{again}");
    stack.stop().await;
}

/// `n` submitted renewals of Le Havre (born in 19`first`…), each decided `free` by `agent`.
async fn decided(stack: &TestStack, agent: &str, first: u8, n: u8) -> Vec<String> {
    let mut ids = Vec::new();
    for yy in first..first + n {
        let (_, id, _) = stack.submitted_renewal(HAVRE, yy).await;
        stack.decide(agent, &id, json!({"outcome": "free"})).await;
        ids.push(id);
    }
    ids
}

fn sync_out_app(stack: &TestStack) -> sync_out::App {
    let (env, clients) = stack.function("SyncOutFunction");
    sync_out::App::from_env(&env, &clients).unwrap()
}

/// A run that fails after claiming its renewals, before any file; then a new decision: the
/// rerun finishes the claimed batch and puts the new decision in a file of its own name.
#[tokio::test]
async fn a_run_stopped_before_its_file_then_a_new_decision_each_go_in_one_file() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A3", HAVRE, &["instructeur"]).await;
    let mut ids = decided(&stack, &agent, 65, 2).await;
    let app = sync_out_app(&stack);
    let stopped = sync_out::sync(&app, Some(sync_out::StopAfter::Claimed))
        .await
        .unwrap();
    assert!(stopped.files.is_empty(), "{stopped:?}");
    ids.extend(decided(&stack, &agent, 67, 1).await);

    let run = stack.run_job("sync-out").await;
    assert_eq!(
        (run["exported"].as_u64(), run["resumed"].as_u64()),
        (Some(3), Some(1)),
        "{run}"
    );
    let files = stack.assert_exported_once(&ids).await;
    assert_ne!(files[&ids[0]], files[&ids[2]], "two batches, two names");
    let again = stack.run_job("sync-out").await;
    assert_eq!(again["exported"], 0, "{again}");
    stack.assert_exported_once(&ids).await;
    stack.stop().await;
}

/// A batch whose manifest exists but whose file lacks some of its renewals: only those in
/// the file are marked exported, the others go in a new file.
#[tokio::test]
async fn a_batch_resumed_marks_exported_only_what_its_file_holds() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A3", HAVRE, &["instructeur"]).await;
    let ids = decided(&stack, &agent, 72, 2).await;
    let app = sync_out_app(&stack);
    sync_out::sync(&app, Some(sync_out::StopAfter::Claimed))
        .await
        .unwrap();
    let (claimed, _) = stack.renewal_store().load(&ids[0]).await.unwrap().unwrap();
    let name = claimed.export_batch.unwrap();
    // The file of that batch as an earlier version could leave it: one line of two.
    let data = format!("{}\n", json!({"renewal_id": ids[0]}));
    use sha2::Digest;
    let manifest = json!({"count": 1, "sha256": hex::encode(sha2::Sha256::digest(data.as_bytes())), "created_at": "2026-01-01T00:00:00Z"});
    for (key, body) in [
        (format!("outbound/decisions/{name}.jsonl"), data),
        (
            format!("outbound/decisions/{name}.manifest.json"),
            manifest.to_string(),
        ),
    ] {
        stack
            .clients
            .s3()
            .put_object()
            .bucket(stack.bucket("ExchangeBucket"))
            .key(key)
            .body(body.into_bytes().into())
            .send()
            .await
            .unwrap();
    }

    let run = stack.run_job("sync-out").await;
    assert_eq!(run["exported"], 2, "{run}");
    let files = stack.assert_exported_once(&ids).await;
    assert_eq!(files[&ids[0]], name);
    assert_ne!(files[&ids[1]], name);
    stack.stop().await;
}

/// Two runs at once (a retry while the scheduled one runs): every decision in exactly one
/// file, none dropped, none twice.
#[tokio::test]
async fn two_runs_at_once_put_each_decision_in_exactly_one_file() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A3", HAVRE, &["instructeur"]).await;
    let ids = decided(&stack, &agent, 74, 4).await;
    let (a, b) = (sync_out_app(&stack), sync_out_app(&stack));
    let store = stack.renewal_store();
    // The second starts once the first has claimed some of them.
    let second = async {
        for _ in 0..200 {
            let (r, _) = store.load(&ids[0]).await.unwrap().unwrap();
            if r.export_batch.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        sync_out::run(&b).await
    };
    let (ra, rb) = tokio::join!(sync_out::run(&a), second);
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        ra["exported"].as_u64().unwrap_or(0) + rb["exported"].as_u64().unwrap_or(0),
        4,
        "{ra} {rb}"
    );
    stack.assert_exported_once(&ids).await;
    stack.stop().await;
}

/// A decided renewal whose beneficiary record is gone cannot be written: it is reported and
/// stays pending, run after run, and the others are exported.
#[tokio::test]
async fn a_renewal_that_cannot_be_built_is_reported_and_does_not_stop_the_others() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A3", HAVRE, &["instructeur"]).await;
    let ids = decided(&stack, &agent, 78, 3).await;
    let (gone, _) = stack.renewal_store().load(&ids[1]).await.unwrap().unwrap();
    stack
        .clients
        .dynamo()
        .delete_item()
        .table_name(stack.table("BeneficiariesTable"))
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(gone.nir_hash.clone()),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("profile".into()),
        )
        .send()
        .await
        .unwrap();

    for _ in 0..2 {
        let run = stack.run_job("sync-out").await;
        assert_eq!(run["left_pending"], json!([ids[1]]), "{run}");
    }
    let exported = [ids[0].clone(), ids[2].clone()];
    stack.assert_exported_once(&exported).await;
    let (r, _) = stack.renewal_store().load(&ids[1]).await.unwrap().unwrap();
    assert_eq!(
        (r.status, r.export_pending.is_some()),
        (c2s_domain::renewal::Status::Approved, true)
    );
    stack.stop().await;
}
