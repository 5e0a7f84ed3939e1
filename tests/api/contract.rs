//! What the contract fuzzer (`infra/contract`, schemathesis over `openapi.yaml`) found: each
//! defect it reported, pinned here by the request that showed it.

use crate::helpers::*;
use serde_json::{json, Value};

/// The field a 422 `invalid` names first.
fn refused_field(status: StatusCode, body: &Value) -> Option<&str> {
    (status == StatusCode::UNPROCESSABLE_ENTITY && body["code"] == "invalid")
        .then(|| body["fields"][0]["field"].as_str())
        .flatten()
}

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
        let body: Value = resp.json().await.unwrap_or_default();
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
        json!({"household": [{"relation": "spouse", "first_name": "A", "last_name": "B", "birth_date": ""}]}),
        json!({"caisse": "Le Havre"}),
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
        .post("/dev/beneficiaries", None, json!({"months": 3}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    stack.stop().await;
}

/// Values of another type than the contract's were taken for absent and the request
/// accepted (schemathesis: "schema-violating request accepted"): the estimate and the form
/// with `alternating_custody: "oui"`.
#[tokio::test]
async fn a_value_of_another_type_is_refused_in_the_estimate_and_the_form() {
    let stack = TestStack::start().await;
    let estimate = json!({"request_month": "2025-06", "territory": "metropole", "resources_annual_cents": 0, "housing": "tenant",
        "household": [{"relation": "applicant", "birth_date": "1980-01-01", "alternating_custody": "oui"}]});
    let (status, body) = stack
        .post("/api/eligibility/estimate", None, estimate)
        .await;
    assert_eq!(
        refused_field(status, &body),
        Some("household[0].alternating_custody"),
        "{body}"
    );

    let nir = fresh_nir(81, 4);
    stack
        .import(
            "types.jsonl",
            &[
                beneficiary(&nir, "1981-04-10", "TYPES001", ROUEN, &months_from_today(2))
                    .to_string(),
            ],
        )
        .await;
    let token = stack.sign_in(&nir, "1981-04-10", "TYPES001").await;
    let (_, draft) = stack.post("/api/renewals", Some(&token), json!({})).await;
    let id = draft["id"].as_str().unwrap_or_default();
    let form = json!({"version": draft["version"], "household": [{"relation": "child", "first_name": "Hugo", "last_name": "Martin", "birth_date": "2015-06-01", "alternating_custody": 1}]});
    let (status, body) = stack
        .put(&format!("/api/renewals/{id}"), &token, form)
        .await;
    assert_eq!(
        refused_field(status, &body),
        Some("household[0].alternating_custody"),
        "{body}"
    );
    stack.stop().await;
}

/// The same in the partners' routes: the conditions' `accepted`, a convention's end `date`,
/// an answer's `status`.
#[tokio::test]
async fn a_value_of_another_type_is_refused_in_the_partner_routes() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("adm-types", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "UDAF types", "gestion@udaf-types.fr")
        .await;
    let (status, body) = stack
        .post(
            "/api/partner/cgu",
            Some(&partner),
            json!({"version": "2026-11", "accepted": "oui"}),
        )
        .await;
    assert_eq!(refused_field(status, &body), Some("accepted"), "{body}");

    let report = json!({"civility": "madame", "last_name": "Durand", "first_name": "Marie", "birth_date": "1984-05-12", "department": "76", "motive": "dossier_complexe", "comment": "Aide"});
    let (status, created) = stack
        .post("/api/partner/reports", Some(&partner), report)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let agent = stack
        .agent_token("ins-types", ROUEN, &["instructeur"])
        .await;
    let rid = created["request_id"].as_str().unwrap_or_default();
    let (status, body) = stack
        .post(
            &format!("/api/agent/reports/{rid}/answer"),
            Some(&agent),
            json!({"answer": "Vu.", "status": 3}),
        )
        .await;
    assert_eq!(refused_field(status, &body), Some("status"), "{body}");

    let (status, body) = stack
        .post(
            &format!("/api/agent/partners/{pid}/conventions/{ROUEN}/terminate"),
            Some(&admin),
            json!({"date": 20261231}),
        )
        .await;
    assert_eq!(refused_field(status, &body), Some("date"), "{body}");
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{pid}"), &admin)
        .await;
    assert_eq!(org["conventions"][0]["terminated_on"], Value::Null, "{org}");
    stack.stop().await;
}

/// The agents' bodies: a request for documents' `message` or a decision's `reason_code` of
/// another type were dropped; and a version written `1.0`, the integer 1 to JSON Schema, was
/// refused as missing.
#[tokio::test]
async fn agents_bodies_are_read_as_the_contract_types_them() {
    let stack = TestStack::start().await;
    let (_, id, _) = stack.submitted_renewal(ROUEN, 77).await;
    let agent = stack
        .agent_token("ins-types2", ROUEN, &["instructeur"])
        .await;
    let (_, file) = stack
        .get(&format!("/api/agent/renewals/{id}"), &agent)
        .await;
    let version = file["version"].as_u64().unwrap_or_default();
    let (status, claimed) = stack
        .post(
            &format!("/api/agent/renewals/{id}/claim"),
            Some(&agent),
            json!({"version": version as f64}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    let version = claimed["version"].clone();
    let (status, body) = stack
        .post(
            &format!("/api/agent/renewals/{id}/request-documents"),
            Some(&agent),
            json!({"items": ["payslip"], "message": 12, "version": version}),
        )
        .await;
    assert_eq!(refused_field(status, &body), Some("message"), "{body}");
    let (status, body) = stack
        .post(
            &format!("/api/agent/renewals/{id}/decision"),
            Some(&agent),
            json!({"outcome": "free", "reason_code": 7, "version": version}),
        )
        .await;
    assert_eq!(refused_field(status, &body), Some("reason_code"), "{body}");
    stack.stop().await;
}

/// A body that is JSON but not an object (`[null, null]`) read as an empty one: the
/// convention was terminated today. Every route wants an object.
#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("adm-array", ROUEN).await;
    let (pid, _) = stack
        .onboard_partner(&admin, "UDAF tableau", "gestion@udaf-tableau.fr")
        .await;
    for body in [json!([null, null]), json!(12), json!("date")] {
        let (status, answer) = stack
            .post(
                &format!("/api/agent/partners/{pid}/conventions/{ROUEN}/terminate"),
                Some(&admin),
                body.clone(),
            )
            .await;
        assert_eq!(
            (status, answer["fields"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")),
            "{body}: {answer}"
        );
    }
    let (_, org) = stack
        .get(&format!("/api/agent/partners/{pid}"), &admin)
        .await;
    assert_eq!(org["conventions"][0]["terminated_on"], Value::Null, "{org}");
    stack.stop().await;
}
