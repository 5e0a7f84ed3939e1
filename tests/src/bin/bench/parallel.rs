//! The import by ranges at 1, 4 and 8 parallel workers (each its own process, as each Lambda
//! environment is), beside a raw loop of the same BatchWriteItem calls (`put_profiles` of the
//! same profiles, built beforehand) with as many in flight as those workers keep; then the
//! projection for the national file.

use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::hashing::Hasher;
use c2s_platform::queue::ObjectRef;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The national file: about 7.5 million beneficiaries.
const NATIONAL_LINES: f64 = 7_500_000.0;

/// `bench range <task> <env json>`: one range, in its own process: seconds and peak RSS.
pub async fn range_child(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let task: sync_in::ranges::RangeTask = serde_json::from_str(&args[2])?;
    let vars: HashMap<String, String> = serde_json::from_str(&args[3])?;
    let env = c2s_platform::Env::from_map(vars);
    let sdk = c2s_tests::sdk_config().await;
    let app = sync_in::App::from_env(&env, &Clients::new(&sdk, &env))?;
    let started = Instant::now();
    sync_in::ranges::work(&app, &task, None).await?;
    println!(
        "{:.3} {:.1}",
        started.elapsed().as_secs_f64(),
        super::peak_rss_mb()
    );
    Ok(())
}

/// Runs every range of `body` (put at `key`) cut for `workers`, one process each, at once:
/// the wall time and the highest peak RSS of one worker.
async fn run_ranges(
    clients: &Clients,
    bucket: &str,
    key: &str,
    body: &[u8],
    workers: u64,
    vars: &HashMap<String, String>,
) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    clients
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.to_vec().into())
        .send()
        .await?;
    let object = ObjectRef {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size: None,
        etag: Some(format!("bench-{}", uuid::Uuid::new_v4())),
        version_id: None,
    };
    let size = body.len() as u64;
    let tasks = sync_in::ranges::tasks(&object, None, size, size.div_ceil(workers));
    let exe = std::env::current_exe()?;
    let env = serde_json::to_string(vars)?;
    let started = Instant::now();
    let mut children = Vec::new();
    for task in &tasks {
        children.push(
            tokio::process::Command::new(&exe)
                .args(["range", &serde_json::to_string(task)?, &env])
                .output(),
        );
    }
    let mut peak = 0f64;
    for out in futures::future::join_all(children).await {
        let out = out?;
        let text = String::from_utf8_lossy(&out.stdout);
        let f: Vec<f64> = text
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        match f.as_slice() {
            [_, rss] => peak = peak.max(*rss),
            _ => {
                let err = String::from_utf8_lossy(&out.stderr);
                return Err(
                    format!("a worker failed: {}", err.lines().last().unwrap_or("")).into(),
                );
            }
        }
    }
    Ok((started.elapsed().as_secs_f64(), peak))
}

/// `put_profiles` of `profiles` 25 at a time with `concurrency` calls in flight: items/s.
async fn raw_loop(store: &BeneficiaryStore, profiles: &[Profile], concurrency: usize) -> f64 {
    let batches: Vec<Vec<Profile>> = profiles.chunks(25).map(<[Profile]>::to_vec).collect();
    let queue = Arc::new(Mutex::new(batches));
    let started = Instant::now();
    let mut loops = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (store, queue) = (store.clone(), queue.clone());
        loops.spawn(async move {
            loop {
                let Some(batch) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                    return;
                };
                if let Err(e) = store.put_profiles(&batch).await {
                    eprintln!("raw loop: {e}");
                }
            }
        });
    }
    while loops.join_next().await.is_some() {}
    profiles.len() as f64 / started.elapsed().as_secs_f64()
}

pub async fn bench(
    clients: &Clients,
    bucket: &str,
    vars: &HashMap<String, String>,
    store: &BeneficiaryStore,
) -> Result<(), Box<dyn std::error::Error>> {
    let lines: usize = std::env::var("BENCH_PARALLEL_LINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let in_flight: usize = vars
        .get("IMPORT_WRITE_CONCURRENCY")
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    // Outside the renewal window, as in the one-step import: the import alone is measured.
    let end = c2s_domain::dates::format_date(c2s_domain::dates::add_months(
        c2s_platform::clock::today(),
        6,
    ));
    let hasher = Hasher::from_env(&c2s_platform::Env::from_map(vars.clone()))?;
    let today = c2s_platform::clock::today();
    println!(
        "\nimport by ranges, {lines} lines: workers in parallel (each {in_flight} BatchWriteItem in flight) beside the raw loop at the same concurrency"
    );
    println!(
        "{:>8} {:>12} {:>14} {:>10} {:>16}",
        "workers", "lines/s", "raw items/s", "ratio", "peak RSS/worker"
    );
    let mut one_worker = 0f64;
    for (run, workers) in [1u64, 4, 8].into_iter().enumerate() {
        let mut body = Vec::with_capacity(lines * 480);
        let mut profiles = Vec::with_capacity(lines);
        for i in 0..lines {
            // Born in another month each run (the NIR says it), so each run has its own people.
            let nir = c2s_tests::nir(&format!("1800{}76{i:06}", 2 + run));
            let born = format!("1980-0{}-15", 2 + run);
            let line = c2s_tests::beneficiary(&nir, &born, "BENCH003", "le-havre", &end);
            let text = line.to_string();
            body.extend_from_slice(text.as_bytes());
            body.push(b'\n');
            if let Ok(b) = c2s_domain::beneficiary::parse_line(&text, today) {
                let mut p = sync_in::profile(&hasher, b);
                // Other keys than the import's, so that neither overwrites the other's items.
                p.nir_hash = format!("raw-{run}-{i}");
                profiles.push(p);
            }
        }
        let key = format!("inbound/beneficiaries/bench-parallel-{workers}.jsonl");
        if profiles.len() != lines {
            return Err(format!("{} of {lines} lines are valid", profiles.len()).into());
        }
        let (seconds, peak) = run_ranges(clients, bucket, &key, &body, workers, vars).await?;
        let rate = lines as f64 / seconds;
        if workers == 1 {
            one_worker = rate;
        }
        let raw = raw_loop(store, &profiles, workers as usize * in_flight).await;
        println!(
            "{workers:>8} {rate:>12.0} {raw:>14.0} {:>10.2} {peak:>13.1} MB",
            rate / raw
        );
    }
    // A national file of about 500 B a line cut into 32 MiB ranges: about 112 of them.
    let ranges = (NATIONAL_LINES * 500.0 / (32.0 * 1024.0 * 1024.0)).ceil();
    for (workers, why) in [
        (
            20f64,
            "the Ranges event's MaximumConcurrency in template.yaml",
        ),
        (
            ranges.min(1000.0),
            "Lambda's default account concurrency (1 000), one worker per range",
        ),
    ] {
        println!(
            "\n7.5 M lines at {workers:.0} workers ({why}): {:.0} s, assuming each worker keeps the rate of one measured here ({one_worker:.0} lines/s, moto-bound; DynamoDB answers a batch faster) and the table on demand takes {workers:.0} × that",
            NATIONAL_LINES / (one_worker * workers.min(ranges))
        );
    }
    Ok(())
}
