//! The partners table: per organisation (partition `org#<id>`) its record (`org`) and its
//! accounts (`account#<id>`); an `email#<address>` item makes addresses unique and finds the
//! account at sign-in; `activation#<hash>` items hold one-time activation links (48 h);
//! `request#<id>` items hold the organisation's requests to the caisses (`requests`),
//! `habreq#<id>` its requests for a new gestionnaire (`habilitation_requests`),
//! `listed#<caisse>` the caisses that know it (`listing`, index `by_caisse_org`). Requests
//! and organisations carry their retention due day (index `by_purge`, `retention`).

mod habilitation_requests;
mod listing;
mod requests;
mod retention;

pub use habilitation_requests::HabilitationRequest;
pub use requests::{RequestFilter, RequestRecord};

use crate::store::{from_item, get_as, key, n, query_as, s, sdk_error, to_item, Item, StoreError};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use c2s_domain::partner::{AccountStatus, Duty};
use time::OffsetDateTime;

pub use c2s_domain::partner::{Account as AccountRecord, Organisation as OrgRecord};

/// Whether a partner may act for a beneficiary of a given caisse.
#[derive(Debug)]
pub enum Access {
    Granted(Box<OrgRecord>),
    /// The account or the organisation is no longer active.
    Inactive,
    /// The account must renew its password or accept the conditions of use first.
    Duty(Duty),
    /// No convention in force with that caisse.
    NoConvention,
}

/// What a one-time link is for: the first password, or a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Activation,
    Reset,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Activation => "activation",
            LinkPurpose::Reset => "reset",
        }
    }
}

/// A link item's account and purpose, if it has not expired (links written before purposes
/// were recorded are activations).
fn valid_link(item: &Item) -> Option<(String, String, LinkPurpose)> {
    let field = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    let expires = item
        .get("expires_at")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let purpose = match field("purpose").as_str() {
        "reset" => LinkPurpose::Reset,
        _ => LinkPurpose::Activation,
    };
    (expires >= OffsetDateTime::now_utc().unix_timestamp())
        .then(|| (field("partner_id"), field("account_id"), purpose))
}

fn org_pk(partner_id: &str) -> String {
    format!("org#{partner_id}")
}

/// The organisation as stored, with its retention due day once its last convention ended.
pub(super) fn org_item(org: &OrgRecord) -> Result<Item, StoreError> {
    let mut item = to_item(org, &[("pk", &org_pk(&org.partner_id)), ("sk", "org")])?;
    retention::index_org(&mut item, org);
    Ok(item)
}

fn email_pk(email: &str) -> String {
    format!("email#{}", email.to_lowercase())
}

#[derive(Clone, Debug)]
pub struct PartnerStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

crate::store::table_store!(PartnerStore, "PARTNERS_TABLE");

/// An account status as the account's item stores it.
fn status(value: AccountStatus) -> Result<aws_sdk_dynamodb::types::AttributeValue, StoreError> {
    crate::store::to_attribute(&value)
}

