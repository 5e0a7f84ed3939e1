//! `review`: the CPAM agents' back-office. Each caisse's queue, the whole file, claim,
//! request for documents, decision, private notes, the audit trail and data-subject access.
//!
//! Every action is traced in the audit chain, in the same transaction as the change it
//! records. A file of another caisse answers 404, as if it did not exist; a role that may not
//! act answers 403.

use c2s_domain::dates::format_date;
use c2s_domain::document::{DocumentKind, DocumentStatus};
use c2s_domain::eligibility::{self, EstimateError, Parameters};
use c2s_domain::renewal::{
    self, rights_period, ActorKind, Decision, DecisionOutcome, HistoryEntry, Status, REASON_CODES,
};
use c2s_domain::text::{contains_nir_like, health_terms};
use c2s_domain::{FieldError, Nir};
use c2s_platform::agents::{AgentClaims, AgentVerifier, Role};
use c2s_platform::audit::{Action, AuditEntry, AuditStore};
use c2s_platform::auth::today;
use c2s_platform::aws::Clients;
use c2s_platform::beneficiaries::BeneficiaryStore;
use c2s_platform::hashing::Hasher;
use c2s_platform::http::query;
use c2s_platform::http::{bearer, finish, json, json_body, method_not_allowed, segments, ApiError};
use c2s_platform::objects::Objects;
use c2s_platform::renewals::{
    AgentRef, DocumentRecord, NoteRecord, QueueError, RenewalRecord, RenewalStore,
};
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use std::time::Duration;
use time::OffsetDateTime;

const DOWNLOAD_VALIDITY: Duration = Duration::from_secs(5 * 60);
const PAGE: i32 = 50;
/// A file whose deadline is this close is flagged.
const NEAR_DEADLINE_DAYS: i64 = 10;

pub struct App {
    beneficiaries: BeneficiaryStore,
    renewals: RenewalStore,
    audit: AuditStore,
    objects: Objects,
    bucket: String,
    verifier: AgentVerifier,
    hasher: Hasher,
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
            audit: AuditStore::new(clients.dynamo.clone(), env.require("AUDIT_TABLE")?),
            objects: Objects::new(clients.s3.clone())
                .with_public_url(env.optional("OBJECTS_PUBLIC_URL")),
            bucket: env.require("DOCUMENTS_BUCKET")?,
            verifier: AgentVerifier::from_env(env)?,
            hasher: Hasher::from_env(env)?,
        })
    }
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let segs = segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method(), segs.as_slice()) {
        (&Method::GET, ["api", "agent", "renewals"]) => {
            finish("GET /api/agent/renewals", queue(app, &req).await)
        }
        (&Method::GET, ["api", "agent", "renewals", id]) => {
            finish("GET /api/agent/renewals/{id}", file(app, &req, id).await)
        }
        (&Method::POST, ["api", "agent", "renewals", id, "claim"]) => finish(
            "POST /api/agent/renewals/{id}/claim",
            claim(app, &req, id).await,
        ),
        (&Method::POST, ["api", "agent", "renewals", id, "request-documents"]) => finish(
            "POST /api/agent/renewals/{id}/request-documents",
            request_documents(app, &req, id).await,
        ),
        (&Method::POST, ["api", "agent", "renewals", id, "decision"]) => finish(
            "POST /api/agent/renewals/{id}/decision",
            decide(app, &req, id).await,
        ),
        (&Method::POST, ["api", "agent", "renewals", id, "notes"]) => finish(
            "POST /api/agent/renewals/{id}/notes",
            note(app, &req, id).await,
        ),
        (&Method::GET, ["api", "agent", "renewals", id, "documents", doc, "download"]) => finish(
            "GET /api/agent/renewals/{id}/documents/{doc}/download",
            download(app, &req, id, doc).await,
        ),
        (&Method::GET, ["api", "agent", "audit"]) => {
            finish("GET /api/agent/audit", audit(app, &req).await)
        }
        (&Method::POST, ["api", "agent", "rgpd", "access"]) => {
            finish("POST /api/agent/rgpd/access", access(app, &req).await)
        }
        _ => finish("review", Err(method_not_allowed())),
    }
}

// ------------------------------------------------------------------ who may do what

