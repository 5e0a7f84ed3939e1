//! Each function of the template as the dev server calls it: with the JSON event AWS sends,
//! answered by the JSON the function returns. Either its real binary runs through the Lambda
//! runtime API (`crate::binaries`), or its handler is built in-process here and decodes the
//! event and encodes its answer exactly as `lambda_http` and `lambda_runtime` do in `main.rs`.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_platform::aws::Clients;
use c2s_platform::{ConfigError, Env};
use futures::future::BoxFuture;
use futures::FutureExt;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Context, LambdaEvent, Request, Response, Service};
use serde_json::Value;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The function answered an error (`{"errorType", "errorMessage"}`); it logged the cause.
    #[error("the function failed ({0})")]
    Failed(String),
    #[error("the function's process stopped before answering")]
    Crashed,
    #[error("the function did not answer within its timeout")]
    TimedOut,
    #[error("the function cannot be reached: {0}")]
    Unreachable(String),
}

/// Event in, answer out, both as JSON bytes.
pub type Invoke =
    Arc<dyn Fn(Vec<u8>) -> BoxFuture<'static, Result<Vec<u8>, InvokeError>> + Send + Sync>;

/// A function of the template, ready to be invoked.
pub struct Function {
    /// Its `BuildProperties.Binary`.
    pub name: String,
    invoke: Invoke,
}

impl Function {
    pub fn new(name: &str, invoke: Invoke) -> Function {
        Function {
            name: name.to_owned(),
            invoke,
        }
    }

    pub async fn invoke(&self, event: Vec<u8>) -> Result<Vec<u8>, InvokeError> {
        (self.invoke)(event).await
    }
}

