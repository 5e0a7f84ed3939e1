//! `partner`: partner organisations and their people. CPAM admins (admin_partenaires) create
//! organisations with their conventions and gestionnaires; gestionnaires create techniciens;
//! everyone activates their account through a one-time link and chooses a password.
//!
//! A partner's token is checked against its account and organisation on every request, so a
//! deactivation takes effect at once for tokens already issued.

use c2s_domain::dates::{add_months, parse_date};
use c2s_domain::partner::{
    check_password, manager_limit, professional_email, valid_caisse, AccountRole, AccountStatus,
    Convention, KINDS,
};
use c2s_domain::renewal::{opens_on, ActorKind};
use c2s_domain::text::{Email, Name, Phone};
use c2s_domain::FieldError;
use c2s_platform::agents::{AgentClaims, AgentVerifier, Role};
use c2s_platform::auth::{self, today};
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::credentials;
use c2s_platform::hashing::Hasher;
use c2s_platform::http::{
    bearer, finish, json, json_body, method_not_allowed, segments, text, ApiError,
};
use c2s_platform::outbox::{Outbox, OutboxMessage};
use c2s_platform::partners::{AccountRecord, OrgRecord, PartnerStore, RequestRecord};
use c2s_platform::rate_limit::RateLimiter;
use c2s_platform::renewals::{new_draft, CreateError, FiledBy, RenewalStore};
use c2s_platform::store::StoreError;
use c2s_platform::tokens::{BeneficiaryClaims, TokenVerifier};
use c2s_platform::{ConfigError, Env};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The version of the conditions of use a partner accepts at first sign-in.
pub const CGU_VERSION: &str = "2026-11";
const ACTIVATION_HOURS: i64 = 48;
const PASSWORD_DAYS: i64 = 90;

pub struct App {
    partners: PartnerStore,
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    limiter: RateLimiter,
    hasher: Hasher,
    outbox: Outbox,
    agents: AgentVerifier,
    tokens: TokenVerifier,
    public_url: String,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        let beneficiaries =
            BeneficiaryStore::new(clients.dynamo.clone(), env.require("BENEFICIARIES_TABLE")?);
        Ok(App {
            renewals: RenewalStore::new(
                clients.dynamo.clone(),
                env.require("RENEWALS_TABLE")?,
                &beneficiaries,
            ),
            beneficiaries,
            limiter: RateLimiter::new(clients.dynamo.clone(), env.require("RATE_LIMITS_TABLE")?),
            hasher: Hasher::from_env(env)?,
            partners: PartnerStore::new(clients.dynamo.clone(), env.require("PARTNERS_TABLE")?),
            outbox: Outbox::new(clients.sqs.clone(), env.require("OUTBOX_QUEUE_URL")?),
            agents: AgentVerifier::from_env(env)?,
            tokens: TokenVerifier::from_env(env)?,
            public_url: env.require("PUBLIC_URL")?,
        })
    }
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let segs = segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method(), segs.as_slice()) {
        (&Method::POST, ["api", "agent", "partners"]) => {
            finish("POST /api/agent/partners", create_org(app, &req).await)
        }
        (&Method::GET, ["api", "agent", "partners", pid]) => finish(
            "GET /api/agent/partners/{pid}",
            read_org(app, &req, pid).await,
        ),
        (&Method::POST, ["api", "agent", "partners", pid, "managers"]) => finish(
            "POST /api/agent/partners/{pid}/managers",
            create_manager(app, &req, pid).await,
        ),
        (&Method::PUT, ["api", "agent", "partners", pid, "accounts", aid]) => finish(
            "PUT /api/agent/partners/{pid}/accounts/{aid}",
            modify_manager(app, &req, pid, aid).await,
        ),
        (&Method::POST, ["api", "agent", "partners", pid, "accounts", aid, "deactivate"]) => {
            finish(
                "POST /api/agent/partners/{pid}/accounts/{aid}/deactivate",
                agent_deactivate(app, &req, pid, aid).await,
            )
        }
        (&Method::POST, ["api", "agent", "partners", pid, "accounts", aid, "unlock"]) => finish(
            "POST /api/agent/partners/{pid}/accounts/{aid}/unlock",
            agent_unlock(app, &req, pid, aid).await,
        ),
        (&Method::POST, ["api", "agent", "partners", pid, "deactivate"]) => finish(
            "POST /api/agent/partners/{pid}/deactivate",
            deactivate_org(app, &req, pid).await,
        ),
        (&Method::POST, ["api", "agent", "partners", pid, "conventions", caisse, "terminate"]) => {
            finish(
                "POST /api/agent/partners/{pid}/conventions/{caisse}/terminate",
                terminate(app, &req, pid, caisse).await,
            )
        }
        (&Method::GET, ["api", "agent", "partners", pid, "habilitations.csv"]) => finish(
            "GET /api/agent/partners/{pid}/habilitations.csv",
            agent_habilitations(app, &req, pid).await,
        ),
        (&Method::POST, ["api", "partner", "renewals"]) => {
            finish("POST /api/partner/renewals", file_for(app, &req).await)
        }
        (&Method::GET, ["api", "partner", "requests"]) => {
            finish("GET /api/partner/requests", requests(app, &req).await)
        }
        (&Method::POST, ["api", "partner", "reports"]) => finish(
            "POST /api/partner/reports",
            new_request(app, &req, None).await,
        ),
        (&Method::POST, ["api", "partner", "requests"]) => finish(
            "POST /api/partner/requests",
            new_request(app, &req, Some(())).await,
        ),
        (&Method::GET, ["api", "agent", "reports"]) => {
            finish("GET /api/agent/reports", agent_reports(app, &req).await)
        }
        (&Method::POST, ["api", "agent", "reports", rid, "answer"]) => finish(
            "POST /api/agent/reports/{rid}/answer",
            agent_answer(app, &req, rid).await,
        ),
        (&Method::POST, ["api", "partner", "activate"]) => {
            finish("POST /api/partner/activate", activate(app, &req).await)
        }
        (&Method::POST, ["api", "partner", "cgu"]) => {
            finish("POST /api/partner/cgu", accept_cgu(app, &req).await)
        }
        (&Method::POST, ["api", "partner", "password"]) => finish(
            "POST /api/partner/password",
            change_password(app, &req).await,
        ),
        (&Method::POST, ["api", "partner", "technicians"]) => finish(
            "POST /api/partner/technicians",
            create_technician(app, &req).await,
        ),
        (&Method::GET, ["api", "partner", "accounts"]) => {
            finish("GET /api/partner/accounts", list_accounts(app, &req).await)
        }
        (&Method::GET, ["api", "partner", "habilitations.csv"]) => finish(
            "GET /api/partner/habilitations.csv",
            partner_habilitations(app, &req).await,
        ),
        (&Method::POST, ["api", "partner", "accounts", aid, "deactivate"]) => finish(
            "POST /api/partner/accounts/{aid}/deactivate",
            partner_deactivate(app, &req, aid).await,
        ),
        (&Method::POST, ["api", "partner", "accounts", aid, "unlock"]) => finish(
            "POST /api/partner/accounts/{aid}/unlock",
            partner_unlock(app, &req, aid).await,
        ),
        _ => finish("partner", Err(method_not_allowed())),
    }
}

