//! Reading a file as an agent of its caisse, and changing it with its audit entry in the same
//! transaction.

use crate::App;
use c2s_api::{ApiError, Code};
use c2s_domain::rgpd::{opening, FileUse, Opening};
use c2s_platform::agents::{AgentClaims, Role};
use c2s_platform::audit::{Action, AuditStore};
use c2s_platform::renewals::{DocumentRecord, RenewalRecord};
use c2s_platform::store::StoreError;
use time::OffsetDateTime;

/// A file of the agent's caisse that reached the agents (submitted at least once); anything
/// else is a 404, whether it exists or not.
pub(crate) async fn own_file(
    app: &App,
    claims: &AgentClaims,
    id: &str,
) -> Result<(RenewalRecord, Vec<DocumentRecord>), ApiError> {
    match app.renewals.load(id).await? {
        Some((r, docs)) if r.caisse == claims.caisse && r.queue.is_some() => Ok((r, docs)),
        _ => Err(ApiError::not_found()),
    }
}

/// `own_file`, opened for `use_`: a file whose person limited its processing (RGPD art. 18)
/// answers 423 `restricted` to everyone but the DPO reading it; a DPO reads no other file.
pub(crate) async fn open_file(
    app: &App,
    claims: &AgentClaims,
    id: &str,
    use_: FileUse,
) -> Result<(RenewalRecord, Vec<DocumentRecord>), ApiError> {
    let (r, docs) = own_file(app, claims, id).await?;
    let instructs = claims.has_any(&[Role::Instructeur, Role::Superviseur]);
    match opening(r.restricted, use_, instructs, claims.has(Role::Dpo)) {
        Opening::Allowed => Ok((r, docs)),
        Opening::Restricted => Err(Code::Restricted.into()),
        Opening::Forbidden => Err(ApiError::forbidden()),
    }
}

pub(crate) fn action<'a>(
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
        partner_id: None,
    }
}

pub(crate) fn version_conflict() -> ApiError {
    Code::VersionConflict
        .with_message("Ce dossier a été modifié entre-temps. Rechargez-le avant de continuer.")
}

/// What a change made of the file it was shown.
pub(crate) enum Change {
    /// Write the file as changed, with the action's audit entry.
    Apply,
    /// Nothing to write: the file is already as asked (a resent request).
    Unchanged,
}

/// Changes a file and appends its audit entry in one transaction. `change` sees the file as
/// stored and says what it becomes (or why not); a concurrent change to the file or to the
/// audit chain is retried from a fresh read, so the checks always see the latest state.
pub(crate) async fn change<F>(
    app: &App,
    claims: &AgentClaims,
    id: &str,
    name: &str,
    mut change: F,
) -> Result<(RenewalRecord, Vec<DocumentRecord>), ApiError>
where
    F: FnMut(&mut RenewalRecord) -> Result<Change, ApiError>,
{
    for _ in 0..5 {
        let (mut r, docs) = open_file(app, claims, id, FileUse::Process).await?;
        if let Change::Unchanged = change(&mut r)? {
            return Ok((r, docs));
        }
        r.updated_at = OffsetDateTime::now_utc();
        let head = app.audit.head(&claims.caisse).await?;
        let entry = AuditStore::next(&head, &action(claims, name, &r.id, Some(&r)), r.updated_at);
        let audit = app.audit.put(&entry)?;
        match app.renewals.save_with(&mut r, vec![audit]).await {
            Ok(()) => {
                tracing::info!(action = name, "agent action");
                return Ok((r, docs));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(version_conflict())
}
