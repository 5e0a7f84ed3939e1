//! S3 object-created notifications as they arrive through SQS: one JSON S3 event per
//! message body (or S3's test event when a notification is set up, which carries nothing).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde::Deserialize;
use tracing::Instrument;

/// Only the fields used here: emulators leave out some that `aws_lambda_events`' `S3Event`
/// requires (`userIdentity`, `requestParameters`), and nothing else is needed.
#[derive(Deserialize)]
struct Event {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    event_name: Option<String>,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    key: Option<String>,
    size: Option<i64>,
    e_tag: Option<String>,
}

/// Runs `work` on the S3 objects of each message, in a span per message, and reports the
/// messages that failed so that only they come back (partial batch failure).
pub async fn for_each_message<F, Fut, E>(
    event: SqsEvent,
    span_name: &'static str,
    mut work: F,
) -> SqsBatchResponse
where
    F: FnMut(Vec<ObjectRef>) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", consumer = span_name, message_id = %id);
        let result = match objects_in(message.body.as_deref().unwrap_or("")) {
            Ok(objects) => work(objects)
                .instrument(span)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = result {
            tracing::warn!(consumer = span_name, message_id = %id, error = %e, "message failed");
            response.add_failure(id);
        }
    }
    response
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    pub size: Option<i64>,
    pub etag: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the message is not an S3 event")]
pub struct NotAnS3Event;

pub fn objects_in(body: &str) -> Result<Vec<ObjectRef>, NotAnS3Event> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|_| NotAnS3Event)?;
    if value.get("Event").and_then(|e| e.as_str()) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    let event: Event = serde_json::from_value(value).map_err(|_| NotAnS3Event)?;
    Ok(event
        .records
        .into_iter()
        .filter(|r| {
            r.event_name
                .as_deref()
                .is_some_and(|n| n.starts_with("ObjectCreated"))
        })
        .filter_map(|r| {
            let key = r.s3.object.key?;
            Some(ObjectRef {
                bucket: r.s3.bucket.name?,
                // Keys arrive URL-encoded, with '+' for spaces.
                key: url_decode(&key.replace('+', " ")),
                size: r.s3.object.size,
                etag: r.s3.object.e_tag,
            })
        })
        .collect())
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_object_created_records() {
        let body = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-3","eventTime":"2026-11-23T10:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","configurationId":"x","bucket":{"name":"b","arn":"arn:aws:s3:::b"},"object":{"key":"inbound/beneficiaries/demo+file%C3%A9.jsonl","size":12,"eTag":"abc"}}}]}"#;
        let objects = objects_in(body).map_err(|e| e.to_string());
        assert_eq!(
            objects.map(|o| o.into_iter().map(|o| o.key).collect::<Vec<_>>()),
            Ok(vec!["inbound/beneficiaries/demo fileé.jsonl".to_owned()])
        );
        assert_eq!(
            objects_in(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#)
                .map(|o| o.len())
                .ok(),
            Some(0)
        );
        assert!(objects_in("not json").is_err());
        assert!(objects_in(r#"{"not": "an S3 event"}"#).is_err());
        assert!(objects_in(r#"{"Records": "nope"}"#).is_err());
    }
}
