//! The units of work the daily jobs fan out on their queues: written by the job, read by its
//! worker (one type for both sides, so they cannot drift apart). Keys only, never a person's
//! contact or name: the worker reads the item again and decides on what it holds then.

use c2s_domain::dates;
use serde::{Deserialize, Serialize};
use time::Date;

/// What `reminders` (and an import, for people who arrive once their renewal has opened)
/// puts on the reminders queue for `reminders-worker`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reminder", rename_all = "snake_case")]
pub enum ReminderTask {
    /// The person's rights end on `end` and their renewal is open.
    RightsEnding {
        nir_hash: String,
        #[serde(with = "dates::iso")]
        end: Date,
    },
    /// A draft untouched since `updated_at` (as stored: an RFC 3339 instant).
    DraftIdle {
        renewal_id: String,
        updated_at: String,
    },
}

impl ReminderTask {
    /// The idempotency key of this reminder: once per person and end of rights, once per
    /// draft and last change.
    pub fn once_key(&self) -> String {
        match self {
            ReminderTask::RightsEnding { nir_hash, end } => {
                format!(
                    "reminder#rights_end#{nir_hash}#{}",
                    dates::format_date(*end)
                )
            }
            ReminderTask::DraftIdle {
                renewal_id,
                updated_at,
            } => format!("reminder#draft#{renewal_id}#{updated_at}"),
        }
    }

    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What `deadlines` puts on the deadlines queue for `deadlines-worker`: a file whose deadline
/// came near or passed; the worker applies the rule to the file as it is then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineTask {
    pub renewal_id: String,
}

impl DeadlineTask {
    pub fn body(&self) -> String {
        serde_json::json!({ "renewal_id": self.renewal_id }).to_string()
    }
}

/// What `purge` puts on the purge queue for `purge-worker`: one item whose retention step
/// came due; the worker applies the rule to the item as it is then. Untagged, so that a
/// renewal's message keeps the shape it had before the partners' items were purged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PurgeTask {
    /// A renewal's step (`stage`: `draft`, `details` or `all`).
    Renewal { renewal_id: String, stage: String },
    /// A partner's signalement or request.
    PartnerRequest { request_id: String },
    /// An organisation whose last convention ended 5 years ago.
    Organisation { partner_id: String },
}

impl PurgeTask {
    /// What the purge report counts it as (a kind of `c2s_domain::retention::RULES`).
    pub fn kind(&self) -> &str {
        match self {
            PurgeTask::Renewal { stage, .. } => stage,
            PurgeTask::PartnerRequest { .. } => "partner_request",
            PurgeTask::Organisation { .. } => "organisation",
        }
    }

    /// The idempotency key: once per item and step.
    pub fn once_key(&self) -> String {
        match self {
            PurgeTask::Renewal { renewal_id, stage } => format!("purge#{renewal_id}#{stage}"),
            PurgeTask::PartnerRequest { request_id } => format!("purge#request#{request_id}"),
            PurgeTask::Organisation { partner_id } => format!("purge#org#{partner_id}"),
        }
    }

    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_read_back_and_name_their_reminder() {
        let end = time::macros::date!(2027 - 03 - 31);
        let rights = ReminderTask::RightsEnding {
            nir_hash: "h1".to_owned(),
            end,
        };
        assert_eq!(
            rights.body(),
            r#"{"reminder":"rights_ending","nir_hash":"h1","end":"2027-03-31"}"#
        );
        assert_eq!(
            serde_json::from_str::<ReminderTask>(&rights.body()).ok(),
            Some(rights.clone())
        );
        assert_eq!(rights.once_key(), "reminder#rights_end#h1#2027-03-31");
        let draft = ReminderTask::DraftIdle {
            renewal_id: "r1".to_owned(),
            updated_at: "2026-11-01T10:00:00Z".to_owned(),
        };
        assert_eq!(
            serde_json::from_str::<ReminderTask>(&draft.body()).ok(),
            Some(draft.clone())
        );
        assert_eq!(draft.once_key(), "reminder#draft#r1#2026-11-01T10:00:00Z");
        assert!(serde_json::from_str::<ReminderTask>(r#"{"reminder":"other"}"#).is_err());
        let deadline = DeadlineTask {
            renewal_id: "r2".to_owned(),
        };
        assert_eq!(
            serde_json::from_str::<DeadlineTask>(&deadline.body()).ok(),
            Some(deadline)
        );
    }

    #[test]
    fn purge_tasks_keep_the_renewals_shape_and_read_back() {
        let renewal = PurgeTask::Renewal {
            renewal_id: "r1".to_owned(),
            stage: "draft".to_owned(),
        };
        assert_eq!(renewal.body(), r#"{"renewal_id":"r1","stage":"draft"}"#);
        assert_eq!(renewal.once_key(), "purge#r1#draft");
        for task in [
            renewal,
            PurgeTask::PartnerRequest {
                request_id: "p1.x".to_owned(),
            },
            PurgeTask::Organisation {
                partner_id: "p1".to_owned(),
            },
        ] {
            assert_eq!(
                serde_json::from_str::<PurgeTask>(&task.body()).ok(),
                Some(task.clone())
            );
        }
        assert_eq!(
            serde_json::from_str::<PurgeTask>(r#"{"partner_id":"p2"}"#)
                .ok()
                .map(|t| t.kind().to_owned()),
            Some("organisation".to_owned())
        );
        assert!(serde_json::from_str::<PurgeTask>(r#"{"other":"x"}"#).is_err());
    }
}
