//! What the emulator says was sent: the emails SES accepted and the SMS SNS accepted, read
//! back from moto (`/moto-api/c2s/sent.json` of `infra/lib/moto_server.py`, or moto's own
//! `/moto-api/data.json`, same shape, from an older emulator) or, for SMS, from LocalStack
//! (`/_aws/sns/sms-messages`). Each service is read where its client sends
//! (`AWS_ENDPOINT_URL_SESV2`, `AWS_ENDPOINT_URL_SNS`, else `AWS_ENDPOINT_URL`): a LocalStack
//! run sends email through moto, LocalStack having no SES v2. Only this stack's: emails from
//! its own sender address, SMS sent since it started that carry its own address (every SMS
//! template ends with the service's link).

use c2s_domain::notice::{recognise, Channel};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Default, Deserialize)]
struct State {
    #[serde(default)]
    ses: Ses,
    #[serde(default)]
    sns: Sns,
}

#[derive(Debug, Default, Deserialize)]
struct Ses {
    #[serde(rename = "Message", default)]
    messages: Vec<Email>,
}

#[derive(Debug, Default, Deserialize)]
struct Sns {
    #[serde(rename = "SMS", default)]
    sms: Vec<Sms>,
}

#[derive(Debug, Deserialize)]
struct Email {
    #[serde(default)]
    id: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    destinations: Value,
}

#[derive(Debug, Deserialize)]
struct Sms {
    #[serde(default)]
    message_id: String,
    #[serde(default)]
    phone_number: String,
    #[serde(default)]
    message: String,
}

pub struct SentMessages {
    http: reqwest::Client,
    /// Where SES and SNS are reached (none: nothing can be read back).
    ses: Option<String>,
    sns: Option<String>,
    sender: String,
    public_url: String,
    /// Ids of the SMS already in the emulator when this stack started (another stack's).
    sms_before: std::collections::HashSet<String>,
}

/// LocalStack's record of an SMS (`/_aws/sns/sms-messages`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LocalStackSms {
    #[serde(default)]
    message_id: String,
    #[serde(default)]
    phone_number: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct LocalStackSmsList {
    #[serde(default)]
    sms_messages: std::collections::BTreeMap<String, Vec<LocalStackSms>>,
}

/// The endpoint a service's client uses: its own variable, else the shared one.
fn endpoint_of(service: &str, shared: Option<&str>) -> Option<String> {
    std::env::var(format!("AWS_ENDPOINT_URL_{service}"))
        .ok()
        .filter(|u| !u.is_empty())
        .or(shared.map(str::to_owned))
        .map(|u| u.trim_end_matches('/').to_owned())
}

impl SentMessages {
    /// `emulator` is `AWS_ENDPOINT_URL` (none, and no per-service one: nothing can be read).
    pub async fn new(emulator: Option<String>, sender: String, public_url: String) -> Self {
        let mut sent = Self {
            http: reqwest::Client::new(),
            ses: endpoint_of("SESV2", emulator.as_deref()),
            sns: endpoint_of("SNS", emulator.as_deref()),
            sender,
            public_url,
            sms_before: Default::default(),
        };
        sent.sms_before = sent
            .sms()
            .await
            .map(|s| s.into_iter().map(|m| m.message_id).collect())
            .unwrap_or_default();
        sent
    }

