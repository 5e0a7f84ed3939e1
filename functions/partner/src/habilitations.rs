//! The habilitation table: who may act for an organisation, as CSV.

use crate::audited::{read, Trace};
use crate::callers::{admin, gestionnaire, known};
use crate::App;
use c2s_api::{text, ApiError};
use c2s_domain::text::inert_in_spreadsheet;
use c2s_platform::partners::{AccountRecord, OrgRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

const HEADER: &str =
    "organisme;identifiant;nom;prénom;fonction;adresse électronique;rôle;statut;créé le\n";

/// The habilitation table: who may act for the organisation, as CSV (`;`, UTF-8), each
/// cell quoted and none that a spreadsheet would run as a formula.
pub(crate) fn habilitations_csv(
    org: &OrgRecord,
    accounts: &[AccountRecord],
) -> Result<String, ApiError> {
    let word = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let mut rows = csv::WriterBuilder::new()
        .delimiter(b';')
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(HEADER.as_bytes().to_vec());
    for a in accounts {
        let cells = [
            org.name.clone(),
            a.account_id.clone(),
            a.last_name.clone(),
            a.first_name.clone(),
            a.function.clone(),
            a.email.clone(),
            word(serde_json::to_value(a.role)),
            word(serde_json::to_value(a.status)),
            c2s_domain::dates::format_date(a.created_at.date()),
        ];
        rows.write_record(cells.iter().map(|c| inert_in_spreadsheet(c).into_owned()))
            .map_err(ApiError::internal)?;
    }
    let bytes = rows.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

/// Handles `GET /api/agent/partners/{pid}/habilitations.csv`.
pub(crate) async fn agent_habilitations(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    let org = known(app, claims, pid).await?;
    let accounts = app.partners.accounts(&org.partner_id).await?;
    let csv = habilitations_csv(&org, &accounts)?;
    read(
        app,
        &Trace::about(
            claims,
            "export_habilitations",
            &org.partner_id,
            &org.partner_id,
        ),
    )
    .await?;
    Ok(text(StatusCode::OK, csv, "text/csv; charset=utf-8"))
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
        habilitations_csv(&c.org, &accounts)?,
        "text/csv; charset=utf-8",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use c2s_domain::partner::{AccountRole, AccountStatus};
    use time::macros::datetime;

    #[test]
    fn cells_are_quoted_and_formulas_stay_text() {
        let org: OrgRecord = match serde_json::from_value(serde_json::json!({
            "partner_id": "p-1", "name": "=CCAS \"Le Phare\"", "kind": "ccas", "members": 3,
            "caisses": ["rouen"], "email_domains": [], "conventions": [], "active": true,
            "created_at": "2026-01-01T00:00:00Z", "version": 1
        })) {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
        let account = AccountRecord {
            account_id: "a-1".into(),
            partner_id: "p-1".into(),
            email: "-t@ccas.fr".into(),
            role: AccountRole::Technicien,
            last_name: "Durand".into(),
            first_name: "Marie".into(),
            function: "@SOMME(A1;A2)\nx".into(),
            phone: None,
            status: AccountStatus::Active,
            password_hash: None,
            password_set_at: None,
            failed_sign_ins: 0,
            cgu_version: None,
            created_by: "agent:a".into(),
            created_at: datetime!(2026-01-02 10:00 UTC),
            deactivated_at: None,
            reminded_for: None,
            link_hash: None,
            civility: None,
            deactivation_on: None,
            deactivation_asked_by: None,
            version: 1,
        };
        let csv = habilitations_csv(&org, &[account]).unwrap_or_default();
        assert_eq!(
            csv,
            format!(
                "{HEADER}\"'=CCAS \"\"Le Phare\"\"\";\"a-1\";\"Durand\";\"Marie\";\"'@SOMME(A1;A2)\nx\";\"'-t@ccas.fr\";\"technicien\";\"active\";\"2026-01-02\"\n"
            )
        );
    }
}