// ------------------------------------------------------------------ callers

async fn admin(app: &App, req: &Request) -> Result<AgentClaims, ApiError> {
    let token = bearer(req).ok_or_else(ApiError::unauthenticated)?;
    let claims = app
        .agents
        .verify(token)
        .await
        .ok_or_else(ApiError::unauthenticated)?;
    if !claims.has(Role::AdminPartenaires) {
        return Err(ApiError::forbidden());
    }
    Ok(claims)
}

/// An organisation the admin's caisse conventions with; any other is a 404.
async fn admin_org(app: &App, claims: &AgentClaims, pid: &str) -> Result<OrgRecord, ApiError> {
    match app.partners.org(pid).await.map_err(ApiError::internal)? {
        Some(o) if o.caisses.contains(&claims.caisse) => Ok(o),
        _ => Err(ApiError::not_found()),
    }
}

pub struct Caller {
    pub claims: BeneficiaryClaims,
    pub account: AccountRecord,
    pub org: OrgRecord,
}

/// The partner behind the token, with an active account in an active organisation. The
/// conditions of use and an expired password hold back everything but themselves.
async fn partner(app: &App, req: &Request, gate: bool) -> Result<Caller, ApiError> {
    let claims = auth::partner(req, &app.tokens)?;
    let pid = claims.partner_id.clone().unwrap_or_default();
    let account = app
        .partners
        .account(&pid, &claims.sub)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::unauthenticated)?;
    let org = app
        .partners
        .org(&pid)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::unauthenticated)?;
    if account.status != AccountStatus::Active || !org.active {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "account_inactive",
            "Ce compte n'est plus actif.",
        ));
    }
    if gate {
        if account
            .password_set_at
            .is_none_or(|t| (OffsetDateTime::now_utc() - t).whole_days() >= PASSWORD_DAYS)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_expired",
                "Votre mot de passe doit être renouvelé.",
            ));
        }
        if account.cgu_version.is_none() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cgu_not_accepted",
                "Acceptez les conditions d'utilisation pour continuer.",
            )
            .with("cgu_version", CGU_VERSION));
        }
    }
    Ok(Caller {
        claims,
        account,
        org,
    })
}

