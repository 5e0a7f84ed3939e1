//! The agents' audit trail: every action appends an entry (agent number, name, action, time,
//! target). Entries are chained per caisse: each holds the hash of the previous one, so a
//! deleted or edited entry breaks the chain, which `verify` finds. Kept 1 year (TTL).

use crate::store::{from_item, n, query_all, s, sdk_error, to_item, StoreError};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use c2s_domain::dates;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub const KEEP_SECONDS: i64 = 366 * 24 * 3600;
const GENESIS: &str = "genesis";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditEntry {
    pub caisse: String,
    pub seq: u64,
    #[serde(with = "dates::instant")]
    pub at: OffsetDateTime,
    pub agent_id: String,
    pub agent_name: String,
    pub action: String,
    pub target: String,
    /// The renewal concerned, for the superviseur's view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_id: Option<String>,
    /// The person concerned (keyed hash), for data-subject access requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The partner organisation concerned, for its trail (index `by_partner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    pub expires_at: i64,
}

/// The `agent_id` of what the person did themselves on their file (withdrawing a partner's
/// access): no agent acted, and the entry never names the person but by `subject`.
pub const BY_THE_PERSON: &str = "beneficiary";

/// What an action is about, before it is chained.
#[derive(Debug, Clone)]
pub struct Action<'a> {
    pub caisse: &'a str,
    pub agent_id: &'a str,
    pub agent_name: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub renewal_id: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub partner_id: Option<&'a str>,
}

fn digest(e: &AuditEntry) -> String {
    let at = e.at.unix_timestamp_nanos().to_string();
    let fields = [
        e.prev_hash.as_str(),
        &e.seq.to_string(),
        &at,
        &e.caisse,
        &e.agent_id,
        &e.agent_name,
        &e.action,
        &e.target,
        e.renewal_id.as_deref().unwrap_or(""),
        e.subject.as_deref().unwrap_or(""),
    ];
    let mut h = Sha256::new();
    // Entries written before partners were traced carry no organisation: their hash stays.
    for f in fields.into_iter().chain(e.partner_id.as_deref()) {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every entry still there is intact and linked to the one before.
    Intact { entries: u64 },
    /// The first entry whose hash or link does not hold.
    Broken { seq: u64 },
}

#[derive(Clone, Debug)]
pub struct AuditStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

crate::store::table_store!(AuditStore, "AUDIT_TABLE");

impl AuditStore {
    /// The last entry of the caisse's chain: (seq, hash).
    pub async fn head(&self, caisse: &str) -> Result<(u64, String), StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("caisse = :c")
            .expression_attribute_values(":c", s(caisse))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        match out.items.unwrap_or_default().into_iter().next() {
            Some(item) => {
                let e: AuditEntry = from_item(item)?;
                Ok((e.seq, e.hash))
            }
            None => Ok((0, GENESIS.to_owned())),
        }
    }

    /// The entry that follows `head`, ready to be written.
    pub fn next(head: &(u64, String), a: &Action<'_>, at: OffsetDateTime) -> AuditEntry {
        let mut e = AuditEntry {
            caisse: a.caisse.to_owned(),
            seq: head.0 + 1,
            at,
            agent_id: a.agent_id.to_owned(),
            agent_name: a.agent_name.to_owned(),
            action: a.action.to_owned(),
            target: a.target.to_owned(),
            renewal_id: a.renewal_id.map(str::to_owned),
            subject: a.subject.map(str::to_owned),
            partner_id: a.partner_id.map(str::to_owned),
            prev_hash: head.1.clone(),
            hash: String::new(),
            expires_at: at.unix_timestamp() + KEEP_SECONDS,
        };
        e.hash = digest(&e);
        e
    }

    /// The write of an entry, to put in the same transaction as the change it records. It
    /// fails if another entry took that place in the chain meanwhile.
    pub fn put(&self, e: &AuditEntry) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(e, &[])?))
            .condition_expression("attribute_not_exists(caisse)")
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Appends an entry for an action that changes nothing else (a read, a download).
    pub async fn append(&self, a: &Action<'_>) -> Result<AuditEntry, StoreError> {
        for _ in 0..8 {
            let head = self.head(a.caisse).await?;
            let e = Self::next(&head, a, OffsetDateTime::now_utc());
            let write = self
                .client
                .transact_write_items()
                .transact_items(self.put(&e)?)
                .send()
                .await;
            match write.map_err(sdk_error) {
                Ok(_) => return Ok(e),
                Err(StoreError::Conflict) => continue,
                Err(err) => return Err(err),
            }
        }
        Err(StoreError::Conflict)
    }

    pub async fn for_renewal(&self, renewal_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        self.by_index("by_renewal", "renewal_id", renewal_id).await
    }

    pub async fn for_subject(&self, subject: &str) -> Result<Vec<AuditEntry>, StoreError> {
        self.by_index("by_subject", "subject", subject).await
    }

    /// What agents did about a partner organisation, every caisse's entries.
    pub async fn for_partner(&self, partner_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        self.by_index("by_partner", "partner_id", partner_id).await
    }

    async fn by_index(
        &self,
        index: &str,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut out = Vec::new();
        for item in query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#a = :v")
                .expression_attribute_names("#a", attribute)
                .expression_attribute_values(":v", s(value)),
        )
        .await?
        {
            out.push(from_item::<AuditEntry>(item)?);
        }
        out.sort_by_key(|e| (e.caisse.clone(), e.seq));
        Ok(out)
    }

    /// Walks the caisse's chain in order and checks every hash and every link. Entries older
    /// than a year are gone by TTL: the first one left anchors the chain.
    pub async fn verify(&self, caisse: &str) -> Result<Verification, StoreError> {
        let mut previous: Option<AuditEntry> = None;
        let mut count = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("caisse = :c")
                .expression_attribute_values(":c", s(caisse))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in page.items.unwrap_or_default() {
                let e: AuditEntry = from_item(item)?;
                let linked = match &previous {
                    Some(p) => e.prev_hash == p.hash && e.seq == p.seq + 1,
                    None => true,
                };
                if !linked || digest(&e) != e.hash {
                    return Ok(Verification::Broken { seq: e.seq });
                }
                count += 1;
                previous = Some(e);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(Verification::Intact { entries: count })
    }
}

/// Seconds, for TTL attributes.
pub fn expires(at: OffsetDateTime) -> aws_sdk_dynamodb::types::AttributeValue {
    n(at.unix_timestamp() + KEEP_SECONDS)
}
