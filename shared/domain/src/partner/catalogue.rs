//! What a partner may ask of the caisse: the motives of annex 3 of the partner convention
//! ("Liste de vecteurs de contacts"), by kind of request, with codes that never change and
//! the annex's French labels. `GET /api/partner/catalogue` serves it as it is here.

/// One motive: a stable code for programs, the annex's words for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Motive {
    pub code: &'static str,
    pub label: &'static str,
}

const fn m(code: &'static str, label: &'static str) -> Motive {
    Motive { code, label }
}

/// "Contacter votre organisme d'Assurance Maladie": about the partnership itself, no person.
pub const CONTACT: &[Motive] = &[
    m(
        "evolutions_reglementaires",
        "Connaître les évolutions législatives et réglementaires",
    ),
    m(
        "offres_de_service",
        "Connaître les offres de service de l'Assurance Maladie",
    ),
    m("gestion_convention", "Gérer la convention de partenariat"),
    m(
        "modification_comptes_gestionnaires",
        "Signaler des modifications du (ou des) compte(s) gestionnaire(s) partenaire",
    ),
    m("autre_code_ameli", "Autre motif de contact : code ameli"),
];

/// "Demander un document", sent to the address the caisse knows, never to the partner. The
/// annex lists four documents; "autre document" lets the partner name another (issue 16).
pub const DOCUMENT: &[Motive] = &[
    m("attestation_droits", "Attestation de droits"),
    m("certificat_ceam", "Certificat provisoire CEAM"),
    m("formulaire_carte_vitale", "Formulaire carte Vitale"),
    m("offre_prevention", "Offre de prévention"),
    m("autre_document", "Autre document"),
];

/// "Demander un rendez-vous pour un assuré".
pub const APPOINTMENT: &[Motive] = &[
    m("ame", "AME"),
    m(
        "arret_travail_ij",
        "Arrêts de travail, indemnités journalières",
    ),
    m("c2s", "C2S"),
    m("capital_deces", "Capital décès"),
    m("pension_invalidite", "Pension d'invalidité"),
    m("rente_at_mp", "Rente AT/MP"),
    m("autre_rendez_vous", "Autre motif de rendez-vous"),
];

/// "Signaler une situation de difficulté d'accès aux droits et aux soins", and the
/// renoncement aux soins that article 3 of the convention asks partners to report.
pub const SIGNALEMENT: &[Motive] = &[
    m(
        "dossier_complexe",
        "Dossiers complexes (rétroactivité, rupture de droits, IJ complexes)",
    ),
    m(
        "saisine_mission_accompagnement",
        "Saisine de la Mission accompagnement santé",
    ),
    m("situation_urgence", "Situation d'urgence"),
    m(
        "suivi_demande_assure",
        "Suivi du traitement d'une demande faite par l'assuré",
    ),
    m("renoncement_soins", "Renoncement aux soins"),
];

/// "Soumettre un dossier".
pub const DOSSIER: &[Motive] = &[
    m("ame", "AME"),
    m("aide_financiere", "Demande d'aide financière"),
    m("etude_c2s", "Étude de C2S"),
    m("ouverture_droits", "Ouverture de droits"),
    m(
        "autre_etude_dossier",
        "Autre motif d'étude de dossier (changement d'adresse, envoi de RIB…)",
    ),
];

/// The kinds of request, in the catalogue's order, each with its motives.
pub const KINDS: &[(&str, &[Motive])] = &[
    ("contact", CONTACT),
    ("document", DOCUMENT),
    ("appointment", APPOINTMENT),
    ("signalement", SIGNALEMENT),
    ("dossier", DOSSIER),
];

/// The motives of a kind of request; `None` for a kind the catalogue does not know.
pub fn motives(kind: &str) -> Option<&'static [Motive]> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, m)| *m)
}

/// Whether `code` is a motive of `kind`.
pub fn is_motive(kind: &str, code: &str) -> bool {
    motives(kind).is_some_and(|ms| ms.iter().any(|m| m.code == code))
}

/// The label of a motive, if it is one of that kind.
pub fn label(kind: &str, code: &str) -> Option<&'static str> {
    motives(kind)?
        .iter()
        .find(|m| m.code == code)
        .map(|m| m.label)
}

/// Administrative phrases that use words the health filter looks for ("traitement",
/// "invalidité") without saying anything of anyone's health.
const ADMINISTRATIVE: &[&str] = &[
    "traitement d'une demande",
    "traitement de la demande",
    "traitement de sa demande",
    "traitement de son dossier",
    "traitement du dossier",
    "traitement des dossiers",
    "pension d'invalidité",
    "pension invalidité",
];

/// The text with the catalogue's own labels and the administrative phrases above taken out,
/// so that the health filter judges only what the author wrote about the person.
pub fn without_catalogue_words(text: &str) -> String {
    let mut lower = text.to_lowercase().replace('’', "'");
    let labels = KINDS
        .iter()
        .flat_map(|(_, ms)| ms.iter().map(|m| m.label.to_lowercase()));
    let mut phrases: Vec<String> = labels
        .chain(ADMINISTRATIVE.iter().map(|p| (*p).to_owned()))
        .collect();
    // Longest first, so that a label is not cut by a shorter phrase inside it.
    phrases.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in phrases {
        lower = lower.replace(&p, " ");
    }
    lower
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::health_terms;
    use std::collections::HashSet;

    #[test]
    fn the_catalogue_is_annex_3_with_unique_codes() {
        let counts: Vec<(&str, usize)> = KINDS.iter().map(|(k, m)| (*k, m.len())).collect();
        assert_eq!(
            counts,
            [
                ("contact", 5),
                ("document", 5),
                ("appointment", 7),
                ("signalement", 5),
                ("dossier", 5)
            ]
        );
        for (kind, ms) in KINDS {
            let codes: HashSet<_> = ms.iter().map(|m| m.code).collect();
            assert_eq!(codes.len(), ms.len(), "{kind}");
            assert!(ms.iter().all(|m| m
                .code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())));
        }
        assert_eq!(
            label("signalement", "suivi_demande_assure"),
            Some("Suivi du traitement d'une demande faite par l'assuré")
        );
        assert!(is_motive("appointment", "pension_invalidite"));
        assert!(!is_motive("contact", "pension_invalidite"));
        assert!(motives("visit").is_none());
    }

    #[test]
    fn the_catalogues_words_are_not_health_terms() {
        for (_, ms) in KINDS {
            for m in *ms {
                assert_eq!(
                    health_terms(&without_catalogue_words(m.label)),
                    Vec::<&str>::new(),
                    "{}",
                    m.label
                );
            }
        }
        assert!(health_terms(&without_catalogue_words(
            "Relance : suivi du traitement de sa demande de pension d'invalidité."
        ))
        .is_empty());
        // What is said of the person still counts.
        assert_eq!(
            health_terms(&without_catalogue_words(
                "Pension d'invalidité : elle suit un traitement lourd."
            )),
            ["traitement"]
        );
    }
}