async fn agent(app: &App, req: &Request, roles: &[Role]) -> Result<AgentClaims, ApiError> {
    let token = bearer(req).ok_or_else(ApiError::unauthenticated)?;
    let claims = app
        .verifier
        .verify(token)
        .await
        .ok_or_else(ApiError::unauthenticated)?;
    if !claims.has_any(roles) {
        return Err(ApiError::forbidden());
    }
    Ok(claims)
}

/// A file of the agent's caisse that reached the agents (submitted at least once); anything
/// else is a 404, whether it exists or not.
async fn own_file(
    app: &App,
    claims: &AgentClaims,
    id: &str,
) -> Result<(RenewalRecord, Vec<DocumentRecord>), ApiError> {
    if id.len() > 64 {
        return Err(ApiError::not_found());
    }
    match app.renewals.load(id).await.map_err(ApiError::internal)? {
        Some((r, docs)) if r.caisse == claims.caisse && r.queue.is_some() => Ok((r, docs)),
        _ => Err(ApiError::not_found()),
    }
}

fn action<'a>(
    claims: &'a AgentClaims,
    name: &'a str,
    target: &'a str,
    r: Option<&'a RenewalRecord>,
) -> Action<'a> {
    Action {
        caisse: &claims.caisse,
        agent_id: &claims.sub,
        agent_name: &claims.name,
        action: name,
        target,
        renewal_id: r.map(|r| r.id.as_str()),
        subject: r.map(|r| r.nir_hash.as_str()),
    }
}

fn version_conflict() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "version_conflict",
        "Ce dossier a été modifié entre-temps. Rechargez-le avant de continuer.",
    )
}

fn required_version(body: &Value) -> Result<u64, ApiError> {
    body.get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::invalid(vec![FieldError::required("version")]))
}

