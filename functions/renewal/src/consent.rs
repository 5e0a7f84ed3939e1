//! The beneficiary withdraws the access they gave a partner to their renewal, as the consent
//! screen promises: from then on the partner gets 404 on it, by every route. The withdrawal
//! is an entry of the caisse's audit chain, written with it in one transaction.

use crate::{own, version_conflict, visibility, App};
use c2s_api::views::view;
use c2s_api::{callers, json, ApiError, Code};
use c2s_platform::audit::{Action, AuditStore, BY_THE_PERSON};
use c2s_platform::store::StoreError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use time::OffsetDateTime;

/// Handles `POST /api/renewals/{id}/revoke-partner`.
pub(crate) async fn revoke_partner(
    app: &App,
    req: &Request,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = callers::beneficiary(req, &app.verifier)?;
    if claims.partner_id.is_some() {
        return Err(Code::Forbidden
            .with_message("Seule la personne concernée peut retirer l'accès d'un partenaire."));
    }
    // No version in the body: a save that lost a race (to the file or to the audit chain) is
    // tried again from a fresh read.
    for _ in 0..5 {
        let (mut r, docs, viewer) = own(app, &claims, id).await?;
        let revoked = r
            .filed_by
            .as_ref()
            .map(|f| f.partner_id.clone())
            .or_else(|| r.filed_partner.clone());
        if let Some(partner_id) = revoked {
            r.filed_by = None;
            r.filed_partner = None;
            r.updated_at = OffsetDateTime::now_utc();
            let head = app.audit.head(&r.caisse).await?;
            let action = Action {
                caisse: &r.caisse,
                agent_id: BY_THE_PERSON,
                agent_name: "",
                action: "revoke_partner",
                target: &r.id,
                renewal_id: Some(&r.id),
                subject: Some(&r.nir_hash),
                partner_id: Some(&partner_id),
            };
            let entry = AuditStore::next(&head, &action, r.updated_at);
            let audit = app.audit.put(&entry)?;
            match app.renewals.save_with(&mut r, vec![audit]).await {
                Ok(()) => tracing::info!(outcome = "partner_revoked", "partner access withdrawn"),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(json(
            StatusCode::OK,
            &view(&r, &docs, visibility(app, &r, &viewer).await?),
        ));
    }
    Err(version_conflict())
}
