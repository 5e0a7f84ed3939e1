//! `review`: the CPAM agents' back-office. Each caisse's queue, the whole file, claim,
//! request for documents, decision, private notes, the audit trail, the superviseur's
//! dashboard (from counters) and data-subject access.
//!
//! Every action is traced in the audit chain, in the same transaction as the change it
//! records (`audited`). A file of another caisse answers 404, as if it did not exist; a role
//! that may not act answers 403. One module per resource, each handler headed by its route.

mod audited;
mod file;
mod instruction;
mod notes;
mod queue;
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
use c2s_platform::renewals::RenewalStore;
use c2s_platform::{ConfigError, Env};
use file::{download, file};
use instruction::{claim, decide, request_documents};
use lambda_http::Request;
use notes::note;
use queue::queue;
use stats::stats;
use supervision::{access, audit};

pub struct App {
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    audit: AuditStore,
    /// Download addresses only: no S3 client (aws-sigv4 signs them).
    downloads: Presigner,
    bucket: String,
    verifier: AgentVerifier,
    hasher: Hasher,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            audit: AuditStore::from_env(env, clients)?,
            downloads: Presigner::from_env(env, clients),
            bucket: env.require("DOCUMENTS_BUCKET")?,
            verifier: AgentVerifier::from_env(env)?,
            hasher: Hasher::from_env(env)?,
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
    GET ["api", "agent", "renewals", id, "documents", doc, "download"] => download(app, &req, id, doc),
    GET ["api", "agent", "audit"] => audit(app, &req),
    GET ["api", "agent", "stats"] => stats(app, &req),
    POST ["api", "agent", "rgpd", "access"] => access(app, &req),
}
/// The agent behind the token, with one of `roles`.
async fn agent(app: &App, req: &Request, roles: &[Role]) -> Result<AgentClaims, ApiError> {
    c2s_api::callers::agent(req, &app.verifier, roles).await
}
