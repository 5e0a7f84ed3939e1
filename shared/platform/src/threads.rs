//! Conversations (`c2s_domain::thread`), stored beside what they are about: a renewal's in
//! its partition of the renewals table (so that one purge of the file takes them too), a
//! partner request's in its organisation's partition of the partners table. Each thread is
//! its messages (`msg#[<request id>#]m#<time>#<id>`, in the order they were written) and one
//! state item (`msg#[<request id>#]state`) saying whether the agents have a message to read;
//! one query under the prefix reads both.

use crate::store::{batch_get, from_item, key, query_all, s, sdk_error, to_item, Item, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use c2s_domain::dates::format_instant;
use c2s_domain::thread::Message;
use std::collections::{HashMap, HashSet};

/// Which thread.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThreadKey {
    /// A renewal's, by its id.
    Renewal(String),
    /// A partner request's or signalement's, by its id (`<partner id>.<random>`).
    Request {
        partner_id: String,
        request_id: String,
    },
}

impl ThreadKey {
    fn pk(&self) -> String {
        match self {
            ThreadKey::Renewal(id) => id.clone(),
            ThreadKey::Request { partner_id, .. } => format!("org#{partner_id}"),
        }
    }

    fn prefix(&self) -> String {
        match self {
            ThreadKey::Renewal(_) => "msg#".to_owned(),
            ThreadKey::Request { request_id, .. } => format!("msg#{request_id}#"),
        }
    }

    fn state_sk(&self) -> String {
        format!("{}state", self.prefix())
    }
}

