//! `partner`: partner organisations and their people. CPAM admins (admin_partenaires) create
//! organisations with their conventions and gestionnaires; gestionnaires create techniciens;
//! everyone activates their account through a one-time link and chooses a password.
//!
//! A partner's token is checked against its account and organisation on every request, so a
//! deactivation takes effect at once for tokens already issued. Each caisse administers an
//! organisation through its own convention, and every agent's action is in its caisse's
//! audit chain (`audited`).

mod accounts;
mod attachments;
mod audited;
mod callers;
mod conversations;
mod filing;
mod habilitations;
mod incidents;
mod links;
mod manager_requests;
mod notices;
mod organisations;
mod own_account;
mod reports;
mod requests;

use crate::accounts::{
    agent_deactivate, agent_unlock, create_manager, create_technician, list_accounts,
    modify_manager, partner_deactivate, partner_unlock,
};
use crate::filing::{file_for, requests};
use crate::habilitations::{agent_habilitations, partner_habilitations};
use crate::links::{agent_reissue, partner_reissue, reset, reset_confirm};
use crate::manager_requests::{deactivation_request, habilitation_request, habilitation_requests};
use crate::organisations::{
    add_convention, create_org, deactivate_org, list_orgs, modify_org, read_org, terminate,
};
use crate::own_account::{accept_cgu, activate, change_password};
use crate::reports::{agent_answer, agent_reports};
use crate::requests::{catalogue, new_request};
use c2s_domain::partner::RequestKind;
use c2s_platform::agents::AgentVerifier;
use c2s_platform::audit::AuditStore;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::hashing::Hasher;
use c2s_platform::objects::Presigner;
use c2s_platform::outbox::Outbox;
use c2s_platform::partners::PartnerStore;
use c2s_platform::rate_limit::RateLimiter;
use c2s_platform::registers::RegisterStore;
use c2s_platform::renewals::RenewalStore;
use c2s_platform::sign_in_locks::SignInLocks;
use c2s_platform::threads::ThreadStore;
use c2s_platform::tokens::TokenVerifier;
use c2s_platform::{ConfigError, Env};

pub struct App {
    partners: PartnerStore,
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    audit: AuditStore,
    locks: SignInLocks,
    limiter: RateLimiter,
    hasher: Hasher,
    outbox: Outbox,
    agents: AgentVerifier,
    tokens: TokenVerifier,
    public_url: String,
    /// The requests' conversations (in the partners table).
    threads: ThreadStore,
    /// The renewals' conversations (in the renewals table), for the organisation's list.
    renewal_threads: ThreadStore,
    /// Attachments' uploads (PUT) and downloads (GET of the checked version).
    presigner: Presigner,
    documents_bucket: String,
    /// The caisses' breach registers, and their DPO's address for the alert.
    registers: RegisterStore,
    dpo_email: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            audit: AuditStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            locks: SignInLocks::from_env(env, clients)?,
            limiter: RateLimiter::from_env(env, clients)?,
            hasher: Hasher::from_env(env)?,
            partners: PartnerStore::from_env(env, clients)?,
            outbox: Outbox::from_env(env, clients)?,
            agents: AgentVerifier::from_env(env)?,
            tokens: TokenVerifier::from_env(env)?,
            public_url: env.require("PUBLIC_URL")?,
            threads: ThreadStore::requests(env, clients)?,
            renewal_threads: ThreadStore::renewals(env, clients)?,
            presigner: Presigner::from_env(env, clients),
            documents_bucket: env.require("DOCUMENTS_BUCKET")?,
            registers: RegisterStore::from_env(env, clients)?,
            dpo_email: env.require("DPO_EMAIL")?,
        })
    }
}

