//! Conversations on a partner request or signalement: the organisation and the caisse's
//! agents write to each other, both ways; the caisse's list shows what is unread; each
//! agent's message is audited and tells the partner who sent the request.

use crate::helpers::*;
use crate::helpers_convo::*;
use serde_json::json;

#[tokio::test]
async fn a_partner_and_the_caisse_talk_about_a_signalement() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "CCAS Elbeuf", "alix@ccas-elbeuf.fr")
        .await;
    let (_, other) = stack
        .onboard_partner(&admin, "CCAS Dieppe", "alix@ccas-dieppe.fr")
        .await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S1", ROUEN, &["superviseur"]).await;
    let elsewhere = stack.agent_token("H1", HAVRE, &["instructeur"]).await;
    let rid = file_report(&stack, &partner).await;
    let ours = format!("/api/partner/requests/{rid}/messages");
    let theirs = format!("/api/agent/reports/{rid}/messages");

    assert!(texts(&stack, &ours, &partner).await.is_empty());
    assert_eq!(
        report_item(&stack, &agent, &rid).await["unread_messages"],
        false
    );

    // The partner writes: no NIR, health terms only once confirmed, no attachment that is
    // not the request's.
    refused(
        &stack,
        &ours,
        &partner,
        "Son numéro : 2 57 02 76 540 123 45",
        "nir_not_allowed",
    )
    .await;
    let (status, body) = say(
        &stack,
        &ours,
        &partner,
        "Elle a été hospitalisée.",
        json!({}),
    )
    .await;
    assert_eq!(body["code"], "health_data", "{status} {body}");
    let (status, body) = say(
        &stack,
        &ours,
        &partner,
        "Avez-vous reçu le dossier ?",
        json!({"attachments": ["d-unknown"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        said(
            &stack,
            &ours,
            &partner,
            "Avez-vous reçu le dossier ?",
            json!({})
        )
        .await["author_kind"],
        "partner"
    );

    // Unread in the caisse's list until an agent reads the thread.
    assert_eq!(
        report_item(&stack, &agent, &rid).await["unread_messages"],
        true
    );
    assert_eq!(
        texts(&stack, &theirs, &superviseur).await,
        ["Avez-vous reçu le dossier ?"]
    );
    assert_eq!(
        report_item(&stack, &agent, &rid).await["unread_messages"],
        false
    );

    // The caisse answers in the thread, then the partner replies: both directions.
    refused(
        &stack,
        &theirs,
        &agent,
        "Le NIR 2 57 02 76 540 123 45 ?",
        "nir_not_allowed",
    )
    .await;
    assert_eq!(
        said(
            &stack,
            &theirs,
            &agent,
            "Oui, il est en cours d'instruction.",
            json!({})
        )
        .await["author_kind"],
        "agent"
    );
    let (status, _) = say(&stack, &ours, &partner, "Merci !", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        texts(&stack, &ours, &partner).await,
        [
            "Avez-vous reçu le dossier ?",
            "Oui, il est en cours d'instruction.",
            "Merci !"
        ]
    );
    assert_eq!(
        report_item(&stack, &agent, &rid).await["unread_messages"],
        true
    );

    // Another organisation, another caisse, another role: nothing.
    for (token, path) in [(&other, &ours), (&elsewhere, &theirs)] {
        let (status, _) = stack.get(path, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = say(&stack, path, token, "Bonjour", json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = stack.get(&theirs, &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The agent's message is audited; the partner's account is told of it, and of the
    // answer, with a link and a first name.
    let (status, _) = stack
        .post(
            &format!("/api/agent/reports/{rid}/answer"),
            Some(&agent),
            json!({"answer": "Dossier reçu."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions = partner_trail(&stack, &superviseur, &pid).await;
    assert!(
        ["message", "read_request_messages"]
            .iter()
            .all(|a| actions.iter().any(|x| x == a)),
        "{actions:?}"
    );
    for kind in ["message", "request_answered"] {
        let sent = stack.wait_for_message("alix@ccas-elbeuf.fr", kind).await;
        let body = sent["body"].as_str().unwrap_or_default();
        assert!(
            body.contains("Bonjour Alix") && body.contains("/partenaire/historique"),
            "{body}"
        );
        assert!(
            !body.contains("Lefèvre") && !body.contains("Jeanne"),
            "{body}"
        );
    }
    stack.stop().await;
}

/// A message on a request may attach the request's own attachments (`POST
/// …/attachments`), from either side; another request's, or a renewal's, is refused.
#[tokio::test]
async fn a_message_attaches_the_requests_own_attachments() {
    use crate::helpers_partnerx::{about_person, attach, checked_attachment, partner_of};
    let stack = TestStack::start().await;
    let (_, partner, _) = partner_of(&stack, "CCAS Pavilly", "alix@ccas-pavilly.fr", false).await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let mut rids = Vec::new();
    for _ in 0..2 {
        let body = about_person(json!({"kind": "dossier", "motive": "ouverture_droits"}));
        let (status, made) = stack
            .post("/api/partner/requests", Some(&partner), body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        rids.push(made["request_id"].as_str().unwrap_or_default().to_owned());
    }
    let (rid, elsewhere) = (&rids[0], &rids[1]);
    let doc = attach(&stack, &partner, rid, "avis.pdf", pdf()).await;
    assert_eq!(checked_attachment(&stack, rid, &doc).await, "clean");
    let foreign = attach(&stack, &partner, elsewhere, "autre.pdf", pdf()).await;
    let ours = format!("/api/partner/requests/{rid}/messages");
    let theirs = format!("/api/agent/reports/{rid}/messages");

    let (status, body) = say(
        &stack,
        &ours,
        &partner,
        "Voici l'avis.",
        json!({"attachments": [doc]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["attachments"], json!([doc]), "{body}");
    let (status, body) = say(
        &stack,
        &theirs,
        &agent,
        "Bien reçu, merci.",
        json!({"attachments": [doc]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, thread) = stack.get(&theirs, &agent).await;
    let attached: Vec<&serde_json::Value> = thread["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| &m["attachments"])
        .collect();
    assert_eq!(attached, [&json!([doc]), &json!([doc])], "{thread}");

    for (path, token) in [(&ours, &partner), (&theirs, &agent)] {
        for other in [&foreign, &"d-unknown".to_owned()] {
            let (status, body) = say(
                &stack,
                path,
                token,
                "Et celle-ci ?",
                json!({"attachments": [other]}),
            )
            .await;
            assert_eq!(
                (status, body["fields"][0]["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_document")),
                "{path}: {body}"
            );
        }
    }
    stack.stop().await;
}
