//! `review`: the CPAM agents' back-office. Each caisse's queue, the whole file, claim,
//! request for documents, decision, private notes, messages, the audit trail, the
//! superviseur's dashboard (from counters) and redistribution (reassign, release, bulk), and
//! the agents' search.
//!
//! Two functions: this one, the agents' daily work, and `records` (binary `review-records`):
//! the DPO's data-subject rights with their registers, the breaches, the superviseur's
//! export. Only `records` links the S3 client and the ZIP and XLSX writers and holds rights
//! on the documents' objects and the exchange bucket, so the function every agent calls all
//! day stays small and holds no more than it uses.
//!
//! Every action is traced in the audit chain, in the same transaction as the change it
//! records (`audited`). A file of another caisse answers 404, as if it did not exist; a role
//! that may not act answers 403. One module per resource, each handler headed by its route.

mod audited;
mod file;
mod instruction;
mod messages;
mod notes;
mod notices;
mod queue;
pub mod records;
mod redistribution;
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
use c2s_platform::objects::Presigner;
use c2s_platform::outbox::Outbox;
use c2s_platform::partners::PartnerStore;
use c2s_platform::renewals::RenewalStore;
use c2s_platform::threads::ThreadStore;
use c2s_platform::{ConfigError, Env};
use file::{download, file};
use instruction::{claim, decide, request_documents};
use lambda_http::Request;
use notes::note;
use queue::queue;
use redistribution::{bulk, reassign};
use search::search;
use stats::stats;
use supervision::audit;

pub struct App {
    beneficiaries: BeneficiaryStore,
    /// The accounts of partners that filed a renewal, told of an agent's message.
    partners: PartnerStore,
    renewals: RenewalStore,
    audit: AuditStore,
    /// Download addresses (aws-sigv4 signs them, no call to S3).
    downloads: Presigner,
    bucket: String,
    verifier: AgentVerifier,
    hasher: Hasher,
    threads: ThreadStore,
    /// Notices to beneficiaries, the partners' alerts of a message.
    outbox: Outbox,
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
            downloads: Presigner::from_env(env, clients),
            bucket: env.require("DOCUMENTS_BUCKET")?,
            verifier: AgentVerifier::from_env(env)?,
            hasher: Hasher::from_env(env)?,
            threads: ThreadStore::renewals(env, clients)?,
            outbox: Outbox::from_env(env, clients)?,
            public_url: env.require("PUBLIC_URL")?,
        })
    }
}

c2s_api::routes! {
    pub async fn handle(app: &App, req) as "review";
    GET ["api", "agent", "renewals"] => queue(app, &req),
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
    POST ["api", "agent", "renewals", id, "reassign"] => reassign(app, &req, id),
    POST ["api", "agent", "renewals", "bulk"] => bulk(app, &req),
    POST ["api", "agent", "search"] => search(app, &req),
}
/// The agent behind the token, with one of `roles`.
async fn agent(app: &App, req: &Request, roles: &[Role]) -> Result<AgentClaims, ApiError> {
    c2s_api::callers::agent(req, &app.verifier, roles).await
}
