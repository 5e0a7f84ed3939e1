//! The caisse's answer to a partner's signalement follows the rules of the partner's text:
//! no NIR in any spacing, and health terms refused unless the agent confirms (the answer is
//! read by the partner, a third party).

use crate::helpers::*;
use crate::helpers_retention::signalement;
use serde_json::json;

#[tokio::test]
async fn an_answer_with_health_terms_needs_a_confirmation_and_a_nir_is_refused() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS Barentin", "alix@ccas-barentin.fr")
        .await;
    let rid = signalement(&stack, &partner, "Durand").await;
    let agent = stack.agent_token("A9", ROUEN, &["instructeur"]).await;
    let path = format!("/api/agent/reports/{rid}/answer");

    let (status, body) = stack
        .post(
            &path,
            Some(&agent),
            json!({"answer": "Son numéro : 2 57 02 76 540 123 45"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("nir_not_allowed")),
        "{body}"
    );
    let sick = "La personne est hospitalisée, nous la rappelons à sa sortie.";
    let (status, body) = stack
        .post(&path, Some(&agent), json!({"answer": sick}))
        .await;
    assert_eq!(
        (status, body["code"].as_str(), body["terms"].clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("health_data"),
            json!(["hospitalis"])
        ),
        "{body}"
    );
    // Nothing was stored by the refusals.
    let (_, list) = stack.get("/api/agent/reports", &agent).await;
    assert_eq!(list["items"][0]["status"], "open", "{list}");
    let (status, body) = stack
        .post(
            &path,
            Some(&agent),
            json!({"answer": sick, "confirm": true}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("answered")),
        "{body}"
    );
    stack.stop().await;
}
