//! Who is calling: a CPAM agent (admin partenaires or the caisse's agents) or a partner
//! with an active account, and what each may reach.

use crate::App;
use c2s_api::{ApiError, Code};
use c2s_domain::partner::{AccountRole, AccountStatus, CGU_VERSION};
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::partners::{AccountRecord, OrgRecord};
use lambda_http::Request;
use time::OffsetDateTime;

/// A CPAM agent who administers partners (admin partenaires).
pub(crate) async fn admin(app: &App, req: &Request) -> Result<AgentClaims, ApiError> {
    c2s_api::callers::agent(req, &app.agents, &[Role::AdminPartenaires]).await
}

/// A CPAM admin, and an organisation their caisse conventions with; any other is a 404.
pub(crate) async fn admin_org(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<(AgentClaims, OrgRecord), ApiError> {
    let claims = admin(app, req).await?;
    match app.partners.org(pid).await? {
        Some(o) if o.caisses.contains(&claims.caisse) => Ok((claims, o)),
        _ => Err(ApiError::not_found()),
    }
}

/// A partner allowed in: its account and organisation, both active.
pub(crate) struct Caller {
    pub account: AccountRecord,
    pub org: OrgRecord,
}

/// The partner behind the token, with an active account in an active organisation. The
/// conditions of use and an expired password hold back everything but themselves.
/// Whether a route is held back by the partner's duties (current conditions of use accepted,
/// password not expired): every route but those that fulfil them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Enforce,
    Skip,
}

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
        if account.password_expired(OffsetDateTime::now_utc()) {
            return Err(ApiError::from(Code::PasswordExpired));
        }
        if account.cgu_version.is_none() {
            return Err(ApiError::from(Code::CguNotAccepted).with("cgu_version", CGU_VERSION));
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