fn gestionnaire(c: &Caller) -> Result<(), ApiError> {
    if c.account.role == AccountRole::Gestionnaire {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

// ------------------------------------------------------------------ organisations

async fn create_org(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let body = json_body(req)?;
    let mut errors = Vec::new();
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| (2..=200).contains(&n.chars().count()));
    if name.is_none() {
        errors.push(FieldError::new(
            "name",
            "invalid_name",
            "Indiquez le nom de l'organisme.",
        ));
    }
    let kind = body
        .get("kind")
        .and_then(Value::as_str)
        .map(|k| k.trim().to_lowercase())
        .filter(|k| KINDS.contains(&k.as_str()));
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "invalid_enum",
            "Le type d'organisme n'est pas dans la liste.",
        ));
    }
    let members = body
        .get("members")
        .and_then(Value::as_u64)
        .filter(|m| (1..=1_000_000).contains(m));
    if members.is_none() {
        errors.push(FieldError::new(
            "members",
            "invalid_members",
            "Indiquez le nombre de membres (au moins 1).",
        ));
    }
    let caisses: Option<Vec<String>> = body
        .get("caisses")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty() && a.len() <= 101)
        .and_then(|a| {
            a.iter()
                .map(|c| c.as_str().filter(|c| valid_caisse(c)).map(str::to_owned))
                .collect()
        });
    if caisses.is_none() {
        errors.push(FieldError::new(
            "caisses",
            "invalid_caisses",
            "Indiquez les caisses concernées.",
        ));
    }
    let convention = body.get("convention");
    let c_start = convention
        .and_then(|c| c.get("start"))
        .and_then(Value::as_str)
        .and_then(|d| parse_date(d).ok());
    let c_end = convention
        .and_then(|c| c.get("end"))
        .and_then(Value::as_str)
        .and_then(|d| parse_date(d).ok());
    let c_caisse = convention
        .and_then(|c| c.get("caisse"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if c_start.is_none()
        || c_end.is_none()
        || c_start > c_end
        || c_caisse
            .as_ref()
            .is_some_and(|c| !caisses.as_ref().is_some_and(|l| l.contains(c)))
    {
        errors.push(FieldError::new("convention", "invalid_convention", "La convention doit indiquer une caisse de la liste, une date de début et une date de fin."));
    }
    let domains: Vec<String> = body
        .get("email_domains")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().map(|d| d.trim().to_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    let (Some(name), Some(kind), Some(members), Some(caisses), Some(start), Some(end)) =
        (name, kind, members, caisses, c_start, c_end)
    else {
        return Err(ApiError::invalid(errors));
    };
    if !caisses.contains(&claims.caisse) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Vous ne pouvez conventionner qu'au nom de votre caisse.",
        ));
    }
    // One convention per caisse, on the dates given.
    let conventions = caisses
        .iter()
        .map(|c| Convention {
            caisse: c.clone(),
            start,
            end,
            tacit_renewal: true,
            terminated_on: None,
        })
        .collect();
    let org = OrgRecord {
        partner_id: format!("p-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        name: name.to_owned(),
        kind,
        members: members as u32,
        caisses,
        email_domains: domains,
        conventions,
        active: true,
        caisses_removed: Vec::new(),
        created_at: OffsetDateTime::now_utc(),
        version: 1,
    };
    app.partners
        .create_org(&org)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(outcome = "created", "partner organisation created");
    Ok(json(StatusCode::CREATED, &org_view(&org, &[])))
}

fn org_view(org: &OrgRecord, accounts: &[AccountRecord]) -> Value {
    json!({
        "partner_id": org.partner_id, "id": org.partner_id, "name": org.name, "kind": org.kind, "members": org.members,
        "caisses": org.caisses, "active_caisses": c2s_domain::partner::active_caisses(&org.conventions, today()),
        "email_domains": org.email_domains, "conventions": org.conventions, "active": org.active,
        "manager_limit": manager_limit(org.members),
        "accounts": accounts.iter().map(account_view).collect::<Vec<_>>(),
    })
}

fn account_view(a: &AccountRecord) -> Value {
    json!({
        "account_id": a.account_id, "partner_id": a.partner_id, "email": a.email, "role": a.role, "status": a.status,
        "last_name": a.last_name, "first_name": a.first_name, "function": a.function, "phone": a.phone,
        "cgu_version": a.cgu_version, "created_by": a.created_by,
    })
}

async fn read_org(app: &App, req: &Request, pid: &str) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
    let accounts = app
        .partners
        .accounts(&org.partner_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(json(StatusCode::OK, &org_view(&org, &accounts)))
}

