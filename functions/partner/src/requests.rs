//! Signalements and other requests a partner sends to the caisse.

use crate::callers::{partner, Gate};
use crate::App;
use c2s_api::{json, json_body, ApiError, Code};
use c2s_domain::dates::parse_date;
use c2s_domain::text::Name;
use c2s_domain::FieldError;
use c2s_platform::clock::today;
use c2s_platform::partners::RequestRecord;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

pub(crate) const MOTIVES: &[&str] = &[
    "renewal_help",
    "documents_missing",
    "no_answer",
    "rights_interrupted",
    "payment_issue",
    "contact_change",
    "language_barrier",
    "other",
];

pub(crate) fn request_view(r: &RequestRecord) -> Value {
    json!({
        "type": r.kind, "id": r.request_id, "request_id": r.request_id, "status": r.status, "caisse": r.req_caisse,
        "civility": r.civility, "last_name": r.last_name, "first_name": r.first_name,
        "birth_date": c2s_domain::dates::format_date(r.birth_date), "department": r.department, "motive": r.motive,
        "comment": r.comment, "answer": r.answer, "partner_id": r.partner_id, "partner_name": r.partner_name,
        "created_at": c2s_domain::dates::format_instant(r.created_at),
    })
}

/// Handles `POST /api/partner/reports` and `POST /api/partner/requests`.
///
/// A signalement (`kind` absent) or another request (`kind`: appointment or document). The
/// person is identified by civility, names, birth date and department; no field may hold a
/// NIR; health terms in the comment are refused unless the author confirms.
pub(crate) async fn new_request(
    app: &App,
    req: &Request,
    other: Option<()>,
) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
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
        return Err(Code::NirNotAllowed.with_message("Le numéro de sécurité sociale ne doit figurer nulle part : identifiez la personne par sa civilité, ses nom et prénom, sa date de naissance et son département.").with("fields", with_nir));
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
            return Err(c2s_api::access::convention_ended());
        }
        return Err(ApiError::invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let terms = c2s_domain::text::health_terms(&comment);
    if !terms.is_empty() && body.get("confirm").and_then(Value::as_bool) != Some(true) {
        return Err(ApiError::from(Code::HealthData).with("terms", terms));
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
    app.partners.create_request(&record).await?;
    tracing::info!(kind = %record.kind, "partner demand recorded");
    let mut v = request_view(&record);
    if record.kind == "document" {
        v["delivery"] = json!("Le document sera envoyé à l'adresse de la personne connue de la caisse, jamais au partenaire.");
    }
    Ok(json(StatusCode::CREATED, &v))
}
