//! What the beneficiary is told of the agents' actions, through the outbox, once the change
//! is written: a link to the follow-up and their first name, nothing else; and, of an agent's
//! message, the partner account that filed or took up the renewal, when it may read it. These
//! notices are never optional (`Notice::optional`): opposing reminders does not stop them.

use crate::App;
use c2s_domain::notice::Notice;
use c2s_domain::partner::AccountStatus;
use c2s_domain::thread::{Message, Reader};
use c2s_platform::outbox::to_person;
use c2s_platform::renewals::RenewalRecord;

/// Tells the beneficiary of `r` what `notice` (given their first name and the link) says.
async fn tell(app: &App, r: &RenewalRecord, notice: impl FnOnce(String, String) -> Notice) {
    let profile = match app.beneficiaries.profile(&r.nir_hash).await {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "beneficiary not read: notice not sent");
            return;
        }
    };
    let notice = notice(
        profile.first_name.clone(),
        format!("{}/suivi", app.public_url),
    );
    let messages = to_person(profile.email.as_deref(), profile.phone.as_deref(), notice);
    app.outbox.tell(&messages).await;
}

pub(crate) async fn documents_requested(app: &App, r: &RenewalRecord) {
    tell(app, r, |first_name, link| Notice::DocumentsRequested {
        first_name,
        link,
    })
    .await;
}

pub(crate) async fn decision(app: &App, r: &RenewalRecord) {
    tell(app, r, |first_name, link| Notice::Decision {
        first_name,
        link,
    })
    .await;
}

pub(crate) async fn message_to_beneficiary(app: &App, r: &RenewalRecord) {
    tell(app, r, |first_name, link| Notice::Message {
        first_name,
        link,
    })
    .await;
}

/// Tells the partner account that filed or took up `r` (its address, first name, a link to
/// the organisation's follow-up) that the caisse wrote `m`: only while the partner still acts
/// on the file (the person did not withdraw its access), with an active account, and for a
/// message it may read (a confidential one only when the organisation is named guardian).
pub(crate) async fn message_to_partner(app: &App, r: &RenewalRecord, m: &Message) {
    let (Some(filed), Some(_)) = (&r.filed_by, &r.filed_partner) else {
        return;
    };
    let guardian = if m.confidential {
        match app.beneficiaries.profile(&r.nir_hash).await {
            Ok(p) => p.and_then(|p| p.guardian_partner_id).as_deref() == Some(&filed.partner_id),
            Err(e) => {
                tracing::warn!(error = %e, "beneficiary not read: partner notice not sent");
                return;
            }
        }
    } else {
        false
    };
    let reader = Reader::Partner {
        partner_id: filed.partner_id.clone(),
        guardian,
    };
    if !m.visible_to(&reader) {
        return;
    }
    let account = match app
        .partners
        .account(&filed.partner_id, &filed.account_id)
        .await
    {
        Ok(Some(a)) if a.status == AccountStatus::Active => a,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "account not read: partner notice not sent");
            return;
        }
    };
    let notice = Notice::Message {
        first_name: account.first_name,
        link: format!("{}/partenaire/historique", app.public_url),
    };
    app.outbox
        .tell(&to_person(Some(&account.email), None, notice))
        .await;
}
