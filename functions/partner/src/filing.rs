//! Acting for a beneficiary: opening or taking up their renewal with their consent, and the
//! organisation's list of what it filed.

use crate::callers::{partner, Gate};
use crate::conversations::{partner_reader, thread_key};
use crate::requests::request_view;
use crate::App;
use c2s_api::credentials;
use c2s_api::{json, json_body, query, ApiError, Code, PAGE};
use c2s_domain::attempts::wait_in_words;
use c2s_domain::partner::FILING_CHECKS_PER_HOUR;
use c2s_domain::renewal::{opens_on, ActorKind};
use c2s_domain::thread::Reader;
use c2s_platform::clock::today;
use c2s_platform::page::{Page, PageError};
use c2s_platform::partners::RequestRecord;
use c2s_platform::renewals::{new_draft, CreateError, FiledBy, RenewalRecord};
use c2s_platform::threads::ThreadKey;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Handles `POST /api/partner/renewals`.
///
/// With the person's consent and the three answers of their letter, the partner opens their
/// renewal, or takes up the one already open, and then fills it through the beneficiary
/// routes with its own token.
pub(crate) async fn file_for(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    let body = json_body(req)?;
    if body.get("consent").and_then(Value::as_bool) != Some(true) {
        return Err(ApiError::from(Code::ConsentRequired));
    }
    let (partner_id, account_id) = (c.org.partner_id.as_str(), c.account.account_id.as_str());
    // Each account checks so many letters an hour, counted before any is judged (the key
    // is the account's random id: nothing personal).
    let key = format!("partner-letters#{partner_id}#{account_id}");
    if !app.limiter.hit(&key, FILING_CHECKS_PER_HOUR, 3600).await? {
        tracing::info!(
            partner_id,
            account_id,
            outcome = "too_many_attempts",
            "partner letter check refused"
        );
        let left = 3600 - OffsetDateTime::now_utc().unix_timestamp().rem_euclid(3600);
        return Err(Code::TooManyAttempts
            .with_message(format!(
                "Ce compte a vérifié trop de courriers en une heure. Réessayez dans {}.",
                wait_in_words(left)
            ))
            .with("retry_after", left));
    }
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    let day = today();
    // The convention with the person's caisse before the answers: a person of another
    // caisse is judged as an unknown NIR, so the refusal never says the letter was right.
    let checked = credentials::check_letter_admitted(
        &app.beneficiaries,
        &app.locks,
        &app.hasher,
        field("nir"),
        field("birth_date"),
        field("renewal_code"),
        |p| c.org.conventioned_with(&p.caisse, day),
    )
    .await;
    let profile = match checked {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(
                partner_id,
                account_id,
                outcome = e.code.as_str(),
                "partner letter check refused"
            );
            return Err(e);
        }
    };
    let filed_by = FiledBy {
        partner_id: c.org.partner_id.clone(),
        partner_name: c.org.name.clone(),
        account_id: c.account.account_id.clone(),
        consent_at: OffsetDateTime::now_utc(),
    };
    let guardian = profile.guardian_partner_id.as_deref() == Some(c.org.partner_id.as_str());
    let vis = c2s_api::views::Visibility {
        history: true,
        amounts: guardian,
        declared_amounts: guardian,
    };
    if let Some(open) = app.beneficiaries.open_renewal(&profile.nir_hash).await? {
        let (mut r, docs) = app
            .renewals
            .load(&open)
            .await?
            .ok_or_else(ApiError::not_found)?;
        r.filed_by = Some(filed_by);
        r.filed_partner = Some(c.org.partner_id.clone());
        r.updated_at = OffsetDateTime::now_utc();
        app.renewals.save(&mut r).await?;
        tracing::info!(outcome = "taken_up", "partner files for a beneficiary");
        crate::notices::partner_filed(app, &profile, &c.org.name).await;
        return Ok(json(StatusCode::OK, &c2s_api::views::view(&r, &docs, vis)));
    }
    let opens = opens_on(profile.css_end_date);
    if day < opens {
        return Err(Code::TooEarly.with_message("Le renouvellement ne peut être demandé qu'à partir de 4 mois avant la fin des droits.")
        .with("opens_on", c2s_domain::dates::format_date(opens)));
    }
    let mut r = new_draft(&profile, day, ActorKind::Partner)
        .ok_or_else(|| ApiError::internal("stored name unreadable"))?;
    r.filed_by = Some(filed_by);
    r.filed_partner = Some(c.org.partner_id.clone());
    match app.renewals.create(&mut r).await {
        Ok(()) => {
            tracing::info!(outcome = "created", "partner files for a beneficiary");
            crate::notices::partner_filed(app, &profile, &c.org.name).await;
            Ok(json(
                StatusCode::CREATED,
                &c2s_api::views::view(&r, &[], vis),
            ))
        }
        Err(CreateError::AlreadyOpen) => Err(Code::RenewalAlreadyOpen.with_message(
            "Une demande vient d'être ouverte pour cette personne ; réessayez pour la reprendre.",
        )),
        Err(CreateError::Store(e)) => Err(e.into()),
    }
}

