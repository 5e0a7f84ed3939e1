//! The person's `choices` item beside their profile: a limitation in effect, the
//! oppositions made (`c2s_domain::rgpd::SubjectChoices`). Apart from the profile because
//! each import rewrites the profile whole from the national file, which knows nothing of
//! them; kept as long as the profile (same TTL).

use super::{BeneficiaryStore, Profile, StoredProfile};
use crate::store::{get_as, key, sdk_error, to_item, StoreError};
use c2s_domain::rgpd::SubjectChoices;
use serde::Serialize;

pub const CHOICES: &str = "choices";

#[derive(Serialize)]
struct StoredChoices<'a> {
    #[serde(flatten)]
    choices: &'a SubjectChoices,
    expires_at: i64,
}

impl BeneficiaryStore {
    /// The person's choices; none made is the default (everything allowed).
    pub async fn choices(&self, nir_hash: &str) -> Result<SubjectChoices, StoreError> {
        Ok(get_as(&self.client, &self.table, key(nir_hash, CHOICES))
            .await?
            .unwrap_or_default())
    }

    /// Writes the person's choices, kept as long as their profile.
    pub async fn set_choices(
        &self,
        profile: &Profile,
        choices: &SubjectChoices,
    ) -> Result<(), StoreError> {
        let stored = StoredChoices {
            choices,
            expires_at: StoredProfile::of(profile).expires_at,
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(
                &stored,
                &[("pk", &profile.nir_hash), ("sk", CHOICES)],
            )?))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}
