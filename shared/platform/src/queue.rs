//! SQS consumers: one partial-batch driver for every queue. A message body is decoded as
//! the consumer asks ([`Decode`]): the S3 object-created notification of a bucket (or S3's
//! test event when a notification is set up, which carries nothing), or a JSON body of its
//! own type ([`Json`]).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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
    /// In a versioned bucket, the version this event is about.
    version_id: Option<String>,
}

/// A message body that does not decode as the consumer expects: the message fails (and,
/// received again and again, ends in the dead-letter queue).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the message is not {0}")]
pub struct BadMessage(pub &'static str);

/// How a consumer reads its message bodies.
pub trait Decode: Sized {
    fn decode(body: &str) -> Result<Self, BadMessage>;
}

/// The objects of an S3 notification; none for S3's test event.
impl Decode for Vec<ObjectRef> {
    fn decode(body: &str) -> Result<Self, BadMessage> {
        objects_in(body).map_err(|_| BadMessage("an S3 event"))
    }
}

/// A JSON body of type `T` (unknown fields are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> Decode for Json<T> {
    fn decode(body: &str) -> Result<Self, BadMessage> {
        serde_json::from_str(body)
            .map(Json)
            .map_err(|_| BadMessage("the expected JSON"))
    }
}

/// Decodes each message as `M` and runs `work` on it, in a span per message, one message
/// after the other; reports the messages that failed (undecodable, or `work` failed) so that
/// only they come back (partial batch failure). The error is logged with the message id.
pub async fn for_each_message<M, F, Fut, E>(
    event: SqsEvent,
    consumer: &'static str,
    mut work: F,
) -> SqsBatchResponse
where
    M: Decode,
    F: FnMut(M) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", consumer, message_id = %id);
        let result = match M::decode(message.body.as_deref().unwrap_or("")) {
            Ok(decoded) => work(decoded)
                .instrument(span)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = result {
            tracing::warn!(consumer, message_id = %id, error = %e, "message failed");
            response.add_failure(id);
        }
    }
    response
}

/// How long a message whose work failed stays invisible, by how many times it has been
/// received: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, then 12 h (SQS's longest
/// visibility). Ten receives (the document check's `maxReceiveCount`) take about 28 hours,
/// within the queue's 4 days of retention; a one-hour outage uses six.
pub fn backoff_seconds(receive_count: u32) -> i32 {
    const STEPS: [i32; 8] = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800];
    STEPS
        .get(receive_count.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(43_200)
}

/// A consumer that backs off: each message its work failed is kept out of sight for
/// [`backoff_seconds`] (ChangeMessageVisibility on the message just received, which the
/// event source mapping honours), rather than coming back after the queue's fixed visibility,
/// so that a dependency that is down for an hour does not spend every receive of a message.
/// A body that does not decode comes back at once (poison: the dead-letter queue is for it).
#[cfg(feature = "sqs")]
pub struct Backoff {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

#[cfg(feature = "sqs")]
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The SDK's error with its context (codes and request ids, no message bodies).
    #[error("{0}")]
    Queue(String),
    #[error("{0} messages refused by the queue")]
    Refused(usize),
}

/// Sends every body to the queue, ten to a `SendMessageBatch`.
#[cfg(feature = "sqs")]
pub async fn send_all(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    bodies: &[String],
) -> Result<(), SendError> {
    use aws_sdk_sqs::error::DisplayErrorContext;
    for chunk in bodies.chunks(10) {
        let mut batch = sqs.send_message_batch().queue_url(queue_url);
        for (i, body) in chunk.iter().enumerate() {
            let entry = aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .build()
                .map_err(|e| SendError::Queue(DisplayErrorContext(&e).to_string()))?;
            batch = batch.entries(entry);
        }
        let out = batch
            .send()
            .await
            .map_err(|e| SendError::Queue(DisplayErrorContext(&e).to_string()))?;
        if !out.failed.is_empty() {
            return Err(SendError::Refused(out.failed.len()));
        }
    }
    Ok(())
}

#[cfg(feature = "sqs")]
impl Backoff {
    pub fn new(sqs: aws_sdk_sqs::Client, queue_url: String) -> Backoff {
        Backoff { sqs, queue_url }
    }

