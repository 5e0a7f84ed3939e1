//! S3 objects: presigned uploads bound to a type and a size (single-use), whole reads of small
//! objects, streamed reads of large files, each naming the version read, tags, deletions of
//! one version or of every version under a prefix, and a streamed multipart writer for JSON
//! Lines.
//!
//! The error and the presigned request are always here (`c2s-api` answers them); the client
//! side only with the feature `s3`, the presigning (aws-sigv4 alone, no S3 client) with the
//! feature `presign`.

#[cfg(feature = "s3")]
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;
#[cfg(feature = "s3")]
use tokio::io::AsyncBufRead;

#[cfg(feature = "s3")]
mod jsonl;
#[cfg(feature = "s3")]
pub use jsonl::JsonlWriter;
#[cfg(feature = "presign")]
mod presign;
#[cfg(feature = "presign")]
pub use presign::Presigner;

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object not found")]
    NotFound,
    /// S3 could not answer (unreachable, throttled, an unreadable answer): try again later.
    #[error("object storage unavailable: {0}")]
    Unavailable(String),
    /// S3 refused the request as made.
    #[error("object storage error: {0}")]
    Storage(String),
}

#[cfg(feature = "s3")]
fn storage<E>(e: aws_sdk_s3::error::SdkError<E>) -> ObjectError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let why = aws_sdk_s3::error::DisplayErrorContext(&e).to_string();
    if crate::fault::unavailable(&e) {
        ObjectError::Unavailable(why)
    } else {
        ObjectError::Storage(why)
    }
}

/// A missing object or version (404: `NoSuchKey`, `NoSuchVersion`) is `NotFound`.
#[cfg(feature = "s3")]
fn missing_or_storage<E>(e: aws_sdk_s3::error::SdkError<E>) -> ObjectError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match &e {
        aws_sdk_s3::error::SdkError::ServiceError(s) if s.raw().status().as_u16() == 404 => {
            ObjectError::NotFound
        }
        _ => storage(e),
    }
}

