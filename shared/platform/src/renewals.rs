//! The renewals table: per renewal (partition key = its id) one `renewal` item with the form,
//! status, version and history, one `doc#<id>` item per supporting document and one `note#…`
//! item per agent's note, so that a single query reads the whole file. Nine indexes
//! (template.yaml): `by_beneficiary`, `by_caisse_deadline`, `by_deadline`, `by_draft`,
//! `by_purge`, `by_export`, `by_partner`, `by_rescan` (documents waiting for the antivirus),
//! `by_receipt` (the agents' search);
//! `stored` derives the attributes most of them read, `documents` those of `by_rescan`.
//! Each save that changes what a renewal counts in moves the caisse's dashboard counters in
//! the same write (`counters`, `StatsTable`).

use crate::beneficiaries::Profile;
use crate::beneficiaries::{open_renewal_of, BeneficiaryStore};
use crate::store::{from_item, n, query_all, s, sdk_error, to_item, StoreError};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use c2s_domain::renewal::{moves, tally, ActorKind, Member, CLOSED_FILE_KEPT_SECONDS};
use stored::indexed;
use time::{Date, OffsetDateTime};

mod backfill;
mod counters;
mod documents;
mod exports;
mod lists;
mod purge;
mod queue;
mod stored;

pub use documents::{
    object_key, object_prefix, parse_object_key, request_owner, DocumentRecord, NoteRecord,
};
pub use exports::ExportLease;

pub const RENEWAL: &str = "renewal";

/// The renewal item's attributes that only its indexes read: derived on save (`stored`) or
/// set by the handlers as index state. None is the person's data (the DPO export leaves them).
pub const INDEX_ATTRIBUTES: &[&str] = &[
    "queue",
    "queue_key",
    "deadline_open",
    "draft_open",
    "purge_index",
    "purge_key",
    "export_pending",
    "export_key",
    "export_batch",
    "filed_partner",
    "receipt_number",
];

/// Renewal ids are UUIDs; anything longer is refused before it reaches DynamoDB.
const MAX_ID_LEN: usize = 64;

pub fn document_sk(document_id: &str) -> String {
    format!("doc#{document_id}")
}

pub use c2s_domain::renewal::{AgentRef, FiledBy, PurgeStage, Receipt, Renewal as RenewalRecord};

/// The applicant as the national system knows them.
pub fn applicant(profile: &Profile) -> Option<Member> {
    c2s_domain::renewal::applicant(&profile.on_file())
}

/// A new draft for this beneficiary, with a fresh id, started now.
pub fn new_draft(profile: &Profile, today: Date, actor: ActorKind) -> Option<RenewalRecord> {
    c2s_domain::renewal::new_draft(
        &profile.on_file(),
        uuid::Uuid::new_v4().to_string(),
        OffsetDateTime::now_utc(),
        today,
        actor,
    )
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a renewal is already open")]
    AlreadyOpen,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether a reopened renewal got the person's open slot back (`save_reopened`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    Taken,
    /// Another renewal holds it (its id): the reopened one was saved without it.
    HeldBy(String),
}

#[derive(Clone, Debug)]
pub struct RenewalStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    beneficiaries: String,
    stats: String,
}

impl RenewalStore {
    /// The renewals table (`RENEWALS_TABLE`); a renewal that closes also writes the
    /// beneficiaries table (`BENEFICIARIES_TABLE`): its open marker goes, its last one stays;
    /// a save that changes what it counts in moves the counters of `STATS_TABLE`.
    pub fn from_env(
        env: &crate::Env,
        clients: &crate::aws::Clients,
    ) -> Result<Self, crate::ConfigError> {
        Ok(Self {
            client: clients.dynamo(),
            table: env.require("RENEWALS_TABLE")?,
            // Only the functions that close renewals are given it (document-check is not);
            // without it, such a write is refused by DynamoDB rather than sent elsewhere.
            beneficiaries: env.optional("BENEFICIARIES_TABLE").unwrap_or_default(),
            // Likewise: only the functions that change a status are given it.
            stats: env.optional("STATS_TABLE").unwrap_or_default(),
        })
    }

