//! Signalements and other requests: no NIR anywhere, health terms refused unless confirmed,
//! the caisse's agents see and answer them, the partner follows its organisation's history.

use crate::helpers::*;
use serde_json::json;

fn report() -> serde_json::Value {
    json!({"civility": "Madame", "last_name": "Lefèvre", "first_name": "Jeanne", "birth_date": "1957-02-14", "department": "76", "motive": "no_answer", "comment": "Pas de nouvelles depuis l'envoi du dossier."})
}

#[tokio::test]
async fn signalements_carry_no_nir_and_reach_the_caisse() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "CCAS Elbeuf", "alix@ccas-elbeuf.fr")
        .await;
    let (_, other) = stack
        .onboard_partner(&admin, "CCAS Dieppe", "alix@ccas-dieppe.fr")
        .await;

    // A NIR anywhere, in any spacing, is refused.
    for (field, value) in [
        ("comment", json!("Son numéro : 2 57 02 76 540 123 45")),
        ("last_name", json!("2570276540123")),
        ("department", json!(2570276540123u64)),
        ("comment", json!(format!("NIR{}", nir("2570276540123")))),
        (
            "comment",
            json!(nir("2570276540123")
                .chars()
                .map(|c| format!("{c}\u{a0}"))
                .collect::<String>()),
        ),
        (
            "comment",
            json!({"nested": [format!("n°{}", nir("2570276540123"))]}),
        ),
    ] {
        let mut body = report();
        body[field] = value;
        let (status, answer) = stack
            .post("/api/partner/reports", Some(&partner), body)
            .await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("nir_not_allowed")),
            "{field}"
        );
    }
    // Health terms: refused, then accepted once confirmed.
    let mut sick = report();
    sick["comment"] = json!("Personne hospitalisée, dossier en attente");
    let (status, answer) = stack
        .post("/api/partner/reports", Some(&partner), sick.clone())
        .await;
    assert_eq!(
        (status, answer["code"].as_str(), answer["terms"].clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("health_data"),
            json!(["hospitalis"])
        )
    );
    sick["confirm"] = json!(true);
    let (status, _) = stack
        .post("/api/partner/reports", Some(&partner), sick)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Bad fields are named.
    let (status, answer) = stack
        .post(
            "/api/partner/reports",
            Some(&partner),
            json!({"civility": "Dr", "motive": "gossip"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = answer["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "civility",
            "last_name",
            "first_name",
            "birth_date",
            "department",
            "motive"
        ]
    );

    let (status, filed) = stack
        .post("/api/partner/reports", Some(&partner), report())
        .await;
    assert_eq!(
        (status, filed["status"].as_str(), filed["caisse"].as_str()),
        (StatusCode::CREATED, Some("open"), Some(ROUEN))
    );
    let rid = filed["request_id"].as_str().unwrap_or_default().to_owned();
    assert!(rid.starts_with(&pid));
    let (status, doc) = stack.post("/api/partner/requests", Some(&partner), json!({"kind": "document", "civility": "monsieur", "last_name": "Lefèvre", "first_name": "Paul", "birth_date": "1955-03-01", "department": "76", "comment": "Attestation de droits"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(doc["delivery"]
        .as_str()
        .is_some_and(|d| d.contains("jamais au partenaire")));

    // The caisse's agents see them and answer; another caisse does not.
    let agent = stack.agent_token("A5", ROUEN, &["instructeur"]).await;
    let (status, list) = stack.get("/api/agent/reports", &agent).await;
    assert_eq!(
        (status, list["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(3))
    );
    let far = stack.agent_token("A6", HAVRE, &["instructeur"]).await;
    let (_, none) = stack.get("/api/agent/reports", &far).await;
    assert_eq!(none["items"], json!([]));
    let (status, _) = stack
        .post(
            &format!("/api/agent/reports/{rid}/answer"),
            Some(&far),
            json!({"answer": "Vu"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answered) = stack
        .post(
            &format!("/api/agent/reports/{rid}/answer"),
            Some(&agent),
            json!({"answer": "Dossier reçu le 20, décision sous quinze jours."}),
        )
        .await;
    assert_eq!(
        (status, answered["status"].as_str()),
        (StatusCode::OK, Some("answered"))
    );

    // The partner's history: its own requests and their statuses; another organisation's is apart.
    let (_, history) = stack.get("/api/partner/requests", &partner).await;
    let mine: Vec<(&str, &str)> = history["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| Some((i["type"].as_str()?, i["status"].as_str()?)))
        .collect();
    assert_eq!(mine.len(), 3);
    assert!(mine.contains(&("signalement", "answered")) && mine.contains(&("document", "open")));
    let (_, theirs) = stack.get("/api/partner/requests", &other).await;
    assert_eq!(theirs["items"], json!([]));
    stack.stop().await;
}