/// Changes a file and appends its audit entry in one transaction. `change` sees the file as
/// stored and says what it becomes (or why not); a concurrent change to the file or to the
/// audit chain is retried from a fresh read, so the checks always see the latest state.
async fn change<F>(
    app: &App,
    claims: &AgentClaims,
    id: &str,
    name: &str,
    mut change: F,
) -> Result<(RenewalRecord, Vec<DocumentRecord>), ApiError>
where
    F: FnMut(&mut RenewalRecord) -> Result<(), ApiError>,
{
    for _ in 0..5 {
        let (mut r, docs) = own_file(app, claims, id).await?;
        let expected = r.version;
        change(&mut r)?;
        r.version = expected + 1;
        r.updated_at = OffsetDateTime::now_utc();
        let head = app
            .audit
            .head(&claims.caisse)
            .await
            .map_err(ApiError::internal)?;
        let entry = AuditStore::next(&head, &action(claims, name, &r.id, Some(&r)), r.updated_at);
        let audit = app.audit.put(&entry).map_err(ApiError::internal)?;
        match app.renewals.save_with(&r, expected, vec![audit]).await {
            Ok(()) => {
                tracing::info!(action = name, "agent action");
                return Ok((r, docs));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    Err(version_conflict())
}

// ------------------------------------------------------------------ views

fn deadline_state(r: &RenewalRecord) -> &'static str {
    match r.deadline {
        Some(d) if r.status.is_open() && d < today() => "late",
        Some(d) if r.status.is_open() && (d - today()).whole_days() <= NEAR_DEADLINE_DAYS => "near",
        _ => "ok",
    }
}

fn summary(r: &RenewalRecord) -> Value {
    json!({
        "id": r.id,
        "status": r.status,
        "version": r.version,
        "deadline": r.deadline.map(format_date),
        "deadline_state": deadline_state(r),
        "near_deadline": r.near_deadline,
        "accepted_by_silence": r.accepted_by_silence,
        "complete_on": r.complete_on.map(format_date),
        "receipt": r.receipt,
        "applicant": {"first_name": r.applicant.first_name, "last_name": r.applicant.last_name},
        "household_size": r.form.household.as_ref().map_or(1, Vec::len),
        "assigned_to": r.assigned_to,
        // For the dashboard's processing times: from the receipt to the decision.
        "decision": r.decision.as_ref().map(|d| json!({"outcome": d.outcome, "decided_at": d.decided_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()})),
    })
}

/// The engine's proposal on the file as it stands.
fn proposal(r: &RenewalRecord) -> Value {
    let Some(situation) = r
        .territory
        .and_then(|t| renewal::situation(&r.form, t, r.request_day))
    else {
        return Value::Null;
    };
    match Parameters::builtin().map(|p| eligibility::estimate(p, &situation)) {
        Ok(Ok(e)) => json!(e),
        Ok(Err(EstimateError::ParametersUnknown)) => json!({"outcome": "parameters_unknown"}),
        _ => Value::Null,
    }
}

async fn file_view(
    app: &App,
    r: &RenewalRecord,
    docs: &[DocumentRecord],
) -> Result<Value, ApiError> {
    let profile = app
        .beneficiaries
        .profile(&r.nir_hash)
        .await
        .map_err(ApiError::internal)?;
    let mut documents = Vec::new();
    for d in docs {
        let mut v = ::renewal::document_view(d);
        if d.status == DocumentStatus::Clean {
            let url = app
                .objects
                .presign_get(&app.bucket, &d.object_key, &d.filename, DOWNLOAD_VALIDITY)
                .await
                .map_err(ApiError::internal)?;
            v["download_url"] = json!(url.url);
            v["download_expires_at"] = json!(url
                .expires_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default());
        }
        documents.push(v);
    }
    let notes = app
        .renewals
        .notes(&r.id)
        .await
        .map_err(ApiError::internal)?;
    let identity = profile.map(|p| {
        json!({
            "first_name": p.first_name, "last_name": p.last_name, "birth_date": format_date(p.birth_date),
            "masked_nir": Nir::parse(&p.nir).map(|n| n.masked()).unwrap_or_default(),
            "address": p.address, "email": p.email, "phone": p.phone, "territory": p.territory, "css_end_date": format_date(p.css_end_date),
        })
    });
    let mut v = summary(r);
    let extra = json!({
        "caisse": r.caisse,
        "identity": identity,
        "css_end_date": format_date(r.css_end_date),
        "reference_period": c2s_domain::dates::reference_period(r.request_day),
        "household": r.form.household,
        "resources": r.form.resources,
        "housing": r.form.housing,
        "manager": r.form.manager,
        "documents": documents,
        "requested_documents": r.requested_documents,
        "requested_message": r.requested_message,
        "proposal": proposal(r),
        "decision": r.decision,
        "history": r.history,
        "notes": notes.iter().map(|n| json!({"note_id": n.note_id, "text": n.text, "agent_id": n.agent_id, "agent_name": n.agent_name, "at": n.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()})).collect::<Vec<_>>(),
    });
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    Ok(v)
}

// ------------------------------------------------------------------ routes

async fn queue(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let params = query(req);
    let status = match params.get("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "status",
                "invalid_enum",
                "Ce statut n'existe pas.",
            )])
        })?),
    };
    let (items, next) = app
        .renewals
        .queue(
            &claims.caisse,
            status,
            params.get("cursor").map(String::as_str),
            PAGE,
        )
        .await
        .map_err(|e| match e {
            QueueError::BadCursor => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "Ce curseur de pagination n'est pas valide.",
            ),
            QueueError::Store(e) => ApiError::internal(e),
        })?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": items.iter().map(summary).collect::<Vec<_>>(), "next_cursor": next}),
    ))
}

async fn file(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let (r, docs) = own_file(app, &claims, id).await?;
    app.audit
        .append(&action(&claims, "read_file", &r.id, Some(&r)))
        .await
        .map_err(ApiError::internal)?;
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
}

/// Internal outcome of `claim`: the file is already the caller's. Never answered as such.
const ALREADY_YOURS: &str = "already_yours";

