//! `records` (binary `review-records`): what the back-office keeps and hands out beyond the
//! daily instruction. The DPO's data-subject rights with their register (`rgpd`), the data
//! breaches (`incidents`), the superviseur's export of the queue (`export`, CSV or XLSX).
//!
//! A function of its own: it alone reads and writes the documents' objects (an access's
//! archive, an erasure), writes to the national system (rectifications) and links the S3
//! client and the ZIP and XLSX writers. Same rules as the agents' function: every action is
//! traced in the audit chain with its change, a person of another caisse is a 404.

mod export;
mod incidents;
mod rgpd;

use c2s_api::ApiError;
use c2s_platform::agents::{AgentClaims, AgentVerifier, Role};
use c2s_platform::audit::AuditStore;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::hashing::Hasher;
use c2s_platform::objects::{Objects, Presigner};
use c2s_platform::outbox::Outbox;
use c2s_platform::registers::RegisterStore;
use c2s_platform::renewals::RenewalStore;
use c2s_platform::{ConfigError, Env};
use export::export;
use incidents::{declare, incidents};
use lambda_http::Request;
use rgpd::access::access;
use rgpd::erasure::erase;
use rgpd::opposition::oppose;
use rgpd::rectification::rectify;
use rgpd::requests::requests;
use rgpd::restriction::{lift, restrict, restricted};

pub struct App {
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    audit: AuditStore,
    registers: RegisterStore,
    /// The access archives' download addresses (aws-sigv4 signs them).
    downloads: Presigner,
    /// Reads the documents an access archive holds, writes it, deletes what an erasure
    /// removes, writes the rectifications.
    objects: Objects,
    bucket: String,
    /// Where rectifications go to the national system (`outbound/rectifications/`).
    exchange_bucket: String,
    verifier: AgentVerifier,
    hasher: Hasher,
    /// The DPO's alerts (a breach declared), to `dpo_email`.
    outbox: Outbox,
    dpo_email: String,
    /// The service's address, for the link in an alert.
    public_url: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            renewals: RenewalStore::from_env(env, clients)?,
            audit: AuditStore::from_env(env, clients)?,
            registers: RegisterStore::from_env(env, clients)?,
            downloads: Presigner::from_env(env, clients),
            objects: Objects::from_env(env, clients),
            bucket: env.require("DOCUMENTS_BUCKET")?,
            exchange_bucket: env.require("EXCHANGE_BUCKET")?,
            verifier: AgentVerifier::from_env(env)?,
            hasher: Hasher::from_env(env)?,
            outbox: Outbox::from_env(env, clients)?,
            dpo_email: env.require("DPO_EMAIL")?,
            public_url: env.require("PUBLIC_URL")?,
        })
    }
}

c2s_api::routes! {
    pub async fn handle(app: &App, req) as "review-records";
    GET ["api", "agent", "renewals", "export"] => export(app, &req),
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
}

/// The agent behind the token, with one of `roles`.
async fn agent(app: &App, req: &Request, roles: &[Role]) -> Result<AgentClaims, ApiError> {
    c2s_api::callers::agent(req, &app.verifier, roles).await
}