/// A whole small object, and the version that was read (`None` in an unversioned bucket).
#[derive(Debug)]
pub struct SmallObject {
    pub size: u64,
    pub bytes: Vec<u8>,
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PresignedRequest {
    pub url: String,
    pub method: String,
    /// Headers the client must send as they are: they are part of the signature.
    pub headers: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[cfg(feature = "s3")]
#[derive(Clone, Debug)]
pub struct Objects {
    client: aws_sdk_s3::Client,
}

#[cfg(feature = "s3")]
impl Objects {
    pub fn from_env(_env: &crate::Env, clients: &crate::aws::Clients) -> Self {
        Self::new(clients.s3())
    }

    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }

    /// Reads a whole object of at most `max` bytes (that version, or the current one): its
    /// size, its content (empty past `max`) and the version read.
    pub async fn read_small(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        max: u64,
    ) -> Result<SmallObject, ObjectError> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .map_err(missing_or_storage)?;
        let size = out.content_length.unwrap_or(0).max(0) as u64;
        let version_id = out.version_id.clone();
        if size > max {
            return Ok(SmallObject {
                size,
                bytes: Vec::new(),
                version_id,
            });
        }
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| ObjectError::Storage(e.to_string()))?;
        Ok(SmallObject {
            size,
            bytes: bytes.into_bytes().to_vec(),
            version_id,
        })
    }

    /// A buffered reader over the object (that version, or the current one), for line-by-line
    /// processing of large files, and the version it reads.
    pub async fn reader(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(impl AsyncBufRead + Unpin, Option<String>), ObjectError> {
        self.open(bucket, key, version_id, None).await
    }

    /// A buffered reader from byte `offset` to the end of that version of the object (an
    /// S3 ranged GET: `bytes=<offset>-`), for one range of a large file; read only as far as
    /// needed, then dropped.
    pub async fn reader_from(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        offset: u64,
    ) -> Result<impl AsyncBufRead + Unpin, ObjectError> {
        let range = format!("bytes={offset}-");
        Ok(self.open(bucket, key, version_id, Some(range)).await?.0)
    }

    async fn open(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        range: Option<String>,
    ) -> Result<(impl AsyncBufRead + Unpin, Option<String>), ObjectError> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .set_range(range)
            .send()
            .await
            .map_err(missing_or_storage)?;
        let version_id = out.version_id.clone();
        let reader = tokio::io::BufReader::with_capacity(256 * 1024, out.body.into_async_read());
        Ok((reader, version_id))
    }

    /// The size of that version of the object (the current one without a version) and the
    /// version it is.
    pub async fn size_of(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(u64, Option<String>), ObjectError> {
        let out = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .map_err(missing_or_storage)?;
        Ok((
            out.content_length.unwrap_or(0).max(0) as u64,
            out.version_id,
        ))
    }

    /// The object's metadata, or `None` when there is none.
    async fn head(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<aws_sdk_s3::operation::head_object::HeadObjectOutput>, ObjectError> {
        match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    /// The current version of an object, or `None` when there is none.
    pub async fn current_version(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<String>, ObjectError> {
        Ok(self.head(bucket, key).await?.and_then(|h| h.version_id))
    }

    /// Sets the tags of that version of the object (of the current one without a version).
    pub async fn tag(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tags: &[(&str, &str)],
    ) -> Result<(), ObjectError> {
        let mut set = aws_sdk_s3::types::Tagging::builder();
        for (k, v) in tags {
            set = set.tag_set(
                aws_sdk_s3::types::Tag::builder()
                    .key(*k)
                    .value(*v)
                    .build()
                    .map_err(|e| ObjectError::Storage(e.to_string()))?,
            );
        }
        self.client
            .put_object_tagging()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .tagging(
                set.build()
                    .map_err(|e| ObjectError::Storage(e.to_string()))?,
            )
            .send()
            .await
            .map_err(missing_or_storage)?;
        Ok(())
    }

    pub async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ObjectError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(storage)?;
        Ok(())
    }

    /// Writes the object only if none has that key (`If-None-Match: *`): `false` if one has,
    /// and it is left as it was.
    pub async fn put_new(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<bool, ObjectError> {
        let put = self
            .client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .if_none_match("*")
            .body(ByteStream::from(body))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            // 412: an object has that key; 409: another write of it is under way.
            Err(aws_sdk_s3::error::SdkError::ServiceError(e))
                if matches!(e.raw().status().as_u16(), 409 | 412) =>
            {
                Ok(false)
            }
            Err(e) => Err(storage(e)),
        }
    }

    pub async fn exists(&self, bucket: &str, key: &str) -> Result<bool, ObjectError> {
        Ok(self.head(bucket, key).await?.is_some())
    }

    /// Deletes the object: in a versioned bucket its versions become old ones, which the
    /// bucket's lifecycle expires.
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<(), ObjectError> {
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(storage)?;
        Ok(())
    }

    /// Deletes that version of the object for good (a missing one is already gone).
    pub async fn delete_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<(), ObjectError> {
        match self
            .client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .version_id(version_id)
            .send()
            .await
            .map_err(missing_or_storage)
        {
            Ok(_) | Err(ObjectError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes for good every version (and delete marker) of every object under `prefix`;
    /// returns how many objects there were.
    pub async fn delete_all_versions(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<u64, ObjectError> {
        let mut keys = std::collections::BTreeSet::new();
        let mut deleted = std::collections::BTreeSet::new();
        loop {
            // Each page is read again from the start: what was deleted is no longer listed.
            let out = self
                .client
                .list_object_versions()
                .bucket(bucket)
                .prefix(prefix)
                .send()
                .await
                .map_err(storage)?;
            let versions = out
                .versions
                .unwrap_or_default()
                .into_iter()
                .map(|v| (v.key, v.version_id));
            let markers = out
                .delete_markers
                .unwrap_or_default()
                .into_iter()
                .map(|m| (m.key, m.version_id));
            let found: Vec<(String, String)> = versions
                .chain(markers)
                .filter_map(|(k, v)| Some((k?, v?)))
                .collect();
            if found.is_empty() {
                return Ok(keys.len() as u64);
            }
            for (key, version) in found {
                // Listed again once deleted: the storage did not delete it, never loop on it.
                if !deleted.insert((key.clone(), version.clone())) {
                    return Err(ObjectError::Storage(format!(
                        "a version under {prefix} stays"
                    )));
                }
                self.delete_version(bucket, &key, &version).await?;
                keys.insert(key);
            }
        }
    }

    pub fn jsonl_writer(&self, bucket: &str, key: &str) -> JsonlWriter {
        JsonlWriter::new(self.client.clone(), bucket, key)
    }
}
