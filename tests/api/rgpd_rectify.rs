//! Rectification (RGPD art. 16): the profile and the open renewal corrected, with the
//! reason, and the correction sent on to the national system once, in
//! `outbound/rectifications/` with its manifest.

use crate::helpers::*;
use crate::helpers_rgpd::*;
use crate::helpers_supervision::chain_entries;
use serde_json::{json, Value};

#[tokio::test]
async fn a_rectification_reaches_the_profile_the_renewal_and_the_national_system_once() {
    let stack = TestStack::start().await;
    let (_, draft, nir, _) = with_draft(&stack, ROUEN, 57).await;
    let token = dpo(&stack, ROUEN).await;
    let (status, body) = stack
        .post("/api/agent/rgpd/rectify", Some(&token), json!({"nir": nir, "changes": {"nir": "x", "email": "pas une adresse"}, "reason": "Justificatif"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["changes.nir", "changes.email"]);

    let request = json!({"nir": nir, "changes": {"last_name": "Durand-Petit", "email": "nouvelle@exemple.fr", "address": {"line": "1 place du Marché", "postal_code": "76100", "city": "Rouen"}}, "reason": "Acte de mariage produit"});
    let answer = dpo_call(&stack, &token, "/api/agent/rgpd/rectify", request.clone()).await;
    let mut changed: Vec<&String> = answer["changed"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    changed.sort();
    assert_eq!(changed, ["address", "email", "last_name"], "{answer}");
    let file = answer["file"].as_str().unwrap().to_owned();
    assert!(
        file.starts_with(&c2s_domain::dates::format_date(today()).replace('-', "")),
        "{file}"
    );

    // The profile and the open renewal follow.
    let export = dpo_call(
        &stack,
        &token,
        "/api/agent/rgpd/access",
        json!({"nir": nir}),
    )
    .await;
    assert_eq!(export["beneficiary"]["last_name"], "Durand-Petit");
    assert_eq!(export["beneficiary"]["email"], "nouvelle@exemple.fr");
    let (r, _) = stack.renewal_store().load(&draft).await.unwrap().unwrap();
    assert_eq!(r.applicant.last_name.as_str(), "Durand-Petit");

    // Sent again (its answer lost): nothing changes, nothing is sent twice.
    let again = dpo_call(&stack, &token, "/api/agent/rgpd/rectify", request).await;
    assert_eq!(
        (again["changed"].clone(), again["file"].clone()),
        (json!({}), Value::Null)
    );
    let files = rectification_files(&stack).await;
    assert_eq!(files.len(), 1, "{files:?}");
    let (name, lines) = &files[0];
    assert_eq!(name, &file);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["nir"], json!(nir));
    assert_eq!(lines[0]["changes"]["last_name"], "Durand-Petit");
    let kinds: Vec<(String, String)> = register(&stack, &token)
        .await
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_owned(),
                i["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("rectification".into(), "done".into()),
            ("access".into(), "done".into()),
            ("rectification".into(), "done".into())
        ]
    );
    let rectified = chain_entries(&stack, ROUEN, "rgpd_rectify").await;
    assert_eq!(rectified.len(), 2, "each rectification in the audit trail");
    stack.stop().await;
}

/// Every complete rectifications file, checked against its manifest: (name, its lines).
async fn rectification_files(stack: &TestStack) -> Vec<(String, Vec<Value>)> {
    let bucket = stack.bucket("ExchangeBucket");
    let listed = stack
        .clients
        .s3()
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("outbound/rectifications/")
        .send()
        .await
        .unwrap();
    let mut files = Vec::new();
    for key in listed.contents().iter().filter_map(|o| o.key()) {
        let Some(name) = key
            .strip_prefix("outbound/rectifications/")
            .and_then(|k| k.strip_suffix(".manifest.json"))
        else {
            continue;
        };
        let manifest: Value =
            serde_json::from_str(&stack.wait_for_object(&bucket, key).await).unwrap();
        let data = stack
            .wait_for_object(&bucket, &format!("outbound/rectifications/{name}.jsonl"))
            .await;
        use sha2::Digest;
        assert_eq!(
            manifest["sha256"],
            json!(hex::encode(sha2::Sha256::digest(data.as_bytes())))
        );
        let lines: Vec<Value> = data
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(manifest["count"], json!(lines.len()));
        files.push((name.to_owned(), lines));
    }
    files
}
