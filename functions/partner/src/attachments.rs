//! Attachments of a partner's request: announced like a renewal's documents
//! (`c2s_api::announcement`), uploaded through a presigned PUT bound to their type and size,
//! and checked by `document-check` (type, size, antivirus) before anyone may open them. The
//! organisation and the caisse's agents list them and download the version that was checked,
//! through a short-lived link asked for each time (an agent's list and each of its downloads
//! in the caisse's audit trail).

use crate::audited::{read, Trace};
use crate::callers::caisse_agent;
use crate::conversations::{org_request, org_request_with_body};
use crate::reports::own_request;
use crate::App;
use c2s_api::announcement::{announced, check_room, Announcement, UPLOAD_URL_VALIDITY};
use c2s_api::views::document_view;
use c2s_api::{json, ApiError, Code};
use c2s_domain::dates::format_instant;
use c2s_domain::document::DocumentKind;
use c2s_platform::partners::RequestRecord;
use c2s_platform::renewals::{request_owner, DocumentRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use std::time::Duration;

/// Download links, asked for at each opening, are valid this long.
const DOWNLOAD_URL_VALIDITY: Duration = Duration::from_secs(5 * 60);

/// Handles `POST /api/partner/requests/{rid}/attachments`.
pub(crate) async fn announce(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    // Only the organisation's own requests; any other is a 404.
    let (r, body) = org_request_with_body(app, req, rid).await?;
    let a = Announcement::parse(&body, Vec::new())?;
    let docs = attachments_of(app, &r).await?;
    check_room(&docs)?;
    let record = a.awaiting_upload(request_owner(&r.request_id), DocumentKind::Other);
    app.renewals.add_attachment(&record).await?;
    let upload = app
        .presigner
        .presign_upload(&app.documents_bucket, &record, UPLOAD_URL_VALIDITY)
        .await?;
    tracing::info!(outcome = "announced", "partner attachment announced");
    Ok(json(StatusCode::CREATED, &announced(&record, &upload)))
}

/// The request's attachments, oldest first, as `base` (the list's own path) names their
/// download route: only a clean one whose checked version was pinned can be downloaded.
fn list_view(docs: &[DocumentRecord], base: &str) -> Value {
    let items: Vec<Value> = docs
        .iter()
        .map(|d| {
            let mut v = document_view(d);
            if d.checked_version().is_some() {
                v["download_url"] = json!(format!("{base}/{}/download", d.document_id));
            }
            v
        })
        .collect();
    json!({ "items": items })
}

/// The request's attachments, oldest first (kept under its pseudo renewal `request_owner`).
pub(crate) async fn attachments_of(
    app: &App,
    r: &RequestRecord,
) -> Result<Vec<DocumentRecord>, ApiError> {
    Ok(app
        .renewals
        .documents_of(&request_owner(&r.request_id))
        .await?)
}

/// The attachment `doc` of the request, or 404.
async fn attachment(app: &App, r: &RequestRecord, doc: &str) -> Result<DocumentRecord, ApiError> {
    attachments_of(app, r)
        .await?
        .into_iter()
        .find(|d| d.document_id == doc)
        .ok_or_else(ApiError::not_found)
}

/// A short-lived link to the version of `d` that was checked; 409 `document_not_available`
/// for a document not (yet) clean.
async fn download_link(app: &App, d: &DocumentRecord) -> Result<Value, ApiError> {
    let Some(version) = d.checked_version() else {
        return Err(ApiError::from(Code::DocumentNotAvailable));
    };
    let url = app
        .presigner
        .presign_get(
            &app.documents_bucket,
            &d.object_key,
            version,
            &d.filename,
            DOWNLOAD_URL_VALIDITY,
        )
        .await?;
    Ok(json!({"download_url": url.url, "expires_at": format_instant(url.expires_at)}))
}

/// Handles `GET /api/partner/requests/{rid}/attachments`.
pub(crate) async fn partner_list(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let r = org_request(app, req, rid).await?;
    let docs = attachments_of(app, &r).await?;
    let base = format!("/api/partner/requests/{}/attachments", r.request_id);
    Ok(json(StatusCode::OK, &list_view(&docs, &base)))
}

/// Handles `GET /api/partner/requests/{rid}/attachments/{doc}/download`.
pub(crate) async fn partner_download(
    app: &App,
    req: &Request,
    rid: &str,
    doc: &str,
) -> Result<Response<Body>, ApiError> {
    let r = org_request(app, req, rid).await?;
    let d = attachment(app, &r, doc).await?;
    let link = download_link(app, &d).await?;
    tracing::info!(outcome = "download_link", "partner attachment download");
    Ok(json(StatusCode::OK, &link))
}

/// Handles `GET /api/agent/reports/{rid}/attachments`.
pub(crate) async fn agent_list(
    app: &App,
    req: &Request,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &caisse_agent(app, req).await?;
    let r = own_request(app, claims, rid).await?;
    let docs = attachments_of(app, &r).await?;
    read(
        app,
        &Trace::about(claims, "read_request_attachments", rid, &r.partner_id),
    )
    .await?;
    let base = format!("/api/agent/reports/{}/attachments", r.request_id);
    Ok(json(StatusCode::OK, &list_view(&docs, &base)))
}

/// Handles `GET /api/agent/reports/{rid}/attachments/{doc}/download`: each link handed out
/// is in the caisse's audit trail (`download_document`).
pub(crate) async fn agent_download(
    app: &App,
    req: &Request,
    rid: &str,
    doc: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &caisse_agent(app, req).await?;
    let r = own_request(app, claims, rid).await?;
    let d = attachment(app, &r, doc).await?;
    // Refused before it is traced: nothing was handed out.
    d.checked_version()
        .ok_or_else(|| ApiError::from(Code::DocumentNotAvailable))?;
    read(
        app,
        &Trace::about(claims, "download_document", &d.document_id, &r.partner_id),
    )
    .await?;
    Ok(json(StatusCode::OK, &download_link(app, &d).await?))
}
