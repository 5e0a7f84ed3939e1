//! What the contract fuzzer (`infra/contract`, schemathesis over `openapi.yaml`) found: each
//! defect it reported, pinned here by the request that showed it.

use crate::helpers::*;
use reqwest::StatusCode;

const ROUEN: &str = "rouen-elbeuf-dieppe";

/// `renewal_id=` with an empty value reached DynamoDB as an empty key: a 500.
#[tokio::test]
async fn audit_with_an_empty_renewal_id_is_invalid() {
    let stack = TestStack::start().await;
    let superviseur = stack
        .agent_token("sup-contract", ROUEN, &["superviseur"])
        .await;
    for query in ["?renewal_id=", "?renewal_id=%20", ""] {
        let (status, body) = stack
            .get(&format!("/api/agent/audit{query}"), &superviseur)
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
            "{query}: {body}"
        );
        assert_eq!(body["fields"][0]["field"], "renewal_id", "{body}");
    }
    stack.stop().await;
}
