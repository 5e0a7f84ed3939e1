//! A partner organisation's requests to the caisses, in its partition (`request#<id>`),
//! listed by organisation or, through `by_caisse`, by the caisse they go to.

use super::retention::{purge_key, DUE, PURGE_INDEX, PURGE_KEY};
use super::{org_pk, PartnerStore};
use crate::page::{page, CursorKeys, Page, PageError};
use crate::store::{get_as, key, s, sdk_error, to_item, Item, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use c2s_domain::{dates, retention};
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
    /// `None` for a `contact`, which is about the partnership, not a person.
    #[serde(default, with = "dates::iso_opt")]
    pub birth_date: Option<time::Date>,
    pub department: String,
    pub motive: String,
    pub comment: String,
    /// A signalement the partner marked urgent: first in the caisse's list.
    #[serde(default)]
    pub urgent: bool,
    pub status: String,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    /// The day of its last answer: retention counts from it (`retention::request_purge_on`).
    #[serde(
        default,
        with = "dates::iso_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub answered_on: Option<time::Date>,
    pub created_by: String,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

/// The sort key of `by_caisse_priority`: urgent ones first, then the oldest.
fn priority(r: &RequestRecord) -> String {
    format!(
        "{}#{:024}",
        if r.urgent { 0 } else { 1 },
        r.created_at.unix_timestamp_nanos()
    )
}

/// What a caisse's list of requests keeps (`requests_to`); `None` keeps every one.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestFilter<'a> {
    pub status: Option<&'a str>,
    pub motive: Option<&'a str>,
    pub partner_id: Option<&'a str>,
    pub urgent: Option<bool>,
}

impl PartnerStore {
    /// The request as stored, with its retention due day derived (index `by_purge`).
    pub(super) fn request_item(r: &RequestRecord) -> Result<Item, StoreError> {
        let due = retention::request_purge_on(r.created_at.date(), r.answered_on);
        to_item(
            r,
            &[
                ("pk", &org_pk(&r.partner_id)),
                ("sk", &format!("request#{}", r.request_id)),
                ("req_priority", &priority(r)),
                (PURGE_INDEX, DUE),
                (PURGE_KEY, &purge_key(due, "request", &r.request_id)),
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

    /// A page of the requests sent to a caisse, urgent ones first then the oldest (index
    /// `by_caisse_priority`), those `filter` keeps only: the order stays the index's, page
    /// after page.
    pub async fn requests_to(
        &self,
        caisse: &str,
        filter: &RequestFilter<'_>,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<Page<RequestRecord>, PageError> {
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_caisse_priority")
            .key_condition_expression("req_caisse = :c")
            .expression_attribute_values(":c", s(caisse));
        let mut conditions = Vec::new();
        for (name, attribute, value) in [
            ("st", "status", filter.status),
            ("mo", "motive", filter.motive),
            ("pa", "partner_id", filter.partner_id),
        ] {
            if let Some(v) = value {
                conditions.push(format!("#{name} = :{name}"));
                q = q
                    .expression_attribute_names(format!("#{name}"), attribute)
                    .expression_attribute_values(format!(":{name}"), s(v));
            }
        }
        if let Some(urgent) = filter.urgent {
            // A request filed before urgency existed holds no `urgent`: not urgent.
            conditions.push(if urgent {
                "urgent = :ur".to_owned()
            } else {
                "(attribute_not_exists(urgent) OR urgent = :ur)".to_owned()
            });
            q = q.expression_attribute_values(
                ":ur",
                aws_sdk_dynamodb::types::AttributeValue::Bool(urgent),
            );
        }
        if !conditions.is_empty() {
            q = q.filter_expression(conditions.join(" AND "));
        }
        let keys = CursorKeys {
            names: &["pk", "req_caisse", "req_priority", "sk"],
            partition: ("req_caisse", caisse),
        };
        page(q, &keys, cursor, limit).await
    }
}
