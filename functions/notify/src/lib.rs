//! `notify`: the consumer of the outbox queue. Each message names a notice and its
//! variables (`c2s_domain::notice`); it is rendered in French here and sent once (claimed in
//! the idempotency table by its id): email through SES (v2, from `SENDER_EMAIL`, in the
//! configuration set `SES_CONFIGURATION_SET`), SMS through SNS. A message that cannot be
//! rendered or sent fails alone and, after three receives, lands in the dead-letter queue.
//! Logs say the kind, the channel and the outcome, never the address, the number or the text.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};
use aws_sdk_sns::types::MessageAttributeValue;
use c2s_domain::notice::{mobile_e164, Channel, NoticeError, Rendered};
use c2s_platform::aws::Clients;
use c2s_platform::idempotency::{IdempotencyStore, InProgress, Once};
use c2s_platform::outbox::OutboxMessage;
use c2s_platform::queue::{for_each_message, Json};
use c2s_platform::store::StoreError;
use c2s_platform::{ConfigError, Env};
use std::collections::HashMap;

pub struct App {
    ses: aws_sdk_sesv2::Client,
    sns: aws_sdk_sns::Client,
    sender: String,
    configuration_set: Option<String>,
    sms_sender_id: Option<String>,
    idempotency: IdempotencyStore,
}

impl App {
    pub fn from_env(env: &Env, clients: &Clients) -> Result<App, ConfigError> {
        Ok(App {
            ses: aws_sdk_sesv2::Client::new(&clients.sdk),
            sns: aws_sdk_sns::Client::new(&clients.sdk),
            sender: env.require("SENDER_EMAIL")?,
            configuration_set: env.optional("SES_CONFIGURATION_SET"),
            sms_sender_id: env.optional("SMS_SENDER_ID"),
            idempotency: IdempotencyStore::from_env(env, clients)?,
        })
    }
}

/// Never an address, a number or a text: the providers' error codes only (their messages
/// may quote the recipient).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Notice(#[from] NoticeError),
    #[error("not an email address")]
    NotAnAddress,
    #[error("SES refused the email: {0}")]
    Email(String),
    #[error("SNS refused the SMS: {0}")]
    Sms(String),
    #[error("{0}")]
    Build(String),
    #[error("another delivery is sending this message")]
    InProgress(#[from] InProgress),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A rendered message and where it goes, ready for its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub channel: Channel,
    /// The email address, or the number in E.164.
    pub to: String,
    pub rendered: Rendered,
}

/// Renders `message` for its channel and checks its recipient: everything that can fail
/// before a provider is called.
pub fn prepare(message: &OutboxMessage) -> Result<Outgoing, NotifyError> {
    let rendered = message.notice.render(message.channel)?;
    let to = match message.channel {
        Channel::Email => {
            let to = message.to.trim();
            let fine = to.len() <= 254
                && !to.chars().any(|c| c.is_whitespace() || c.is_control())
                && to
                    .split_once('@')
                    .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
            if !fine {
                return Err(NotifyError::NotAnAddress);
            }
            to.to_owned()
        }
        Channel::Sms => mobile_e164(&message.to)?,
    };
    Ok(Outgoing {
        channel: message.channel,
        to,
        rendered,
    })
}

/// Handles the outbox queue's messages: each sent once, failures reported alone.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    for_each_message(
        event,
        "notify",
        |Json(message): Json<OutboxMessage>| async move {
            let kind = message.notice.kind();
            let channel = message.channel.as_str();
            let outcome = send_once(app, &message).await;
            match &outcome {
                Ok(Once::Ran(())) => tracing::info!(kind, channel, outcome = "sent", "notice"),
                Ok(Once::AlreadyDone) => {
                    tracing::info!(kind, channel, outcome = "already_sent", "notice")
                }
                Err(e) => tracing::warn!(kind, channel, outcome = "failed", error = %e, "notice"),
            }
            outcome.map(|_| ())
        },
    )
    .await
}

async fn send_once(app: &App, message: &OutboxMessage) -> Result<Once<()>, NotifyError> {
    // Rendered before the claim: a message that can never be sent claims nothing.
    let outgoing = prepare(message)?;
    let kind = message.notice.kind();
    let key = format!("notify#{}", message.id);
    let send = || async { send(app, &outgoing, kind).await };
    app.idempotency
        .run_once(&key, 120, send, |_| HashMap::new())
        .await
}

