//! Nothing but an agent's role-appropriate data leaves for beneficiaries and partners: the
//! decision without the agent's number, accounts created "by the CPAM", not by agent n°….

use crate::helpers::*;
use serde_json::json;

/// An agent number that cannot turn up by chance in an answer.
const AGENT: &str = "AG-731904";
const ADMIN: &str = "ADM-58213";

#[tokio::test]
async fn a_decision_reaches_the_person_and_the_guardian_without_the_agents_number() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token(ADMIN, ROUEN).await;
    let (pid, guardian) = stack
        .onboard_partner(&admin, "UDAF Seine", "alix@udaf-seine.fr")
        .await;
    let nir = fresh_nir(47, 8);
    let mut line = beneficiary(&nir, "1947-08-02", "TUTELLE7", ROUEN, &months_from_today(2));
    line["guardian_partner_id"] = json!(pid);
    stack.import("guarded.jsonl", &[line.to_string()]).await;
    let (status, draft) = stack
        .post(
            "/api/partner/renewals",
            Some(&guardian),
            json!({"nir": nir, "birth_date": "1947-08-02", "renewal_code": "TUTELLE7", "consent": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/renewals/{id}");
    let form = json!({"version": 1, "household": draft["household"], "resources": [], "housing": {"status": "housed_free"}, "manager": "caisse"});
    let (status, _) = stack.put(&path, &guardian, form).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = stack
        .post(&format!("{path}/submit"), Some(&guardian), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let agent = stack.agent_token(AGENT, ROUEN, &["instructeur"]).await;
    stack
        .decide(
            &agent,
            &id,
            json!({"outcome": "free", "reason_code": "eligible"}),
        )
        .await;

    // The agents still see who decided.
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{id}"), &agent)
        .await;
    assert_eq!(file["decision"]["agent_id"], AGENT);

    // The guardian and the person (level 2): the outcome, the dates, the amount, no agent.
    let me = stack.sign_in(&nir, "1947-08-02", "TUTELLE7").await;
    let me = stack.step_up(&me).await;
    for (who, token) in [("guardian", &guardian), ("beneficiary", &me)] {
        let (status, seen) = stack.get(&path, token).await;
        assert_eq!(status, StatusCode::OK, "{who}: {seen}");
        let decision = &seen["decision"];
        assert_eq!(decision["outcome"], "free", "{who}: {seen}");
        assert!(decision["rights_start"].is_string() && decision["rights_end"].is_string());
        assert_eq!(
            decision["monthly_participation_cents"],
            json!(0),
            "{who}: amounts shown"
        );
        assert!(decision.get("agent_id").is_none(), "{who}: {decision}");
        assert!(
            !seen.to_string().contains("731904"),
            "{who} sees the agent's number: {seen}"
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn gestionnaires_see_their_accounts_created_by_the_cpam_not_by_an_agent_number() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token(ADMIN, ROUEN).await;
    let (pid, manager) = stack
        .onboard_partner(&admin, "CCAS Yvetot", "alix@ccas-yvetot.fr")
        .await;
    let (status, tech) = stack
        .post(
            "/api/partner/technicians",
            Some(&manager),
            json!({"email": "sam@ccas-yvetot.fr", "last_name": "Petit", "first_name": "Sam", "function": "Accueil"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{tech}");

    let (status, list) = stack.get("/api/partner/accounts", &manager).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.to_string().contains("58213"), "{list}");
    let by: Vec<(&str, &str)> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| Some((a["role"].as_str()?, a["created_by"].as_str()?)))
        .collect();
    assert!(by.contains(&("gestionnaire", "CPAM")), "{list}");
    // A technician is created by a colleague of the organisation, named by their account.
    assert!(
        by.iter()
            .any(|(role, who)| *role == "technicien" && *who != "CPAM" && !who.is_empty()),
        "{list}"
    );
    // The conditions of use answered again: the gestionnaire's own account, same rule.
    let (status, own) = stack
        .post(
            "/api/partner/cgu",
            Some(&manager),
            json!({"version": "2026-11"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["created_by"], "CPAM");

    // The caisse's administrators still see which agent created the account.
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{pid}"), &admin)
        .await;
    let created: Vec<&str> = org["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["created_by"].as_str())
        .collect();
    assert!(
        created.contains(&format!("agent:{ADMIN}").as_str()),
        "{org}"
    );
    stack.stop().await;
}
