//! The engine for files filed today: provisional ceilings after the last published table,
//! the participation from the age table whatever the ceilings, and the resources the decree
//! of 28 June 2025 no longer counts.

use crate::helpers::*;
use serde_json::{json, Value};

/// The participation of one person by the age table, in cents (age on 1 January).
fn by_age(age: i32) -> i64 {
    match age {
        ..30 => 800,
        30..50 => 1400,
        50..60 => 2100,
        60..70 => 2500,
        _ => 3000,
    }
}

fn age_on_january_first(birth: time::Date) -> i32 {
    let january = today()
        .replace_month(time::Month::January)
        .and_then(|d| d.replace_day(1))
        .unwrap_or(today());
    c2s_domain::dates::age_on(birth, january)
}

/// Claims the file (a claim resent by the same agent answers as the first) and posts the
/// decision with the file's version.
async fn decide(stack: &TestStack, agent: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let (_, claimed) = stack.claim(agent, id).await;
    let mut body = body;
    body["version"] = claimed["version"].clone();
    stack
        .post(
            &format!("/api/agent/renewals/{id}/decision"),
            Some(agent),
            body,
        )
        .await
}

#[tokio::test]
async fn a_file_filed_today_gets_a_proposal_and_a_participation_decision_needs_no_amount() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("E1", HAVRE, &["instructeur"]).await;
    // Claire, born 1962-03-10, and Hugo, born 2015-06-01 (`submitted_renewal`'s household).
    let (_, id, _) = stack.submitted_renewal(HAVRE, 62).await;
    let (status, claimed) = stack.claim(&agent, &id).await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    let proposal = &claimed["proposal"];
    // No table is published after 31 March 2026: the last one, revalued, and said so.
    assert_eq!(proposal["outcome"], "free", "{proposal}");
    assert_eq!(proposal["provisional"], true, "{proposal}");
    assert!(proposal["revaluation"]["coefficient"]
        .as_f64()
        .is_some_and(|c| c > 1.0));
    assert!(proposal["revaluation"]["source"]
        .as_str()
        .is_some_and(|s| s.contains("L861-1")));
    // Housed free, two persons: the forfait logement of the RSA in force is known.
    assert!(proposal["forfait_logement_annual_cents"]
        .as_i64()
        .is_some_and(|f| f > 0));
    let expected = by_age(age_on_january_first(time::macros::date!(1962 - 03 - 10)))
        + by_age(age_on_january_first(time::macros::date!(2015 - 06 - 01)));
    assert_eq!(
        claimed["participation_by_age"]["monthly_cents"].as_i64(),
        Some(expected),
        "{}",
        claimed["participation_by_age"]
    );

    // The agent decides a participation although the engine proposes none: the age table
    // gives the amount, and a typed one is refused.
    let (status, body) = decide(
        &stack,
        &agent,
        &id,
        json!({"outcome": "participation", "monthly_participation_cents": 900}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("participation_not_allowed")
        ),
        "{body}"
    );
    let (status, body) = decide(&stack, &agent, &id, json!({"outcome": "participation"})).await;
    assert_eq!(
        (status, body["monthly_participation_cents"].as_i64()),
        (StatusCode::OK, Some(expected)),
        "{body}"
    );
    assert_eq!(body["decision"]["monthly_participation_cents"], expected);
    stack.stop().await;
}

fn family(month: &str) -> Value {
    json!({
        "request_month": month,
        "territory": "metropole",
        "household": [{"birth_date": "1984-05-12", "relation": "applicant"}, {"birth_date": "1986-02-01", "relation": "spouse"}, {"birth_date": "2014-03-04", "relation": "child"}],
        "resources_annual_cents": 1_000_000,
        "housing": {"status": "tenant", "housing_aid_cents": 0}
    })
}

