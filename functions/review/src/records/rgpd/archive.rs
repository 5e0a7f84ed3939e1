//! The access archive: the export as `acces.json` and each checked document's content under
//! `justificatifs/<renewal>/`, zipped (the `zip` crate), stored under `rgpd-exports/` of the
//! documents bucket (expired the next day by its lifecycle) and handed out as a presigned
//! link valid five minutes, like the agents' downloads.

use crate::records::App;
use crate::views::DOWNLOAD_VALIDITY;
use c2s_api::ApiError;
use c2s_domain::document::DocumentStatus;
use c2s_platform::objects::PresignedRequest;
use c2s_platform::renewals::DocumentRecord;
use serde_json::Value;
use std::io::Write;
use zip::write::SimpleFileOptions;

/// Where archives are kept until the lifecycle rule `expire-rgpd-exports` deletes them.
pub(crate) const PREFIX: &str = "rgpd-exports/";

/// The largest document read into an archive (uploads are smaller).
const MAX_DOCUMENT_BYTES: u64 = 50 * 1024 * 1024;

/// Builds, stores and links the archive of `export` and the clean documents among `docs`.
pub(crate) async fn publish(
    app: &App,
    export: &Value,
    docs: &[DocumentRecord],
) -> Result<PresignedRequest, ApiError> {
    let mut files = vec![(
        "acces.json".to_owned(),
        serde_json::to_vec_pretty(export).map_err(ApiError::internal)?,
    )];
    for d in docs {
        // Only the version that was checked, as for the agents' downloads.
        let Some(version) = d
            .version_id
            .as_deref()
            .filter(|_| d.status == DocumentStatus::Clean)
        else {
            continue;
        };
        let object = app
            .objects
            .read_small(
                &app.bucket,
                &d.object_key,
                Some(version),
                MAX_DOCUMENT_BYTES,
            )
            .await?;
        let name = format!(
            "justificatifs/{}/{}-{}",
            d.renewal_id,
            d.document_id,
            plain(&d.filename)
        );
        files.push((name, object.bytes));
    }
    let bytes = zipped(&files).map_err(ApiError::internal)?;
    let key = format!("{PREFIX}{}.zip", uuid::Uuid::new_v4());
    app.objects
        .put_new(&app.bucket, &key, bytes, "application/zip")
        .await?;
    let version = app
        .objects
        .current_version(&app.bucket, &key)
        .await?
        .ok_or_else(|| ApiError::unavailable("archive written without a version"))?;
    Ok(app
        .downloads
        .presign_get(
            &app.bucket,
            &key,
            &version,
            "acces-donnees.zip",
            DOWNLOAD_VALIDITY,
        )
        .await?)
}

/// A file name safe as a path inside the archive: letters, digits, `.`, `-`, `_` only.
fn plain(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_start_matches('.').chars().take(100).collect()
}

/// The files, deflated, in one ZIP.
fn zipped(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_archive_holds_each_file_as_given() {
        let files = vec![
            ("acces.json".to_owned(), b"{\"a\":1}".to_vec()),
            (
                "justificatifs/r/d-fiche.pdf".to_owned(),
                vec![0x25, 0x50, 0x44, 0x46],
            ),
        ];
        let bytes = zipped(&files).unwrap_or_default();
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(archive.len(), 2);
        for (name, content) in &files {
            let mut read = Vec::new();
            archive
                .by_name(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .read_to_end(&mut read)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&read, content);
        }
    }

    #[test]
    fn names_inside_stay_inside() {
        assert_eq!(plain("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(plain("bulletin de paie.pdf"), "bulletin_de_paie.pdf");
    }
}
