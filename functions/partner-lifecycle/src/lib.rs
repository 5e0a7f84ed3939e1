//! `partner-lifecycle` (daily): partner accounts follow their organisation's conventions.
//! When every convention has ended, all accounts are deactivated; when one caisse's convention
//! ended, that caisse's access is recorded as removed (the access checks already refuse it);
//! accounts deactivated 6 months ago are deleted; passwords older than 80 days get one
//! renewal reminder; a gestionnaire another asked to deactivate is deactivated on the date
//! asked, unless it is the organisation's last active gestionnaire (then it stays, and the
//! request with it, until another is active); requests and ended organisations stored
//! before the retention index get their due day (`PartnerStore::index_for_retention`).
//! Safe to run twice: the second run finds nothing left to do.

use c2s_domain::notice::{Channel, Notice};
use c2s_domain::partner::{account, active_caisses, AccountStatus};
use c2s_platform::aws::Clients;
use c2s_platform::clock::today;
use c2s_platform::outbox::{Outbox, OutboxMessage};
use c2s_platform::partners::PartnerStore;
use c2s_platform::{ConfigError, Env};
use serde::Serialize;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

const DELETE_AFTER: Duration = Duration::days(183);
const REMIND_AFTER: Duration = Duration::days(80);

pub struct App {
    partners: PartnerStore,
    outbox: Outbox,
    /// For the link in password reminders.
    public_url: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            partners: PartnerStore::from_env(env, clients)?,
            outbox: Outbox::from_env(env, clients)?,
            public_url: env.require("PUBLIC_URL")?,
        })
    }
}

/// What a run did; counts only, no personal data.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub organisations: u64,
    pub organisations_deactivated: u64,
    pub accounts_deactivated: u64,
    pub caisses_removed: u64,
    pub accounts_deleted: u64,
    pub password_reminders: u64,
    /// Deactivations asked by a gestionnaire and carried out on their date.
    pub requested_deactivations: u64,
    /// Those kept back: the account is the last active gestionnaire.
    pub kept_last_manager: u64,
    /// Requests and ended organisations stored before the retention index, given their due day.
    pub indexed_for_retention: u64,
    /// Organisations stored before the caisses' lists, listed for the caisses that know them.
    pub listed_for_caisses: u64,
}

pub async fn run(app: &App) -> Result<Value, String> {
    let report = lifecycle(app).await?;
    tracing::info!(?report, "partner lifecycle");
    serde_json::to_value(report).map_err(|e| e.to_string())
}

pub async fn lifecycle(app: &App) -> Result<Report, String> {
    let now = OffsetDateTime::now_utc();
    let day = today();
    let mut report = Report::default();
    for mut org in app.partners.all_orgs().await.map_err(|e| e.to_string())? {
        report.organisations += 1;
        report.listed_for_caisses += app
            .partners
            .list_for_its_caisses(&org)
            .await
            .map_err(|e| e.to_string())?;
        let active = active_caisses(&org.conventions, day);
        let ended: Vec<String> = org
            .caisses
            .iter()
            .filter(|c| !active.contains(c) && !org.caisses_removed.contains(c))
            .cloned()
            .collect();
        let everything_ended = active.is_empty();
        if !ended.is_empty() || (everything_ended && org.active) {
            report.caisses_removed += ended.len() as u64;
            org.caisses_removed.extend(ended);
            if everything_ended && org.active {
                org.active = false;
                report.organisations_deactivated += 1;
            }
            app.partners
                .save_org(&mut org)
                .await
                .map_err(|e| e.to_string())?;
        }
        let mut accounts = app
            .partners
            .accounts(&org.partner_id)
            .await
            .map_err(|e| e.to_string())?;
        for i in 0..accounts.len() {
            let mut a = accounts[i].clone();
            if !everything_ended && account::deactivation_due(&a, day) {
                if account::is_last_active_manager(&accounts, &a.account_id) {
                    report.kept_last_manager += 1;
                } else {
                    account::deactivate(&mut a, now);
                    app.partners
                        .save_account(&mut a)
                        .await
                        .map_err(|e| e.to_string())?;
                    report.requested_deactivations += 1;
                    accounts[i] = a;
                    continue;
                }
            }
            if everything_ended && a.status != AccountStatus::Deactivated {
                account::deactivate(&mut a, now);
                app.partners
                    .save_account(&mut a)
                    .await
                    .map_err(|e| e.to_string())?;
                report.accounts_deactivated += 1;
                continue;
            }
            if a.status == AccountStatus::Deactivated
                && a.deactivated_at.is_some_and(|t| now - t >= DELETE_AFTER)
            {
                app.partners
                    .delete_account(&a)
                    .await
                    .map_err(|e| e.to_string())?;
                report.accounts_deleted += 1;
                continue;
            }
            let due = a.status == AccountStatus::Active
                && a.password_set_at.is_some_and(|t| now - t >= REMIND_AFTER)
                && a.reminded_for != a.password_set_at;
            if due {
                let message = OutboxMessage::new(
                    Channel::Email,
                    a.email.clone(),
                    Notice::PasswordReminder {
                        first_name: a.first_name.clone(),
                        link: format!("{}/partenaire/mot-de-passe", app.public_url),
                    },
                );
                app.outbox.send(&message).await.map_err(|e| e.to_string())?;
                a.reminded_for = a.password_set_at;
                app.partners
                    .save_account(&mut a)
                    .await
                    .map_err(|e| e.to_string())?;
                report.password_reminders += 1;
            }
        }
    }
    report.indexed_for_retention = app
        .partners
        .index_for_retention()
        .await
        .map_err(|e| e.to_string())?;
    Ok(report)
}
