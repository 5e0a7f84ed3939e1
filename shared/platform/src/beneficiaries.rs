//! The beneficiaries table: one `profile` item per person as the national system sent it
//! (owned by the import), and one `open_renewal` item while a renewal is open.
//! Partition key: the keyed hash of the NIR.

use crate::store::{
    backfill_segment, from_item, get_as, key, query_all, sdk_error, to_item, Item, StoreError,
};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use c2s_domain::beneficiary::{Address, InboundMember, Territory};
use c2s_domain::dates;
use c2s_domain::renewal::{identity_key, OnFile};
use serde::{Deserialize, Serialize};
use time::Date;

mod choices;
pub use choices::CHOICES;

pub const PROFILE: &str = "profile";
pub const OPEN_RENEWAL: &str = "open_renewal";
/// The last renewal that closed (decided, withdrawn…), so the person can still read its
/// decision once nothing is open.
pub const LAST_RENEWAL: &str = "last_renewal";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub nir_hash: String,
    /// In clear for the exchange files and data-subject requests only; never a key.
    pub nir: String,
    #[serde(with = "dates::iso")]
    pub birth_date: Date,
    pub last_name: String,
    pub first_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Address,
    pub territory: Territory,
    pub caisse: String,
    #[serde(with = "dates::iso")]
    pub css_end_date: Date,
    pub renewal_code_hash: String,
    pub iban_last4_hash: String,
    pub vitale_serial_hash: String,
    pub household: Vec<InboundMember>,
    pub guardian_partner_id: Option<String>,
}

/// A profile as stored: the store derives what its index and its TTL read.
#[derive(Serialize)]
struct StoredProfile<'a> {
    #[serde(flatten)]
    profile: &'a Profile,
    /// `YYYY-MM-DD` of `css_end_date` (index `by_rights_end_day`): the reminders read one
    /// day's ends, not a month's.
    rights_end_day: String,
    /// Folded last name and birth date (index `by_identity`): the agents find a person by
    /// what a phone call gives.
    identity_key: String,
    /// Identification data is kept 5 years after the rights end (TTL, in seconds): a person
    /// the national file stops sending disappears then; each new import pushes it back.
    expires_at: i64,
}

/// Identification data outlives the rights by this many months (5 years).
const KEPT_AFTER_RIGHTS_MONTHS: i32 = 60;

impl<'a> StoredProfile<'a> {
    fn of(profile: &'a Profile) -> Self {
        StoredProfile {
            profile,
            rights_end_day: dates::format_date(profile.css_end_date),
            identity_key: identity_key(&profile.last_name, profile.birth_date),
            expires_at: dates::add_months(profile.css_end_date, KEPT_AFTER_RIGHTS_MONTHS)
                .midnight()
                .assume_utc()
                .unix_timestamp(),
        }
    }
}

impl Profile {
    /// What a new draft reads of the person.
    pub fn on_file(&self) -> OnFile<'_> {
        OnFile {
            nir_hash: &self.nir_hash,
            caisse: &self.caisse,
            first_name: &self.first_name,
            last_name: &self.last_name,
            birth_date: self.birth_date,
            css_end_date: self.css_end_date,
            territory: self.territory,
            household: &self.household,
        }
    }
}

/// A person as their partition holds them: the profile, the renewal holding their open slot,
/// the renewal that closed last.
#[derive(Debug, Clone)]
pub struct Person {
    pub profile: Profile,
    pub open_renewal: Option<String>,
    pub last_renewal: Option<String>,
    /// A limitation in effect, the oppositions made (`choices`).
    pub choices: c2s_domain::rgpd::SubjectChoices,
}

#[derive(Clone, Debug)]
pub struct BeneficiaryStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

crate::store::table_store!(BeneficiaryStore, "BENEFICIARIES_TABLE");

impl BeneficiaryStore {
    pub fn table(&self) -> &str {
        &self.table
    }

    pub async fn profile(&self, nir_hash: &str) -> Result<Option<Profile>, StoreError> {
        get_as(&self.client, &self.table, key(nir_hash, PROFILE)).await
    }

