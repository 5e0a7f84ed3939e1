//! Helpers of the retention tests (`retention_*.rs`): the partners' store read directly, and
//! dates moved back to either side of a retention boundary.

use crate::helpers::*;
use c2s_platform::partners::PartnerStore;
use serde_json::json;
use std::time::{Duration, Instant};

/// Noon UTC on `day`: a date moved back lands mid-day, away from any midnight.
pub fn noon(day: time::Date) -> time::OffsetDateTime {
    time::OffsetDateTime::new_utc(day, time::Time::from_hms(12, 0, 0).expect("noon"))
}

pub fn partner_store(stack: &TestStack) -> PartnerStore {
    PartnerStore::new(stack.clients.dynamo(), stack.table("PartnersTable"))
}

/// A signalement of `partner` to Rouen; its id.
pub async fn signalement(stack: &TestStack, partner: &str, last_name: &str) -> String {
    signalement_of(stack, partner, last_name, "suivi_demande_assure", false).await
}

/// A signalement of `partner` about Jeanne `last_name`, of `motive`, urgent or not: its id.
pub async fn signalement_of(
    stack: &TestStack,
    partner: &str,
    last_name: &str,
    motive: &str,
    urgent: bool,
) -> String {
    let body = json!({"civility": "Madame", "last_name": last_name, "first_name": "Jeanne", "birth_date": "1957-02-14", "department": "76", "motive": motive, "urgent": urgent, "comment": "Pas de nouvelles depuis l'envoi du dossier."});
    let (status, created) = stack
        .post("/api/partner/reports", Some(partner), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["request_id"]
        .as_str()
        .or(created["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Moves an unanswered request's filing back to `day`, through the store so that its index
/// attributes are derived as on any write.
pub async fn age_request_to(stack: &TestStack, request_id: &str, day: time::Date) {
    let store = partner_store(stack);
    let mut r = store
        .request(request_id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no request {request_id}"));
    r.created_at = noon(day);
    store
        .save_request(&mut r)
        .await
        .unwrap_or_else(|e| panic!("save {request_id}: {e}"));
}

/// Whether the request is still stored.
pub async fn request_kept(stack: &TestStack, request_id: &str) -> bool {
    partner_store(stack)
        .request(request_id)
        .await
        .ok()
        .flatten()
        .is_some()
}

/// Ends every convention of the organisation on `day` (terminated then) and deactivates it,
/// as the lifecycle job leaves it, through the store.
pub async fn end_conventions_on(stack: &TestStack, partner_id: &str, day: time::Date) {
    let store = partner_store(stack);
    let mut org = store
        .org(partner_id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no organisation {partner_id}"));
    for c in &mut org.conventions {
        c.start = c.start.min(day);
        c.terminated_on = Some(day);
    }
    org.active = false;
    store
        .save_org(&mut org)
        .await
        .unwrap_or_else(|e| panic!("save {partner_id}: {e}"));
}

pub async fn org_kept(stack: &TestStack, partner_id: &str) -> bool {
    partner_store(stack)
        .org(partner_id)
        .await
        .ok()
        .flatten()
        .is_some()
}

/// Waits (at most a minute) until `done` holds: the purge workers delete through the queue.
pub async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Removes a request's retention index attributes, as it was stored before `by_purge`.
pub async fn unindex_request(stack: &TestStack, partner_id: &str, request_id: &str) {
    use aws_sdk_dynamodb::types::AttributeValue;
    stack
        .clients
        .dynamo()
        .update_item()
        .table_name(stack.table("PartnersTable"))
        .key("pk", AttributeValue::S(format!("org#{partner_id}")))
        .key("sk", AttributeValue::S(format!("request#{request_id}")))
        .update_expression("REMOVE purge_index, purge_key")
        .send()
        .await
        .unwrap_or_else(|e| panic!("unindex {request_id}: {e}"));
}

/// The items of request `request_id`'s thread (messages and state) in its organisation's
/// partition, as the table holds them.
pub async fn thread_items(stack: &TestStack, partner_id: &str, request_id: &str) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue;
    stack
        .clients
        .dynamo()
        .query()
        .table_name(stack.table("PartnersTable"))
        .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("org#{partner_id}")))
        .expression_attribute_values(":p", AttributeValue::S(format!("msg#{request_id}#")))
        .consistent_read(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("thread of {request_id}: {e}"))
        .count as usize
}

/// What request `request_id` holds of attachments: (records, object versions in the
/// documents bucket).
pub async fn attachments_held(stack: &TestStack, request_id: &str) -> (usize, usize) {
    let owner = c2s_platform::renewals::request_owner(request_id);
    let records = stack
        .renewal_store()
        .documents_of(&owner)
        .await
        .unwrap_or_else(|e| panic!("attachments of {request_id}: {e}"))
        .len();
    let objects = stack
        .object_versions(
            "DocumentsBucket",
            &c2s_platform::renewals::object_prefix(&owner),
        )
        .await;
    (records, objects)
}
