//! Degrade, don't fail: with AWS out of reach (nothing listens where the SDK calls) or
//! answering what the SDK cannot read (a proxy's HTML page, as a 502 or even a 200), the
//! public estimate still answers, its limit counted in the function's process, and every
//! other route answers 503 `service_unavailable` with its French message: never a 500.
//!
//! The stack starts healthy (tokens, a renewal, a partner); then each HTTP function is built
//! again from its own configuration with its AWS calls sent to the broken endpoint
//! (`TestStack::function_reaching`), and every route it serves is called.

use crate::helpers::*;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

/// The seven HTTP functions, each built with its AWS calls sent to one endpoint.
struct Functions {
    identity: identity::App,
    eligibility: eligibility::App,
    renewal: renewal::App,
    upload: upload::App,
    review: review::App,
    records: review::records::App,
    partner: partner::App,
}

impl Functions {
    async fn reaching(stack: &TestStack, endpoint: &str) -> Functions {
        let built = |function: &'static str| stack.function_reaching(function, endpoint);
        let (env, clients) = built("IdentityFunction").await;
        let identity = identity::App::from_env(&env, &clients).expect("identity");
        let (env, clients) = built("EligibilityFunction").await;
        let eligibility = eligibility::App::from_env(
            &env.with("ESTIMATE_LIMIT_PER_MINUTE", "3".into()),
            &clients,
        )
        .expect("eligibility");
        let (env, clients) = built("RenewalFunction").await;
        let renewal = renewal::App::from_env(&env, &clients).expect("renewal");
        let (env, clients) = built("UploadFunction").await;
        let upload = upload::App::from_env(&env, &clients).expect("upload");
        let (env, clients) = built("ReviewFunction").await;
        let review = review::App::from_env(&env, &clients).expect("review");
        let (env, clients) = built("ReviewRecordsFunction").await;
        let records = review::records::App::from_env(&env, &clients).expect("review-records");
        let (env, clients) = built("PartnerFunction").await;
        let partner = partner::App::from_env(&env, &clients).expect("partner");
        Functions {
            identity,
            eligibility,
            renewal,
            upload,
            review,
            records,
            partner,
        }
    }

    /// Every route of the seven route tables, with the function that serves it.
    fn routes() -> Vec<(&'static str, &'static str, &'static str)> {
        devserver::functions::route_tables()
            .into_iter()
            .flat_map(|(f, routes)| routes.iter().map(move |(m, p)| (f, *m, *p)))
            .collect()
    }

    async fn handle(&self, function: &str, req: Request) -> Response<Body> {
        match function {
            "identity" => identity::handle(&self.identity, req).await,
            "eligibility" => eligibility::handle(&self.eligibility, req).await,
            "renewal" => renewal::handle(&self.renewal, req).await,
            "upload" => upload::handle(&self.upload, req).await,
            "review" => review::handle(&self.review, req).await,
            "review-records" => review::records::handle(&self.records, req).await,
            "partner" => partner::handle(&self.partner, req).await,
            other => panic!("no function {other}"),
        }
    }