/// Handles `GET /api/partner/requests`.
///
/// The organisation's requests and their statuses; never an amount. Pages of the renewals it
/// filed (newest first), then of its other requests: the cursor says which list it is in.
/// Each says whether its conversation holds a message for the organisation it has not read
/// (`unread_messages`): on a request, any of the agents'; on a renewal, the agents' open ones
/// (the list does not look up who is named guardian: the renewal's own answer does).
pub(crate) async fn requests(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let c = partner(app, req, Gate::Enforce).await?;
    let pid = &c.org.partner_id;
    let params = query(req);
    let cursor = params.get("cursor").map(String::as_str);
    // No cursor, or one of the renewals' list: the renewals; any other cursor is the
    // requests' list's to accept or refuse.
    let renewals = match cursor {
        None => Some(app.renewals.filed_by(pid, None, PAGE).await?),
        Some(k) => match app.renewals.filed_by(pid, Some(k), PAGE).await {
            Err(PageError::BadCursor) => None,
            page => Some(page?),
        },
    };
    let (items, next) = match renewals {
        Some(Page {
            items,
            next: Some(next),
        }) => (renewal_lines(app, pid, &items).await?, Some(next)),
        // The renewals' last page (never a full one: that has a cursor) is filled up with the
        // first requests.
        Some(Page { items, next: None }) => {
            let mut lines = renewal_lines(app, pid, &items).await?;
            let room = PAGE - i32::try_from(lines.len()).unwrap_or(PAGE);
            let page = app.partners.requests_of(pid, None, room.max(1)).await?;
            lines.extend(request_lines(app, &page.items).await?);
            (lines, page.next)
        }
        None => {
            let page = app.partners.requests_of(pid, cursor, PAGE).await?;
            (request_lines(app, &page.items).await?, page.next)
        }
    };
    Ok(json(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": next}),
    ))
}

/// The renewals the organisation filed, as its list shows them, each with its flag.
async fn renewal_lines(
    app: &App,
    partner_id: &str,
    renewals: &[RenewalRecord],
) -> Result<Vec<Value>, ApiError> {
    let keys: Vec<ThreadKey> = renewals
        .iter()
        .map(|r| ThreadKey::Renewal(r.id.clone()))
        .collect();
    let marks = app.renewal_threads.marks_of(&keys).await?;
    let reader = Reader::Partner {
        partner_id: partner_id.to_owned(),
        guardian: false,
    };
    Ok(renewals
        .iter()
        .zip(&keys)
        .map(|(r, k)| {
            let mut v = renewal_line(r);
            v["unread_messages"] = json!(marks.get(k).is_some_and(|m| m.unread_for(&reader)));
            v
        })
        .collect())
}

/// The organisation's other requests, as its list shows them, each with its flag.
async fn request_lines(app: &App, requests: &[RequestRecord]) -> Result<Vec<Value>, ApiError> {
    let keys: Vec<ThreadKey> = requests.iter().map(thread_key).collect();
    let marks = app.threads.marks_of(&keys).await?;
    Ok(requests
        .iter()
        .zip(&keys)
        .map(|(r, k)| {
            let mut v = request_view(r);
            let unread = marks
                .get(k)
                .is_some_and(|m| m.unread_for(&partner_reader(r)));
            v["unread_messages"] = json!(unread);
            v
        })
        .collect())
}

/// A renewal the organisation filed, as its list shows it.
fn renewal_line(r: &RenewalRecord) -> Value {
    json!({
        "type": "renewal", "id": r.id, "status": r.status,
        "created_at": c2s_domain::dates::format_instant(r.created_at), "updated_at": c2s_domain::dates::format_instant(r.updated_at),
        "beneficiary": {"first_name": r.applicant.first_name, "last_name": r.applicant.last_name},
        "filed_by": r.filed_by.as_ref().map(|f| &f.account_id), "receipt": r.receipt.as_ref().map(|x| &x.number),
    })
}
