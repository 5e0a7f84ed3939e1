//! The exchange bucket keeps the national system's files only while they serve: inbound
//! files carry the letters' secrets in clear (NIR, renewal code, IBAN digits, Vitale
//! serial), outbound files NIRs. What sync-in has consumed is tagged `c2s-consumed=true`
//! (an imported file here; an applied acknowledgement and the outbound file it answers in
//! `sync_out.rs`), and the bucket's lifecycle rules, from `template.yaml`, expire it; what
//! is never consumed expires too, after a bounded wait.

use crate::helpers::*;
use aws_sdk_s3::types::{ExpirationStatus, LifecycleRule};

/// The prefix and tags a rule's filter selects.
pub(crate) fn selects(rule: &LifecycleRule) -> (String, Vec<(String, String)>) {
    let Some(filter) = rule.filter() else {
        #[allow(deprecated)]
        return (rule.prefix().unwrap_or_default().to_owned(), Vec::new());
    };
    let tag = |t: &aws_sdk_s3::types::Tag| (t.key().to_owned(), t.value().to_owned());
    match filter.and() {
        Some(and) => (
            and.prefix().unwrap_or_default().to_owned(),
            and.tags().iter().map(tag).collect(),
        ),
        None => (
            filter.prefix().unwrap_or_default().to_owned(),
            filter.tag().map(tag).into_iter().collect(),
        ),
    }
}

#[tokio::test]
async fn an_imported_file_is_tagged_and_expires_within_two_days_and_nothing_stays_for_ever() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(83, 4);
    stack
        .import(
            "expire.jsonl",
            &[
                beneficiary(&nir, "1983-04-04", "EXPIRE01", ROUEN, &months_from_today(2))
                    .to_string(),
            ],
        )
        .await;
    stack
        .wait_until_consumed("ExchangeBucket", "inbound/beneficiaries/expire.jsonl")
        .await;

    let rules = stack
        .clients
        .s3()
        .get_bucket_lifecycle_configuration()
        .bucket(stack.bucket("ExchangeBucket"))
        .send()
        .await
        .unwrap()
        .rules
        .unwrap_or_default();
    let enabled: Vec<&LifecycleRule> = rules
        .iter()
        .filter(|r| r.status == ExpirationStatus::Enabled)
        .collect();
    let consumed = ("c2s-consumed".to_owned(), "true".to_owned());
    let rule = enabled
        .iter()
        .find(|r| selects(r) == (String::new(), vec![consumed.clone()]))
        .unwrap_or_else(|| panic!("no lifecycle rule for what is consumed: {rules:#?}"));
    assert!(
        rule.expiration()
            .and_then(|e| e.days())
            .is_some_and(|d| d <= 1),
        "{rule:?}"
    );
    assert!(
        rule.noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days())
            .is_some_and(|d| d <= 1),
        "{rule:?}"
    );
    // Never consumed (a file whose import failed past its dead-letter queue's 14 days, a
    // decisions file never acknowledged), or a report: each prefix expires, in days.
    for (prefix, at_most) in [
        ("inbound/beneficiaries/", 15),
        ("inbound/acks/", 15),
        ("outbound/", 30),
        ("inbound/rejects/", 366),
        ("inbound/import-parts/", 15),
        ("reports/", 366),
    ] {
        let days = enabled
            .iter()
            .filter(|r| selects(r) == (prefix.to_owned(), Vec::new()))
            .find_map(|r| r.expiration().and_then(|e| e.days()));
        assert!(
            days.is_some_and(|d| d <= at_most),
            "{prefix}: expires after {days:?} days"
        );
    }
    stack.stop().await;
}
