//! Partner organisations and their conventions, administered by the CPAM: each caisse signs
//! its own convention, and administers the organisation while that convention is in force.

use crate::accounts::Acting;
use crate::audited::{commit, read, written, Step, Trace};
use crate::callers::{admin, administered, known};
use crate::App;
use c2s_api::{json, json_body, query, ApiError, Code, PAGE};
use c2s_domain::dates::parse_date;
use c2s_domain::field::optional_str;
use c2s_domain::partner::{
    account, manager_limit, AccountStatus, ConventionRefusal, NewConvention, NewOrganisation,
    SigningRefusal,
};
use c2s_domain::FieldError;
use c2s_platform::clock::today;
use c2s_platform::partners::{AccountRecord, OrgRecord};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Handles `POST /api/agent/partners`.
pub(crate) async fn create_org(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    let body = json_body(req)?;
    let new = NewOrganisation::parse(&body).map_err(ApiError::invalid)?;
    let id = format!("p-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let org = &new
        .into_organisation(id, &claims.caisse, OffsetDateTime::now_utc())
        .map_err(|refusal| match refusal {
            SigningRefusal::NotListed => Code::Forbidden
                .with_message("Vous ne pouvez conventionner qu'au nom de votre caisse."),
            SigningRefusal::OtherCaisse => Code::Forbidden.with_message(
                "Vous ne pouvez conventionner qu'au nom de votre caisse : chaque autre caisse ajoute sa propre convention.",
            ),
        })?;
    let trace = Trace::about(claims, "create_partner", &org.partner_id, &org.partner_id);
    commit(app, Some(&trace), move |extra| async move {
        written(app.partners.create_org_with(org, extra).await, ())
    })
    .await?;
    Ok(json(StatusCode::CREATED, &org_view(org, &[])))
}

/// Handles `POST /api/agent/partners/{pid}/conventions`: the calling caisse's own convention
/// with an organisation another caisse created.
pub(crate) async fn add_convention(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    if app.partners.org(pid).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let new = &NewConvention::parse(&json_body(req)?).map_err(ApiError::invalid)?;
    let trace = Trace::about(claims, "add_convention", &claims.caisse, pid);
    let org = commit(app, Some(&trace), move |extra| async move {
        let mut org = app
            .partners
            .org(pid)
            .await?
            .ok_or_else(ApiError::not_found)?;
        org.add_convention(new.clone(), &claims.caisse, today())
            .map_err(|refusal| match refusal {
                ConventionRefusal::OtherCaisse => {
                    Code::Forbidden.with_message("Une caisse n'ajoute que sa propre convention.")
                }
                ConventionRefusal::Exists => ApiError::from(Code::ConventionExists),
                ConventionRefusal::Inactive => {
                    Code::Forbidden.with_message("Cet organisme a été désactivé.")
                }
            })?;
        // From now on the caisse knows it: it is in that caisse's list.
        let mut extra = extra;
        extra.push(app.partners.listing(&org, &claims.caisse)?);
        let saved = app.partners.save_org_with(&mut org, extra).await;
        written(saved, org)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &org_view(&org, &[])))
}

/// Handles `GET /api/agent/partners`: a page of the organisations the caller's caisse signed
/// a convention with (in force or ended), by name.
pub(crate) async fn list_orgs(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    let params = query(req);
    let page = app
        .partners
        .orgs_known_to(
            &claims.caisse,
            params.get("cursor").map(String::as_str),
            PAGE,
        )
        .await?;
    read(app, &Trace::of_caisse(claims, "list_partners")).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|org| {
            let mut v = org_summary(org);
            v["conventioned"] = json!(org.conventioned_with(&claims.caisse, today()));
            v
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": page.next}),
    ))
}

/// The organisation without its people, as the caisse's list shows it.
fn org_summary(org: &OrgRecord) -> Value {
    json!({
        "partner_id": org.partner_id, "id": org.partner_id, "name": org.name, "kind": org.kind, "members": org.members,
        "caisses": org.caisses, "active_caisses": c2s_domain::partner::active_caisses(&org.conventions, today()),
        "email_domains": org.email_domains, "conventions": org.conventions, "active": org.active,
        "manager_limit": manager_limit(org.members),
    })
}

pub(crate) fn org_view(org: &OrgRecord, accounts: &[AccountRecord]) -> Value {
    let mut view = org_summary(org);
    view["accounts"] = accounts
        .iter()
        .map(|a| account_view(a, Acting::Cpam))
        .collect();
    view
}

