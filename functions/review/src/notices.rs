//! What the beneficiary is told of the agents' actions, through the outbox, once the change
//! is written: a link to the follow-up and their first name, nothing else. These notices are
//! never optional (`Notice::optional`): opposing reminders does not stop them.

use crate::App;
use c2s_domain::notice::Notice;
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