async fn terminate(
    app: &App,
    req: &Request,
    pid: &str,
    caisse: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let mut org = admin_org(app, &claims, pid).await?;
    if caisse != claims.caisse {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Seule la caisse signataire peut résilier sa convention.",
        ));
    }
    let body = json_body(req)?;
    let on = match body.get("date").and_then(Value::as_str) {
        None => today(),
        Some(d) => parse_date(d).map_err(|_| {
            ApiError::invalid(vec![FieldError::new(
                "date",
                "invalid_date",
                "La date doit être au format AAAA-MM-JJ.",
            )])
        })?,
    };
    let expected = org.version;
    let Some(c) = org.conventions.iter_mut().find(|c| c.caisse == caisse) else {
        return Err(ApiError::not_found());
    };
    c.terminated_on = Some(on);
    org.version += 1;
    app.partners
        .save_org(&org, expected)
        .await
        .map_err(conflict)?;
    Ok(json(StatusCode::OK, &org_view(&org, &[])))
}

async fn deactivate_org(app: &App, req: &Request, pid: &str) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let mut org = admin_org(app, &claims, pid).await?;
    let expected = org.version;
    org.active = false;
    org.version += 1;
    app.partners
        .save_org(&org, expected)
        .await
        .map_err(conflict)?;
    let mut count = 0;
    for mut a in app
        .partners
        .accounts(&org.partner_id)
        .await
        .map_err(ApiError::internal)?
    {
        if a.status != AccountStatus::Deactivated {
            deactivate(&mut a);
            let v = a.version - 1;
            app.partners.save_account(&a, v).await.map_err(conflict)?;
            count += 1;
        }
    }
    tracing::info!(
        outcome = "deactivated",
        accounts = count,
        "partner organisation deactivated"
    );
    Ok(json(
        StatusCode::OK,
        &json!({"partner_id": org.partner_id, "active": false, "accounts_deactivated": count}),
    ))
}

fn conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict => ApiError::new(
            StatusCode::CONFLICT,
            "version_conflict",
            "Ces données ont été modifiées entre-temps. Réessayez.",
        ),
        other => ApiError::internal(other),
    }
}

// ------------------------------------------------------------------ accounts

struct NewPerson {
    email: Email,
    last_name: String,
    first_name: String,
    function: String,
    phone: Option<String>,
}

fn person(body: &Value, org: &OrgRecord) -> Result<NewPerson, ApiError> {
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
async fn open_account(
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
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::new(
                StatusCode::CONFLICT,
                "email_taken",
                "Un compte existe déjà avec cette adresse électronique.",
            ),
            other => ApiError::internal(other),
        })?;
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

fn activation_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn active_managers(accounts: &[AccountRecord]) -> usize {
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

async fn create_manager(app: &App, req: &Request, pid: &str) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
    let p = person(&json_body(req)?, &org)?;
    let accounts = app
        .partners
        .accounts(&org.partner_id)
        .await
        .map_err(ApiError::internal)?;
    let limit = manager_limit(org.members);
    if active_managers(&accounts) >= limit {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "manager_limit",
            "Cet organisme a déjà le nombre maximal de gestionnaires pour sa taille.",
        )
        .with("limit", limit));
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

async fn modify_manager(
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
        .await
        .map_err(ApiError::internal)?
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
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "email_change_unsupported",
            "Pour changer d'adresse, créez un nouveau compte et désactivez celui-ci.",
        ));
    }
    let expected = a.version;
    (a.last_name, a.first_name, a.function, a.phone) =
        (p.last_name, p.first_name, p.function, p.phone);
    a.version += 1;
    app.partners
        .save_account(&a, expected)
        .await
        .map_err(conflict)?;
    Ok(json(StatusCode::OK, &account_view(&a)))
}

pub fn deactivate(a: &mut AccountRecord) {
    a.status = AccountStatus::Deactivated;
    a.deactivated_at = Some(OffsetDateTime::now_utc());
    a.version += 1;
}

/// Deactivates an account of the organisation, keeping at least one active gestionnaire.
async fn deactivate_account(
    app: &App,
    org: &OrgRecord,
    aid: &str,
    may_touch_managers: bool,
) -> Result<Response<Body>, ApiError> {
    let accounts = app
        .partners
        .accounts(&org.partner_id)
        .await
        .map_err(ApiError::internal)?;
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
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "last_manager",
                "Le dernier gestionnaire actif d'un organisme ne peut pas être désactivé.",
            ));
        }
        if !may_touch_managers {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Seule la CPAM désactive un gestionnaire.",
            ));
        }
    }
    let expected = a.version;
    deactivate(&mut a);
    app.partners
        .save_account(&a, expected)
        .await
        .map_err(conflict)?;
    tracing::info!(outcome = "deactivated", "partner account deactivated");
    Ok(json(StatusCode::OK, &account_view(&a)))
}

async fn agent_deactivate(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
    deactivate_account(app, &org, aid, true).await
}

