//! `renewal`: a beneficiary's renewal request: start, read, fill, submit, withdraw.
//!
//! Each write checks the stored `version` (optimistic locking); each status change lands in
//! the history. Someone else's renewal answers 404, as if it did not exist.

mod consent;
mod messages;

use c2s_api::access::{self, Viewer};
use c2s_api::callers;
use c2s_api::views::{document_states, view, Visibility};
use c2s_api::{json, json_body, ApiError, Code, ResultExt};
use c2s_domain::dates::format_date;
use c2s_domain::renewal::{self, missing, opens_on, ActorKind, Status, Update};
use c2s_domain::thread::Reader;
use c2s_platform::audit::AuditStore;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::clock::today;
use c2s_platform::partners::PartnerStore;
use c2s_platform::renewals::{
    new_draft, CreateError, DocumentRecord, Receipt, RenewalRecord, RenewalStore,
};
use c2s_platform::threads::{ThreadKey, ThreadStore};
use c2s_platform::tokens::{BeneficiaryClaims, TokenVerifier};
use c2s_platform::{ConfigError, Env};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use time::OffsetDateTime;

pub struct App {
    partners: PartnerStore,
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    verifier: TokenVerifier,
    threads: ThreadStore,
    /// The person's own actions that the caisse's trail records (a partner's access withdrawn).
    audit: AuditStore,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            partners: PartnerStore::from_env(env, clients)?,
            renewals: RenewalStore::from_env(env, clients)?,
            beneficiaries: BeneficiaryStore::from_env(env, clients)?,
            verifier: TokenVerifier::from_env(env)?,
            threads: ThreadStore::renewals(env, clients)?,
            audit: AuditStore::from_env(env, clients)?,
        })
    }
}

c2s_api::routes! {
    pub async fn handle(app: &App, req) as "renewal";
    POST ["api", "renewals"] => create(app, &req),
    GET ["api", "renewals", id] => read(app, &req, id),
    PUT ["api", "renewals", id] => update(app, &req, id),
    POST ["api", "renewals", id, "submit"] => submit(app, &req, id),
    POST ["api", "renewals", id, "withdraw"] => withdraw(app, &req, id),
    GET ["api", "renewals", id, "messages"] => messages::messages(app, &req, id),
    POST ["api", "renewals", id, "messages"] => messages::post_message(app, &req, id),
    POST ["api", "renewals", id, "revoke-partner"] => consent::revoke_partner(app, &req, id),
}

pub(crate) fn version_conflict() -> ApiError {
    Code::VersionConflict
        .with_message("Cette demande a été modifiée entre-temps. Rechargez-la avant de continuer.")
}

async fn profile(app: &App, claims: &BeneficiaryClaims) -> Result<Profile, ApiError> {
    app.beneficiaries
        .profile(&claims.sub)
        .await?
        .ok_or_else(ApiError::unauthenticated)
}

/// The caller's renewal, or 404 whether it is missing or someone else's.
pub(crate) async fn own(
    app: &App,
    claims: &BeneficiaryClaims,
    id: &str,
) -> Result<(RenewalRecord, Vec<DocumentRecord>, Viewer), ApiError> {
    access::renewal_for(&app.renewals, &app.partners, claims, id, today()).await
}

/// What this caller may see: the history from level 2 or for the filing partner; amounts
/// from level 2, or for a partner named legal guardian on the beneficiary's record.
pub(crate) async fn visibility(
    app: &App,
    r: &RenewalRecord,
    viewer: &Viewer,
) -> Result<Visibility, ApiError> {
    Ok(sight(app, r, viewer).await?.0)
}

/// What this caller may see of the file, and who it is as a reader of its conversation
/// (`c2s_domain::thread`): both follow the same levels and the same guardian rule.
pub(crate) async fn sight(
    app: &App,
    r: &RenewalRecord,
    viewer: &Viewer,
) -> Result<(Visibility, Reader), ApiError> {
    Ok(match viewer {
        Viewer::Beneficiary { level } => (
            Visibility {
                history: *level >= 2,
                amounts: *level >= 2,
                declared_amounts: true,
            },
            Reader::Beneficiary { level: *level },
        ),
        Viewer::Partner { partner_id } => {
            let guardian = guardian(app, r, partner_id).await?;
            (
                Visibility {
                    history: true,
                    amounts: guardian,
                    declared_amounts: guardian,
                },
                Reader::Partner {
                    partner_id: partner_id.clone(),
                    guardian,
                },
            )
        }
    })
}

