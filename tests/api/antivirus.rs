//! The antivirus as it runs on AWS: `antivirus-definitions` keeps ClamAV's definitions in
//! `VirusDefinitionsBucket` with freshclam, and the document check loads them into a clamd of
//! its own. Debian's freshclam and clamd play Amazon Linux's; freshclam's mirror is a local
//! file (the emulator has no internet), as `infra/lib/stack.sh` sets up for `./infra/run`.
//! An antivirus that is down never makes a document clean.

use crate::helpers::*;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use c2s_domain::document::RejectReason;
use c2s_platform::aws::Clients;
use c2s_platform::queue::ObjectRef;
use c2s_platform::Env;
use document_check::Outcome;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const FRESHCLAM: &str = "/usr/bin/freshclam";
const CLAMD: &str = "/usr/sbin/clamd";

fn clamav_here() -> bool {
    let here = std::path::Path::new(FRESHCLAM).exists() && std::path::Path::new(CLAMD).exists();
    if !here {
        eprintln!("NOTE: no freshclam and clamd here: the antivirus's own path is not tested");
    }
    here
}

/// A signature that matches `marker` anywhere in a file.
fn signature(name: &str, marker: &[u8]) -> String {
    format!("{name}:0:*:{}\n", hex::encode(marker))
}

/// freshclam's source: one custom database in a directory, and the offline configuration
/// that reads it.
struct Mirror {
    dir: PathBuf,
}

impl Mirror {
    fn new(signatures: &str) -> Mirror {
        let dir =
            std::env::temp_dir().join(format!("c2s-mirror-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mirror = Mirror { dir };
        mirror.publish(signatures);
        let user = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let config = format!(
            "DatabaseOwner {}\nPrivateMirror http://127.0.0.1:9\nExcludeDatabase daily\nExcludeDatabase main\nExcludeDatabase bytecode\nDatabaseCustomURL file://{}\n",
            String::from_utf8_lossy(&user.stdout).trim(),
            mirror.database().display()
        );
        std::fs::write(mirror.config(), config).unwrap();
        mirror
    }

    fn database(&self) -> PathBuf {
        self.dir.join("c2s-test.ndb")
    }

    fn config(&self) -> PathBuf {
        self.dir.join("freshclam.conf")
    }

    /// New signatures, dated after anything the bucket already holds.
    fn publish(&self, signatures: &str) {
        std::fs::write(self.database(), signatures).unwrap();
        let file = std::fs::File::options()
            .write(true)
            .open(self.database())
            .unwrap();
        file.set_modified(SystemTime::now() + Duration::from_secs(3600))
            .unwrap();
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The updater with its own role, freshclam reading `config`.
fn updater(stack: &TestStack, config: &std::path::Path) -> antivirus_definitions::App {
    let (env, clients) = stack.function("VirusDefinitionsFunction");
    let env = env
        .with("FRESHCLAM_CONFIG", config.display().to_string())
        .with("FRESHCLAM_PROGRAM", FRESHCLAM.to_owned());
    antivirus_definitions::App::from_env(&env, &clients).unwrap()
}

/// The document check's configuration as deployed (with its own role): no daemon given, its
/// own clamd from the bucket.
fn own_configuration(stack: &TestStack) -> (Env, Clients) {
    let (env, clients) = stack.function("DocumentCheckFunction");
    let env = env
        .with("CLAMD_ADDRESS", String::new())
        .with(
            "VIRUS_DEFINITIONS_BUCKET",
            stack.bucket("VirusDefinitionsBucket"),
        )
        .with("CLAMD_PROGRAM", CLAMD.to_owned());
    (env, clients)
}

fn own_checker(stack: &TestStack) -> document_check::App {
    let (env, clients) = own_configuration(stack);
    document_check::App::from_env(&env, &clients).unwrap()
}

async fn bucket_files(stack: &TestStack) -> BTreeMap<String, Vec<u8>> {
    let bucket = stack.bucket("VirusDefinitionsBucket");
    let listed = stack
        .clients
        .s3()
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let mut files = BTreeMap::new();
    for key in listed.contents().iter().filter_map(|o| o.key()) {
        let out = stack
            .clients
            .s3()
            .get_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        let bytes = out.body.collect().await.unwrap().into_bytes().to_vec();
        files.insert(key.to_owned(), bytes);
    }
    files
}

/// The uploaded object of a document, as its S3 notification names it.
async fn object(stack: &TestStack, renewal: &str, document: &str) -> ObjectRef {
    let bucket = stack.bucket("DocumentsBucket");
    let key = format!("renewals/{renewal}/{document}");
    let head = stack
        .clients
        .s3()
        .head_object()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    ObjectRef {
        bucket,
        key,
        size: head.content_length(),
        etag: head.e_tag().map(|e| e.trim_matches('"').to_owned()),
        version_id: head.version_id().map(str::to_owned),
    }
}

/// One SQS message carrying the object's S3 notification, as the queue hands it over.
fn uploaded(object: &ObjectRef) -> SqsEvent {
    let notification = json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": object.bucket},
            "object": {"key": object.key, "size": object.size, "eTag": object.etag, "versionId": object.version_id},
        },
    }]});
    let mut message = SqsMessage::default();
    message.message_id = Some("m-1".to_owned());
    message.body = Some(notification.to_string());
    let mut event = SqsEvent::default();
    event.records = vec![message];
    event
}

