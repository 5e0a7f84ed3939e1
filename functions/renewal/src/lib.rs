//! `renewal`: a beneficiary's renewal request: start, read, fill, submit, withdraw.
//!
//! Each write checks the stored `version` (optimistic locking); each status change lands in
//! the history. Someone else's renewal answers 404, as if it did not exist.

use c2s_domain::dates::{format_date, reference_period};
use c2s_domain::document::DocumentStatus;
use c2s_domain::eligibility::{self, EstimateError, Parameters};
use c2s_domain::renewal::{
    self, missing, opens_on, ActorKind, DocumentState, HistoryEntry, Status, Update,
};
use c2s_platform::access::{self, Viewer};
use c2s_platform::auth;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::http::{finish, json, json_body, method_not_allowed, segments, ApiError};
use c2s_platform::partners::PartnerStore;
use c2s_platform::renewals::{
    new_draft, CreateError, DocumentRecord, Receipt, RenewalRecord, RenewalStore,
};
use c2s_platform::store::StoreError;
use c2s_platform::tokens::{BeneficiaryClaims, TokenVerifier};
use c2s_platform::{ConfigError, Env};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

pub struct App {
    partners: PartnerStore,
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    verifier: TokenVerifier,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        let beneficiaries =
            BeneficiaryStore::new(clients.dynamo.clone(), env.require("BENEFICIARIES_TABLE")?);
        Ok(App {
            partners: PartnerStore::new(clients.dynamo.clone(), env.require("PARTNERS_TABLE")?),
            renewals: RenewalStore::new(
                clients.dynamo.clone(),
                env.require("RENEWALS_TABLE")?,
                &beneficiaries,
            ),
            beneficiaries,
            verifier: TokenVerifier::from_env(env)?,
        })
    }
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let segs = segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method(), segs.as_slice()) {
        (&Method::POST, ["api", "renewals"]) => {
            finish("POST /api/renewals", create(app, &req).await)
        }
        (&Method::GET, ["api", "renewals", id]) => {
            finish("GET /api/renewals/{id}", read(app, &req, id).await)
        }
        (&Method::PUT, ["api", "renewals", id]) => {
            finish("PUT /api/renewals/{id}", update(app, &req, id).await)
        }
        (&Method::POST, ["api", "renewals", id, "submit"]) => finish(
            "POST /api/renewals/{id}/submit",
            submit(app, &req, id).await,
        ),
        (&Method::POST, ["api", "renewals", id, "withdraw"]) => finish(
            "POST /api/renewals/{id}/withdraw",
            withdraw(app, &req, id).await,
        ),
        _ => finish("renewal", Err(method_not_allowed())),
    }
}

fn version_conflict() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "version_conflict",
        "Cette demande a été modifiée entre-temps. Rechargez-la avant de continuer.",
    )
}

fn not_editable() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_editable",
        "Cette demande ne peut plus être modifiée dans son état actuel.",
    )
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict => version_conflict(),
        other => ApiError::internal(other),
    }
}

async fn profile(app: &App, claims: &BeneficiaryClaims) -> Result<Profile, ApiError> {
    app.beneficiaries
        .profile(&claims.sub)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::unauthenticated)
}

/// The caller's renewal, or 404 whether it is missing or someone else's.
async fn own(
    app: &App,
    claims: &BeneficiaryClaims,
    id: &str,
) -> Result<(RenewalRecord, Vec<DocumentRecord>, Viewer), ApiError> {
    access::renewal_for(&app.renewals, &app.partners, claims, id, auth::today()).await
}

/// What this caller may see: the history from level 2 or for the filing partner; amounts
/// from level 2, or for a partner named legal guardian on the beneficiary's record.
async fn visibility(app: &App, r: &RenewalRecord, viewer: &Viewer) -> Result<Visibility, ApiError> {
    Ok(match viewer {
        Viewer::Beneficiary { level } => Visibility {
            history: *level >= 2,
            amounts: *level >= 2,
        },
        Viewer::Partner { partner_id } => {
            let profile = app
                .beneficiaries
                .profile(&r.nir_hash)
                .await
                .map_err(ApiError::internal)?;
            let guardian = profile
                .and_then(|p| p.guardian_partner_id)
                .is_some_and(|g| &g == partner_id);
            Visibility {
                history: true,
                amounts: guardian,
            }
        }
    })
}

