//! A partner's own account: activation, conditions of use, password.

use crate::accounts::activation_hash;
use crate::accounts::Acting;
use crate::callers::{partner, Gate};
use crate::organisations::account_view;
use crate::App;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::dates::add_months;
use c2s_domain::field::optional_bool;
use c2s_domain::partner::{check_password, AccountStatus, CGU_VERSION};
use c2s_domain::FieldError;
use c2s_platform::clock::today;
use c2s_platform::partners::{AccountRecord, LinkPurpose};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

pub(crate) const ACTIVATION_HOURS: i64 = 48;

/// The password rules' refusal, on the field of the body that carried the password.
pub(crate) fn policy_error(field: &'static str, e: c2s_domain::partner::PasswordError) -> ApiError {
    ApiError::invalid(vec![FieldError::new(
        field,
        e.code(),
        match e {
            c2s_domain::partner::PasswordError::TooShort => {
                "Le mot de passe doit compter au moins 12 caractères."
            }
            c2s_domain::partner::PasswordError::TooLong => "Le mot de passe est trop long.",
            c2s_domain::partner::PasswordError::Common => {
                "Ce mot de passe est trop courant : choisissez-en un autre."
            }
            c2s_domain::partner::PasswordError::Personal => {
                "Le mot de passe ne doit pas reprendre votre nom ou votre adresse électronique."
            }
        },
    )])
}

pub(crate) fn set_password(
    a: &mut AccountRecord,
    password: &str,
    field: &'static str,
) -> Result<(), ApiError> {
    let local = a.email.split('@').next().unwrap_or("").to_owned();
    check_password(password, &[&a.last_name, &a.first_name, &local])
        .map_err(|e| policy_error(field, e))?;
    a.password_hash = Some(c2s_platform::passwords::hash(password).map_err(ApiError::internal)?);
    a.password_set_at = Some(OffsetDateTime::now_utc());
    Ok(())
}

/// The account a one-time link of that purpose is for, if the link is valid and is the
/// account's latest (a reissued link voids the one before).
pub(crate) async fn linked_account(
    app: &App,
    hash: &str,
    purpose: LinkPurpose,
) -> Result<Option<AccountRecord>, ApiError> {
    let Some((pid, aid, found)) = app.partners.peek_link(hash).await? else {
        return Ok(None);
    };
    if found != purpose {
        return Ok(None);
    }
    let account = app.partners.account(&pid, &aid).await?;
    Ok(account.filter(|a| a.link_hash.as_deref().is_none_or(|h| h == hash)))
}

/// Handles `POST /api/partner/activate`.
pub(crate) async fn activate(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let body = json_body(req)?;
    let token = body.get("token").and_then(Value::as_str).unwrap_or("");
    let password = body.get("password").and_then(Value::as_str).unwrap_or("");
    let invalid_link = || ApiError::from(Code::InvalidActivation);
    if token.is_empty() || token.len() > 128 {
        return Err(invalid_link());
    }
    // Check the password against the person before the one-time link is used up.
    let hash = activation_hash(token);
    let mut a = linked_account(app, &hash, LinkPurpose::Activation)
        .await?
        .ok_or_else(invalid_link)?;
    if a.status != AccountStatus::Pending {
        return Err(invalid_link());
    }
    let local = a.email.split('@').next().unwrap_or("").to_owned();
    check_password(password, &[&a.last_name, &a.first_name, &local])
        .map_err(|e| policy_error("password", e))?;
    if app.partners.consume_link(&hash).await?.is_none() {
        return Err(invalid_link());
    }
    set_password(&mut a, password, "password")?;
    a.status = AccountStatus::Active;
    a.link_hash = None;
    app.partners.save_account(&mut a).await?;
    tracing::info!(outcome = "activated", "partner account activated");
    Ok(json(
        StatusCode::OK,
        &account_view(&a, Acting::Gestionnaire),
    ))
}

/// Handles `POST /api/partner/cgu`.
pub(crate) async fn accept_cgu(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut c = partner(app, req, Gate::Skip).await?;
    let body = json_body(req)?;
    let accepted = optional_bool(&body, "accepted").map_err(|e| ApiError::invalid(vec![e]))?;
    if body.get("version").and_then(Value::as_str) != Some(CGU_VERSION) || accepted == Some(false) {
        return Err(ApiError::invalid(vec![FieldError::new(
            "version",
            "cgu_version",
            "Acceptez la version en vigueur des conditions d'utilisation.",
        )])
        .with("cgu_version", CGU_VERSION));
    }
    c.account.cgu_version = Some(CGU_VERSION.to_owned());
    app.partners.save_account(&mut c.account).await?;
    Ok(json(
        StatusCode::OK,
        &account_view(&c.account, Acting::Gestionnaire),
    ))
}

/// Handles `POST /api/partner/password`.
pub(crate) async fn change_password(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut c = partner(app, req, Gate::Skip).await?;
    let body = json_body(req)?;
    let current = body
        .get("current_password")
        .and_then(Value::as_str)
        .unwrap_or("");
    let new = body
        .get("new_password")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !c2s_platform::passwords::verify(current, c.account.password_hash.as_deref()) {
        return Err(Code::InvalidCredentials.with_message("Le mot de passe actuel est incorrect."));
    }
    if current == new {
        return Err(ApiError::invalid(vec![FieldError::new(
            "new_password",
            "password_reused",
            "Choisissez un mot de passe différent de l'actuel.",
        )]));
    }
    set_password(&mut c.account, new, "new_password")?;
    app.partners.save_account(&mut c.account).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"password_changed": true, "next_renewal": c2s_domain::dates::format_date(add_months(today(), 3))}),
    ))
}
