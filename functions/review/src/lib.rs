//! `review`: the CPAM agents' back-office. Each caisse's queue, the whole file, claim,
//! request for documents, decision, private notes, the audit trail, the superviseur's
//! dashboard (from counters), the DPO's data-subject rights with their register (`rgpd`),
//! the superviseur's redistribution (reassign, release, bulk) and export, and the agents' search.
//!
//! Every action is traced in the audit chain, in the same transaction as the change it
//! records (`audited`). A file of another caisse answers 404, as if it did not exist; a role
//! that may not act answers 403. One module per resource, each handler headed by its route.

mod audited;
mod export;
mod file;
mod incidents;
mod instruction;
mod messages;
mod notes;
mod notices;
mod queue;
mod redistribution;
mod rgpd;
mod search;
mod stats;
mod supervision;
mod views;

use c2s_api::ApiError;
use c2s_platform::agents::{AgentClaims, AgentVerifier, Role};
use c2s_platform::audit::AuditStore;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::hashing::Hasher;
use c2s_platform::objects::{Objects, Presigner};
use c2s_platform::outbox::Outbox;
use c2s_platform::partners::PartnerStore;
use c2s_platform::registers::RegisterStore;
use c2s_platform::renewals::RenewalStore;
use c2s_platform::threads::ThreadStore;
use c2s_platform::{ConfigError, Env};
use export::export;
use file::{download, file};
use incidents::{declare, incidents};
use instruction::{claim, decide, request_documents};
use lambda_http::Request;
use notes::note;
use queue::queue;
use redistribution::{bulk, reassign};
use rgpd::access::access;
use rgpd::erasure::erase;
use rgpd::opposition::oppose;
use rgpd::rectification::rectify;
use rgpd::requests::requests;
use rgpd::restriction::{lift, restrict, restricted};
use search::search;
use stats::stats;
use supervision::audit;

pub struct App {
    beneficiaries: BeneficiaryStore,
    /// The accounts of partners that filed a renewal, told of an agent's message.
    partners: PartnerStore,
    renewals: RenewalStore,
    audit: AuditStore,
    registers: RegisterStore,
    /// Download addresses (aws-sigv4 signs them, no call to S3).
    downloads: Presigner,
    /// Deletes the objects of what an erasure removes.
    objects: Objects,
    bucket: String,
    /// Where rectifications go to the national system (`outbound/rectifications/`).
    exchange_bucket: String,
    verifier: AgentVerifier,
    hasher: Hasher,
    threads: ThreadStore,
    /// Notices to beneficiaries and the DPO's alerts (a breach declared), to `dpo_email`.
    outbox: Outbox,
    dpo_email: String,
    /// The service's address, for the links in notices.
    public_url: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            partners: PartnerStore::from_env(env, clients)?,
            audit: AuditStore::from_env(env, clients)?,
            registers: RegisterStore::from_env(env, clients)?,
            downloads: Presigner::from_env(env, clients),
            objects: Objects::from_env(env, clients),
            bucket: env.require("DOCUMENTS_BUCKET")?,
            exchange_bucket: env.require("EXCHANGE_BUCKET")?,
            verifier: AgentVerifier::from_env(env)?,
            hasher: Hasher::from_env(env)?,
            threads: ThreadStore::renewals(env, clients)?,
            outbox: Outbox::from_env(env, clients)?,
            dpo_email: env.require("DPO_EMAIL")?,
            public_url: env.require("PUBLIC_URL")?,
        })
    }
}

c2s_api::routes! {
    pub async fn handle(app: &App, req) as "review";
    GET ["api", "agent", "renewals"] => queue(app, &req),
    // Before `{id}`: the export is no file.
    GET ["api", "agent", "renewals", "export"] => export(app, &req),
    GET ["api", "agent", "renewals", id] => file(app, &req, id),
    POST ["api", "agent", "renewals", id, "claim"] => claim(app, &req, id),
    POST ["api", "agent", "renewals", id, "request-documents"] => request_documents(app, &req, id),
    POST ["api", "agent", "renewals", id, "decision"] => decide(app, &req, id),
    POST ["api", "agent", "renewals", id, "notes"] => note(app, &req, id),
    GET ["api", "agent", "renewals", id, "messages"] => messages::messages(app, &req, id),
    POST ["api", "agent", "renewals", id, "messages"] => messages::post_message(app, &req, id),
    GET ["api", "agent", "renewals", id, "documents", doc, "download"] => download(app, &req, id, doc),
    GET ["api", "agent", "audit"] => audit(app, &req),
    GET ["api", "agent", "stats"] => stats(app, &req),
    POST ["api", "agent", "rgpd", "access"] => access(app, &req),
    GET ["api", "agent", "rgpd", "requests"] => requests(app, &req),
    POST ["api", "agent", "rgpd", "restrict"] => restrict(app, &req),
    POST ["api", "agent", "rgpd", "restrict", "lift"] => lift(app, &req),
    GET ["api", "agent", "rgpd", "restricted"] => restricted(app, &req),
    POST ["api", "agent", "rgpd", "oppose"] => oppose(app, &req),
    POST ["api", "agent", "rgpd", "erase"] => erase(app, &req),
    POST ["api", "agent", "rgpd", "rectify"] => rectify(app, &req),
    POST ["api", "agent", "incidents"] => declare(app, &req),
    GET ["api", "agent", "incidents"] => incidents(app, &req),
    POST ["api", "agent", "renewals", id, "reassign"] => reassign(app, &req, id),
    POST ["api", "agent", "renewals", "bulk"] => bulk(app, &req),
    POST ["api", "agent", "search"] => search(app, &req),
}
/// The agent behind the token, with one of `roles`.
async fn agent(app: &App, req: &Request, roles: &[Role]) -> Result<AgentClaims, ApiError> {
    c2s_api::callers::agent(req, &app.verifier, roles).await
}
