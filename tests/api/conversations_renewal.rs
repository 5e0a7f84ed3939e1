//! Conversations on a renewal: the beneficiary (or the partner acting for them) and the
//! caisse's agents write to each other, with attachments; who reads what follows the
//! confidentiality levels and the guardian rule; the queue shows files with an unread
//! message; each agent's message is audited and tells the beneficiary.

use crate::helpers::*;
use crate::helpers_convo::*;
use serde_json::json;

#[tokio::test]
async fn the_beneficiary_and_the_agents_write_to_each_other() {
    let stack = TestStack::start().await;
    let (level1, id, doc) = submitted_with_document(&stack, ROUEN, 71).await;
    let level2 = stack.step_up(&level1).await;
    let mine = format!("/api/renewals/{id}/messages");
    let theirs = format!("/api/agent/renewals/{id}/messages");
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S1", ROUEN, &["superviseur"]).await;
    let elsewhere = stack.agent_token("H1", HAVRE, &["instructeur"]).await;

    assert_eq!(
        queue_item(&stack, &agent, &id).await["unread_messages"],
        false
    );
    assert!(texts(&stack, &mine, &level1).await.is_empty());

    // The beneficiary writes, with a document of the file attached; a document of no file
    // is refused.
    let (status, body) = say(
        &stack,
        &mine,
        &level1,
        "Bonjour, voici mon bulletin.",
        json!({"attachments": [doc]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["author_kind"], "beneficiary");
    assert_eq!(body["attachments"], json!([doc]));
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
    let (status, body) = say(
        &stack,
        &mine,
        &level1,
        "Et celui-ci.",
        json!({"attachments": ["nope"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "attachments[0]");

    // The queue and the file say the file holds a message to read, until an agent reads
    // the thread.
    assert_eq!(
        queue_item(&stack, &agent, &id).await["unread_messages"],
        true
    );
    let file = format!("/api/agent/renewals/{id}");
    let (status, opened) = stack.get(&file, &agent).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["unread_messages"], true);
    let (status, thread) = stack.get(&theirs, &superviseur).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thread["items"][0]["text"], "Bonjour, voici mon bulletin.");
    assert_eq!(thread["items"][0]["attachments"], json!([doc]));
    assert!(thread["items"][0]["id"].is_string() && thread["items"][0]["at"].is_string());
    assert_eq!(
        queue_item(&stack, &agent, &id).await["unread_messages"],
        false
    );
    assert_eq!(stack.get(&file, &agent).await.1["unread_messages"], false);

    // The agent answers: no NIR, health terms kept with a warning, as for notes; another
    // caisse's agent and other roles get nothing.
    refused(
        &stack,
        &theirs,
        &agent,
        "Votre numéro 2 84 03 76 451 023 11 ?",
        "nir_not_allowed",
    )
    .await;
    let (status, body) = say(
        &stack,
        &theirs,
        &agent,
        "Bien reçu, merci. Le dossier avance.",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (body["author_kind"].as_str(), body["warnings"].clone()),
        (Some("agent"), json!([]))
    );
    let (status, body) = say(
        &stack,
        &theirs,
        &agent,
        "Votre participation sera réduite ; votre traitement médical n'entre pas en compte.",
        json!({"confidential": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["warning"].is_string(), "{body}");
    assert_eq!(body["confidential"], true);
    let (status, _) = stack.get(&theirs, &elsewhere).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = say(&stack, &theirs, &elsewhere, "Bonjour", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin = stack.admin_token("P1", ROUEN).await;
    let (status, _) = stack.get(&theirs, &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An agent's message leaves nothing unread for the agents.
    assert_eq!(
        queue_item(&stack, &agent, &id).await["unread_messages"],
        false
    );

    // Level 1 reads its own words and what is not confidential; level 2 everything.
    assert_eq!(
        texts(&stack, &mine, &level1).await,
        [
            "Bonjour, voici mon bulletin.",
            "Bien reçu, merci. Le dossier avance."
        ]
    );
    assert_eq!(texts(&stack, &mine, &level2).await.len(), 3);

    // Someone else's renewal: 404.
    let (other, other_id, _) = stack.submitted_renewal(ROUEN, 72).await;
    let (status, _) = stack.get(&mine, &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = say(
        &stack,
        &format!("/api/renewals/{other_id}/messages"),
        &level1,
        "Bonjour",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Each agent's message is in the caisse's audit chain; the beneficiary is told, with a
    // link and a first name only.
    let (_, trail) = stack
        .get(&format!("/api/agent/audit?renewal_id={id}"), &superviseur)
        .await;
    let messages = trail["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "message")
        .count();
    assert_eq!(messages, 2, "{trail}");
    let sent = stack
        .wait_for_message("claire.martin@exemple.fr", "message")
        .await;
    let body = sent["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("Bonjour Claire") && body.contains("/suivi"),
        "{body}"
    );
    assert!(
        !body.contains("Martin") && !body.contains("participation"),
        "{body}"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_partner_reads_only_what_a_third_party_may_unless_guardian() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS A", "alix@ccas-a.fr")
        .await;
    let (pid_g, guardian) = stack
        .onboard_partner(&admin, "UDAF G", "alix@udaf-g.fr")
        .await;
    let x = fresh_nir(63, 4);
    let y = fresh_nir(49, 9);
    let mut protected = beneficiary(&y, "1949-09-02", "TUTELLE1", ROUEN, &months_from_today(2));
    protected["guardian_partner_id"] = json!(pid_g);
    stack
        .import(
            "convo.jsonl",
            &[
                beneficiary(&x, "1963-04-05", "LETTRE63", ROUEN, &months_from_today(3)).to_string(),
                protected.to_string(),
            ],
        )
        .await;
    let file = |p: &str, nir: &str, birth: &str, code: &str| {
        let (p, nir, birth, code) = (
            p.to_owned(),
            nir.to_owned(),
            birth.to_owned(),
            code.to_owned(),
        );
        let stack = &stack;
        async move {
            let (status, draft) = stack
                .post(
                    "/api/partner/renewals",
                    Some(&p),
                    json!({"nir": nir, "birth_date": birth, "renewal_code": code, "consent": true}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{draft}");
            draft["id"].as_str().unwrap_or_default().to_owned()
        }
    };
    let id = file(&partner, &x, "1963-04-05", "LETTRE63").await;
    let gid = file(&guardian, &y, "1949-09-02", "TUTELLE1").await;

    for (p, rid, birth, code, nir) in [
        (&partner, &id, "1963-04-05", "LETTRE63", &x),
        (&guardian, &gid, "1949-09-02", "TUTELLE1", &y),
    ] {
        let path = format!("/api/renewals/{rid}/messages");
        // The partner writes through the beneficiary's route with its own token: no NIR,
        // health terms only once confirmed.
        refused(
            &stack,
            &path,
            p,
            &format!("Le numéro {nir}"),
            "nir_not_allowed",
        )
        .await;
        let hospital = "Elle sort d'une hospitalisation.";
        refused(&stack, &path, p, hospital, "health_data").await;
        let body = said(&stack, &path, p, "Nous aidons Mme Martin.", json!({})).await;
        assert_eq!(body["author_kind"], "partner", "{body}");
        // The person writes too (after the partner submitted nothing: the draft is theirs).
        let me = stack.sign_in(nir, birth, code).await;
        let (status, _) = say(&stack, &path, &me, "Mes revenus ont changé.", json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            texts(&stack, &path, &me).await,
            ["Nous aidons Mme Martin.", "Mes revenus ont changé."]
        );
    }
    // A partner that is not guardian never reads the person's own words; the guardian does.
    assert_eq!(
        texts(&stack, &format!("/api/renewals/{id}/messages"), &partner).await,
        ["Nous aidons Mme Martin."]
    );
    assert_eq!(
        texts(&stack, &format!("/api/renewals/{gid}/messages"), &guardian).await,
        ["Nous aidons Mme Martin.", "Mes revenus ont changé."]
    );
    // Another organisation: 404.
    let (status, _) = stack
        .get(&format!("/api/renewals/{id}/messages"), &guardian)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stack.stop().await;
}
