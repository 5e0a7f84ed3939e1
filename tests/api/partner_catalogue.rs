//! Annex 3 of the partner convention: the catalogue of motives, requests of each kind taking
//! their motive from it, the caisse chosen when there are several, urgent signalements first.

use crate::helpers::*;
use crate::helpers_partnerx::*;
use serde_json::json;

#[tokio::test]
async fn the_catalogue_is_annex_3() {
    let stack = TestStack::start().await;
    let (_, partner, admin) =
        partner_of(&stack, "CCAS Catalogue", "alix@ccas-catalogue.fr", false).await;
    let (status, cat) = stack.get("/api/partner/catalogue", &partner).await;
    assert_eq!(status, StatusCode::OK, "{cat}");
    let counts: Vec<usize> = [
        "contact",
        "document",
        "appointment",
        "signalement",
        "dossier",
    ]
    .iter()
    .map(|k| codes(&cat, k).len())
    .collect();
    assert_eq!(counts, [5, 5, 7, 5, 5]);
    let labels: Vec<&str> = cat["signalement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "Dossiers complexes (rétroactivité, rupture de droits, IJ complexes)",
            "Saisine de la Mission accompagnement santé",
            "Situation d'urgence",
            "Suivi du traitement d'une demande faite par l'assuré",
            "Renoncement aux soins"
        ]
    );
    assert!(cat["appointment"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| m["label"] == "Pension d'invalidité"));
    // Partners only.
    let (status, _) = stack.get("/api/partner/catalogue", &admin).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    stack.stop().await;
}

