//! The SDK's HTTPS client, HTTP/1.1 only: hyper-util's pooled client over rustls on ring,
//! the stack reqwest uses too. The SDK's own client (aws-smithy-http-client) always links
//! HTTP/2 (`h2`, a third of a megabyte of code in every package) although AWS's regional
//! endpoints are reached over HTTP/1.1 here. This file only joins the two libraries: the
//! SDK's connector trait on one side, hyper's client on the other, with the SDK's connect
//! and read timeouts and its classes of errors (which decide what its retries try again).
//! The few plain GETs of the functions (the identity provider's keys) go over the same
//! stack and the same trusted roots, so that no second HTTP client is linked.

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
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::retry::ErrorKind;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector as Tcp;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

static TLS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();

/// The TLS set-up of every HTTPS call of the process, made once. The trusted roots are
/// Mozilla's, compiled in (webpki-roots: nothing to read or parse at start-up, where the
/// system's store cost about 5 ms of a 6 ms cold start). `SSL_CERT_FILE` or `SSL_CERT_DIR`
/// names a store to use instead, for an identity provider under a private authority.
fn tls() -> Result<rustls::ClientConfig, String> {
    TLS.get_or_init(|| {
        let roots = match std::env::var_os("SSL_CERT_FILE").or(std::env::var_os("SSL_CERT_DIR")) {
            Some(_) => {
                let mut roots = rustls::RootCertStore::empty();
                let native = rustls_native_certs::load_native_certs();
                let (added, _) = roots.add_parsable_certificates(native.certs);
                if added == 0 {
                    tracing::warn!("no trusted root certificate found: HTTPS calls will fail");
                }
                roots
            }
            None => rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots).with_no_client_auth())
            .map_err(|e| e.to_string())
    })
    .clone()
}

/// hyper-util's pooled HTTP/1.1 client over rustls, its connections made within
/// `connect_within`.
fn pooled(
    tls: rustls::ClientConfig,
    connect_within: Option<Duration>,
) -> Client<ConnectWithin, SdkBody> {
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
            limit: connect_within,
        })
}

/// A client for every SDK client of the process.
pub fn client() -> SharedHttpClient {
    SharedHttpClient::new(Http1 {
        connectors: Mutex::default(),
    })
}

/// Why a [`get`] failed, said without the answer's body.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    #[error("{0}")]
    Setup(String),
    #[error("not answered within {0:?}")]
    TimedOut(Duration),
    #[error("{0}")]
    Failed(String),
    #[error("answered {0}")]
    Status(http::StatusCode),
    #[error("answer over {0} bytes")]
    TooLarge(usize),
}

/// A GET over the same stack as the SDK (the identity provider's keys): the body of a 2xx
/// answer of at most `limit` bytes, the whole exchange within `within`.
pub async fn get(url: &str, within: Duration, limit: usize) -> Result<Vec<u8>, GetError> {
    let request = http::Request::get(url)
        .body(SdkBody::empty())
        .map_err(|e| GetError::Setup(e.to_string()))?;
    let client = pooled(tls().map_err(GetError::Setup)?, Some(within));
    let exchange = async {
        let answer = client
            .request(request)
            .await
            .map_err(|e| GetError::Failed(e.to_string()))?;
        if !answer.status().is_success() {
            return Err(GetError::Status(answer.status()));
        }
        let announced = answer
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if announced.is_some_and(|n| n > limit) {
            return Err(GetError::TooLarge(limit));
        }
        let body = ByteStream::new(SdkBody::from_body_1_x(answer.into_body()))
            .collect()
            .await
            .map_err(|e| GetError::Failed(e.to_string()))?
            .into_bytes();
        if body.len() > limit {
            return Err(GetError::TooLarge(limit));
        }
        Ok(body.to_vec())
    };
    tokio::time::timeout(within, exchange)
        .await
        .map_err(|_| GetError::TimedOut(within))?
}

type Timeouts = (Option<Duration>, Option<Duration>);

#[derive(Debug)]
struct Http1 {
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
            // A TLS set-up that cannot be made fails each call, never the start.
            client: tls().map(|tls| pooled(tls, timeouts.0)),
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
