//! The agents' back-office through HTTP: two caisses, the queue, claim (and its race),
//! request for documents and resubmission, each decision kind, notes, the audit chain
//! (verified, then tampered with), data-subject access, and every route × role × caisse.

use crate::helpers::*;
use c2s_platform::audit::Verification;
use serde_json::{json, Value};

#[tokio::test]
async fn an_agent_instructs_a_file_from_claim_to_decision() {
    let stack = TestStack::start().await;
    let (beneficiary_token, id, _) = stack.submitted_renewal(ROUEN, 71).await;
    let (_, other_id, _) = stack.submitted_renewal(HAVRE, 72).await;
    let instructeur = stack.agent_token("A1001", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S2001", ROUEN, &["superviseur"]).await;

    // The queue: own caisse only, with its deadline.
    let (status, q) = stack.get("/api/agent/renewals", &instructeur).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = q["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    assert_eq!(
        q["items"][0]["deadline"],
        json!(c2s_domain::dates::format_date(
            c2s_domain::dates::add_months(today(), 2)
        ))
    );
    assert_eq!(q["items"][0]["deadline_state"], "ok");
    assert_eq!(q["next_cursor"], Value::Null);
    let (status, _) = stack
        .get(&format!("/api/agent/renewals/{other_id}"), &instructeur)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The whole file, with the engine's proposal and a masked NIR.
    let (status, file) = stack
        .get(&format!("/api/agent/renewals/{id}"), &instructeur)
        .await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert!(file["identity"]["masked_nir"]
        .as_str()
        .is_some_and(|m| m.contains('*')));
    assert!(file["proposal"].is_object());
    let version = file["version"].as_u64().unwrap_or(0);

    // Claim, then ask for a document.
    let (status, claimed) = stack
        .post(
            &format!("/api/agent/renewals/{id}/claim"),
            Some(&instructeur),
            json!({"version": version}),
        )
        .await;
    assert_eq!(
        (
            status,
            claimed["status"].as_str(),
            claimed["assigned_to"]["agent_id"].as_str()
        ),
        (StatusCode::OK, Some("in_review"), Some("A1001"))
    );
    let (status, again) = stack
        .post(
            &format!("/api/agent/renewals/{id}/claim"),
            Some(&instructeur),
            json!({"version": version}),
        )
        .await;
    assert_eq!(
        (status, again["status"].as_str()),
        (StatusCode::OK, Some("in_review")),
        "a resent claim answers the same"
    );
    let v = claimed["version"].as_u64().unwrap_or(0);
    let (status, body) = stack.post(&format!("/api/agent/renewals/{id}/request-documents"), Some(&instructeur), json!({"items": ["tax_notice"], "message": "Merci de joindre votre dernier avis d'imposition.", "version": v})).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("awaiting_documents")),
        "{body}"
    );

    // The beneficiary sees the request, cannot resubmit without the document.
    let path = format!("/api/renewals/{id}");
    let (_, mine) = stack.get(&path, &beneficiary_token).await;
    assert_eq!(mine["requested_documents"], json!(["tax_notice"]));
    assert_eq!(mine["missing"], json!(["document:tax_notice"]));
    let (status, _) = stack
        .post(
            &format!("{path}/submit"),
            Some(&beneficiary_token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let doc = stack
        .upload(
            &beneficiary_token,
            &id,
            "tax_notice",
            "application/pdf",
            pdf(),
        )
        .await;
    let checked = stack.checked_document(&beneficiary_token, &id, &doc).await;
    if !stack.antivirus {
        assert_eq!(checked["status"], "pending_scan");
        eprintln!("NOTE: no clamd: the resubmission waits for the antivirus");
        stack.stop().await;
        return;
    }
    let (status, resubmitted) = stack
        .post(
            &format!("{path}/submit"),
            Some(&beneficiary_token),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, resubmitted["status"].as_str()),
        (StatusCode::OK, Some("submitted"))
    );

    // Back in the queue; claimed again. The file names each document's audited route, never
    // a link to the storage: only that route hands one out, short-lived, and traces it.
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{id}"), &instructeur)
        .await;
    let route = format!("/api/agent/renewals/{id}/documents/{doc}/download");
    assert_eq!(file["documents"][0]["document_id"], json!(doc));
    assert_eq!(file["documents"][0]["download_url"], json!(route), "{file}");
    assert!(!file.to_string().contains("X-Amz-"), "{file}");
    let (status, link) = stack.get(&route, &instructeur).await;
    assert_eq!(status, StatusCode::OK);
    let url = link["download_url"].as_str().unwrap_or_default().to_owned();
    assert!(
        url.contains("X-Amz-Expires=300") && url.contains("attachment"),
        "{url}"
    );
    let got = stack.http.get(&url).send().await.unwrap();
    assert!(got
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("attachment")));
    assert_eq!(got.bytes().await.map(|b| b.len()).unwrap_or(0), pdf().len());
    let (_, claimed) = stack
        .post(
            &format!("/api/agent/renewals/{id}/claim"),
            Some(&instructeur),
            json!({"version": file["version"]}),
        )
        .await;
    assert_eq!(claimed["documents"][0]["download_url"], json!(route));
    assert!(!claimed.to_string().contains("X-Amz-"), "{claimed}");

    // Notes: a NIR is refused, health terms are flagged.
    let notes = format!("/api/agent/renewals/{id}/notes");
    let (status, body) = stack
        .post(
            &notes,
            Some(&instructeur),
            json!({"text": "Vérifier le 1 84 05 75 123 456 28"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("nir_not_allowed"))
    );
    // However it is glued to letters or cut, in full-width digits too: refused, not stored.
    let hidden = nir("1840575123456");
    let cut = |sep: &str| {
        [
            &hidden[0..1],
            &hidden[1..3],
            &hidden[3..5],
            &hidden[5..7],
            &hidden[7..10],
            &hidden[10..13],
            &hidden[13..],
        ]
        .join(sep)
    };
    let wide: String = hidden
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c))
        .collect();
    for text in [
        format!("NIR{hidden}"),
        cut("\u{a0}"),
        cut("/"),
        cut("_"),
        cut(","),
        cut("\n"),
        wide,
    ] {
        let (status, body) = stack
            .post(&notes, Some(&instructeur), json!({ "text": text }))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("nir_not_allowed")),
            "{text:?}"
        );
    }
    let (status, body) = stack
        .post(
            &notes,
            Some(&instructeur),
            json!({"text": "Personne hospitalisée le mois dernier"}),
        )
        .await;
    assert_eq!(
        (status, body["warnings"].clone()),
        (StatusCode::CREATED, json!(["hospitalis"]))
    );
    let (status, _) = stack
        .post(
            &notes,
            Some(&superviseur),
            json!({"text": "Avis d'imposition reçu, conforme."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Decision: free, with the rights that follow the current ones.
    let (status, decided) = stack
        .post(
            &format!("/api/agent/renewals/{id}/decision"),
            Some(&instructeur),
            json!({"outcome": "free", "reason_code": "eligible", "version": claimed["version"]}),
        )
        .await;
    assert_eq!(
        (status, decided["status"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{decided}"
    );
    assert!(!decided.to_string().contains("X-Amz-"), "{decided}");
    let end = c2s_domain::dates::parse_date(&months_from_today(2)).unwrap_or(today());
    assert_eq!(
        decided["rights_start"],
        json!(c2s_domain::dates::format_date(
            end.next_day().unwrap_or(end)
        ))
    );
    assert_eq!(decided["monthly_participation_cents"], 0);
    assert_eq!(decided["notes"].as_array().map(Vec::len), Some(2));

    // The beneficiary, at level 2, sees the decision; the renewal slot is free again.
    let level_two = stack.step_up(&beneficiary_token).await;
    let (_, mine) = stack.get(&path, &level_two).await;
    assert_eq!(mine["decision"]["outcome"], "free");
    assert_eq!(
        mine["history"].as_array().map(Vec::len),
        Some(7),
        "{}",
        mine["history"]
    );

    // The superviseur's audit trail, in order, and the chain holds.
    let (status, trail) = stack
        .get(&format!("/api/agent/audit?renewal_id={id}"), &superviseur)
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "read_file",
            "claim",
            "request_documents",
            "read_file",
            "download_document",
            "claim",
            "note",
            "note",
            "decision"
        ]
    );
    assert!(trail["items"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| e["agent_id"].is_string()
            && e["agent_name"].is_string()
            && e["at"].is_string()
            && e["target"].is_string()));
    let store = stack.audit_store();
    assert_eq!(
        store.verify(ROUEN).await.ok(),
        Some(Verification::Intact { entries: 9 })
    );

    // Someone edits an entry behind the application's back: the chain says where.
    stack.tamper_with_audit_entry(ROUEN, 4).await;
    assert_eq!(
        store.verify(ROUEN).await.ok(),
        Some(Verification::Broken { seq: 4 })
    );
    // And a deleted entry too.
    stack.delete_audit_entry(ROUEN, 2).await;
    assert_eq!(
        store.verify(ROUEN).await.ok(),
        Some(Verification::Broken { seq: 3 })
    );
    stack.stop().await;
}

#[tokio::test]
async fn two_agents_claiming_at_once_exactly_one_wins() {
    let stack = TestStack::start().await;
    let (_, id, _) = stack.submitted_renewal(HAVRE, 73).await;
    let a = stack.agent_token("A1", HAVRE, &["instructeur"]).await;
    let b = stack.agent_token("B2", HAVRE, &["instructeur"]).await;
    let (_, file) = stack.get(&format!("/api/agent/renewals/{id}"), &a).await;
    let body = json!({"version": file["version"]});
    let path = format!("/api/agent/renewals/{id}/claim");
    let (ra, rb) = tokio::join!(
        stack.post(&path, Some(&a), body.clone()),
        stack.post(&path, Some(&b), body)
    );
    let mut statuses = [ra.0, rb.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        ra.1,
        rb.1
    );
    let loser = if ra.0 == StatusCode::CONFLICT {
        ra.1
    } else {
        rb.1
    };
    assert!(matches!(
        loser["code"].as_str(),
        Some("already_claimed" | "version_conflict")
    ));
    stack.assert_chain_intact(HAVRE).await;
    stack.stop().await;
}

#[tokio::test]
async fn each_kind_of_decision() {
    let stack = TestStack::start().await;
    let agent_token = stack.agent_token("A7", HAVRE, &["instructeur"]).await;
    let mut files = Vec::new();
    for yy in [74, 75, 76] {
        let (token, id, _) = stack.submitted_renewal(HAVRE, yy).await;
        let (status, claimed) = stack.claim(&agent_token, &id).await;
        assert_eq!(status, StatusCode::OK);
        files.push((token, id, claimed["version"].as_u64().unwrap_or(0)));
    }
    let decide = |id: &str, body: Value| {
        let path = format!("/api/agent/renewals/{id}/decision");
        let stack = &stack;
        let token = agent_token.clone();
        async move { stack.post(&path, Some(&token), body).await }
    };
    // Free.
    let (status, d) = decide(
        &files[0].1,
        json!({"outcome": "free", "version": files[0].2}),
    )
    .await;
    assert_eq!(
        (
            status,
            d["status"].as_str(),
            d["monthly_participation_cents"].as_i64()
        ),
        (StatusCode::OK, Some("approved"), Some(0))
    );
    // Participation: the amount comes from the age table, whatever the ceilings
    // (`engine_today.rs` pins it).
    let (status, d) = decide(
        &files[1].1,
        json!({"outcome": "participation", "version": files[1].2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert!(d["monthly_participation_cents"]
        .as_i64()
        .is_some_and(|a| a > 0));
    // Rejected: a reason from the list is required.
    let (status, d) = decide(
        &files[2].1,
        json!({"outcome": "rejected", "version": files[2].2}),
    )
    .await;
    assert_eq!(
        (status, d["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let (status, d) = decide(
        &files[2].1,
        json!({"outcome": "rejected", "reason_code": "because", "version": files[2].2}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{d}");
    let (status, d) = decide(
        &files[2].1,
        json!({"outcome": "rejected", "reason_code": "over_ceiling", "version": files[2].2}),
    )
    .await;
    assert_eq!(
        (status, d["status"].as_str(), d["rights_start"].clone()),
        (StatusCode::OK, Some("rejected"), Value::Null)
    );
    // A decided file cannot be decided again, nor withdrawn by the beneficiary.
    let (status, _) = decide(
        &files[2].1,
        json!({"outcome": "free", "version": d["version"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = stack
        .post(
            &format!("/api/renewals/{}/withdraw", files[2].1),
            Some(&files[2].0),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_decided"))
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_dpo_exports_everything_held_on_a_person() {
    let stack = TestStack::start().await;
    let (_, id, nir) = stack.submitted_renewal(ROUEN, 77).await;
    let instructeur = stack.agent_token("A9", ROUEN, &["instructeur"]).await;
    stack
        .get(&format!("/api/agent/renewals/{id}"), &instructeur)
        .await;
    let dpo = stack.agent_token("D1", ROUEN, &["dpo"]).await;
    let (status, export) = stack
        .post("/api/agent/rgpd/access", Some(&dpo), json!({"nir": nir}))
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["beneficiary"]["nir"], json!(nir));
    assert!(export["beneficiary"].get("renewal_code_hash").is_none());
    assert_eq!(export["renewals"][0]["renewal"]["id"], json!(id));
    let actions: Vec<&str> = export["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["read_file", "rgpd_access"]);
    let other_dpo = stack.agent_token("D2", HAVRE, &["dpo"]).await;
    let (status, _) = stack
        .post(
            "/api/agent/rgpd/access",
            Some(&other_dpo),
            json!({"nir": nir}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stack.stop().await;
}

#[tokio::test]
async fn every_route_for_every_role_and_caisse() {
    let stack = TestStack::start().await;
    let (_, id, nir) = stack.submitted_renewal(ROUEN, 78).await;
    let routes: Vec<(&str, String, Option<Value>, &[&str])> = vec![
        (
            "GET",
            "/api/agent/renewals".into(),
            None,
            &["instructeur", "superviseur"],
        ),
        (
            "GET",
            format!("/api/agent/renewals/{id}"),
            None,
            &["instructeur", "superviseur"],
        ),
        (
            "POST",
            format!("/api/agent/renewals/{id}/notes"),
            Some(json!({"text": "RAS"})),
            &["instructeur", "superviseur"],
        ),
        (
            "GET",
            format!("/api/agent/renewals/{id}/documents/none/download"),
            None,
            &["instructeur", "superviseur"],
        ),
        (
            "GET",
            format!("/api/agent/audit?renewal_id={id}"),
            None,
            &["superviseur"],
        ),
        ("GET", "/api/agent/stats".into(), None, &["superviseur"]),
        (
            "POST",
            "/api/agent/rgpd/access".into(),
            Some(json!({"nir": nir})),
            &["dpo"],
        ),
        (
            "POST",
            format!("/api/agent/renewals/{id}/request-documents"),
            Some(json!({"items": ["payslip"], "version": 1})),
            &["instructeur"],
        ),
        (
            "POST",
            format!("/api/agent/renewals/{id}/decision"),
            Some(json!({"outcome": "free", "version": 1})),
            &["instructeur"],
        ),
        (
            "POST",
            format!("/api/agent/renewals/{id}/claim"),
            Some(json!({"version": 999})),
            &["instructeur"],
        ),
    ];
    let roles = ["instructeur", "superviseur", "admin_partenaires", "dpo"];
    let mut checked = 0;
    for (method, path, body, allowed) in &routes {
        let method: reqwest::Method = method.parse().unwrap_or(reqwest::Method::GET);
        let (status, _) = stack.call(method.clone(), path, None, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        let (status, _) = stack
            .call(method.clone(), path, Some("not.a.token"), body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a forged token"
        );
        for role in roles {
            for caisse in [ROUEN, HAVRE] {
                let token = stack.agent_token("M1", caisse, &[role]).await;
                let (status, answer) = stack
                    .call(method.clone(), path, Some(&token), body.clone())
                    .await;
                // The DPO reads a file (and its documents) only while its person's processing
                // is limited (`rgpd_restrict_files`): this one is not, so 403 in their caisse,
                // and another caisse's file does not exist for them, as for every agent.
                let dpo_reads = role == "dpo"
                    && method == reqwest::Method::GET
                    && path.starts_with(&format!("/api/agent/renewals/{id}"));
                let expected_denial = if dpo_reads && caisse != ROUEN {
                    Some(StatusCode::NOT_FOUND)
                } else if !allowed.contains(&role) {
                    Some(StatusCode::FORBIDDEN)
                } else if caisse != ROUEN
                    && !path.ends_with("/api/agent/renewals")
                    && !path.ends_with("/api/agent/stats")
                {
                    Some(StatusCode::NOT_FOUND)
                } else {
                    None
                };
                match expected_denial {
                    Some(denial) => assert_eq!(
                        status, denial,
                        "{method} {path} as {role} of {caisse}: {answer}"
                    ),
                    None => assert!(
                        ![
                            StatusCode::UNAUTHORIZED,
                            StatusCode::FORBIDDEN,
                            StatusCode::NOT_FOUND
                        ]
                        .contains(&status)
                            || path.contains("/documents/none/"),
                        "{method} {path} as {role} of {caisse}: {status} {answer}"
                    ),
                }
                if caisse == HAVRE
                    && path.ends_with("/api/agent/renewals")
                    && allowed.contains(&role)
                {
                    assert_eq!(
                        answer["items"],
                        json!([]),
                        "another caisse's queue is empty of Rouen's files"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, routes.len() * roles.len() * 2);
    stack.stop().await;
}

#[tokio::test]
async fn a_queue_page_fills_itself_past_files_of_other_statuses() {
    let stack = TestStack::start().await;
    let agent_token = stack.agent_token("A9", HAVRE, &["instructeur"]).await;
    let mut ids = Vec::new();
    for yy in [60, 61, 62, 63, 64] {
        let (_, id, _) = stack.submitted_renewal(HAVRE, yy).await;
        ids.push(id);
    }
    // Three of the five are taken in hand: the index still holds them between the others.
    for id in &ids[..3] {
        let (status, _) = stack.claim(&agent_token, id).await;
        assert_eq!(status, StatusCode::OK);
    }
    let store = stack.renewal_store();
    // One file a page: every page but the end holds one, never an empty page with a cursor.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let c2s_platform::page::Page { items, next } = store
            .queue(
                HAVRE,
                Some(c2s_domain::renewal::Status::Submitted),
                cursor.as_deref(),
                1,
            )
            .await
            .unwrap_or_else(|e| panic!("queue: {e:?}"));
        if next.is_some() {
            assert_eq!(items.len(), 1, "a page with a cursor is full");
        }
        seen.extend(items.into_iter().map(|r| r.id));
        cursor = next;
        if cursor.is_none() {
            break;
        }
    }
    seen.sort();
    let mut expected = ids[3..].to_vec();
    expected.sort();
    assert_eq!(seen, expected);
    stack.stop().await;
}

/// The back-office's way in, as the browser goes through it: discovery, the provider's
/// sign-in page, the code for tokens with the PKCE verifier; the access token is one the
/// functions accept, the id token (the client's audience) is not.
#[tokio::test]
async fn an_agent_signs_in_with_the_authorization_code_and_pkce() {
    let stack = TestStack::start().await;
    // RFC 7636, appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let json_of = |url: String| {
        let b = browser.clone();
        async move {
            let r = b.get(url).send().await.unwrap_or_else(|e| panic!("{e}"));
            r.json::<Value>().await.unwrap_or_default()
        }
    };
    let config = json_of(format!("{}/config.json", stack.url)).await;
    let c = &config["agent_oidc"];
    let issuer = c["authority"].as_str().unwrap_or_default().to_owned();
    let discovery = json_of(format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(discovery["issuer"], issuer.as_str());
    let (authorize, token) = (
        discovery["authorization_endpoint"]
            .as_str()
            .unwrap_or_default(),
        discovery["token_endpoint"].as_str().unwrap_or_default(),
    );
    let client_id = c["client_id"].as_str().unwrap_or_default();
    let redirect_uri = c["redirect_uri"].as_str().unwrap_or_default();
    let request = [
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "st"),
        ("nonce", "nn"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let page = browser
        .get(authorize)
        .query(&request)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap_or_default()
        .contains("Numéro d'agent"));

    let code = || async {
        let mut form: Vec<(&str, &str)> = request.to_vec();
        form.extend([
            ("sub", "O1001"),
            ("name", "Agent O1001"),
            ("caisse", ROUEN),
            ("roles", "instructeur"),
            ("action", "sign-in"),
        ]);
        let r = browser
            .post(authorize)
            .form(&form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            to.starts_with(redirect_uri) && to.contains("state=st"),
            "{to}"
        );
        let q = to.split_once("code=").map(|(_, c)| c).unwrap_or_default();
        q.split('&').next().unwrap_or_default().to_owned()
    };
    let exchange = |code: String, verifier: &'static str| {
        let b = browser.clone();
        let token = token.to_owned();
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("client_id", client_id.to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ];
        async move {
            let r = b
                .post(token)
                .form(&form)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            (r.status(), r.json::<Value>().await.unwrap_or_default())
        }
    };

    // Another verifier than the challenge's: refused, and the code is spent.
    let spent = code().await;
    let wrong = "0123456789012345678901234567890123456789abc";
    let (status, answer) = exchange(spent.clone(), wrong).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = exchange(spent, VERIFIER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, tokens) = exchange(code().await, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap_or_default();
    let (status, _) = stack.get("/api/agent/renewals", access).await;
    assert_eq!(status, StatusCode::OK);
    let id_token = tokens["id_token"].as_str().unwrap_or_default();
    let (status, _) = stack.get("/api/agent/renewals", id_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    stack.stop().await;
}

#[tokio::test]
async fn the_dpo_export_holds_no_internal_hash_key_or_index() {
    let stack = TestStack::start().await;
    let (_, id, nir) = stack.submitted_renewal(ROUEN, 81).await;
    let dpo = stack.agent_token("D3", ROUEN, &["dpo"]).await;
    let (status, export) = stack
        .post("/api/agent/rgpd/access", Some(&dpo), json!({"nir": nir}))
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["renewals"][0]["renewal"]["id"], json!(id));
    assert_eq!(export["renewals"][0]["renewal"]["status"], "submitted");
    assert!(export["renewals"][0]["renewal"]["form"]["household"].is_array());
    // What the stores hold for themselves: the keyed hash of the NIR and of the letter's
    // secrets, the keys and the attributes only indexes read.
    let (stored, _) = stack
        .renewal_store()
        .load(&id)
        .await
        .ok()
        .flatten()
        .expect("renewal");
    let text = export.to_string();
    assert!(!text.contains(&stored.nir_hash), "the NIR's keyed hash");
    let index = c2s_platform::renewals::INDEX_ATTRIBUTES.iter().copied();
    let stored_only = [
        "nir_hash",
        "renewal_code_hash",
        "iban_last4_hash",
        "vitale_serial_hash",
        "pk",
        "sk",
        "rights_end_day",
        "expires_at",
        "object_key",
        "version_id",
        "counted",
    ];
    for name in index.chain(stored_only) {
        assert!(!text.contains(&format!("\"{name}\"")), "{name} in {text}");
    }
    stack.stop().await;
}
