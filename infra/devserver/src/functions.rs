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

/// `binary` is the function's `BuildProperties.Binary` in the template.
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
        _ => return Ok(None),
    }))
}