    /// [`for_each_message`], then the failed messages delayed. A delay that cannot be set is
    /// logged: the message then comes back after the queue's visibility timeout.
    pub async fn for_each_message<M, F, Fut, E>(
        &self,
        event: SqsEvent,
        consumer: &'static str,
        work: F,
    ) -> SqsBatchResponse
    where
        M: Decode,
        F: FnMut(M) -> Fut,
        Fut: std::future::Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        // A body that cannot be read never will be: back at once, to reach the dead-letter
        // queue after its receives rather than wait hours for nothing.
        let received: Vec<(String, String, i32)> = event
            .records
            .iter()
            .filter_map(|m| {
                let count = m
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                let delay = match M::decode(m.body.as_deref().unwrap_or("")) {
                    Ok(_) => backoff_seconds(count),
                    Err(_) => 0,
                };
                Some((m.message_id.clone()?, m.receipt_handle.clone()?, delay))
            })
            .collect();
        let response = for_each_message(event, consumer, work).await;
        for failure in &response.batch_item_failures {
            let Some((id, handle, delay)) = received
                .iter()
                .find(|(id, _, _)| *id == failure.item_identifier)
            else {
                continue;
            };
            match self
                .sqs
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(handle)
                .visibility_timeout(*delay)
                .send()
                .await
            {
                Ok(_) => {
                    tracing::info!(consumer, message_id = %id, delay_s = delay, "message delayed")
                }
                Err(e) => tracing::warn!(
                    consumer,
                    message_id = %id,
                    error = %aws_sdk_sqs::error::DisplayErrorContext(&e),
                    "message could not be delayed"
                ),
            }
        }
        response
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    pub size: Option<i64>,
    pub etag: Option<String>,
    /// The version the event names (versioned buckets); `None` means the current one.
    pub version_id: Option<String>,
}

impl ObjectRef {
    /// The idempotency key of `job`'s work on this upload of the object:
    /// `<job>#<bucket>#<key>#<ETag>` (`-` without an ETag), then `#<version>` when the event
    /// names one: the same bytes uploaded again are another version, checked again.
    pub fn once_key(&self, job: &str) -> String {
        let mut key = format!(
            "{job}#{}#{}#{}",
            self.bucket,
            self.key,
            self.etag.as_deref().unwrap_or("-")
        );
        if let Some(v) = &self.version_id {
            key.push('#');
            key.push_str(v);
        }
        key
    }
}

/// A job's request to check an object again (`{"check_again": {…}}`), beside S3's
/// notifications on the same queue: one attempt, whose failure the job, not the queue,
/// retries later (so that its requests never pile up behind a long outage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAgain {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CheckAgainBody {
    check_again: CheckAgain,
}

impl CheckAgain {
    pub fn body(&self) -> String {
        serde_json::json!({ "check_again": self }).to_string()
    }

    /// The request a body holds, if it is one.
    pub fn read(body: &str) -> Option<CheckAgain> {
        serde_json::from_str::<CheckAgainBody>(body)
            .ok()
            .map(|b| b.check_again)
    }

