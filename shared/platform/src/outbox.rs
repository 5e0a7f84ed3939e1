//! Messages to people (email, SMS) leave through the outbox queue; a sender drains it. Locally
//! the dev server drains it into `GET /dev/outbox`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutboxMessage {
    pub channel: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// What kind of message, for the sender's templates and the reports.
    pub kind: String,
}

#[derive(Clone, Debug)]
pub struct Outbox {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl Outbox {
    /// The outbox queue named by `OUTBOX_QUEUE_URL`.
    pub fn from_env(
        env: &crate::Env,
        clients: &crate::aws::Clients,
    ) -> Result<Self, crate::ConfigError> {
        Ok(Self::new(
            clients.sqs.clone(),
            env.require("OUTBOX_QUEUE_URL")?,
        ))
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
