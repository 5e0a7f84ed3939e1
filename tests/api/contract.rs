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

/// A method an address does not serve was a 404 `route_not_found`, as if the address did not
/// exist: it is a 405 with the methods it has (RFC 9110), as each function answers.
#[tokio::test]
async fn a_method_the_address_lacks_is_not_allowed() {
    let stack = TestStack::start().await;
    for method in ["TRACE", "PATCH", "DELETE"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let resp = stack
            .http
            .request(method.clone(), format!("{}/api/renewals/r-1", stack.url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        let allow = resp.headers().get("allow").cloned();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        assert_eq!(body["code"], "method_not_allowed", "{method}: {body}");
        assert_eq!(
            allow.as_ref().and_then(|a| a.to_str().ok()),
            Some("GET, PUT")
        );
    }
    let (status, body) = stack
        .call(reqwest::Method::GET, "/api/nowhere", None, None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("route_not_found"))
    );
    stack.stop().await;
}

/// A person the import would refuse made `POST /dev/beneficiaries` wait 30 seconds for an
/// import that never came, then answer 504: the line is checked first.
#[tokio::test]
async fn a_new_beneficiary_the_import_would_refuse_is_invalid() {
    let stack = TestStack::start().await;
    let bad = [
        serde_json::json!({"household": [{"relation": "spouse", "first_name": "A", "last_name": "B", "birth_date": ""}]}),
        serde_json::json!({"caisse": "Le Havre"}),
    ];
    for body in bad {
        let (status, answer) = stack.post("/dev/beneficiaries", None, body.clone()).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
            "{body}: {answer}"
        );
        assert!(answer["fields"][0]["field"].is_string(), "{answer}");
    }
    let (status, answer) = stack
        .post("/dev/beneficiaries", None, serde_json::json!({"months": 3}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    stack.stop().await;
}
