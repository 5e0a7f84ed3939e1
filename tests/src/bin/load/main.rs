//! The load bench (`./infra/load`; not part of the tests: figures, not assertions). Against
//! a running `./infra/run` (`BENCH_URL`, its prefix `BENCH_PREFIX`), over loopback HTTP:
//! imports one national file of new people through the real path, then at each concurrency
//! of `BENCH_LEVELS` (1,4,16,64) drives `BENCH_JOURNEYS` whole journeys (sign in, create,
//! fill, submit; no journey starts after `BENCH_SECONDS`) and prints journeys per second,
//! p50/p99 per step, errors by status, and how many renewals answered 200 on submit are
//! missing from their caisse's queue as an agent lists it (lost). Beside each level: the
//! emulator's own figure, the DynamoDB calls one journey made there, made directly at the
//! same concurrency (`raw.rs`).

mod journey;
mod raw;

use c2s_domain::dates::{add_months, format_date};
use c2s_platform::aws::Clients;
use c2s_tests::{beneficiary, nir, sdk_config};
use journey::{quantile, Level, Person, STEPS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

const CAISSES: [&str; 2] = ["rouen-elbeuf-dieppe", "le-havre"];

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// `count` new people, spread over the caisses, as the national file sends them.
fn people(count: usize) -> (Vec<Person>, Vec<String>) {
    let r = uuid::Uuid::new_v4().as_u128();
    let (sex, yy, mm) = (1 + r % 2, 50 + (r >> 2) % 50, 1 + (r >> 10) % 12);
    let end = format_date(add_months(c2s_platform::clock::today(), 2));
    let birth = format!("19{yy:02}-{mm:02}-15");
    let mut out = Vec::new();
    let mut lines = Vec::new();
    for i in 0..count {
        let n = nir(&format!(
            "{sex}{yy:02}{mm:02}76{:03}{:03}",
            1 + i / 998,
            1 + i % 998
        ));
        let code = format!("LOAD{i:06}");
        let caisse = CAISSES[i % CAISSES.len()];
        lines.push(beneficiary(&n, &birth, &code, caisse, &end).to_string());
        out.push(Person {
            nir: n,
            birth_date: birth.clone(),
            code,
            caisse: caisse.to_owned(),
        });
    }
    (out, lines)
}

/// Drops the file in the exchange bucket and waits for its rejects file, which sync-in
/// writes last; the rejects' count.
async fn import(clients: &Clients, bucket: &str, lines: &[String]) -> Result<usize, Error> {
    let name = format!("load-{}.jsonl", uuid::Uuid::new_v4());
    let body = lines.join("\n") + "\n";
    clients
        .s3()
        .put_object()
        .bucket(bucket)
        .key(format!("inbound/beneficiaries/{name}"))
        .body(body.into_bytes().into())
        .send()
        .await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let got = clients
            .s3()
            .get_object()
            .bucket(bucket)
            .key(format!("inbound/rejects/{name}"))
            .send()
            .await;
        if let Ok(out) = got {
            let text = out.body.collect().await?.into_bytes();
            return Ok(text
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count());
        }
        if Instant::now() > deadline {
            return Err("the import did not finish in 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each caisse's queue as an agent of it lists it, every page: the ids.
async fn queued(http: &reqwest::Client, url: &str) -> Result<HashSet<String>, Error> {
    let mut ids = HashSet::new();
    for caisse in CAISSES {
        let token: Value = http
            .post(format!("{url}/dev/token"))
            .json(&json!({"sub": "LOAD1", "name": "Agent de charge", "caisse": caisse, "roles": ["instructeur"]}))
            .send()
            .await?
            .json()
            .await?;
        let token = token["token"].as_str().unwrap_or_default().to_owned();
        let mut cursor: Option<String> = None;
        loop {
            let mut req = http
                .get(format!("{url}/api/agent/renewals"))
                .bearer_auth(&token);
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c)]);
            }
            let resp = req.send().await?;
            if !resp.status().is_success() {
                return Err(format!("the queue of {caisse} answered {}", resp.status()).into());
            }
            let page: Value = resp.json().await?;
            for item in page["items"].as_array().into_iter().flatten() {
                if let Some(id) = item["id"].as_str() {
                    ids.insert(id.to_owned());
                }
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
    }
    Ok(ids)
}

/// What the emulator counted of the stack's functions' calls, by "Function service:Operation".
async fn calls(http: &reqwest::Client, endpoint: &str, prefix: &str) -> BTreeMap<String, i64> {
    let got: Option<Value> = match http
        .get(format!("{endpoint}/moto-api/c2s/calls.json"))
        .query(&[("stack", prefix)])
        .send()
        .await
    {
        Ok(r) => r.json().await.ok(),
        Err(_) => None,
    };
    got.and_then(|v| serde_json::from_value(v["calls"].clone()).ok())
        .unwrap_or_default()
}

fn print_level(concurrency: usize, l: &Level, lost: usize, raw: Option<&raw::RawFigure>) {
    let rate = l.completed as f64 / l.seconds.max(1e-9);
    println!(
        "\n== {concurrency} at once: {} journeys started, {} submitted in {:.1} s → {rate:.2} journeys/s; lost {lost}",
        l.journeys, l.completed, l.seconds
    );
    for step in STEPS {
        let v = l.latencies.get(step).map(Vec::as_slice).unwrap_or(&[]);
        println!(
            "   {step:<8} {:>5} calls  p50 {:>7.1} ms  p99 {:>7.1} ms",
            v.len(),
            quantile(v, 0.5),
            quantile(v, 0.99)
        );
    }
    if l.errors.is_empty() {
        println!("   errors: none");
    }
    for (what, n) in &l.errors {
        println!("   error {what}: {n}");
    }
    if let Some(r) = raw {
        println!(
            "   emulator raw, same calls, {concurrency} at once: {} journeys' worth in {:.2}/s ({} calls refused) → ours / raw = {:.2}",
            r.journeys,
            r.per_second,
            r.errors,
            rate / r.per_second.max(1e-9)
        );
        let ops: Vec<String> = r
            .latencies
            .iter()
            .map(|(op, v)| format!("{op} {:.0}/{:.0}", quantile(v, 0.5), quantile(v, 0.99)))
            .collect();
        println!("   raw p50/p99 ms per call: {}", ops.join(", "));
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url = std::env::var("BENCH_URL")
        .map_err(|_| "BENCH_URL: the served stack (./infra/load sets it)")?;
    let prefix = setting("BENCH_PREFIX", "c2s-local");
    let endpoint = setting("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
    let per_level: usize = setting("BENCH_JOURNEYS", "100").parse()?;
    let cap = Duration::from_secs(setting("BENCH_SECONDS", "120").parse()?);
    let levels: Vec<usize> = setting("BENCH_LEVELS", "1,4,16,64")
        .split(',')
        .map(|l| l.trim().parse())
        .collect::<Result<_, _>>()?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()?;
    let stack: Value = http
        .get(format!("{url}/dev/stack"))
        .send()
        .await?
        .json()
        .await?;
    let bucket = stack["buckets"]["ExchangeBucket"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let table = stack["tables"]["BeneficiariesTable"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let sdk = sdk_config().await;
    let local = c2s_platform::Env::from_map(HashMap::from([(
        "S3_FORCE_PATH_STYLE".to_owned(),
        "true".to_owned(),
    )]));
    let clients = Clients::new(&sdk, &local);

    let (everyone, lines) = people(per_level * levels.len());
    let t = Instant::now();
    let rejects = import(&clients, &bucket, &lines).await?;
    println!(
        "imported {} people through sync-in in {:.1} s ({rejects} rejected); {per_level} journeys per level, none started after {} s",
        lines.len(),
        t.elapsed().as_secs_f64(),
        cap.as_secs()
    );
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let raw = Arc::new(raw::Raw::prepare(dynamo.clone(), &prefix).await?);
    let mut mix: Option<BTreeMap<String, usize>> = None;
    let mut replayed = 0;
    for (n, &concurrency) in levels.iter().enumerate() {
        let batch = Arc::new(everyone[n * per_level..(n + 1) * per_level].to_vec());
        let before = calls(&http, &endpoint, &prefix).await;
        let level = journey::level(&http, &url, batch, concurrency, cap).await;
        let after = calls(&http, &endpoint, &prefix).await;
        let found = queued(&http, &url).await?;
        let lost = level
            .submitted
            .iter()
            .filter(|(_, id)| !found.contains(id))
            .count();
        if mix.is_none() && level.completed > 0 {
            let per = level.completed as f64;
            println!("\ncalls to the emulator per journey, counted there (level {concurrency}, notify's included):");
            let mut dynamo_ops: BTreeMap<String, f64> = BTreeMap::new();
            for (name, total) in &after {
                let d = (total - before.get(name).copied().unwrap_or(0)) as f64 / per;
                if d >= 0.05 {
                    println!("   {name:<45} {d:>5.2}");
                }
                if let Some((_, op)) = name.split_once(" dynamodb:") {
                    *dynamo_ops.entry(op.to_owned()).or_default() += d;
                }
            }
            mix = Some(
                dynamo_ops
                    .into_iter()
                    .map(|(op, d)| (op, d.round() as usize))
                    .filter(|(_, n)| *n > 0)
                    .collect(),
            );
        }
        let figure = match &mix {
            Some(m) => {
                let profiles = dynamo
                    .describe_table()
                    .table_name(&table)
                    .send()
                    .await
                    .ok()
                    .and_then(|d| d.table.and_then(|t| t.item_count))
                    .unwrap_or(0);
                raw.top_up(profiles.max(0) as usize).await?;
                let f = raw.replay(m, per_level, concurrency, cap, replayed).await;
                replayed += per_level;
                Some(f)
            }
            None => None,
        };
        print_level(concurrency, &level, lost, figure.as_ref());
    }
    if let Some(m) = &mix {
        println!("\nreplayed per journey (DynamoDB): {m:?}");
    }
    raw.drop_tables().await;
    Ok(())
}
