//! Access as a ZIP (RGPD art. 15.3): a short-lived link to an archive of the JSON export and
//! the documents' contents, audited; the JSON form stays.

use crate::helpers::*;
use crate::helpers_rgpd::*;
use serde_json::{json, Value};
use std::io::Read;

#[tokio::test]
async fn access_as_a_zip_holds_the_export_and_the_documents() {
    let stack = TestStack::start().await;
    let (token, draft, nir, _) = with_draft(&stack, HAVRE, 56).await;
    let content = pdf();
    let doc = stack
        .upload(
            &token,
            &draft,
            "payslip",
            "application/pdf",
            content.clone(),
        )
        .await;
    let checked = stack.checked_document(&token, &draft, &doc).await;
    assert_eq!(checked["status"], "clean", "{checked}");
    let dpo = dpo(&stack, HAVRE).await;
    let (status, body) = stack
        .post(
            "/api/agent/rgpd/access",
            Some(&dpo),
            json!({"nir": nir, "format": "pdf"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let link = dpo_call(
        &stack,
        &dpo,
        "/api/agent/rgpd/access",
        json!({"nir": nir, "format": "zip"}),
    )
    .await;
    let url = link["download_url"].as_str().unwrap();
    assert!(!url.contains(&nir), "the NIR never goes in a URL");
    let expires = time::OffsetDateTime::parse(
        link["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::ZERO && left <= time::Duration::minutes(5),
        "{left}"
    );
    let resp = stack.http.get(url).send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "acces.json");
    assert!(
        names[1].starts_with(&format!("justificatifs/{draft}/{doc}-")),
        "{names:?}"
    );
    let mut json_text = String::new();
    archive
        .by_name("acces.json")
        .unwrap()
        .read_to_string(&mut json_text)
        .unwrap();
    let export: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(export["beneficiary"]["nir"], json!(nir));
    assert_eq!(export["renewals"][0]["renewal"]["id"], json!(draft));
    let mut read = Vec::new();
    archive
        .by_name(&names[1])
        .unwrap()
        .read_to_end(&mut read)
        .unwrap();
    assert_eq!(read, content, "the document's own bytes");

    // The JSON form stays; both are audited and registered.
    let (status, export) = stack
        .post(
            "/api/agent/rgpd/access",
            Some(&dpo),
            json!({"nir": nir, "format": "json"}),
        )
        .await;
    assert_eq!(
        (status, export["beneficiary"]["nir"].clone()),
        (StatusCode::OK, json!(nir))
    );
    let actions: Vec<&str> = export["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["rgpd_access_zip", "rgpd_access"]);
    assert_eq!(register(&stack, &dpo).await.len(), 2);
    stack.stop().await;
}
