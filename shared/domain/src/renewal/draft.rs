//! A new draft: the applicant and household as the national system knows them.

use super::{ActorKind, Form, HistoryEntry, Renewal, Status};
use crate::beneficiary::{InboundMember, InboundRelation, Territory};
use crate::household::{Member, Relation};
use crate::text::Name;
use time::{Date, OffsetDateTime};

/// What the beneficiaries table holds of the person that a draft needs.
#[derive(Debug, Clone, Copy)]
pub struct OnFile<'a> {
    pub nir_hash: &'a str,
    pub caisse: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub birth_date: Date,
    pub css_end_date: Date,
    pub territory: Territory,
    pub household: &'a [InboundMember],
}

/// The applicant as the national system knows them; `None` if a stored name is unreadable.
pub fn applicant(p: &OnFile) -> Option<Member> {
    Some(Member {
        id: "applicant".into(),
        relation: Relation::Applicant,
        first_name: Name::parse(p.first_name)?,
        last_name: Name::parse(p.last_name)?,
        birth_date: p.birth_date,
        alternating_custody: false,
    })
}

/// The household on file as the members a draft offers after the applicant (`m2`, `m3`…).
pub fn members_on_file(household: &[InboundMember]) -> Vec<Member> {
    household
        .iter()
        .enumerate()
        .map(|(i, m)| Member {
            id: format!("m{}", i + 2),
            relation: match m.relation {
                InboundRelation::Spouse => Relation::Spouse,
                InboundRelation::Child => Relation::Child,
                InboundRelation::Other => Relation::Other,
            },
            first_name: m.first_name.clone(),
            last_name: m.last_name.clone(),
            birth_date: m.birth_date,
            alternating_custody: false,
        })
        .collect()
}

/// A new draft for this beneficiary, with the household on file offered for confirmation.
/// The caller gives the id and the clock.
pub fn new_draft(
    p: &OnFile,
    id: String,
    now: OffsetDateTime,
    today: Date,
    actor: ActorKind,
) -> Option<Renewal> {
    let applicant = applicant(p)?;
    let mut suggested = vec![applicant.clone()];
    suggested.extend(members_on_file(p.household));
    Some(Renewal {
        id,
        nir_hash: p.nir_hash.to_owned(),
        caisse: p.caisse.to_owned(),
        status: Status::Draft,
        version: 1,
        created_at: now,
        updated_at: now,
        request_day: today,
        css_end_date: p.css_end_date,
        form: Form::default(),
        history: vec![HistoryEntry {
            status: Status::Draft,
            at: now,
            actor,
        }],
        receipt: None,
        requested_documents: Vec::new(),
        suggested_household: suggested,
        applicant,
        territory: Some(p.territory),
        queue: None,
        deadline: None,
        complete_on: None,
        assigned_to: None,
        decision: None,
        requested_message: None,
        filed_by: None,
        filed_partner: None,
        export_pending: None,
        export_key: None,
        export_batch: None,
        integration_rejection: None,
        near_deadline: false,
        accepted_by_silence: false,
        details_purged: false,
        restricted: false,
        counted: None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::{date, datetime};

    pub(crate) fn draft() -> Renewal {
        let household = [InboundMember {
            relation: InboundRelation::Child,
            first_name: Name::parse("Léa").unwrap_or_else(|| unreachable!()),
            last_name: Name::parse("Durand").unwrap_or_else(|| unreachable!()),
            birth_date: date!(2012 - 03 - 04),
        }];
        let p = OnFile {
            nir_hash: "h-1",
            caisse: "le-havre",
            first_name: "Marie",
            last_name: "Durand",
            birth_date: date!(1984 - 05 - 12),
            css_end_date: date!(2027 - 01 - 31),
            territory: Territory::Metropole,
            household: &household,
        };
        new_draft(
            &p,
            "r-1".into(),
            datetime!(2026-11-23 09:00 UTC),
            date!(2026 - 11 - 23),
            ActorKind::Beneficiary,
        )
        .unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn a_draft_offers_the_household_on_file() {
        let r = draft();
        assert_eq!(
            (r.id.as_str(), r.status, r.version),
            ("r-1", Status::Draft, 1)
        );
        assert_eq!(r.created_at, r.updated_at);
        assert_eq!(r.history.len(), 1);
        assert_eq!(r.history[0].actor, ActorKind::Beneficiary);
        assert_eq!(r.form, Form::default());
        let ids: Vec<_> = r
            .suggested_household
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(ids, ["applicant", "m2"]);
        assert_eq!(r.suggested_household[1].relation, Relation::Child);
        assert_eq!(r.applicant, r.suggested_household[0]);
        assert_eq!(r.territory, Some(Territory::Metropole));
    }

    #[test]
    fn an_unreadable_stored_name_makes_no_draft() {
        let p = OnFile {
            nir_hash: "h-1",
            caisse: "le-havre",
            first_name: "",
            last_name: "Durand",
            birth_date: date!(1984 - 05 - 12),
            css_end_date: date!(2027 - 01 - 31),
            territory: Territory::Dom,
            household: &[],
        };
        assert!(applicant(&p).is_none());
        let now = datetime!(2026-11-23 09:00 UTC);
        assert!(new_draft(&p, "r".into(), now, now.date(), ActorKind::Partner).is_none());
    }
}