async fn send(app: &App, outgoing: &Outgoing, kind: &str) -> Result<(), NotifyError> {
    let build = |e: aws_sdk_sesv2::error::BuildError| NotifyError::Build(e.to_string());
    match outgoing.channel {
        Channel::Email => {
            let text = |data: &str| {
                Content::builder()
                    .data(data)
                    .charset("UTF-8")
                    .build()
                    .map_err(build)
            };
            let content = EmailContent::builder()
                .simple(
                    Message::builder()
                        .subject(text(&outgoing.rendered.subject)?)
                        .body(Body::builder().text(text(&outgoing.rendered.text)?).build())
                        .build(),
                )
                .build();
            app.ses
                .send_email()
                .from_email_address(&app.sender)
                .destination(Destination::builder().to_addresses(&outgoing.to).build())
                .content(content)
                .set_configuration_set_name(app.configuration_set.clone())
                // For the configuration set's event destinations: counts by kind.
                .email_tags(
                    MessageTag::builder()
                        .name("kind")
                        .value(kind)
                        .build()
                        .map_err(build)?,
                )
                .send()
                .await
                .map_err(|e| NotifyError::Email(e.code().unwrap_or("no_answer").to_owned()))?;
        }
        Channel::Sms => {
            let attribute = |value: &str| {
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(value)
                    .build()
                    .map_err(|e| NotifyError::Build(e.to_string()))
            };
            let mut publish = app
                .sns
                .publish()
                .phone_number(&outgoing.to)
                .message(&outgoing.rendered.text)
                // Transactional: delivered first, and outside marketing quiet hours.
                .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional")?);
            if let Some(id) = &app.sms_sender_id {
                publish = publish.message_attributes("AWS.SNS.SMS.SenderID", attribute(id)?);
            }
            publish.send().await.map_err(|e| {
                NotifyError::Sms(
                    aws_sdk_sns::error::ProvideErrorMetadata::code(&e)
                        .unwrap_or("no_answer")
                        .to_owned(),
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use c2s_domain::notice::Notice;

    fn message(channel: Channel, to: &str, notice: Notice) -> OutboxMessage {
        OutboxMessage::new(channel, to, notice)
    }

    fn idle() -> Notice {
        Notice::DraftIdle {
            first_name: "Marie".into(),
            link: "https://c2s.ameli.fr".into(),
        }
    }

    #[test]
    fn an_sms_goes_to_the_number_in_e164_with_no_name() {
        let outgoing = prepare(&message(Channel::Sms, "06 12 34 56 78", idle()));
        let outgoing = outgoing.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outgoing.to, "+33612345678");
        assert!(!outgoing.rendered.text.contains("Marie"));
    }

    #[test]
    fn an_email_has_its_subject_and_text() {
        let outgoing = prepare(&message(Channel::Email, " marie@exemple.fr ", idle()));
        let outgoing = outgoing.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outgoing.to, "marie@exemple.fr");
        assert_eq!(
            outgoing.rendered.subject,
            "Votre demande de renouvellement n'est pas encore envoyée"
        );
        assert!(outgoing.rendered.text.starts_with("Bonjour Marie,"));
    }

    #[test]
    fn what_cannot_be_sent_fails_before_any_provider_and_names_no_one() {
        let activation = Notice::PartnerActivation {
            first_name: "Alix".into(),
            organisation: "CCAS".into(),
            link: "https://c2s.ameli.fr/partenaire/activation#t".into(),
        };
        for (m, said) in [
            (
                message(Channel::Sms, "0612345678", activation),
                "partner_activation is not sent by sms",
            ),
            (
                message(Channel::Sms, "0123456789", idle()),
                "not a mobile phone number",
            ),
            (
                message(Channel::Email, "marie@localhost", idle()),
                "not an email address",
            ),
            (
                message(Channel::Email, "marie@exemple.fr\nBcc: x@y.fr", idle()),
                "not an email address",
            ),
        ] {
            let error = prepare(&m).map(|_| ()).err().map(|e| e.to_string());
            assert_eq!(error.as_deref(), Some(said));
        }
    }
}
