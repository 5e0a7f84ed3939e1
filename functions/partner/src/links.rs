//! One-time links after the first: an activation link reissued (by the CPAM for a
//! gestionnaire, by a gestionnaire for a technicien), which voids the one before, and
//! "Mot de passe oublié", a one-hour, single-use link to the professional address.

use crate::accounts::{activation_hash, one_time_link, send_activation, Acting};
use crate::audited::{commit, written, Step, Trace};
use crate::callers::{admin, administered, gestionnaire};
use crate::organisations::account_view;
use crate::own_account::{linked_account, set_password, ACTIVATION_HOURS};
use crate::App;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::notice::{Channel, Notice};
use c2s_domain::partner::{AccountRole, AccountStatus};
use c2s_domain::FieldError;
use c2s_platform::outbox::OutboxMessage;
use c2s_platform::partners::{AccountRecord, LinkPurpose, OrgRecord};
use c2s_platform::store::TransactWriteItem;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use std::time::Duration;

/// A reset link is valid one hour.
const RESET_HOURS: i64 = 1;
/// `POST /api/auth/partner/reset` answers after this, whatever it found, so that its time
/// does not tell whether the address has an account.
const RESET_FLOOR: Duration = Duration::from_millis(400);

/// What a new link leaves to do once written: the account, the token to send, the void
/// link's hash to delete.
pub(crate) struct Issued {
    account: AccountRecord,
    token: String,
    old: Option<String>,
}

/// A new link of `purpose` for `a`, written with the account (which names it, voiding the
/// one before) and `extra` (an audit entry).
async fn new_link(
    app: &App,
    mut a: AccountRecord,
    purpose: LinkPurpose,
    hours: i64,
    mut extra: Vec<TransactWriteItem>,
) -> Result<Step<Issued>, ApiError> {
    let (token, hash, expires) = one_time_link(hours);
    let old = a.link_hash.replace(hash.clone());
    extra.push(app.partners.link_put(&a, &hash, expires, purpose)?);
    let saved = app.partners.save_account_with(&mut a, extra).await;
    written(
        saved,
        Issued {
            account: a,
            token,
            old,
        },
    )
}

/// The void link deleted (it no longer works either way: its hash is not the account's).
async fn forget(app: &App, old: Option<String>) -> Result<(), ApiError> {
    if let Some(hash) = old {
        app.partners.delete_link(&hash).await?;
    }
    Ok(())
}

/// An account of `org` in `role` that was never activated: only it gets an activation link
/// again (an active one uses "Mot de passe oublié").
async fn pending_account(
    app: &App,
    org: &OrgRecord,
    aid: &str,
    role: AccountRole,
) -> Result<AccountRecord, ApiError> {
    let a = app
        .partners
        .account(&org.partner_id, aid)
        .await?
        .filter(|a| a.role == role)
        .ok_or_else(ApiError::not_found)?;
    if a.status == AccountStatus::Pending {
        Ok(a)
    } else {
        Err(ApiError::invalid(vec![FieldError::new(
            "aid",
            "not_pending",
            "Ce compte est déjà activé ou désactivé : un nouveau lien d'activation ne lui servirait pas.",
        )]))
    }
}

/// Sends the new link and deletes the void one; the account as `acting` sees it.
async fn deliver(
    app: &App,
    org: &OrgRecord,
    issued: Issued,
    acting: Acting,
) -> Result<Response<Body>, ApiError> {
    send_activation(app, org, &issued.account, &issued.token).await?;
    forget(app, issued.old).await?;
    tracing::info!(
        outcome = "activation_reissued",
        "partner activation link reissued"
    );
    Ok(json(StatusCode::OK, &account_view(&issued.account, acting)))
}