    /// The store of these tables (see `from_env`).
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table: String,
        beneficiaries: String,
        stats: String,
    ) -> Self {
        Self {
            client,
            table,
            beneficiaries,
            stats,
        }
    }

    /// Creates the renewal and the beneficiary's `open_renewal` marker in one transaction,
    /// so two concurrent starts cannot both succeed, with the counters it counts in.
    pub async fn create(&self, r: &mut RenewalRecord) -> Result<(), CreateError> {
        let counted = tally(r);
        let item = to_item(&indexed(r), &[("pk", &r.id), ("sk", RENEWAL)])?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let lock = Put::builder()
            .table_name(&self.beneficiaries)
            .set_item(Some(BeneficiaryStore::open_renewal_item(
                &r.nir_hash,
                &r.id,
            )))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let mut items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().put(lock).build(),
        ];
        items.extend(self.counter_updates(&moves(None, Some(&counted)))?);
        self.transact(items, &[0])
            .await
            // The renewal (0) is new by its id; the person's marker (1) taken, or being
            // taken by a concurrent start, means a renewal is open.
            .map_err(|e| match e {
                StoreError::Conflict | StoreError::SideCondition(1) => CreateError::AlreadyOpen,
                other => CreateError::Store(other),
            })?;
        r.counted = Some(counted);
        Ok(())
    }

    /// The renewal and its documents, read consistently. An id longer than any we make is
    /// not looked up: it cannot exist, whoever sent it.
    pub async fn load(
        &self,
        id: &str,
    ) -> Result<Option<(RenewalRecord, Vec<DocumentRecord>)>, StoreError> {
        if id.len() > MAX_ID_LEN {
            return Ok(None);
        }
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(id))
                .consistent_read(true),
        )
        .await?;
        let mut renewal = None;
        let mut documents: Vec<DocumentRecord> = Vec::new();
        for item in items {
            match item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some(RENEWAL) => renewal = Some(from_item::<RenewalRecord>(item)?),
                Some(sk) if sk.starts_with("doc#") => documents.push(from_item(item)?),
                _ => {}
            }
        }
        documents.sort_by_key(|d| d.created_at);
        Ok(renewal.map(|r| (r, documents)))
    }

    /// The renewal of this beneficiary (or of whoever acts for them), or `None` whether it is
    /// missing or someone else's: the caller answers 404 either way.
    pub async fn load_owned(
        &self,
        id: &str,
        nir_hash: &str,
    ) -> Result<Option<(RenewalRecord, Vec<DocumentRecord>)>, StoreError> {
        Ok(self.load(id).await?.filter(|(r, _)| r.nir_hash == nir_hash))
    }

    /// Saves `r` if nobody saved it since it was read (optimistic locking): the stored
    /// version must still be `r.version`, and becomes `r.version + 1`, in `r` too once written.
    /// An open renewal whose counters do not move (a form, a flag) is one conditional
    /// PutItem; one that moves them (a status, a deadline, a decision) writes them in the
    /// same transaction, by the difference from what it counted in as read. A renewal that is no longer open is
    /// recorded as the beneficiary's last one with it in one transaction, then releases their `open_renewal` marker if it is still this renewal's
    /// (`release_open_renewal`): a marker given to a new draft never cancels the save.
    pub async fn save(&self, r: &mut RenewalRecord) -> Result<(), StoreError> {
        self.save_with(r, Vec::new()).await
    }

    /// `save` for a renewal that was closed and is open again (a decision the national system
    /// sent back): in the same transaction, it takes the person's `open_renewal` slot back,
    /// so that they cannot start a second renewal meanwhile. If another renewal holds the
    /// slot (a draft started once this one was decided), the save still goes through, the
    /// slot stays the other's, and the answer names it: the decision side's change is never
    /// lost, the conflict is the caller's to report.
    pub async fn save_reopened(&self, r: &mut RenewalRecord) -> Result<Slot, StoreError> {
        let slot = Put::builder()
            .table_name(&self.beneficiaries)
            .set_item(Some(BeneficiaryStore::open_renewal_item(
                &r.nir_hash,
                &r.id,
            )))
            .condition_expression("attribute_not_exists(pk) OR renewal_id = :id")
            .expression_attribute_values(":id", s(&r.id))
            .build()
            .map_err(build_error)?;
        match self
            .save_with(r, vec![TransactWriteItem::builder().put(slot).build()])
            .await
        {
            Ok(()) => return Ok(Slot::Taken),
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
        // Either the renewal changed since it was read, or the slot is another's: only the
        // second is saved without the slot (the version condition still guards the first).
        match open_renewal_of(&self.client, &self.beneficiaries, &r.nir_hash).await? {
            Some(other) if other != r.id => {
                self.save(r).await?;
                Ok(Slot::HeldBy(other))
            }
            _ => Err(StoreError::Conflict),
        }
    }

    /// `save`, with other writes (an audit entry, a note) in the same transaction: all or none.
    pub async fn save_with(
        &self,
        r: &mut RenewalRecord,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let expected = r.version;
        r.version = expected + 1;
        let counted = tally(r);
        if let Err(e) = self.write(r, expected, extra).await {
            r.version = expected;
            return Err(e);
        }
        r.counted = Some(counted);
        if !r.status.is_open() {
            self.release_open_renewal(r).await;
        }
        Ok(())
    }

    /// Frees the person's `open_renewal` marker if it still names this renewal: a step that
    /// may do nothing (the marker already gone, or naming the new draft the person opened
    /// since), after the save and never able to cancel it. A release that fails is logged;
    /// the renewal's next save (the export's claim, its `exported`) tries again.
    async fn release_open_renewal(&self, r: &RenewalRecord) {
        let beneficiaries = BeneficiaryStore::new(self.client.clone(), self.beneficiaries.clone());
        if let Err(e) = beneficiaries.release_open_renewal(&r.nir_hash, &r.id).await {
            tracing::warn!(renewal_id = %r.id, error = %e, "open-renewal marker not released");
        }
    }

    async fn write(
        &self,
        r: &RenewalRecord,
        expected_version: u64,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let item = to_item(&indexed(r), &[("pk", &r.id), ("sk", RENEWAL)])?;
        let moved = moves(r.counted.as_ref(), Some(&tally(r)));
        if r.status.is_open() && extra.is_empty() && moved.is_empty() {
            // The renewal alone changes: one conditional PutItem, not a one-item transaction
            // (half the write units on AWS; on moto, no copy of the tables per write). A
            // failed condition is a lost race all the same (`Conflict`).
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(expected_version))
                .send()
                .await
                .map_err(sdk_error)?;
            return Ok(());
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if !r.status.is_open() {
            let last = Put::builder()
                .table_name(&self.beneficiaries)
                .set_item(Some(BeneficiaryStore::last_renewal_item(
                    &r.nir_hash,
                    &r.id,
                    r.updated_at.unix_timestamp() + CLOSED_FILE_KEPT_SECONDS,
                )))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().put(last).build());
        }
        // Every condition here is the caller's: the renewal's version and those of the
        // writes it adds (an audit entry's place in its chain), each a lost race. The
        // counters have none.
        let own: Vec<usize> = (0..items.len() + extra.len()).collect();
        items.extend(extra);
        items.extend(self.counter_updates(&moved)?);
        self.transact(items, &own).await
    }

    /// Writes these items in one transaction.
    pub async fn write_all(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
    use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    use c2s_domain::beneficiary::{Address, Territory};
    use c2s_domain::renewal::Status;
    use std::sync::{Arc, Mutex};
    use time::macros::date;

    /// The operations a client sent, by name (`X-Amz-Target` without its version prefix).
    #[derive(Debug, Clone, Default)]
    struct Calls(Arc<Mutex<Vec<String>>>);

    impl Calls {
        fn take(&self) -> Vec<String> {
            self.0
                .lock()
                .map(|mut c| c.drain(..).collect())
                .unwrap_or_default()
        }
    }

    impl Intercept for Calls {
        fn name(&self) -> &'static str {
            "Calls"
        }

        fn read_before_transmit(
            &self,
            ctx: &BeforeTransmitInterceptorContextRef<'_>,
            _: &RuntimeComponents,
            _: &mut ConfigBag,
        ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            let target = ctx.request().headers().get("x-amz-target").unwrap_or("");
            let operation = target.rsplit('.').next().unwrap_or("").to_owned();
            if let Ok(mut calls) = self.0.lock() {
                calls.push(operation);
            }
            Ok(())
        }
    }

    async fn table(client: &aws_sdk_dynamodb::Client, name: &str) {
        let attribute = |n: &str| {
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
        let (Ok(pk), Ok(sk), Ok(hash), Ok(range)) = (
            attribute("pk"),
            attribute("sk"),
            key("pk", KeyType::Hash),
            key("sk", KeyType::Range),
        ) else {
            panic!("table definition");
        };
        let created = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(pk)
            .attribute_definitions(sk)
            .key_schema(hash)
            .key_schema(range)
            .send()
            .await;
        if let Err(e) = created {
            panic!(
                "create table: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            );
        }
    }

    fn profile() -> Profile {
        Profile {
            nir_hash: format!("h-{}", uuid::Uuid::new_v4()),
            nir: String::new(),
            birth_date: date!(1980 - 03 - 14),
            last_name: "Durand".into(),
            first_name: "Marie".into(),
            email: None,
            phone: None,
            address: Address {
                line: "1 rue de la Paix".into(),
                postal_code: "76000".into(),
                city: "Rouen".into(),
            },
            territory: Territory::Metropole,
            caisse: "rouen-elbeuf-dieppe".into(),
            css_end_date: date!(2026 - 06 - 30),
            renewal_code_hash: String::new(),
            iban_last4_hash: String::new(),
            vitale_serial_hash: String::new(),
            household: Vec::new(),
            guardian_partner_id: None,
        }
    }

    /// A store on fresh tables of the emulator (`AWS_ENDPOINT_URL`, as `infra/test` sets it)
    /// whose client counts its calls; `None` without one.
    async fn store() -> Option<(RenewalStore, Calls)> {
        if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
            eprintln!("no emulator (AWS_ENDPOINT_URL): the renewals store is not tested here");
            return None;
        }
        let calls = Calls::default();
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&crate::aws::sdk_config().await)
                .interceptor(calls.clone())
                .build(),
        );
        let id = uuid::Uuid::new_v4();
        let (renewals, beneficiaries, stats) = (
            format!("test-renewals-{id}"),
            format!("test-beneficiaries-{id}"),
            format!("test-stats-{id}"),
        );
        table(&client, &renewals).await;
        table(&client, &beneficiaries).await;
        table(&client, &stats).await;
        calls.take();
        Some((
            RenewalStore::new(client, renewals, beneficiaries, stats),
            calls,
        ))
    }

    #[tokio::test]
    async fn an_open_renewal_is_saved_with_one_put_and_a_closing_one_in_a_transaction() {
        let Some((store, calls)) = store().await else {
            return;
        };
        let who = profile();
        let beneficiaries =
            BeneficiaryStore::new(store.client.clone(), store.beneficiaries.clone());
        assert!(beneficiaries
            .put_profiles(std::slice::from_ref(&who))
            .await
            .is_ok());
        let Some(mut r) = new_draft(&who, date!(2026 - 05 - 01), ActorKind::Beneficiary) else {
            panic!("a draft of the profile");
        };
        assert!(store.create(&mut r).await.is_ok());
        calls.take();

        // `GET /api/me`'s read: the profile and its markers in one query.
        let person = beneficiaries.person(&who.nir_hash).await;
        let Ok(Some(person)) = person else {
            panic!("the person: {person:?}");
        };
        assert_eq!(calls.take(), ["Query"]);
        assert_eq!(person.profile.first_name, "Marie");
        assert_eq!(person.open_renewal.as_deref(), Some(r.id.as_str()));
        assert_eq!(person.last_renewal, None);

        let stale = r.clone();
        assert!(store.save(&mut r).await.is_ok());
        assert_eq!(r.version, stale.version + 1);
        assert_eq!(
            calls.take(),
            ["PutItem"],
            "one item changes: no transaction"
        );

        // A save from what was read before that one: the version condition fails, and the
        // caller is told it lost the race, its record left as it was.
        let mut late = stale.clone();
        assert!(matches!(
            store.save(&mut late).await,
            Err(StoreError::Conflict)
        ));
        assert_eq!(late.version, stale.version);
        assert_eq!(calls.take(), ["PutItem"]);

        // A status change moves the caisse's counters in the same write; one that lost the
        // race moves none.
        let before_submit = r.clone();
        r.status = Status::Submitted;
        assert!(store.save(&mut r).await.is_ok());
        assert_eq!(calls.take(), ["TransactWriteItems"]);
        let mut lost = before_submit.clone();
        lost.status = Status::Withdrawn;
        assert!(matches!(
            store.save(&mut lost).await,
            Err(StoreError::Conflict)
        ));
        calls.take();
        let counted = |counters: Vec<(String, i64)>, key: &str| {
            counters
                .iter()
                .find(|(k, _)| k == key)
                .map_or(0, |(_, n)| *n)
        };
        let Ok(counters) = store.counters(&who.caisse, date!(2026 - 05 - 01)).await else {
            panic!("the counters");
        };
        assert_eq!(counted(counters.clone(), "status#submitted"), 1);
        assert_eq!(counted(counters.clone(), "status#draft"), 0);
        assert_eq!(counted(counters, "status#withdrawn"), 0, "the lost save");
        calls.take();

        // Closing writes the last-renewal marker with it, then frees the slot on its own.
        r.status = Status::Withdrawn;
        assert!(store.save(&mut r).await.is_ok());
        assert_eq!(calls.take(), ["TransactWriteItems", "DeleteItem"]);
        let person = beneficiaries.person(&who.nir_hash).await;
        let Ok(Some(person)) = person else {
            panic!("the person: {person:?}");
        };
        assert_eq!(person.open_renewal, None, "slot freed");
        assert_eq!(person.last_renewal.as_deref(), Some(r.id.as_str()));

        // Markers alone are no person.
        assert!(matches!(beneficiaries.person("h-nobody").await, Ok(None)));
    }
}