async fn claim(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let version = required_version(&json_body(req)?)?;
    let me = AgentRef {
        agent_id: claims.sub.clone(),
        name: claims.name.clone(),
    };
    let claimed = change(app, &claims, id, "claim", |r| {
        if r.status == Status::InReview {
            return Err(if r.assigned_to.as_ref() == Some(&me) {
                ApiError::new(StatusCode::OK, ALREADY_YOURS, "")
            } else {
                ApiError::new(
                    StatusCode::CONFLICT,
                    "already_claimed",
                    "Un autre agent a déjà pris ce dossier.",
                )
                .with("assigned_to", &r.assigned_to)
            });
        }
        if r.status != Status::Submitted {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                "Ce dossier ne peut pas être pris dans son état actuel.",
            ));
        }
        if r.version != version {
            return Err(version_conflict());
        }
        r.status = Status::InReview;
        r.assigned_to = Some(me.clone());
        r.history.push(HistoryEntry {
            status: Status::InReview,
            at: OffsetDateTime::now_utc(),
            actor: ActorKind::Agent,
        });
        Ok(())
    })
    .await;
    // A resent claim by the same agent answers as the first one did.
    let (r, docs) = match claimed {
        Err(e) if e.code == ALREADY_YOURS => own_file(app, &claims, id).await?,
        other => other?,
    };
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
}

fn assigned_to_me(r: &RenewalRecord, claims: &AgentClaims) -> Result<(), ApiError> {
    if r.status != Status::InReview {
        // Say why, in the words of the file's state, and which state it is in.
        let message = match r.status {
            Status::Submitted => "Ce dossier doit d'abord être pris en charge.",
            Status::AwaitingDocuments => {
                "Ce dossier attend les pièces demandées : il reviendra dans la file à leur envoi."
            }
            Status::Approved | Status::Rejected | Status::Exported | Status::Integrated => {
                "Ce dossier a déjà reçu sa décision."
            }
            Status::Withdrawn => "Le demandeur a retiré ce dossier.",
            Status::Draft | Status::InReview => "Ce dossier n'est pas en cours d'instruction.",
        };
        return Err(
            ApiError::new(StatusCode::CONFLICT, "invalid_transition", message)
                .with("status", r.status),
        );
    }
    if r.assigned_to.as_ref().map(|a| a.agent_id.as_str()) != Some(claims.sub.as_str()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_assigned",
            "Ce dossier est pris en charge par un autre agent.",
        ));
    }
    Ok(())
}

fn free_text(field: &str, text: &str, max: usize) -> Result<Vec<&'static str>, ApiError> {
    let n = text.trim().chars().count();
    if n == 0 || n > max {
        return Err(ApiError::invalid(vec![FieldError::new(
            field,
            "invalid_length",
            "Le texte est vide ou trop long.",
        )]));
    }
    if contains_nir_like(text) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nir_not_allowed",
            "Un numéro de sécurité sociale ne doit pas figurer dans ce texte.",
        ));
    }
    Ok(health_terms(text))
}

async fn request_documents(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let body = json_body(req)?;
    let version = required_version(&body)?;
    let kinds: Option<Vec<DocumentKind>> = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty() && a.len() <= 10)
        .and_then(|a| {
            a.iter()
                .map(|k| k.as_str().and_then(DocumentKind::parse))
                .collect()
        });
    let Some(kinds) = kinds else {
        return Err(ApiError::invalid(vec![FieldError::new(
            "items",
            "invalid_items",
            "Indiquez de 1 à 10 types de pièces de la liste.",
        )]));
    };
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if !message.is_empty() {
        free_text("message", &message, 1000)?;
    }
    let (r, docs) = change(app, &claims, id, "request_documents", |r| {
        assigned_to_me(r, &claims)?;
        if r.version != version {
            return Err(version_conflict());
        }
        r.status = Status::AwaitingDocuments;
        r.requested_documents = kinds.clone();
        r.requested_message = (!message.is_empty()).then(|| message.clone());
        r.history.push(HistoryEntry {
            status: Status::AwaitingDocuments,
            at: OffsetDateTime::now_utc(),
            actor: ActorKind::Agent,
        });
        Ok(())
    })
    .await?;
    Ok(json(StatusCode::OK, &file_view(app, &r, &docs).await?))
}

