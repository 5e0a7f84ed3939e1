//! A large beneficiaries file, imported by byte ranges in parallel through
//! `ImportRangesQueue` (the range size forced small here, as `IMPORT_RANGE_BYTES` allows):
//! one rejects file with the lines' numbers in the whole file, one report once every range is
//! done, and a worker killed mid-range taken over within a lease, its range alone redone; a
//! file small enough for one step is leased the same way.

use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// `valid` people, with a refused line every `every` lines (an unknown territory), one past
/// 64 KiB among them: the file, the valid NIRs in order, and the refused lines' numbers.
fn file(valid: usize, every: usize, yy: u8) -> (Vec<u8>, Vec<String>, BTreeSet<u64>) {
    let end = months_from_today(3);
    let born = format!("19{yy:02}-01-01");
    // Unique within the file: a random base, then one after the other.
    let base = uuid::Uuid::new_v4().as_u128() % 900_000;
    let nir_of = |i: u64| c2s_tests::nir(&format!("2{yy:02}0176{:06}", base + u128::from(i)));
    let (mut body, mut nirs, mut refused) = (Vec::new(), Vec::new(), BTreeSet::new());
    let mut line = 0u64;
    while nirs.len() < valid {
        line += 1;
        if line.is_multiple_of(every as u64) {
            let mut bad = beneficiary(&nir_of(line), &born, "BADLINE1", ROUEN, &end);
            bad["territory"] = json!("atlantide");
            if refused.is_empty() {
                bad["last_name"] = json!("x".repeat(70 * 1024));
            }
            body.extend(bad.to_string().into_bytes());
            refused.insert(line);
        } else {
            let nir = nir_of(line);
            let code = format!("RANGE{:03}", nirs.len() % 1000);
            body.extend(
                beneficiary(&nir, &born, &code, ROUEN, &end)
                    .to_string()
                    .into_bytes(),
            );
            nirs.push(nir);
        }
        body.push(b'\n');
    }
    (body, nirs, refused)
}

fn numbers(rejects: &str) -> Vec<u64> {
    rejects
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok()?["line"].as_u64())
        .collect()
}

#[tokio::test]
async fn a_large_file_is_imported_by_ranges_into_one_rejects_file() {
    let stack = TestStack::start_with_template(template_with_ranges(8 * 1024, 20)).await;
    let (body, nirs, refused) = file(120, 7, 64);
    let size = body.len();
    stack.remember_nirs(nirs.clone());
    stack.put_inbound("ranges.jsonl", body).await;
    let rejects = stack
        .wait_for_object_within(
            &stack.bucket("ExchangeBucket"),
            "inbound/rejects/ranges.jsonl",
            Duration::from_secs(120),
        )
        .await;
    // Each refused line once, numbered in the whole file, in order, and never its NIR.
    assert_eq!(
        numbers(&rejects),
        refused.iter().copied().collect::<Vec<_>>()
    );
    assert!(!rejects.contains(&nirs[0][..13]));
    let (report, ranges) = stack.import_report("ranges.jsonl").await;
    assert_eq!(ranges, size.div_ceil(8 * 1024), "one claim per range");
    assert!(ranges > 4, "{ranges} ranges");
    let total = (nirs.len() + refused.len()) as u64;
    assert_eq!(report.get("lines"), Some(&total), "{report:?}");
    assert_eq!(report.get("imported"), Some(&(nirs.len() as u64)));
    assert_eq!(report.get("rejected"), Some(&(refused.len() as u64)));
    assert_eq!(stack.profile_count().await, nirs.len());
    stack
        .wait_until_consumed("ExchangeBucket", "inbound/beneficiaries/ranges.jsonl")
        .await;
    // The first, one in the middle, the last: each line is someone who can sign in.
    for i in [0, nirs.len() / 2, nirs.len() - 1] {
        stack
            .sign_in(&nirs[i], "1964-01-01", &format!("RANGE{:03}", i % 1000))
            .await;
    }
    stack.stop().await;
}

/// Imports `name` (1500 people) through the sync-in binary with 20-second leases, ranges of
/// `range_bytes`, kills the process once a few hundred people are in, and checks the file
/// completes after the kill, within 180 s rather than the queue's 15 minutes, with every line
/// once and its notification not in the dead-letter queue. The stack and the NIRs, in order.
async fn killed_mid_import(range_bytes: u64, name: &str, yy: u8) -> (TestStack, Vec<String>) {
    let stack =
        TestStack::start_binaries_from(template_with_ranges(range_bytes, 20), built_binaries())
            .await;
    let (body, nirs, refused) = file(1500, 50, yy);
    stack.remember_nirs(nirs.clone());
    stack.put_inbound(name, body).await;
    // Killed once a few hundred people are in, well before the last.
    let started = Instant::now();
    while stack.profile_count().await < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the import never started"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stack.kill_function("sync-in"), "no sync-in process to kill");
    let killed = Instant::now();
    assert!(stack.profile_count().await < nirs.len(), "killed too late");
    let rejects = stack
        .wait_for_object_within(
            &stack.bucket("ExchangeBucket"),
            &format!("inbound/rejects/{name}"),
            Duration::from_secs(180),
        )
        .await;
    let after = killed.elapsed();
    assert!(
        after < Duration::from_secs(180),
        "completed {after:?} after the kill"
    );
    assert_eq!(
        numbers(&rejects),
        refused.iter().copied().collect::<Vec<_>>()
    );
    let (report, _) = stack.import_report(name).await;
    assert_eq!(
        report.get("imported"),
        Some(&(nirs.len() as u64)),
        "{report:?}"
    );
    assert_eq!(stack.profile_count().await, nirs.len());
    assert!(
        crate::queues::dead_letters(&stack, "SyncInDeadLetterQueue")
            .await
            .is_empty(),
        "the file's notification went to the dead-letter queue"
    );
    eprintln!("completed {:.1} s after the kill", after.as_secs_f64());
    (stack, nirs)
}

/// The sync-in process is killed while it imports a range: its claim and its message were
/// leased for 20 s, renewed while it worked, so the range comes back within seconds (not the
/// queue's 15 minutes) and is done again alone; the file completes with every line once.
#[tokio::test]
async fn a_worker_killed_mid_range_is_taken_over_within_a_lease() {
    let (stack, nirs) = killed_mid_import(64 * 1024, "crash.jsonl", 63).await;
    let last = nirs.len() - 1;
    stack
        .sign_in(
            &nirs[last],
            "1963-01-01",
            &format!("RANGE{:03}", last % 1000),
        )
        .await;
    stack.stop().await;
}

/// The same kill on a file imported in one step: its S3 notification's visibility was leased
/// with the claim, so the file comes back within seconds, not the queue's 15 minutes, nor
/// after three quick failures in the dead-letter queue.
#[tokio::test]
async fn a_worker_killed_mid_small_file_is_taken_over_within_a_lease() {
    let (stack, _) = killed_mid_import(64 * 1024 * 1024, "crash-small.jsonl", 64).await;
    stack.stop().await;
}