    pub fn object(self) -> ObjectRef {
        ObjectRef {
            bucket: self.bucket,
            key: self.key,
            size: None,
            etag: None,
            version_id: self.version_id,
        }
    }
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
                version_id: r.s3.object.version_id,
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
        let body = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-3","eventTime":"2026-11-23T10:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","configurationId":"x","bucket":{"name":"b","arn":"arn:aws:s3:::b"},"object":{"key":"inbound/beneficiaries/demo+file%C3%A9.jsonl","size":12,"eTag":"abc","versionId":"3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"}}}]}"#;
        let objects = objects_in(body).map_err(|e| e.to_string());
        assert_eq!(
            objects.map(|o| {
                o.into_iter()
                    .map(|o| (o.key, o.version_id))
                    .collect::<Vec<_>>()
            }),
            Ok(vec![(
                "inbound/beneficiaries/demo fileé.jsonl".to_owned(),
                Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY".to_owned())
            )])
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

    #[test]
    fn a_check_again_body_reads_back_and_is_no_s3_event() {
        let again = CheckAgain {
            bucket: "b".to_owned(),
            key: "renewals/r/d".to_owned(),
            version_id: Some("v1".to_owned()),
        };
        assert_eq!(CheckAgain::read(&again.body()), Some(again.clone()));
        assert!(objects_in(&again.body()).is_err());
        assert_eq!(CheckAgain::read(CREATED), None);
        assert_eq!(again.object().key, "renewals/r/d");
    }

    #[test]
    fn failed_messages_back_off_up_to_twelve_hours() {
        let delays: Vec<i32> = (1..=11).map(backoff_seconds).collect();
        assert_eq!(
            delays,
            [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200, 43_200, 43_200]
        );
        // A one-hour outage: the receives before it ends stay far from the ten allowed.
        let mut at = 0;
        let mut receives = 1;
        while at < 3600 {
            at += backoff_seconds(receives);
            receives += 1;
        }
        assert_eq!(receives, 6);
        // Ten receives end well within the queue's 4 days of retention.
        assert!((1..10).map(backoff_seconds).sum::<i32>() < 4 * 86_400 / 2);
        assert_eq!(backoff_seconds(0), 30);
    }

    #[test]
    fn once_keys_name_the_job_and_the_upload() {
        let mut object = ObjectRef {
            bucket: "b".to_owned(),
            key: "inbound/acks/x.json".to_owned(),
            size: None,
            etag: Some("e1".to_owned()),
            version_id: None,
        };
        assert_eq!(
            object.once_key("sync-in-ack"),
            "sync-in-ack#b#inbound/acks/x.json#e1"
        );
        object.etag = None;
        assert_eq!(
            object.once_key("sync-in"),
            "sync-in#b#inbound/acks/x.json#-"
        );
        object.version_id = Some("v2".to_owned());
        assert_eq!(
            object.once_key("sync-in"),
            "sync-in#b#inbound/acks/x.json#-#v2"
        );
    }

    /// Every job that fans work out sends its batches through [`send_all`]: a second loop
    /// of `SendMessageBatch` would be a second place to get its limits and failures right.
    #[test]
    fn batches_are_sent_only_through_send_all() {
        let functions = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions");
        let mut own_loops = Vec::new();
        for crate_dir in std::fs::read_dir(&functions)
            .into_iter()
            .flatten()
            .flatten()
        {
            let src = crate_dir.path().join("src");
            for file in std::fs::read_dir(&src).into_iter().flatten().flatten() {
                let text = std::fs::read_to_string(file.path()).unwrap_or_default();
                if text.contains("send_message_batch()") {
                    own_loops.push(file.path().display().to_string());
                }
            }
        }
        assert!(
            functions.is_dir(),
            "the functions are at {}",
            functions.display()
        );
        assert_eq!(own_loops, Vec::<String>::new(), "use queue::send_all");
    }

    fn batch(bodies: &[(&str, &str)]) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = bodies
            .iter()
            .map(|(id, body)| {
                let mut m = aws_lambda_events::event::sqs::SqsMessage::default();
                m.message_id = Some((*id).to_owned());
                m.body = Some((*body).to_owned());
                m
            })
            .collect();
        event
    }

    fn failed(response: SqsBatchResponse) -> Vec<String> {
        response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }

    const CREATED: &str = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"KEY","eTag":"e"}}}]}"#;

    #[tokio::test]
    async fn the_driver_reports_exactly_the_failed_messages() {
        let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#;
        let event = batch(&[
            ("ok-1", &CREATED.replace("KEY", "good")),
            ("undecodable-2", "not json"),
            ("test-event-3", test_event),
            ("work-fails-4", &CREATED.replace("KEY", "bad")),
            ("ok-5", &CREATED.replace("KEY", "good")),
        ]);
        let mut seen = Vec::new();
        let response = for_each_message(event, "test", |objects: Vec<ObjectRef>| {
            let keys: Vec<String> = objects.into_iter().map(|o| o.key).collect();
            seen.push(keys.clone());
            async move {
                if keys.iter().any(|k| k == "bad") {
                    Err(BadMessage("good"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert_eq!(failed(response), ["undecodable-2", "work-fails-4"]);
        assert_eq!(
            seen,
            [vec!["good"], vec![], vec!["bad"], vec!["good"]],
            "the test event runs with no objects; an undecodable body never reaches the work"
        );
    }

    #[tokio::test]
    async fn the_driver_decodes_json_bodies() {
        #[derive(Deserialize)]
        struct Body {
            n: u32,
        }
        let event = batch(&[
            ("a", r#"{"n": 1, "extra": true}"#),
            ("b", r#"{"m": 2}"#),
            ("c", r#"{"n": 3}"#),
            ("d", "[]"),
        ]);
        let mut sum = 0;
        let response = for_each_message(event, "test", |Json(body): Json<Body>| {
            sum += body.n;
            async { Ok::<_, BadMessage>(()) }
        })
        .await;
        assert_eq!(failed(response), ["b", "d"]);
        assert_eq!(sum, 4);
    }
}
