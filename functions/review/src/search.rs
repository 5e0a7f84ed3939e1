//! Finding a file for a phone call: by receipt number, by NIR (in the body, never the URL) or
//! by last name and birth date. Own caisse only, each search audited without the NIR. Files
//! whose person limited their processing are left out, and counted.

use crate::{agent, App};
use c2s_api::{json, json_body, ApiError};
use c2s_domain::dates::format_date;
use c2s_domain::renewal::Search;
use c2s_platform::agents::Role;
use c2s_platform::audit::Action;
use c2s_platform::renewals::RenewalRecord;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

/// People read for one name and birth date: a common name on a common day is a handful.
const PEOPLE_MAX: i32 = 20;

/// Handles `POST /api/agent/search`.
pub(crate) async fn search(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Instructeur, Role::Superviseur]).await?;
    let search = Search::parse(&json_body(req)?).map_err(ApiError::invalid)?;
    // Each way is an index, never a scan: `by_receipt`, `by_beneficiary` (the NIR's keyed
    // hash), `by_identity` of the beneficiaries then `by_beneficiary`.
    let (ids, subject) = match &search {
        Search::Receipt(number) => (app.renewals.ids_with_receipt(number).await?, None),
        Search::Nir(nir) => {
            let subject = app.hasher.nir(nir);
            (app.renewals.ids_for(&subject).await?, Some(subject))
        }
        Search::Identity {
            last_name,
            birth_date,
        } => {
            let mut ids = Vec::new();
            for person in app
                .beneficiaries
                .with_identity(last_name, *birth_date, PEOPLE_MAX)
                .await?
            {
                ids.extend(app.renewals.ids_for(&person).await?);
            }
            (ids, None)
        }
    };
    let mut found: Vec<RenewalRecord> = Vec::new();
    let mut restricted = 0u64;
    for id in ids {
        // Only files of the caisse that reached its agents, as the file route shows them.
        if let Some((r, _)) = app.renewals.load(&id).await? {
            if r.caisse != claims.caisse || r.queue.is_none() {
                continue;
            }
            // A limited file (RGPD art. 18) is not shown, only counted: the agent on the
            // phone learns nothing of it, but knows to send the person to the DPO rather than
            // tell them no file exists, or have them file a second one.
            if r.restricted {
                restricted += 1;
            } else {
                found.push(r);
            }
        }
    }
    found.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    // The trail names the person by their keyed hash when the files are one person's, and
    // the file when there is one: never the NIR or the name typed.
    let person = subject.or_else(|| {
        let first = found.first()?.nir_hash.clone();
        found.iter().all(|r| r.nir_hash == first).then_some(first)
    });
    let target = search.audit_target();
    let only = found
        .first()
        .filter(|_| found.len() == 1)
        .map(|r| r.id.as_str());
    app.audit
        .append(&Action {
            caisse: &claims.caisse,
            agent_id: &claims.sub,
            agent_name: &claims.name,
            action: "search",
            target: &target,
            renewal_id: only,
            subject: person.as_deref(),
            partner_id: None,
        })
        .await?;
    tracing::info!(results = found.len(), restricted, "agent search");
    Ok(json(
        StatusCode::OK,
        &json!({"items": found.iter().map(item).collect::<Vec<_>>(), "restricted": restricted}),
    ))
}

fn item(r: &RenewalRecord) -> Value {
    json!({
        "id": r.id,
        "status": r.status,
        "receipt_number": r.receipt.as_ref().map(|x| x.number.as_str()),
        "first_name": r.applicant.first_name,
        "last_name": r.applicant.last_name,
        "birth_date": format_date(r.applicant.birth_date),
        "deadline": r.deadline.map(format_date),
        "assigned_to": r.assigned_to,
    })
}
