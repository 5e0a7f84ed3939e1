//! What an erasure request (RGPD art. 17) may erase, and what the rules keep, until when and
//! why. The C2S is processed to meet a legal obligation (CSS L861-1 and following), so
//! art. 17.3.b keeps what those rules need: only what no rule requires may go.

use crate::dates::add_months;
use crate::renewal::{Renewal, Status};
use serde::Serialize;
use time::Date;

/// Something kept, with its retention date (`None`: not yet known, the file is still being
/// instructed) and its legal reason, in French for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub what: String,
    #[serde(with = "crate::dates::iso_opt")]
    pub until: Option<Date>,
    pub why: &'static str,
}

const IDENTIFICATION: &str = "Données d'identification et administratives conservées 5 ans après la fin des droits (durée de conservation du service, CSS art. L861-1 et suivants) ; l'effacement ne s'applique pas à un traitement nécessaire au respect d'une obligation légale (RGPD art. 17.3.b).";
const DETAILS: &str = "Ressources, foyer et justificatifs conservés 3 ans après la clôture du dossier, le temps des contrôles et recours (durée de conservation du service ; RGPD art. 17.3.b et 17.3.e).";
const ADMINISTRATIVE: &str = "Décision et données administratives du dossier conservées 5 ans après sa clôture (durée de conservation du service ; RGPD art. 17.3.b).";
const OPEN: &str = "Dossier en cours d'instruction : la caisse doit statuer (CSS art. L861-5) ; il sera conservé ensuite 3 ans (ressources, foyer, justificatifs) et 5 ans (décision) après sa clôture (RGPD art. 17.3.b).";
const TRACES: &str =
    "Traces des actions des agents conservées 1 an pour la sécurité du traitement (RGPD art. 32).";
const REGISTER: &str = "Les demandes d'exercice des droits et leurs réponses sont conservées 5 ans pour rendre compte de leur traitement (RGPD art. 5.2).";

/// Whether no rule requires keeping this renewal: a draft never submitted (nothing of it
/// reached an agent or a decision).
pub fn erasable(r: &Renewal) -> bool {
    r.status == Status::Draft && r.receipt.is_none()
}

/// What the rules keep of a renewal that is not erasable.
pub fn kept_of_renewal(r: &Renewal) -> Vec<Kept> {
    let name = match &r.receipt {
        Some(receipt) => format!("Dossier {}", receipt.number),
        None => format!("Dossier {}", r.id),
    };
    match r.closed_on() {
        None => vec![Kept {
            what: name,
            until: None,
            why: OPEN,
        }],
        Some(closed) => {
            let mut kept = Vec::new();
            if !r.details_purged {
                kept.push(Kept {
                    what: format!("{name} : ressources, foyer et justificatifs"),
                    until: Some(add_months(closed, 36)),
                    why: DETAILS,
                });
            }
            kept.push(Kept {
                what: format!("{name} : décision et données administratives"),
                until: Some(add_months(closed, 60)),
                why: ADMINISTRATIVE,
            });
            kept
        }
    }
}

/// The person's identification, kept 5 years after their rights end.
pub fn kept_identification(css_end_date: Date) -> Kept {
    Kept {
        what: "Données d'identification (NIR, nom, prénom, date de naissance, adresse, coordonnées, foyer connu)".to_owned(),
        until: Some(add_months(css_end_date, 60)),
        why: IDENTIFICATION,
    }
}

/// The agents' traces about the person, the last one kept until `last_expires_on`.
pub fn kept_traces(last_expires_on: Date) -> Kept {
    Kept {
        what: "Traces des actions des agents sur le dossier".to_owned(),
        until: Some(last_expires_on),
        why: TRACES,
    }
}

/// This request itself, in the register, from `today`.
pub fn kept_register(today: Date) -> Kept {
    Kept {
        what: "Demandes d'exercice des droits, au registre du délégué à la protection des données"
            .to_owned(),
        until: Some(add_months(today, 60)),
        why: REGISTER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renewal::draft::tests::draft;
    use crate::renewal::{ActorKind, HistoryEntry, Receipt};
    use time::macros::{date, datetime};

    #[test]
    fn only_a_draft_never_submitted_may_go() {
        let mut r = draft();
        assert!(erasable(&r));
        r.receipt = Some(Receipt {
            number: "C2S-1".into(),
            submitted_at: datetime!(2026-11-02 10:00 UTC),
        });
        // Sent back to draft after a submission: an agent saw it, it stays.
        assert!(!erasable(&r));
        r.status = Status::Submitted;
        assert!(!erasable(&r));
        assert_eq!(kept_of_renewal(&r)[0].until, None);
    }

    #[test]
    fn a_closed_file_is_kept_3_then_5_years_after_closing() {
        let mut r = draft();
        r.status = Status::Rejected;
        r.history.push(HistoryEntry {
            status: Status::Rejected,
            at: datetime!(2026-02-28 09:00 UTC),
            actor: ActorKind::Agent,
        });
        let kept = kept_of_renewal(&r);
        let until: Vec<_> = kept.iter().map(|k| k.until).collect();
        assert_eq!(
            until,
            [Some(date!(2029 - 02 - 28)), Some(date!(2031 - 02 - 28))]
        );
        r.details_purged = true;
        assert_eq!(kept_of_renewal(&r).len(), 1);
        assert_eq!(
            kept_identification(date!(2027 - 01 - 31)).until,
            Some(date!(2032 - 01 - 31))
        );
    }
}
