//! The beneficiary is told, through the outbox and `notify`, when a partner files or takes up
//! their renewal, when documents are requested and when a decision is taken: a link and a
//! first name, nothing else (no surname, no amount, no organisation's words beyond its name).

use crate::helpers::*;
use crate::helpers_convo::*;
use serde_json::json;

const TO: &str = "claire.martin@exemple.fr";
const SMS: &str = "+33612345678";

/// The latest message of `kind` to `to`, its body checked for what it may and may not say.
async fn told(stack: &TestStack, to: &str, kind: &str) -> String {
    let sent = stack.wait_for_message(to, kind).await;
    let body = sent["body"].as_str().unwrap_or_default().to_owned();
    assert!(body.contains("http"), "a link: {body}");
    assert!(
        !body.contains("Martin") && !body.contains("€") && !body.contains("cents"),
        "{body}"
    );
    body
}

#[tokio::test]
async fn the_beneficiary_is_told_of_each_step_that_concerns_them() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;

    // Documents requested.
    let (_, id, _) = stack.submitted_renewal(ROUEN, 73).await;
    let (status, claimed) = stack.claim(&agent, &id).await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert!(!kinds_sent_to(&stack, TO)
        .await
        .contains(&"documents_requested".to_owned()));
    let (status, body) = stack
        .post(&format!("/api/agent/renewals/{id}/request-documents"), Some(&agent), json!({"items": ["tax_notice"], "message": "Merci de joindre votre avis.", "version": claimed["version"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let email = told(&stack, TO, "documents_requested").await;
    assert!(
        email.starts_with("Bonjour Claire,") && email.contains("/suivi"),
        "{email}"
    );
    assert!(
        !email.contains("Merci de joindre"),
        "the agent's words stay in the service: {email}"
    );
    told(&stack, SMS, "documents_requested").await;

    // A decision: told that one was taken, never what it says.
    let (_, id2, _) = stack.submitted_renewal(ROUEN, 74).await;
    stack
        .decide(
            &agent,
            &id2,
            json!({"outcome": "free", "reason_code": "eligible"}),
        )
        .await;
    let email = told(&stack, TO, "decision").await;
    assert!(
        !email.contains("gratuite") && !email.contains("refus"),
        "{email}"
    );
    told(&stack, SMS, "decision").await;

    // A partner files for someone, then another takes it up: told each time, with the
    // organisation's name.
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS Elbeuf", "alix@ccas-elbeuf.fr")
        .await;
    let (_, other) = stack
        .onboard_partner(&admin, "UDAF Rouen", "alix@udaf-rouen.fr")
        .await;
    let x = fresh_nir(64, 4);
    let mut line = beneficiary(&x, "1964-04-05", "LETTRE64", ROUEN, &months_from_today(3));
    line["email"] = json!("paul@exemple.fr");
    line["phone"] = json!(null);
    stack.import("notices.jsonl", &[line.to_string()]).await;
    let file =
        json!({"nir": x, "birth_date": "1964-04-05", "renewal_code": "LETTRE64", "consent": true});
    let (status, body) = stack
        .post("/api/partner/renewals", Some(&partner), file.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let email = told(&stack, "paul@exemple.fr", "partner_filed").await;
    assert!(
        email.contains("CCAS Elbeuf") && email.contains("Bonjour Claire"),
        "{email}"
    );
    let (status, body) = stack
        .post("/api/partner/renewals", Some(&other), file)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while kinds_sent_to(&stack, "paul@exemple.fr").await.len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the take-up was not told"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(told(&stack, "paul@exemple.fr", "partner_filed")
        .await
        .contains("UDAF Rouen"));
    stack.stop().await;
}
