//! Presigned S3 requests, signed by aws-sigv4 alone (the signer the S3 client itself calls):
//! a function that only hands out addresses links no S3 client, its endpoint rules or its
//! checksums. The same request as the client's presigning makes: the same address (path
//! style or virtual host, `x-id`), the same signed headers and query, `UNSIGNED-PAYLOAD`
//! (`a_presigned_request_is_the_s3_clients_own` below compares them).

use super::{ObjectError, PresignedRequest};
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    sign, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_types::service_config::ServiceConfigKey;
use aws_types::SdkConfig;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// What S3 leaves as it is in a key's path (`/` separates its segments) and in a query value.
const KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');
const VALUE: &AsciiSet = &KEY.add(b'/');

#[derive(Clone, Debug)]
pub struct Presigner {
    sdk: SdkConfig,
    /// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, as the S3 client reads them.
    endpoint: Option<String>,
    force_path_style: bool,
    public_url: Option<String>,
}

impl Presigner {
    /// S3 as the functions reach it (`S3_FORCE_PATH_STYLE=true` where bucket names cannot be
    /// host names: emulators); `OBJECTS_PUBLIC_URL` (local only) is where presigned addresses
    /// point instead, so pages keep one origin.
    pub fn from_env(env: &crate::Env, clients: &crate::aws::Clients) -> Self {
        Self::new(&clients.sdk, env.flag("S3_FORCE_PATH_STYLE"))
            .with_public_url(env.optional("OBJECTS_PUBLIC_URL"))
    }

    pub fn new(sdk: &SdkConfig, force_path_style: bool) -> Self {
        let endpoint = sdk
            .service_config()
            .and_then(|c| {
                ServiceConfigKey::builder()
                    .service_id("S3")
                    .env("AWS_ENDPOINT_URL")
                    .profile("endpoint_url")
                    .build()
                    .ok()
                    .and_then(|key| c.load_config(key))
            })
            .or_else(|| sdk.endpoint_url().map(str::to_owned))
            .map(|u| u.trim_end_matches('/').to_owned());
        Self {
            sdk: sdk.clone(),
            endpoint,
            force_path_style,
            public_url: None,
        }
    }

    /// Where browsers reach the storage, when not at the SDK's own endpoint
    /// (`OBJECTS_PUBLIC_URL`): `/s3/…` on the pages' own origin, relayed to the emulator by
    /// the dev server and to the documents bucket by CloudFront, so the pages never leave it.
    pub fn with_public_url(mut self, public_url: Option<String>) -> Self {
        self.public_url = public_url.map(|u| u.trim_end_matches('/').to_owned());
        self
    }

    fn public(&self, url: &str) -> String {
        match (&self.public_url, url.split_once("://")) {
            (Some(base), Some((_, rest))) => {
                let path = rest.find('/').map_or("/", |i| &rest[i..]);
                format!("{base}{path}")
            }
            _ => url.to_owned(),
        }
    }

    /// The object's address as the S3 client makes it: path style under an endpoint that is
    /// given (emulators), else a virtual host of the regional endpoint.
    fn object_url(&self, bucket: &str, key: &str) -> Result<String, ObjectError> {
        let key = utf8_percent_encode(key, KEY);
        let region = self.region()?;
        let (scheme, host) = match &self.endpoint {
            Some(url) => url
                .split_once("://")
                .map(|(s, h)| (s.to_owned(), h.to_owned()))
                .ok_or_else(|| ObjectError::Storage(format!("endpoint illisible : {url}")))?,
            None => ("https".to_owned(), format!("s3.{region}.amazonaws.com")),
        };
        Ok(if self.force_path_style {
            format!("{scheme}://{host}/{bucket}/{key}")
        } else {
            format!("{scheme}://{bucket}.{host}/{key}")
        })
    }

