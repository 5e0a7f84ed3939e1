//! Agents' private notes on a file.

use crate::audited::{action, open_file, version_conflict};
use crate::instruction::refusal;
use crate::{agent, App};
use c2s_api::{json, json_body, ApiError};
use c2s_domain::renewal::NoteBody;
use c2s_domain::rgpd::FileUse;
use c2s_platform::agents::Role;
use c2s_platform::audit::{AuditEntry, AuditStore};
use c2s_platform::renewals::NoteRecord;
use c2s_platform::store::StoreError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use time::OffsetDateTime;

/// Handles `POST /api/agent/renewals/{id}/notes`.
pub(crate) async fn note(app: &App, req: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let body = json_body(req)?;
    let NoteBody {
        text,
        health_terms: warnings,
    } = NoteBody::parse(&body).map_err(refusal)?;
    for _ in 0..5 {
        let (r, _) = open_file(app, &claims, id, FileUse::Process).await?;
        let note = NoteRecord {
            renewal_id: r.id.clone(),
            note_id: uuid::Uuid::new_v4().to_string(),
            text: text.clone(),
            agent_id: claims.sub.clone(),
            agent_name: claims.name.clone(),
            at: OffsetDateTime::now_utc(),
        };
        let head = app.audit.head(&claims.caisse).await?;
        let entry: AuditEntry = AuditStore::next(
            &head,
            &action(&claims, "note", &note.note_id, Some(&r)),
            note.at,
        );
        let items = vec![app.renewals.note_item(&note)?, app.audit.put(&entry)?];
        match app.renewals.write_all(items).await {
            Ok(()) => {
                let warning = (!warnings.is_empty()).then_some("Ce texte semble contenir des informations de santé : elles n'ont pas leur place dans une note.");
                return Ok(json(
                    StatusCode::CREATED,
                    &json!({"note_id": note.note_id, "at": c2s_domain::dates::format_instant(note.at), "warnings": warnings, "warning": warning}),
                ));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(version_conflict())
}
