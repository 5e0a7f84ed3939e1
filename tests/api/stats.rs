//! The superviseur's dashboard, `GET /api/agent/stats`: after a scripted series of changes
//! in two caisses (create, submit, claim, a claim that loses its race, request for
//! documents, decisions both ways, withdrawal, acceptance by silence, export and the
//! national system's acknowledgement, the retention purge), each caisse's answer is the
//! recount of its own renewals, read from the table here with the rules written again.

use crate::helpers::*;
use c2s_domain::dates::add_months;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The dashboard of `caisse` recounted from every renewal item of the stack's table: what
/// the route must answer, computed without its counters.
async fn recount(stack: &TestStack, caisse: &str) -> Value {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = stack
            .clients
            .dynamo()
            .scan()
            .table_name(stack.table("RenewalsTable"))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the renewals");
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    let renewals: Vec<Value> = items
        .into_iter()
        .filter(|i| i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("renewal"))
        .map(|i| c2s_platform::store::from_item(i).expect("a renewal item"))
        .filter(|r: &Value| r["caisse"] == caisse)
        .collect();
    let statuses = [
        "draft",
        "submitted",
        "in_review",
        "awaiting_documents",
        "approved",
        "rejected",
        "exported",
        "integrated",
        "withdrawn",
    ];
    let mut by_status: BTreeMap<&str, u64> = statuses.iter().map(|s| (*s, 0)).collect();
    let (mut late, mut near, mut ok) = (0, 0, 0);
    let france = time::UtcOffset::from_hms(1, 0, 0).expect("an offset");
    let day = today();
    let week_of = |d: time::Date| {
        let (y, w, _) = d.to_iso_week_date();
        format!("{y:04}-W{w:02}")
    };
    let weeks: Vec<String> = (0..12)
        .rev()
        .map(|k| week_of(day - time::Duration::weeks(k)))
        .collect();
    let mut per_week: BTreeMap<String, u64> = weeks.iter().map(|w| (w.clone(), 0)).collect();
    let mut days = Vec::new();
    let instant = |v: &Value| {
        OffsetDateTime::parse(
            v.as_str().unwrap_or_default(),
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
    };
    for r in &renewals {
        let status = r["status"].as_str().unwrap_or_default();
        *by_status.get_mut(status).expect("a known status") += 1;
        let open = ["draft", "submitted", "in_review", "awaiting_documents"].contains(&status);
        if let (true, Some(deadline)) = (open, r["deadline"].as_str()) {
            let deadline = c2s_domain::dates::parse_date(deadline).expect("a deadline");
            match (deadline - day).whole_days() {
                d if d < 0 => late += 1,
                d if d <= 10 => near += 1,
                _ => ok += 1,
            }
        }
        let decided = ["approved", "rejected", "exported", "integrated"].contains(&status);
        if let (true, Some(at)) = (decided, instant(&r["decision"]["decided_at"])) {
            if let Some(n) = per_week.get_mut(&week_of(at.to_offset(france).date())) {
                *n += 1;
            }
            if let Some(submitted) = instant(&r["receipt"]["submitted_at"]) {
                days.push((at - submitted).whole_days().max(0) as f64);
            }
        }
    }
    days.sort_by(f64::total_cmp);
    let median = match days.len() {
        0 => Value::Null,
        n => json!((days[(n - 1) / 2] + days[n / 2]) / 2.0),
    };
    json!({
        "by_status": by_status,
        "by_deadline_state": {"late": late, "near": near, "ok": ok},
        "decisions_per_week": weeks.iter().map(|w| json!({"week": w, "count": per_week[w]})).collect::<Vec<_>>(),
        "median_days_to_decision": median,
    })
}

async fn status_of(stack: &TestStack, agent: &str, id: &str) -> String {
    let (_, file) = stack.get(&format!("/api/agent/renewals/{id}"), agent).await;
    file["status"].as_str().unwrap_or_default().to_owned()
}

/// Waits (60 s at most) until the file has `status`.
async fn wait_for_status(stack: &TestStack, agent: &str, id: &str, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_of(stack, agent, id).await != status {
        assert!(Instant::now() < deadline, "{id} never became {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each caisse's dashboard, as the route answers it, against its recount.
async fn assert_counted(stack: &TestStack, superviseurs: &[(&str, &str)]) -> Vec<Value> {
    let mut answers = Vec::new();
    for (caisse, token) in superviseurs {
        let (status, stats) = stack.get("/api/agent/stats", token).await;
        assert_eq!(status, StatusCode::OK, "{stats}");
        assert_eq!(stats, recount(stack, caisse).await, "{caisse}");
        answers.push(stats);
    }
    answers
}

#[tokio::test]
async fn the_dashboard_is_the_recount_of_each_caisse_s_renewals() {
    let stack = TestStack::start().await;
    let rouen = stack.agent_token("S71", ROUEN, &["superviseur"]).await;
    let havre = stack.agent_token("S72", HAVRE, &["superviseur"]).await;
    let agent = stack.agent_token("A71", ROUEN, &["instructeur"]).await;
    let rival = stack.agent_token("A72", ROUEN, &["instructeur"]).await;
    let agent_havre = stack.agent_token("A73", HAVRE, &["instructeur"]).await;
    let both = [(ROUEN, rouen.as_str()), (HAVRE, havre.as_str())];

    // Nothing yet: every status at 0, 12 empty weeks, no median.
    let empty = assert_counted(&stack, &both).await;
    assert_eq!(empty[0]["by_status"]["submitted"], 0);
    assert_eq!(
        empty[0]["decisions_per_week"].as_array().map(Vec::len),
        Some(12)
    );
    assert_eq!(empty[0]["median_days_to_decision"], Value::Null);

    // Instructeurs do not see it; without a token, 401.
    let (status, body) = stack.get("/api/agent/stats", &agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = stack
        .call(reqwest::Method::GET, "/api/agent/stats", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Rouen: approved then exported, rejected then exported and sent back, documents asked
    // for, withdrawn, accepted by silence then decided, left late, raced for, a draft.
    let (_, approved, _) = stack.submitted_renewal(ROUEN, 71).await;
    let (_, rejected, _) = stack.submitted_renewal(ROUEN, 72).await;
    let (_, awaiting, _) = stack.submitted_renewal(ROUEN, 73).await;
    let (withdrawn_token, withdrawn, _) = stack.submitted_renewal(ROUEN, 74).await;
    let (_, silent, _) = stack.submitted_renewal(ROUEN, 75).await;
    let (_, late, _) = stack.submitted_renewal(ROUEN, 76).await;
    let (_, raced, _) = stack.submitted_renewal(ROUEN, 77).await;
    // Le Havre: one approved, one near its deadline, one draft the purge will delete.
    let (_, havre_approved, _) = stack.submitted_renewal(HAVRE, 78).await;
    let (_, havre_near, _) = stack.submitted_renewal(HAVRE, 79).await;
    let nir = fresh_nir(80, 3);
    stack
        .import(
            "stats-draft.jsonl",
            &[
                beneficiary(&nir, "1980-03-10", "AGENTS01", HAVRE, &months_from_today(2))
                    .to_string(),
            ],
        )
        .await;
    let token = stack.sign_in(&nir, "1980-03-10", "AGENTS01").await;
    let (status, draft) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft = draft["id"].as_str().unwrap_or_default().to_owned();
    assert_counted(&stack, &both).await;

    stack
        .decide(&agent, &approved, json!({"outcome": "free"}))
        .await;
    stack
        .decide(
            &agent,
            &rejected,
            json!({"outcome": "rejected", "reason_code": "over_ceiling"}),
        )
        .await;
    let (_, claimed) = stack.claim(&agent, &awaiting).await;
    let (status, body) = stack
        .post(
            &format!("/api/agent/renewals/{awaiting}/request-documents"),
            Some(&agent),
            json!({"items": ["tax_notice"], "message": "Merci de joindre votre avis d'imposition.", "version": claimed["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = stack
        .post(
            &format!("/api/renewals/{withdrawn}/withdraw"),
            Some(&withdrawn_token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Two instructeurs claim the same file at the same version: one wins, the other's
    // save is refused and moves no counter.
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{raced}"), &agent)
        .await;
    let path = format!("/api/agent/renewals/{raced}/claim");
    let body = json!({"version": file["version"]});
    let (first, second) = tokio::join!(
        stack.post(&path, Some(&agent), body.clone()),
        stack.post(&path, Some(&rival), body.clone()),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{first:?} {second:?}"
    );
    assert_counted(&stack, &both).await;

    // Deadlines: past for two (accepted by silence), near for one; the job's saves move the
    // files to their new days.
    stack.move_deadline(&silent, -2).await;
    stack.move_deadline(&late, -5).await;
    stack.move_deadline(&havre_near, 4).await;
    let report = stack.run_job("deadlines").await;
    assert_eq!(report["dispatched"], 3, "{report}");
    stack.wait_for_deadline_flags(&silent, true, true).await;
    stack.wait_for_deadline_flags(&late, true, true).await;
    stack
        .wait_for_deadline_flags(&havre_near, true, false)
        .await;
    let after_deadlines = assert_counted(&stack, &both).await;
    assert_eq!(after_deadlines[0]["by_deadline_state"]["late"], 2);
    assert_eq!(after_deadlines[1]["by_deadline_state"]["near"], 1);
    stack
        .decide(
            &agent,
            &silent,
            json!({"outcome": "free", "reason_code": "eligible_by_silence"}),
        )
        .await;
    stack
        .decide(&agent_havre, &havre_approved, json!({"outcome": "free"}))
        .await;

    // Export, then the national system integrates one and sends another back.
    let run = stack.run_job("sync-out").await;
    assert_eq!(run["exported"], 4, "{run}");
    let name = run["files"][0].as_str().unwrap_or_default().to_owned();
    let ack = json!({"file": name, "integrated": [approved], "rejected": [{"renewal_id": rejected, "reason": "Rejet du référentiel : adresse incomplète"}]});
    stack.put_ack(&name, &ack).await;
    wait_for_status(&stack, &agent, &rejected, "in_review").await;
    wait_for_status(&stack, &agent, &approved, "integrated").await;

    // The retention purge deletes the abandoned draft: off the counters with it.
    stack
        .age_renewal_to(
            &draft,
            add_months(today(), -6) - time::Duration::days(2),
            false,
        )
        .await;
    stack.run_job("purge").await;
    let store = stack.renewal_store();
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.load(&draft).await.ok().flatten().is_some() {
        assert!(Instant::now() < deadline, "the draft was never purged");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let [rouen_stats, havre_stats] =
        <[Value; 2]>::try_from(assert_counted(&stack, &both).await).expect("two caisses");
    // What the script made, to be sure the recount is not empty on both sides.
    let rouen_status = &rouen_stats["by_status"];
    assert_eq!(
        [
            &rouen_status["integrated"],
            &rouen_status["exported"],
            &rouen_status["in_review"],
            &rouen_status["awaiting_documents"],
            &rouen_status["withdrawn"],
            &rouen_status["submitted"],
        ],
        [
            &json!(1),
            &json!(1),
            &json!(2),
            &json!(1),
            &json!(1),
            &json!(1)
        ],
        "{rouen_stats}"
    );
    assert_eq!(rouen_stats["by_deadline_state"]["late"], 1, "{rouen_stats}");
    let this_week = |s: &Value| s["decisions_per_week"][11]["count"].clone();
    assert_eq!(
        this_week(&rouen_stats),
        2,
        "the one sent back no longer counts"
    );
    assert_eq!(rouen_stats["median_days_to_decision"], 0.0);
    assert_eq!(havre_stats["by_status"]["exported"], 1, "{havre_stats}");
    assert_eq!(havre_stats["by_status"]["draft"], 0, "purged");
    assert_eq!(this_week(&havre_stats), 1);
    stack.stop().await;
}

/// The counters move in the renewal's own write: a function that may not move them cannot
/// change a status either (the transaction fails whole), while a save that moves none (the
/// form) still passes.
#[tokio::test]
async fn a_status_change_that_cannot_move_its_counters_is_not_saved() {
    let template = template_without(
        "RenewalFunction",
        "            - Effect: Allow\n              Action: [dynamodb:UpdateItem]\n              Resource: !GetAtt StatsTable.Arn\n",
    );
    let stack = TestStack::start_with_template(template).await;
    let nir = fresh_nir(81, 3);
    stack
        .import(
            "stats-denied.jsonl",
            &[
                beneficiary(&nir, "1981-03-10", "AGENTS01", ROUEN, &months_from_today(2))
                    .to_string(),
            ],
        )
        .await;
    let token = stack.sign_in(&nir, "1981-03-10", "AGENTS01").await;
    let (status, r) = stack.post("/api/renewals", Some(&token), json!({})).await;
    assert!(!status.is_success(), "created without its counters: {r}");
    let refused = stack.refused().await;
    assert!(
        refused
            .iter()
            .any(|r| r["function"] == "RenewalFunction" && r["action"] == "dynamodb:UpdateItem"),
        "{refused:#?}"
    );
    // Nothing written: no renewal in the table, none counted.
    let superviseur = stack.agent_token("S81", ROUEN, &["superviseur"]).await;
    let stats = assert_counted(&stack, &[(ROUEN, superviseur.as_str())]).await;
    assert_eq!(stats[0]["by_status"]["draft"], 0, "{}", stats[0]);
    stack.stop_allowing_refusals().await;
}
