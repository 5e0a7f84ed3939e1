//! The beneficiary keeps control and sees what matters: withdrawing a partner's access (the
//! partner then gets 404), the date by which the caisse must decide, the reason of a decision
//! in words; a partner that is not the legal guardian never sees the amounts typed in.

use crate::helpers::*;
use crate::helpers_convo::*;
use serde_json::json;

#[tokio::test]
async fn the_beneficiary_withdraws_a_partners_access() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS Elbeuf", "alix@ccas-elbeuf.fr")
        .await;
    let (draft, me, _) = filed_by_partner(&stack, &partner, 65).await;
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/renewals/{id}");
    let revoke = format!("{path}/revoke-partner");

    // Only the person withdraws it: not the partner, not someone else.
    let (status, _) = stack.post(&revoke, Some(&partner), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (other, _, _) = stack.submitted_renewal(ROUEN, 75).await;
    let (status, _) = stack.post(&revoke, Some(&other), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = stack.post(&revoke, Some(&me), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["filed_by"], json!(null));
    // Said again, the same answer.
    let (status, _) = stack.post(&revoke, Some(&me), json!({})).await;
    assert_eq!(status, StatusCode::OK);

    // The partner no longer reaches the renewal, by any route, nor lists it.
    let (status, _) = stack.get(&path, &partner).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = stack.get(&format!("{path}/messages"), &partner).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = stack
        .put(&path, &partner, json!({"version": draft["version"]}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = stack.get("/api/partner/requests", &partner).await;
    assert!(!list.to_string().contains(&id), "{list}");
    // The person still has it.
    let (status, mine) = stack.get(&path, &me).await;
    assert_eq!(
        (status, mine["status"].as_str()),
        (StatusCode::OK, Some("draft"))
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_follow_up_shows_the_deadline_and_the_reason_in_words() {
    let stack = TestStack::start().await;
    let agent = stack.agent_token("A1", ROUEN, &["instructeur"]).await;
    let (token, id, _) = stack.submitted_renewal(ROUEN, 76).await;
    let path = format!("/api/renewals/{id}");

    // The date by which the caisse must decide: the queue's, 2 months after the file was complete.
    let (_, r) = stack.get(&path, &token).await;
    let queued = queue_item(&stack, &agent, &id).await;
    assert!(r["deadline"].is_string(), "{r}");
    assert_eq!(r["deadline"], queued["deadline"]);
    let complete = time::Date::parse(
        queued["complete_on"].as_str().unwrap_or_default(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .expect("complete_on");
    assert_eq!(
        r["deadline"].as_str(),
        Some(c2s_domain::dates::format_date(c2s_domain::dates::add_months(complete, 2)).as_str())
    );

    // A rejection, with its reason in French words, at level 2.
    stack
        .decide(
            &agent,
            &id,
            json!({"outcome": "rejected", "reason_code": "over_ceiling"}),
        )
        .await;
    let level2 = stack.step_up(&token).await;
    let (_, r) = stack.get(&path, &level2).await;
    assert_eq!(r["decision"]["reason_code"], "over_ceiling");
    assert_eq!(
        r["decision"]["reason_label"],
        "Ressources supérieures au plafond"
    );
    assert_eq!(
        r["deadline"],
        json!(null),
        "decided: nothing more to wait for"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_partner_that_is_not_guardian_sees_no_declared_amount() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (_, partner) = stack
        .onboard_partner(&admin, "CCAS Elbeuf", "alix@ccas-elbeuf.fr")
        .await;
    let (pid_g, guardian) = stack
        .onboard_partner(&admin, "UDAF G", "alix@udaf-g.fr")
        .await;
    let x = fresh_nir(66, 4);
    let y = fresh_nir(46, 9);
    let mut protected = beneficiary(&y, "1946-09-02", "TUTELLE1", ROUEN, &months_from_today(2));
    protected["guardian_partner_id"] = json!(pid_g);
    stack
        .import(
            "amounts.jsonl",
            &[
                beneficiary(&x, "1966-04-05", "LETTRE66", ROUEN, &months_from_today(3)).to_string(),
                protected.to_string(),
            ],
        )
        .await;
    for (p, nir, birth, code, guardian) in [
        (&partner, &x, "1966-04-05", "LETTRE66", false),
        (&guardian, &y, "1946-09-02", "TUTELLE1", true),
    ] {
        // The person starts and types in their benefits; the partner takes it up.
        let me = stack.sign_in(nir, birth, code).await;
        let (_, r) = stack.post("/api/renewals", Some(&me), json!({})).await;
        let path = format!("/api/renewals/{}", r["id"].as_str().unwrap_or_default());
        let form = json!({"version": 1, "household": r["household"], "resources": [{"member": "applicant", "kind": "family_benefits", "monthly_cents": 45600}], "housing": {"status": "housed_free"}, "manager": "caisse"});
        let (status, body) = stack.put(&path, &me, form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["resources"][0]["monthly_cents"], 45600,
            "the person sees what they typed"
        );
        let (status, _) = stack
            .post(
                "/api/partner/renewals",
                Some(p),
                json!({"nir": nir, "birth_date": birth, "renewal_code": code, "consent": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, seen) = stack.get(&path, p).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(seen["resources"][0]["kind"], "family_benefits", "{seen}");
        assert_eq!(
            seen.to_string().contains("45600"),
            guardian,
            "amounts for the guardian only: {seen}"
        );
    }
    stack.stop().await;
}

/// Withdrawing a partner's access is an action on the file: a chained entry of the caisse's
/// audit trail, in the same write, naming the organisation and the person by the keyed hash
/// of their NIR (never the NIR); said again, it changes nothing and traces nothing.
#[tokio::test]
async fn withdrawing_a_partners_access_is_in_the_audit_trail() {
    let stack = TestStack::start().await;
    let admin = stack.admin_token("P1", ROUEN).await;
    let (pid, partner) = stack
        .onboard_partner(&admin, "CCAS Barentin", "alix@ccas-barentin.fr")
        .await;
    let (draft, me, x) = filed_by_partner(&stack, &partner, 66).await;
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    for _ in 0..2 {
        let (status, body) = stack
            .post(
                &format!("/api/renewals/{id}/revoke-partner"),
                Some(&me),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let entries = revocations(&stack, &id).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e.renewal_id.as_deref(), Some(id.as_str()));
    assert_eq!(e.partner_id.as_deref(), Some(pid.as_str()));
    assert_eq!(
        (e.agent_id.as_str(), e.target.as_str()),
        ("beneficiary", id.as_str())
    );
    assert!(
        e.subject.as_deref().is_some_and(|s| !s.contains(&x[..13])),
        "{e:?}"
    );
    assert!(!format!("{e:?}").contains(&x[..13]));
    stack.assert_chain_intact(ROUEN).await;
    // The DPO's access export lists it with the person's other traces.
    let dpo = crate::helpers_rgpd::dpo(&stack, ROUEN).await;
    let actions = crate::helpers_rgpd::actions_about(&stack, &dpo, &x).await;
    assert!(
        actions.contains(&"revoke_partner".to_owned()),
        "{actions:?}"
    );
    stack.stop().await;
}