    fn region(&self) -> Result<String, ObjectError> {
        self.sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| ObjectError::Storage("no region to sign with".into()))
    }

    /// `method` on `url` (its query already there), signed in its query for `valid_for`
    /// from `now`, with `headers` signed too: the client must send them as they are.
    async fn presign(
        &self,
        method: &str,
        url: String,
        headers: BTreeMap<String, String>,
        valid_for: Duration,
        now: SystemTime,
    ) -> Result<PresignedRequest, ObjectError> {
        let credentials = self
            .sdk
            .credentials_provider()
            .ok_or_else(|| ObjectError::Storage("no credentials to sign with".into()))?
            .provide_credentials()
            .await
            .map_err(|e| ObjectError::Unavailable(e.to_string()))?;
        let identity = Identity::from(credentials);
        let region = self.region()?;
        // As the S3 client signs: a key's path encoded once and never normalised.
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(valid_for);
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| ObjectError::Storage(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            url.as_str(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| ObjectError::Storage(e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| ObjectError::Storage(e.to_string()))?
            .into_parts();
        let mut request = http::Request::builder()
            .method(method)
            .uri(url)
            .body(())
            .map_err(|e| ObjectError::Storage(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(PresignedRequest {
            url: self.public(&request.uri().to_string()),
            method: method.to_owned(),
            headers,
            expires_at: OffsetDateTime::from(now) + valid_for,
        })
    }

    /// A PUT URL that only accepts this content type and exactly this length, once: it signs
    /// `If-None-Match: *`, so S3 refuses it over an object that exists (and the documents
    /// bucket's policy refuses any PUT without that header).
    pub async fn presign_put(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        size: u64,
        valid_for: Duration,
    ) -> Result<PresignedRequest, ObjectError> {
        self.presign_put_at(
            bucket,
            key,
            content_type,
            size,
            valid_for,
            SystemTime::now(),
        )
        .await
    }

    /// The PUT of an announced document ([`Self::presign_put`]): its object, type and size.
    pub async fn presign_upload(
        &self,
        bucket: &str,
        record: &crate::renewals::DocumentRecord,
        valid_for: Duration,
    ) -> Result<PresignedRequest, ObjectError> {
        let mime = record.content_type.mime();
        self.presign_put(bucket, &record.object_key, mime, record.size, valid_for)
            .await
    }

    async fn presign_put_at(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        size: u64,
        valid_for: Duration,
        now: SystemTime,
    ) -> Result<PresignedRequest, ObjectError> {
        let url = format!("{}?x-id=PutObject", self.object_url(bucket, key)?);
        let headers = BTreeMap::from([
            ("content-length".to_owned(), size.to_string()),
            ("content-type".to_owned(), content_type.to_owned()),
            ("if-none-match".to_owned(), "*".to_owned()),
        ]);
        self.presign("PUT", url, headers, valid_for, now).await
    }

    /// A GET URL of that version of the object (the one that was checked, never whatever came
    /// after), that makes the browser save the file under its display name, never show it
    /// inline (a hostile PDF or image cannot run in the back-office's origin).
    pub async fn presign_get(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        filename: &str,
        valid_for: Duration,
    ) -> Result<PresignedRequest, ObjectError> {
        self.presign_get_at(
            bucket,
            key,
            version_id,
            filename,
            valid_for,
            SystemTime::now(),
        )
        .await
    }

    async fn presign_get_at(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        filename: &str,
        valid_for: Duration,
        now: SystemTime,
    ) -> Result<PresignedRequest, ObjectError> {
        let safe: String = filename
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let disposition = format!("attachment; filename=\"{safe}\"");
        let url = format!(
            "{}?response-content-disposition={}&versionId={}&x-id=GetObject",
            self.object_url(bucket, key)?,
            utf8_percent_encode(&disposition, VALUE),
            utf8_percent_encode(version_id, VALUE),
        );
        self.presign("GET", url, BTreeMap::new(), valid_for, now)
            .await
    }
}

#[cfg(all(test, feature = "s3"))]
mod tests {
    use super::*;
    use aws_sdk_s3::presigning::PresigningConfig;
    use aws_types::region::Region;
    use aws_types::sdk_config::SharedCredentialsProvider;

    fn sdk(endpoint: Option<&str>) -> SdkConfig {
        let mut config = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new("eu-west-3"))
            .credentials_provider(SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    "AKIDEXAMPLE",
                    "secret",
                    Some("session/token+1".into()),
                    None,
                    "test",
                ),
            ));
        if let Some(url) = endpoint {
            config = config.endpoint_url(url);
        }
        config.build()
    }

    fn client(sdk: &SdkConfig, force_path_style: bool) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(force_path_style)
                .build(),
        )
    }

    /// An address as its parts: scheme, host and path, then the query's pairs in order.
    fn parts(url: &str) -> (String, Vec<(String, String)>) {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        (base.to_owned(), pairs)
    }

    /// The S3 client's own presigning, at the same time, gives the same method, address,
    /// signature and headers: on AWS (virtual host) and on an emulator (path style).
    #[tokio::test]
    async fn a_presigned_request_is_the_s3_clients_own() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_600_000);
        let valid_for = Duration::from_secs(300);
        let key = "renewals/r-1/d 2";
        for (endpoint, path_style) in [(None, false), (Some("http://127.0.0.1:4566"), true)] {
            let config = sdk(endpoint);
            let s3 = client(&config, path_style);
            let ours = Presigner::new(&config, path_style);
            let presigning = PresigningConfig::builder()
                .start_time(now)
                .expires_in(valid_for)
                .build()
                .unwrap_or_else(|e| panic!("{e}"));

            let theirs = s3
                .put_object()
                .bucket("docs")
                .key(key)
                .content_type("application/pdf")
                .content_length(182)
                .if_none_match("*")
                .presigned(presigning.clone())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let put = ours
                .presign_put_at("docs", key, "application/pdf", 182, valid_for, now)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(put.method, theirs.method());
            assert_eq!(parts(&put.url), parts(theirs.uri()), "{endpoint:?}");
            let headers: BTreeMap<String, String> = theirs
                .headers()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(put.headers, headers);
            assert!(put.url.contains("X-Amz-Expires=300"), "{}", put.url);

            let theirs = s3
                .get_object()
                .bucket("docs")
                .key(key)
                .version_id("v+1/2")
                .response_content_disposition("attachment; filename=\"avis d_imp_t.pdf\"")
                .presigned(presigning)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let get = ours
                .presign_get_at("docs", key, "v+1/2", "avis d'impôt.pdf", valid_for, now)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(get.method, "GET");
            assert_eq!(parts(&get.url), parts(theirs.uri()), "{endpoint:?}");
            assert!(get.headers.is_empty() && theirs.headers().next().is_none());
        }
    }

    #[test]
    fn a_public_url_replaces_the_endpoint_and_keeps_path_and_signature() {
        let presigner = |public: Option<&str>| {
            Presigner::new(&sdk(None), true).with_public_url(public.map(str::to_owned))
        };
        let url = "http://127.0.0.1:4566/docs/r1/d1?X-Amz-Signature=abc&X-Amz-Expires=300";
        assert_eq!(
            presigner(Some("http://127.0.0.1:3000/s3/")).public(url),
            "http://127.0.0.1:3000/s3/docs/r1/d1?X-Amz-Signature=abc&X-Amz-Expires=300"
        );
        assert_eq!(presigner(None).public(url), url);
    }
}
