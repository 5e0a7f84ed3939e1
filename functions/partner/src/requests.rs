//! Signalements and other requests a partner sends to the caisse.

use crate::callers::{partner, Gate};
use crate::App;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::partner::{active_caisses, NewRequest, RequestKind, RequestRefusal};
use c2s_platform::clock::today;
use c2s_platform::partners::RequestRecord;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

pub(crate) fn request_view(r: &RequestRecord) -> Value {
    json!({
        "type": r.kind, "id": r.request_id, "request_id": r.request_id, "status": r.status, "caisse": r.req_caisse,
        "civility": r.civility, "last_name": r.last_name, "first_name": r.first_name,
        "birth_date": c2s_domain::dates::format_date(r.birth_date), "department": r.department, "motive": r.motive,
        "comment": r.comment, "answer": r.answer, "partner_id": r.partner_id, "partner_name": r.partner_name,
        "created_at": c2s_domain::dates::format_instant(r.created_at),
    })
}

/// The answer to a refused body, as the route gave it before the rules moved to the domain.
fn refusal(r: RequestRefusal) -> ApiError {
    match r {
        RequestRefusal::NirInFields(fields) => Code::NirNotAllowed.with_message("Le numéro de sécurité sociale ne doit figurer nulle part : identifiez la personne par sa civilité, ses nom et prénom, sa date de naissance et son département.").with("fields", fields),
        RequestRefusal::Invalid(fields) => ApiError::invalid(fields),
        RequestRefusal::NoConvention => c2s_api::access::convention_ended(),
        RequestRefusal::HealthTerms(terms) => ApiError::from(Code::HealthData).with("terms", terms),
    }
}

/// Handles `POST /api/partner/reports` and `POST /api/partner/requests`.
///
/// A signalement, or another request (`kind` in the body: appointment or document); the
/// rules on the body are `NewRequest::parse`'s.
pub(crate) async fn new_request(
    app: &App,
    req: &Request,
    kind: RequestKind,
) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    let body = json_body(req)?;
    let day = today();
    let caisses = active_caisses(&c.org.conventions, day);
    let new = NewRequest::parse(&body, kind, day, &caisses).map_err(refusal)?;
    let record = RequestRecord {
        request_id: format!(
            "{}.{}",
            c.org.partner_id,
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ),
        partner_id: c.org.partner_id.clone(),
        partner_name: c.org.name.clone(),
        kind: new.kind,
        req_caisse: new.caisse,
        civility: new.civility,
        last_name: new.last_name,
        first_name: new.first_name,
        birth_date: new.birth_date,
        department: new.department,
        motive: new.motive,
        comment: new.comment,
        status: "open".to_owned(),
        answer: None,
        answered_by: None,
        created_by: c.account.account_id.clone(),
        created_at: OffsetDateTime::now_utc(),
        version: 1,
    };
    app.partners.create_request(&record).await?;
    tracing::info!(kind = %record.kind, "partner demand recorded");
    let mut v = request_view(&record);
    if record.kind == "document" {
        v["delivery"] = json!("Le document sera envoyé à l'adresse de la personne connue de la caisse, jamais au partenaire.");
    }
    Ok(json(StatusCode::CREATED, &v))
}