async fn partner_deactivate(
    app: &App,
    req: &Request,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, true).await?;
    gestionnaire(&c)?;
    deactivate_account(app, &c.org, aid, false).await
}

async fn unlock(
    app: &App,
    org: &OrgRecord,
    aid: &str,
    may_touch_managers: bool,
) -> Result<Response<Body>, ApiError> {
    let mut a = app
        .partners
        .account(&org.partner_id, aid)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    if a.role == AccountRole::Gestionnaire && !may_touch_managers {
        return Err(ApiError::forbidden());
    }
    if a.status == AccountStatus::Locked {
        let expected = a.version;
        a.status = AccountStatus::Active;
        a.failed_sign_ins = 0;
        a.version += 1;
        app.partners
            .save_account(&a, expected)
            .await
            .map_err(conflict)?;
    }
    Ok(json(StatusCode::OK, &account_view(&a)))
}

async fn agent_unlock(
    app: &App,
    req: &Request,
    pid: &str,
    aid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
    unlock(app, &org, aid, true).await
}

async fn partner_unlock(app: &App, req: &Request, aid: &str) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, true).await?;
    gestionnaire(&c)?;
    unlock(app, &c.org, aid, false).await
}

async fn create_technician(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, true).await?;
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

async fn list_accounts(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, true).await?;
    gestionnaire(&c)?;
    let accounts = app
        .partners
        .accounts(&c.org.partner_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": accounts.iter().map(account_view).collect::<Vec<_>>()}),
    ))
}

/// The habilitation table: who may act for the organisation, as CSV (`;`, UTF-8).
fn habilitations_csv(org: &OrgRecord, accounts: &[AccountRecord]) -> String {
    let cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from(
        "organisme;identifiant;nom;prénom;fonction;adresse électronique;rôle;statut;créé le\n",
    );
    for a in accounts {
        let row = [
            cell(&org.name),
            cell(&a.account_id),
            cell(&a.last_name),
            cell(&a.first_name),
            cell(&a.function),
            cell(&a.email),
            cell(
                serde_json::to_value(a.role)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .as_deref()
                    .unwrap_or(""),
            ),
            cell(
                serde_json::to_value(a.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .as_deref()
                    .unwrap_or(""),
            ),
            cell(&c2s_domain::dates::format_date(a.created_at.date())),
        ];
        out.push_str(&row.join(";"));
        out.push('\n');
    }
    out
}

async fn agent_habilitations(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = admin(app, req).await?;
    let org = admin_org(app, &claims, pid).await?;
    let accounts = app
        .partners
        .accounts(&org.partner_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(text(
        StatusCode::OK,
        habilitations_csv(&org, &accounts),
        "text/csv; charset=utf-8",
    ))
}

async fn partner_habilitations(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, true).await?;
    gestionnaire(&c)?;
    let accounts = app
        .partners
        .accounts(&c.org.partner_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(text(
        StatusCode::OK,
        habilitations_csv(&c.org, &accounts),
        "text/csv; charset=utf-8",
    ))
}

// ------------------------------------------------------------------ the partner's own account

/// The password rules' refusal, on the field of the body that carried the password.
fn policy_error(field: &'static str, e: c2s_domain::partner::PasswordError) -> ApiError {
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

fn set_password(
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

async fn activate(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let body = json_body(req)?;
    let token = body.get("token").and_then(Value::as_str).unwrap_or("");
    let password = body.get("password").and_then(Value::as_str).unwrap_or("");
    let invalid_link = || {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activation",
            "Ce lien d'activation n'est pas valide ou a expiré. Demandez-en un nouveau.",
        )
    };
    if token.is_empty() || token.len() > 128 {
        return Err(invalid_link());
    }
    // Check the password against the person before the one-time link is used up.
    let hash = activation_hash(token);
    let (pid, aid) = app
        .partners
        .peek_activation(&hash)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(invalid_link)?;
    let mut a = app
        .partners
        .account(&pid, &aid)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(invalid_link)?;
    if a.status != AccountStatus::Pending {
        return Err(invalid_link());
    }
    let local = a.email.split('@').next().unwrap_or("").to_owned();
    check_password(password, &[&a.last_name, &a.first_name, &local])
        .map_err(|e| policy_error("password", e))?;
    if app
        .partners
        .consume_activation(&hash)
        .await
        .map_err(ApiError::internal)?
        .is_none()
    {
        return Err(invalid_link());
    }
    let expected = a.version;
    set_password(&mut a, password, "password")?;
    a.status = AccountStatus::Active;
    a.version += 1;
    app.partners
        .save_account(&a, expected)
        .await
        .map_err(conflict)?;
    tracing::info!(outcome = "activated", "partner account activated");
    Ok(json(StatusCode::OK, &account_view(&a)))
}

async fn accept_cgu(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut c = partner(app, req, false).await?;
    let body = json_body(req)?;
    if body.get("version").and_then(Value::as_str) != Some(CGU_VERSION)
        || body.get("accepted").and_then(Value::as_bool) == Some(false)
    {
        return Err(ApiError::invalid(vec![FieldError::new(
            "version",
            "cgu_version",
            "Acceptez la version en vigueur des conditions d'utilisation.",
        )])
        .with("cgu_version", CGU_VERSION));
    }
    let expected = c.account.version;
    c.account.cgu_version = Some(CGU_VERSION.to_owned());
    c.account.version += 1;
    app.partners
        .save_account(&c.account, expected)
        .await
        .map_err(conflict)?;
    Ok(json(StatusCode::OK, &account_view(&c.account)))
}

async fn change_password(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut c = partner(app, req, false).await?;
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
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "Le mot de passe actuel est incorrect.",
        ));
    }
    if current == new {
        return Err(ApiError::invalid(vec![FieldError::new(
            "new_password",
            "password_reused",
            "Choisissez un mot de passe différent de l'actuel.",
        )]));
    }
    let expected = c.account.version;
    set_password(&mut c.account, new, "new_password")?;
    c.account.version += 1;
    app.partners
        .save_account(&c.account, expected)
        .await
        .map_err(conflict)?;
    Ok(json(
        StatusCode::OK,
        &json!({"password_changed": true, "next_renewal": c2s_domain::dates::format_date(add_months(today(), 3))}),
    ))
}