    /// moto's record of what was sent, from `base`.
    async fn moto_state(&self, base: &str) -> Result<Option<State>, String> {
        let get = |path: &str| self.http.get(format!("{base}{path}")).send();
        let mut resp = get("/moto-api/c2s/sent.json")
            .await
            .map_err(|e| e.to_string())?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            resp = get("/moto-api/data.json")
                .await
                .map_err(|e| e.to_string())?;
        }
        if !resp.status().is_success() {
            return Ok(None);
        }
        resp.json().await.map(Some).map_err(|e| e.to_string())
    }

    async fn emails(&self) -> Result<Vec<Email>, String> {
        let Some(base) = &self.ses else {
            return Ok(Vec::new());
        };
        Ok(self
            .moto_state(base)
            .await?
            .map(|s| s.ses.messages)
            .unwrap_or_default())
    }

    async fn sms(&self) -> Result<Vec<Sms>, String> {
        let Some(base) = &self.sns else {
            return Ok(Vec::new());
        };
        if let Some(state) = self.moto_state(base).await? {
            return Ok(state.sns.sms);
        }
        let resp = self
            .http
            .get(format!("{base}/_aws/sns/sms-messages"))
            .query(&[(
                "region",
                std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-west-3".into()),
            )])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("{base} keeps no SMS ({})", resp.status()));
        }
        let list: LocalStackSmsList = resp.json().await.map_err(|e| e.to_string())?;
        // LocalStack groups by number; the order of sending is kept within each.
        Ok(list
            .sms_messages
            .into_values()
            .flatten()
            .map(|m| Sms {
                message_id: m.message_id,
                phone_number: m.phone_number,
                message: m.message,
            })
            .collect())
    }

    async fn state(&self) -> Result<State, String> {
        Ok(State {
            ses: Ses {
                messages: self.emails().await?,
            },
            sns: Sns {
                sms: self.sms().await?,
            },
        })
    }

    /// This stack's messages as `/dev/outbox` shows them: `channel`, `to`, `subject`, `body`,
    /// `kind` (the template they came from) and the provider's `id`; emails first, each
    /// channel oldest first.
    pub async fn messages(&self) -> Result<Vec<Value>, String> {
        let state = self.state().await?;
        Ok(self.of_this_stack(state))
    }

    fn of_this_stack(&self, state: State) -> Vec<Value> {
        let emails = state
            .ses
            .messages
            .into_iter()
            .filter(|m| m.source == self.sender)
            .map(|m| {
                let to = m.destinations["ToAddresses"][0]
                    .as_str()
                    .unwrap_or_default();
                json!({
                    "id": m.id,
                    "channel": "email",
                    "to": to,
                    "subject": m.subject,
                    "body": m.body,
                    "kind": recognise(Channel::Email, &m.subject, &m.body),
                })
            });
        let sms = state
            .sns
            .sms
            .into_iter()
            .filter(|m| !self.sms_before.contains(&m.message_id))
            .filter(|m| mentions(&m.message, &self.public_url))
            .map(|m| {
                json!({
                    "id": m.message_id,
                    "channel": "sms",
                    "to": m.phone_number,
                    "subject": "",
                    "body": m.message,
                    "kind": recognise(Channel::Sms, "", &m.message),
                })
            });
        emails.chain(sms).collect()
    }
}

/// `text` links to `url` itself (not to a longer port or host that starts the same).
fn mentions(text: &str, url: &str) -> bool {
    text.match_indices(url).any(|(at, _)| {
        text[at + url.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '.' && c != ':')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> SentMessages {
        SentMessages {
            http: reqwest::Client::new(),
            ses: None,
            sns: None,
            sender: "ne-pas-repondre+t1@c2s.ameli.fr".into(),
            public_url: "http://127.0.0.1:4000".into(),
            sms_before: ["s0".to_owned()].into(),
        }
    }

    #[test]
    fn only_this_stacks_messages_are_shown() {
        let state: State = serde_json::from_value(json!({
            "ses": {"Message": [
                {"id": "e1", "source": "ne-pas-repondre+t1@c2s.ameli.fr", "subject": "Activez votre compte partenaire C2S en ligne", "body": "Bonjour", "destinations": {"ToAddresses": ["a@b.fr"]}},
                {"id": "e2", "source": "ne-pas-repondre+t2@c2s.ameli.fr", "subject": "x", "body": "y", "destinations": {"ToAddresses": ["c@d.fr"]}}
            ]},
            "sns": {"SMS": [
                {"message_id": "s0", "phone_number": "+33600000000", "message": "C2S en ligne : votre demande de renouvellement n'est pas encore envoyée. Reprenez-la sur http://127.0.0.1:4000"},
                {"message_id": "s1", "phone_number": "+33612345678", "message": "C2S en ligne : votre demande de renouvellement n'est pas encore envoyée. Reprenez-la sur http://127.0.0.1:4000"},
                {"message_id": "s2", "phone_number": "+33700000000", "message": "C2S en ligne : votre demande de renouvellement n'est pas encore envoyée. Reprenez-la sur http://127.0.0.1:40001"}
            ]}
        }))
        .unwrap_or_default();
        let shown = sent().of_this_stack(state);
        let ids: Vec<&str> = shown.iter().filter_map(|m| m["id"].as_str()).collect();
        assert_eq!(ids, ["e1", "s1"]);
        assert_eq!(shown[0]["kind"], "partner_activation");
        assert_eq!(shown[0]["to"], "a@b.fr");
        assert_eq!(shown[1]["kind"], "draft_idle");
        assert_eq!(shown[1]["channel"], "sms");
    }

    #[test]
    fn a_link_is_recognised_whole() {
        assert!(mentions(
            "sur http://127.0.0.1:4000",
            "http://127.0.0.1:4000"
        ));
        assert!(mentions(
            "http://127.0.0.1:4000/partenaire x",
            "http://127.0.0.1:4000"
        ));
        assert!(!mentions("http://127.0.0.1:40001", "http://127.0.0.1:4000"));
        assert!(!mentions("rien", "http://127.0.0.1:4000"));
    }
}
