//! Benchmarks against the local emulator (`./infra/bench`; not part of the tests: figures,
//! not assertions). Prints:
//! - inbound import of 10 000, 100 000 and 1 000 000 lines in one step: lines per second, and
//!   the peak memory (VmHWM) of the import process, which must stay flat as the file grows;
//! - the import by ranges at 1, 4 and 8 parallel workers beside the raw BatchWriteItem loop
//!   at the same concurrency, and the projection for the national file (`parallel`);
//! - purge of 2 000 due items (renewals and partners' requests) among 110 000 kept: items
//!   read per item due;
//! - reminders over profiles whose rights end on every day of the coming year: items read
//!   per reminder processed by the worker, beside what the month index read before;
//! - deadlines over running files whose deadlines span 90 days: items read per file
//!   processed by the worker, beside what reading every file due within 10 days reads.

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use c2s_platform::aws::Clients;
use c2s_platform::queue::ObjectRef;
use c2s_tests::{beneficiary, nir, root, sdk_config};
use std::collections::HashMap;
use std::time::Instant;

mod parallel;

pub(crate) fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `bench import <bucket> <key> <env json>`: the import alone, in its own process.
async fn import_child(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let vars: HashMap<String, String> = serde_json::from_str(&args[4])?;
    let env = c2s_platform::Env::from_map(vars);
    let sdk = sdk_config().await;
    let app = sync_in::App::from_env(&env, &Clients::new(&sdk, &env))?;
    let started = Instant::now();
    let report = sync_in::import(
        &app,
        &ObjectRef {
            bucket: args[2].clone(),
            key: args[3].clone(),
            size: None,
            etag: Some(format!("bench-{}", uuid::Uuid::new_v4())),
            version_id: None,
        },
    )
    .await?;
    println!(
        "{} {} {:.3} {:.1}",
        report.lines,
        report.imported,
        started.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    Ok(())
}

/// Puts `body` at `key` and imports it in a child process: its figures (lines, imported,
/// seconds, peak RSS in MB), or its last line of error.
async fn import_in_child(
    clients: &Clients,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    vars: &HashMap<String, String>,
) -> Result<Result<Vec<f64>, String>, Box<dyn std::error::Error>> {
    clients
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await?;
    let exe = std::env::current_exe()?;
    let out = tokio::process::Command::new(exe)
        .args(["import", bucket, key, &serde_json::to_string(vars)?])
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    Ok(if f.len() == 4 {
        Ok(f)
    } else {
        Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_owned())
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("import") {
        return import_child(&args).await;
    }
    if args.get(1).map(String::as_str) == Some("range") {
        return parallel::range_child(&args).await;
    }
    let sdk = sdk_config().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let running = devserver::start(devserver::Options {
        prefix: format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..6]),
        template: root().join("template.yaml"),
        web_root: root().join("web"),
        listener,
        sdk: sdk.clone(),
        clamd: None,
        freshclam_config: None,
        demo: false,
        pollers: false,
        secrets_file: None,
        enforce_permissions: devserver::permissions::enforced_by_default(),
        mode: devserver::Mode::InProcess,
    })
    .await?;
    let local = c2s_platform::Env::from_map(HashMap::from([(
        "S3_FORCE_PATH_STYLE".to_owned(),
        "true".to_owned(),
    )]));
    let clients = Clients::new(&sdk, &local);
    let bucket = running.stack.buckets["ExchangeBucket"].clone();
    let env = running
        .envs
        .get("SyncInFunction")
        .cloned()
        .unwrap_or_default();
    let mut vars = HashMap::new();
    for k in [
        "BENEFICIARIES_TABLE",
        "RENEWALS_TABLE",
        "IDEMPOTENCY_TABLE",
        "EXCHANGE_BUCKET",
        "HASH_KEY",
        "REMINDERS_QUEUE_URL",
        "S3_FORCE_PATH_STYLE",
        "SYNC_IN_QUEUE_URL",
        "IMPORT_RANGES_QUEUE_URL",
        "IMPORT_LEASE_SECONDS",
        "IMPORT_WRITE_CONCURRENCY",
    ] {
        vars.insert(k.to_owned(), env.require(k).unwrap_or_default());
    }
    // The one-step import below: whatever the size, one process reads the whole file.
    vars.insert("IMPORT_RANGE_BYTES".to_owned(), (1u64 << 40).to_string());
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    println!("import in one step (sync-in, streamed, against the emulator)");
    println!(
        "{:>10} {:>12} {:>10} {:>14}",
        "lines", "lines/s", "seconds", "peak RSS (MB)"
    );
    // Outside the renewal window (which opens 4 months before): the import alone, without
    // the arrivals it would hand to the reminders (the reminders' figures are below).
    let end = c2s_domain::dates::format_date(c2s_domain::dates::add_months(
        c2s_platform::clock::today(),
        6,
    ));
    for n in sizes {
        let mut body = Vec::with_capacity(n * 480);
        for i in 0..n {
            let line = beneficiary(
                &nir(&format!("1800176{i:06}")),
                "1980-01-15",
                "BENCH001",
                "le-havre",
                &end,
            );
            serde_json::to_writer(&mut body, &line)?;
            body.push(b'\n');
        }
        let key = format!("inbound/beneficiaries/bench-{n}.jsonl");
        match import_in_child(&clients, &bucket, &key, body, &vars).await? {
            Ok(f) => println!(
                "{:>10} {:>12.0} {:>10.1} {:>14.1}",
                f[0],
                f[0] / f[2],
                f[2],
                f[3]
            ),
            Err(e) => println!("{n:>10} import failed: {e}"),
        }
    }

    let profiles = c2s_platform::beneficiaries::BeneficiaryStore::new(
        clients.dynamo(),
        running.stack.tables["BeneficiariesTable"].clone(),
    );
    parallel::bench(&clients, &bucket, &vars, &profiles).await?;

    // Purge: 1 000 due among 100 000 kept, written straight into the renewals table.
    let table = running.stack.tables["RenewalsTable"].clone();
    let kept: usize = std::env::var("BENCH_KEPT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let due = 1_000;
    let mut items = Vec::new();
    for i in 0..(kept + due) {
        let when = if i < due { "2020-01-01" } else { "2099-01-01" };
        let id = format!("bench-{i:07}");
        let item = HashMap::from([
            ("pk".to_owned(), AttributeValue::S(id.clone())),
            ("sk".to_owned(), AttributeValue::S("renewal".into())),
            ("purge_index".to_owned(), AttributeValue::S("due".into())),
            (
                "purge_key".to_owned(),
                AttributeValue::S(format!("{when}#draft#{id}")),
            ),
        ]);
        items.push(item);
    }
    write_items(&clients, &table, items).await?;
    // And partners' requests: a tenth as many, as many due, in the partners' `by_purge`.
    let partners = running.stack.tables["PartnersTable"].clone();
    let mut items = Vec::new();
    for i in 0..(kept / 10 + due) {
        let when = if i < due { "2020-01-01" } else { "2099-01-01" };
        let id = format!("bench.{i:07}");
        items.push(HashMap::from([
            ("pk".to_owned(), AttributeValue::S("org#bench".into())),
            ("sk".to_owned(), AttributeValue::S(format!("request#{id}"))),
            ("purge_index".to_owned(), AttributeValue::S("due".into())),
            (
                "purge_key".to_owned(),
                AttributeValue::S(format!("{when}#request#{id}")),
            ),
        ]));
    }
    write_items(&clients, &partners, items).await?;
    let due = 2 * due;
    let kept = kept + kept / 10;
    let penv = running
        .envs
        .get("PurgeFunction")
        .cloned()
        .unwrap_or_default();
    let app = purge::App::from_env(&penv, &Clients::new(&sdk, &penv))?;
    let started = Instant::now();
    let report = purge::run(&app).await?;
    let read = report["items_read"].as_u64().unwrap_or(0);
    println!("\npurge: {due} due among {kept} kept: {read} index items read in {:.2} s, {:.2} read per item due", started.elapsed().as_secs_f64(), read as f64 / due as f64);

    if let Some(profile) = reminders_bench(&running, &sdk, &clients, &bucket, &vars).await? {
        deadlines_bench(&running, &sdk, &clients, &profile).await?;
    }
    running.stop().await;
    Ok(())
}

/// Reminders: `BENCH_PROFILES` people (10 000 unless told), their rights ending on each day
/// of the coming year in turn, imported (what the import put on the reminders queue for
/// those inside the window is dropped); then the daily run after yesterday's, and its worker
/// over what it dispatched. Before the day index, each run read the five months from this
/// one: printed beside it, counted in the table day by day. Gives one profile, for the
/// deadlines' files.
async fn reminders_bench(
    running: &devserver::Running,
    sdk: &aws_config::SdkConfig,
    clients: &Clients,
    bucket: &str,
    vars: &HashMap<String, String>,
) -> Result<Option<c2s_platform::beneficiaries::Profile>, Box<dyn std::error::Error>> {
    use c2s_domain::dates::{add_months, first_of_month, format_date};
    let people: usize = std::env::var("BENCH_PROFILES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let today = c2s_platform::clock::today();
    let mut body = Vec::with_capacity(people * 480);
    for i in 0..people {
        let days = i64::try_from(i % 365)?;
        let end = format_date(today + time::Duration::days(days));
        let line = beneficiary(
            &nir(&format!("2800176{i:06}")),
            "1980-01-15",
            "BENCH002",
            "le-havre",
            &end,
        );
        serde_json::to_writer(&mut body, &line)?;
        body.push(b'\n');
    }
    if let Err(e) = import_in_child(
        clients,
        bucket,
        "inbound/beneficiaries/bench-reminders.jsonl",
        body,
        vars,
    )
    .await?
    {
        println!("\nreminders: import failed: {e}");
        return Ok(None);
    }
    let env = running
        .envs
        .get("RemindersFunction")
        .cloned()
        .unwrap_or_default();
    let app_clients = Clients::new(sdk, &env);
    let profiles = c2s_platform::beneficiaries::BeneficiaryStore::from_env(&env, &app_clients)?;
    // What the month index made each run read: this month and the four after.
    let mut month_read = 0usize;
    let mut sample = None;
    let mut day = first_of_month(today);
    let stop = first_of_month(add_months(today, 5));
    while day < stop {
        // Only this bench's people (their NIRs begin with 2), not the import's.
        let ending = profiles.ending_on(day).await?;
        month_read += ending.iter().filter(|p| p.nir.starts_with('2')).count();
        if sample.is_none() {
            sample = ending.into_iter().next();
        }
        day = day.next_day().ok_or("date")?;
    }
    c2s_platform::idempotency::IdempotencyStore::from_env(&env, &app_clients)?
        .set_watermark(reminders::WATERMARK, today - time::Duration::days(1))
        .await?;
    let queue = env.require("REMINDERS_QUEUE_URL")?;
    clients.sqs().purge_queue().queue_url(&queue).send().await?;
    let app = reminders::App::from_env(&env, &app_clients)?;
    let started = Instant::now();
    let report = reminders::dispatch(&app).await?;
    let dispatch_s = started.elapsed().as_secs_f64();
    let wenv = running
        .envs
        .get("RemindersWorkerFunction")
        .cloned()
        .unwrap_or_default();
    let worker = reminders_worker::App::from_env(&wenv, &Clients::new(sdk, &wenv))?;
    let started = Instant::now();
    let (handled, failed) = drain(clients, &queue, |event| {
        reminders_worker::handle(&worker, event)
    })
    .await?;
    let due = report.rights_ending.max(1);
    println!(
        "\nreminders: {people} people, rights ending on each day of the year; the run after yesterday's: \
         {} read, {} dispatched in {dispatch_s:.2} s, {handled} processed by the worker ({failed} failed) in {:.2} s: \
         {:.2} read per reminder processed (the month index: {month_read} read, {:.2} per person due)",
        report.read,
        report.rights_ending + report.drafts_idle,
        started.elapsed().as_secs_f64(),
        report.read as f64 / handled.max(1) as f64,
        month_read as f64 / due as f64
    );
    Ok(sample)
}

/// Deadlines: `BENCH_FILES` running files (10 000 unless told), their deadlines spread over
/// 90 days around today, written straight into the table with the attributes the store
/// derives; then the daily run after yesterday's, and its worker over what it dispatched.
/// Beside it, what a run that read every file due within 10 days (the first run) reads.
async fn deadlines_bench(
    running: &devserver::Running,
    sdk: &aws_config::SdkConfig,
    clients: &Clients,
    profile: &c2s_platform::beneficiaries::Profile,
) -> Result<(), Box<dyn std::error::Error>> {
    use c2s_domain::dates::format_date;
    let files: usize = std::env::var("BENCH_FILES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let today = c2s_platform::clock::today();
    let table = running.stack.tables["RenewalsTable"].clone();
    let draft = c2s_platform::renewals::new_draft(
        profile,
        today,
        c2s_domain::renewal::ActorKind::Beneficiary,
    )
    .ok_or("no draft")?;
    let mut items = Vec::with_capacity(files);
    for i in 0..files {
        let mut r = draft.clone();
        r.id = format!("bench-dl-{i:06}");
        r.status = c2s_domain::renewal::Status::Submitted;
        let deadline = today + time::Duration::days(i64::try_from(i % 90)? - 30);
        r.deadline = Some(deadline);
        r.queue = Some(r.caisse.clone());
        let mut item = c2s_platform::store::to_item(&r, &[("pk", &r.id), ("sk", "renewal")])?;
        item.insert("deadline_open".into(), AttributeValue::S("open".into()));
        item.insert(
            "queue_key".into(),
            AttributeValue::S(format!("{}#{}", format_date(deadline), r.id)),
        );
        items.push(item);
    }
    write_items(clients, &table, items).await?;
    let env = running
        .envs
        .get("DeadlinesFunction")
        .cloned()
        .unwrap_or_default();
    let app_clients = Clients::new(sdk, &env);
    let renewals = c2s_platform::renewals::RenewalStore::from_env(&env, &app_clients)?;
    let whole = renewals
        .due_between(None, today + time::Duration::days(10))
        .await?
        .len();
    c2s_platform::idempotency::IdempotencyStore::from_env(&env, &app_clients)?
        .set_watermark(deadlines::WATERMARK, today - time::Duration::days(1))
        .await?;
    let app = deadlines::App::from_env(&env, &app_clients)?;
    let started = Instant::now();
    let report = deadlines::dispatch(&app).await?;
    let dispatch_s = started.elapsed().as_secs_f64();
    let wenv = running
        .envs
        .get("DeadlinesWorkerFunction")
        .cloned()
        .unwrap_or_default();
    let worker = deadlines_worker::App::from_env(&wenv, &Clients::new(sdk, &wenv))?;
    let queue = env.require("DEADLINES_QUEUE_URL")?;
    let started = Instant::now();
    let (handled, failed) = drain(clients, &queue, |event| {
        deadlines_worker::handle(&worker, event)
    })
    .await?;
    println!(
        "\ndeadlines: {files} running files, deadlines over 90 days; the run after yesterday's: \
         {} read, {} dispatched in {dispatch_s:.2} s, {handled} settled by the worker ({failed} failed) in {:.2} s: \
         {:.2} read per file processed (every file due within 10 days, as a first run reads: {whole})",
        report.read,
        report.dispatched,
        started.elapsed().as_secs_f64(),
        report.read as f64 / handled.max(1) as f64,
    );
    Ok(())
}

/// Writes the items 25 at a time, retrying what DynamoDB left unprocessed.
async fn write_items(
    clients: &Clients,
    table: &str,
    items: Vec<HashMap<String, AttributeValue>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut requests = Vec::with_capacity(items.len());
    for item in items {
        requests.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build()?)
                .build(),
        );
    }
    for chunk in requests.chunks(25) {
        let mut pending = chunk.to_vec();
        while !pending.is_empty() {
            let out = clients
                .dynamo()
                .batch_write_item()
                .request_items(table, pending)
                .send()
                .await?;
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(table))
                .unwrap_or_default();
        }
    }
    Ok(())
}

