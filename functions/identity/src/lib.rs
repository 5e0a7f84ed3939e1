//! `identity`: beneficiary sign-in (level 1), step-up (level 2) and `GET /api/me`.
//!
//! Every wrong answer gets the same 401 whatever was wrong, after the same work; five attempts
//! for one NIR within 15 minutes lock it for 15 minutes (429), the letter's and the step-up's
//! each on their own count; five failed passwords lock a partner account (423). Each attempt
//! is counted before it is judged, so parallel guesses get no more tries.

use c2s_api::callers;
use c2s_api::credentials::{self, invalid_credentials, refused, step_up_key};
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::attempts::STEP_UP;
use c2s_domain::dates::format_date;
use c2s_domain::partner::{AccountStatus, LOCK_AFTER};
use c2s_domain::renewal::opens_on;
use c2s_domain::text::normalize_secret;
use c2s_domain::{FieldError, Nir};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::{BeneficiaryStore, Person};
use c2s_platform::hashing::{Hasher, Purpose};
use c2s_platform::partners::{AccountRecord, PartnerStore};
use c2s_platform::sign_in_locks::SignInLocks;
use c2s_platform::tokens::{now_seconds, TokenIssuer, TokenVerifier, ACCESS_TOKEN_SECONDS};
use c2s_platform::{ConfigError, Env};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

pub struct App {
    partners: PartnerStore,
    beneficiaries: BeneficiaryStore,
    locks: SignInLocks,
    hasher: Hasher,
    issuer: TokenIssuer,
    verifier: TokenVerifier,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            partners: PartnerStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            locks: SignInLocks::from_env(env, clients)?,
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
        &app.locks,
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
    // Its own count: a level-1 success (the person's, or a partner's for them) leaves it.
    let key = step_up_key(&claims.sub);
    credentials::reserve(&app.locks, &key, &STEP_UP).await?;
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
        return Err(refused("level 2"));
    }
    app.locks.forget(&key).await?;
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
    let Person {
        profile,
        open_renewal: open,
        last_renewal,
        ..
    } = app
        .beneficiaries
        .person(&claims.sub)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    // Once nothing is open, the follow-up still shows the last decision.
    let last = open.clone().or(last_renewal);
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

/// Why an attempt could not be counted: the account reached its limit (or was locked) since
/// it was read, or left `active`.
async fn refused_unjudged(app: &App, account: &AccountRecord) -> Result<ApiError, ApiError> {
    let now = app
        .partners
        .account(&account.partner_id, &account.account_id)
        .await?;
    Ok(match now {
        Some(a) if a.status == AccountStatus::Locked || a.failed_sign_ins >= LOCK_AFTER => {
            account_locked()
        }
        _ => invalid_credentials(),
    })
}

/// Handles `POST /api/auth/partner`.
async fn partner_sign_in(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let body = json_body(req)?;
    let v = strings(&body, &["email", "password"])?;
    let password = v[1];
    let Some(account) = app.partners.account_by_email(v[0].trim()).await? else {
        // Verify even without an account, so an unknown address costs the same time.
        c2s_platform::passwords::verify(password, None);
        return Err(invalid_credentials());
    };
    let verify = || c2s_platform::passwords::verify(password, account.password_hash.as_deref());
    if account.status == AccountStatus::Locked {
        return Err(account_locked());
    }
    let org = app.partners.org(&account.partner_id).await?;
    let usable = account.status == AccountStatus::Active && org.as_ref().is_some_and(|o| o.active);
    if !usable {
        verify();
        return Err(invalid_credentials());
    }
    // Counted before it is judged: parallel guesses past the limit are never judged.
    let Some(attempt) = app.partners.reserve_sign_in(&account, LOCK_AFTER).await? else {
        return Err(refused_unjudged(app, &account).await?);
    };
    if !verify() {
        if attempt >= LOCK_AFTER {
            app.partners.lock_account(&account).await?;
        }
        tracing::info!(
            outcome = "invalid_credentials",
            locked = attempt >= LOCK_AFTER,
            "partner sign-in refused"
        );
        return Err(invalid_credentials());
    }
    if !app.partners.sign_in_succeeded(&account).await? {
        return Err(account_locked());
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