// ------------------------------------------------------------------ acting for a beneficiary

/// With the person's consent and the three answers of their letter, the partner opens their
/// renewal, or takes up the one already open, and then fills it through the beneficiary
/// routes with its own token.
async fn file_for(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, true).await?;
    let body = json_body(req)?;
    if body.get("consent").and_then(Value::as_bool) != Some(true) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "consent_required",
            "La personne doit avoir donné son accord pour que vous agissiez pour elle.",
        ));
    }
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    let profile = credentials::check_letter(
        &app.beneficiaries,
        &app.limiter,
        &app.hasher,
        field("nir"),
        field("birth_date"),
        field("renewal_code"),
    )
    .await?;
    let day = today();
    if !c
        .org
        .conventions
        .iter()
        .any(|cv| cv.caisse == profile.caisse && cv.active_on(day))
    {
        return Err(c2s_platform::access::convention_ended());
    }
    let filed_by = FiledBy {
        partner_id: c.org.partner_id.clone(),
        partner_name: c.org.name.clone(),
        account_id: c.account.account_id.clone(),
        consent_at: OffsetDateTime::now_utc(),
    };
    let guardian = profile.guardian_partner_id.as_deref() == Some(c.org.partner_id.as_str());
    let vis = ::renewal::Visibility {
        history: true,
        amounts: guardian,
    };
    if let Some(open) = app
        .beneficiaries
        .open_renewal(&profile.nir_hash)
        .await
        .map_err(ApiError::internal)?
    {
        let (mut r, docs) = app
            .renewals
            .load(&open)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(ApiError::not_found)?;
        let expected = r.version;
        r.filed_by = Some(filed_by);
        r.filed_partner = Some(c.org.partner_id.clone());
        r.version += 1;
        r.updated_at = OffsetDateTime::now_utc();
        app.renewals.save(&r, expected).await.map_err(conflict)?;
        tracing::info!(outcome = "taken_up", "partner files for a beneficiary");
        return Ok(json(StatusCode::OK, &::renewal::view(&r, &docs, vis)));
    }
    let opens = opens_on(profile.css_end_date);
    if day < opens {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_early",
            "Le renouvellement ne peut être demandé qu'à partir de 4 mois avant la fin des droits.",
        )
        .with("opens_on", c2s_domain::dates::format_date(opens)));
    }
    let mut r = new_draft(&profile, day, ActorKind::Partner)
        .ok_or_else(|| ApiError::internal("stored name unreadable"))?;
    r.filed_by = Some(filed_by);
    r.filed_partner = Some(c.org.partner_id.clone());
    match app.renewals.create(&r).await {
        Ok(()) => {
            tracing::info!(outcome = "created", "partner files for a beneficiary");
            Ok(json(StatusCode::CREATED, &::renewal::view(&r, &[], vis)))
        }
        Err(CreateError::AlreadyOpen) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "renewal_already_open",
            "Une demande vient d'être ouverte pour cette personne ; réessayez pour la reprendre.",
        )),
        Err(CreateError::Store(e)) => Err(ApiError::internal(e)),
    }
}

