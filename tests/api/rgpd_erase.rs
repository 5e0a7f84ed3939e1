//! Erasure (RGPD art. 17): what no rule requires keeping goes (a draft never submitted, its
//! documents and their objects), and the answer says what is kept, until when and why.

use crate::helpers::*;
use crate::helpers_rgpd::*;
use serde_json::{json, Value};

#[tokio::test]
async fn erasure_removes_a_draft_and_says_what_the_rules_keep() {
    let stack = TestStack::start().await;
    let (token, draft, nir, _) = with_draft(&stack, ROUEN, 58).await;
    let doc = stack
        .upload(&token, &draft, "payslip", "application/pdf", pdf())
        .await;
    stack.checked_document(&token, &draft, &doc).await;
    let prefix = format!("renewals/{draft}/");
    assert!(stack.object_versions("DocumentsBucket", &prefix).await > 0);
    let dpo = dpo(&stack, ROUEN).await;
    let (status, body) = stack
        .post("/api/agent/rgpd/erase", Some(&dpo), json!({"nir": nir}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let answer = dpo_call(
        &stack,
        &dpo,
        "/api/agent/rgpd/erase",
        json!({"nir": nir, "reason": "Courrier du 1er décembre"}),
    )
    .await;
    assert_eq!(
        answer["erased"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    assert!(
        answer["erased"][0]
            .as_str()
            .is_some_and(|e| e.contains("1 justificatif")),
        "{answer}"
    );
    // Gone everywhere: the records, every version of the objects, the open slot.
    assert!(stack.renewal_store().load(&draft).await.unwrap().is_none());
    assert_eq!(stack.object_versions("DocumentsBucket", &prefix).await, 0);
    let (status, again) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the slot is free again: {again}"
    );
    // Kept: identification 5 years after the rights end, the traces, the register.
    let kept = answer["kept"].as_array().cloned().unwrap_or_default();
    let end = c2s_domain::dates::parse_date(&months_from_today(2)).unwrap();
    assert_eq!(
        kept[0]["until"],
        json!(c2s_domain::dates::format_date(
            c2s_domain::dates::add_months(end, 60)
        ))
    );
    for k in &kept {
        assert!(k["what"].as_str().is_some_and(|w| !w.is_empty()), "{k}");
        assert!(
            k["why"].as_str().is_some_and(|w| w.contains("RGPD art.")),
            "{k}"
        );
    }
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert_eq!(answer["request"]["kind"], "erasure");

    // A submitted file is the caisse's to instruct: kept, with its reason, erased nothing.
    let (_, file, file_nir) = stack.submitted_renewal(ROUEN, 59).await;
    let answer = dpo_call(
        &stack,
        &dpo,
        "/api/agent/rgpd/erase",
        json!({"nir": file_nir, "reason": "Demande orale"}),
    )
    .await;
    assert_eq!(answer["erased"], json!([]));
    let files: Vec<&Value> = answer["kept"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["what"].as_str().is_some_and(|w| w.starts_with("Dossier")))
        .collect();
    assert_eq!(files.len(), 1, "{answer}");
    assert_eq!(files[0]["until"], Value::Null);
    assert!(stack.renewal_store().load(&file).await.unwrap().is_some());
    let actions = actions_about(&stack, &dpo, &file_nir).await;
    assert_eq!(actions, ["rgpd_erase", "rgpd_access"]);
    stack.stop().await;
}
