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
use c2s_domain::FieldError;
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
        link_hash: None,
        civility: None,
        deactivation_on: None,
        deactivation_asked_by: None,
        version: 1,
    }
}

/// A one-time link valid `hours`: the token for the email, its hash to store and its expiry.
pub(crate) fn one_time_link(hours: i64) -> (String, String, i64) {
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let expires = OffsetDateTime::now_utc().unix_timestamp() + hours * 3600;
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
    let (token, hash, expires) = one_time_link(ACTIVATION_HOURS);
    let mut account = account.clone();
    account.link_hash = Some(hash.clone());
    let stored = app
        .partners
        .create_account_with(&account, &hash, expires, extra)
        .await;
    written(stored, token)
}

/// Sends a stored account its activation link.
pub(crate) async fn send_activation(
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
///
/// Names, function, phone, civility; a new address moves the account's unique address and
/// sends a new activation link there (the account is pending again until it is used: the
/// person proves the address is theirs), the previous link void.
pub(crate) async fn modify_manager(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    administered(app, claims, pid).await?;
    let body = &json_body(req)?;
    let civility = match body.get("civility") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(c2s_domain::partner::request::civility)
                .ok_or_else(|| {
                    ApiError::invalid(vec![FieldError::new(
                        "civility",
                        "invalid_enum",
                        "La civilité doit être madame ou monsieur.",
                    )])
                })?,
        ),
    };
    let trace = Trace::about(claims, "modify_account", aid, pid);
    let (org, a, link) = commit(app, Some(&trace), move |mut extra| async move {
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
        (a.last_name, a.first_name, a.function, a.phone) =
            (p.last_name, p.first_name, p.function, p.phone);
        if let Some(c) = civility {
            a.civility = Some(c.to_owned());
        }
        let mut link = None;
        if !p.email.as_str().eq_ignore_ascii_case(&a.email) {
            if app.partners.account_by_email(p.email.as_str()).await?.is_some() {
                return Err(Code::EmailTaken.into());
            }
            let old_email = std::mem::replace(&mut a.email, p.email.as_str().to_owned());
            extra.extend(app.partners.email_move(&a, &old_email)?);
            let (token, hash, expires) = one_time_link(ACTIVATION_HOURS);
            extra.push(app.partners.link_put(
                &a,
                &hash,
                expires,
                c2s_platform::partners::LinkPurpose::Activation,
            )?);
            let old_link = a.link_hash.replace(hash);
            a.status = AccountStatus::Pending;
            a.password_hash = None;
            a.password_set_at = None;
            a.failed_sign_ins = 0;
            link = Some((token, old_link));
        }
        let saved = app.partners.save_account_with(&mut a, extra).await;
        written(saved, (org, a, link))
    })
    .await?;
    if let Some((token, old_link)) = link {
        send_activation(app, &org, &a, &token).await?;
        if let Some(hash) = old_link {
            app.partners.delete_link(&hash).await?;
        }
    }
    Ok(json(StatusCode::OK, &account_view(&a, Acting::Cpam)))
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
