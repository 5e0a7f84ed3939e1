//! Messages to people (email, SMS) leave through the outbox queue, drained by the `notify`
//! function (SES for email, SNS for SMS). A message names its kind and the few variables of
//! its template (`c2s_domain::notice`): the text is written by `notify`, never here.

use c2s_domain::notice::{Channel, Notice};
use serde::{Deserialize, Serialize};

/// `{"id": …, "channel": "email" | "sms", "to": …, "kind": …, "data": {…}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Sent once per id, however often the queue delivers it.
    pub id: String,
    pub channel: Channel,
    /// The address or the phone number, as the person gave it.
    pub to: String,
    #[serde(flatten)]
    pub notice: Notice,
}

impl OutboxMessage {
    pub fn new(channel: Channel, to: impl Into<String>, notice: Notice) -> Self {
        Self {
            id: uuid::Uuid::new_v4().simple().to_string(),
            channel,
            to: to.into(),
            notice,
        }
    }
}

/// The sending side (feature `sqs`); `notify`, which only reads messages, does without.
#[cfg(feature = "sqs")]
#[derive(Clone, Debug)]
pub struct Outbox {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

#[cfg(feature = "sqs")]
impl Outbox {
    /// The outbox queue named by `OUTBOX_QUEUE_URL`.
    pub fn from_env(
        env: &crate::Env,
        clients: &crate::aws::Clients,
    ) -> Result<Self, crate::ConfigError> {
        Ok(Self::new(clients.sqs(), env.require("OUTBOX_QUEUE_URL")?))
    }

    pub fn new(sqs: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self { sqs, queue_url }
    }

    pub async fn send(&self, message: &OutboxMessage) -> Result<(), String> {
        let body = serde_json::to_string(message).map_err(|e| e.to_string())?;
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_its_kind_and_variables_beside_the_address() {
        let m = OutboxMessage::new(
            Channel::Sms,
            "0612345678",
            Notice::DraftIdle {
                first_name: "Marie".into(),
                link: "https://c2s.ameli.fr".into(),
            },
        );
        let json = serde_json::to_value(&m).unwrap_or_default();
        assert_eq!(json["channel"], "sms");
        assert_eq!(json["kind"], "draft_idle");
        assert_eq!(json["data"]["link"], "https://c2s.ameli.fr");
        assert_eq!(json["id"].as_str().map(str::len), Some(32));
        let back: Result<OutboxMessage, _> = serde_json::from_value(json);
        assert_eq!(back.ok(), Some(m));
    }
}