async fn decide(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur]).await?;
    let body = json_body(req)?;
    let version = required_version(&body)?;
    let outcome: Option<DecisionOutcome> = body
        .get("outcome")
        .and_then(|o| serde_json::from_value(o.clone()).ok());
    let Some(outcome) = outcome else {
        return Err(ApiError::invalid(vec![FieldError::new(
            "outcome",
            "invalid_enum",
            "La décision doit être free, participation ou rejected.",
        )]));
    };
    let reason = body
        .get("reason_code")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if reason
        .as_deref()
        .is_some_and(|r| !REASON_CODES.contains(&r))
        || (outcome == DecisionOutcome::Rejected && reason.is_none())
    {
        return Err(ApiError::invalid(vec![FieldError::new(
            "reason_code",
            "invalid_reason",
            "Choisissez un motif de la liste (obligatoire pour un rejet).",
        )])
        .with("reason_codes", REASON_CODES));
    }
    let stated = body
        .get("monthly_participation_cents")
        .and_then(Value::as_i64)
        .filter(|a| *a > 0);
    let (r, docs) = change(app, &claims, id, "decision", |r| {
        assigned_to_me(r, &claims)?;
        if r.version != version {
            return Err(version_conflict());
        }
        let decided_on = today();
        let submitted_on = r.complete_on.unwrap_or(r.request_day);
        let (start, end) = rights_period(r.css_end_date, submitted_on, decided_on);
        let participation = match outcome {
            DecisionOutcome::Participation => match (proposal(r).get("monthly_participation_cents").and_then(Value::as_i64).filter(|a| *a > 0), stated) {
                (_, Some(amount)) | (Some(amount), None) => amount,
                (None, None) => {
                    return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "participation_required", "Le montant de la participation ne peut pas être calculé : indiquez monthly_participation_cents."));
                }
            },
            _ => 0,
        };
        let approved = outcome != DecisionOutcome::Rejected;
        let status = if approved { Status::Approved } else { Status::Rejected };
        r.status = status;
        r.decision = Some(Decision {
            outcome,
            reason_code: reason.clone(),
            rights_start: approved.then_some(start),
            rights_end: approved.then_some(end),
            monthly_participation_cents: participation,
            decided_at: OffsetDateTime::now_utc(),
            agent_id: claims.sub.clone(),
        });
        r.history.push(HistoryEntry { status, at: OffsetDateTime::now_utc(), actor: ActorKind::Agent });
        // Every decision goes to the national system once (sync-out).
        r.export_pending = Some("pending".into());
        r.export_key = Some(format!("{}#{}", c2s_domain::dates::format_instant(OffsetDateTime::now_utc()), r.id));
        r.export_batch = None;
        Ok(())
    })
    .await?;
    let mut v = file_view(app, &r, &docs).await?;
    if let Some(d) = &r.decision {
        v["rights_start"] = json!(d.rights_start.map(format_date));
        v["rights_end"] = json!(d.rights_end.map(format_date));
        v["monthly_participation_cents"] = json!(d.monthly_participation_cents);
    }
    Ok(json(StatusCode::OK, &v))
}

