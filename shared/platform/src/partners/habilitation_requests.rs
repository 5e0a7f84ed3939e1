//! A gestionnaire's requests to the CPAM for a new gestionnaire, in the organisation's
//! partition (`habreq#<id>`), each with the date the CPAM must answer by.

use super::{org_pk, PartnerStore};
use crate::store::{query_as, s, sdk_error, to_item, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use c2s_domain::dates;
use c2s_domain::retention::HABILITATION_REQUEST_DAYS;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HabilitationRequest {
    pub request_id: String,
    pub partner_id: String,
    /// `madame` or `monsieur`.
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    pub function: String,
    pub phone: Option<String>,
    pub email: String,
    /// The gestionnaire's account that asked.
    pub asked_by: String,
    #[serde(with = "dates::iso")]
    pub asked_on: Date,
    /// 10 working days after `asked_on`.
    #[serde(with = "dates::iso")]
    pub due_on: Date,
    #[serde(with = "dates::instant")]
    pub created_at: OffsetDateTime,
}

impl PartnerStore {
    /// Records a new request. `Conflict` if its id is already taken.
    pub async fn create_habilitation_request(
        &self,
        r: &HabilitationRequest,
    ) -> Result<(), StoreError> {
        let mut item = to_item(
            r,
            &[
                ("pk", &org_pk(&r.partner_id)),
                ("sk", &format!("habreq#{}", r.request_id)),
            ],
        )?;
        // It names the person proposed: DynamoDB's TTL takes it once it has long served.
        let expires = (r.due_on + time::Duration::days(HABILITATION_REQUEST_DAYS))
            .midnight()
            .assume_utc()
            .unix_timestamp();
        item.insert(
            "expires_at".to_owned(),
            AttributeValue::N(expires.to_string()),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// The organisation's requests, oldest first (a handful: at most 5 gestionnaires).
    pub async fn habilitation_requests(
        &self,
        partner_id: &str,
    ) -> Result<Vec<HabilitationRequest>, StoreError> {
        let mut items: Vec<HabilitationRequest> = query_as(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :h)")
                .expression_attribute_values(":pk", s(org_pk(partner_id)))
                .expression_attribute_values(":h", s("habreq#")),
        )
        .await?;
        items.sort_by_key(|r| r.created_at);
        Ok(items)
    }
}
