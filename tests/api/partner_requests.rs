//! Signalements and other requests: no NIR anywhere, health terms refused unless confirmed,
//! the caisse's agents see and answer them, the partner follows its organisation's history.

use crate::helpers::*;
use serde_json::json;

fn report() -> serde_json::Value {
    json!({"civility": "Madame", "last_name": "Lefèvre", "first_name": "Jeanne", "birth_date": "1957-02-14", "department": "76", "motive": "dossier_complexe", "comment": "Pas de nouvelles depuis l'envoi du dossier."})
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
    let (status, doc) = stack.post("/api/partner/requests", Some(&partner), json!({"kind": "document", "motive": "attestation_droits", "civility": "monsieur", "last_name": "Lefèvre", "first_name": "Paul", "birth_date": "1955-03-01", "department": "76", "comment": "Attestation de droits"})).await;
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

/// Every page of a list, following `next_cursor`: (each page's length, every item's id).
async fn pages(stack: &TestStack, path: &str, token: &str) -> (Vec<usize>, Vec<String>) {
    let (mut lengths, mut ids) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}cursor={c}"),
            None => path.to_owned(),
        };
        let (status, page) = stack.get(&url, token).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        lengths.push(items.len());
        ids.extend(
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned)),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            assert_eq!(page["next_cursor"], json!(null), "the last page says so");
            break;
        }
    }
    (lengths, ids)
}

#[tokio::test]
async fn lists_of_requests_and_reports_come_in_pages_of_fifty() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "CCAS Fécamp", "alix@ccas-fecamp.fr")
        .await;
    // Two renewals filed by the organisation, then 51 signalements.
    let (x, y) = (fresh_nir(58, 5), fresh_nir(59, 6));
    stack
        .import(
            "pages.jsonl",
            &[
                beneficiary(&x, "1958-05-05", "PAGES058", ROUEN, &months_from_today(3)).to_string(),
                beneficiary(&y, "1959-06-06", "PAGES059", ROUEN, &months_from_today(3)).to_string(),
            ],
        )
        .await;
    let mut renewals = Vec::new();
    for (nir, birth, code) in [
        (&x, "1958-05-05", "PAGES058"),
        (&y, "1959-06-06", "PAGES059"),
    ] {
        let (status, draft) = stack
            .post(
                "/api/partner/renewals",
                Some(&partner),
                json!({"nir": nir, "birth_date": birth, "renewal_code": code, "consent": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        renewals.push(draft["id"].as_str().unwrap_or_default().to_owned());
    }
    let mut reports = Vec::new();
    for _ in 0..51 {
        let (status, filed) = stack
            .post("/api/partner/reports", Some(&partner), report())
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        reports.push(filed["id"].as_str().unwrap_or_default().to_owned());
    }

    // The caisse's agents: 50, then the last one, each once.
    let agent = stack.agent_token("A5", ROUEN, &["instructeur"]).await;
    let (lengths, mut seen) = pages(&stack, "/api/agent/reports", &agent).await;
    assert_eq!(lengths, vec![50, 1]);
    seen.sort();
    seen.dedup();
    let mut expected = reports.clone();
    expected.sort();
    assert_eq!(seen, expected, "every report once");
    // The status filter still holds across pages.
    let (status, closed) = stack
        .post(
            &format!("/api/agent/reports/{}/answer", reports[7]),
            Some(&agent),
            json!({"answer": "Traité.", "status": "closed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let (lengths, only) = pages(&stack, "/api/agent/reports?status=closed", &agent).await;
    assert_eq!((lengths, only), (vec![1], vec![reports[7].clone()]));
    let (lengths, _) = pages(&stack, "/api/agent/reports?status=open", &agent).await;
    assert_eq!(lengths, vec![50]);
    let (status, body) = stack.get("/api/agent/reports?status=lost", &agent).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The organisation: its renewals first, then its requests, 50 a page, each once.
    let (lengths, mut seen) = pages(&stack, "/api/partner/requests", &partner).await;
    assert_eq!(lengths, vec![50, 3]);
    assert_eq!(seen.len(), 53);
    let mut renewals_newest_first = renewals.clone();
    renewals_newest_first.reverse();
    assert_eq!(
        seen[..2],
        renewals_newest_first[..],
        "renewals first, newest first"
    );
    seen.sort();
    seen.dedup();
    let mut expected: Vec<String> = reports.iter().chain(&renewals).cloned().collect();
    expected.sort();
    assert_eq!(seen, expected, "every request once");

    // The renewals' index a page of one at a time: a cursor from each full page.
    let store = stack.renewal_store();
    let mut cursor: Option<String> = None;
    let mut filed = Vec::new();
    for _ in 0..5 {
        let c2s_platform::page::Page { items, next } = store
            .filed_by(&pid, cursor.as_deref(), 1)
            .await
            .unwrap_or_else(|e| panic!("filed_by: {e:?}"));
        assert!(items.len() <= 1);
        filed.extend(items.into_iter().map(|r| r.id));
        cursor = next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(filed, renewals_newest_first);

    // A cursor not of the list, or of another list, is refused.
    let (_, first) = stack.get("/api/agent/reports", &agent).await;
    // An empty cursor is the first page, as openapi's cursors allow.
    let (status, again) = stack.get("/api/agent/reports?cursor=", &agent).await;
    assert_eq!((status, &again["items"]), (StatusCode::OK, &first["items"]));
    let agents_cursor = first["next_cursor"].as_str().unwrap_or_default().to_owned();
    let (_, mine) = stack.get("/api/partner/requests", &partner).await;
    let partners_cursor = mine["next_cursor"].as_str().unwrap_or_default().to_owned();
    for (path, token) in [
        ("/api/agent/reports?cursor=garbage".to_owned(), &agent),
        (
            format!("/api/agent/reports?cursor={partners_cursor}"),
            &agent,
        ),
        ("/api/partner/requests?cursor=garbage".to_owned(), &partner),
        (
            format!("/api/partner/requests?cursor={agents_cursor}"),
            &partner,
        ),
    ] {
        let (status, body) = stack.get(&path, token).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_cursor")),
            "{path}"
        );
    }
    // Another caisse's agent cannot use this caisse's cursor.
    let far = stack.agent_token("A6", HAVRE, &["instructeur"]).await;
    let (status, _) = stack
        .get(&format!("/api/agent/reports?cursor={agents_cursor}"), &far)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    stack.stop().await;
}
