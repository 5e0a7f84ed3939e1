//! Permissions are enforced locally: each function's calls carry only its role from
//! `template.yaml` (`infra/lib/permissions.py`). Each test here runs one call on the
//! template as it is, where it passes with nothing refused, then on a copy of the template
//! with one permission removed, where the same call fails and the emulator names the call it
//! refused. (Every other test proves the other half: `TestStack::stop` fails on any refusal.)

use crate::helpers::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Waits (10 s at most) until the emulator has refused `function` `action`; returns that call.
async fn refusal(stack: &TestStack, function: &str, action: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let refused = stack.refused().await;
        if let Some(r) = refused
            .iter()
            .find(|r| r["function"] == function && r["action"] == action)
        {
            return r.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{function} was not refused {action}; refused: {refused:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A LocalStack run (`C2S_EMULATOR=localstack`) has no checker: said, not silently passed.
fn skipped_without_enforcement() -> bool {
    let off = !devserver::permissions::enforced_by_default();
    if off {
        eprintln!(
            "C2S_PERMISSIONS=off: the permission tests need infra/lib/moto_server.py's checker"
        );
    }
    off
}

#[tokio::test]
async fn an_http_function_without_its_table_permission_fails_the_call_it_needs_it_for() {
    if skipped_without_enforcement() {
        return;
    }
    let estimate = json!({"request_month": "2025-06", "territory": "metropole", "household": [{"birth_date": "1984-05-12", "relation": "applicant"}], "resources_annual_cents": 900_000, "housing": {"status": "tenant", "housing_aid_cents": 0}});

    let stack = TestStack::start().await;
    let (status, body) = stack
        .post("/api/eligibility/estimate", None, estimate.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    stack.stop().await;

    let template = template_without(
        "EligibilityFunction",
        "            - Effect: Allow\n              Action: [dynamodb:UpdateItem]\n              Resource: !GetAtt RateLimitsTable.Arn\n",
    );
    let stack = TestStack::start_with_template(template).await;
    let (status, _) = stack
        .post("/api/eligibility/estimate", None, estimate)
        .await;
    assert!(
        !status.is_success(),
        "the estimate passed without its rate limit's permission"
    );
    let refused = refusal(&stack, "EligibilityFunction", "dynamodb:UpdateItem").await;
    assert_eq!(
        refused["resource"],
        format!(
            "arn:aws:dynamodb:eu-west-3:123456789012:table/{}",
            stack.table("RateLimitsTable")
        )
    );
    stack.stop_allowing_refusals().await;
}

#[tokio::test]
async fn a_job_without_its_bucket_permission_fails_and_says_so() {
    if skipped_without_enforcement() {
        return;
    }
    let stack = TestStack::start().await;
    let report = stack.run_job("purge").await;
    assert!(report["dispatched"].is_object(), "{report}");
    stack.stop().await;

    let template = template_without(
        "PurgeFunction",
        "            - Effect: Allow\n              Action: [s3:PutObject]\n              Resource: !Sub \"${ExchangeBucket.Arn}/reports/purge/*\"\n",
    );
    let stack = TestStack::start_with_template(template).await;
    let (status, body) = stack.post("/dev/run/purge", None, json!({})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["code"], "job_failed");
    let refused = refusal(&stack, "PurgeFunction", "s3:PutObject").await;
    let exchange = stack.bucket("ExchangeBucket");
    assert!(
        refused["resource"]
            .as_str()
            .is_some_and(|r| r.starts_with(&format!("arn:aws:s3:::{exchange}/reports/purge/"))),
        "{refused}"
    );
    stack.stop_allowing_refusals().await;
}

/// The KMS permission no call names: receiving from a queue under the stack's key needs
/// kms:Decrypt on that key, so without it the consumer never gets its messages.
#[tokio::test]
async fn a_queue_consumer_without_the_queue_key_receives_nothing() {
    if skipped_without_enforcement() {
        return;
    }
    let email = "claude.petit@udaf-perm.fr";
    let stack = TestStack::start().await;
    let admin = stack.admin_token("adm-perm", ROUEN).await;
    let (pid, _) = stack
        .onboard_partner(&admin, "UDAF des permissions", email)
        .await;
    assert!(!pid.is_empty());
    stack.stop().await;

    let template = template_without(
        "NotifyFunction",
        "            - Effect: Allow\n              Action: [kms:Decrypt]\n              Resource: !GetAtt DataKey.Arn\n",
    );
    let stack = TestStack::start_with_template(template).await;
    let admin = stack.admin_token("adm-perm", ROUEN).await;
    let (_, org) = stack.post("/api/agent/partners", Some(&admin), json!({"name": "UDAF des permissions", "kind": "udaf", "members": 12, "caisses": [ROUEN], "convention": {"caisse": ROUEN, "start": "2025-01-01", "end": "2025-12-31"}})).await;
    let pid = org["partner_id"].as_str().unwrap_or_default().to_owned();
    let (status, body) = stack.post(&format!("/api/agent/partners/{pid}/managers"), Some(&admin), json!({"email": email, "last_name": "Petit", "first_name": "Claude", "function": "Mandataire"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let refused = refusal(&stack, "NotifyFunction", "kms:Decrypt").await;
    assert!(
        refused["via"]
            .as_str()
            .is_some_and(|v| v.starts_with("sqs:ReceiveMessage on ")),
        "{refused}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        stack.outbox_for(email).await.is_empty(),
        "an activation email left without the queue's key"
    );
    stack.stop_allowing_refusals().await;
}

/// Sign-in locks and request counters live apart: the locks in `SignInLocksTable`, which only
/// the functions that judge a secret may write, the estimate's counters in `RateLimitsTable`,
/// so a flood of estimates never touches (or throttles) the table sign-in depends on.
#[tokio::test]
async fn sign_in_locks_have_a_table_of_their_own() {
    if skipped_without_enforcement() {
        return;
    }
    let estimate = json!({"request_month": "2025-06", "territory": "metropole", "household": [{"birth_date": "1984-05-12", "relation": "applicant"}], "resources_annual_cents": 900_000, "housing": {"status": "tenant", "housing_aid_cents": 0}});
    let nir = fresh_nir(64, 4);
    let wrong = json!({"nir": nir, "birth_date": "1964-04-04", "renewal_code": "WRONG644"});

    let stack = TestStack::start().await;
    stack.remember_nirs([nir.clone()]);
    let (status, body) = stack
        .post("/api/eligibility/estimate", None, estimate.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = stack
        .post("/api/auth/beneficiary", None, wrong.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let keys = |table: String| {
        let dynamo = stack.clients.dynamo();
        async move {
            let scan = dynamo.scan().table_name(table).send().await.expect("scan");
            let mut keys: Vec<String> = scan
                .items
                .unwrap_or_default()
                .iter()
                .filter_map(|i| i.get("pk")?.as_s().ok())
                .map(|k| k.split('#').next().unwrap_or_default().to_owned())
                .collect();
            keys.dedup();
            keys
        }
    };
    assert_eq!(keys(stack.table("RateLimitsTable")).await, ["estimate"]);
    // A NIR no file brought: counted apart from the people on file (sign_in.rs).
    assert_eq!(
        keys(stack.table("SignInLocksTable")).await,
        ["beneficiary-sign-in-unknown"]
    );
    stack.stop().await;

    let template = template_without(
        "IdentityFunction",
        "            - Effect: Allow\n              Action: [dynamodb:GetItem, dynamodb:UpdateItem, dynamodb:DeleteItem]\n              Resource: !GetAtt SignInLocksTable.Arn\n",
    );
    let stack = TestStack::start_with_template(template).await;
    // Unjudged, and a fault of ours (AWS refused the call as made), not a passing outage.
    let (status, body) = stack.post("/api/auth/beneficiary", None, wrong).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal"))
    );
    let refused = refusal(&stack, "IdentityFunction", "dynamodb:UpdateItem").await;
    assert_eq!(
        refused["resource"],
        format!(
            "arn:aws:dynamodb:eu-west-3:123456789012:table/{}",
            stack.table("SignInLocksTable")
        )
    );
    stack.stop_allowing_refusals().await;
}

/// The national system's files carry the letters' secrets in clear: the exchange bucket's
/// policy lets only the import read them. A role that another policy lets read the whole
/// bucket (here sync-out, widened for the test) reads the import's rejects, never the file.
#[tokio::test]
async fn only_the_import_reads_the_files_the_national_system_deposits() {
    if skipped_without_enforcement() {
        return;
    }
    let template = template_edited(
        "SyncOutFunction",
        "Resource: !Sub \"${ExchangeBucket.Arn}/outbound/decisions/*\"",
        "Resource: !Sub \"${ExchangeBucket.Arn}/*\"",
    );
    let stack = TestStack::start_with_template(template).await;
    let nir = fresh_nir(84, 6);
    stack
        .import(
            "secrets.jsonl",
            &[
                beneficiary(&nir, "1984-06-06", "SECRET01", ROUEN, &months_from_today(2))
                    .to_string(),
            ],
        )
        .await;
    let bucket = stack.bucket("ExchangeBucket");
    let read = |function: &'static str, key: &'static str| {
        let (_, clients) = stack.function(function);
        let bucket = bucket.clone();
        async move {
            clients
                .s3()
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .is_ok()
        }
    };
    assert!(read("SyncOutFunction", "inbound/rejects/secrets.jsonl").await);
    assert!(
        !read("SyncOutFunction", "inbound/beneficiaries/secrets.jsonl").await,
        "another function read an inbound file"
    );
    let refused = refusal(&stack, "SyncOutFunction", "s3:GetObject").await;
    assert_eq!(
        refused["resource"],
        format!("arn:aws:s3:::{bucket}/inbound/beneficiaries/secrets.jsonl")
    );
    assert_eq!(refused["why"], "explicit deny in the bucket policy");
    // Without any grant (the repository's role), the purge job cannot read them either.
    assert!(!read("PurgeFunction", "inbound/beneficiaries/secrets.jsonl").await);
    stack.stop_allowing_refusals().await;
}
