//! Who is calling: a CPAM agent (admin partenaires or the caisse's agents) or a partner
//! with an active account, and what each may reach.

use crate::App;
use c2s_api::{ApiError, Code};
use c2s_domain::partner::{AccountRole, AccountStatus};
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::clock::today;
use c2s_platform::partners::{AccountRecord, OrgRecord};
use lambda_http::Request;
use time::OffsetDateTime;

/// A CPAM agent who administers partners (admin partenaires).
pub(crate) async fn admin(app: &App, req: &Request) -> Result<AgentClaims, ApiError> {
    c2s_api::callers::agent(req, &app.agents, &[Role::AdminPartenaires]).await
}

/// The organisation as stored now, if the admin's caisse has a convention in force with it:
/// only such a caisse administers it (each its own convention). A caisse whose convention
/// ended gets a 403, any other a 404.
pub(crate) async fn administered(
    app: &App,
    claims: &AgentClaims,
    pid: &str,
) -> Result<OrgRecord, ApiError> {
    let org = known(app, claims, pid).await?;
    if org.conventioned_with(&claims.caisse, today()) {
        Ok(org)
    } else {
        Err(Code::Forbidden.with_message(
            "Votre caisse n'a plus de convention en vigueur avec cet organisme : elle ne peut plus l'administrer.",
        ))
    }
}

/// The organisation as stored now, if the admin's caisse signed a convention with it, in
/// force or ended: enough to read it; any other caisse gets a 404.
pub(crate) async fn known(
    app: &App,
    claims: &AgentClaims,
    pid: &str,
) -> Result<OrgRecord, ApiError> {
    match app.partners.org(pid).await? {
        Some(o) if o.known_to(&claims.caisse) => Ok(o),
        _ => Err(ApiError::not_found()),
    }
}

/// A partner allowed in: its account and organisation, both active.
pub(crate) struct Caller {
    pub account: AccountRecord,
    pub org: OrgRecord,
}

/// Whether a route is held back by the partner's duties (the conditions of use in force
/// accepted, password not expired): every route but those that fulfil them. The beneficiary
/// routes hold a partner back the same way (`c2s_api::access`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Enforce,
    Skip,
}

/// The partner behind the token, with an active account in an active organisation, held
/// back by its duties where `gate` says so.
pub(crate) async fn partner(app: &App, req: &Request, gate: Gate) -> Result<Caller, ApiError> {
    let claims = c2s_api::callers::partner(req, &app.tokens)?;
    let pid = claims.partner_id.clone().unwrap_or_default();
    let account = app
        .partners
        .account(&pid, &claims.sub)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let org = app
        .partners
        .org(&pid)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if account.status != AccountStatus::Active || !org.active {
        return Err(ApiError::from(Code::AccountInactive));
    }
    if gate == Gate::Enforce {
        if let Some(duty) = account.pending_duty(OffsetDateTime::now_utc()) {
            return Err(c2s_api::access::duty_pending(duty));
        }
    }
    Ok(Caller { account, org })
}

/// A gestionnaire of an active organisation, bound by the partner's duties.
pub(crate) async fn gestionnaire(app: &App, req: &Request) -> Result<Caller, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    if c.account.role == AccountRole::Gestionnaire {
        Ok(c)
    } else {
        Err(ApiError::forbidden())
    }
}

/// One of the caisse's agents who answer partners (instructeur or superviseur).
pub(crate) async fn caisse_agent(app: &App, req: &Request) -> Result<AgentClaims, ApiError> {
    c2s_api::callers::agent(req, &app.agents, &[Role::Instructeur, Role::Superviseur]).await
}
