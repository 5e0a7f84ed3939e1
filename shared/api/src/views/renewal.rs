use c2s_domain::dates::{format_date, format_instant, reference_period};
use c2s_domain::document::DocumentStatus;
use c2s_domain::eligibility::{self, Estimate, EstimateError, Parameters};
use c2s_domain::renewal::{self, missing, Decision, DocumentState};
use c2s_platform::renewals::{DocumentRecord, RenewalRecord};
use serde_json::{json, Value};

/// What a caller may see of a renewal: the history and decision (level 2, or the filing
/// partner), the amounts (level 2, or a partner named legal guardian), the amounts declared
/// in the form (the person themself at any level, who types them; a partner only as legal
/// guardian: a third party never sees the benefits a person receives).
#[derive(Debug, Clone, Copy)]
pub struct Visibility {
    pub history: bool,
    pub amounts: bool,
    pub declared_amounts: bool,
}

/// The declared resources, their amounts left out unless `amounts`.
fn resources_view(r: &RenewalRecord, amounts: bool) -> Value {
    let mut v = json!(r.form.resources.clone().unwrap_or_default());
    if !amounts {
        for item in v.as_array_mut().into_iter().flatten() {
            if let Some(o) = item.as_object_mut() {
                o.retain(|k, _| !k.ends_with("_cents"));
            }
        }
    }
    v
}

pub fn document_states(docs: &[DocumentRecord]) -> Vec<DocumentState> {
    docs.iter()
        .map(|d| DocumentState {
            kind: d.kind,
            status: d.status,
        })
        .collect()
}

pub fn document_view(d: &DocumentRecord) -> Value {
    json!({
        "document_id": d.document_id,
        "kind": d.kind,
        "filename": d.filename,
        "content_type": d.content_type,
        "size": d.size,
        "status": d.status,
        "reject_reason": d.reject_reason,
        "reject_message": d.reject_reason.map(|r| r.message()),
        "created_at": format_instant(d.created_at),
    })
}

/// The renewal as the beneficiary, or a partner acting for them, sees it.
pub fn view(r: &RenewalRecord, docs: &[DocumentRecord], vis: Visibility) -> Value {
    let period = reference_period(r.request_day);
    let visible: Vec<&DocumentRecord> = docs
        .iter()
        .filter(|d| d.status != DocumentStatus::Rejected || r.status.is_editable())
        .collect();
    let filed_by = r.filed_by.as_ref().map(|f| {
        json!({
            "partner_id": f.partner_id,
            "partner_name": f.partner_name,
            "consent_at": format_instant(f.consent_at),
        })
    });
    let mut v = json!({
        "id": r.id,
        "status": r.status,
        "version": r.version,
        "created_at": format_instant(r.created_at),
        "updated_at": format_instant(r.updated_at),
        "css_end_date": format_date(r.css_end_date),
        "reference_period": period,
        "household": r.form.household.as_ref().unwrap_or(&r.suggested_household),
        "household_confirmed": r.form.household.is_some(),
        "resources": resources_view(r, vis.declared_amounts),
        "resources_declared": r.form.resources.is_some(),
        "housing": r.form.housing,
        "manager": r.form.manager,
        "documents": visible.iter().map(|d| document_view(d)).collect::<Vec<_>>(),
        "requested_documents": r.requested_documents,
        "requested_message": r.requested_message,
        "missing": missing(&r.form, &document_states(docs), &r.requested_documents),
        "receipt": r.receipt,
        "filed_by": filed_by,
        "deadline": r.decision_due().map(format_date),
    });
    if vis.history {
        v["history"] = json!(r.history);
        v["decision"] = json!(r.decision.as_ref().map(|d| decision_view(d, vis.amounts)));
    }
    if vis.amounts {
        v["decision"] = json!(r.decision.as_ref().map(|d| decision_view(d, true)));
        v["estimate"] = estimate_view(r);
    }
    v
}

/// The decision as the person or a partner sees it: the outcome, the reason and the dates,
/// the participation only with `amounts`; never who decided (the agent's number is for the
/// back-office).
fn decision_view(d: &Decision, amounts: bool) -> Value {
    let mut v = json!({
        "outcome": d.outcome,
        "reason_code": d.reason_code,
        "reason_label": d.reason_code.as_deref().and_then(renewal::reason_label),
        "rights_start": d.rights_start.map(format_date),
        "rights_end": d.rights_end.map(format_date),
        "decided_at": format_instant(d.decided_at),
    });
    if amounts {
        v["monthly_participation_cents"] = json!(d.monthly_participation_cents);
    }
    v
}

/// What the engine says of the form as it stands; `None` until household, resources and
/// housing are given.
pub fn estimate(r: &RenewalRecord) -> Option<Result<Estimate, EstimateError>> {
    let situation = r
        .territory
        .and_then(|t| renewal::situation(&r.form, t, r.request_day))?;
    match Parameters::builtin() {
        Ok(p) => Some(eligibility::estimate(p, &situation)),
        Err(e) => {
            tracing::error!(error = %e, "eligibility parameters unreadable");
            None
        }
    }
}

/// The estimate as answered (amounts: only to whom may see them): `null` until the form
/// allows one, `parameters_unknown` for a period without published parameters.
pub fn estimate_view(r: &RenewalRecord) -> Value {
    match estimate(r) {
        Some(Ok(e)) => json!(e),
        Some(Err(EstimateError::ParametersUnknown)) => json!({"outcome": "parameters_unknown"}),
        _ => Value::Null,
    }
}
