//! `inbound/acks/`: the national system's answer to an outbound decisions file.

use crate::ranges::kept_alive;
use crate::{App, ImportError, Leased};
use c2s_domain::renewal::{ActorKind, Status};
use c2s_platform::exchange::{decision_files, CONSUMED};
use c2s_platform::idempotency::Once;
use c2s_platform::objects::ObjectError;
use c2s_platform::queue::ObjectRef;
use c2s_platform::renewals::Slot;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AckReport {
    pub integrated: u64,
    pub sent_back: u64,
    /// Not exported (any more): already applied, or unknown.
    pub skipped: u64,
    /// Sent back while another renewal of the person holds their open slot (a draft started
    /// after the decision): saved all the same, logged by ids for the agents to settle.
    pub slot_taken: u64,
}

#[derive(serde::Deserialize)]
struct Ack {
    /// The outbound decisions file answered (`<yyyymmdd>-<seq>`).
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    integrated: Vec<String>,
    #[serde(default)]
    rejected: Vec<AckRejection>,
}

#[derive(serde::Deserialize)]
struct AckRejection {
    renewal_id: String,
    reason: String,
}

/// Handles `inbound/acks/<name>.json` (S3 object created): applies the acknowledgement once.
///
/// The national system's answer to an outbound file. Integrated renewals become `integrated`;
/// rejected ones go back to the agents (`in_review`, the same agent) with the reason, and take
/// the person's open slot back if no other renewal holds it (`RenewalStore::save_reopened`). Only
/// `exported` renewals move, so a replay changes nothing.
pub async fn acknowledge(app: &App, object: &ObjectRef) -> Result<AckReport, ImportError> {
    acknowledge_leased(app, object, None).await
}

/// [`acknowledge`], the message that named the file (when there is one) leased with the
/// claim: a run that stops gives the file back within a lease.
pub(crate) async fn acknowledge_leased(
    app: &App,
    object: &ObjectRef,
    message: Option<Leased<'_>>,
) -> Result<AckReport, ImportError> {
    let claim_key = object.once_key("sync-in-ack");
    let once = kept_alive(
        app,
        &claim_key,
        message,
        || apply_ack(app, object),
        |r| {
            HashMap::from([
                ("integrated".to_owned(), r.integrated),
                ("sent_back".to_owned(), r.sent_back),
                ("slot_taken".to_owned(), r.slot_taken),
            ])
        },
    )
    .await?;
    Ok(match once {
        Once::Ran(report) => report,
        Once::AlreadyDone => AckReport::default(),
    })
}

async fn apply_ack(app: &App, object: &ObjectRef) -> Result<AckReport, ImportError> {
    let read = app
        .objects
        .read_small(
            &object.bucket,
            &object.key,
            object.version_id.as_deref(),
            50 * 1024 * 1024,
        )
        .await?;
    let Ok(ack) = serde_json::from_slice::<Ack>(&read.bytes) else {
        return Err(ImportError::BadAck);
    };
    let mut report = AckReport::default();
    let moves = ack.integrated.iter().map(|id| (id.as_str(), None)).chain(
        ack.rejected
            .iter()
            .map(|r| (r.renewal_id.as_str(), Some(r.reason.as_str()))),
    );
    for (id, rejection) in moves {
        let Some((mut r, _)) = app.renewals.load(id).await? else {
            report.skipped += 1;
            continue;
        };
        if r.status != Status::Exported {
            report.skipped += 1;
            continue;
        }
        let next = if rejection.is_some() {
            Status::InReview
        } else {
            Status::Integrated
        };
        r.transition(next, ActorKind::System, time::OffsetDateTime::now_utc())?;
        r.integration_rejection = rejection.map(|s| s.chars().take(500).collect());
        if rejection.is_none() {
            app.renewals.save(&mut r).await?;
            report.integrated += 1;
            continue;
        }
        // Open again: the renewal takes the person's open slot back with the same write.
        if let Slot::HeldBy(other) = app.renewals.save_reopened(&mut r).await? {
            tracing::warn!(
                renewal_id = %r.id,
                holder = %other,
                "sent back: its open slot held by another renewal"
            );
            report.slot_taken += 1;
        }
        report.sent_back += 1;
    }
    // Served: the acknowledgement, and the decisions file it answers (its NIRs), expire the
    // next day. A file already gone (expired after its bounded wait) is nothing to tag.
    let answered = ack.file.as_deref().and_then(decision_files);
    for key in answered.iter().flatten() {
        match app
            .objects
            .tag(&object.bucket, key, None, &[CONSUMED])
            .await
        {
            Ok(()) | Err(ObjectError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    app.objects
        .tag(
            &object.bucket,
            &object.key,
            read.version_id.as_deref(),
            &[CONSUMED],
        )
        .await?;
    Ok(report)
}