c2s_api::routes! {
    pub async fn handle(app: &App, req) as "partner";
    POST ["api", "agent", "partners"] => create_org(app, &req),
    GET ["api", "agent", "partners"] => list_orgs(app, &req),
    GET ["api", "agent", "partners", pid] => read_org(app, &req, pid),
    POST ["api", "agent", "partners", pid, "managers"] => create_manager(app, &req, pid),
    PUT ["api", "agent", "partners", pid, "accounts", aid] => modify_manager(app, &req, pid, aid),
    POST ["api", "agent", "partners", pid, "accounts", aid, "deactivate"] => agent_deactivate(app, &req, pid, aid),
    POST ["api", "agent", "partners", pid, "accounts", aid, "unlock"] => agent_unlock(app, &req, pid, aid),
    POST ["api", "agent", "partners", pid, "deactivate"] => deactivate_org(app, &req, pid),
    POST ["api", "agent", "partners", pid, "conventions"] => add_convention(app, &req, pid),
    POST ["api", "agent", "partners", pid, "conventions", caisse, "terminate"] => terminate(app, &req, pid, caisse),
    GET ["api", "agent", "partners", pid, "habilitations.csv"] => agent_habilitations(app, &req, pid),
    POST ["api", "partner", "renewals"] => file_for(app, &req),
    GET ["api", "partner", "requests"] => requests(app, &req),
    POST ["api", "partner", "reports"] => new_request(app, &req, RequestKind::Signalement),
    POST ["api", "partner", "requests"] => new_request(app, &req, RequestKind::Other),
    GET ["api", "partner", "catalogue"] => catalogue(app, &req),
    GET ["api", "agent", "reports"] => agent_reports(app, &req),
    POST ["api", "agent", "reports", rid, "answer"] => agent_answer(app, &req, rid),
    POST ["api", "partner", "activate"] => activate(app, &req),
    POST ["api", "partner", "cgu"] => accept_cgu(app, &req),
    POST ["api", "partner", "password"] => change_password(app, &req),
    POST ["api", "partner", "technicians"] => create_technician(app, &req),
    GET ["api", "partner", "accounts"] => list_accounts(app, &req),
    GET ["api", "partner", "habilitations.csv"] => partner_habilitations(app, &req),
    POST ["api", "partner", "accounts", aid, "deactivate"] => partner_deactivate(app, &req, aid),
    POST ["api", "partner", "accounts", aid, "unlock"] => partner_unlock(app, &req, aid),
    GET ["api", "partner", "requests", rid, "messages"] => conversations::partner_messages(app, &req, rid),
    POST ["api", "partner", "requests", rid, "messages"] => conversations::partner_post_message(app, &req, rid),
    GET ["api", "agent", "reports", rid, "messages"] => conversations::agent_messages(app, &req, rid),
    POST ["api", "agent", "reports", rid, "messages"] => conversations::agent_post_message(app, &req, rid),
    POST ["api", "agent", "partners", pid, "accounts", aid, "reissue"] => agent_reissue(app, &req, pid, aid),
    POST ["api", "partner", "accounts", aid, "reissue"] => partner_reissue(app, &req, aid),
    POST ["api", "auth", "partner", "reset"] => reset(app, &req),
    POST ["api", "auth", "partner", "reset", "confirm"] => reset_confirm(app, &req),
    POST ["api", "partner", "accounts", aid, "deactivation-request"] => deactivation_request(app, &req, aid),
    POST ["api", "partner", "habilitation-requests"] => habilitation_request(app, &req),
    GET ["api", "partner", "habilitation-requests"] => habilitation_requests(app, &req),
    PUT ["api", "agent", "partners", pid] => modify_org(app, &req, pid),
    POST ["api", "partner", "requests", rid, "attachments"] => attachments::announce(app, &req, rid),
    GET ["api", "partner", "requests", rid, "attachments"] => attachments::partner_list(app, &req, rid),
    GET ["api", "partner", "requests", rid, "attachments", doc, "download"] => attachments::partner_download(app, &req, rid, doc),
    GET ["api", "agent", "reports", rid, "attachments"] => attachments::agent_list(app, &req, rid),
    GET ["api", "agent", "reports", rid, "attachments", doc, "download"] => attachments::agent_download(app, &req, rid, doc),
    POST ["api", "partner", "incidents"] => incidents::declare(app, &req),
}
