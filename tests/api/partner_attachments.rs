//! Attachments of a partner's request: the same presigned upload, type, size and antivirus
//! checks as a renewal's documents; a NIR may be inside the document, never in its name.

use crate::helpers::*;
use crate::helpers_convo::{opened, partner_trail};
use crate::helpers_partnerx::*;
use serde_json::json;

#[tokio::test]
async fn a_request_carries_checked_attachments() {
    let stack = TestStack::start().await;
    let (_, partner, _) = partner_of(&stack, "CCAS Pièces", "alix@ccas-pieces.fr", false).await;
    let (_, other, _) = partner_of(&stack, "CCAS Autres", "alix@ccas-autres.fr", false).await;
    let body = about_person(json!({"kind": "dossier", "motive": "ouverture_droits"}));
    let (status, made) = stack
        .post("/api/partner/requests", Some(&partner), body)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let rid = made["request_id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/partner/requests/{rid}/attachments");

    // A clean PDF (a NIR inside it is no matter) is checked clean; EICAR is rejected.
    let mut pdf_with_nir = pdf();
    pdf_with_nir.extend(format!("\n% NIR {}\n", nir("2570276540123")).into_bytes());
    let clean = attach(&stack, &partner, &rid, "avis-imposition.pdf", pdf_with_nir).await;
    assert_eq!(checked_attachment(&stack, &rid, &clean).await, "clean");
    let mut infected = b"%PDF-1.4\n".to_vec();
    infected.extend_from_slice(EICAR);
    let bad = attach(&stack, &partner, &rid, "scan.pdf", infected).await;
    assert_eq!(checked_attachment(&stack, &rid, &bad).await, "rejected");

    // The same refusals as for a renewal's documents.
    for (body, expected) in [
        (
            json!({"filename": "x.exe", "content_type": "application/x-msdownload", "size": 10}),
            "document_type_not_allowed",
        ),
        (
            json!({"filename": "gros.pdf", "content_type": "application/pdf", "size": 20_000_000}),
            "document_too_large",
        ),
        (
            json!({"filename": format!("{}.pdf", nir("2570276540123")), "content_type": "application/pdf", "size": 10}),
            "invalid",
        ),
    ] {
        let (status, refused) = stack.post(&path, Some(&partner), body).await;
        assert_eq!(
            (status, code(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(expected)),
            "{refused}"
        );
    }
    // Another organisation's request does not exist for it.
    let (status, _) = stack
        .post(
            &path,
            Some(&other),
            json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stack.stop().await;
}

#[tokio::test]
async fn the_organisation_and_the_caisse_list_and_download_a_requests_attachments() {
    let stack = TestStack::start().await;
    let (pid, partner, _) = partner_of(&stack, "CCAS Relevés", "alix@ccas-releves.fr", false).await;
    let (_, other, _) = partner_of(&stack, "CCAS Voisin", "alix@ccas-voisin.fr", false).await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S1", ROUEN, &["superviseur"]).await;
    let elsewhere = stack.agent_token("H1", HAVRE, &["instructeur"]).await;
    let body = about_person(json!({"kind": "dossier", "motive": "aide_financiere"}));
    let (status, made) = stack
        .post("/api/partner/requests", Some(&partner), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let rid = made["request_id"].as_str().unwrap_or_default().to_owned();
    let ours = format!("/api/partner/requests/{rid}/attachments");
    let theirs = format!("/api/agent/reports/{rid}/attachments");

    let (status, empty) = stack.get(&ours, &partner).await;
    assert_eq!(
        (status, empty["items"].clone()),
        (StatusCode::OK, json!([]))
    );
    let bytes = pdf();
    let clean = attach(&stack, &partner, &rid, "quittance.pdf", bytes.clone()).await;
    assert_eq!(checked_attachment(&stack, &rid, &clean).await, "clean");
    let mut infected = b"%PDF-1.4\n".to_vec();
    infected.extend_from_slice(EICAR);
    let bad = attach(&stack, &partner, &rid, "scan.pdf", infected).await;
    assert_eq!(checked_attachment(&stack, &rid, &bad).await, "rejected");

    // Both sides list them, oldest first; only the clean one names its download route.
    for (path, token) in [(&ours, &partner), (&theirs, &agent)] {
        let (status, list) = stack.get(path, token).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let items = list["items"].as_array().cloned().unwrap_or_default();
        let ids: Vec<&str> = items
            .iter()
            .filter_map(|d| d["document_id"].as_str())
            .collect();
        assert_eq!(ids, [clean.as_str(), bad.as_str()], "{list}");
        assert_eq!(
            items[0]["download_url"],
            json!(format!("{path}/{clean}/download"))
        );
        assert!(items[1].get("download_url").is_none(), "{list}");
        assert_eq!(items[1]["status"], "rejected");

        // The clean one opens with the bytes that were checked; the rejected one never.
        let (status, link) = stack.get(&format!("{path}/{clean}/download"), token).await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_eq!(opened(&stack, &link).await, bytes);
        let (status, refused) = stack.get(&format!("{path}/{bad}/download"), token).await;
        assert_eq!(
            (status, code(&refused)),
            (StatusCode::CONFLICT, Some("document_not_available"))
        );
        let (status, _) = stack
            .get(&format!("{path}/d-unknown/download"), token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // Another organisation, another caisse's agent, an agent without the role: nothing.
    for (path, token) in [(&ours, &other), (&theirs, &elsewhere)] {
        for p in [path.clone(), format!("{path}/{clean}/download")] {
            let (status, _) = stack.get(&p, token).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
        }
    }
    let admin = stack.admin_token("P9", ROUEN).await;
    let (status, _) = stack.get(&theirs, &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A message on the request may attach the request's own attachments, and nothing else.
    let thread = format!("/api/partner/requests/{rid}/messages");
    let (status, posted) = stack
        .post(
            &thread,
            Some(&partner),
            json!({"text": "Voici la quittance.", "attachments": [clean]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    assert_eq!(posted["attachments"], json!([clean]));
    let (status, refused) = stack
        .post(
            &thread,
            Some(&partner),
            json!({"text": "Et celle-ci.", "attachments": ["d-unknown"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // The agent's list and download are in the caisse's trail.
    let actions = partner_trail(&stack, &superviseur, &pid).await;
    assert!(
        ["read_request_attachments", "download_document"]
            .iter()
            .all(|a| actions.iter().any(|x| x == a)),
        "{actions:?}"
    );
    stack.stop().await;
}
