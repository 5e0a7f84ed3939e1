//! A partner organisation's requests to the caisses, in its partition (`request#<id>`),
//! listed by organisation or, through `by_caisse`, by the caisse they go to.

use super::{org_pk, PartnerStore};
use crate::page::{page, CursorKeys, Page, PageError};
use crate::store::{get_as, key, s, sdk_error, to_item, Item, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use c2s_domain::dates;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A partner's request to the caisse: a difficulty report (signalement), an appointment, a
/// document to send to the person's address on file. Identifies the person by civility,
/// names, birth date and department, never by NIR.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    /// `<partner id>.<random>`: the agents' routes find the organisation from it.
    pub request_id: String,
    pub partner_id: String,
    pub partner_name: String,
    pub kind: String,
    /// The caisse it goes to (index `by_caisse`).
    pub req_caisse: String,
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    #[serde(with = "dates::iso")]
    pub birth_date: time::Date,
    pub department: String,
    pub motive: String,
    pub comment: String,
    pub status: String,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub created_by: String,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl PartnerStore {
    fn request_item(r: &RequestRecord) -> Result<Item, StoreError> {
        to_item(
            r,
            &[
                ("pk", &org_pk(&r.partner_id)),
                ("sk", &format!("request#{}", r.request_id)),
            ],
        )
    }

    /// Records a new request. `Conflict` if its id is already taken.
    pub async fn create_request(&self, r: &RequestRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::request_item(r)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Writes `r` as its next version (see `put_next`).
    pub async fn save_request(&self, r: &mut RequestRecord) -> Result<(), StoreError> {
        self.save_request_with(r, Vec::new()).await
    }

    /// `save_request`, with other writes (its audit entry) in the same transaction.
    pub async fn save_request_with(
        &self,
        r: &mut RequestRecord,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let item = Self::request_item(r)?;
        self.put_next(item, &mut r.version, extra).await
    }

    pub async fn request(&self, request_id: &str) -> Result<Option<RequestRecord>, StoreError> {
        let Some((partner_id, _)) = request_id.split_once('.') else {
            return Ok(None);
        };
        if request_id.len() > 100 {
            return Ok(None);
        }
        get_as(
            &self.client,
            &self.table,
            key(&org_pk(partner_id), &format!("request#{request_id}")),
        )
        .await
    }

    /// A page of the organisation's requests, in the order of their ids (its partition). The
    /// web sorts what it shows by date.
    pub async fn requests_of(
        &self,
        partner_id: &str,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<Page<RequestRecord>, PageError> {
        let pk = org_pk(partner_id);
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :r)")
            .expression_attribute_values(":pk", s(&pk))
            .expression_attribute_values(":r", s("request#"));
        let keys = CursorKeys {
            names: &["pk", "sk"],
            partition: ("pk", &pk),
        };
        page(q, &keys, cursor, limit).await
    }

    /// A page of the requests sent to a caisse, newest first (index `by_caisse`), of one
    /// status if asked.
    pub async fn requests_to(
        &self,
        caisse: &str,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<Page<RequestRecord>, PageError> {
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_caisse")
            .key_condition_expression("req_caisse = :c")
            .expression_attribute_values(":c", s(caisse))
            .scan_index_forward(false);
        let q = match status {
            Some(st) => q
                .filter_expression("#st = :st")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":st", s(st)),
            None => q,
        };
        let keys = CursorKeys {
            names: &["created_at", "pk", "req_caisse", "sk"],
            partition: ("req_caisse", caisse),
        };
        page(q, &keys, cursor, limit).await
    }
}
