//! The events as AWS hands them to a function, in JSON, and what the function answers: API
//! Gateway's HTTP API (payload format 2.0), SQS (S3 notifications arrive as a message's body),
//! and EventBridge Scheduler's scheduled event. Both ways of running a function locally (its
//! binary through the Lambda runtime API, its handler in-process) get these same bytes.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("the function's answer is not what AWS expects: {0}")]
    Answer(String),
}

/// Where the answer stops decoding, never what it says (it may hold personal data).
fn undecodable(e: serde_json::Error) -> EventError {
    EventError::Answer(format!("line {}, column {}", e.line(), e.column()))
}

/// An HTTP request as API Gateway received it, with the route it matched.
pub struct HttpCall<'a> {
    pub method: &'a http::Method,
    pub uri: &'a http::Uri,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
    /// `PUT /api/renewals/{id}`: the route of the template it matched.
    pub route_key: &'a str,
    pub path_parameters: BTreeMap<String, String>,
    pub source_ip: IpAddr,
    pub request_id: &'a str,
    /// The stack's account (the emulator's, or AWS's).
    pub account: &'a str,
}

/// The HTTP API's event (payload 2.0): header names in lower case, repeated headers and query
/// parameters joined by commas, cookies apart, a body that is not UTF-8 text in base64. Empty
/// parts are left out, as API Gateway leaves them out.
pub fn http_request(call: &HttpCall) -> Vec<u8> {
    let mut headers = Map::new();
    for name in call.headers.keys() {
        if name == http::header::COOKIE {
            continue;
        }
        let values: Vec<&str> = call
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if !values.is_empty() {
            headers.insert(name.as_str().to_owned(), Value::from(values.join(",")));
        }
    }
    let cookies: Vec<String> = call
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    let raw_query = call.uri.query().unwrap_or_default();
    let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let header = |name: &str| call.headers.get(name).and_then(|v| v.to_str().ok());
    let host = header("host").unwrap_or("localhost");
    let now = OffsetDateTime::now_utc();
    let mut event = json!({
        "version": "2.0",
        "routeKey": call.route_key,
        "rawPath": call.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": call.account,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or(host),
            "http": {
                "method": call.method.as_str(),
                "path": call.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": call.source_ip.to_string(),
                "userAgent": header("user-agent").unwrap_or_default(),
            },
            "requestId": call.request_id,
            "routeKey": call.route_key,
            "stage": "$default",
            "time": request_time(now),
            "timeEpoch": (now.unix_timestamp_nanos() / 1_000_000) as i64,
        },
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        let joined: Map<String, Value> = query
            .into_iter()
            .map(|(k, v)| (k, Value::from(v.join(","))))
            .collect();
        event["queryStringParameters"] = Value::Object(joined);
    }
    if !call.path_parameters.is_empty() {
        event["pathParameters"] = json!(call.path_parameters);
    }
    if !call.body.is_empty() {
        match std::str::from_utf8(call.body) {
            Ok(text) => event["body"] = Value::from(text),
            Err(_) => {
                event["body"] =
                    Value::from(base64::engine::general_purpose::STANDARD.encode(call.body));
                event["isBase64Encoded"] = Value::Bool(true);
            }
        }
    }
    serde_json::to_vec(&event).unwrap_or_default()
}

/// `23/Nov/2026:09:15:02 +0000`, API Gateway's `requestContext.time`.
fn request_time(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    t.format(&format).unwrap_or_default()
}

/// The function's answer to the HTTP API (`statusCode`, `headers`, `cookies`, `body`,
/// `isBase64Encoded`) as the HTTP response API Gateway sends back.
pub fn http_response(answer: &[u8]) -> Result<http::Response<Vec<u8>>, EventError> {
    let answer: ApiGatewayV2httpResponse = serde_json::from_slice(answer).map_err(undecodable)?;
    let body = match answer.body {
        None | Some(Body::Empty) => Vec::new(),
        Some(Body::Text(text)) if answer.is_base64_encoded => {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| EventError::Answer(e.to_string()))?
        }
        Some(Body::Text(text)) => text.into_bytes(),
        Some(Body::Binary(bytes)) => bytes,
        Some(_) => Vec::new(),
    };
    let status = u16::try_from(answer.status_code)
        .ok()
        .and_then(|s| http::StatusCode::from_u16(s).ok())
        .ok_or_else(|| EventError::Answer(format!("status {}", answer.status_code)))?;
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.extend(answer.headers);
    headers.extend(answer.multi_value_headers);
    for cookie in answer.cookies {
        let value =
            http::HeaderValue::try_from(cookie).map_err(|e| EventError::Answer(e.to_string()))?;
        headers.append(http::header::SET_COOKIE, value);
    }
    Ok(response)
}