/// The organisation's requests and their statuses; never an amount.
async fn requests(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, true).await?;
    let renewals = app
        .renewals
        .filed_by(&c.org.partner_id)
        .await
        .map_err(ApiError::internal)?;
    let items: Vec<Value> = renewals
        .iter()
        .map(|r| {
            json!({
                "type": "renewal", "id": r.id, "status": r.status,
                "created_at": c2s_domain::dates::format_instant(r.created_at), "updated_at": c2s_domain::dates::format_instant(r.updated_at),
                "beneficiary": {"first_name": r.applicant.first_name, "last_name": r.applicant.last_name},
                "filed_by": r.filed_by.as_ref().map(|f| &f.account_id), "receipt": r.receipt.as_ref().map(|x| &x.number),
            })
        })
        .collect();
    let mut items = items;
    for r in app
        .partners
        .requests_of(&c.org.partner_id)
        .await
        .map_err(ApiError::internal)?
    {
        items.push(request_view(&r));
    }
    Ok(json(StatusCode::OK, &json!({"items": items})))
}

// ------------------------------------------------------------------ signalements and requests

pub const MOTIVES: &[&str] = &[
    "renewal_help",
    "documents_missing",
    "no_answer",
    "rights_interrupted",
    "payment_issue",
    "contact_change",
    "language_barrier",
    "other",
];

fn request_view(r: &RequestRecord) -> Value {
    json!({
        "type": r.kind, "id": r.request_id, "request_id": r.request_id, "status": r.status, "caisse": r.req_caisse,
        "civility": r.civility, "last_name": r.last_name, "first_name": r.first_name,
        "birth_date": c2s_domain::dates::format_date(r.birth_date), "department": r.department, "motive": r.motive,
        "comment": r.comment, "answer": r.answer, "partner_id": r.partner_id, "partner_name": r.partner_name,
        "created_at": c2s_domain::dates::format_instant(r.created_at),
    })
}

/// A signalement (`kind` absent) or another request (`kind`: appointment or document). The
/// person is identified by civility, names, birth date and department; no field may hold a
/// NIR; health terms in the comment are refused unless the author confirms.
async fn new_request(
    app: &App,
    req: &Request,
    other: Option<()>,
) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, true).await?;
    let body = json_body(req)?;
    // Which fields hold something shaped like a NIR (never the value itself).
    let with_nir: Vec<FieldError> = body
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| {
            v.as_str().is_some_and(c2s_domain::text::contains_nir_like)
                || v.as_u64()
                    .is_some_and(|n| c2s_domain::text::contains_nir_like(&n.to_string()))
        })
        .map(|(k, _)| {
            FieldError::new(
                k.clone(),
                "nir_not_allowed",
                "Retirez le numéro de sécurité sociale de ce champ.",
            )
        })
        .collect();
    if !with_nir.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "nir_not_allowed", "Le numéro de sécurité sociale ne doit figurer nulle part : identifiez la personne par sa civilité, ses nom et prénom, sa date de naissance et son département.").with("fields", with_nir));
    }
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_owned()
    };
    let mut errors = Vec::new();
    let kind = match other {
        None => "signalement".to_owned(),
        Some(()) => match text("kind").as_str() {
            k @ ("appointment" | "document") => k.to_owned(),
            _ => {
                errors.push(FieldError::new(
                    "kind",
                    "invalid_enum",
                    "Le type de demande doit être appointment ou document.",
                ));
                String::new()
            }
        },
    };
    let civility = match text("civility").to_lowercase().as_str() {
        "madame" | "mme" => "madame",
        "monsieur" | "m" | "m." => "monsieur",
        _ => {
            errors.push(FieldError::new(
                "civility",
                "invalid_enum",
                "La civilité doit être madame ou monsieur.",
            ));
            ""
        }
    };
    let last = Name::parse(&text("last_name"));
    let first = Name::parse(&text("first_name"));
    if last.is_none() {
        errors.push(FieldError::new(
            "last_name",
            "invalid_name",
            "Indiquez le nom, en lettres.",
        ));
    }
    if first.is_none() {
        errors.push(FieldError::new(
            "first_name",
            "invalid_name",
            "Indiquez le prénom, en lettres.",
        ));
    }
    let birth = parse_date(&text("birth_date"))
        .ok()
        .filter(|d| *d <= today() && d.year() >= 1890);
    if birth.is_none() {
        errors.push(FieldError::new(
            "birth_date",
            "invalid_date",
            "Indiquez une date de naissance réelle, au format AAAA-MM-JJ.",
        ));
    }
    let department = text("department").to_uppercase();
    let department_ok = matches!(department.len(), 2 | 3)
        && (department.bytes().all(|b| b.is_ascii_digit())
            || department == "2A"
            || department == "2B");
    if !department_ok {
        errors.push(FieldError::new(
            "department",
            "invalid_department",
            "Indiquez le département (deux ou trois chiffres, 2A, 2B).",
        ));
    }
    let motive = text("motive");
    if kind == "signalement" && !MOTIVES.contains(&motive.as_str()) {
        errors.push(FieldError::new(
            "motive",
            "invalid_enum",
            "Choisissez un motif dans la liste.",
        ));
    }
    let comment = text("comment");
    if comment.chars().count() > 1000 {
        errors.push(FieldError::new(
            "comment",
            "too_long",
            "Le commentaire est limité à 1000 caractères.",
        ));
    }
    let caisses = c2s_domain::partner::active_caisses(&c.org.conventions, today());
    let caisse = match body.get("caisse").and_then(Value::as_str) {
        Some(cs) if caisses.iter().any(|x| x == cs) => Some(cs.to_owned()),
        Some(_) => {
            errors.push(FieldError::new(
                "caisse",
                "no_convention",
                "Votre organisme n'a pas de convention en vigueur avec cette caisse.",
            ));
            None
        }
        None => caisses.first().cloned(),
    };
    let (Some(last), Some(first), Some(birth_date), Some(caisse)) = (last, first, birth, caisse)
    else {
        if errors.is_empty() {
            return Err(c2s_platform::access::convention_ended());
        }
        return Err(ApiError::invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let terms = c2s_domain::text::health_terms(&comment);
    if !terms.is_empty() && body.get("confirm").and_then(Value::as_bool) != Some(true) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "health_data", "Le commentaire semble contenir des informations de santé, qui n'ont pas leur place ici. Retirez-les, ou confirmez qu'elles sont nécessaires.").with("terms", terms));
    }
    let record = RequestRecord {
        request_id: format!(
            "{}.{}",
            c.org.partner_id,
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ),
        partner_id: c.org.partner_id.clone(),
        partner_name: c.org.name.clone(),
        kind,
        req_caisse: caisse,
        civility: civility.to_owned(),
        last_name: last.as_str().to_owned(),
        first_name: first.as_str().to_owned(),
        birth_date,
        department,
        motive,
        comment,
        status: "open".to_owned(),
        answer: None,
        answered_by: None,
        created_by: c.account.account_id.clone(),
        created_at: OffsetDateTime::now_utc(),
        version: 1,
    };
    app.partners
        .put_request(&record, None)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(kind = %record.kind, "partner demand recorded");
    let mut v = request_view(&record);
    if record.kind == "document" {
        v["delivery"] = json!("Le document sera envoyé à l'adresse de la personne connue de la caisse, jamais au partenaire.");
    }
    Ok(json(StatusCode::CREATED, &v))
}

