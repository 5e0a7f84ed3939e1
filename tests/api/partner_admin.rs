//! The CPAM's administration of partner organisations, against the partner convention: each
//! caisse signs and administers its own convention only, every action of an agent is in the
//! audit trail, the size rule and the last gestionnaire hold under concurrent requests, and
//! the habilitation table cannot carry a formula into a spreadsheet.

use crate::helpers::*;
use c2s_platform::audit::Verification;
use serde_json::{json, Value};

fn new_org(name: &str, members: u32, caisses: &[&str], signing: &str) -> Value {
    json!({"name": name, "kind": "ccas", "members": members, "caisses": caisses, "convention": {"caisse": signing, "start": "2025-01-01", "end": "2025-12-31"}})
}

/// An organisation conventioned with Rouen by `admin`, one of its admins; its id.
async fn organisation(stack: &TestStack, admin: &str, name: &str, members: u32) -> String {
    let (status, org) = stack
        .post(
            "/api/agent/partners",
            Some(admin),
            new_org(name, members, &[ROUEN], ROUEN),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    id_of(&org, "partner_id")
}

/// A gestionnaire for the organisation at `base` (`/api/agent/partners/{pid}`), by `admin`.
async fn add_manager(stack: &TestStack, admin: &str, base: &str, p: Value) -> (StatusCode, Value) {
    stack
        .post(&format!("{base}/managers"), Some(admin), p)
        .await
}

/// Each `(path, body)` posted by `token`, all at once; the answers in the same order.
async fn at_once(
    stack: &TestStack,
    token: &str,
    calls: impl Iterator<Item = (String, Value)>,
) -> Vec<(StatusCode, Value)> {
    let posts = calls.map(|(path, body)| async move { stack.post(&path, Some(token), body).await });
    futures::future::join_all(posts).await
}

fn person(email: &str, last: &str, function: &str) -> Value {
    json!({"email": email, "last_name": last, "first_name": "Camille", "function": function, "phone": "02 35 00 00 00"})
}

fn id_of(body: &Value, field: &str) -> String {
    body[field].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn each_caisse_signs_and_administers_its_own_convention() {
    let stack = TestStack::start().await;
    let rouen = stack.admin_token("PR1", ROUEN).await;
    let havre = stack.admin_token("PH1", HAVRE).await;

    // Rouen cannot sign for Le Havre: nothing is created.
    let (status, body) = stack
        .post(
            "/api/agent/partners",
            Some(&rouen),
            new_org("UDAF 76", 30, &[ROUEN, HAVRE], ROUEN),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );
    let (status, org) = stack
        .post(
            "/api/agent/partners",
            Some(&rouen),
            new_org("UDAF 76", 30, &[ROUEN], ROUEN),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["active_caisses"], json!([ROUEN]));
    let pid = id_of(&org, "partner_id");
    let base = format!("/api/agent/partners/{pid}");

    // Le Havre, without a convention, neither sees nor administers the organisation.
    let (status, _) = stack.get(&base, &havre).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = add_manager(
        &stack,
        &havre,
        &base,
        person("g.havre@udaf76.fr", "Havre", "Gestionnaire"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Le Havre adds its own convention, through its own admin; not Rouen's, not twice.
    let conventions = format!("{base}/conventions");
    let (status, body) = stack
        .post(
            &conventions,
            Some(&havre),
            json!({"caisse": ROUEN, "start": "2025-06-01", "end": "2026-05-31"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );
    let (status, body) = stack
        .post(
            &conventions,
            Some(&havre),
            json!({"caisse": HAVRE, "start": "2026-13-01", "end": "2026-05-31"}),
        )
        .await;
    assert_eq!(
        (status, body["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("start")),
        "{body}"
    );
    let (status, both) = stack
        .post(
            &conventions,
            Some(&havre),
            json!({"caisse": HAVRE, "start": "2025-06-01", "end": "2026-05-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{both}");
    assert_eq!(both["active_caisses"], json!([ROUEN, HAVRE]));
    assert_eq!(both["conventions"].as_array().map(Vec::len), Some(2));
    let (status, body) = stack
        .post(
            &conventions,
            Some(&havre),
            json!({"caisse": HAVRE, "start": "2025-06-01", "end": "2026-05-31"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("convention_exists"))
    );
    let (status, _) = stack.get(&base, &havre).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = add_manager(
        &stack,
        &havre,
        &base,
        person("g.havre@udaf76.fr", "Havre", "Gestionnaire"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Each caisse terminates its own convention only.
    for (admin, caisse) in [(&havre, ROUEN), (&rouen, HAVRE)] {
        let (status, _) = stack
            .post(
                &format!("{base}/conventions/{caisse}/terminate"),
                Some(admin),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{caisse}");
    }
    let (status, ended) = stack
        .post(
            &format!("{base}/conventions/{HAVRE}/terminate"),
            Some(&havre),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, ended["active_caisses"].clone()),
        (StatusCode::OK, json!([ROUEN]))
    );
    // Its convention ended, Le Havre still reads what it administered, but administers no
    // more; Rouen still does.
    let (status, _) = stack.get(&base, &havre).await;
    assert_eq!(status, StatusCode::OK);
    for (path, body) in [
        (format!("{base}/deactivate"), json!({})),
        (
            format!("{base}/managers"),
            person("g2.havre@udaf76.fr", "Havre", "Gestionnaire"),
        ),
    ] {
        let (status, body) = stack.post(&path, Some(&havre), body).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{path}"
        );
    }
    let (status, org) = stack.get(&base, &rouen).await;
    assert_eq!(
        (
            status,
            org["active"].as_bool(),
            org["accounts"].as_array().map(Vec::len)
        ),
        (StatusCode::OK, Some(true), Some(1))
    );
    stack.stop().await;
}

#[tokio::test]
async fn every_partner_administration_is_in_the_audit_trail() {
    let stack = TestStack::start().await;
    let rouen = stack.admin_token("PR2", ROUEN).await;
    let havre = stack.admin_token("PH2", HAVRE).await;
    let superviseur = stack.agent_token("S1", ROUEN, &["superviseur"]).await;
    let superviseur_havre = stack.agent_token("S2", HAVRE, &["superviseur"]).await;
    let instructeur = stack.agent_token("I1", ROUEN, &["instructeur"]).await;

    let pid = organisation(&stack, &rouen, "CCAS Sotteville", 8).await;
    let base = format!("/api/agent/partners/{pid}");
    let (status, _) = stack.get(&base, &rouen).await;
    assert_eq!(status, StatusCode::OK);
    let (_, first) = add_manager(
        &stack,
        &rouen,
        &base,
        person("a.first@sotteville.fr", "Premier", "Directrice"),
    )
    .await;
    let (_, second) = add_manager(
        &stack,
        &rouen,
        &base,
        person("b.second@sotteville.fr", "Second", "Adjoint"),
    )
    .await;
    let (first, second) = (id_of(&first, "account_id"), id_of(&second, "account_id"));
    let partner = stack.activate_partner("a.first@sotteville.fr").await;
    let (status, _) = stack
        .put(
            &format!("{base}/accounts/{first}"),
            &rouen,
            json!({"function": "Directrice adjointe"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack
        .post(
            &format!("{base}/accounts/{first}/unlock"),
            Some(&rouen),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack
        .post(
            &format!("{base}/accounts/{second}/deactivate"),
            Some(&rouen),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack
        .call(
            reqwest::Method::GET,
            &format!("{base}/habilitations.csv"),
            Some(&rouen),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack
        .post(
            &format!("{base}/conventions"),
            Some(&havre),
            json!({"caisse": HAVRE, "start": "2025-01-01", "end": "2025-12-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // A signalement answered by the caisse's agents.
    let (status, report) = stack.post("/api/partner/reports", Some(&partner), json!({"civility": "Madame", "last_name": "Lefèvre", "first_name": "Jeanne", "birth_date": "1957-02-14", "department": "76", "motive": "dossier_complexe", "caisse": ROUEN, "comment": "Pas de nouvelles depuis l'envoi du dossier."})).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let (status, _) = stack.get("/api/agent/reports", &instructeur).await;
    assert_eq!(status, StatusCode::OK);
    let rid = id_of(&report, "request_id");
    let (status, _) = stack
        .post(
            &format!("/api/agent/reports/{rid}/answer"),
            Some(&instructeur),
            json!({"answer": "Dossier reçu, en cours d'étude."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack
        .post(&format!("{base}/deactivate"), Some(&rouen), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = stack
        .post(
            &format!("{base}/conventions/{ROUEN}/terminate"),
            Some(&rouen),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The superviseur reads the organisation's trail: each action, who, when, on what.
    let (status, trail) = stack
        .get(&format!("/api/agent/audit?partner_id={pid}"), &superviseur)
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let entries: Vec<(String, String, String)> = trail["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (id_of(e, "action"), id_of(e, "agent_id"), id_of(e, "target")))
        .collect();
    let expected = [
        ("create_partner", "PR2", pid.as_str()),
        ("read_partner", "PR2", pid.as_str()),
        ("create_manager", "PR2", first.as_str()),
        ("create_manager", "PR2", second.as_str()),
        ("modify_account", "PR2", first.as_str()),
        ("unlock_account", "PR2", first.as_str()),
        ("deactivate_account", "PR2", second.as_str()),
        ("export_habilitations", "PR2", pid.as_str()),
        ("answer_request", "I1", rid.as_str()),
        ("deactivate_partner", "PR2", pid.as_str()),
        ("terminate_convention", "PR2", ROUEN),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(entries, expected, "{trail}");
    assert!(trail["items"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| e["agent_name"].is_string() && e["at"].is_string()));
    // Le Havre's convention is in Le Havre's trail, not Rouen's.
    let (_, theirs) = stack
        .get(
            &format!("/api/agent/audit?partner_id={pid}"),
            &superviseur_havre,
        )
        .await;
    let actions: Vec<&str> = theirs["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["add_convention"], "{theirs}");
    // Reading the caisse's signalements is traced too, and the chain holds.
    assert_eq!(
        stack.audit_store().verify(ROUEN).await.ok(),
        Some(Verification::Intact { entries: 12 })
    );
    // An empty or oversized identifier is a clear refusal; the role is the superviseur's.
    for q in ["partner_id=", &format!("partner_id={}", "p".repeat(80))] {
        let (status, _) = stack
            .get(&format!("/api/agent/audit?{q}"), &superviseur)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
    }
    let (status, _) = stack
        .get(&format!("/api/agent/audit?partner_id={pid}"), &rouen)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    stack.stop().await;
}

#[tokio::test]
async fn the_size_rule_holds_under_concurrent_requests() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("PR3", ROUEN).await;

    // 8 members: 2 gestionnaires at most, however many are asked for at once.
    let pid = organisation(&stack, &admin, "Mission locale", 8).await;
    let managers = format!("/api/agent/partners/{pid}/managers");
    let asks = (0..8).map(|i| {
        let body = person(&format!("g{i}@ml-rouen.fr"), "Martin", "Conseiller");
        (managers.clone(), body)
    });
    let answers = at_once(&stack, &admin, asks).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 2, "{answers:?}");
    assert!(answers.iter().all(|(s, b)| *s == StatusCode::CREATED
        || (*s == StatusCode::UNPROCESSABLE_ENTITY && b["code"] == "manager_limit")));
    let (_, now) = stack
        .get(&format!("/api/agent/partners/{pid}"), &admin)
        .await;
    assert_eq!(now["accounts"].as_array().map(Vec::len), Some(2), "{now}");
    stack.stop().await;
}

#[tokio::test]
async fn the_last_gestionnaire_stays_under_concurrent_requests() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("PR3", ROUEN).await;

    // 26 members: 5 active gestionnaires, all deactivated at once: one stays.
    let big = organisation(&stack, &admin, "UDAF", 26).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let email = format!("m{i}@udaf-rouen.fr");
        let (status, a) = add_manager(
            &stack,
            &admin,
            &format!("/api/agent/partners/{big}"),
            person(&email, "Durand", "Mandataire"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        stack.activate_partner(&email).await;
        ids.push(id_of(&a, "account_id"));
    }
    let deactivations = ids.iter().map(|aid| {
        let path = format!("/api/agent/partners/{big}/accounts/{aid}/deactivate");
        (path, json!({}))
    });
    let answers = at_once(&stack, &admin, deactivations).await;
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::UNPROCESSABLE_ENTITY && b["code"] == "last_manager")
        .count();
    assert_eq!(refused, 1, "{answers:?}");
    let (_, now) = stack
        .get(&format!("/api/agent/partners/{big}"), &admin)
        .await;
    let active = now["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["status"] == "active")
        .count();
    assert_eq!(active, 1, "{now}");
    stack.stop().await;
}

#[tokio::test]
async fn the_habilitation_table_carries_no_formula() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("PR4", ROUEN).await;
    let pid = organisation(&stack, &admin, "=Organisme", 8).await;
    let (status, _) = add_manager(
        &stack,
        &admin,
        &format!("/api/agent/partners/{pid}"),
        person("g@orga.fr", "Martin", "+33 1 02 03 04"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let manager = stack.activate_partner("g@orga.fr").await;
    for (i, function) in [
        "=HYPERLINK(\"https://exemple.fr\";\"Ouvrir\")",
        "@SOMME(A1:A9)",
        "-2+3",
    ]
    .iter()
    .enumerate()
    {
        let (status, body) = stack
            .post(
                "/api/partner/technicians",
                Some(&manager),
                person(&format!("t{i}@orga.fr"), "Durand", function),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for path in [
        "/api/partner/habilitations.csv".to_owned(),
        format!("/api/agent/partners/{pid}/habilitations.csv"),
    ] {
        let token = if path.starts_with("/api/partner") {
            &manager
        } else {
            &admin
        };
        let (status, csv) = stack
            .call(reqwest::Method::GET, &path, Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let csv = csv.as_str().unwrap_or_default().to_owned();
        assert_eq!(csv.lines().count(), 5, "{csv}");
        for cell in [
            "\"'=Organisme\"",
            "\"'+33 1 02 03 04\"",
            "\"'=HYPERLINK(\"\"https://exemple.fr\"\";\"\"Ouvrir\"\")\"",
            "\"'@SOMME(A1:A9)\"",
            "\"'-2+3\"",
        ] {
            assert!(csv.contains(cell), "{cell} in {csv}");
        }
        // No cell starts with a character a spreadsheet reads as a formula.
        for line in csv.lines().skip(1) {
            for cell in line.split(';') {
                let inner = cell.trim_start_matches('"');
                assert!(
                    !inner.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{cell} in {line}"
                );
            }
        }
    }
    stack.stop().await;
}