/// Whether `partner_id` is named legal guardian on the beneficiary's record.
pub(crate) async fn guardian(
    app: &App,
    r: &RenewalRecord,
    partner_id: &str,
) -> Result<bool, ApiError> {
    let profile = app.beneficiaries.profile(&r.nir_hash).await?;
    Ok(profile
        .and_then(|p| p.guardian_partner_id)
        .is_some_and(|g| g == partner_id))
}

/// Handles `POST /api/renewals`.
async fn create(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    if claims.partner_id.is_some() {
        return Err(ApiError::from(Code::UsePartnerRoute));
    }
    let profile = profile(app, &claims).await?;
    let today = today();
    let opens = opens_on(profile.css_end_date);
    if today < opens {
        return Err(ApiError::from(Code::TooEarly).with("opens_on", format_date(opens)));
    }
    let mut record = new_draft(&profile, today, ActorKind::Beneficiary)
        .ok_or_else(|| ApiError::internal("stored name unreadable"))?;
    match app.renewals.create(&mut record).await {
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
                        declared_amounts: true,
                    },
                ),
            ))
        }
        Err(CreateError::AlreadyOpen) => {
            let open = app.beneficiaries.open_renewal(&claims.sub).await?;
            Err(ApiError::from(Code::RenewalAlreadyOpen).with("open_renewal_id", open))
        }
        Err(CreateError::Store(e)) => Err(e.into()),
    }
}

/// Handles `GET /api/renewals/{id}`: the renewal, and whether its conversation holds a
/// message this caller may read and has not (`unread_messages`).
async fn read(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let (r, docs, viewer) = own(app, &claims, id).await?;
    let (vis, reader) = sight(app, &r, &viewer).await?;
    let marks = app.threads.marks(&ThreadKey::Renewal(r.id.clone())).await?;
    let mut v = view(&r, &docs, vis);
    v["unread_messages"] = serde_json::json!(marks.unread_for(&reader));
    Ok(json(StatusCode::OK, &v))
}

/// Handles `PUT /api/renewals/{id}`.
async fn update(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let body = json_body(req)?;
    let (mut r, docs, viewer) = own(app, &claims, id).await?;
    if !r.status.is_editable() {
        return Err(Code::NotEditable.into());
    }
    let update =
        Update::parse(&body, &r.applicant, &r.form, r.request_day).map_err(ApiError::invalid)?;
    if update.version != r.version {
        return Err(version_conflict());
    }
    update.apply(&mut r.form);
    r.updated_at = OffsetDateTime::now_utc();
    app.renewals
        .save(&mut r)
        .await
        .on_conflict(version_conflict)?;
    tracing::info!(outcome = "updated", "renewal updated");
    Ok(json(
        StatusCode::OK,
        &view(&r, &docs, visibility(app, &r, &viewer).await?),
    ))
}

/// Handles `POST /api/renewals/{id}/submit`.
async fn submit(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let (mut r, docs, viewer) = own(app, &claims, id).await?;
    // A resent submit after success answers as the first one did.
    if r.status == Status::Submitted {
        return Ok(json(
            StatusCode::OK,
            &view(&r, &docs, visibility(app, &r, &viewer).await?),
        ));
    }
    let now = OffsetDateTime::now_utc();
    // The state first, then what is missing: a file that cannot be sent is not "incomplete".
    r.transition(Status::Submitted, viewer.actor(), now)
        .map_err(|_| ApiError::from(Code::InvalidTransition))?;
    let still_missing = missing(&r.form, &document_states(&docs), &r.requested_documents);
    if !still_missing.is_empty() {
        return Err(ApiError::from(Code::Incomplete).with("missing", still_missing));
    }
    r.updated_at = now;
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
    r.mark_complete(today());
    app.renewals
        .save(&mut r)
        .await
        .on_conflict(version_conflict)?;
    tracing::info!(outcome = "submitted", "renewal submitted");
    Ok(json(
        StatusCode::OK,
        &view(&r, &docs, visibility(app, &r, &viewer).await?),
    ))
}

/// Handles `POST /api/renewals/{id}/withdraw`.
async fn withdraw(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let (mut r, docs, viewer) = own(app, &claims, id).await?;
    if r.status == Status::Withdrawn {
        return Ok(json(
            StatusCode::OK,
            &view(&r, &docs, visibility(app, &r, &viewer).await?),
        ));
    }
    let now = OffsetDateTime::now_utc();
    r.transition(Status::Withdrawn, viewer.actor(), now)
        .map_err(|_| ApiError::from(Code::AlreadyDecided))?;
    r.updated_at = now;
    app.renewals
        .save(&mut r)
        .await
        .on_conflict(version_conflict)?;
    tracing::info!(outcome = "withdrawn", "renewal withdrawn");
    Ok(json(
        StatusCode::OK,
        &view(&r, &docs, visibility(app, &r, &viewer).await?),
    ))
}