async fn note(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let body = json_body(req)?;
    let text = body
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let warnings = free_text("text", &text, 2000)?;
    for _ in 0..5 {
        let (r, _) = own_file(app, &claims, id).await?;
        let note = NoteRecord {
            renewal_id: r.id.clone(),
            note_id: uuid::Uuid::new_v4().to_string(),
            text: text.trim().to_owned(),
            agent_id: claims.sub.clone(),
            agent_name: claims.name.clone(),
            at: OffsetDateTime::now_utc(),
        };
        let head = app
            .audit
            .head(&claims.caisse)
            .await
            .map_err(ApiError::internal)?;
        let entry: AuditEntry = AuditStore::next(
            &head,
            &action(&claims, "note", &note.note_id, Some(&r)),
            note.at,
        );
        let items = vec![
            app.renewals.note_item(&note).map_err(ApiError::internal)?,
            app.audit.put(&entry).map_err(ApiError::internal)?,
        ];
        match app.renewals.write_all(items).await {
            Ok(()) => {
                let warning = (!warnings.is_empty()).then_some("Ce texte semble contenir des informations de santé : elles n'ont pas leur place dans une note.");
                return Ok(json(
                    StatusCode::CREATED,
                    &json!({"note_id": note.note_id, "at": c2s_domain::dates::format_instant(note.at), "warnings": warnings, "warning": warning}),
                ));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    Err(version_conflict())
}

async fn download(
    app: &App,
    req: &Request,
    id: &str,
    doc: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let (r, docs) = own_file(app, &claims, id).await?;
    let d = docs
        .iter()
        .find(|d| d.document_id == doc)
        .ok_or_else(ApiError::not_found)?;
    if d.status != DocumentStatus::Clean {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "document_not_available",
            "Cette pièce n'a pas (encore) passé le contrôle : elle ne peut pas être ouverte.",
        ));
    }
    app.audit
        .append(&action(
            &claims,
            "download_document",
            &d.document_id,
            Some(&r),
        ))
        .await
        .map_err(ApiError::internal)?;
    let url = app
        .objects
        .presign_get(&app.bucket, &d.object_key, &d.filename, DOWNLOAD_VALIDITY)
        .await
        .map_err(ApiError::internal)?;
    Ok(json(
        StatusCode::OK,
        &json!({"download_url": url.url, "expires_at": url.expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()}),
    ))
}

async fn audit(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Superviseur]).await?;
    let params = query(req);
    let Some(renewal_id) = params.get("renewal_id") else {
        return Err(ApiError::invalid(vec![FieldError::required("renewal_id")]));
    };
    let (r, _) = own_file(app, &claims, renewal_id).await?;
    let entries = app
        .audit
        .for_renewal(&r.id)
        .await
        .map_err(ApiError::internal)?;
    let items: Vec<Value> = entries
        .iter()
        .filter(|e| e.caisse == claims.caisse)
        .map(|e| json!({"agent_id": e.agent_id, "agent_name": e.agent_name, "action": e.action, "at": c2s_domain::dates::format_instant(e.at), "target": e.target, "seq": e.seq}))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({"renewal_id": r.id, "items": items}),
    ))
}

async fn access(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Dpo]).await?;
    let body = json_body(req)?;
    let nir = body
        .get("nir")
        .and_then(Value::as_str)
        .and_then(|n| Nir::parse(n).ok())
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "nir",
                "invalid_nir",
                "Le NIR est mal formé.",
            )])
        })?;
    let subject = app.hasher.nir(&nir);
    let profile = match app
        .beneficiaries
        .profile(&subject)
        .await
        .map_err(ApiError::internal)?
    {
        Some(p) if p.caisse == claims.caisse => p,
        _ => return Err(ApiError::not_found()),
    };
    let entry = app
        .audit
        .append(&Action {
            caisse: &claims.caisse,
            agent_id: &claims.sub,
            agent_name: &claims.name,
            action: "rgpd_access",
            target: "beneficiary",
            renewal_id: None,
            subject: Some(&subject),
        })
        .await
        .map_err(ApiError::internal)?;
    let mut renewals = Vec::new();
    for id in app
        .renewals
        .ids_for(&subject)
        .await
        .map_err(ApiError::internal)?
    {
        if let Some((r, docs)) = app.renewals.load(&id).await.map_err(ApiError::internal)? {
            let notes = app.renewals.notes(&id).await.map_err(ApiError::internal)?;
            renewals.push(json!({
                "renewal": r,
                "documents": docs.iter().map(::renewal::document_view).collect::<Vec<_>>(),
                "notes": notes.iter().map(|n| json!({"text": n.text, "agent_id": n.agent_id, "at": c2s_domain::dates::format_instant(n.at)})).collect::<Vec<_>>(),
            }));
        }
    }
    let trail: Vec<Value> = app
        .audit
        .for_subject(&subject)
        .await
        .map_err(ApiError::internal)?
        .iter()
        .map(|e| json!({"agent_id": e.agent_id, "agent_name": e.agent_name, "action": e.action, "at": c2s_domain::dates::format_instant(e.at), "target": e.target}))
        .collect();
    let mut beneficiary = serde_json::to_value(&profile).unwrap_or(Value::Null);
    if let Some(b) = beneficiary.as_object_mut() {
        // Keyed hashes are ours, not the person's data.
        for k in [
            "nir_hash",
            "renewal_code_hash",
            "iban_last4_hash",
            "vitale_serial_hash",
        ] {
            b.remove(k);
        }
    }
    Ok(json(
        StatusCode::OK,
        &json!({"generated_at": c2s_domain::dates::format_instant(entry.at), "beneficiary": beneficiary, "renewals": renewals, "audit": trail}),
    ))
}