/// A signed-in beneficiary and their draft, on a stack whose queues are not polled (no
/// poller may check the documents before the test does): the import's notification is
/// handed to sync-in here.
async fn draft(stack: &TestStack, name: &str) -> (String, String) {
    let nir = fresh_nir(92, 2);
    stack.remember_nirs([nir.clone()]);
    let line = beneficiary(&nir, "1992-02-02", "DOCS2222", ROUEN, &months_from_today(2));
    let exchange = stack.bucket("ExchangeBucket");
    let key = format!("inbound/beneficiaries/{name}");
    stack
        .clients
        .s3()
        .put_object()
        .bucket(&exchange)
        .key(&key)
        .body(format!("{line}\n").into_bytes().into())
        .send()
        .await
        .unwrap();
    let (env, clients) = stack.function("SyncInFunction");
    let sync_in = sync_in::App::from_env(&env, &clients).unwrap();
    let file = ObjectRef {
        bucket: exchange,
        key,
        size: None,
        etag: None,
        version_id: None,
    };
    let response = sync_in::handle(&sync_in, uploaded(&file)).await;
    assert!(response.batch_item_failures.is_empty());
    let token = stack.sign_in(&nir, "1992-02-02", "DOCS2222").await;
    let (status, r) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    (token, r["id"].as_str().unwrap_or_default().to_owned())
}

async fn status_of(stack: &TestStack, token: &str, renewal: &str, document: &str) -> Value {
    let (_, r) = stack.get(&format!("/api/renewals/{renewal}"), token).await;
    r["documents"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["document_id"] == document).cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_updater_fills_the_bucket_then_sends_only_what_freshclam_changed() {
    let stack = TestStack::start_with(false).await;
    if !clamav_here() {
        stack.stop().await;
        return;
    }
    let first_signature = signature("C2S-Test-One", b"c2s-first-marker");
    let mirror = Mirror::new(&first_signature);
    let app = updater(&stack, &mirror.config());

    // The scheduler's event: an empty bucket gets the database and freshclam's state.
    let scheduled: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/antivirus-definitions.json")).unwrap(),
    )
    .unwrap();
    let report = antivirus_definitions::handle(&app, scheduled)
        .await
        .unwrap();
    assert_eq!(report["downloaded"], 0, "{report}");
    assert_eq!(
        report["uploaded"],
        json!(["c2s-test.ndb", "freshclam.dat"]),
        "{report}"
    );
    let files = bucket_files(&stack).await;
    assert_eq!(
        files.get("c2s-test.ndb").map(Vec::as_slice),
        Some(first_signature.as_bytes())
    );

    // Nothing new at the mirror: what the bucket holds is fetched, and nothing is sent; a
    // database no longer wanted (here one the configuration excludes), which freshclam
    // prunes, is deleted from the bucket.
    stack
        .clients
        .s3()
        .put_object()
        .bucket(stack.bucket("VirusDefinitionsBucket"))
        .key("daily.cld")
        .body(b"an old daily database".to_vec().into())
        .send()
        .await
        .unwrap();
    let again = antivirus_definitions::update(&app).await.unwrap();
    assert_eq!(
        (again.downloaded, again.uploaded.len(), again.unchanged),
        (3, 0, 2),
        "{again:?}"
    );
    assert_eq!(again.removed, ["daily.cld"]);
    assert!(!bucket_files(&stack).await.contains_key("daily.cld"));

    // A new signature published: only that database goes.
    let both = format!(
        "{first_signature}{}",
        signature("C2S-Test-Two", b"c2s-second-marker")
    );
    mirror.publish(&both);
    let changed = antivirus_definitions::update(&app).await.unwrap();
    assert_eq!(changed.uploaded, ["c2s-test.ndb"], "{changed:?}");
    let files = bucket_files(&stack).await;
    assert_eq!(
        files.get("c2s-test.ndb").map(Vec::as_slice),
        Some(both.as_bytes())
    );

    // freshclam failing (its mirror gone) is an error in its words, and the bucket is kept.
    std::fs::remove_file(mirror.database()).unwrap();
    let failed = antivirus_definitions::update(&app).await;
    assert!(
        matches!(
            &failed,
            Err(antivirus_definitions::UpdateError::Freshclam { .. })
        ),
        "{failed:?}"
    );
    assert_eq!(bucket_files(&stack).await, files);
    stack.stop().await;
}