/// A batch of messages as the SQS event source mapping hands it to the function.
pub fn sqs_event(
    messages: &[aws_sdk_sqs::types::Message],
    queue_arn: &str,
    region: &str,
) -> Vec<u8> {
    let mut event = SqsEvent::default();
    for m in messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id.clone();
        record.receipt_handle = m.receipt_handle.clone();
        record.body = m.body.clone();
        record.md5_of_body = m.md5_of_body.clone();
        record.attributes = m
            .attributes
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect();
        record.event_source = Some("aws:sqs".into());
        record.event_source_arn = Some(queue_arn.to_owned());
        record.aws_region = Some(region.to_owned());
        event.records.push(record);
    }
    serde_json::to_vec(&event).unwrap_or_default()
}

/// The ids of the messages the function reports as failed (`batchItemFailures`): only the
/// others are deleted from the queue.
pub fn batch_failures(answer: &[u8]) -> Result<HashSet<String>, EventError> {
    let answer: SqsBatchResponse = serde_json::from_slice(answer).map_err(undecodable)?;
    Ok(answer
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect())
}

/// EventBridge Scheduler's default event for a schedule without an input.
pub fn scheduled_event(schedule_arn: &str, region: &str, account: &str) -> Vec<u8> {
    let time = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let event = json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": account,
        "time": time,
        "region": region,
        "resources": [schedule_arn],
        "detail": {},
    });
    serde_json::to_vec(&event).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;

    fn keys(v: &Value) -> Vec<String> {
        let mut out = Vec::new();
        if let Value::Object(map) = v {
            for (k, inner) in map {
                out.push(k.clone());
                if k != "headers" {
                    out.extend(keys(inner).into_iter().map(|i| format!("{k}.{i}")));
                }
            }
        }
        out.sort();
        out
    }

    fn call(headers: &[(&str, &str)], uri: &str, body: &[u8]) -> Vec<u8> {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
                http::HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        let uri: http::Uri = uri.parse().unwrap_or_else(|e| panic!("{e}"));
        http_request(&HttpCall {
            method: &http::Method::PUT,
            uri: &uri,
            headers: &map,
            body,
            route_key: "PUT /api/renewals/{id}",
            path_parameters: BTreeMap::from([("id".to_owned(), "r-1".to_owned())]),
            source_ip: "203.0.113.10".parse().unwrap_or_else(|e| panic!("{e}")),
            request_id: "req-1",
            account: "123456789012",
        })
    }

    /// The event has the shape of the sample recorded from API Gateway (`events/`), and
    /// `lambda_http` reads it back as the request that was made.
    #[test]
    fn the_http_event_is_api_gateways_and_lambda_http_reads_it() {
        let sample: Value =
            serde_json::from_str(include_str!("../../../events/identity-sign-in.json"))
                .unwrap_or_else(|e| panic!("{e}"));
        let bytes = call(
            &[
                ("Content-Type", "application/json"),
                ("host", "127.0.0.1:3000"),
                ("user-agent", "Mozilla/5.0"),
                ("x-forwarded-for", "203.0.113.10"),
                ("accept", "text/html"),
                ("accept", "application/json"),
                ("cookie", "a=1; b=2"),
            ],
            "/api/renewals/r-1?cursor=x%20y&s=1&s=2",
            br#"{"version": 1}"#,
        );
        let event: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let extra = [
            "cookies",
            "pathParameters",
            "pathParameters.id",
            "queryStringParameters",
            "queryStringParameters.cursor",
            "queryStringParameters.s",
        ];
        let ours: Vec<String> = keys(&event)
            .into_iter()
            .filter(|k| !extra.contains(&k.as_str()))
            .collect();
        assert_eq!(ours, keys(&sample));
        assert_eq!(event["headers"]["accept"], "text/html,application/json");
        assert_eq!(event["headers"]["cookie"], Value::Null);
        assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(event["queryStringParameters"]["s"], "1,2");

        let text = String::from_utf8(bytes).unwrap_or_default();
        let req = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.method(), http::Method::PUT);
        assert_eq!(req.uri().path(), "/api/renewals/r-1");
        assert_eq!(
            req.query_string_parameters().first("cursor"),
            Some("x y"),
            "query parameters are decoded"
        );
        assert_eq!(req.path_parameters().first("id"), Some("r-1"));
        assert_eq!(req.headers()["content-type"], "application/json");
        assert_eq!(req.headers()["cookie"], "a=1; b=2");
        assert_eq!(req.body().as_ref(), br#"{"version": 1}"#);
    }

    #[test]
    fn a_binary_body_travels_in_base64_and_an_empty_one_not_at_all() {
        let bytes = call(&[], "/api/renewals/r-1", &[0xff, 0x00, 0x89]);
        let event: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event["isBase64Encoded"], true);
        let text = String::from_utf8(bytes).unwrap_or_default();
        let req = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.body().as_ref(), &[0xff, 0x00, 0x89]);

        let event: Value = serde_json::from_slice(&call(&[], "/api/renewals/r-1", b""))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(event.get("body").is_none());
        assert!(event.get("queryStringParameters").is_none());
    }

    #[test]
    fn the_answer_becomes_the_http_response() {
        let answer = json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json"},
            "multiValueHeaders": {},
            "cookies": ["s=1; HttpOnly", "t=2"],
            "body": "eyJvayI6dHJ1ZX0=",
            "isBase64Encoded": true,
        });
        let response =
            http_response(answer.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["content-type"], "application/json");
        let cookies: Vec<_> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert_eq!(cookies, ["s=1; HttpOnly", "t=2"]);
        assert_eq!(response.body(), br#"{"ok":true}"#);

        assert!(http_response(b"{\"errorType\":\"x\"}").is_err());
        assert!(http_response(b"{\"statusCode\":99999,\"cookies\":[]}").is_err());
    }

    #[test]
    fn queue_and_schedule_events_read_as_the_runtime_reads_them() {
        let message = aws_sdk_sqs::types::Message::builder()
            .message_id("m-1")
            .receipt_handle("h-1")
            .body("{\"Records\": []}")
            .attributes(
                aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
                "2",
            )
            .build();
        let bytes = sqs_event(
            &[message],
            "arn:aws:sqs:eu-west-3:123456789012:q",
            "eu-west-3",
        );
        let event: SqsEvent = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let record = &event.records[0];
        assert_eq!(record.message_id.as_deref(), Some("m-1"));
        assert_eq!(record.receipt_handle.as_deref(), Some("h-1"));
        assert_eq!(
            record.event_source_arn.as_deref(),
            Some("arn:aws:sqs:eu-west-3:123456789012:q")
        );
        assert_eq!(record.attributes["ApproximateReceiveCount"], "2");
        let raw: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            raw["Records"][0]["eventSourceARN"],
            "arn:aws:sqs:eu-west-3:123456789012:q"
        );

        let failed = batch_failures(br#"{"batchItemFailures":[{"itemIdentifier":"m-1"}]}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failed, HashSet::from(["m-1".to_owned()]));
        assert!(batch_failures(b"null").is_err());

        let bytes = scheduled_event(
            "arn:aws:scheduler:eu-west-3:123456789012:schedule/default/x",
            "eu-west-3",
            "123456789012",
        );
        let event: aws_lambda_events::eventbridge::EventBridgeEvent =
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event.detail_type, "Scheduled Event");
        assert_eq!(event.source, "aws.scheduler");
        let sample: Value = serde_json::from_str(include_str!("../../../events/deadlines.json"))
            .unwrap_or_else(|e| panic!("{e}"));
        let ours: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys(&ours), keys(&sample));
    }
}
