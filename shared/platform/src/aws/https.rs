//! The SDK's HTTPS client, HTTP/1.1 only: hyper-util's pooled client over rustls on ring,
//! the stack reqwest uses too. The SDK's own client (aws-smithy-http-client) always links
//! HTTP/2 (`h2`, a third of a megabyte of code in every package) although AWS's regional
//! endpoints are reached over HTTP/1.1 here. This file only joins the two libraries: the
//! SDK's connector trait on one side, hyper's client on the other, with the SDK's connect
//! and read timeouts and its classes of errors (which decide what its retries try again).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector as Tcp;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

/// A client for every SDK client of the process: the trusted roots are read once, here.
pub fn client() -> SharedHttpClient {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        tracing::warn!("no trusted root certificate found: HTTPS calls will fail");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    SharedHttpClient::new(Http1 {
        tls: tls.map_err(|e| e.to_string()),
        connectors: Mutex::default(),
    })
}

type Timeouts = (Option<Duration>, Option<Duration>);

#[derive(Debug)]
struct Http1 {
    /// A TLS set-up that cannot be made fails each call, never the start.
    tls: Result<rustls::ClientConfig, String>,
    /// One pool per set of timeouts (the SDK asks with the same ones for every call).
    connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

impl HttpClient for Http1 {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut made = self
            .connectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, connector)) = made.iter().find(|(t, _)| *t == timeouts) {
            return connector.clone();
        }
        let connector = SharedHttpConnector::new(Pool {
            client: self.tls.clone().map(|tls| {
                let mut tcp = Tcp::new();
                tcp.enforce_http(false);
                let https = HttpsConnectorBuilder::new()
                    .with_tls_config(tls)
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(tcp);
                Client::builder(TokioExecutor::new())
                    .pool_timer(TokioTimer::new())
                    .build(ConnectWithin {
                        inner: https,
                        limit: timeouts.0,
                    })
            }),
            read_timeout: timeouts.1,
        });
        made.push((timeouts, connector.clone()));
        connector
    }
}

struct Pool {
    client: Result<Client<ConnectWithin, SdkBody>, String>,
    /// From sending the request to the answer's head, connecting included.
    read_timeout: Option<Duration>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("read_timeout", &self.read_timeout)
            .finish_non_exhaustive()
    }
}

impl HttpConnector for Pool {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = match &self.client {
            Ok(client) => client,
            Err(e) => {
                return HttpConnectorFuture::ready(Err(ConnectorError::user(e.clone().into())))
            }
        };
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let answer = client.request(request);
        let limit = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let answer = match limit {
                Some(limit) => tokio::time::timeout(limit, answer)
                    .await
                    .map_err(|e| ConnectorError::timeout(e.into()))?,
                None => answer.await,
            };
            let response = answer.map_err(classify)?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// The TCP connection and the TLS handshake within the SDK's connect timeout.
#[derive(Clone)]
struct ConnectWithin {
    inner: HttpsConnector<Tcp>,
    limit: Option<Duration>,
}

type Stream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

#[derive(Debug, thiserror::Error)]
#[error("connection not made within {0:?}")]
struct ConnectTimedOut(Duration);

impl tower_service::Service<http::Uri> for ConnectWithin {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move {
            match limit {
                Some(limit) => tokio::time::timeout(limit, connecting)
                    .await
                    .map_err(|_| Box::new(ConnectTimedOut(limit)) as BoxError)?,
                None => connecting.await,
            }
        })
    }
}

fn find<'a, E: Error + 'static>(error: &'a (dyn Error + 'static)) -> Option<&'a E> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// As the SDK's own client classes them: a connection that could not be made or broke is
/// `io` and a timeout `timeout` (both tried again), an answer cut short is transient.
fn classify(error: hyper_util::client::legacy::Error) -> ConnectorError {
    if find::<ConnectTimedOut>(&error).is_some() {
        return ConnectorError::timeout(error.into());
    }
    if let Some(hyper) = find::<hyper::Error>(&error) {
        if hyper.is_timeout() {
            return ConnectorError::timeout(error.into());
        }
        if hyper.is_user() {
            return ConnectorError::user(error.into());
        }
        if hyper.is_closed() || hyper.is_canceled() || find::<std::io::Error>(hyper).is_some() {
            return ConnectorError::io(error.into());
        }
        if hyper.is_incomplete_message() {
            return ConnectorError::other(error.into(), Some(ErrorKind::TransientError));
        }
        return ConnectorError::other(error.into(), None);
    }
    if error.is_connect() || find::<std::io::Error>(&error).is_some() {
        return ConnectorError::io(error.into());
    }
    ConnectorError::other(error.into(), None)
}
