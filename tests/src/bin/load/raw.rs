//! The emulator's own figure: the DynamoDB calls one journey made (counted by the emulator,
//! `/moto-api/c2s/calls.json`), made directly at the same concurrency, against two tables of
//! the bench's own shaped like the stack's: `people` (profiles, as many as the stack's
//! beneficiaries table holds) and `files` (renewals, growing as the replay writes).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A stored renewal is about 2 KB (form, household, history), a profile about 700 bytes.
const FILE_BYTES: usize = 2000;
const PROFILE_BYTES: usize = 700;

pub struct Raw {
    client: Client,
    people: String,
    files: String,
    /// How many profiles `people` holds (the journeys reach `person#0..profiles`).
    profiles: std::sync::atomic::AtomicUsize,
}

/// What one replay level gave: journeys' worth of calls per second, and the calls that failed.
pub struct RawFigure {
    pub journeys: usize,
    pub per_second: f64,
    pub errors: usize,
    /// Milliseconds per call, by operation.
    pub latencies: BTreeMap<String, Vec<f64>>,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

async fn create_table(client: &Client, name: &str) -> Result<(), aws_sdk_dynamodb::Error> {
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |n: &str, t| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .send()
        .await?;
    Ok(())
}

impl Raw {
    /// Creates the two tables, empty.
    pub async fn prepare(client: Client, prefix: &str) -> Result<Raw, aws_sdk_dynamodb::Error> {
        let raw = Raw {
            people: format!("{prefix}-raw-people"),
            files: format!("{prefix}-raw-files"),
            client,
            profiles: AtomicUsize::new(0),
        };
        create_table(&raw.client, &raw.people).await?;
        create_table(&raw.client, &raw.files).await?;
        Ok(raw)
    }

    /// Fills `people` up to `count` items, as many as the stack's beneficiaries table holds
    /// (the emulator copies a table whole for each transaction on it).
    pub async fn top_up(&self, count: usize) -> Result<(), aws_sdk_dynamodb::Error> {
        let from = self.profiles.load(Ordering::SeqCst);
        let padding = "p".repeat(PROFILE_BYTES);
        for chunk in (from..count).collect::<Vec<_>>().chunks(25) {
            let mut batch = self.client.batch_write_item();
            let writes = chunk
                .iter()
                .map(|i| {
                    let put = aws_sdk_dynamodb::types::PutRequest::builder()
                        .item("pk", s(format!("person#{i}")))
                        .item("sk", s("profile"))
                        .item("data", s(padding.clone()))
                        .build()?;
                    Ok(aws_sdk_dynamodb::types::WriteRequest::builder()
                        .put_request(put)
                        .build())
                })
                .collect::<Result<Vec<_>, aws_sdk_dynamodb::error::BuildError>>()?;
            batch = batch.request_items(&self.people, writes);
            batch.send().await?;
        }
        self.profiles.fetch_max(count, Ordering::SeqCst);
        Ok(())
    }

    pub async fn drop_tables(&self) {
        for t in [&self.people, &self.files] {
            let _ = self.client.delete_table().table_name(t).send().await;
        }
    }

    /// One call of `operation` for journey `j` (its own renewal partition, a profile of its
    /// own): the shape each of our calls has. `false` when the emulator refused it.
    async fn call(&self, operation: &str, j: usize, n: usize) -> bool {
        let person = s(format!(
            "person#{}",
            j % self.profiles.load(Ordering::Relaxed).max(1)
        ));
        let file = s(format!("file#{j}"));
        let c = &self.client;
        let body = s("f".repeat(FILE_BYTES));
        match operation {
            "GetItem" => c
                .get_item()
                .table_name(&self.people)
                .key("pk", person)
                .key("sk", s("profile"))
                .send()
                .await
                .is_ok(),
            "Query" => c
                .query()
                .table_name(&self.files)
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", file)
                .send()
                .await
                .is_ok(),
            // A save on the version: the renewal's one item, written again.
            "PutItem" => c
                .put_item()
                .table_name(&self.files)
                .item("pk", file)
                .item("sk", s("renewal"))
                .item("v", AttributeValue::N(n.to_string()))
                .item("data", body)
                .condition_expression("attribute_not_exists(v) OR v <> :v")
                .expression_attribute_values(":v", AttributeValue::N(n.to_string()))
                .send()
                .await
                .is_ok(),
            "UpdateItem" => c
                .update_item()
                .table_name(&self.people)
                .key("pk", person)
                .key("sk", s(format!("count#{n}")))
                .update_expression("ADD n :one")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .send()
                .await
                .is_ok(),
            "DeleteItem" => c
                .delete_item()
                .table_name(&self.people)
                .key("pk", person)
                .key("sk", s(format!("count#{n}")))
                .send()
                .await
                .is_ok(),
            // A renewal with its slot on the person: one item in each table, as creating one.
            "TransactWriteItems" => {
                let put = Put::builder()
                    .table_name(&self.files)
                    .item("pk", file)
                    .item("sk", s(format!("created#{n}")))
                    .item("data", body)
                    .condition_expression("attribute_not_exists(pk)")
                    .build();
                let slot = Update::builder()
                    .table_name(&self.people)
                    .key("pk", person)
                    .key("sk", s(format!("slot#{n}")))
                    .update_expression("SET open_renewal = :r")
                    .expression_attribute_values(":r", s(format!("file#{j}")))
                    .build();
                match (put, slot) {
                    (Ok(p), Ok(u)) => c
                        .transact_write_items()
                        .transact_items(TransactWriteItem::builder().put(p).build())
                        .transact_items(TransactWriteItem::builder().update(u).build())
                        .send()
                        .await
                        .is_ok(),
                    _ => false,
                }
            }
            _ => true,
        }
    }

    /// `journeys` journeys' worth of `mix` (DynamoDB operation → calls per journey), by
    /// `concurrency` workers, stopping new journeys after `cap`.
    pub async fn replay(
        self: &Arc<Self>,
        mix: &BTreeMap<String, usize>,
        journeys: usize,
        concurrency: usize,
        cap: Duration,
        first: usize,
    ) -> RawFigure {
        let calls: Arc<Vec<String>> = Arc::new(
            mix.iter()
                .flat_map(|(op, n)| std::iter::repeat_n(op.clone(), *n))
                .collect(),
        );
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let (raw, calls, next) = (Arc::clone(self), Arc::clone(&calls), Arc::clone(&next));
            workers.push(tokio::spawn(async move {
                let (mut done, mut errors) = (0, 0);
                let mut latencies: BTreeMap<String, Vec<f64>> = BTreeMap::new();
                loop {
                    let j = next.fetch_add(1, Ordering::SeqCst);
                    if j >= journeys || started.elapsed() > cap {
                        return (done, errors, latencies);
                    }
                    for (n, op) in calls.iter().enumerate() {
                        let t = Instant::now();
                        if !raw.call(op, first + j, n).await {
                            errors += 1;
                        }
                        let ms = t.elapsed().as_secs_f64() * 1000.0;
                        latencies.entry(op.clone()).or_default().push(ms);
                    }
                    done += 1;
                }
            }));
        }
        let (mut done, mut errors) = (0, 0);
        let mut latencies: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for w in workers {
            if let Ok((d, e, l)) = w.await {
                done += d;
                errors += e;
                for (op, v) in l {
                    latencies.entry(op).or_default().extend(v);
                }
            }
        }
        RawFigure {
            journeys: done,
            per_second: done as f64 / started.elapsed().as_secs_f64(),
            errors,
            latencies,
        }
    }
}
