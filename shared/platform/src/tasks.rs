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
}
