//! The antivirus definitions kept in a private bucket (`VIRUS_DEFINITIONS_BUCKET`): the
//! updater brings them up to date there with freshclam, the document check loads them into
//! its own clamd at cold start. One object per file of ClamAV's database directory, under
//! its file name.

use crate::{ConfigError, Env};
use aws_sdk_s3::primitives::ByteStream;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use tokio::io::AsyncReadExt;

#[derive(Debug, thiserror::Error)]
pub enum DefinitionsError {
    #[error("definitions bucket: {0}")]
    Storage(String),
    #[error("definitions directory: {0}")]
    Io(#[from] std::io::Error),
}

fn storage<E: std::error::Error + 'static>(e: aws_sdk_s3::error::SdkError<E>) -> DefinitionsError {
    DefinitionsError::Storage(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
}

/// A file of the database directory worth keeping: a plain name (`daily.cld`,
/// `freshclam.dat`), never a path, a hidden file or freshclam's temporary directories.
pub fn is_definition_file(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.starts_with("tmp")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[derive(Clone, Debug)]
pub struct VirusDefinitions {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl VirusDefinitions {
    pub fn new(s3: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { s3, bucket }
    }

    pub fn from_env(env: &Env, clients: &crate::aws::Clients) -> Result<Self, ConfigError> {
        Ok(Self::new(
            clients.s3(),
            env.require("VIRUS_DEFINITIONS_BUCKET")?,
        ))
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The names of the files the bucket holds.
    pub async fn list(&self) -> Result<Vec<String>, DefinitionsError> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(storage)?;
            names.extend(
                out.contents
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|o| o.key)
                    .filter(|k| is_definition_file(k)),
            );
            token = out.next_continuation_token;
            if token.is_none() {
                return Ok(names);
            }
        }
    }

    /// Copies every file of the bucket into `dir` (streamed: the main database is hundreds
    /// of megabytes); returns their names.
    pub async fn download_into(&self, dir: &Path) -> Result<Vec<String>, DefinitionsError> {
        tokio::fs::create_dir_all(dir).await?;
        let names = self.list().await?;
        for name in &names {
            let out = self
                .s3
                .get_object()
                .bucket(&self.bucket)
                .key(name)
                .send()
                .await
                .map_err(storage)?;
            let partial = dir.join(format!(".{name}.part"));
            let mut file = tokio::fs::File::create(&partial).await?;
            tokio::io::copy(&mut out.body.into_async_read(), &mut file).await?;
            file.sync_all().await?;
            // The file dates from its upload, not from now: freshclam judges some databases
            // (custom ones) by their age against the mirror's.
            if let Some(at) = out
                .last_modified
                .and_then(|t| std::time::SystemTime::try_from(t).ok())
            {
                file.into_std().await.set_modified(at)?;
            }
            tokio::fs::rename(&partial, dir.join(name)).await?;
        }
        Ok(names)
    }

    pub async fn upload(&self, dir: &Path, name: &str) -> Result<(), DefinitionsError> {
        let body = ByteStream::from_path(dir.join(name))
            .await
            .map_err(|e| DefinitionsError::Storage(e.to_string()))?;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(name)
            .content_type("application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(storage)?;
        Ok(())
    }

    pub async fn remove(&self, name: &str) -> Result<(), DefinitionsError> {
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(name)
            .send()
            .await
            .map_err(storage)?;
        Ok(())
    }
}

/// The SHA-256 of each definition file of `dir`, by name: what changed between two of these
/// is what an update must send.
pub async fn fingerprints(dir: &Path) -> Result<BTreeMap<String, String>, DefinitionsError> {
    let mut found = BTreeMap::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().await?.is_file() || !is_definition_file(&name) {
            continue;
        }
        let mut file = tokio::fs::File::open(entry.path()).await?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let read = file.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        found.insert(name, hex::encode(hasher.finalize()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_are_definitions() {
        for name in [
            "daily.cld",
            "main.cvd",
            "bytecode.cvd",
            "freshclam.dat",
            "eicar.ndb",
        ] {
            assert!(is_definition_file(name), "{name}");
        }
        for name in [
            "",
            "../etc/passwd",
            "a/b.cvd",
            ".daily.cld.part",
            "tmp.5f3a2b",
            "é.cvd",
        ] {
            assert!(!is_definition_file(name), "{name}");
        }
    }

    #[tokio::test]
    async fn fingerprints_tell_files_apart_and_skip_the_rest() {
        let dir = std::env::temp_dir().join(format!("c2s-defs-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::create_dir_all(dir.join("tmp.1234"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for (name, text) in [("a.ndb", "one"), ("b.ndb", "two"), (".a.ndb.part", "x")] {
            tokio::fs::write(dir.join(name), text)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let prints = fingerprints(&dir).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(prints.keys().collect::<Vec<_>>(), ["a.ndb", "b.ndb"]);
        assert_ne!(prints["a.ndb"], prints["b.ndb"]);
        tokio::fs::write(dir.join("a.ndb"), "three")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let again = fingerprints(&dir).await.unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(prints["a.ndb"], again["a.ndb"]);
        assert_eq!(prints["b.ndb"], again["b.ndb"]);
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
}
