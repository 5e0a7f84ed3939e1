//! Signalements and other requests a partner sends to the caisse.

use crate::callers::{partner, Gate};
use crate::App;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::partner::{active_caisses, catalogue, NewRequest, RequestKind, RequestRefusal};
use c2s_platform::clock::today;
use c2s_platform::partners::RequestRecord;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Handles `GET /api/partner/catalogue`: annex 3's motives by kind of request, for any
/// partner account.
pub(crate) async fn catalogue(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    partner(app, req, Gate::Enforce).await?;
    let mut v = serde_json::Map::new();
    for (kind, motives) in catalogue::KINDS {
        let items: Vec<Value> = motives
            .iter()
            .map(|m| json!({"code": m.code, "label": m.label}))
            .collect();
        v.insert((*kind).to_owned(), Value::Array(items));
    }
    Ok(json(StatusCode::OK, &Value::Object(v)))
}

pub(crate) fn request_view(r: &RequestRecord) -> Value {
    // A contact is about the partnership: no person.
    let person = |v: &str| (r.birth_date.is_some()).then(|| v.to_owned());
    json!({
        "type": r.kind, "id": r.request_id, "request_id": r.request_id, "status": r.status, "caisse": r.req_caisse,
        "civility": person(&r.civility), "last_name": person(&r.last_name), "first_name": person(&r.first_name),
        "birth_date": r.birth_date.map(c2s_domain::dates::format_date), "department": person(&r.department), "motive": r.motive,
        "motive_label": catalogue::label(&r.kind, &r.motive), "urgent": r.urgent, "comment": r.comment, "answer": r.answer, "partner_id": r.partner_id, "partner_name": r.partner_name,
        "created_at": c2s_domain::dates::format_instant(r.created_at),
    })
}

/// The answer to a refused body, as the route gave it before the rules moved to the domain.
fn refusal(r: RequestRefusal) -> ApiError {
    match r {
        RequestRefusal::NirInFields(fields) => Code::NirNotAllowed.with_message("Le numéro de sécurité sociale ne doit figurer nulle part : identifiez la personne par sa civilité, ses nom et prénom, sa date de naissance et son département.").with("fields", fields),
        RequestRefusal::InvalidMotive(fields) => ApiError::from(Code::InvalidMotive).with("fields", fields),
        RequestRefusal::Invalid(fields) => ApiError::invalid(fields),
        RequestRefusal::CaisseRequired(caisses) => ApiError::from(Code::CaisseRequired).with("caisses", caisses),
        RequestRefusal::NoConvention => c2s_api::access::convention_ended(),
        RequestRefusal::HealthTerms(terms) => ApiError::from(Code::HealthData).with("terms", terms),
    }
}

/// Handles `POST /api/partner/reports` and `POST /api/partner/requests`.
///
/// A signalement, or another request (`kind` in the body: contact, document, appointment or
/// dossier), its motive from the catalogue; the rules on the body are `NewRequest::parse`'s.
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
    let person = new.person.as_ref();
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
        civility: person.map(|p| p.civility.clone()).unwrap_or_default(),
        last_name: person.map(|p| p.last_name.clone()).unwrap_or_default(),
        first_name: person.map(|p| p.first_name.clone()).unwrap_or_default(),
        birth_date: person.map(|p| p.birth_date),
        department: person.map(|p| p.department.clone()).unwrap_or_default(),
        motive: new.motive,
        comment: new.comment,
        urgent: new.urgent,
        status: "open".to_owned(),
        answer: None,
        answered_by: None,
        answered_on: None,
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
