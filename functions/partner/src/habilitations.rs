//! The habilitation table: who may act for an organisation, as CSV.

use crate::callers::{admin_org, gestionnaire};
use crate::App;
use c2s_api::{text, ApiError};
use c2s_platform::partners::{AccountRecord, OrgRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// The habilitation table: who may act for the organisation, as CSV (`;`, UTF-8).
pub(crate) fn habilitations_csv(org: &OrgRecord, accounts: &[AccountRecord]) -> String {
    let cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from(
        "organisme;identifiant;nom;prénom;fonction;adresse électronique;rôle;statut;créé le\n",
    );
    for a in accounts {
        let row = [
            cell(&org.name),
            cell(&a.account_id),
            cell(&a.last_name),
            cell(&a.first_name),
            cell(&a.function),
            cell(&a.email),
            cell(
                serde_json::to_value(a.role)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .as_deref()
                    .unwrap_or(""),
            ),
            cell(
                serde_json::to_value(a.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .as_deref()
                    .unwrap_or(""),
            ),
            cell(&c2s_domain::dates::format_date(a.created_at.date())),
        ];
        out.push_str(&row.join(";"));
        out.push('\n');
    }
    out
}

/// Handles `GET /api/agent/partners/{pid}/habilitations.csv`.
pub(crate) async fn agent_habilitations(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let (_, org) = admin_org(app, req, pid).await?;
    let accounts = app.partners.accounts(&org.partner_id).await?;
    Ok(text(
        StatusCode::OK,
        habilitations_csv(&org, &accounts),
        "text/csv; charset=utf-8",
    ))
}

/// Handles `GET /api/partner/habilitations.csv`.
pub(crate) async fn partner_habilitations(
    app: &App,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let c = gestionnaire(app, req).await?;
    let accounts = app.partners.accounts(&c.org.partner_id).await?;
    Ok(text(
        StatusCode::OK,
        habilitations_csv(&c.org, &accounts),
        "text/csv; charset=utf-8",
    ))
}
