//! The organisation's accounts: gestionnaires (by the CPAM) and techniciens (by a
//! gestionnaire), their activation links, deactivation and unlocking. A change to a
//! gestionnaire moves the organisation's version on in the same transaction, so the size
//! rule and the last active gestionnaire hold however many requests come at once.

use crate::audited::{commit, written, Step, Trace};
use crate::callers::{admin, administered, gestionnaire};
use crate::organisations::account_view;
use crate::own_account::ACTIVATION_HOURS;
use crate::App;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::notice::{Channel, Notice};
use c2s_domain::partner::{account, AccountRole, AccountStatus, NewPerson};
use c2s_platform::outbox::OutboxMessage;
use c2s_platform::partners::{AccountRecord, OrgRecord};
use c2s_platform::store::TransactWriteItem;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

fn new_account_id() -> String {
    format!("a-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A pending account of `org`, not stored yet.
fn pending_account(
    account_id: &str,
    org: &OrgRecord,
    p: NewPerson,
    role: AccountRole,
    created_by: &str,
) -> AccountRecord {
    AccountRecord {
        account_id: account_id.to_owned(),
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
    }
}

/// A one-time activation link, valid 48 hours: the token for the email, its hash to store
/// and its expiry.
fn activation_link() -> (String, String, i64) {
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let expires = OffsetDateTime::now_utc().unix_timestamp() + ACTIVATION_HOURS * 3600;
    let hash = activation_hash(&token);
    (token, hash, expires)
}

/// Stores the account with its address and activation link, and `extra` (the organisation's
/// guard, an audit entry), in one transaction. A taken address is `email_taken`, whoever
/// took it first.
async fn store_account(
    app: &App,
    account: &AccountRecord,
    extra: Vec<TransactWriteItem>,
) -> Result<Step<String>, ApiError> {
    if app
        .partners
        .account_by_email(&account.email)
        .await?
        .is_some()
    {
        return Err(Code::EmailTaken.into());
    }
    let (token, hash, expires) = activation_link();
    let stored = app
        .partners
        .create_account_with(account, &hash, expires, extra)
        .await;
    written(stored, token)
}

/// Sends a stored account its activation link.
async fn send_activation(
    app: &App,
    org: &OrgRecord,
    account: &AccountRecord,
    token: &str,
) -> Result<(), ApiError> {
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
    Ok(())
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
    let claims = &admin(app, req).await?;
    administered(app, claims, pid).await?;
    let body = &json_body(req)?;
    let account_id = &new_account_id();
    let created_by = &format!("agent:{}", claims.sub);
    let trace = Trace::about(claims, "create_manager", account_id, pid);
    let (org, account, token) = commit(app, Some(&trace), move |mut extra| async move {
        let org = administered(app, claims, pid).await?;
        let p = NewPerson::parse(body, &org.email_domains).map_err(ApiError::invalid)?;
        let accounts = app.partners.accounts(&org.partner_id).await?;
        if let Some(limit) = account::manager_limit_reached(org.members, &accounts) {
            return Err(ApiError::from(Code::ManagerLimit).with("limit", limit));
        }
        let a = pending_account(account_id, &org, p, AccountRole::Gestionnaire, created_by);
        extra.push(app.partners.org_guard(&org)?);
        Ok(store_account(app, &a, extra)
            .await?
            .map(|token| (org, a, token)))
    })
    .await?;
    send_activation(app, &org, &account, &token).await?;
    Ok(json(
        StatusCode::CREATED,
        &account_view(&account, Acting::Cpam),
    ))
}

/// Handles `PUT /api/agent/partners/{pid}/accounts/{aid}`.
pub(crate) async fn modify_manager(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    administered(app, claims, pid).await?;
    let body = &json_body(req)?;
    let trace = Trace::about(claims, "modify_account", aid, pid);
    let view = commit(app, Some(&trace), move |extra| async move {
        let org = administered(app, claims, pid).await?;
        let mut a = app
            .partners
            .account(&org.partner_id, aid)
            .await?
            .ok_or_else(ApiError::not_found)?;
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
        let saved = app.partners.save_account_with(&mut a, extra).await;
        written(saved, account_view(&a, Acting::Cpam))
    })
    .await?;
    Ok(json(StatusCode::OK, &view))
}

/// Who acts on an organisation's accounts (only the CPAM touches gestionnaires), and who
/// reads them (`Gestionnaire`: anyone of the organisation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acting {
    Cpam,
    Gestionnaire,
}

/// Deactivates an account of the organisation, keeping at least one active gestionnaire:
/// checked against the accounts as read with the organisation's version, which the
/// deactivation of a gestionnaire moves on.
async fn deactivate_account(
    app: &App,
    org: &OrgRecord,
    aid: &str,
    acting: Acting,
    mut extra: Vec<TransactWriteItem>,
) -> Result<Step<Value>, ApiError> {
    let accounts = app.partners.accounts(&org.partner_id).await?;
    let mut a = accounts
        .iter()
        .find(|a| a.account_id == aid)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    if a.status == AccountStatus::Deactivated {
        return Ok(Step::Unchanged(account_view(&a, acting)));
    }
    if account::is_last_active_manager(&accounts, &a.account_id) {
        return Err(ApiError::from(Code::LastManager));
    }
    if a.role == AccountRole::Gestionnaire && acting != Acting::Cpam {
        return Err(Code::Forbidden.with_message("Seule la CPAM désactive un gestionnaire."));
    }
    account::deactivate(&mut a, OffsetDateTime::now_utc());
    if a.role == AccountRole::Gestionnaire {
        extra.push(app.partners.org_guard(org)?);
    }
    let saved = app.partners.save_account_with(&mut a, extra).await;
    if saved.is_ok() {
        tracing::info!(outcome = "deactivated", "partner account deactivated");
    }
    written(saved, account_view(&a, acting))
}

/// Handles `POST /api/agent/partners/{pid}/accounts/{aid}/deactivate`.
pub(crate) async fn agent_deactivate(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    administered(app, claims, pid).await?;
    let trace = Trace::about(claims, "deactivate_account", aid, pid);
    let view = commit(app, Some(&trace), move |extra| async move {
        let org = administered(app, claims, pid).await?;
        deactivate_account(app, &org, aid, Acting::Cpam, extra).await
    })
    .await?;
    Ok(json(StatusCode::OK, &view))
}

/// Handles `POST /api/partner/accounts/{aid}/deactivate`.
pub(crate) async fn partner_deactivate(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = &gestionnaire(app, req).await?;
    let view = commit(app, None, move |extra| async move {
        let org = app
            .partners
            .org(&c.org.partner_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        deactivate_account(app, &org, aid, Acting::Gestionnaire, extra).await
    })
    .await?;
    Ok(json(StatusCode::OK, &view))
}

async fn unlock(
    app: &App,
    org: &OrgRecord,
    aid: &str,
    acting: Acting,
    extra: Vec<TransactWriteItem>,
) -> Result<Step<Value>, ApiError> {
    let mut a = app
        .partners
        .account(&org.partner_id, aid)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if a.role == AccountRole::Gestionnaire && acting != Acting::Cpam {
        return Err(ApiError::forbidden());
    }
    if a.status != AccountStatus::Locked {
        return Ok(Step::Unchanged(account_view(&a, acting)));
    }
    a.status = AccountStatus::Active;
    a.failed_sign_ins = 0;
    let saved = app.partners.save_account_with(&mut a, extra).await;
    written(saved, account_view(&a, acting))
}

/// Handles `POST /api/agent/partners/{pid}/accounts/{aid}/unlock`.
pub(crate) async fn agent_unlock(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    administered(app, claims, pid).await?;
    let trace = Trace::about(claims, "unlock_account", aid, pid);
    let view = commit(app, Some(&trace), move |extra| async move {
        let org = administered(app, claims, pid).await?;
        unlock(app, &org, aid, Acting::Cpam, extra).await
    })
    .await?;
    Ok(json(StatusCode::OK, &view))
}

/// Handles `POST /api/partner/accounts/{aid}/unlock`.
pub(crate) async fn partner_unlock(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = &gestionnaire(app, req).await?;
    let view = commit(app, None, move |extra| async move {
        unlock(app, &c.org, aid, Acting::Gestionnaire, extra).await
    })
    .await?;
    Ok(json(StatusCode::OK, &view))
}

/// Handles `POST /api/partner/technicians`.
pub(crate) async fn create_technician(
    app: &App,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    let p = NewPerson::parse(&json_body(req)?, &c.org.email_domains).map_err(ApiError::invalid)?;
    let account = &pending_account(
        &new_account_id(),
        &c.org,
        p,
        AccountRole::Technicien,
        &c.account.account_id,
    );
    let token = commit(app, None, move |extra| async move {
        store_account(app, account, extra).await
    })
    .await?;
    send_activation(app, &c.org, account, &token).await?;
    Ok(json(
        StatusCode::CREATED,
        &account_view(account, Acting::Gestionnaire),
    ))
}

/// Handles `GET /api/partner/accounts`.
pub(crate) async fn list_accounts(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    let accounts = app.partners.accounts(&c.org.partner_id).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": accounts.iter().map(|a| account_view(a, Acting::Gestionnaire)).collect::<Vec<_>>()}),
    ))
}