/// Receives what waits on `queue` and hands it to `handle` as Lambda would, ten at a time,
/// deleting what succeeded: how many messages were handled, and how many failed.
async fn drain<F, Fut>(
    clients: &Clients,
    queue: &str,
    mut handle: F,
) -> Result<(u64, u64), Box<dyn std::error::Error>>
where
    F: FnMut(aws_lambda_events::event::sqs::SqsEvent) -> Fut,
    Fut: std::future::Future<Output = aws_lambda_events::event::sqs::SqsBatchResponse>,
{
    let (mut handled, mut failed) = (0, 0);
    loop {
        let out = clients
            .sqs()
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok((handled, failed));
        }
        let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
        event.records = messages
            .iter()
            .map(|m| {
                let mut r = aws_lambda_events::event::sqs::SqsMessage::default();
                r.message_id = m.message_id.clone();
                r.body = m.body.clone();
                r
            })
            .collect();
        let response = handle(event).await;
        let refused: Vec<String> = response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        for m in &messages {
            if m.message_id.as_ref().is_some_and(|id| refused.contains(id)) {
                failed += 1;
                continue;
            }
            handled += 1;
            if let Some(handle) = &m.receipt_handle {
                clients
                    .sqs()
                    .delete_message()
                    .queue_url(queue)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
        }
    }
}
