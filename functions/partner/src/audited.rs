//! Agents' actions on partners, each traced in their caisse's audit chain as the review
//! function traces its own: a change is written with its entry in one transaction, a read
//! appends its entry before anything is shown. A change is retried from a fresh read when
//! someone wrote first (the record, the organisation's guard or the chain), so its checks
//! always see the latest state.

use crate::App;
use c2s_api::{ApiError, Code};
use c2s_platform::agents::AgentClaims;
use c2s_platform::audit::{Action, AuditStore};
use c2s_platform::store::StoreError;
use c2s_platform::store::TransactWriteItem;
use std::future::Future;
use time::OffsetDateTime;

/// Attempts before a change under contention answers `version_conflict`: enough for every
/// gestionnaire of the largest organisation changed at once.
const ATTEMPTS: usize = 10;

/// An agent's action: who, what, on what, for which organisation.
pub(crate) struct Trace<'a> {
    pub claims: &'a AgentClaims,
    pub action: &'a str,
    pub target: &'a str,
    pub partner_id: Option<&'a str>,
}

impl<'a> Trace<'a> {
    /// An action about the partner organisation `partner_id`.
    pub(crate) fn about(
        claims: &'a AgentClaims,
        action: &'a str,
        target: &'a str,
        partner_id: &'a str,
    ) -> Trace<'a> {
        Trace {
            claims,
            action,
            target,
            partner_id: Some(partner_id),
        }
    }

    /// An action about the agent's whole caisse (a list it reads).
    pub(crate) fn of_caisse(claims: &'a AgentClaims, action: &'a str) -> Trace<'a> {
        Trace {
            claims,
            action,
            target: &claims.caisse,
            partner_id: None,
        }
    }

    fn entry(&self) -> Action<'_> {
        Action {
            caisse: &self.claims.caisse,
            agent_id: &self.claims.sub,
            agent_name: &self.claims.name,
            action: self.action,
            target: self.target,
            renewal_id: None,
            subject: None,
            partner_id: self.partner_id,
        }
    }
}

/// What an attempt did with the writes it was handed.
pub(crate) enum Step<T> {
    /// Written with the change, in one transaction.
    Written(T),
    /// Nothing to change, the record is already as asked: the entry is appended alone.
    Unchanged(T),
    /// Someone wrote first: read again, check again.
    Conflict,
}

impl<T> Step<T> {
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Written(v) => Step::Written(f(v)),
            Step::Unchanged(v) => Step::Unchanged(f(v)),
            Step::Conflict => Step::Conflict,
        }
    }
}

/// The step a store write makes.
pub(crate) fn written<T>(result: Result<(), StoreError>, value: T) -> Result<Step<T>, ApiError> {
    match result {
        Ok(()) => Ok(Step::Written(value)),
        Err(StoreError::Conflict) => Ok(Step::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// Runs `attempt` until it writes, handing it the writes that go with its change: the audit
/// entry of `trace` (none for a partner's own action, `trace` = `None`). `attempt` reads
/// what it checks afresh each time. (A closure returning a future rather than an async
/// closure: the Lambda runtime needs the handler's future `Send` for any lifetime.)
pub(crate) async fn commit<T, F, Fut>(
    app: &App,
    trace: Option<&Trace<'_>>,
    mut attempt: F,
) -> Result<T, ApiError>
where
    F: FnMut(Vec<TransactWriteItem>) -> Fut,
    Fut: Future<Output = Result<Step<T>, ApiError>>,
{
    for _ in 0..ATTEMPTS {
        let extra = match trace {
            Some(t) => {
                let head = app.audit.head(&t.claims.caisse).await?;
                let entry = AuditStore::next(&head, &t.entry(), OffsetDateTime::now_utc());
                vec![app.audit.put(&entry)?]
            }
            None => Vec::new(),
        };
        match attempt(extra).await? {
            Step::Written(value) => {
                if let Some(t) = trace {
                    tracing::info!(action = t.action, "agent action");
                }
                return Ok(value);
            }
            Step::Unchanged(value) => {
                if let Some(t) = trace {
                    read(app, t).await?;
                }
                return Ok(value);
            }
            Step::Conflict => continue,
        }
    }
    Err(Code::VersionConflict
        .with_message("Cet organisme a été modifié entre-temps par d'autres demandes. Réessayez."))
}

/// Traces an action that changes nothing (a read, an export), before its answer is given.
pub(crate) async fn read(app: &App, trace: &Trace<'_>) -> Result<(), ApiError> {
    app.audit.append(&trace.entry()).await?;
    tracing::info!(action = trace.action, "agent action");
    Ok(())
}
