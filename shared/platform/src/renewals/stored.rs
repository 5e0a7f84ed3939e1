//! The renewal item as stored: the business fields plus the attributes that only feed the
//! table's indexes, derived on every save and never set by hand. Reading ignores them.

use c2s_domain::dates;
use c2s_domain::renewal::{tally, Renewal, Status, Tally};
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct Indexed<'a> {
    #[serde(flatten)]
    renewal: &'a Renewal,
    /// `<deadline>#<id>` once the file is in the queue: the order of `by_caisse_deadline`
    /// and the sort key of `by_deadline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_key: Option<String>,
    /// `open` while the 2-month decision clock runs (submitted, in review): `by_deadline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline_open: Option<&'static str>,
    /// `draft` while the renewal is a draft (`by_draft`, sorted by `updated_at`): reminders.
    #[serde(skip_serializing_if = "Option::is_none")]
    draft_open: Option<&'static str>,
    /// `due` while something of this renewal will have to be deleted (`by_purge`).
    #[serde(skip_serializing_if = "Option::is_none")]
    purge_index: Option<&'static str>,
    /// `<due date>#<stage>#<id>`: when and what (`draft`, `details`, `all`).
    #[serde(skip_serializing_if = "Option::is_none")]
    purge_key: Option<String>,
    /// The receipt's number once the file reached the agents (`by_receipt`): found by it
    /// on the phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) receipt_number: Option<&'a str>,
    /// The dashboard counters it counts in as written: the next save moves them by the
    /// difference (read back into `Renewal::counted`).
    counted: Tally,
}

pub(super) fn indexed(r: &Renewal) -> Indexed<'_> {
    let queue_key = r
        .queue
        .as_ref()
        .and(r.deadline)
        .map(|d| format!("{}#{}", dates::format_date(d), r.id));
    let running = matches!(r.status, Status::Submitted | Status::InReview) && r.deadline.is_some();
    let next = r.next_purge();
    Indexed {
        renewal: r,
        queue_key,
        deadline_open: running.then_some("open"),
        draft_open: (r.status == Status::Draft).then_some("draft"),
        purge_index: next.map(|_| "due"),
        purge_key: next
            .map(|(due, stage)| format!("{}#{}#{}", dates::format_date(due), stage.as_str(), r.id)),
        receipt_number: r
            .queue
            .as_ref()
            .and(r.receipt.as_ref())
            .map(|rc| rc.number.as_str()),
        counted: tally(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::to_item;
    use serde_json::Value;

    /// Items as the code before the domain move wrote them (`RenewalRecord::indexed`), keys
    /// included: a draft, a complete file in review filed by a partner, a rejected one
    /// waiting for export, and one whose details were purged; since the dashboard's
    /// counters, each with the `counted` it wrote; since the agents' search, those that reached
    /// the agents with their `receipt_number`.
    const FIXTURES: &[(&str, &str)] = &[
        (
            "draft",
            include_str!("../../tests/fixtures/renewal_draft.json"),
        ),
        (
            "in_review",
            include_str!("../../tests/fixtures/renewal_in_review.json"),
        ),
        (
            "rejected",
            include_str!("../../tests/fixtures/renewal_rejected.json"),
        ),
        (
            "purged",
            include_str!("../../tests/fixtures/renewal_purged.json"),
        ),
    ];

    #[test]
    fn stored_items_keep_their_shape() {
        for (name, text) in FIXTURES {
            let stored: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
            let r: Renewal =
                serde_json::from_value(stored.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let keys = [("pk", r.id.as_str()), ("sk", super::super::RENEWAL)];
            let written = to_item(&indexed(&r), &keys).unwrap_or_else(|e| panic!("{e}"));
            let expected = to_item(&stored, &[]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(written, expected, "{name}");
            // And as JSON, which names the attribute that differs.
            let mut again = serde_json::to_value(indexed(&r)).unwrap_or_else(|e| panic!("{e}"));
            again["pk"] = Value::from(r.id.as_str());
            again["sk"] = Value::from(super::super::RENEWAL);
            assert_eq!(again, stored, "{name}");
        }
    }

    #[test]
    fn the_fixtures_cover_every_index_attribute() {
        let all: Vec<Value> = FIXTURES
            .iter()
            .map(|(_, t)| serde_json::from_str(t).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        for attr in super::super::INDEX_ATTRIBUTES {
            assert!(all.iter().any(|v| v.get(attr).is_some()), "{attr}");
            assert!(all.iter().any(|v| v.get(attr).is_none()), "{attr} absent");
        }
    }
}
