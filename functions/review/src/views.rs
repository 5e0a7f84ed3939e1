//! What agents see of a file: the queue's summary and the whole file.

use crate::App;
use c2s_api::views::{document_view, estimate_view};
use c2s_api::ApiError;
use c2s_domain::dates::{format_date, format_instant};
use c2s_domain::eligibility::Parameters;
use c2s_domain::renewal::{participation_by_age, DeadlineState};
use c2s_domain::Nir;
use c2s_platform::clock::today;
use c2s_platform::objects::PresignedRequest;
use c2s_platform::renewals::{DocumentRecord, RenewalRecord};
use c2s_platform::threads::ThreadKey;
use serde_json::{json, Value};

/// Download links handed out by the audited route, valid this long.
pub(crate) const DOWNLOAD_VALIDITY: std::time::Duration = std::time::Duration::from_secs(5 * 60);
/// Where an open file's deadline stands today (the rule the dashboard counts by).
pub(crate) fn deadline_state(r: &RenewalRecord) -> &'static str {
    match r.deadline {
        Some(d) if r.status.is_open() => DeadlineState::of(d, today()).as_str(),
        _ => "ok",
    }
}

pub(crate) fn summary(r: &RenewalRecord) -> Value {
    json!({
        "id": r.id,
        "status": r.status,
        "version": r.version,
        "deadline": r.deadline.map(format_date),
        "deadline_state": deadline_state(r),
        "near_deadline": r.near_deadline,
        "accepted_by_silence": r.accepted_by_silence,
        "complete_on": r.complete_on.map(format_date),
        "receipt": r.receipt,
        "applicant": {"first_name": r.applicant.first_name, "last_name": r.applicant.last_name},
        "household_size": r.form.household.as_ref().map_or(1, Vec::len),
        "assigned_to": r.assigned_to,
        // For the dashboard's processing times: from the receipt to the decision.
        "decision": r.decision.as_ref().map(|d| json!({"outcome": d.outcome, "decided_at": format_instant(d.decided_at)})),
    })
}

/// A link to the version of a clean document that was checked, and to nothing else: `None`
/// for a document not (yet) clean, or whose check pinned no version.
pub(crate) async fn download_link(
    app: &App,
    d: &DocumentRecord,
) -> Result<Option<PresignedRequest>, ApiError> {
    let Some(version) = d.checked_version() else {
        return Ok(None);
    };
    let url = app
        .downloads
        .presign_get(
            &app.bucket,
            &d.object_key,
            version,
            &d.filename,
            DOWNLOAD_VALIDITY,
        )
        .await?;
    Ok(Some(url))
}

pub(crate) async fn file_view(
    app: &App,
    r: &RenewalRecord,
    docs: &[DocumentRecord],
) -> Result<Value, ApiError> {
    let profile = app.beneficiaries.profile(&r.nir_hash).await?;
    // A checked document names the audited route that hands out its link, never the link
    // itself: every opening is then in the trail.
    let mut documents = Vec::new();
    for d in docs {
        let mut v = document_view(d);
        // Only a clean document whose checked version was pinned can be opened.
        if d.checked_version().is_some() {
            v["download_url"] = json!(format!(
                "/api/agent/renewals/{}/documents/{}/download",
                r.id, d.document_id
            ));
        }
        documents.push(v);
    }
    let notes = app.renewals.notes(&r.id).await?;
    // Before the page reads the thread (which marks it read): what the agent is to look at.
    let unread = app
        .threads
        .unread_by_agents(&[ThreadKey::Renewal(r.id.clone())])
        .await?;
    let identity = profile.map(|p| {
        json!({
            "first_name": p.first_name, "last_name": p.last_name, "birth_date": format_date(p.birth_date),
            "masked_nir": Nir::parse(&p.nir).map(|n| n.masked()).unwrap_or_default(),
            "address": p.address, "email": p.email, "phone": p.phone, "territory": p.territory, "css_end_date": format_date(p.css_end_date),
        })
    });
    let mut v = summary(r);
    let extra = json!({
        "caisse": r.caisse,
        "identity": identity,
        "css_end_date": format_date(r.css_end_date),
        "reference_period": c2s_domain::dates::reference_period(r.request_day),
        "household": r.form.household,
        "resources": r.form.resources,
        "housing": r.form.housing,
        "manager": r.form.manager,
        "documents": documents,
        "requested_documents": r.requested_documents,
        "requested_message": r.requested_message,
        "proposal": estimate_view(r),
        // What a participation decision carries, whatever the proposal says.
        "participation_by_age": Parameters::builtin().ok().and_then(|p| participation_by_age(&r.form, r.request_day, p)),
        "decision": r.decision,
        "history": r.history,
        "unread_messages": !unread.is_empty(),
        "notes": notes.iter().map(|n| json!({"note_id": n.note_id, "text": n.text, "agent_id": n.agent_id, "agent_name": n.agent_name, "at": format_instant(n.at)})).collect::<Vec<_>>(),
    });
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    Ok(v)
}