/// A thread as read: its messages, oldest first, and whether the agents have one to read.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub messages: Vec<Message>,
    pub unread_by_agents: bool,
    /// The time of the state as read, for `mark_read`'s condition.
    last_at: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ThreadStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl ThreadStore {
    /// The renewals' threads, in `RENEWALS_TABLE`.
    pub fn renewals(
        env: &crate::Env,
        clients: &crate::aws::Clients,
    ) -> Result<Self, crate::ConfigError> {
        Ok(Self::new(clients.dynamo(), env.require("RENEWALS_TABLE")?))
    }

    /// The partner requests' threads, in `PARTNERS_TABLE`.
    pub fn requests(
        env: &crate::Env,
        clients: &crate::aws::Clients,
    ) -> Result<Self, crate::ConfigError> {
        Ok(Self::new(clients.dynamo(), env.require("PARTNERS_TABLE")?))
    }

    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    /// The query of every item of the thread: its messages and its state.
    fn items_of(
        &self,
        key: &ThreadKey,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
            .expression_attribute_values(":pk", s(key.pk()))
            .expression_attribute_values(":p", s(key.prefix()))
    }

    /// The thread, read consistently in one query.
    pub async fn thread(&self, key: &ThreadKey) -> Result<Thread, StoreError> {
        let prefix = key.prefix();
        let items = query_all(self.items_of(key).consistent_read(true)).await?;
        let state = key.state_sk();
        let message = format!("{prefix}m#");
        let mut thread = Thread::default();
        for item in items {
            match item.get("sk").and_then(|v| v.as_s().ok()) {
                Some(sk) if *sk == state => {
                    thread.unread_by_agents = unread(&item);
                    thread.last_at = item.get("last_at").and_then(|v| v.as_s().ok()).cloned();
                }
                Some(sk) if sk.starts_with(&message) => thread.messages.push(from_item(item)?),
                _ => {}
            }
        }
        thread.messages.sort_by_key(|m| m.at);
        Ok(thread)
    }

    /// The writes that add `m` to the thread, in one transaction with whatever goes with it
    /// (an agent's audit entry): the message, new by its id, and the state it leaves.
    pub fn post_items(
        &self,
        key: &ThreadKey,
        m: &Message,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let sk = format!(
            "{}m#{}#{}",
            key.prefix(),
            format_instant(m.at),
            m.message_id
        );
        let message = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(m, &[("pk", &key.pk()), ("sk", &sk)])?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let state = Put::builder()
            .table_name(&self.table)
            .set_item(Some(HashMap::from([
                ("pk".to_owned(), s(key.pk())),
                ("sk".to_owned(), s(key.state_sk())),
                ("last_at".to_owned(), s(format_instant(m.at))),
                (
                    "unread_by_agents".to_owned(),
                    AttributeValue::Bool(m.for_agents()),
                ),
            ])))
            .build()
            .map_err(build_error)?;
        Ok(vec![
            TransactWriteItem::builder().put(message).build(),
            TransactWriteItem::builder().put(state).build(),
        ])
    }

    /// Adds `m` to the thread.
    pub async fn post(&self, key: &ThreadKey, m: &Message) -> Result<(), StoreError> {
        self.post_with(key, m, Vec::new()).await
    }

    /// Adds `m` to the thread with other writes (an agent's audit entry): all or none. A
    /// failed condition of any (the audit chain moved) is `Conflict`: read again.
    pub async fn post_with(
        &self,
        key: &ThreadKey,
        m: &Message,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let mut items = self.post_items(key, m)?;
        items.extend(extra);
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Deletes the whole thread, its messages and its state (retention: it goes with what it
    /// is about). The number of items deleted.
    pub async fn delete_thread(&self, key: &ThreadKey) -> Result<u64, StoreError> {
        let items = query_all(self.items_of(key).projection_expression("pk, sk")).await?;
        let mut deleted = 0;
        for item in items {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(HashMap::from([
                    ("pk".to_owned(), s(key.pk())),
                    ("sk".to_owned(), s(text(&item, "sk"))),
                ])))
                .send()
                .await
                .map_err(sdk_error)?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// The thread as an agent reads it: read, then marked read (`mark_read`).
    pub async fn read_by_agents(&self, key: &ThreadKey) -> Result<Thread, StoreError> {
        let thread = self.thread(key).await?;
        self.mark_read(key, &thread).await?;
        Ok(thread)
    }

    /// An agent read `thread`: nothing left to read, unless a message came since it was read
    /// (the state's time no longer the one seen), which stays unread.
    pub async fn mark_read(&self, key: &ThreadKey, thread: &Thread) -> Result<(), StoreError> {
        let Some(last_at) = thread.last_at.as_ref().filter(|_| thread.unread_by_agents) else {
            return Ok(());
        };
        let written = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(HashMap::from([
                ("pk".to_owned(), s(key.pk())),
                ("sk".to_owned(), s(key.state_sk())),
                ("last_at".to_owned(), s(last_at)),
                ("unread_by_agents".to_owned(), AttributeValue::Bool(false)),
            ])))
            .condition_expression("last_at = :seen")
            .expression_attribute_values(":seen", s(last_at))
            .send()
            .await
            .map_err(sdk_error);
        match written {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Which of these threads hold a message the agents have not read: one batch read for
    /// a page of a list (at most 100 keys, as DynamoDB allows).
    pub async fn unread_by_agents(
        &self,
        keys: &[ThreadKey],
    ) -> Result<HashSet<ThreadKey>, StoreError> {
        let by_key: HashMap<(String, String), &ThreadKey> =
            keys.iter().map(|k| ((k.pk(), k.state_sk()), k)).collect();
        let wanted = by_key.keys().map(|(pk, sk)| key(pk, sk)).collect();
        let mut found = HashSet::new();
        for item in batch_get(&self.client, &self.table, wanted).await? {
            let id = (text(&item, "pk"), text(&item, "sk"));
            if let Some(k) = by_key.get(&id).filter(|_| unread(&item)) {
                found.insert((*k).clone());
            }
        }
        Ok(found)
    }
}

fn unread(item: &Item) -> bool {
    matches!(
        item.get("unread_by_agents"),
        Some(AttributeValue::Bool(true))
    )
}

fn text(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// A new message's id.
pub fn message_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
