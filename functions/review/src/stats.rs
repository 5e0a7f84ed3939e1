//! The superviseur's dashboard of their caisse, read from the counters every save keeps
//! (`c2s_domain::renewal::stats`), never computed from the queue.

use crate::{agent, App};
use c2s_api::{json, ApiError};
use c2s_domain::renewal::dashboard;
use c2s_platform::agents::Role;
use c2s_platform::clock::today;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles `GET /api/agent/stats`.
///
/// The caller's caisse only: its renewals by status, its open files by deadline state on
/// the day, its decisions of the last 12 ISO weeks and the median days from receipt to
/// decision. Counts, no personal data: not audited.
pub(crate) async fn stats(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Superviseur]).await?;
    let day = today();
    let counters = app.renewals.counters(&claims.caisse, day).await?;
    Ok(json(StatusCode::OK, &dashboard(&counters, day)))
}
