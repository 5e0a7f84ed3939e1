//! A limitation (RGPD art. 18) holds on every agents' route, not only the queues: a limited
//! file is opened by no one but the DPO (read only), acted on by no one (each action 423
//! `restricted`, alone or in bulk), left out of the search (which says how many it left out,
//! nothing else) and of the export; lifted, all goes on.

use crate::helpers::*;
use crate::helpers_rgpd::*;
use crate::helpers_supervision::{bulk, download, search_ids, xlsx_text};
use serde_json::json;

#[tokio::test]
async fn a_limited_file_is_opened_by_the_dpo_alone_and_processed_by_no_one() {
    let stack = TestStack::start().await;
    let (_, claimed, claimed_nir) = stack.submitted_renewal(ROUEN, 71).await;
    let (_, waiting, waiting_nir) = stack.submitted_renewal(ROUEN, 72).await;
    let (_, other, _) = stack.submitted_renewal(ROUEN, 73).await;
    let instructeur = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let colleague = stack.agent_token("A2", ROUEN, &["instructeur"]).await;
    let superviseur = stack.agent_token("S1", ROUEN, &["superviseur"]).await;
    let dpo = dpo(&stack, ROUEN).await;
    let (status, taken) = stack.claim(&instructeur, &claimed).await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    // The version an agent last read: the limitation's own write comes after it, but no
    // action gets as far as comparing versions.
    let version = taken["version"].clone();
    let receipt = |id: String| {
        let (stack, token) = (&stack, &instructeur);
        async move {
            let (_, f) = stack.get(&format!("/api/agent/renewals/{id}"), token).await;
            f["receipt"]["number"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let (r_claimed, r_waiting, r_other) = (
        receipt(claimed.clone()).await,
        receipt(waiting.clone()).await,
        receipt(other.clone()).await,
    );
    for nir in [&claimed_nir, &waiting_nir] {
        dpo_call(
            &stack,
            &dpo,
            "/api/agent/rgpd/restrict",
            json!({"nir": nir, "reason": "Exactitude contestée"}),
        )
        .await;
    }

    // Opened by id: refused to every agent but the DPO, who reads it (and only a limited one).
    for token in [&instructeur, &superviseur] {
        assert_restricted(
            &stack,
            "GET",
            &format!("/api/agent/renewals/{claimed}"),
            token,
            None,
        )
        .await;
    }
    let (status, file) = stack
        .get(&format!("/api/agent/renewals/{claimed}"), &dpo)
        .await;
    assert_eq!(
        (status, file["id"].as_str()),
        (StatusCode::OK, Some(claimed.as_str())),
        "{file}"
    );
    let (status, _) = stack
        .get(&format!("/api/agent/renewals/{other}"), &dpo)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the DPO reads limited files only"
    );

    // Every action on it, by whoever may otherwise take it.
    let actions = [
        (
            "POST",
            format!("/api/agent/renewals/{claimed}/decision"),
            &instructeur,
            json!({"outcome": "free", "version": version}),
        ),
        (
            "POST",
            format!("/api/agent/renewals/{claimed}/request-documents"),
            &instructeur,
            json!({"items": ["payslip"], "version": version}),
        ),
        (
            "POST",
            format!("/api/agent/renewals/{claimed}/notes"),
            &instructeur,
            json!({"text": "RAS"}),
        ),
        (
            "POST",
            format!("/api/agent/renewals/{claimed}/messages"),
            &instructeur,
            json!({"text": "Bonjour"}),
        ),
        (
            "GET",
            format!("/api/agent/renewals/{claimed}/messages"),
            &instructeur,
            json!(null),
        ),
        (
            "GET",
            format!("/api/agent/renewals/{claimed}/documents/none/download"),
            &instructeur,
            json!(null),
        ),
        (
            "POST",
            format!("/api/agent/renewals/{claimed}/reassign"),
            &superviseur,
            json!({"agent_id": "A2", "version": version}),
        ),
        (
            "POST",
            format!("/api/agent/renewals/{waiting}/claim"),
            &colleague,
            json!({"version": 2}),
        ),
    ];
    for (method, path, token, body) in &actions {
        assert_restricted(&stack, method, path, token, Some(body.clone())).await;
    }
    // In bulk, each limited file answers as alone; the others go through.
    assert_eq!(
        bulk(
            &stack,
            &colleague,
            json!({"action": "claim", "ids": [waiting, other]})
        )
        .await,
        [(waiting.clone(), 423), (other.clone(), 200)]
    );
    assert_eq!(
        bulk(
            &stack,
            &superviseur,
            json!({"action": "reassign", "ids": [claimed], "agent_id": "A2"})
        )
        .await,
        [(claimed.clone(), 423)]
    );
    // Nothing of it moved.
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{claimed}"), &dpo)
        .await;
    assert_eq!(
        (
            file["status"].as_str(),
            file["assigned_to"]["agent_id"].as_str()
        ),
        (Some("in_review"), Some("A1")),
        "{file}"
    );

    // The search leaves them out, whichever way, and says only how many it left out.
    for criteria in [json!({"nir": claimed_nir}), json!({"receipt": r_waiting})] {
        let (status, found) = stack
            .post("/api/agent/search", Some(&instructeur), criteria.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(
            (ids(&found), found["restricted"].as_u64()),
            (Vec::<String>::new(), Some(1)),
            "{criteria}: {found}"
        );
    }
    // A search that finds nothing limited says so too.
    let (_, found) = stack
        .post(
            "/api/agent/search",
            Some(&superviseur),
            json!({"last_name": "Martin", "birth_date": "1973-03-10"}),
        )
        .await;
    assert_eq!(
        (ids(&found), found["restricted"].as_u64()),
        (vec![other.clone()], Some(0)),
        "{found}"
    );

    // The export leaves them out too, in either format.
    let (status, _, _, bytes) = download(
        &stack,
        "/api/agent/renewals/export?format=csv",
        &superviseur,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(bytes).unwrap_or_default();
    assert!(csv.contains(&r_other), "{csv}");
    assert!(
        !csv.contains(&r_claimed) && !csv.contains(&r_waiting),
        "{csv}"
    );
    let (_, _, _, bytes) = download(
        &stack,
        "/api/agent/renewals/export?status=in_review&format=xlsx",
        &superviseur,
    )
    .await;
    let sheet = xlsx_text(&bytes);
    assert!(
        sheet.contains(&r_other) && !sheet.contains(&r_claimed),
        "{sheet}"
    );

    // Lifted: the file is everyone's again.
    dpo_call(
        &stack,
        &dpo,
        "/api/agent/rgpd/restrict/lift",
        json!({"nir": claimed_nir}),
    )
    .await;
    let (status, _) = stack
        .get(&format!("/api/agent/renewals/{claimed}"), &instructeur)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        search_ids(&stack, &instructeur, json!({"nir": claimed_nir})).await,
        std::slice::from_ref(&claimed)
    );
    let (status, _) = stack
        .get(&format!("/api/agent/renewals/{claimed}"), &dpo)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    stack.stop().await;
}
