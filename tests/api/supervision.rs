//! The superviseur redistributes and reports, the agents search: reassign and release a claim
//! (and the race on its version), bulk claim and reassign with one answer per file, the
//! queue's export as CSV and XLSX with nobody's identity in it, and the search by receipt,
//! NIR and name with birth date, own caisse only; each action in the audit chain.

use crate::helpers::*;
use crate::helpers_supervision::*;
use c2s_platform::audit::Verification;
use serde_json::{json, Value};

/// The actions of the caisse's chain about `id`, as (agent, action), in order.
async fn trail(stack: &TestStack, superviseur: &str, id: &str) -> Vec<(String, String)> {
    let (status, t) = stack
        .get(&format!("/api/agent/audit?renewal_id={id}"), superviseur)
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["agent_id"].as_str().unwrap_or_default().to_owned(),
                e["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_superviseur_reassigns_then_releases_a_claimed_file() {
    let stack = TestStack::start().await;
    let (_, id, _) = stack.submitted_renewal(ROUEN, 61).await;
    let absent = stack.agent_token("A1001", ROUEN, &["instructeur"]).await;
    let other = stack.agent_token("A1002", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S2001", ROUEN, &["superviseur"]).await;
    let havre = stack.agent_token("S3001", HAVRE, &["superviseur"]).await;
    let (status, _) = stack.claim(&absent, &id).await;
    assert_eq!(status, StatusCode::OK);

    // Only a superviseur, and only of the file's caisse.
    let (status, _) = reassign(&stack, &absent, &id, json!("A1002")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = stack
        .post(
            &format!("/api/agent/renewals/{id}/reassign"),
            Some(&havre),
            json!({"agent_id": "A1002", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A stale version loses, as for every action.
    let version = version_of(&stack, &superviseur, &id).await;
    let stale = version.as_u64().unwrap_or(0) - 1;
    let (status, body) = stack
        .post(
            &format!("/api/agent/renewals/{id}/reassign"),
            Some(&superviseur),
            json!({"agent_id": "A1002", "version": stale}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_conflict")),
        "{body}"
    );
    let (status, body) = stack
        .post(
            &format!("/api/agent/renewals/{id}/reassign"),
            Some(&superviseur),
            json!({"version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // To another instructeur: still in review, now theirs; the absent one can no longer act.
    let (status, moved) = stack
        .post(
            &format!("/api/agent/renewals/{id}/reassign"),
            Some(&superviseur),
            json!({"agent_id": "A1002", "agent_name": "Agent A1002", "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["status"], "in_review");
    assert_eq!(
        moved["assigned_to"],
        json!({"agent_id": "A1002", "name": "Agent A1002"})
    );
    let ask = |token: String, version: Value| {
        let stack = &stack;
        let id = id.clone();
        async move {
            stack
                .post(
                    &format!("/api/agent/renewals/{id}/request-documents"),
                    Some(&token),
                    json!({"items": ["rent_receipt"], "version": version}),
                )
                .await
        }
    };
    let (status, body) = ask(absent.clone(), moved["version"].clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_assigned"))
    );
    // Resent, it answers as the first one did.
    let (status, again) = stack
        .post(
            &format!("/api/agent/renewals/{id}/reassign"),
            Some(&superviseur),
            json!({"agent_id": "A1002", "version": version}),
        )
        .await;
    assert_eq!(
        (status, &again["version"]),
        (StatusCode::OK, &moved["version"])
    );

    // Released: back in the queue, no one's, and any instructeur takes it.
    let (status, released) = reassign(&stack, &superviseur, &id, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{released}");
    assert_eq!(released["status"], "submitted");
    assert_eq!(released["assigned_to"], Value::Null);
    let (_, q) = stack
        .get("/api/agent/renewals?status=submitted", &other)
        .await;
    assert_eq!(ids(&q["items"]), std::slice::from_ref(&id));
    let (status, taken) = stack.claim(&absent, &id).await;
    assert_eq!(
        (status, &taken["assigned_to"]["agent_id"]),
        (StatusCode::OK, &json!("A1001"))
    );

    // A file waiting for documents is no one's to give.
    let (status, _) = ask(absent.clone(), taken["version"].clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = reassign(&stack, &superviseur, &id, json!("A1002")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition")),
        "{body}"
    );

    // Each change is in the chain, by whom, and the chain holds.
    let actions = trail(&stack, &superviseur, &id).await;
    let reassigns: Vec<&str> = actions
        .iter()
        .filter(|(_, a)| a == "reassign")
        .map(|(who, _)| who.as_str())
        .collect();
    assert_eq!(reassigns, ["S2001", "S2001"], "{actions:?}");
    assert_eq!(
        actions.iter().filter(|(_, a)| a == "claim").count(),
        2,
        "{actions:?}"
    );
    stack.assert_chain_intact(ROUEN).await;
    stack.stop().await;
}

#[tokio::test]
async fn bulk_actions_answer_for_each_file_as_it_would_alone() {
    let stack = TestStack::start().await;
    let (_, a, _) = stack.submitted_renewal(ROUEN, 62).await;
    let (_, b, _) = stack.submitted_renewal(ROUEN, 63).await;
    let (_, taken, _) = stack.submitted_renewal(ROUEN, 64).await;
    let (_, havre_file, _) = stack.submitted_renewal(HAVRE, 65).await;
    let instructeur = stack.agent_token("A1001", ROUEN, &["instructeur"]).await;
    let colleague = stack.agent_token("A1009", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S2001", ROUEN, &["superviseur"]).await;
    let (status, _) = stack.claim(&colleague, &taken).await;
    assert_eq!(status, StatusCode::OK);
    let unknown = "00000000-0000-4000-8000-000000000000";

    // Bounded, typed, and each action for its role.
    let many: Vec<String> = (0..101).map(|i| format!("id-{i}")).collect();
    for body in [
        json!({"action": "claim", "ids": many}),
        json!({"action": "claim", "ids": []}),
        json!({"action": "decide", "ids": [a]}),
        json!({"action": "reassign", "ids": [a]}),
    ] {
        let (status, out) = stack
            .post("/api/agent/renewals/bulk", Some(&superviseur), body.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {out}");
    }
    let (status, _) = stack
        .post(
            "/api/agent/renewals/bulk",
            Some(&superviseur),
            json!({"action": "claim", "ids": [a]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "claiming is an instructeur's"
    );
    let (status, _) = stack
        .post(
            "/api/agent/renewals/bulk",
            Some(&instructeur),
            json!({"action": "reassign", "ids": [a], "agent_id": "A1001"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "reassigning is a superviseur's"
    );

    // Claim: each file answers as its own claim would.
    let results = bulk(
        &stack,
        &instructeur,
        json!({"action": "claim", "ids": [a, b, taken, havre_file, unknown, a]}),
    )
    .await;
    assert_eq!(
        results,
        [
            (a.clone(), 200),
            (b.clone(), 200),
            (taken.clone(), 409),
            (havre_file.clone(), 404),
            (unknown.to_owned(), 404),
        ]
    );
    let (_, q) = stack
        .get("/api/agent/renewals?status=in_review", &superviseur)
        .await;
    let mine: Vec<String> = q["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["assigned_to"]["agent_id"] == "A1001")
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(mine.len(), 2);
    assert!(mine.contains(&a) && mine.contains(&b));

    // Reassign the three claimed files to one agent, then release two of them.
    let results = bulk(
        &stack,
        &superviseur,
        json!({"action": "reassign", "ids": [a, b, taken], "agent_id": "A1005"}),
    )
    .await;
    assert_eq!(
        results,
        [(a.clone(), 200), (b.clone(), 200), (taken.clone(), 200)]
    );
    let results = bulk(
        &stack,
        &superviseur,
        json!({"action": "reassign", "ids": [a, b, havre_file], "agent_id": null}),
    )
    .await;
    assert_eq!(
        results,
        [
            (a.clone(), 200),
            (b.clone(), 200),
            (havre_file.clone(), 404)
        ]
    );
    let (_, q) = stack
        .get("/api/agent/renewals?status=submitted", &superviseur)
        .await;
    let mut waiting = ids(&q["items"]);
    waiting.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(waiting, expected);
    let (_, t) = stack
        .get(&format!("/api/agent/renewals/{taken}"), &superviseur)
        .await;
    assert_eq!(t["assigned_to"]["agent_id"], "A1005");

    // One audited change per file changed.
    let on_a = trail(&stack, &superviseur, &a).await;
    assert_eq!(
        on_a.iter().filter(|(_, x)| x == "reassign").count(),
        2,
        "{on_a:?}"
    );
    assert!(on_a.contains(&("A1001".to_owned(), "claim".to_owned())));
    stack.assert_chain_intact(ROUEN).await;
    stack.stop().await;
}

#[tokio::test]
async fn the_queue_is_exported_without_anyone_s_identity() {
    let stack = TestStack::start().await;
    let (_, a, nir_a) = stack.submitted_renewal(ROUEN, 66).await;
    let (_, b, nir_b) = stack.submitted_renewal(ROUEN, 67).await;
    let (_, h, _) = stack.submitted_renewal(HAVRE, 68).await;
    let instructeur = stack.agent_token("A1001", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S2001", ROUEN, &["superviseur"]).await;
    let (status, _) = stack.claim(&instructeur, &b).await;
    assert_eq!(status, StatusCode::OK);
    let receipt = |id: String| {
        let stack = &stack;
        let superviseur = superviseur.clone();
        async move {
            let (_, f) = stack
                .get(&format!("/api/agent/renewals/{id}"), &superviseur)
                .await;
            f["receipt"]["number"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let (ra, rb) = (receipt(a.clone()).await, receipt(b.clone()).await);
    let havre = stack.agent_token("S3001", HAVRE, &["superviseur"]).await;
    let (_, hf) = stack.get(&format!("/api/agent/renewals/{h}"), &havre).await;
    let rh = hf["receipt"]["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(ra.starts_with("C2S-") && rb.starts_with("C2S-") && rh.starts_with("C2S-"));

    let (status, ..) = download(&stack, "/api/agent/renewals/export", &instructeur).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for bad in ["?format=pdf", "?status=lost"] {
        let (status, ..) = download(
            &stack,
            &format!("/api/agent/renewals/export{bad}"),
            &superviseur,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // CSV: the caisse's open files, by receipt number, and nobody's identity.
    let (status, kind, disposition, bytes) = download(
        &stack,
        "/api/agent/renewals/export?format=csv",
        &superviseur,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(
        disposition.starts_with("attachment; filename=") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let csv = String::from_utf8(bytes).unwrap_or_default();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].contains("numéro de récépissé"));
    assert!(
        csv.contains(&ra) && csv.contains(&rb) && !csv.contains(&rh),
        "{csv}"
    );
    let line_b = lines
        .iter()
        .find(|l| l.contains(&rb))
        .copied()
        .unwrap_or_default();
    assert!(
        line_b.contains("\"En cours d'instruction\"") && line_b.contains("\"A1001\""),
        "{line_b}"
    );
    for secret in [
        nir_a.as_str(),
        &nir_b,
        &nir_a[..13],
        "Martin",
        "Claire",
        "Hugo",
    ] {
        assert!(!csv.contains(secret), "{secret} in the export");
    }
    // Filtered by status.
    let (_, _, _, bytes) = download(
        &stack,
        "/api/agent/renewals/export?status=in_review",
        &superviseur,
    )
    .await;
    let csv = String::from_utf8(bytes).unwrap_or_default();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(&rb) && !csv.contains(&ra));

    // XLSX: a workbook with the same rows, nobody's identity either.
    let (status, kind, disposition, bytes) = download(
        &stack,
        "/api/agent/renewals/export?format=xlsx",
        &superviseur,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        kind,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(disposition.ends_with(".xlsx\""), "{disposition}");
    let sheet = xlsx_text(&bytes);
    assert!(sheet.contains(&ra) && sheet.contains(&rb) && !sheet.contains(&rh));
    assert!(sheet.contains("A1001") && sheet.contains("échéance"));
    for secret in [nir_a.as_str(), &nir_b, "Martin", "Claire"] {
        assert!(!sheet.contains(secret), "{secret} in the workbook");
    }

    // Each export is in the chain, with what was exported.
    let Ok(entries) = stack.audit_store().verify(ROUEN).await else {
        panic!("the chain");
    };
    assert!(matches!(entries, Verification::Intact { .. }));
    let exports: Vec<String> = chain_entries(&stack, ROUEN, "export")
        .await
        .iter()
        .filter_map(|e| text(e, "target").map(str::to_owned))
        .collect();
    assert_eq!(
        exports,
        ["queue:open:csv", "queue:in_review:csv", "queue:open:xlsx"]
    );
    stack.stop().await;
}

#[tokio::test]
async fn an_agent_finds_a_file_by_receipt_nir_or_name_in_their_caisse_only() {
    let stack = TestStack::start().await;
    let (_, id, nir) = stack.submitted_renewal(ROUEN, 69).await;
    // The same name and birth date in another caisse: never found from Rouen.
    let (_, havre_id, havre_nir) = stack.submitted_renewal(HAVRE, 69).await;
    let instructeur = stack.agent_token("A1001", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S2001", ROUEN, &["superviseur"]).await;
    let dpo = stack.agent_token("D4001", ROUEN, &["dpo"]).await;
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{id}"), &instructeur)
        .await;
    let receipt = file["receipt"]["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let (status, _) = stack
        .post("/api/agent/search", Some(&dpo), json!({"receipt": receipt}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = stack
        .post("/api/agent/search", Some(&instructeur), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid");
    let (status, _) = stack
        .post(
            "/api/agent/search",
            Some(&instructeur),
            json!({"nir": "123"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // By receipt number, as read out on the phone (lower case, spaces).
    let spoken = format!(" {} ", receipt.to_lowercase());
    assert_eq!(
        search_ids(&stack, &instructeur, json!({"receipt": spoken})).await,
        std::slice::from_ref(&id)
    );
    let (_, found) = stack
        .post(
            "/api/agent/search",
            Some(&superviseur),
            json!({"receipt": receipt}),
        )
        .await;
    let item = &found["items"][0];
    assert_eq!(item["receipt_number"], json!(receipt));
    assert_eq!(
        (item["first_name"].as_str(), item["last_name"].as_str()),
        (Some("Claire"), Some("Martin"))
    );
    assert_eq!(item["birth_date"], "1969-03-10");
    assert_eq!(item["status"], "submitted");
    assert!(item["deadline"].is_string());
    assert_eq!(item["assigned_to"], Value::Null);
    // By NIR, spaced as written.
    let spaced = format!("{} {} {}", &nir[..1], &nir[1..5], &nir[5..]);
    assert_eq!(
        search_ids(&stack, &instructeur, json!({"nir": spaced})).await,
        std::slice::from_ref(&id)
    );
    // By name and birth date, whatever the case and accents.
    assert_eq!(
        search_ids(
            &stack,
            &instructeur,
            json!({"last_name": "MARTÍN", "birth_date": "1969-03-10"})
        )
        .await,
        std::slice::from_ref(&id)
    );
    assert!(search_ids(
        &stack,
        &instructeur,
        json!({"last_name": "Martin", "birth_date": "1969-03-11"})
    )
    .await
    .is_empty());
    // Another caisse's file is never found, whichever way.
    assert!(search_ids(&stack, &instructeur, json!({"nir": havre_nir}))
        .await
        .is_empty());
    let (_, hf) = stack
        .get(
            &format!("/api/agent/renewals/{havre_id}"),
            &stack.agent_token("S3001", HAVRE, &["superviseur"]).await,
        )
        .await;
    let havre_receipt = hf["receipt"]["number"].clone();
    assert!(
        search_ids(&stack, &instructeur, json!({"receipt": havre_receipt}))
            .await
            .is_empty()
    );

    // Each search is in the chain, by whom and how, the person by their keyed hash: the NIR
    // is nowhere in it.
    let entries = chain_entries(&stack, ROUEN, "search").await;
    let searches: Vec<String> = entries.iter().map(|e| format!("{e:?}")).collect();
    assert_eq!(searches.len(), 7, "{searches:?}");
    for entry in &searches {
        assert!(
            !entry.contains(&nir) && !entry.contains(&nir[..13]),
            "{entry}"
        );
        assert!(
            !entry.contains("Martin") && !entry.contains("MART"),
            "{entry}"
        );
    }
    let by_nir = entries.iter().filter(|e| text(e, "target") == Some("nir"));
    assert_eq!(by_nir.count(), 2);
    // The file's own trail shows the searches that found it alone.
    let actions = trail(&stack, &superviseur, &id).await;
    assert_eq!(
        actions.iter().filter(|(_, a)| a == "search").count(),
        4,
        "{actions:?}"
    );
    stack.assert_chain_intact(ROUEN).await;
    stack.stop().await;
}

#[tokio::test]
async fn the_new_routes_want_a_token_and_their_role() {
    let stack = TestStack::start().await;
    let (_, id, _) = stack.submitted_renewal(ROUEN, 70).await;
    let admin = stack.admin_token("P5001", ROUEN).await;
    let routes: [(reqwest::Method, String, Option<Value>); 4] = [
        (
            reqwest::Method::POST,
            format!("/api/agent/renewals/{id}/reassign"),
            Some(json!({"agent_id": "A1", "version": 1})),
        ),
        (
            reqwest::Method::POST,
            "/api/agent/renewals/bulk".into(),
            Some(json!({"action": "claim", "ids": [id]})),
        ),
        (
            reqwest::Method::GET,
            "/api/agent/renewals/export".into(),
            None,
        ),
        (
            reqwest::Method::POST,
            "/api/agent/search".into(),
            Some(json!({"receipt": "C2S-2026-0000000000"})),
        ),
    ];
    for (method, path, body) in routes {
        let (status, _) = stack.call(method.clone(), &path, None, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let (status, _) = stack
            .call(method.clone(), &path, Some(&admin), body.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    stack.stop().await;
}