/// CloudFormation's side of the custom resource: where it waits for the answer.
async fn response_url() -> (String, Arc<Mutex<Vec<(Option<String>, Value)>>>) {
    let answers = Arc::new(Mutex::new(Vec::new()));
    let kept = answers.clone();
    let app = axum::Router::new().route(
        "/cloudformation",
        axum::routing::put(move |headers: axum::http::HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                kept.lock().unwrap().push((content_type, body));
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (
        format!("http://{address}/cloudformation?X-Amz-Signature=test"),
        answers,
    )
}

#[tokio::test]
async fn the_first_deploy_gets_its_definitions_and_the_stack_deletion_empties_the_bucket() {
    let stack = TestStack::start_with(false).await;
    if !clamav_here() {
        stack.stop().await;
        return;
    }
    let mirror = Mirror::new(&signature("C2S-Test-One", b"c2s-first-marker"));
    let app = updater(&stack, &mirror.config());
    let bucket = stack.bucket("VirusDefinitionsBucket");
    let (url, answers) = response_url().await;
    let create: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/antivirus-definitions-create.json"))
            .unwrap()
            .replace("REPLACE_WITH_RESPONSE_URL", &url)
            .replace("c2s-virusdefinitionsbucket-1a2b3c4d5e6f", &bucket),
    )
    .unwrap();

    antivirus_definitions::handle(&app, create.clone())
        .await
        .unwrap();
    assert!(bucket_files(&stack).await.contains_key("c2s-test.ndb"));

    let mut delete = create.clone();
    delete["RequestType"] = json!("Delete");
    delete["PhysicalResourceId"] = json!(bucket);
    antivirus_definitions::handle(&app, delete).await.unwrap();
    assert!(bucket_files(&stack).await.is_empty());

    // A download that fails fails the deployment, saying why.
    let broken = Mirror::new("");
    std::fs::remove_file(broken.database()).unwrap();
    let failing = updater(&stack, &broken.config());
    antivirus_definitions::handle(&failing, create.clone())
        .await
        .unwrap();

    let answers = answers.lock().unwrap().clone();
    assert_eq!(answers.len(), 3);
    for (content_type, answer) in &answers {
        assert_eq!(
            content_type, &None,
            "the presigned URL signs no content type"
        );
        assert_eq!(answer["PhysicalResourceId"], bucket.as_str());
        assert_eq!(answer["StackId"], create["StackId"]);
        assert_eq!(answer["RequestId"], create["RequestId"]);
        assert_eq!(answer["LogicalResourceId"], "VirusDefinitions");
    }
    let statuses: Vec<&str> = answers
        .iter()
        .map(|(_, a)| a["Status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["SUCCESS", "SUCCESS", "FAILED"]);
    assert!(
        answers[2].1["Reason"]
            .as_str()
            .is_some_and(|r| r.contains("freshclam")),
        "{:?}",
        answers[2].1
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_document_check_scans_with_its_own_clamd_loaded_from_the_bucket() {
    let stack = TestStack::start_with(false).await;
    if !clamav_here() {
        stack.stop().await;
        return;
    }
    let mirror = Mirror::new(&signature("Eicar-Test-Signature", EICAR));
    antivirus_definitions::update(&updater(&stack, &mirror.config()))
        .await
        .unwrap();
    let checker = own_checker(&stack);
    let (token, id) = draft(&stack, "own-clamd.jsonl").await;
    let infected = stack
        .upload(
            &token,
            &id,
            "payslip",
            "application/pdf",
            [b"%PDF-1.4\n".to_vec(), EICAR.to_vec()].concat(),
        )
        .await;
    let clean = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;

    let outcome = document_check::check_once(&checker, &object(&stack, &id, &infected).await).await;
    assert_eq!(
        outcome.ok(),
        Some(Outcome::Rejected(RejectReason::Infected))
    );
    let outcome = document_check::check_once(&checker, &object(&stack, &id, &clean).await).await;
    assert_eq!(outcome.ok(), Some(Outcome::Clean));

    assert_eq!(
        status_of(&stack, &token, &id, &infected).await["reject_reason"],
        "infected"
    );
    assert!(!stack.document_exists(&id, &infected).await);
    assert_eq!(
        status_of(&stack, &token, &id, &clean).await["status"],
        "clean"
    );
    stack.stop().await;
}

#[tokio::test]
async fn an_antivirus_that_is_down_never_makes_a_document_clean() {
    let stack = TestStack::start_with(false).await;
    let (token, id) = draft(&stack, "av-down.jsonl").await;
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;
    let uploaded = uploaded(&object(&stack, &id, &doc).await);

    // Its own clamd, before any definitions are in the bucket; then a daemon nobody runs.
    let without_definitions = own_checker(&stack);
    let (env, clients) = stack.function("DocumentCheckFunction");
    let env = env.with("CLAMD_ADDRESS", "/nonexistent/clamd.sock".to_owned());
    let unreachable = document_check::App::from_env(&env, &clients).unwrap();
    for (attempt, checker) in [&without_definitions, &unreachable].into_iter().enumerate() {
        let response = document_check::handle(checker, uploaded.clone()).await;
        // The message fails, to come back after its back-off; the document is recorded as
        // waiting for the antivirus (the person is told), its object kept, its attempts
        // counted for the rescan job.
        assert_eq!(response.batch_item_failures.len(), 1);
        assert_eq!(
            status_of(&stack, &token, &id, &doc).await["status"],
            "pending_scan"
        );
        assert!(stack.document_exists(&id, &doc).await);
        let record = stack.renewal_store().document(&id, &doc).await.unwrap();
        assert_eq!(
            record.map(|r| (r.scan_attempts, r.last_scan_attempt_at.is_some())),
            Some((attempt as u32 + 1, true))
        );
    }

    // The failures released their claim: once the antivirus works, the same upload is checked.
    if clamav_here() {
        let mirror = Mirror::new(&signature("Eicar-Test-Signature", EICAR));
        antivirus_definitions::update(&updater(&stack, &mirror.config()))
            .await
            .unwrap();
        let response = document_check::handle(&own_checker(&stack), uploaded).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            status_of(&stack, &token, &id, &doc).await["status"],
            "clean"
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn the_local_stack_runs_the_update_job_from_its_file_mirror() {
    if std::env::var_os("FRESHCLAM_CONFIG").is_none() {
        eprintln!("NOTE: no FRESHCLAM_CONFIG (infra/lib/stack.sh writes it with clamd): the dev server's job is not run");
        return;
    }
    let stack = TestStack::start().await;
    let report = stack.run_job("antivirus-definitions").await;
    assert_eq!(
        report["uploaded"],
        json!(["eicar.ndb", "freshclam.dat"]),
        "{report}"
    );
    assert!(bucket_files(&stack).await.contains_key("eicar.ndb"));
    stack.stop().await;
}

#[tokio::test]
async fn a_clamd_of_its_own_that_stops_is_started_again() {
    let stack = TestStack::start_with(false).await;
    if !clamav_here() {
        stack.stop().await;
        return;
    }
    let mirror = Mirror::new(&signature("Eicar-Test-Signature", EICAR));
    antivirus_definitions::update(&updater(&stack, &mirror.config()))
        .await
        .unwrap();
    let (env, clients) = own_configuration(&stack);
    let antivirus = document_check::antivirus::Antivirus::from_env(&env, &clients).unwrap();
    let document_check::antivirus::Antivirus::Own(own) = &antivirus else {
        panic!("not its own clamd");
    };
    let infected = [b"%PDF-1.4\n".to_vec(), EICAR.to_vec()].concat();
    assert_eq!(
        antivirus.scan(&infected).await.unwrap(),
        Some(c2s_platform::clamd::Verdict::Infected)
    );

    // The daemon dies (killed for memory, say): another is started.
    let config = own.dir().join("clamd.conf").display().to_string();
    let pid = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&config))
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .expect("our clamd's process");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    // The scan that meets the dead daemon may fail (its message comes back); it is replaced.
    let _ = antivirus.scan(&infected).await;
    assert_eq!(
        antivirus.scan(&infected).await.unwrap(),
        Some(c2s_platform::clamd::Verdict::Infected)
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_check_whose_object_is_already_gone_is_skipped_not_retried() {
    let stack = TestStack::start_with(false).await;
    let (token, id) = draft(&stack, "gone-before-check.jsonl").await;
    let doc = stack
        .upload(&token, &id, "payslip", "application/pdf", pdf())
        .await;
    let gone = object(&stack, &id, &doc).await;
    // The object removed before its check ran (a removal that stopped half way, a version
    // deleted): S3 answers 404 only to a role that may list the bucket, 403 otherwise.
    stack
        .clients
        .s3()
        .delete_object()
        .bucket(&gone.bucket)
        .key(&gone.key)
        .version_id(gone.version_id.clone().unwrap_or_default())
        .send()
        .await
        .unwrap();
    let (env, clients) = stack.function("DocumentCheckFunction");
    let checker = document_check::App::from_env(&env, &clients).unwrap();
    let outcome = document_check::check_once(&checker, &gone).await;
    assert_eq!(outcome.ok(), Some(Outcome::Skipped));
    stack.stop().await;
}
