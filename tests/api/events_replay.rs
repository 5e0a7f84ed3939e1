//! Each sample event of `events/` replayed through its handler, on a stack whose queues are
//! not polled: what happens is the replayed event's doing.

use crate::helpers::*;
use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::Value;

fn event(name: &str, replacements: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(root().join("events").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    text
}

fn http(name: &str, replacements: &[(&str, &str)]) -> lambda_http::Request {
    lambda_http::request::from_str(&event(name, replacements))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sqs(name: &str, replacements: &[(&str, &str)]) -> SqsEvent {
    serde_json::from_str(&event(name, replacements)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn body(response: &lambda_http::Response<lambda_http::Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}

/// The messages waiting in the outbox queue (nobody polls it here) to these addresses.
async fn queued_outbox(stack: &TestStack, addresses: &[String]) -> Vec<Value> {
    let mut found = Vec::new();
    let mut empty = 0;
    while empty < 2 {
        let out = stack
            .clients
            .sqs()
            .receive_message()
            .queue_url(stack.queue("OutboxQueue"))
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            empty += 1;
        }
        found.extend(
            messages
                .into_iter()
                .filter_map(|m| serde_json::from_str::<Value>(m.body()?).ok())
                .filter(|m| addresses.iter().any(|a| m["to"] == a.as_str())),
        );
    }
    found
}

#[tokio::test]
async fn each_sample_event_runs_through_its_handler() {
    let stack = TestStack::start_with(false).await;
    let app_env = |f: &str| stack.function(f);

    // sync-in: the demo file at the event's key is imported by replaying the event.
    let (file, accounts) = devserver::demo::file(today());
    stack.remember_nirs(accounts.iter().map(|a| a.nir.clone()));
    let exchange = stack.bucket("ExchangeBucket");
    let put = stack
        .clients
        .s3()
        .put_object()
        .bucket(&exchange)
        .key("inbound/beneficiaries/20261123-001.jsonl")
        .body(file.into_bytes().into())
        .send()
        .await
        .unwrap();
    let (env, clients) = app_env("SyncInFunction");
    let app = sync_in::App::from_env(&env, &clients).unwrap();
    let response = sync_in::handle(
        &app,
        sqs(
            "sync-in.json",
            &[
                ("c2s-exchange-123456789012", &exchange),
                (
                    "REPLACE_WITH_VERSION_ID",
                    put.version_id().unwrap_or_default(),
                ),
            ],
        ),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let rejects = stack
        .wait_for_object(&exchange, "inbound/rejects/20261123-001.jsonl")
        .await;
    assert_eq!(rejects.lines().count(), 2);
    // The version the event names was imported, and is tagged to expire.
    stack
        .wait_until_consumed("ExchangeBucket", "inbound/beneficiaries/20261123-001.jsonl")
        .await;

    // identity: the demo beneficiary of the event signs in.
    let (env, clients) = app_env("IdentityFunction");
    let app = identity::App::from_env(&env, &clients).unwrap();
    let response = identity::handle(&app, http("identity-sign-in.json", &[])).await;
    assert_eq!(response.status(), 200, "{:?}", body(&response));
    let token = body(&response)["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // eligibility: the sample estimate, open to anyone.
    let (env, clients) = app_env("EligibilityFunction");
    let app = eligibility::App::from_env(&env, &clients).unwrap();
    let response = eligibility::handle(&app, http("eligibility-estimate.json", &[])).await;
    assert_eq!(response.status(), 200, "{:?}", body(&response));
    assert_eq!(body(&response)["outcome"], "participation");

    // renewal: with that token, a draft.
    let (env, clients) = app_env("RenewalFunction");
    let app = renewal::App::from_env(&env, &clients).unwrap();
    let response = renewal::handle(
        &app,
        http(
            "renewal-create.json",
            &[("REPLACE_WITH_BENEFICIARY_TOKEN", &token)],
        ),
    )
    .await;
    assert_eq!(response.status(), 201);
    let renewal_id = body(&response)["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let response = renewal::handle(&app, http("renewal-create.json", &[])).await;
    assert_eq!(response.status(), 401, "a placeholder is no token");

    // review: an instructeur of the demo beneficiary's caisse sees no submitted file yet.
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let (env, clients) = app_env("ReviewFunction");
    let app = review::App::from_env(&env, &clients).unwrap();
    let response = review::handle(
        &app,
        http("review-queue.json", &[("REPLACE_WITH_AGENT_TOKEN", &agent)]),
    )
    .await;
    assert_eq!(response.status(), 200, "{:?}", body(&response));
    assert_eq!(body(&response)["items"], serde_json::json!([]));
    let response = review::handle(&app, http("review-queue.json", &[])).await;
    assert_eq!(response.status(), 401);

    // partner: an admin partenaires of the caisse conventions a CCAS.
    let admin = stack.admin_token("P1", ROUEN).await;
    let (env, clients) = app_env("PartnerFunction");
    let app = partner::App::from_env(&env, &clients).unwrap();
    let response = partner::handle(
        &app,
        http(
            "partner-create-org.json",
            &[("REPLACE_WITH_AGENT_TOKEN", &admin)],
        ),
    )
    .await;
    assert_eq!(response.status(), 201, "{:?}", body(&response));
    assert_eq!(body(&response)["manager_limit"], 3);

    // partner-lifecycle: the scheduled event runs the job over that organisation.
    let (env, clients) = app_env("PartnerLifecycleFunction");
    let app = partner_lifecycle::App::from_env(&env, &clients).unwrap();
    let _scheduled: serde_json::Value =
        serde_json::from_str(&event("partner-lifecycle.json", &[])).unwrap();
    let report = partner_lifecycle::run(&app).await.unwrap();
    assert_eq!(report["organisations"], 1);

    // sync-out: the scheduled event with nothing decided yet exports nothing.
    let (env, clients) = app_env("SyncOutFunction");
    let app = sync_out::App::from_env(&env, &clients).unwrap();
    let _scheduled: serde_json::Value = serde_json::from_str(&event("sync-out.json", &[])).unwrap();
    let report = sync_out::run(&app).await.unwrap();
    assert_eq!(
        (report["exported"].clone(), report["files"].clone()),
        (serde_json::json!(0), serde_json::json!([]))
    );

    // deadlines: the scheduled event with no file due dispatches nothing; deadlines-worker: a
    // draft (no deadline running) is left as it is.
    let (env, clients) = app_env("DeadlinesFunction");
    let app = deadlines::App::from_env(&env, &clients).unwrap();
    let _scheduled: serde_json::Value =
        serde_json::from_str(&event("deadlines.json", &[])).unwrap();
    let report = deadlines::run(&app).await.unwrap();
    assert_eq!(
        (report["read"].clone(), report["dispatched"].clone()),
        (0.into(), 0.into())
    );
    let (before, _) = stack
        .renewal_store()
        .load(&renewal_id)
        .await
        .unwrap()
        .unwrap();
    let (env, clients) = app_env("DeadlinesWorkerFunction");
    let app = deadlines_worker::App::from_env(&env, &clients).unwrap();
    let response = deadlines_worker::handle(
        &app,
        sqs(
            "deadlines-worker.json",
            &[("REPLACE_WITH_RENEWAL_ID", &renewal_id)],
        ),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let (after, _) = stack
        .renewal_store()
        .load(&renewal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (after.version, after.near_deadline),
        (before.version, false)
    );

    // reminders: the scheduled event; every demo beneficiary whose renewal is open is
    // dispatched (the one with a draft from this test too: the worker skips them).
    let open_now: Vec<_> = accounts
        .iter()
        .filter(|a| {
            c2s_domain::dates::parse_date(&a.css_end_date)
                .is_ok_and(|end| c2s_domain::renewal::renewal_open_on(end, today()))
        })
        .collect();
    let (env, clients) = app_env("RemindersFunction");
    let app = reminders::App::from_env(&env, &clients).unwrap();
    let _scheduled: serde_json::Value =
        serde_json::from_str(&event("reminders.json", &[])).unwrap();
    let report = reminders::run(&app).await.unwrap();
    assert_eq!(report["rights_ending"], open_now.len(), "{report}");

    // reminders-worker: one of them who has not started is reminded by email and SMS, once
    // however often the queue delivers the message.
    let (env, _) = app_env("SyncInFunction");
    let hasher = c2s_platform::hashing::Hasher::from_env(&env).unwrap();
    let started = stack
        .renewal_store()
        .load(&renewal_id)
        .await
        .unwrap()
        .unwrap()
        .0
        .nir_hash;
    let (nir_hash, end) = open_now
        .iter()
        .filter_map(|a| {
            Some((
                hasher.nir(&c2s_domain::Nir::parse(&a.nir).ok()?),
                &a.css_end_date,
            ))
        })
        .find(|(h, _)| *h != started)
        .unwrap();
    let (env, clients) = app_env("RemindersWorkerFunction");
    let app = reminders_worker::App::from_env(&env, &clients).unwrap();
    for _ in 0..2 {
        let response = reminders_worker::handle(
            &app,
            sqs(
                "reminders-worker.json",
                &[
                    ("REPLACE_WITH_NIR_HASH", &nir_hash),
                    ("REPLACE_WITH_END_DATE", end),
                ],
            ),
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
    }
    let to = c2s_platform::beneficiaries::BeneficiaryStore::new(
        stack.clients.dynamo(),
        stack.table("BeneficiariesTable"),
    )
    .profile(&nir_hash)
    .await
    .unwrap()
    .unwrap();
    let addresses = [to.email.unwrap_or_default(), to.phone.unwrap_or_default()];
    let queued = queued_outbox(&stack, &addresses).await;
    let mut channels: Vec<&str> = queued
        .iter()
        .filter(|m| m["kind"] == "rights_ending")
        .filter_map(|m| m["channel"].as_str())
        .collect();
    channels.sort_unstable();
    assert_eq!(channels, ["email", "sms"]);

    // purge: nothing due yet, and nothing written before the search's indexes to backfill;
    // purge-worker: a deletion message for a renewal not due is skipped.
    let (env, clients) = app_env("PurgeFunction");
    let app = purge::App::from_env(&env, &clients).unwrap();
    let scheduled: serde_json::Value = serde_json::from_str(&event("purge.json", &[])).unwrap();
    let report = purge::handle(&app, scheduled).await.unwrap();
    assert_eq!(report["items_read"], 0);
    let backfill: serde_json::Value =
        serde_json::from_str(&event("purge-backfill.json", &[])).unwrap();
    let report = purge::handle(&app, backfill).await.unwrap();
    assert_eq!(
        (
            report["receipt_number"].as_u64(),
            report["identity_key"].as_u64()
        ),
        (Some(0), Some(0)),
        "{report}"
    );
    let (env, clients) = app_env("PurgeWorkerFunction");
    let app = purge_worker::App::from_env(&env, &clients).unwrap();
    let response = purge_worker::handle(
        &app,
        sqs(
            "purge-worker.json",
            &[("REPLACE_WITH_RENEWAL_ID", &renewal_id)],
        ),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let (status, _) = stack
        .get(&format!("/api/renewals/{renewal_id}"), &token)
        .await;
    assert_eq!(status, 200, "a draft not due is kept");

    // notify: the activation email of the event leaves through SES, once however often the
    // queue delivers it.
    let (env, clients) = app_env("NotifyFunction");
    let app = notify::App::from_env(&env, &clients).unwrap();
    for _ in 0..2 {
        let response = notify::handle(&app, sqs("notify.json", &[])).await;
        assert!(response.batch_item_failures.is_empty());
    }
    let sent = stack
        .wait_for_message("c.martin@ccas-rouen.fr", "partner_activation")
        .await;
    assert!(sent["body"]
        .as_str()
        .is_some_and(|b| b.starts_with("Bonjour Camille,") && b.contains("CCAS de Rouen")));
    assert_eq!(stack.outbox_for("c.martin@ccas-rouen.fr").await.len(), 1);

    // upload: the announced 182-byte PDF, sent to its presigned URL.
    let (env, clients) = app_env("UploadFunction");
    let app = upload::App::from_env(&env, &clients).unwrap();
    let response = upload::handle(
        &app,
        http(
            "upload-announce.json",
            &[
                ("REPLACE_WITH_BENEFICIARY_TOKEN", &token),
                ("REPLACE_WITH_RENEWAL_ID", &renewal_id),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), 201);
    let announced = body(&response);
    let document_id = announced["document_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut bytes = pdf();
    bytes.resize(182, b' ');
    let mut put = stack
        .http
        .put(announced["upload"]["url"].as_str().unwrap_or_default());
    for (k, v) in announced["upload"]["headers"]
        .as_object()
        .into_iter()
        .flatten()
    {
        put = put.header(k.as_str(), v.as_str().unwrap_or_default());
    }
    assert!(put
        .body(bytes)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success()));

    // document-check: the replayed notification checks that object.
    let (env, clients) = app_env("DocumentCheckFunction");
    let app = document_check::App::from_env(&env, &clients).unwrap();
    let documents = stack.bucket("DocumentsBucket");
    let uploaded = stack
        .clients
        .s3()
        .head_object()
        .bucket(&documents)
        .key(format!("renewals/{renewal_id}/{document_id}"))
        .send()
        .await
        .unwrap();
    let response = document_check::handle(
        &app,
        sqs(
            "document-check.json",
            &[
                ("c2s-documents-123456789012", &documents),
                ("REPLACE_WITH_RENEWAL_ID", &renewal_id),
                ("REPLACE_WITH_DOCUMENT_ID", &document_id),
                (
                    "REPLACE_WITH_VERSION_ID",
                    uploaded.version_id().unwrap_or_default(),
                ),
            ],
        ),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let (_, renewal) = stack
        .get(&format!("/api/renewals/{renewal_id}"), &token)
        .await;
    let expected = if stack.antivirus {
        "clean"
    } else {
        "pending_scan"
    };
    assert_eq!(renewal["documents"][0]["status"], expected);

    // document-rescan: the scheduled event; that document was just checked, nothing waits.
    let (env, clients) = app_env("DocumentRescanFunction");
    let app = document_rescan::App::from_env(&env, &clients).unwrap();
    let _scheduled: serde_json::Value =
        serde_json::from_str(&event("document-rescan.json", &[])).unwrap();
    let report = document_rescan::run(&app).await.unwrap();
    assert_eq!(report["asked_again"], 0, "{report}");
    stack.stop().await;
}