async fn create(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = auth::beneficiary(req, &app.verifier)?;
    if claims.partner_id.is_some() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "use_partner_route", "Un partenaire ouvre une demande avec le consentement de la personne : POST /api/partner/renewals."));
    }
    let profile = profile(app, &claims).await?;
    let today = auth::today();
    let opens = opens_on(profile.css_end_date);
    if today < opens {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_early", "Le renouvellement ne peut être demandé qu'à partir de 4 mois avant la fin de vos droits.").with("opens_on", format_date(opens)));
    }
    let record = new_draft(&profile, today, ActorKind::Beneficiary)
        .ok_or_else(|| ApiError::internal("stored name unreadable"))?;
    match app.renewals.create(&record).await {
        Ok(()) => {
            tracing::info!(outcome = "created", "renewal created");
            Ok(json(
                StatusCode::CREATED,
                &view(
                    &record,
                    &[],
                    Visibility {
                        history: claims.level >= 2,
                        amounts: claims.level >= 2,
                    },
                ),
            ))
        }
        Err(CreateError::AlreadyOpen) => {
            let open = app
                .beneficiaries
                .open_renewal(&claims.sub)
                .await
                .map_err(ApiError::internal)?;
            Err(ApiError::new(
                StatusCode::CONFLICT,
                "renewal_already_open",
                "Une demande de renouvellement est déjà en cours.",
            )
            .with("open_renewal_id", open))
        }
        Err(CreateError::Store(e)) => Err(ApiError::internal(e)),
    }
}

async fn read(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = auth::beneficiary(req, &app.verifier)?;
    let (r, docs, viewer) = own(app, &claims, id).await?;
    Ok(json(
        StatusCode::OK,
        &view(&r, &docs, visibility(app, &r, &viewer).await?),
    ))
}

async fn update(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = auth::beneficiary(req, &app.verifier)?;
    let body = json_body(req)?;
    let (mut r, docs, viewer) = own(app, &claims, id).await?;
    if !r.status.is_editable() {
        return Err(not_editable());
    }
    let update =
        Update::parse(&body, &r.applicant, &r.form, r.request_day).map_err(ApiError::invalid)?;
    if update.version != r.version {
        return Err(version_conflict());
    }
    let expected = r.version;
    update.apply(&mut r.form);
    r.version += 1;
    r.updated_at = OffsetDateTime::now_utc();
    app.renewals.save(&r, expected).await.map_err(store_error)?;
    tracing::info!(outcome = "updated", "renewal updated");
    Ok(json(
        StatusCode::OK,
        &view(&r, &docs, visibility(app, &r, &viewer).await?),
    ))
}

async fn submit(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = auth::beneficiary(req, &app.verifier)?;
    let (mut r, docs, viewer) = own(app, &claims, id).await?;
    // A resent submit after success answers as the first one did.
    if r.status == Status::Submitted {
        return Ok(json(
            StatusCode::OK,
            &view(&r, &docs, visibility(app, &r, &viewer).await?),
        ));
    }
    if !r.status.can_become(Status::Submitted) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            "Cette demande ne peut pas être envoyée dans son état actuel.",
        ));
    }
    let still_missing = missing(&r.form, &document_states(&docs), &r.requested_documents);
    if !still_missing.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "incomplete",
            "La demande est incomplète.",
        )
        .with("missing", still_missing));
    }
    let now = OffsetDateTime::now_utc();
    let expected = r.version;
    r.status = Status::Submitted;
    r.version += 1;
    r.updated_at = now;
    r.history.push(HistoryEntry {
        status: Status::Submitted,
        at: now,
        actor: viewer.actor(),
    });
    let number = r
        .receipt
        .as_ref()
        .map(|x| x.number.clone())
        .unwrap_or_else(|| renewal::receipt_number(&r.id, now));
    r.receipt = Some(Receipt {
        number,
        submitted_at: now,
    });
    r.requested_documents.clear();
    r.requested_message = None;
    r.mark_complete(auth::today());
    app.renewals.save(&r, expected).await.map_err(store_error)?;
    tracing::info!(outcome = "submitted", "renewal submitted");
    Ok(json(
        StatusCode::OK,
        &view(&r, &docs, visibility(app, &r, &viewer).await?),
    ))
}

