//! The retention rules are one list (`c2s_domain::retention::RULES`): the README's
//! "Retention" table shows every kind of it, and the exchange bucket's lifecycle rules, as
//! `template.yaml` declares them (read back from the bucket the local stack created from
//! it), are exactly the domain's `EXCHANGE_EXPIRY`, prefix for prefix and day for day.

use crate::exchange_retention::selects;
use crate::helpers::*;
use aws_sdk_s3::types::ExpirationStatus;
use c2s_domain::retention::{EXCHANGE_CONSUMED_DAYS, EXCHANGE_EXPIRY, RULES};
use std::collections::BTreeMap;

#[test]
fn the_readme_table_lists_every_kind_with_its_rule() {
    let readme = include_str!("../../README.md");
    let table: Vec<&str> = readme
        .split("\n## Retention\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no Retention section in README.md"))
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .collect();
    for rule in RULES {
        let row = table
            .iter()
            .find(|l| l.starts_with(&format!("| `{}` |", rule.kind)))
            .unwrap_or_else(|| panic!("README: no row for {}", rule.kind));
        assert!(
            row.contains(rule.kept),
            "README row of {}: {row}",
            rule.kind
        );
    }
    assert_eq!(
        table.len(),
        RULES.len(),
        "a row for a kind the rules do not know"
    );
}

#[tokio::test]
async fn the_exchange_buckets_lifecycle_is_the_domains_rule() {
    let stack = TestStack::start().await;
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
    let mut by_prefix = BTreeMap::new();
    let mut consumed = None;
    for r in rules
        .iter()
        .filter(|r| r.status == ExpirationStatus::Enabled)
    {
        let Some(days) = r.expiration().and_then(|e| e.days()) else {
            continue;
        };
        match selects(r) {
            (prefix, tags) if tags.is_empty() => {
                by_prefix.insert(prefix, days);
            }
            (prefix, tags)
                if prefix.is_empty() && tags == [("c2s-consumed".into(), "true".into())] =>
            {
                consumed = Some(days);
            }
            other => panic!("a rule the domain does not know: {other:?}"),
        }
    }
    let declared: BTreeMap<String, i32> = EXCHANGE_EXPIRY
        .iter()
        .map(|(p, d)| ((*p).to_owned(), *d))
        .collect();
    assert_eq!(by_prefix, declared);
    assert_eq!(consumed, Some(EXCHANGE_CONSUMED_DAYS));
    stack.stop().await;
}

/// The DPO's access archives (`rgpd_export`) go the day after, as the documents bucket's
/// lifecycle declares.
#[tokio::test]
async fn the_dpos_archives_expire_the_next_day() {
    let stack = TestStack::start().await;
    let rules = stack
        .clients
        .s3()
        .get_bucket_lifecycle_configuration()
        .bucket(stack.bucket("DocumentsBucket"))
        .send()
        .await
        .unwrap()
        .rules
        .unwrap_or_default();
    let archives: Vec<Option<i32>> = rules
        .iter()
        .filter(|r| r.status == ExpirationStatus::Enabled && selects(r).0 == "rgpd-exports/")
        .map(|r| r.expiration().and_then(|e| e.days()))
        .collect();
    assert_eq!(archives, [Some(1)]);
    stack.stop().await;
}
