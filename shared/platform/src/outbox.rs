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

impl OutboxMessage {
    /// A message whose id derives from the unit of work it belongs to (`unit`, an
    /// idempotency key) and its channel: sent again after a failure half-way (the email sent,
    /// the SMS not), it is the same message, which `notify` sends once. The id is a digest,
    /// so nothing of the key (a person's hash) travels with it.
    pub fn of_unit(unit: &str, channel: Channel, to: impl Into<String>, notice: Notice) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{unit}#{}", channel.as_str()));
        Self {
            id: hex::encode(&digest[..16]),
            channel,
            to: to.into(),
            notice,
        }
    }
}

/// The messages that tell a person `notice`: by email and by SMS, where they have them (a
/// notice that never goes by SMS, by email only).
pub fn to_person(email: Option<&str>, phone: Option<&str>, notice: Notice) -> Vec<OutboxMessage> {
    let mut out = Vec::new();
    if let Some(email) = email.filter(|e| !e.trim().is_empty()) {
        out.push(OutboxMessage::new(Channel::Email, email, notice.clone()));
    }
    let by_sms = notice.render(Channel::Sms).is_ok();
    if let Some(phone) = phone.filter(|p| by_sms && !p.trim().is_empty()) {
        out.push(OutboxMessage::new(Channel::Sms, phone, notice));
    }
    out
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

    /// Sends what tells people of a change already written: a message that cannot be
    /// queued is logged (its kind and channel) and does not undo the change.
    pub async fn tell(&self, messages: &[OutboxMessage]) {
        for m in messages {
            if let Err(e) = self.send(m).await {
                tracing::warn!(kind = m.notice.kind(), channel = m.channel.as_str(), error = %e, "notice not queued");
            }
        }
    }

    pub async fn send(&self, message: &OutboxMessage) -> Result<(), OutboxError> {
        let body =
            serde_json::to_string(message).map_err(|e| OutboxError::Failed(e.to_string()))?;
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| {
                let why = aws_sdk_sqs::error::DisplayErrorContext(&e).to_string();
                if crate::fault::unavailable(&e) {
                    OutboxError::Unavailable(why)
                } else {
                    OutboxError::Failed(why)
                }
            })?;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// SQS could not answer: try again later.
    #[error("outbox unavailable: {0}")]
    Unavailable(String),
    #[error("outbox error: {0}")]
    Failed(String),
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
