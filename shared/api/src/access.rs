//! Who may reach a renewal through the beneficiary routes: the beneficiary themself, or the
//! partner that files for them with their consent, while its account, organisation and
//! convention with the beneficiary's caisse hold and its duties are done (password,
//! conditions of use). Anyone else gets 404.

use crate::error::{ApiError, Code};
use c2s_domain::partner::{Duty, CGU_VERSION};
use c2s_domain::renewal::ActorKind;
use c2s_platform::partners::{Access, PartnerStore};
use c2s_platform::renewals::{DocumentRecord, RenewalRecord, RenewalStore};
use c2s_platform::tokens::BeneficiaryClaims;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    Beneficiary { level: u8 },
    Partner { partner_id: String },
}

impl Viewer {
    pub fn actor(&self) -> ActorKind {
        match self {
            Viewer::Beneficiary { .. } => ActorKind::Beneficiary,
            Viewer::Partner { .. } => ActorKind::Partner,
        }
    }
}

pub fn convention_ended() -> ApiError {
    Code::ConventionEnded.into()
}

pub fn account_inactive() -> ApiError {
    Code::AccountInactive.into()
}

pub async fn renewal_for(
    renewals: &RenewalStore,
    partners: &PartnerStore,
    claims: &BeneficiaryClaims,
    id: &str,
    today: time::Date,
) -> Result<(RenewalRecord, Vec<DocumentRecord>, Viewer), ApiError> {
    let Some(partner_id) = &claims.partner_id else {
        let (r, docs) = renewals
            .load_owned(id, &claims.sub)
            .await?
            .ok_or_else(ApiError::not_found)?;
        return Ok((
            r,
            docs,
            Viewer::Beneficiary {
                level: claims.level,
            },
        ));
    };
    let (r, docs) = renewals
        .load(id)
        .await?
        .filter(|(r, _)| {
            r.filed_by
                .as_ref()
                .is_some_and(|f| &f.partner_id == partner_id)
        })
        .ok_or_else(ApiError::not_found)?;
    match partners
        .may_act(partner_id, &claims.sub, &r.caisse, today)
        .await?
    {
        Access::Granted(_) => Ok((
            r,
            docs,
            Viewer::Partner {
                partner_id: partner_id.clone(),
            },
        )),
        Access::Inactive => Err(account_inactive()),
        Access::Duty(duty) => Err(duty_pending(duty)),
        Access::NoConvention => Err(convention_ended()),
    }
}

/// The refusal of a partner that must renew its password or accept the conditions of use in
/// force before anything else, on the partner routes and the beneficiary routes alike.
pub fn duty_pending(duty: Duty) -> ApiError {
    match duty {
        Duty::RenewPassword => Code::PasswordExpired.into(),
        Duty::AcceptConditions => {
            ApiError::from(Code::CguNotAccepted).with("cgu_version", CGU_VERSION)
        }
    }
}