fn build(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

fn put(
    table: &str,
    item: Item,
    condition: &str,
    values: Option<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition);
    if let Some((k, v)) = values {
        put = put.expression_attribute_values(k, v);
    }
    let put = put.build().map_err(build)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl PartnerStore {
    pub async fn create_org(&self, org: &OrgRecord) -> Result<(), StoreError> {
        self.create_org_with(org, Vec::new()).await
    }

    /// `create_org`, with other writes (its audit entry) in the same transaction.
    pub async fn create_org_with(
        &self,
        org: &OrgRecord,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let item = org_item(org)?;
        let write = put(&self.table, item, "attribute_not_exists(pk)", None)?;
        // Listed for the caisses it is created with (its first convention's).
        let mut caisses: Vec<&str> = org.conventions.iter().map(|c| c.caisse.as_str()).collect();
        caisses.sort_unstable();
        caisses.dedup();
        let listed = caisses
            .into_iter()
            .map(|c| self.listing(org, c))
            .collect::<Result<Vec<_>, _>>()?;
        self.transact(std::iter::once(write).chain(listed).chain(extra).collect())
            .await
    }

    /// Writes these items in one transaction, all or none (`Conflict` when a condition fails).
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    pub async fn org(&self, partner_id: &str) -> Result<Option<OrgRecord>, StoreError> {
        if partner_id.len() > 64 {
            return Ok(None);
        }
        get_as(&self.client, &self.table, key(&org_pk(partner_id), "org")).await
    }

    /// Writes `org` as its next version (see `put_next`).
    pub async fn save_org(&self, org: &mut OrgRecord) -> Result<(), StoreError> {
        self.save_org_with(org, Vec::new()).await
    }

    /// `save_org`, with other writes (its audit entry) in the same transaction.
    pub async fn save_org_with(
        &self,
        org: &mut OrgRecord,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let item = org_item(org)?;
        self.put_next(item, &mut org.version, extra).await
    }

    /// A write that moves the organisation's version on, unchanged otherwise, to go with a
    /// change to its gestionnaires: two such changes checked against the same accounts
    /// cannot both be written, the second is a `Conflict` (read again, check again). The
    /// caller's copy stays as read.
    pub fn org_guard(&self, org: &OrgRecord) -> Result<TransactWriteItem, StoreError> {
        let mut item = org_item(org)?;
        item.insert("version".into(), n(org.version + 1));
        put(
            &self.table,
            item,
            "version = :v",
            Some((":v", n(org.version))),
        )
    }

    /// Optimistic locking, kept here so no caller counts versions: puts `item` as version
    /// `version + 1` if the stored one is still `version`, together with `extra`, and only
    /// then moves the caller's copy on, so a refused write leaves it as read. `Conflict` when
    /// someone wrote first.
    async fn put_next(
        &self,
        mut item: Item,
        version: &mut u64,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let next = *version + 1;
        item.insert("version".into(), n(next));
        if extra.is_empty() {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(*version))
                .send()
                .await
                .map_err(sdk_error)?;
        } else {
            let write = put(&self.table, item, "version = :v", Some((":v", n(*version))))?;
            self.transact(std::iter::once(write).chain(extra).collect())
                .await?;
        }
        *version = next;
        Ok(())
    }

    pub async fn accounts(&self, partner_id: &str) -> Result<Vec<AccountRecord>, StoreError> {
        let mut accounts: Vec<AccountRecord> = query_as(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :a)")
                .expression_attribute_values(":pk", s(org_pk(partner_id)))
                .expression_attribute_values(":a", s("account#"))
                .consistent_read(true),
        )
        .await?;
        accounts.sort_by_key(|a| a.created_at);
        Ok(accounts)
    }

    pub async fn account(
        &self,
        partner_id: &str,
        account_id: &str,
    ) -> Result<Option<AccountRecord>, StoreError> {
        if account_id.len() > 64 || partner_id.len() > 64 {
            return Ok(None);
        }
        get_as(
            &self.client,
            &self.table,
            key(&org_pk(partner_id), &format!("account#{account_id}")),
        )
        .await
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(&email_pk(email), "email")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let field = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        self.account(&field("partner_id"), &field("account_id"))
            .await
    }

    /// Creates the account, reserves its address and records its activation link, together.
    /// `Conflict` when the address is taken.
    pub async fn create_account(
        &self,
        a: &AccountRecord,
        activation_hash: &str,
        activation_expires: i64,
    ) -> Result<(), StoreError> {
        self.create_account_with(a, activation_hash, activation_expires, Vec::new())
            .await
    }

    /// `create_account`, with other writes (the organisation's guard, an audit entry) in the
    /// same transaction. `Conflict` when the address is taken or another condition failed.
    pub async fn create_account_with(
        &self,
        a: &AccountRecord,
        activation_hash: &str,
        activation_expires: i64,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let account = to_item(
            a,
            &[
                ("pk", &org_pk(&a.partner_id)),
                ("sk", &format!("account#{}", a.account_id)),
            ],
        )?;
        let mut email = key(&email_pk(&a.email), "email");
        email.insert("partner_id".into(), s(&a.partner_id));
        email.insert("account_id".into(), s(&a.account_id));
        let new = "attribute_not_exists(pk)";
        let writes = [
            put(&self.table, account, new, None)?,
            put(&self.table, email, new, None)?,
            self.link_put(
                a,
                activation_hash,
                activation_expires,
                LinkPurpose::Activation,
            )?,
        ];
        self.transact(writes.into_iter().chain(extra).collect())
            .await
    }

    /// Writes `a` as its next version (see `put_next`).
    pub async fn save_account(&self, a: &mut AccountRecord) -> Result<(), StoreError> {
        self.save_account_with(a, Vec::new()).await
    }

    /// `save_account`, with other writes (the organisation's guard, an audit entry) in the
    /// same transaction.
    pub async fn save_account_with(
        &self,
        a: &mut AccountRecord,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let item = to_item(
            &*a,
            &[
                ("pk", &org_pk(&a.partner_id)),
                ("sk", &format!("account#{}", a.account_id)),
            ],
        )?;
        self.put_next(item, &mut a.version, extra).await
    }

    /// Counts one sign-in attempt on `a` before its password is judged: `failed_sign_ins`
    /// goes up by one if the account is active and below `limit`, and the version moves on
    /// so that no copy read before overwrites the count. `Some(n)`: this is attempt `n`;
    /// `None`: the account was locked (or changed state) meanwhile.
    pub async fn reserve_sign_in(
        &self,
        a: &AccountRecord,
        limit: u32,
    ) -> Result<Option<u32>, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::account_key(a)))
            .update_expression("ADD failed_sign_ins :one, version :one")
            .condition_expression("#status = :active AND failed_sign_ins < :limit")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":active", status(AccountStatus::Active)?)
            .expression_attribute_values(":limit", n(limit))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(sdk_error);
        match out {
            Ok(out) => Ok(Some(
                out.attributes
                    .and_then(|a| a.get("failed_sign_ins")?.as_n().ok()?.parse().ok())
                    .unwrap_or(limit),
            )),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Locks `a` after its last allowed attempt failed (unless it left `active` meanwhile).
    pub async fn lock_account(&self, a: &AccountRecord) -> Result<(), StoreError> {
        let locked = status(AccountStatus::Locked)?;
        self.update_active(a, "SET #status = :locked", vec![(":locked", locked)])
            .await
            .map(|_| ())
    }

    /// The right password: the attempts counted are forgotten. False when the account was
    /// locked (or changed state) meanwhile, by attempts that failed beside this one.
    pub async fn sign_in_succeeded(&self, a: &AccountRecord) -> Result<bool, StoreError> {
        self.update_active(a, "SET failed_sign_ins = :zero", vec![(":zero", n(0))])
            .await
    }

    /// `set` (and the next version) on the account if it is still active; false if not.
    async fn update_active(
        &self,
        a: &AccountRecord,
        set: &str,
        values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
    ) -> Result<bool, StoreError> {
        let mut call = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::account_key(a)))
            .update_expression(format!("{set} ADD version :one"))
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", status(AccountStatus::Active)?)
            .expression_attribute_values(":one", n(1));
        for (name, value) in values {
            call = call.expression_attribute_values(name, value);
        }
        match call.send().await.map_err(sdk_error) {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn account_key(a: &AccountRecord) -> Item {
        key(&org_pk(&a.partner_id), &format!("account#{}", a.account_id))
    }

    /// Every organisation, page by page: the daily lifecycle job reads them all (a few
    /// thousand at most for the whole country).
    pub async fn all_orgs(&self) -> Result<Vec<OrgRecord>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("sk = :org")
                .expression_attribute_values(":org", s("org"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in page.items.unwrap_or_default() {
                out.push(from_item::<OrgRecord>(item)?);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Deletes an account and frees its address.
    pub async fn delete_account(&self, a: &AccountRecord) -> Result<(), StoreError> {
        let delete = |k| {
            aws_sdk_dynamodb::types::Delete::builder()
                .table_name(&self.table)
                .set_key(Some(k))
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(build)
        };
        self.client
            .transact_write_items()
            .transact_items(delete(key(
                &org_pk(&a.partner_id),
                &format!("account#{}", a.account_id),
            ))?)
            .transact_items(delete(key(&email_pk(&a.email), "email"))?)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// A new one-time link of `a` (activation or password reset), to write in the same
    /// transaction as the account that names it (`link_hash`).
    pub fn link_put(
        &self,
        a: &AccountRecord,
        hash: &str,
        expires: i64,
        purpose: LinkPurpose,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut link = key(&format!("activation#{hash}"), "activation");
        link.insert("partner_id".into(), s(&a.partner_id));
        link.insert("account_id".into(), s(&a.account_id));
        link.insert("expires_at".into(), n(expires));
        link.insert("purpose".into(), s(purpose.as_str()));
        put(&self.table, link, "attribute_not_exists(pk)", None)
    }

    /// The writes that move `a`'s address from `old_email` to its own (`a.email`), to go with
    /// the account's save: `Conflict` when the new address is taken meanwhile.
    pub fn email_move(
        &self,
        a: &AccountRecord,
        old_email: &str,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(&email_pk(old_email), "email")))
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build())
            .map_err(build)?;
        let mut email = key(&email_pk(&a.email), "email");
        email.insert("partner_id".into(), s(&a.partner_id));
        email.insert("account_id".into(), s(&a.account_id));
        Ok(vec![
            delete,
            put(&self.table, email, "attribute_not_exists(pk)", None)?,
        ])
    }

    /// Deletes a link, used or void, if it is still there.
    pub async fn delete_link(&self, hash: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(&format!("activation#{hash}"), "activation")))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Reads a one-time link without using it: (partner id, account id, purpose) if valid.
    pub async fn peek_link(
        &self,
        hash: &str,
    ) -> Result<Option<(String, String, LinkPurpose)>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(&format!("activation#{hash}"), "activation")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item.and_then(|item| valid_link(&item)))
    }

    /// Uses a one-time link once: (partner id, account id, purpose) if it existed and had
    /// not expired.
    pub async fn consume_link(
        &self,
        hash: &str,
    ) -> Result<Option<(String, String, LinkPurpose)>, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(&format!("activation#{hash}"), "activation")))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.attributes.and_then(|item| valid_link(&item)))
    }

    /// The partner behind a token, if it may still act for a beneficiary of `caisse`: account
    /// and organisation active, the account's duties done (password, conditions of use in
    /// force, as on the partner routes), convention with that caisse in force `today`.
    pub async fn may_act(
        &self,
        partner_id: &str,
        account_id: &str,
        caisse: &str,
        today: time::Date,
    ) -> Result<Access, StoreError> {
        let (Some(account), Some(org)) = (
            self.account(partner_id, account_id).await?,
            self.org(partner_id).await?,
        ) else {
            return Ok(Access::Inactive);
        };
        if account.status != AccountStatus::Active || !org.active {
            return Ok(Access::Inactive);
        }
        if let Some(duty) = account.pending_duty(OffsetDateTime::now_utc()) {
            return Ok(Access::Duty(duty));
        }
        if !org.conventioned_with(caisse, today) {
            return Ok(Access::NoConvention);
        }
        Ok(Access::Granted(Box::new(org)))
    }
}
