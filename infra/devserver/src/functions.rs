//! The function handlers, built in-process from the environment the template gives them.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use c2s_platform::aws::Clients;
use c2s_platform::{ConfigError, Env};
use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use std::sync::Arc;

pub type HttpHandler = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;
pub type QueueHandler = Arc<dyn Fn(SqsEvent) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync>;

/// A scheduled job: runs once, answers its report (or its error's text, as Lambda shows it).
pub type JobHandler =
    Arc<dyn Fn() -> BoxFuture<'static, Result<serde_json::Value, String>> + Send + Sync>;

pub enum Handler {
    Http(HttpHandler),
    Queue(QueueHandler),
    Job(JobHandler),
}

macro_rules! http {
    ($krate:ident, $env:expr, $clients:expr) => {{
        let app = Arc::new($krate::App::from_env($env, $clients)?);
        Handler::Http(Arc::new(move |req| {
            let app = app.clone();
            Box::pin(async move { $krate::handle(&app, req).await })
        }))
    }};
}

macro_rules! queue {
    ($krate:ident, $env:expr, $clients:expr) => {{
        let app = Arc::new($krate::App::from_env($env, $clients)?);
        Handler::Queue(Arc::new(move |event| {
            let app = app.clone();
            Box::pin(async move { $krate::handle(&app, event).await })
        }))
    }};
}

macro_rules! job {
    ($krate:ident, $env:expr, $clients:expr) => {{
        let app = Arc::new($krate::App::from_env($env, $clients)?);
        Handler::Job(Arc::new(move || {
            let app = app.clone();
            Box::pin(async move { $krate::run(&app).await.map_err(|e| e.to_string()) })
        }))
    }};
}

/// `binary` is the function's `BuildProperties.Binary` in the template (`DockerBuildArgs.BINARY`
/// for a container image).
pub fn build(binary: &str, env: &Env, clients: &Clients) -> Result<Option<Handler>, ConfigError> {
    Ok(Some(match binary {
        "identity" => http!(identity, env, clients),
        "eligibility" => http!(eligibility, env, clients),
        "review" => http!(review, env, clients),
        "partner" => http!(partner, env, clients),
        "renewal" => http!(renewal, env, clients),
        "upload" => http!(upload, env, clients),
        "document-check" => queue!(document_check, env, clients),
        "sync-in" => queue!(sync_in, env, clients),
        "partner-lifecycle" => job!(partner_lifecycle, env, clients),
        "sync-out" => job!(sync_out, env, clients),
        "deadlines" => job!(deadlines, env, clients),
        "reminders" => job!(reminders, env, clients),
        "purge" => job!(purge, env, clients),
        "purge-worker" => queue!(purge_worker, env, clients),
        "notify" => queue!(notify, env, clients),
        "antivirus-definitions" => job!(antivirus_definitions, env, clients),
        _ => return Ok(None),
    }))
}

/// Each HTTP function's route table, as `routes!` declares it.
pub fn route_tables() -> [(&'static str, &'static [(&'static str, &'static str)]); 6] {
    [
        ("identity", identity::ROUTES),
        ("eligibility", eligibility::ROUTES),
        ("review", review::ROUTES),
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
                // The dev server's own routes are documented too, but no function serves them.
                if path.starts_with("/dev/") {
                    continue;
                }
                for method in ["get", "put", "post", "delete", "patch"] {
                    if item.get(method).is_some() {
                        documented.insert((method.to_uppercase(), path.to_owned()));
                    }
                }
            }
        }
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty() && unserved.is_empty(),
            "served but not in openapi.yaml: {undocumented:?}; in openapi.yaml but not served: {unserved:?}"
        );
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
            .filter_map(|f| f.queue.map(|(q, _)| q))
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