async fn caisse_agent(app: &App, req: &Request) -> Result<AgentClaims, ApiError> {
    let token = bearer(req).ok_or_else(ApiError::unauthenticated)?;
    let claims = app
        .agents
        .verify(token)
        .await
        .ok_or_else(ApiError::unauthenticated)?;
    if !claims.has_any(&[Role::Instructeur, Role::Superviseur]) {
        return Err(ApiError::forbidden());
    }
    Ok(claims)
}

async fn agent_reports(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = caisse_agent(app, req).await?;
    let items = app
        .partners
        .requests_to(&claims.caisse)
        .await
        .map_err(ApiError::internal)?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": items.iter().map(request_view).collect::<Vec<_>>()}),
    ))
}

async fn agent_answer(app: &App, req: &Request, rid: &str) -> Result<Response<Body>, ApiError> {
    let claims = caisse_agent(app, req).await?;
    let mut r = match app
        .partners
        .request(rid)
        .await
        .map_err(ApiError::internal)?
    {
        Some(r) if r.req_caisse == claims.caisse => r,
        _ => return Err(ApiError::not_found()),
    };
    let body = json_body(req)?;
    let answer = body
        .get("answer")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if answer.is_empty() || answer.chars().count() > 2000 {
        return Err(ApiError::invalid(vec![FieldError::new(
            "answer",
            "invalid_length",
            "La réponse est vide ou trop longue.",
        )]));
    }
    if c2s_domain::text::contains_nir_like(&answer) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nir_not_allowed",
            "Un numéro de sécurité sociale ne doit pas figurer dans la réponse.",
        ));
    }
    let status = match body.get("status").and_then(Value::as_str) {
        None => "answered",
        Some(s @ ("answered" | "closed")) => s,
        Some(_) => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "status",
                "invalid_enum",
                "Le statut doit être answered ou closed.",
            )]))
        }
    };
    let expected = r.version;
    r.answer = Some(answer);
    r.answered_by = Some(claims.sub.clone());
    r.status = status.to_owned();
    r.version += 1;
    app.partners
        .put_request(&r, Some(expected))
        .await
        .map_err(conflict)?;
    Ok(json(StatusCode::OK, &request_view(&r)))
}
