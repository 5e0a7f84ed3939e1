//! `identity`: beneficiary sign-in (level 1), step-up (level 2) and `GET /api/me`.
//!
//! Every wrong answer gets the same 401 whatever was wrong, after the same work; five failures
//! for one NIR within 15 minutes lock it for 15 minutes (429).

use c2s_api::callers;
use c2s_api::credentials::{self, fail, invalid_credentials, limiter_key, too_many};
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::dates::format_date;
use c2s_domain::partner::{AccountStatus, LOCK_AFTER};
use c2s_domain::renewal::opens_on;
use c2s_domain::text::normalize_secret;
use c2s_domain::{FieldError, Nir};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::hashing::{Hasher, Purpose};
use c2s_platform::partners::PartnerStore;
use c2s_platform::rate_limit::RateLimiter;
use c2s_platform::tokens::{now_seconds, TokenIssuer, TokenVerifier, ACCESS_TOKEN_SECONDS};
use c2s_platform::{ConfigError, Env};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

pub struct App {
    partners: PartnerStore,
    beneficiaries: BeneficiaryStore,
    limiter: RateLimiter,
    hasher: Hasher,
    issuer: TokenIssuer,
    verifier: TokenVerifier,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            partners: PartnerStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            limiter: RateLimiter::from_env(env, clients)?,
            hasher: Hasher::from_env(env)?,
            issuer: TokenIssuer::from_env(env)?,
            verifier: TokenVerifier::from_env(env)?,
        })
    }
}

c2s_api::routes! {
    pub async fn handle(app: &App, req) as "identity";
    POST ["api", "auth", "beneficiary"] => sign_in(app, &req),
    POST ["api", "auth", "beneficiary", "step-up"] => step_up(app, &req),
    GET ["api", "me"] => me(app, &req),
    POST ["api", "auth", "partner"] => partner_sign_in(app, &req),
}