/// Handles `POST /api/agent/partners/{pid}/accounts/{aid}/reissue`.
pub(crate) async fn agent_reissue(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    let org = &administered(app, claims, pid).await?;
    let trace = Trace::about(claims, "reissue_activation", aid, pid);
    let issued = commit(app, Some(&trace), move |extra| async move {
        let a = pending_account(app, org, aid, AccountRole::Gestionnaire).await?;
        new_link(app, a, LinkPurpose::Activation, ACTIVATION_HOURS, extra).await
    })
    .await?;
    deliver(app, org, issued, Acting::Cpam).await
}

/// Handles `POST /api/partner/accounts/{aid}/reissue`.
pub(crate) async fn partner_reissue(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = &gestionnaire(app, req).await?;
    let issued = commit(app, None, move |extra| async move {
        let a = pending_account(app, &c.org, aid, AccountRole::Technicien).await?;
        new_link(app, a, LinkPurpose::Activation, ACTIVATION_HOURS, extra).await
    })
    .await?;
    deliver(app, &c.org, issued, Acting::Gestionnaire).await
}

/// Handles `POST /api/auth/partner/reset`: 202 whether or not the address has an account,
/// after the same time either way; an active account gets a one-hour link by email.
pub(crate) async fn reset(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let started = tokio::time::Instant::now();
    let body = json_body(req)?;
    let email = body
        .get("email")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("");
    if email.is_empty() || email.len() > 254 || !email.contains('@') {
        return Err(ApiError::invalid(vec![FieldError::new(
            "email",
            "invalid_email",
            "Indiquez votre adresse électronique professionnelle.",
        )]));
    }
    let found = app.partners.account_by_email(email).await?;
    if let Some(a) = found.filter(|a| a.status == AccountStatus::Active) {
        let issued = commit(app, None, move |extra| {
            let a = a.clone();
            async move { new_link(app, a, LinkPurpose::Reset, RESET_HOURS, extra).await }
        })
        .await?;
        let link = format!(
            "{}/partenaire/nouveau-mot-de-passe#{}",
            app.public_url, issued.token
        );
        let message = OutboxMessage::new(
            Channel::Email,
            issued.account.email.clone(),
            Notice::PasswordReset {
                first_name: issued.account.first_name.clone(),
                link,
            },
        );
        app.outbox.send(&message).await?;
        forget(app, issued.old).await?;
        tracing::info!(outcome = "reset_sent", "partner password reset link sent");
    } else {
        tracing::info!(outcome = "reset_not_sent", "partner password reset asked");
    }
    tokio::time::sleep_until(started + RESET_FLOOR).await;
    Ok(json(
        StatusCode::ACCEPTED,
        &json!({"message": "Si un compte actif existe à cette adresse, un lien pour choisir un nouveau mot de passe vient d'y être envoyé. Il est valable une heure."}),
    ))
}

/// Handles `POST /api/auth/partner/reset/confirm`: the link used once, the new password
/// under the same rules as any other.
pub(crate) async fn reset_confirm(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let body = json_body(req)?;
    let token = body.get("token").and_then(Value::as_str).unwrap_or("");
    let password = body
        .get("new_password")
        .and_then(Value::as_str)
        .unwrap_or("");
    let invalid_link = || ApiError::from(Code::InvalidActivation);
    if token.is_empty() || token.len() > 128 {
        return Err(invalid_link());
    }
    let hash = activation_hash(token);
    let mut a = linked_account(app, &hash, LinkPurpose::Reset)
        .await?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or_else(invalid_link)?;
    // The rules first, so that a refused password leaves the link usable.
    let mut probe = a.clone();
    set_password(&mut probe, password, "new_password")?;
    if app.partners.consume_link(&hash).await?.is_none() {
        return Err(invalid_link());
    }
    (a.password_hash, a.password_set_at) = (probe.password_hash, probe.password_set_at);
    a.link_hash = None;
    a.failed_sign_ins = 0;
    app.partners.save_account(&mut a).await?;
    tracing::info!(outcome = "password_reset", "partner password reset");
    Ok(json(StatusCode::OK, &json!({"password_changed": true})))
}
