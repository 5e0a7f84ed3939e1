//! Conversations (`c2s_domain::thread`), stored beside what they are about: a renewal's in
//! its partition of the renewals table (so that one purge of the file takes them too), a
//! partner request's in its organisation's partition of the partners table. Each thread is
//! its messages (`msg#[<request id>#]m#<time>#<id>`, in the order they were written) and one
//! state item (`msg#[<request id>#]state`) saying whether the agents have a message to read
//! and, for the people, the time of the latest message of each class and when each side last
//! read (`c2s_domain::thread::Marks`); one query under the prefix reads both. The state is
//! only ever updated in place (a message moves its own marks, a reading its side's), so no
//! write loses another's.

use crate::store::{
    batch_get, from_item, key as item_key, query_all, s, sdk_error, to_item, Item, StoreError,
};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use c2s_domain::dates::format_instant;
use c2s_domain::thread::{Marks, Message, Reader};
use std::collections::{HashMap, HashSet};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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

/// A thread as read: its messages, oldest first, whether the agents have one to read, and
/// what the people have to (`Marks::unread_for`).
#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub messages: Vec<Message>,
    pub unread_by_agents: bool,
    pub marks: Marks,
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
                    thread.marks = marks(&item);
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
    /// (an agent's audit entry): the message, new by its id, and the state it leaves (its
    /// time, whether the agents have it to read, the latest of its class).
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
        let (latest, _) = Marks::posted(m);
        let state = Update::builder()
            .table_name(&self.table)
            .set_key(Some(item_key(&key.pk(), &key.state_sk())))
            .update_expression("SET last_at = :t, unread_by_agents = :u, #latest = :t")
            .expression_attribute_names("#latest", latest)
            .expression_attribute_values(":t", s(format_instant(m.at)))
            .expression_attribute_values(":u", AttributeValue::Bool(m.for_agents()))
            .build()
            .map_err(build_error)?;
        Ok(vec![
            TransactWriteItem::builder().put(message).build(),
            TransactWriteItem::builder().update(state).build(),
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
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item_key(&key.pk(), &key.state_sk())))
            .update_expression("SET unread_by_agents = :f")
            .condition_expression("last_at = :seen")
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":seen", s(last_at))
            .send()
            .await
            .map_err(sdk_error);
        match written {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The thread as `reader` (the beneficiary, a partner) reads it: read, then its side's
    /// marks moved to the latest message it could read (`Marks::after_reading`).
    pub async fn read_by(&self, key: &ThreadKey, reader: &Reader) -> Result<Thread, StoreError> {
        let thread = self.thread(key).await?;
        let moves = thread.marks.after_reading(reader, &thread.messages);
        if moves.is_empty() {
            return Ok(thread);
        }
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item_key(&key.pk(), &key.state_sk())))
            // Never a state brought back for a thread deleted meanwhile.
            .condition_expression("attribute_exists(pk)");
        let mut sets = Vec::new();
        for (i, (attribute, at)) in moves.iter().enumerate() {
            sets.push(format!("#m{i} = :m{i}"));
            update = update
                .expression_attribute_names(format!("#m{i}"), *attribute)
                .expression_attribute_values(format!(":m{i}"), s(format_instant(*at)));
        }
        let written = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await
            .map_err(sdk_error);
        match written {
            Ok(_) | Err(StoreError::Conflict) => Ok(thread),
            Err(e) => Err(e),
        }
    }

    /// The people's marks of one thread (none before its first message).
    pub async fn marks(&self, key: &ThreadKey) -> Result<Marks, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item_key(&key.pk(), &key.state_sk())))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item.as_ref().map(marks).unwrap_or_default())
    }

    /// The people's marks of these threads (a page of a list): one batch read.
    pub async fn marks_of(
        &self,
        keys: &[ThreadKey],
    ) -> Result<HashMap<ThreadKey, Marks>, StoreError> {
        Ok(self
            .states(keys)
            .await?
            .into_iter()
            .map(|(k, item)| (k, marks(&item)))
            .collect())
    }

    /// Which of these threads hold a message the agents have not read: one batch read for
    /// a page of a list.
    pub async fn unread_by_agents(
        &self,
        keys: &[ThreadKey],
    ) -> Result<HashSet<ThreadKey>, StoreError> {
        Ok(self
            .states(keys)
            .await?
            .into_iter()
            .filter(|(_, item)| unread(item))
            .map(|(k, _)| k)
            .collect())
    }

    /// The state items of these threads that exist (`store::batch_get`, 100 keys a call).
    async fn states(&self, keys: &[ThreadKey]) -> Result<HashMap<ThreadKey, Item>, StoreError> {
        let by_key: HashMap<(String, String), &ThreadKey> =
            keys.iter().map(|k| ((k.pk(), k.state_sk()), k)).collect();
        let wanted = by_key.keys().map(|(pk, sk)| item_key(pk, sk)).collect();
        let mut found = HashMap::new();
        for item in batch_get(&self.client, &self.table, wanted).await? {
            let id = (text(&item, "pk"), text(&item, "sk"));
            if let Some(k) = by_key.get(&id) {
                found.insert((*k).clone(), item);
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

/// The people's marks a state item holds (a mark it cannot read is as if never set).
fn marks(item: &Item) -> Marks {
    let mut m = Marks::default();
    for name in Marks::attributes() {
        let at = item
            .get(name)
            .and_then(|v| v.as_s().ok())
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        if let Some(at) = at {
            m.set(name, at);
        }
    }
    m
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