#[tokio::test]
async fn each_kind_of_request_takes_its_motive_from_the_catalogue() {
    let stack = TestStack::start().await;
    let (_, partner, _) = partner_of(&stack, "CCAS Motifs", "alix@ccas-motifs.fr", false).await;
    let (_, cat) = stack.get("/api/partner/catalogue", &partner).await;
    for kind in ["document", "appointment", "dossier"] {
        for motive in codes(&cat, kind) {
            let body = about_person(json!({"kind": kind, "motive": motive}));
            let (status, made) = stack
                .post("/api/partner/requests", Some(&partner), body)
                .await;
            assert_eq!(status, StatusCode::CREATED, "{kind} {motive}: {made}");
            assert_eq!(
                (made["type"].as_str(), made["motive"].as_str()),
                (Some(kind), Some(motive.as_str()))
            );
            assert!(made["motive_label"].as_str().is_some_and(|l| !l.is_empty()));
        }
    }
    // A contact is about the partnership: no person needed.
    let (status, contact) = stack
        .post(
            "/api/partner/requests",
            Some(&partner),
            json!({"kind": "contact", "motive": "gestion_convention", "comment": "Avenant à signer"}),
        )
        .await;
    assert_eq!(
        (status, contact["last_name"].clone()),
        (StatusCode::CREATED, json!(null)),
        "{contact}"
    );
    // A motive of another kind, or none, is refused.
    for (kind, motive) in [
        ("document", "dossier_complexe"),
        ("appointment", ""),
        ("contact", "c2s"),
    ] {
        let body = about_person(json!({"kind": kind, "motive": motive}));
        let (status, refused) = stack
            .post("/api/partner/requests", Some(&partner), body)
            .await;
        assert_eq!(
            (status, code(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_motive")),
            "{kind} {motive}"
        );
    }
    let (status, refused) = stack
        .post(
            "/api/partner/reports",
            Some(&partner),
            about_person(json!({"motive": "no_answer"})),
        )
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_motive"))
    );
    // A NIR in a field, health terms in the comment.
    let body = about_person(
        json!({"kind": "dossier", "motive": "etude_c2s", "comment": format!("NIR {}", nir("2570276540123"))}),
    );
    let (status, refused) = stack
        .post("/api/partner/requests", Some(&partner), body)
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("nir_not_allowed"))
    );
    let body = about_person(
        json!({"kind": "appointment", "motive": "c2s", "comment": "Elle est sous chimiothérapie."}),
    );
    let (status, refused) = stack
        .post("/api/partner/requests", Some(&partner), body)
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("health_data"))
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_catalogues_own_words_are_not_health_terms() {
    let stack = TestStack::start().await;
    let (_, partner, _) = partner_of(&stack, "CCAS Termes", "alix@ccas-termes.fr", false).await;
    let body = about_person(json!({"motive": "suivi_demande_assure",
        "comment": "Suivi du traitement d'une demande de pension d'invalidité déposée en mai."}));
    let (status, made) = stack
        .post("/api/partner/reports", Some(&partner), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let body = about_person(
        json!({"kind": "appointment", "motive": "pension_invalidite",
        "comment": "Pension d'invalidité : où en est le traitement du dossier ?"}),
    );
    let (status, made) = stack
        .post("/api/partner/requests", Some(&partner), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    // What is said of the person still counts.
    let body = about_person(
        json!({"motive": "suivi_demande_assure", "comment": "Elle suit un traitement lourd."}),
    );
    let (status, refused) = stack
        .post("/api/partner/reports", Some(&partner), body)
        .await;
    assert_eq!(
        (status, refused["terms"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(["traitement"]))
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_partner_of_two_caisses_chooses_the_persons() {
    let stack = TestStack::start().await;
    let (_, partner, _) = partner_of(&stack, "CCAS Deux caisses", "alix@ccas-deux.fr", true).await;
    let body = about_person(json!({"kind": "document", "motive": "attestation_droits"}));
    let (status, refused) = stack
        .post("/api/partner/requests", Some(&partner), body.clone())
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("caisse_required")),
        "{refused}"
    );
    let (status, refused) = stack
        .post(
            "/api/partner/reports",
            Some(&partner),
            about_person(json!({"motive": "situation_urgence"})),
        )
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("caisse_required"))
    );
    let mut chosen = body;
    chosen["caisse"] = json!(HAVRE);
    let (status, made) = stack
        .post("/api/partner/requests", Some(&partner), chosen)
        .await;
    assert_eq!(
        (status, made["caisse"].as_str()),
        (StatusCode::CREATED, Some(HAVRE))
    );
    // It reaches Le Havre's agents, not Rouen's.
    let havre = stack
        .agent_token("ins-havre", HAVRE, &["instructeur"])
        .await;
    let rouen = stack
        .agent_token("ins-rouen", ROUEN, &["instructeur"])
        .await;
    let (_, list) = stack.get("/api/agent/reports", &havre).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let (_, list) = stack.get("/api/agent/reports", &rouen).await;
    assert_eq!(list["items"], json!([]));
    stack.stop().await;
}

#[tokio::test]
async fn urgent_signalements_come_first_then_the_oldest() {
    let stack = TestStack::start().await;
    let (_, partner, _) = partner_of(&stack, "CCAS Urgences", "alix@ccas-urgences.fr", false).await;
    let mut ids = Vec::new();
    for (first_name, urgent) in [
        ("Anne", false),
        ("Basile", true),
        ("Céline", false),
        ("Denis", true),
    ] {
        let body = about_person(
            json!({"motive": "situation_urgence", "first_name": first_name, "urgent": urgent}),
        );
        let (status, made) = stack
            .post("/api/partner/reports", Some(&partner), body)
            .await;
        assert_eq!(
            (status, made["urgent"].as_bool()),
            (StatusCode::CREATED, Some(urgent)),
            "{made}"
        );
        ids.push(first_name);
    }
    let agent = stack.agent_token("ins-urg", ROUEN, &["instructeur"]).await;
    let (status, list) = stack.get("/api/agent/reports", &agent).await;
    assert_eq!(status, StatusCode::OK);
    let order: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["first_name"].as_str())
        .collect();
    assert_eq!(order, ["Basile", "Denis", "Anne", "Céline"]);
    let (status, refused) = stack
        .post(
            "/api/partner/reports",
            Some(&partner),
            about_person(json!({"motive": "situation_urgence", "urgent": "oui"})),
        )
        .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    stack.stop().await;
}
