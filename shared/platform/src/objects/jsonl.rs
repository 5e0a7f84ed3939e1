//! A streamed multipart writer of JSON Lines: what the export and the import's reports write.

use super::{storage, ObjectError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde::Serialize;

/// Writes JSON Lines to S3 with bounded memory: parts of 8 MiB are sent as they fill.
pub struct JsonlWriter {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    buffer: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    lines: u64,
}

const PART_BYTES: usize = 8 * 1024 * 1024;

impl JsonlWriter {
    pub(super) fn new(client: aws_sdk_s3::Client, bucket: &str, key: &str) -> Self {
        JsonlWriter {
            client,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            buffer: Vec::new(),
            upload_id: None,
            parts: Vec::new(),
            lines: 0,
        }
    }

    pub async fn write(&mut self, value: &impl Serialize) -> Result<(), ObjectError> {
        serde_json::to_writer(&mut self.buffer, value)
            .map_err(|e| ObjectError::Storage(e.to_string()))?;
        self.buffer.push(b'\n');
        self.lines += 1;
        if self.buffer.len() >= PART_BYTES {
            self.send_part().await?;
        }
        Ok(())
    }

    pub fn lines(&self) -> u64 {
        self.lines
    }

    async fn send_part(&mut self) -> Result<(), ObjectError> {
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let out = self
                    .client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .content_type("application/x-ndjson")
                    .send()
                    .await
                    .map_err(storage)?;
                let id = out
                    .upload_id
                    .ok_or_else(|| ObjectError::Storage("no upload id".into()))?;
                self.upload_id = Some(id.clone());
                id
            }
        };
        let number = self.parts.len() as i32 + 1;
        let body = std::mem::take(&mut self.buffer);
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(storage)?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag)
                .build(),
        );
        Ok(())
    }

    /// Completes the object (an empty one when nothing was written).
    pub async fn finish(mut self) -> Result<u64, ObjectError> {
        if self.upload_id.is_none() {
            let body = std::mem::take(&mut self.buffer);
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type("application/x-ndjson")
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(storage)?;
            return Ok(self.lines);
        }
        if !self.buffer.is_empty() {
            self.send_part().await?;
        }
        let upload_id = self.upload_id.clone().unwrap_or_default();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(self.parts.clone()))
                    .build(),
            )
            .send()
            .await
            .map_err(storage)?;
        Ok(self.lines)
    }
}
