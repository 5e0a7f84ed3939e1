//! What people are told of partners' and agents' actions here, through the outbox, once the
//! change is written: a link and a first name, nothing else. None of these is optional
//! (`Notice::optional`).

use crate::App;
use c2s_domain::notice::Notice;
use c2s_platform::beneficiaries::Profile;
use c2s_platform::outbox::to_person;
use c2s_platform::partners::RequestRecord;

/// Tells the beneficiary that `organisation` filed or took up their renewal (as
/// démarches-simplifiées tells a person of a filing on their behalf).
pub(crate) async fn partner_filed(app: &App, profile: &Profile, organisation: &str) {
    let notice = Notice::PartnerFiled {
        first_name: profile.first_name.clone(),
        organisation: organisation.to_owned(),
        link: format!("{}/suivi", app.public_url),
    };
    let messages = to_person(profile.email.as_deref(), profile.phone.as_deref(), notice);
    app.outbox.tell(&messages).await;
}

/// Tells the technicien who sent the request (its account's address, first name, a link to
/// the organisation's requests): the caisse answered or wrote.
pub(crate) async fn tell_technicien(
    app: &App,
    r: &RequestRecord,
    notice: impl FnOnce(String, String) -> Notice,
) {
    let account = match app.partners.account(&r.partner_id, &r.created_by).await {
        Ok(Some(a)) => a,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "account not read: notice not sent");
            return;
        }
    };
    let link = format!("{}/partenaire/historique", app.public_url);
    let messages = to_person(Some(&account.email), None, notice(account.first_name, link));
    app.outbox.tell(&messages).await;
}