    /// The function serving `method` `path` (the route whose fixed segments match it).
    fn serving(method: &str, path: &str) -> &'static str {
        let segments: Vec<&str> = path
            .split('?')
            .next()
            .unwrap_or_default()
            .split('/')
            .collect();
        Self::routes()
            .into_iter()
            .filter(|(_, m, template)| {
                let t: Vec<&str> = template.split('/').collect();
                *m == method
                    && t.len() == segments.len()
                    && t.iter()
                        .zip(&segments)
                        .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .max_by_key(|(_, _, template)| template.matches('{').count() == 0)
            .map(|(f, _, _)| f)
            .unwrap_or_else(|| panic!("no route serves {method} {path}"))
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let mut req = Request::new(Body::Text(body.to_string()));
        *req.method_mut() = method.parse().expect("method");
        *req.uri_mut() = path.parse().expect("path");
        let headers = req.headers_mut();
        headers.insert("content-type", "application/json".parse().expect("header"));
        headers.insert("x-forwarded-for", "203.0.113.50".parse().expect("header"));
        if let Some(t) = token {
            headers.insert(
                "authorization",
                format!("Bearer {t}").parse().expect("header"),
            );
        }
        let response = self.handle(Self::serving(method, path), req).await;
        let status = response.status().as_u16();
        let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// What the healthy stack gave: tokens of each kind and ids that exist.
struct World {
    beneficiary: String,
    agent: String,
    partner: String,
    renewal_id: String,
    partner_id: String,
    account_id: String,
}

async fn world(stack: &TestStack) -> World {
    let nir = fresh_nir(71, 1);
    stack
        .import(
            "degraded.jsonl",
            &[
                beneficiary(&nir, "1971-01-01", "DOWN7171", ROUEN, &months_from_today(2))
                    .to_string(),
            ],
        )
        .await;
    let level_one = stack.sign_in(&nir, "1971-01-01", "DOWN7171").await;
    let beneficiary = stack.step_up(&level_one).await;
    let (status, r) = stack
        .post("/api/renewals", Some(&beneficiary), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let agent = stack
        .agent_token(
            "deg-1",
            ROUEN,
            &["instructeur", "superviseur", "dpo", "admin_partenaires"],
        )
        .await;
    let email = "a.panne@udaf-panne.fr";
    let (partner_id, partner) = stack.onboard_partner(&agent, "UDAF en panne", email).await;
    let (_, signed) = stack
        .post(
            "/api/auth/partner",
            None,
            json!({"email": email, "password": PARTNER_PASSWORD}),
        )
        .await;
    World {
        beneficiary,
        agent,
        partner,
        renewal_id: r["id"].as_str().unwrap_or_default().to_owned(),
        partner_id,
        account_id: signed["account_id"].as_str().unwrap_or_default().to_owned(),
    }
}

/// A route's template with the world's ids, and the token its callers carry.
fn concrete<'a>(w: &'a World, template: &str) -> (String, Option<&'a str>) {
    let path = template
        .replace("{id}", &w.renewal_id)
        .replace("{doc}", "0f0e0d0c0b0a09080706050403020100")
        .replace("{pid}", &w.partner_id)
        .replace("{aid}", &w.account_id)
        .replace("{caisse}", ROUEN)
        .replace("{rid}", &format!("{}.0a0b0c0d", w.partner_id));
    let token = if template.starts_with("/api/agent/") {
        Some(w.agent.as_str())
    } else if template.starts_with("/api/partner/") {
        Some(w.partner.as_str())
    } else if template.starts_with("/api/renewals")
        || template == "/api/me"
        || template.ends_with("/step-up")
    {
        Some(w.beneficiary.as_str())
    } else {
        None
    };
    (path, token)
}

fn is_unavailable((status, body): &(u16, Value)) -> bool {
    *status == 503
        && body["code"] == "service_unavailable"
        && body["message"]
            .as_str()
            .is_some_and(|m| m.contains("momentanément indisponible"))
}

async fn degrade_through(stack: &TestStack, w: &World, endpoint: &str, what: &str) {
    let functions = Functions::reaching(stack, endpoint).await;

    // The estimate needs nothing of AWS: it answers, limited in the process (3 a minute
    // here), so the fourth in a row from one address is refused if all four share a window,
    // and the first always passes.
    let estimate = json!({"request_month": "2025-06", "territory": "metropole", "household": [{"birth_date": "1984-05-12", "relation": "applicant"}], "resources_annual_cents": 900_000, "housing": {"status": "tenant", "housing_aid_cents": 0}});
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (status, body) = functions
            .call("POST", "/api/eligibility/estimate", None, estimate.clone())
            .await;
        assert!(
            status == 200 || status == 429,
            "{what}: estimate {status} {body}"
        );
        statuses.push(status);
    }
    assert_eq!(
        statuses[0], 200,
        "{what}: the estimate stays up: {statuses:?}"
    );
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        (3..=6).contains(&allowed),
        "{what}: the in-process limit holds 3 a minute: {statuses:?}"
    );

    // One call of each family with a body that passes validation: the store is reached, and
    // the answer says the service is unavailable.
    let family = [
        (
            "POST",
            "/api/auth/beneficiary".to_owned(),
            None,
            json!({"nir": fresh_nir(71, 2), "birth_date": "1971-02-01", "renewal_code": "ABCDEF12"}),
        ),
        (
            "POST",
            "/api/auth/beneficiary/step-up".to_owned(),
            Some(&w.beneficiary),
            json!({"iban_last4": "4242", "vitale_serial": "123456789"}),
        ),
        ("GET", "/api/me".to_owned(), Some(&w.beneficiary), json!({})),
        (
            "POST",
            "/api/auth/partner".to_owned(),
            None,
            json!({"email": "a.panne@udaf-panne.fr", "password": PARTNER_PASSWORD}),
        ),
        (
            "POST",
            "/api/renewals".to_owned(),
            Some(&w.beneficiary),
            json!({}),
        ),
        (
            "GET",
            format!("/api/renewals/{}", w.renewal_id),
            Some(&w.beneficiary),
            json!({}),
        ),
        (
            "POST",
            format!("/api/renewals/{}/documents", w.renewal_id),
            Some(&w.beneficiary),
            json!({"kind": "payslip", "filename": "bulletin.pdf", "content_type": "application/pdf", "size": 1000}),
        ),
        (
            "GET",
            "/api/agent/renewals".to_owned(),
            Some(&w.agent),
            json!({}),
        ),
        (
            "GET",
            format!("/api/agent/renewals/{}", w.renewal_id),
            Some(&w.agent),
            json!({}),
        ),
        (
            "GET",
            format!("/api/agent/partners/{}", w.partner_id),
            Some(&w.agent),
            json!({}),
        ),
        (
            "GET",
            "/api/partner/requests".to_owned(),
            Some(&w.partner),
            json!({}),
        ),
        (
            "POST",
            "/api/partner/renewals".to_owned(),
            Some(&w.partner),
            json!({"nir": fresh_nir(71, 3), "birth_date": "1971-03-01", "renewal_code": "ABCDEF12", "consent": true}),
        ),
    ];
    let answers = futures::future::join_all(
        family
            .iter()
            .map(|(m, p, t, b)| functions.call(m, p, t.map(String::as_str), b.clone())),
    )
    .await;
    for ((m, p, _, _), answer) in family.iter().zip(&answers) {
        assert!(
            is_unavailable(answer),
            "{what}: {m} {p} answered {answer:?}"
        );
    }

    // Every route, with the bodies a careless client sends: any answer but a 500, and a
    // 5xx only as `service_unavailable`.
    let routes = Functions::routes();
    let answers = futures::future::join_all(routes.iter().map(|(_, m, template)| {
        let (path, token) = concrete(w, template);
        let functions = &functions;
        async move { functions.call(m, &path, token, json!({})).await }
    }))
    .await;
    for ((_, m, template), answer) in routes.iter().zip(&answers) {
        assert!(
            answer.0 < 500 || is_unavailable(answer),
            "{what}: {m} {template} answered {answer:?}"
        );
    }
    let unavailable = answers.iter().filter(|a| is_unavailable(a)).count();
    assert!(
        unavailable * 2 > routes.len(),
        "{what}: most routes reach a store, yet {unavailable} of {} said so",
        routes.len()
    );
}

#[tokio::test]
async fn with_aws_out_of_reach_only_the_estimate_answers() {
    let stack = TestStack::start().await;
    let w = world(&stack).await;
    degrade_through(&stack, &w, &closed_endpoint().await, "closed port").await;
    let page = html_page_endpoint(StatusCode::BAD_GATEWAY).await;
    degrade_through(&stack, &w, &page, "HTML 502 page").await;
    let page = html_page_endpoint(StatusCode::OK).await;
    degrade_through(&stack, &w, &page, "HTML page answered 200").await;
    stack.stop().await;
}
