//! The organisation's accounts: gestionnaires (by the CPAM) and techniciens (by a
//! gestionnaire), their activation links, deactivation and unlocking.

use crate::callers::{admin, admin_org, gestionnaire, partner, Gate};
use crate::organisations::account_view;
use crate::own_account::ACTIVATION_HOURS;
use crate::App;
use c2s_api::ResultExt;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::partner::{account, manager_limit, professional_email, AccountRole, AccountStatus};
use c2s_domain::text::{Email, Name, Phone};
use c2s_domain::FieldError;
use c2s_platform::outbox::OutboxMessage;
use c2s_platform::partners::{AccountRecord, OrgRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub(crate) struct NewPerson {
    email: Email,
    last_name: String,
    first_name: String,
    function: String,
    phone: Option<String>,
}

pub(crate) fn person(body: &Value, org: &OrgRecord) -> Result<NewPerson, ApiError> {
    let mut errors = Vec::new();
    let email = body
        .get("email")
        .and_then(Value::as_str)
        .and_then(Email::parse);
    match &email {
        None => errors.push(FieldError::new(
            "email",
            "invalid_email",
            "L'adresse électronique est mal formée.",
        )),
        Some(e) if !professional_email(e, &org.email_domains) => errors.push(FieldError::new(
            "email",
            "not_professional",
            "Seule une adresse professionnelle de l'organisme est acceptée.",
        )),
        _ => {}
    }
    let last = body
        .get("last_name")
        .and_then(Value::as_str)
        .and_then(Name::parse);
    let first = body
        .get("first_name")
        .and_then(Value::as_str)
        .and_then(Name::parse);
    if last.is_none() {
        errors.push(FieldError::new(
            "last_name",
            "invalid_name",
            "Indiquez un nom, en lettres.",
        ));
    }
    if first.is_none() {
        errors.push(FieldError::new(
            "first_name",
            "invalid_name",
            "Indiquez un prénom, en lettres.",
        ));
    }
    let function = body
        .get("function")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if function.chars().count() > 100 || function.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "function",
            "invalid_function",
            "La fonction est trop longue.",
        ));
    }
    let phone = match body
        .get("phone")
        .and_then(Value::as_str)
        .filter(|p| !p.trim().is_empty())
    {
        None => None,
        Some(p) => match Phone::parse(p) {
            Some(p) => Some(p.as_str().to_owned()),
            None => {
                errors.push(FieldError::new(
                    "phone",
                    "invalid_phone",
                    "Le numéro de téléphone est mal formé.",
                ));
                None
            }
        },
    };
    match (email, last, first) {
        (Some(email), Some(last), Some(first)) if errors.is_empty() => Ok(NewPerson {
            email,
            last_name: last.as_str().to_owned(),
            first_name: first.as_str().to_owned(),
            function,
            phone,
        }),
        _ => Err(ApiError::invalid(errors)),
    }
}

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
    let message = OutboxMessage {
        channel: "email".into(),
        to: account.email.clone(),
        subject: "Activez votre compte partenaire C2S en ligne".into(),
        body: format!("Bonjour {},\n\nVotre compte partenaire pour {} a été créé. Choisissez votre mot de passe dans les 48 heures : {link}\n\nCe lien ne sert qu'une fois.", account.first_name, org.name),
        kind: "partner_activation".into(),
    };
    app.outbox
        .send(&message)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(outcome = "account_created", "partner account created");
    Ok(account)
}

pub(crate) fn activation_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn active_managers(accounts: &[AccountRecord]) -> usize {
    accounts
        .iter()
        .filter(|a| {
            a.role == AccountRole::Gestionnaire
                && matches!(
                    a.status,
                    AccountStatus::Active | AccountStatus::Pending | AccountStatus::Locked
                )
        })
        .count()
}

/// Handles `POST /api/agent/partners/{pid}/managers`.
pub(crate) async fn create_manager(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
    let p = person(&json_body(req)?, &org)?;
    let accounts = app.partners.accounts(&org.partner_id).await?;
    let limit = manager_limit(org.members);
    if active_managers(&accounts) >= limit {
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
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
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
    let p = person(&merged, &org)?;
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
    if a.role == AccountRole::Gestionnaire {
        let others = accounts
            .iter()
            .filter(|o| {
                o.account_id != a.account_id
                    && o.role == AccountRole::Gestionnaire
                    && o.status == AccountStatus::Active
            })
            .count();
        if others == 0 {
            return Err(ApiError::from(Code::LastManager));
        }
        if acting != Acting::Cpam {
            return Err(Code::Forbidden.with_message("Seule la CPAM désactive un gestionnaire."));
        }
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
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
    deactivate_account(app, &org, aid, Acting::Cpam).await
}

/// Handles `POST /api/partner/accounts/{aid}/deactivate`.
pub(crate) async fn partner_deactivate(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    gestionnaire(&c)?;
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
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
    unlock(app, &org, aid, Acting::Cpam).await
}

/// Handles `POST /api/partner/accounts/{aid}/unlock`.
pub(crate) async fn partner_unlock(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    gestionnaire(&c)?;
    unlock(app, &c.org, aid, Acting::Gestionnaire).await
}

/// Handles `POST /api/partner/technicians`.
pub(crate) async fn create_technician(
    app: &App,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    gestionnaire(&c)?;
    let p = person(&json_body(req)?, &c.org)?;
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
    let c = partner(app, req, Gate::Enforce).await?;
    gestionnaire(&c)?;
    let accounts = app.partners.accounts(&c.org.partner_id).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": accounts.iter().map(account_view).collect::<Vec<_>>()}),
    ))
}