async fn withdraw(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = auth::beneficiary(req, &app.verifier)?;
    let (mut r, docs, viewer) = own(app, &claims, id).await?;
    if r.status == Status::Withdrawn {
        return Ok(json(
            StatusCode::OK,
            &view(&r, &docs, visibility(app, &r, &viewer).await?),
        ));
    }
    if !r.status.can_become(Status::Withdrawn) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_decided",
            "Une décision a déjà été prise : la demande ne peut plus être retirée.",
        ));
    }
    let now = OffsetDateTime::now_utc();
    let expected = r.version;
    r.status = Status::Withdrawn;
    r.version += 1;
    r.updated_at = now;
    r.history.push(HistoryEntry {
        status: Status::Withdrawn,
        at: now,
        actor: viewer.actor(),
    });
    app.renewals.save(&r, expected).await.map_err(store_error)?;
    tracing::info!(outcome = "withdrawn", "renewal withdrawn");
    Ok(json(
        StatusCode::OK,
        &view(&r, &docs, visibility(app, &r, &viewer).await?),
    ))
}

pub fn document_states(docs: &[DocumentRecord]) -> Vec<DocumentState> {
    docs.iter()
        .map(|d| DocumentState {
            kind: d.kind,
            status: d.status,
        })
        .collect()
}

pub fn document_view(d: &DocumentRecord) -> Value {
    json!({
        "document_id": d.document_id,
        "kind": d.kind,
        "filename": d.filename,
        "content_type": d.content_type,
        "size": d.size,
        "status": d.status,
        "reject_reason": d.reject_reason,
        "reject_message": d.reject_reason.map(|r| r.message()),
        "created_at": d.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    })
}

/// What the beneficiary (or a partner acting for them) sees. Level 2 adds the history and
/// the decision.
/// What a caller may see of a renewal.
#[derive(Debug, Clone, Copy)]
pub struct Visibility {
    pub history: bool,
    pub amounts: bool,
}

pub fn view(r: &RenewalRecord, docs: &[DocumentRecord], vis: Visibility) -> Value {
    let period = reference_period(r.request_day);
    let visible: Vec<&DocumentRecord> = docs
        .iter()
        .filter(|d| d.status != DocumentStatus::Rejected || r.status.is_editable())
        .collect();
    let mut v = json!({
        "id": r.id,
        "status": r.status,
        "version": r.version,
        "created_at": rfc3339(r.created_at),
        "updated_at": rfc3339(r.updated_at),
        "css_end_date": format_date(r.css_end_date),
        "reference_period": period,
        "household": r.form.household.as_ref().unwrap_or(&r.suggested_household),
        "household_confirmed": r.form.household.is_some(),
        "resources": r.form.resources.clone().unwrap_or_default(),
        "resources_declared": r.form.resources.is_some(),
        "housing": r.form.housing,
        "manager": r.form.manager,
        "documents": visible.iter().map(|d| document_view(d)).collect::<Vec<_>>(),
        "requested_documents": r.requested_documents,
        "requested_message": r.requested_message,
        "missing": missing(&r.form, &document_states(docs), &r.requested_documents),
        "receipt": r.receipt,
        "filed_by": r.filed_by.as_ref().map(|f| json!({"partner_id": f.partner_id, "partner_name": f.partner_name, "consent_at": c2s_domain::dates::format_instant(f.consent_at)})),
    });
    if vis.history {
        v["history"] = json!(r.history);
        // Without amounts: the outcome and the dates, never the participation.
        v["decision"] = json!(r.decision.as_ref().map(|d| json!({"outcome": d.outcome, "reason_code": d.reason_code, "rights_start": d.rights_start.map(format_date), "rights_end": d.rights_end.map(format_date)})));
    }
    if vis.amounts {
        v["decision"] = json!(r.decision);
        v["estimate"] = estimate_view(r);
    }
    v
}

/// What the engine says of the form as it stands (amounts: level 2 only). `null` until
/// household, resources and housing are given.
pub fn estimate_view(r: &RenewalRecord) -> Value {
    let Some(situation) = r
        .territory
        .and_then(|t| renewal::situation(&r.form, t, r.request_day))
    else {
        return Value::Null;
    };
    match Parameters::builtin().map(|p| eligibility::estimate(p, &situation)) {
        Ok(Ok(e)) => json!(e),
        Ok(Err(EstimateError::ParametersUnknown)) => json!({"outcome": "parameters_unknown"}),
        Ok(Err(_)) => Value::Null,
        Err(e) => {
            tracing::error!(error = %e, "eligibility parameters unreadable");
            Value::Null
        }
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