    /// Profiles whose rights end on this day, through index `by_rights_end_day`.
    pub async fn ending_on(&self, day: Date) -> Result<Vec<Profile>, StoreError> {
        let mut out = Vec::new();
        for item in query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_rights_end_day")
                .key_condition_expression("rights_end_day = :d")
                .expression_attribute_values(":d", crate::store::s(dates::format_date(day))),
        )
        .await?
        {
            out.push(from_item::<Profile>(item)?);
        }
        Ok(out)
    }

    /// The people (keyed hashes of their NIR) of this last name and birth date, through
    /// index `by_identity` (the name folded: `c2s_domain::renewal::fold_name`); at most
    /// `limit`, a common name on a common day being a handful nationally.
    pub async fn with_identity(
        &self,
        last_name: &str,
        birth_date: Date,
        limit: i32,
    ) -> Result<Vec<String>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_identity")
            .key_condition_expression("identity_key = :k")
            .expression_attribute_values(":k", crate::store::s(identity_key(last_name, birth_date)))
            .limit(limit)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    pub async fn open_renewal(&self, nir_hash: &str) -> Result<Option<String>, StoreError> {
        open_renewal_of(&self.client, &self.table, nir_hash).await
    }

    /// The person's profile with their two markers, read consistently in one query of their
    /// partition (`GET /api/me`): one round trip where three GetItems cost three. `None`
    /// when there is no profile (markers alone are no person).
    pub async fn person(&self, nir_hash: &str) -> Result<Option<Person>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :h")
                .expression_attribute_values(":h", crate::store::s(nir_hash))
                .consistent_read(true),
        )
        .await?;
        let (mut profile, mut open_renewal, mut last_renewal) = (None, None, None);
        let mut choices = Default::default();
        for item in items {
            let id = || item.get("renewal_id").and_then(|v| v.as_s().ok()).cloned();
            match item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some(PROFILE) => profile = Some(from_item::<Profile>(item)?),
                Some(OPEN_RENEWAL) => open_renewal = id(),
                Some(LAST_RENEWAL) => last_renewal = id(),
                Some(CHOICES) => choices = from_item(item)?,
                _ => {}
            }
        }
        Ok(profile.map(|profile| Person {
            profile,
            open_renewal,
            last_renewal,
            choices,
        }))
    }

    /// Writes one profile as corrected by a rectification (the next import brings the
    /// national system's, once it has applied the same correction).
    pub async fn put_profile(&self, p: &Profile) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(
                &StoredProfile::of(p),
                &[("pk", &p.nir_hash), ("sk", PROFILE)],
            )?))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Writes up to 25 profiles in one request, retrying what DynamoDB left unprocessed.
    /// A profile is a pure function of its inbound line, so writing it again changes nothing.
    pub async fn put_profiles(&self, profiles: &[Profile]) -> Result<(), StoreError> {
        let mut requests = profiles
            .iter()
            .map(|p| {
                let item = to_item(
                    &StoredProfile::of(p),
                    &[("pk", &p.nir_hash), ("sk", PROFILE)],
                )?;
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut attempt = 0u32;
        while !requests.is_empty() {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(sdk_error)?;
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.table))
                .unwrap_or_default();
            if !requests.is_empty() {
                attempt += 1;
                if attempt > 8 {
                    return Err(StoreError::Unavailable(
                        "unprocessed items after retries".into(),
                    ));
                }
                tokio::time::sleep(std::time::Duration::from_millis(
                    50 * 2u64.pow(attempt.min(6)),
                ))
                .await;
            }
        }
        Ok(())
    }

    /// Upgrading a live table: gives its `identity_key` (derived as the import does) to each
    /// profile of the scan's `segment` (of `segments`) stored before `by_identity` without
    /// one: only that attribute, on the condition that the profile still has the name and
    /// birth date it was derived from (an import since wrote its own). The number indexed; a
    /// second run finds none.
    pub async fn index_identities(&self, segment: i32, segments: i32) -> Result<u64, StoreError> {
        let scan = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("sk = :p AND attribute_not_exists(identity_key)")
            .expression_attribute_values(":p", crate::store::s(PROFILE));
        backfill_segment(scan, segment, segments, |p: Profile| {
            Some(
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(&p.nir_hash, PROFILE)))
                    .update_expression("SET identity_key = :k")
                    .condition_expression(
                        "attribute_not_exists(identity_key) AND last_name = :n AND birth_date = :b",
                    )
                    .expression_attribute_values(
                        ":k",
                        crate::store::s(StoredProfile::of(&p).identity_key),
                    )
                    .expression_attribute_values(":n", crate::store::s(&p.last_name))
                    .expression_attribute_values(
                        ":b",
                        crate::store::s(dates::format_date(p.birth_date)),
                    ),
            )
        })
        .await
    }

    /// Frees the open-renewal slot if it still holds this renewal.
    pub async fn release_open_renewal(
        &self,
        nir_hash: &str,
        renewal_id: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(nir_hash, OPEN_RENEWAL)))
            .condition_expression("renewal_id = :id")
            .expression_attribute_values(":id", crate::store::s(renewal_id))
            .send()
            .await
            .map_err(sdk_error);
        match result {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Kept as long as the renewal itself may be (everything goes 5 years after closing).
    pub fn last_renewal_item(nir_hash: &str, renewal_id: &str, expires_at: i64) -> Item {
        let mut item = key(nir_hash, LAST_RENEWAL);
        item.insert("renewal_id".into(), crate::store::s(renewal_id));
        item.insert("expires_at".into(), crate::store::n(expires_at));
        item
    }

    pub fn open_renewal_item(nir_hash: &str, renewal_id: &str) -> Item {
        let mut item = key(nir_hash, OPEN_RENEWAL);
        item.insert("renewal_id".into(), crate::store::s(renewal_id));
        item
    }
}

/// The renewal holding the person's `open_renewal` slot in `table`, read consistently (the
/// renewals store reads it too, when a reopened renewal finds the slot taken).
pub(crate) async fn open_renewal_of(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    nir_hash: &str,
) -> Result<Option<String>, StoreError> {
    renewal_named(client, table, nir_hash, OPEN_RENEWAL).await
}

/// The `renewal_id` of the person's marker `sk`, read consistently.
async fn renewal_named(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    nir_hash: &str,
    sk: &str,
) -> Result<Option<String>, StoreError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key(nir_hash, sk)))
        .consistent_read(true)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out
        .item
        .and_then(|i| i.get("renewal_id").and_then(|v| v.as_s().ok()).cloned()))
}