/// Runs `work` as the runtime does: a panic is the invocation's error, not the server's.
async fn guarded<F>(function: &'static str, work: F) -> Result<Vec<u8>, InvokeError>
where
    F: Future<Output = Result<Vec<u8>, InvokeError>>,
{
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(answer) => answer,
        Err(_) => {
            tracing::error!(function, "the handler panicked");
            Err(InvokeError::Failed("panic".into()))
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    function: &'static str,
    event: &[u8],
) -> Result<T, InvokeError> {
    serde_json::from_slice(event).map_err(|e| {
        // Where, not what: serde's message may quote the event.
        let (line, column) = (e.line(), e.column());
        tracing::error!(function, line, column, "the event does not decode");
        InvokeError::Failed("serde_json::Error".into())
    })
}

fn encode<T: serde::Serialize>(answer: &T) -> Result<Vec<u8>, InvokeError> {
    serde_json::to_vec(answer).map_err(|_| InvokeError::Failed("serde_json::Error".into()))
}

/// An HTTP function: the API Gateway event through `lambda_http`'s own adapter (the request
/// it builds, the response it encodes), as `lambda_http::run` does.
fn http<F, Fut>(function: &'static str, handle: F) -> Invoke
where
    F: Fn(Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    Arc::new(move |event: Vec<u8>| {
        let handle = handle.clone();
        Box::pin(guarded(function, async move {
            let request: LambdaRequest = decode(function, &event)?;
            let mut adapter =
                lambda_http::Adapter::from(lambda_http::service_fn(move |req: Request| {
                    let answer = handle(req);
                    async move { Ok::<_, Infallible>(answer.await) }
                }));
            let _ = futures::future::poll_fn(|cx| adapter.poll_ready(cx)).await;
            let response = adapter
                .call(LambdaEvent::new(request, Context::default()))
                .await
                .map_err(|e: Infallible| InvokeError::Failed(e.to_string()))?;
            encode(&response)
        }))
    })
}

/// A queue consumer: `LambdaEvent<SqsEvent>` in, `SqsBatchResponse` out.
fn queue<F, Fut>(function: &'static str, handle: F) -> Invoke
where
    F: Fn(SqsEvent) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = SqsBatchResponse> + Send + 'static,
{
    Arc::new(move |event: Vec<u8>| {
        let handle = handle.clone();
        Box::pin(guarded(function, async move {
            let event: SqsEvent = decode(function, &event)?;
            encode(&handle(event).await)
        }))
    })
}

/// A scheduled job: `LambdaEvent<Value>` in (most ignore it, as their `main.rs` does), the
/// report out.
fn job<F, Fut, E>(function: &'static str, run: F) -> Invoke
where
    F: Fn(Value) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, E>> + Send + 'static,
    E: std::fmt::Display,
{
    Arc::new(move |event: Vec<u8>| {
        let run = run.clone();
        Box::pin(guarded(function, async move {
            let event: Value = decode(function, &event)?;
            match run(event).await {
                Ok(report) => encode(&report),
                Err(e) => {
                    // What lambda_runtime logs for the binary.
                    tracing::error!(function, error = %e, "the job failed");
                    Err(InvokeError::Failed(std::any::type_name::<E>().to_owned()))
                }
            }
        }))
    })
}

macro_rules! in_process {
    ($kind:ident, $name:literal, $($krate:ident)::+, $env:expr, $clients:expr) => {{
        let app = Arc::new($($krate)::+::App::from_env($env, $clients)?);
        in_process!(@$kind, $name, $($krate)::+, app)
    }};
    (@http, $name:literal, $($krate:ident)::+, $app:ident) => {
        http($name, move |req| {
            let app = $app.clone();
            async move { $($krate)::+::handle(&app, req).await }
        })
    };
    (@queue, $name:literal, $($krate:ident)::+, $app:ident) => {
        queue($name, move |event| {
            let app = $app.clone();
            async move { $($krate)::+::handle(&app, event).await }
        })
    };
    (@job, $name:literal, $($krate:ident)::+, $app:ident) => {
        job($name, move |_| {
            let app = $app.clone();
            async move { $($krate)::+::run(&app).await }
        })
    };
    // A job that reads its event (a schedule's, or CloudFormation's for a custom resource).
    (@job_event, $name:literal, $($krate:ident)::+, $app:ident) => {
        job($name, move |event| {
            let app = $app.clone();
            async move { $($krate)::+::handle(&app, event).await }
        })
    };
}

/// The function's handler built in-process from its environment; `binary` is its
/// `BuildProperties.Binary` in the template (`DockerBuildArgs.BINARY` for a container image).
pub fn in_process(
    binary: &str,
    env: &Env,
    clients: &Clients,
) -> Result<Option<Invoke>, ConfigError> {
    Ok(Some(match binary {
        "identity" => in_process!(http, "identity", identity, env, clients),
        "eligibility" => in_process!(http, "eligibility", eligibility, env, clients),
        "review" => in_process!(http, "review", review, env, clients),
        "review-records" => in_process!(http, "review-records", review::records, env, clients),
        "partner" => in_process!(http, "partner", partner, env, clients),
        "renewal" => in_process!(http, "renewal", renewal, env, clients),
        "upload" => in_process!(http, "upload", upload, env, clients),
        "document-check" => in_process!(queue, "document-check", document_check, env, clients),
        "sync-in" => in_process!(queue, "sync-in", sync_in, env, clients),
        "purge-worker" => in_process!(queue, "purge-worker", purge_worker, env, clients),
        "reminders-worker" => {
            in_process!(queue, "reminders-worker", reminders_worker, env, clients)
        }
        "deadlines-worker" => {
            in_process!(queue, "deadlines-worker", deadlines_worker, env, clients)
        }
        "notify" => in_process!(queue, "notify", notify, env, clients),
        "partner-lifecycle" => {
            in_process!(job, "partner-lifecycle", partner_lifecycle, env, clients)
        }
        "sync-out" => in_process!(job, "sync-out", sync_out, env, clients),
        "deadlines" => in_process!(job, "deadlines", deadlines, env, clients),
        "document-rescan" => in_process!(job, "document-rescan", document_rescan, env, clients),
        "reminders" => in_process!(job, "reminders", reminders, env, clients),
        "purge" => in_process!(job_event, "purge", purge, env, clients),
        "antivirus-definitions" => in_process!(
            job_event,
            "antivirus-definitions",
            antivirus_definitions,
            env,
            clients
        ),
        _ => return Ok(None),
    }))
}

/// Each HTTP function's route table, as `routes!` declares it.
pub fn route_tables() -> [(&'static str, &'static [(&'static str, &'static str)]); 7] {
    [
        ("identity", identity::ROUTES),
        ("eligibility", eligibility::ROUTES),
        ("review", review::ROUTES),
        ("review-records", review::records::ROUTES),
        ("partner", partner::ROUTES),
        ("renewal", renewal::ROUTES),
        ("upload", upload::ROUTES),
    ]
}

#[cfg(test)]
mod tests {
    use super::route_tables;
    use crate::template::Template;
    use std::collections::BTreeSet;

    type Routes = BTreeSet<(String, String)>;

    fn set(routes: &[(&str, &str)]) -> Routes {
        routes
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect()
    }

    /// A route is declared three times: the function's table, its `HttpApi` events in the
    /// template, and `openapi.yaml`. They must say the same.
    #[test]
    fn routes_agree_with_the_template_and_openapi() {
        let template = Template::parse(include_str!("../../../template.yaml"))
            .unwrap_or_else(|e| panic!("template: {e}"));
        let tables = route_tables();
        let mut served = Routes::new();
        for spec in template.functions() {
            let declared: Routes = spec
                .routes
                .iter()
                .map(|r| (r.method.to_uppercase(), r.path.clone()))
                .collect();
            let table = tables.iter().find(|(b, _)| *b == spec.binary);
            let coded = table.map(|(_, r)| set(r)).unwrap_or_default();
            assert_eq!(
                declared, coded,
                "{}: template events (left) and the function's routes! table (right) differ",
                spec.logical_id
            );
            served.extend(coded);
        }
        let every_table: Routes = tables.iter().flat_map(|(_, r)| set(r)).collect();
        assert_eq!(
            served, every_table,
            "a route table belongs to no function of the template"
        );

        let openapi: serde_yaml::Value =
            serde_yaml::from_str(include_str!("../../../openapi.yaml"))
                .unwrap_or_else(|e| panic!("openapi: {e}"));
        let mut documented = Routes::new();
        if let Some(paths) = openapi.get("paths").and_then(|p| p.as_mapping()) {
            for (path, item) in paths {
                let path = path.as_str().unwrap_or_default();
                for method in ["get", "put", "post", "delete", "patch"] {
                    if item.get(method).is_some() {
                        documented.insert((method.to_uppercase(), path.to_owned()));
                    }
                }
            }
        }
        // The dev server's own routes are documented too, though no function serves them.
        served.extend(set(crate::server::DEV_ROUTES));
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty() && unserved.is_empty(),
            "served but not in openapi.yaml: {undocumented:?}; in openapi.yaml but not served: {unserved:?}"
        );
    }

    /// The resource kinds the form and the engine know are the contract's, in its order.
    #[test]
    fn resource_kinds_agree_with_openapi() {
        let openapi: serde_yaml::Value =
            serde_yaml::from_str(include_str!("../../../openapi.yaml"))
                .unwrap_or_else(|e| panic!("openapi: {e}"));
        let documented: Vec<&str> = openapi["components"]["schemas"]["ResourceKind"]["enum"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str())
            .collect();
        let coded: Vec<String> = c2s_domain::household::ResourceKind::ALL
            .iter()
            .filter_map(|k| serde_json::to_value(k).ok())
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect();
        assert_eq!(documented, coded);
    }
}

#[cfg(test)]
mod consumers {
    use crate::template::Template;
    use std::collections::BTreeSet;

    /// A queue nobody consumes keeps its messages 4 days and drops them: every queue that is
    /// not a dead-letter queue has a function, and every dead-letter queue raises an alarm:
    /// a message that failed three times is work someone must look at.
    #[test]
    fn every_queue_has_a_consumer_and_undelivered_messages_an_alarm() {
        let text = include_str!("../../../template.yaml");
        let template = Template::parse(text).unwrap_or_else(|e| panic!("template: {e}"));
        let queues: BTreeSet<String> = template
            .of_kind("AWS::SQS::Queue")
            .map(|(id, _)| id.clone())
            .collect();
        let dead: BTreeSet<String> = queues
            .iter()
            .filter(|q| q.ends_with("DeadLetterQueue"))
            .cloned()
            .collect();
        let consumed: BTreeSet<String> = template
            .functions()
            .into_iter()
            .flat_map(|f| f.queues.into_iter().map(|q| q.queue))
            .collect();
        let live: BTreeSet<String> = queues.difference(&dead).cloned().collect();
        assert_eq!(live, consumed, "queues (left) and their consumers (right)");
        let alarmed: BTreeSet<String> = template
            .of_kind("AWS::CloudWatch::Alarm")
            .filter(|(_, a)| {
                a.properties.get("Namespace").and_then(|n| n.as_str()) == Some("AWS/SQS")
            })
            .filter_map(|(_, a)| {
                let value = a.properties.get("Dimensions")?.get(0)?.get("Value")?;
                let serde_yaml::Value::Tagged(t) = value else {
                    return None;
                };
                t.value.as_str()?.split('.').next().map(str::to_owned)
            })
            .collect();
        assert_eq!(
            dead, alarmed,
            "dead-letter queues (left) and their alarms (right)"
        );
    }
}
