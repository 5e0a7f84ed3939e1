//! `upload`: announce a supporting document and get a presigned PUT bound to its type and
//! size (5 minutes, once: `If-None-Match: *`), or remove one. The object key is made here,
//! never by the client; the `document-check` consumer checks what arrives before anyone can
//! open it.

use c2s_api::access;
/// How long an upload's presigned PUT may be used (the same for a partner's attachments).
pub use c2s_api::announcement::UPLOAD_URL_VALIDITY;
use c2s_api::announcement::{announced, check_room, Announcement};
use c2s_api::callers;
use c2s_api::ResultExt;
use c2s_api::{json, json_body, no_content, ApiError, Code};
use c2s_domain::document::DocumentKind;
use c2s_domain::FieldError;
use c2s_platform::aws::Clients;
use c2s_platform::clock::today;
use c2s_platform::objects::{Objects, Presigner};
use c2s_platform::partners::PartnerStore;
use c2s_platform::renewals::{DocumentRecord, RenewalRecord, RenewalStore};
use c2s_platform::tokens::{BeneficiaryClaims, TokenVerifier};
use c2s_platform::{ConfigError, Env};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

pub struct App {
    partners: PartnerStore,
    renewals: RenewalStore,
    objects: Objects,
    uploads: Presigner,
    bucket: String,
    verifier: TokenVerifier,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            partners: PartnerStore::from_env(env, clients)?,
            renewals: RenewalStore::from_env(env, clients)?,
            objects: Objects::from_env(env, clients),
            uploads: Presigner::from_env(env, clients),
            bucket: env.require("DOCUMENTS_BUCKET")?,
            verifier: TokenVerifier::from_env(env)?,
        })
    }
}

c2s_api::routes! {
    pub async fn handle(app: &App, req) as "upload";
    POST ["api", "renewals", id, "documents"] => announce(app, &req, id),
    DELETE ["api", "renewals", id, "documents", doc] => remove(app, &req, id, doc),
}

fn not_editable() -> ApiError {
    Code::NotEditable.with_message("Cette demande n'accepte plus de pièces dans son état actuel.")
}

async fn own(
    app: &App,
    claims: &BeneficiaryClaims,
    id: &str,
) -> Result<(RenewalRecord, Vec<DocumentRecord>), ApiError> {
    let (r, docs, _) =
        access::renewal_for(&app.renewals, &app.partners, claims, id, today()).await?;
    Ok((r, docs))
}

/// A renewal's document: its kind, and the file as any announced file.
struct Announced {
    kind: DocumentKind,
    file: Announcement,
}

fn parse(body: &Value) -> Result<Announced, ApiError> {
    let kind = body
        .get("kind")
        .and_then(Value::as_str)
        .and_then(DocumentKind::parse);
    let errors = match kind {
        Some(_) => Vec::new(),
        None => vec![FieldError::new(
            "kind",
            "invalid_enum",
            "Choisissez le type de pièce dans la liste.",
        )],
    };
    let file = Announcement::parse(body, errors)?;
    match kind {
        Some(kind) => Ok(Announced { kind, file }),
        None => Err(ApiError::invalid(Vec::new())),
    }
}

/// Handles `POST /api/renewals/{id}/documents`.
async fn announce(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let body = json_body(req)?;
    let (renewal, docs) = own(app, &claims, id).await?;
    if !renewal.status.is_editable() {
        return Err(not_editable());
    }
    let Announced { kind, file: a } = parse(&body)?;
    check_room(&docs)?;
    let record = a.awaiting_upload(renewal.id.clone(), kind);
    app.renewals
        .add_document(&record)
        .await
        .on_conflict(not_editable)?;
    let upload = app
        .uploads
        .presign_upload(&app.bucket, &record, UPLOAD_URL_VALIDITY)
        .await?;
    tracing::info!(outcome = "announced", "document announced");
    Ok(json(StatusCode::CREATED, &announced(&record, &upload)))
}

/// Handles `DELETE /api/renewals/{id}/documents/{doc}`.
async fn remove(app: &App, req: &Request, id: &str, doc: &str) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    let (renewal, docs) = own(app, &claims, id).await?;
    if !renewal.status.is_editable() {
        return Err(not_editable());
    }
    // Already gone: a resent DELETE succeeds.
    let Some(d) = docs.iter().find(|d| d.document_id == doc) else {
        return Ok(no_content());
    };
    // The record first: stopped in between, an object is left that nothing names (the
    // check deletes it if it comes back, the purge with its renewal), never a record naming
    // an object that is gone.
    app.renewals
        .delete_document(&renewal.id, &d.document_id)
        .await?;
    app.objects.delete(&app.bucket, &d.object_key).await?;
    tracing::info!(outcome = "deleted", "document deleted");
    Ok(no_content())
}
