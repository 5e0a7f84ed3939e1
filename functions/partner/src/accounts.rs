//! The organisation's accounts: gestionnaires (by the CPAM) and techniciens (by a
//! gestionnaire), their activation links, deactivation and unlocking.

use crate::callers::{admin_org, gestionnaire};
use crate::organisations::account_view;
use crate::own_account::ACTIVATION_HOURS;
use crate::App;
use c2s_api::ResultExt;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::notice::{Channel, Notice};
use c2s_domain::partner::{account, AccountRole, AccountStatus, NewPerson};
use c2s_platform::outbox::OutboxMessage;
use c2s_platform::partners::{AccountRecord, OrgRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Creates a pending account and sends its one-time activation link (48 hours).
pub(crate) async fn open_account(
    app: &App,
    org: &OrgRecord,
    p: NewPerson,
    role: AccountRole,
    created_by: &str,
) -> Result<AccountRecord, ApiError> {
    let account = AccountRecord {
        account_id: format!("a-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        partner_id: org.partner_id.clone(),
        email: p.email.as_str().to_owned(),
        role,
        last_name: p.last_name,
        first_name: p.first_name,
        function: p.function,
        phone: p.phone,
        status: AccountStatus::Pending,
        password_hash: None,
        password_set_at: None,
        failed_sign_ins: 0,
        cgu_version: None,
        created_by: created_by.to_owned(),
        created_at: OffsetDateTime::now_utc(),
        deactivated_at: None,
        reminded_for: None,
        version: 1,
    };
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let expires = OffsetDateTime::now_utc().unix_timestamp() + ACTIVATION_HOURS * 3600;
    app.partners
        .create_account(&account, &activation_hash(&token), expires)
        .await
        .on_conflict(|| Code::EmailTaken.into())?;
    let link = format!("{}/partenaire/activation#{token}", app.public_url);
    let message = OutboxMessage::new(
        Channel::Email,
        account.email.clone(),
        Notice::PartnerActivation {
            first_name: account.first_name.clone(),
            organisation: org.name.clone(),
            link,
        },
    );
    app.outbox.send(&message).await?;
    tracing::info!(outcome = "account_created", "partner account created");
    Ok(account)
}

pub(crate) fn activation_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Handles `POST /api/agent/partners/{pid}/managers`.
pub(crate) async fn create_manager(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let (claims, org) = admin_org(app, req, pid).await?;
    let p = NewPerson::parse(&json_body(req)?, &org.email_domains).map_err(ApiError::invalid)?;
    let accounts = app.partners.accounts(&org.partner_id).await?;
    if let Some(limit) = account::manager_limit_reached(org.members, &accounts) {
        return Err(ApiError::from(Code::ManagerLimit).with("limit", limit));
    }
    let account = open_account(
        app,
        &org,
        p,
        AccountRole::Gestionnaire,
        &format!("agent:{}", claims.sub),
    )
    .await?;
    Ok(json(StatusCode::CREATED, &account_view(&account)))
}

/// Handles `PUT /api/agent/partners/{pid}/accounts/{aid}`.
pub(crate) async fn modify_manager(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let (_, org) = admin_org(app, req, pid).await?;
    let mut a = app
        .partners
        .account(&org.partner_id, aid)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let body = json_body(req)?;
    let mut merged = json!({"email": a.email, "last_name": a.last_name, "first_name": a.first_name, "function": a.function, "phone": a.phone});
    for k in ["email", "last_name", "first_name", "function", "phone"] {
        if let Some(v) = body.get(k) {
            merged[k] = v.clone();
        }
    }
    let p = NewPerson::parse(&merged, &org.email_domains).map_err(ApiError::invalid)?;
    if p.email.as_str() != a.email {
        return Err(ApiError::from(Code::EmailChangeUnsupported));
    }
    (a.last_name, a.first_name, a.function, a.phone) =
        (p.last_name, p.first_name, p.function, p.phone);
    app.partners.save_account(&mut a).await?;
    Ok(json(StatusCode::OK, &account_view(&a)))
}

/// Who acts on an organisation's accounts: only the CPAM touches gestionnaires.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acting {
    Cpam,
    Gestionnaire,
}

/// Deactivates an account of the organisation, keeping at least one active gestionnaire.
pub(crate) async fn deactivate_account(
    app: &App,
    org: &OrgRecord,
    aid: &str,
    acting: Acting,
) -> Result<Response<Body>, ApiError> {
    let accounts = app.partners.accounts(&org.partner_id).await?;
    let mut a = accounts
        .iter()
        .find(|a| a.account_id == aid)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    if a.status == AccountStatus::Deactivated {
        return Ok(json(StatusCode::OK, &account_view(&a)));
    }
    if account::is_last_active_manager(&accounts, &a.account_id) {
        return Err(ApiError::from(Code::LastManager));
    }
    if a.role == AccountRole::Gestionnaire && acting != Acting::Cpam {
        return Err(Code::Forbidden.with_message("Seule la CPAM désactive un gestionnaire."));
    }
    account::deactivate(&mut a, OffsetDateTime::now_utc());
    app.partners.save_account(&mut a).await?;
    tracing::info!(outcome = "deactivated", "partner account deactivated");
    Ok(json(StatusCode::OK, &account_view(&a)))
}

/// Handles `POST /api/agent/partners/{pid}/accounts/{aid}/deactivate`.
pub(crate) async fn agent_deactivate(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let (_, org) = admin_org(app, req, pid).await?;
    deactivate_account(app, &org, aid, Acting::Cpam).await
}

/// Handles `POST /api/partner/accounts/{aid}/deactivate`.
pub(crate) async fn partner_deactivate(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    deactivate_account(app, &c.org, aid, Acting::Gestionnaire).await
}

pub(crate) async fn unlock(
    app: &App,
    org: &OrgRecord,
    aid: &str,
    acting: Acting,
) -> Result<Response<Body>, ApiError> {
    let mut a = app
        .partners
        .account(&org.partner_id, aid)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if a.role == AccountRole::Gestionnaire && acting != Acting::Cpam {
        return Err(ApiError::forbidden());
    }
    if a.status == AccountStatus::Locked {
        a.status = AccountStatus::Active;
        a.failed_sign_ins = 0;
        app.partners.save_account(&mut a).await?;
    }
    Ok(json(StatusCode::OK, &account_view(&a)))
}

/// Handles `POST /api/agent/partners/{pid}/accounts/{aid}/unlock`.
pub(crate) async fn agent_unlock(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let (_, org) = admin_org(app, req, pid).await?;
    unlock(app, &org, aid, Acting::Cpam).await
}

/// Handles `POST /api/partner/accounts/{aid}/unlock`.
pub(crate) async fn partner_unlock(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    unlock(app, &c.org, aid, Acting::Gestionnaire).await
}

/// Handles `POST /api/partner/technicians`.
pub(crate) async fn create_technician(
    app: &App,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    let p = NewPerson::parse(&json_body(req)?, &c.org.email_domains).map_err(ApiError::invalid)?;
    let account = open_account(
        app,
        &c.org,
        p,
        AccountRole::Technicien,
        &c.account.account_id,
    )
    .await?;
    Ok(json(StatusCode::CREATED, &account_view(&account)))
}

/// Handles `GET /api/partner/accounts`.
pub(crate) async fn list_accounts(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    let accounts = app.partners.accounts(&c.org.partner_id).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": accounts.iter().map(account_view).collect::<Vec<_>>()}),
    ))
}