/// An account as its reader sees it: agents (`Cpam`) see which agent created it; the
/// organisation sees "CPAM" in its place, never an agent's number.
pub(crate) fn account_view(a: &AccountRecord, to: Acting) -> Value {
    let created_by = match to {
        Acting::Gestionnaire if a.created_by.starts_with("agent:") => "CPAM",
        _ => a.created_by.as_str(),
    };
    json!({
        "account_id": a.account_id, "partner_id": a.partner_id, "email": a.email, "role": a.role, "status": a.status,
        "last_name": a.last_name, "first_name": a.first_name, "function": a.function, "phone": a.phone,
        "cgu_version": a.cgu_version, "created_by": created_by,
        "deactivation_on": a.deactivation_on.map(c2s_domain::dates::format_date),
        "deactivation_asked_by": a.deactivation_asked_by, "civility": a.civility,
    })
}

/// Handles `PUT /api/agent/partners/{pid}`: the organisation's number of members, which the
/// size rule's limit of gestionnaires follows (those already there stay).
pub(crate) async fn modify_org(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    administered(app, claims, pid).await?;
    let members = c2s_domain::partner::organisation::members(&json_body(req)?)
        .map_err(|e| ApiError::invalid(vec![e]))?;
    let trace = Trace::about(claims, "modify_partner", pid, pid);
    let org = commit(app, Some(&trace), move |extra| async move {
        let mut org = administered(app, claims, pid).await?;
        if org.members == members {
            return Ok(Step::Unchanged(org));
        }
        org.members = members;
        let saved = app.partners.save_org_with(&mut org, extra).await;
        written(saved, org)
    })
    .await?;
    let accounts = app.partners.accounts(&org.partner_id).await?;
    Ok(json(StatusCode::OK, &org_view(&org, &accounts)))
}

/// Handles `GET /api/agent/partners/{pid}`.
pub(crate) async fn read_org(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    let org = known(app, claims, pid).await?;
    let accounts = app.partners.accounts(&org.partner_id).await?;
    let asked = app.partners.habilitation_requests(&org.partner_id).await?;
    read(
        app,
        &Trace::about(claims, "read_partner", &org.partner_id, &org.partner_id),
    )
    .await?;
    let mut view = org_view(&org, &accounts);
    view["habilitation_requests"] = asked
        .iter()
        .map(crate::manager_requests::habilitation_view)
        .collect();
    Ok(json(StatusCode::OK, &view))
}

/// Handles `POST /api/agent/partners/{pid}/conventions/{caisse}/terminate`.
pub(crate) async fn terminate(
    app: &App,
    req: &Request,
    pid: &str,
    caisse: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    administered(app, claims, pid).await?;
    if caisse != claims.caisse {
        return Err(
            Code::Forbidden.with_message("Seule la caisse signataire peut résilier sa convention.")
        );
    }
    let body = json_body(req)?;
    let date = optional_str(&body, "date").map_err(|e| ApiError::invalid(vec![e]))?;
    let on = match date {
        None => today(),
        Some(d) => parse_date(d).map_err(|_| {
            ApiError::invalid(vec![FieldError::new(
                "date",
                "invalid_date",
                "La date doit être au format AAAA-MM-JJ.",
            )])
        })?,
    };
    let trace = Trace::about(claims, "terminate_convention", caisse, pid);
    let org = commit(app, Some(&trace), move |extra| async move {
        let mut org = administered(app, claims, pid).await?;
        if !org.terminate(caisse, on) {
            return Err(ApiError::not_found());
        }
        let saved = app.partners.save_org_with(&mut org, extra).await;
        written(saved, org)
    })
    .await?;
    Ok(json(StatusCode::OK, &org_view(&org, &[])))
}

/// Handles `POST /api/agent/partners/{pid}/deactivate`.
pub(crate) async fn deactivate_org(
    app: &App,
    req: &Request,
    pid: &str,
) -> Result<Response<Body>, ApiError> {
    let claims = &admin(app, req).await?;
    administered(app, claims, pid).await?;
    let trace = Trace::about(claims, "deactivate_partner", pid, pid);
    let org = commit(app, Some(&trace), move |extra| async move {
        let mut org = administered(app, claims, pid).await?;
        if !org.active {
            return Ok(Step::Unchanged(org));
        }
        org.active = false;
        let saved = app.partners.save_org_with(&mut org, extra).await;
        written(saved, org)
    })
    .await?;
    // The organisation's tokens are refused from now on; its accounts follow, one by one.
    let now = OffsetDateTime::now_utc();
    let mut count = 0;
    for mut a in app.partners.accounts(&org.partner_id).await? {
        if a.status != AccountStatus::Deactivated {
            account::deactivate(&mut a, now);
            app.partners.save_account(&mut a).await?;
            count += 1;
        }
    }
    tracing::info!(
        outcome = "deactivated",
        accounts = count,
        "partner organisation deactivated"
    );
    Ok(json(
        StatusCode::OK,
        &json!({"partner_id": org.partner_id, "active": false, "accounts_deactivated": count}),
    ))
}
