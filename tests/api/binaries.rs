//! The deployed binaries, end to end: a stack whose functions run as their own binaries
//! through the Lambda runtime API (cargo-lambda's emulator), as `./infra/run` runs them, driven
//! through HTTP, S3 notifications on the queues, the outbox queue and a schedule; then what the
//! dev server answers when a binary stops or hangs mid-invocation, and that no process
//! outlives it.

use crate::helpers::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[tokio::test]
async fn the_binaries_answer_http_queues_and_schedules() {
    let stack = TestStack::start_binaries().await;
    let (nir, waiting) = (fresh_nir(84, 5), fresh_nir(85, 6));
    let mut quiet = beneficiary(
        &waiting,
        "1985-06-02",
        "SMOKE002",
        ROUEN,
        &months_from_today(2),
    );
    quiet["email"] = json!("attente@exemple.fr");
    // S3 → SQS → sync-in.
    let rejects = stack
        .import(
            "smoke.jsonl",
            &[
                beneficiary(&nir, "1984-05-12", "SMOKE001", ROUEN, &months_from_today(2))
                    .to_string(),
                quiet.to_string(),
            ],
        )
        .await;
    assert!(rejects.is_empty(), "{rejects:?}");

    // HTTP → identity, renewal, upload: API Gateway's events, the functions' answers.
    let token = stack.sign_in(&nir, "1984-05-12", "SMOKE001").await;
    let (status, draft) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    let (status, body) = stack
        .call(
            reqwest::Method::GET,
            &format!("/api/renewals/{id}?vue=complete"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!((status, &body["id"]), (StatusCode::OK, &json!(id)));
    let (status, body) = stack.get("/api/renewals/inconnu", &token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // The upload's S3 notification → SQS → document-check.
    let doc = stack
        .upload(&token, &id, "income_proof", "application/pdf", pdf())
        .await;
    let checked = stack.checked_document(&token, &id, &doc).await;
    let expected = if stack.antivirus {
        "clean"
    } else {
        "pending_scan"
    };
    assert_eq!(checked["status"], expected, "{checked}");

    // A schedule → reminders → RemindersQueue → reminders-worker → OutboxQueue → notify →
    // SES and SNS (the import put both on RemindersQueue too: they arrived inside the window).
    let report = stack.run_job("reminders").await;
    assert_eq!(
        report["rights_ending"].as_u64(),
        Some(2),
        "both whose renewal is open are dispatched: {report}"
    );
    let email = stack
        .wait_for_message("attente@exemple.fr", "rights_ending")
        .await;
    assert_eq!(email["channel"], "email");

    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let functions = devserver::template::Template::parse(&text)
        .unwrap()
        .functions()
        .len();
    let pids = stack.running.function_pids();
    assert!(
        pids.len() > functions,
        "every function and the emulator run: {pids:?}"
    );
    stack.stop().await;
    assert_all_gone(&pids);
}

/// A script standing for a function's binary, in `dir`.
fn stand_in(dir: &Path, name: &str, script: &str) {
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn on_path(program: &str) -> PathBuf {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| Path::new(d).join(program))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{program} is not on PATH"))
}

fn assert_all_gone(pids: &[u32]) {
    for pid in pids {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let alive = !state.is_empty() && !state.contains(") Z ");
        assert!(!alive, "process {pid} outlived the server: {state}");
    }
}

#[tokio::test]
async fn a_binary_that_stops_or_hangs_answers_503_and_is_started_again() {
    let built = built_binaries();
    let dir = std::env::temp_dir().join(format!("c2s-stand-ins-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let template = devserver::template::Template::parse(&text).unwrap();
    for f in template.functions() {
        std::os::unix::fs::symlink(built.join(&f.binary), dir.join(&f.binary)).unwrap();
    }
    let curl = on_path("curl");
    let sleep = on_path("sleep");
    let next = "\"$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next\"";
    // Takes the invocation, then stops without answering.
    stand_in(
        &dir,
        "eligibility",
        &format!(
            "#!/bin/sh\n{} -s {next} >/dev/null\nexit 3\n",
            curl.display()
        ),
    );
    // Takes the invocation and never answers.
    stand_in(
        &dir,
        "identity",
        &format!(
            "#!/bin/sh\n{} -s {next} >/dev/null\nexec {} 600\n",
            curl.display(),
            sleep.display()
        ),
    );
    // Its timeout, 2 seconds, in a copy of the template.
    let anchor = "BuildProperties: { Binary: identity }\n    Properties:\n";
    assert!(text.contains(anchor));
    let copy = dir.join("template.yaml");
    std::fs::write(
        &copy,
        text.replace(anchor, &format!("{anchor}      Timeout: 2\n")),
    )
    .unwrap();
    let stack = TestStack::start_binaries_from(copy, dir.clone()).await;

    for attempt in 0..2 {
        let started = std::time::Instant::now();
        let (status, body) = stack
            .post("/api/eligibility/estimate", None, json!({}))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("service_unavailable")),
            "attempt {attempt}: {body}"
        );
        assert!(body["message"]
            .as_str()
            .is_some_and(|m| m.contains("indisponible")));
        // At once, not after its 15-second timeout: the stop itself is seen.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "attempt {attempt}"
        );
    }
    let started = std::time::Instant::now();
    let (status, body) = stack
        .post(
            "/api/auth/beneficiary",
            None,
            json!({"nir": "", "birth_date": "", "renewal_code": ""}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("service_unavailable"))
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "not before its timeout"
    );
    // The other functions answer as ever.
    let (status, body) = stack
        .call(reqwest::Method::GET, "/api/renewals/r-1", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let logs = captured_logs();
    let logged = |what: &str, function: &str| {
        logs.lines()
            .any(|l| l.contains(what) && l.contains(&format!("function={function}")))
    };
    assert!(logged("stopped before answering", "eligibility"));
    assert!(logged("the function's process exited", "eligibility"));
    assert!(logged("did not answer within its timeout", "identity"));
    assert!(logged("the function overran its timeout", "identity"));
    let pids = stack.running.function_pids();
    assert!(
        pids.len() >= template.functions().len() + 3,
        "the emulator, every function, and the two stand-ins started again: {pids:?}"
    );
    stack.stop().await;
    assert_all_gone(&pids);
    let _ = std::fs::remove_dir_all(&dir);
}