/// Fields that must be present as strings; their content is judged as credentials.
fn strings<'a>(body: &'a Value, names: &[&'static str]) -> Result<Vec<&'a str>, ApiError> {
    let mut errors = Vec::new();
    let values: Vec<&str> = names
        .iter()
        .map(|n| match body.get(*n) {
            Some(Value::String(s)) => s.as_str(),
            None | Some(Value::Null) => {
                errors.push(FieldError::required(*n));
                ""
            }
            Some(_) => {
                errors.push(FieldError::wrong_type(*n));
                ""
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// Handles `POST /api/auth/beneficiary`.
async fn sign_in(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let body = json_body(req)?;
    let v = strings(&body, &["nir", "birth_date", "renewal_code"])?;
    let profile = credentials::check_letter(
        &app.beneficiaries,
        &app.limiter,
        &app.hasher,
        v[0],
        v[1],
        v[2],
    )
    .await?;
    tracing::info!(outcome = "signed_in", level = 1, "beneficiary sign-in");
    token(app, &profile.nir_hash, 1)
}

/// Handles `POST /api/auth/beneficiary/step-up`.
async fn step_up(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let body = json_body(req)?;
    let v = strings(&body, &["iban_last4", "vitale_serial"])?;
    let key = limiter_key(&claims.sub);
    if let Some(left) = app.limiter.locked_for(&key).await? {
        return Err(too_many(left));
    }
    let profile = app.beneficiaries.profile(&claims.sub).await?;
    let (iban, vitale) = profile
        .as_ref()
        .map(|p| (p.iban_last4_hash.as_str(), p.vitale_serial_hash.as_str()))
        .unwrap_or(("00", "00"));
    let iban_ok = app
        .hasher
        .verify(Purpose::IbanLast4, &normalize_secret(v[0]), iban);
    let vitale_ok = app
        .hasher
        .verify(Purpose::VitaleSerial, &normalize_secret(v[1]), vitale);
    if !(profile.is_some() && iban_ok && vitale_ok) {
        return Err(fail(&app.limiter, &key).await);
    }
    app.limiter.reset(&key).await?;
    tracing::info!(outcome = "signed_in", level = 2, "beneficiary step-up");
    token(app, &claims.sub, 2)
}

fn token(app: &App, nir_hash: &str, level: u8) -> Result<Response<Body>, ApiError> {
    let token = app
        .issuer
        .issue(nir_hash, level, now_seconds())
        .map_err(ApiError::internal)?;
    Ok(json(
        StatusCode::OK,
        &json!({"token": token, "level": level, "expires_in": ACCESS_TOKEN_SECONDS}),
    ))
}

/// Handles `GET /api/me`.
async fn me(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let profile: Profile = app
        .beneficiaries
        .profile(&claims.sub)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let open = app.beneficiaries.open_renewal(&claims.sub).await?;
    // Once nothing is open, the follow-up still shows the last decision.
    let last = match &open {
        Some(id) => Some(id.clone()),
        None => app.beneficiaries.last_renewal(&claims.sub).await?,
    };
    let masked = Nir::parse(&profile.nir)
        .map(|n| n.masked())
        .unwrap_or_default();
    Ok(json(
        StatusCode::OK,
        &json!({
            "first_name": profile.first_name,
            "last_name": profile.last_name,
            "masked_nir": masked,
            "css_end_date": format_date(profile.css_end_date),
            "renewal_opens_on": format_date(opens_on(profile.css_end_date)),
            "open_renewal_id": open,
            "last_renewal_id": last,
            "level": claims.level,
        }),
    ))
}

fn account_locked() -> ApiError {
    ApiError::from(Code::AccountLocked)
}

/// Handles `POST /api/auth/partner`.
async fn partner_sign_in(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let body = json_body(req)?;
    let v = strings(&body, &["email", "password"])?;
    let account = app.partners.account_by_email(v[0].trim()).await?;
    // Verify even without an account, so an unknown address costs the same time.
    let password_ok = c2s_platform::passwords::verify(
        v[1],
        account.as_ref().and_then(|a| a.password_hash.as_deref()),
    );
    let Some(mut account) = account else {
        return Err(invalid_credentials());
    };
    if account.status == AccountStatus::Locked {
        return Err(account_locked());
    }
    let org = app.partners.org(&account.partner_id).await?;
    let usable = account.status == AccountStatus::Active && org.as_ref().is_some_and(|o| o.active);
    if !password_ok || !usable {
        if usable {
            account.failed_sign_ins += 1;
            if account.failed_sign_ins >= LOCK_AFTER {
                account.status = AccountStatus::Locked;
            }
            app.partners.save_account(&mut account).await?;
            tracing::info!(
                outcome = "invalid_credentials",
                locked = account.status == AccountStatus::Locked,
                "partner sign-in refused"
            );
        }
        return Err(invalid_credentials());
    }
    if account.failed_sign_ins > 0 {
        account.failed_sign_ins = 0;
        app.partners.save_account(&mut account).await?;
    }
    let role = match account.role {
        c2s_domain::partner::AccountRole::Gestionnaire => "gestionnaire",
        c2s_domain::partner::AccountRole::Technicien => "technicien",
    };
    let token = app
        .issuer
        .issue_partner(
            &account.account_id,
            &account.partner_id,
            role,
            now_seconds(),
        )
        .map_err(ApiError::internal)?;
    let password_expired = account.password_expired(time::OffsetDateTime::now_utc());
    tracing::info!(outcome = "signed_in", "partner sign-in");
    Ok(json(
        StatusCode::OK,
        &json!({
            "token": token, "role": role, "partner_id": account.partner_id, "account_id": account.account_id,
            "expires_in": ACCESS_TOKEN_SECONDS, "cgu_accepted": account.cgu_version.as_deref() == Some(c2s_domain::partner::CGU_VERSION), "password_expired": password_expired,
        }),
    ))
}