#[tokio::test]
async fn the_estimate_after_the_last_table_is_provisional_and_says_how() {
    let stack = TestStack::start().await;
    let (status, e) = stack
        .post("/api/eligibility/estimate", None, family("2026-03"))
        .await;
    assert_eq!(
        (status, &e["provisional"], e["ceiling_free_cents"].as_i64()),
        (StatusCode::OK, &json!(false), Some(1_860_900)),
        "the published 2025 table: {e}"
    );
    assert!(e.get("revaluation").is_none_or(Value::is_null));
    // When the 2026 table is published and added to c2s.toml, it wins and this changes.
    let (status, e) = stack
        .post("/api/eligibility/estimate", None, family("2026-06"))
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["provisional"], true);
    assert_eq!(e["revaluation"]["coefficient"], 1.008);
    assert!(e["revaluation"]["source"]
        .as_str()
        .is_some_and(|s| s.contains("1er avril 2026")));
    // 18 609 and 25 123 EUR for three, times 1.008 to the euro.
    assert_eq!(
        (
            e["ceiling_free_cents"].as_i64(),
            e["ceiling_participation_cents"].as_i64()
        ),
        (Some(1_875_800), Some(2_532_400))
    );
    // Past the last coefficient: neither a table nor a revaluation.
    let (status, e) = stack
        .post("/api/eligibility/estimate", None, family("2027-05"))
        .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("parameters_unknown"))
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_form_takes_the_kinds_the_decree_no_longer_counts_and_the_estimate_leaves_them_out() {
    let stack = TestStack::start().await;
    let nir = fresh_nir(71, 7);
    stack
        .import(
            "decree.jsonl",
            &[
                beneficiary(&nir, "1971-07-07", "DEC71717", HAVRE, &months_from_today(2))
                    .to_string(),
            ],
        )
        .await;
    let token = stack.sign_in(&nir, "1971-07-07", "DEC71717").await;
    let (_, r) = stack.post("/api/renewals", Some(&token), json!({})).await;
    let id = r["id"].as_str().unwrap_or_default().to_owned();
    let resources = json!([
        {"member": "applicant", "kind": "salary", "monthly_cents": 50_000},
        {"member": "applicant", "kind": "legal_person_aid", "annual_cents": 100_000},
        {"member": "applicant", "kind": "family_help", "monthly_cents": 10_000},
        {"member": "applicant", "kind": "unproductive_assets", "annual_cents": 30_000},
        {"member": "applicant", "kind": "benefits_in_kind", "annual_cents": 20_000},
    ]);
    let form = json!({"version": 1, "household": r["household"], "resources": resources, "housing": {"status": "tenant"}, "manager": "caisse"});
    let (status, filled) = stack
        .put(&format!("/api/renewals/{id}"), &token, form)
        .await;
    assert_eq!(status, StatusCode::OK, "{filled}");
    assert_eq!(filled["resources"].as_array().map(Vec::len), Some(5));
    let level_two = stack.step_up(&token).await;
    let (_, full) = stack.get(&format!("/api/renewals/{id}"), &level_two).await;
    let estimate = &full["estimate"];
    // Filed after 30 June 2025: only the salary counts (6 000 EUR, a tenant without aid).
    assert_eq!(
        (
            estimate["resources_considered_cents"].as_i64(),
            estimate["resources_not_counted_cents"].as_i64()
        ),
        (Some(600_000), Some(100_000 + 120_000 + 30_000 + 20_000)),
        "{estimate}"
    );
    assert_eq!(estimate["provisional"], true);
    stack.stop().await;
}

#[tokio::test]
async fn the_stated_participation_only_where_no_age_table_gives_one_and_bounded() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A8", HAVRE, &["instructeur"]).await;
    // A request of June 2025 (published parameters) with resources between the ceilings:
    // the engine computes the amount, and the agent may not state one.
    let (_, computed, _) = stack.submitted_renewal(HAVRE, 79).await;
    let store = stack.renewal_store();
    let (mut r, _) = store.load(&computed).await.ok().flatten().expect("renewal");
    r.request_day = time::macros::date!(2025 - 06 - 01);
    let applicant = r
        .form
        .household
        .as_ref()
        .and_then(|h| h.first())
        .map(|m| m.id.clone());
    r.form.resources = Some(vec![c2s_domain::household::Resource {
        member: applicant.unwrap_or_default(),
        kind: c2s_domain::household::ResourceKind::Pension,
        monthly_cents: None,
        annual_cents: Some(1_700_000),
    }]);
    store.save(&mut r).await.expect("saved");
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{computed}"), &agent)
        .await;
    assert_eq!(file["proposal"]["outcome"], "participation", "{file}");
    assert_eq!(file["proposal"]["provisional"], false, "{file}");
    let engine = file["proposal"]["monthly_participation_cents"]
        .as_i64()
        .unwrap_or(0);
    assert!(engine > 0);
    assert_eq!(file["participation_by_age"]["monthly_cents"], engine);
    let (status, body) = decide(
        &stack,
        &agent,
        &computed,
        json!({"outcome": "participation", "monthly_participation_cents": engine + 100}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("participation_not_allowed")
        ),
        "{body}"
    );
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("barème")));
    let (status, body) = decide(
        &stack,
        &agent,
        &computed,
        json!({"outcome": "participation"}),
    )
    .await;
    assert_eq!(
        (status, body["monthly_participation_cents"].as_i64()),
        (StatusCode::OK, Some(engine)),
        "{body}"
    );

    // A request dated before the C2S existed (1 November 2019), which no age table covers:
    // the agent states the amount, above 0 and at most 30 € a month for each member.
    let (_, stated, _) = stack.submitted_renewal(HAVRE, 80).await;
    let (mut r, _) = store.load(&stated).await.ok().flatten().expect("renewal");
    r.request_day = time::macros::date!(2019 - 10 - 01);
    store.save(&mut r).await.expect("saved");
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{stated}"), &agent)
        .await;
    assert_eq!(file["proposal"]["outcome"], "parameters_unknown", "{file}");
    assert!(file["participation_by_age"].is_null(), "{file}");
    let (status, body) = decide(&stack, &agent, &stated, json!({"outcome": "participation"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("participation_required")
        ),
        "{body}"
    );
    for cents in [-500, 1_000_000] {
        let (status, body) = decide(
            &stack,
            &agent,
            &stated,
            json!({"outcome": "participation", "monthly_participation_cents": cents}),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("participation_out_of_range")
            ),
            "{cents}: {body}"
        );
    }
    let (status, body) = decide(
        &stack,
        &agent,
        &stated,
        json!({"outcome": "participation", "monthly_participation_cents": 2900}),
    )
    .await;
    assert_eq!(
        (status, body["monthly_participation_cents"].as_i64()),
        (StatusCode::OK, Some(2900)),
        "{body}"
    );
    stack.stop().await;
}
