//! What is said to people by email and SMS: one French template per kind of notice.
//! Producers name the kind and its few variables (a first name, a link, a date: never a NIR
//! or an amount); the `notify` function renders them here and sends the result.

use crate::dates::format_date;
use serde::{Deserialize, Serialize};
use time::{Date, Month};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// A notice and its variables, as the outbox carries it: `{"kind": …, "data": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Notice {
    /// A new partner account's one-time activation link (email only).
    PartnerActivation {
        first_name: String,
        organisation: String,
        link: String,
    },
    /// A partner's password is due for renewal (email only).
    PasswordReminder { first_name: String, link: String },
    /// Rights end soon and no renewal has started.
    RightsEnding {
        first_name: String,
        #[serde(with = "iso_date")]
        end_date: Date,
        link: String,
    },
    /// A renewal draft left alone.
    DraftIdle { first_name: String, link: String },
    /// The caisse asks the beneficiary for documents.
    DocumentsRequested { first_name: String, link: String },
    /// The caisse decided on the renewal (what it decided is read after signing in).
    Decision { first_name: String, link: String },
    /// A partner organisation filed or took up a renewal for the beneficiary.
    PartnerFiled {
        first_name: String,
        organisation: String,
        link: String,
    },
    /// A new message in a conversation, for the beneficiary or a partner's technicien.
    Message { first_name: String, link: String },
    /// The caisse answered a partner's request (email only, to the technicien who sent it).
    RequestAnswered { first_name: String, link: String },
    /// A partner asked for a new password: a one-hour, single-use link (email only).
    PasswordReset { first_name: String, link: String },
    /// A data breach was declared (email only, to the DPO): never its description, which
    /// may hold personal data; the register holds it.
    Incident {
        caisse: String,
        /// RFC 3339: the CNIL is notified by then (RGPD art. 33).
        notify_cnil_by: String,
        link: String,
    },
}

/// What a notice says on one channel. `subject` is empty for an SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("{kind} is not sent by {channel}")]
    WrongChannel {
        kind: &'static str,
        channel: &'static str,
    },
    #[error("the {0} of the notice is not usable")]
    BadVariable(&'static str),
    #[error("not a mobile phone number")]
    NotAMobile,
}

/// Each kind, its email subject and the fixed opening of its SMS (none: never by SMS).
/// Subjects and openings differ, so that a sent message says which template it came from.
const KINDS: [(&str, &str, Option<&str>); 11] = [
    (
        "partner_activation",
        "Activez votre compte partenaire C2S en ligne",
        None,
    ),
    (
        "password_reminder",
        "Votre mot de passe C2S en ligne arrive à échéance",
        None,
    ),
    (
        "rights_ending",
        "Renouvelez votre Complémentaire santé solidaire",
        Some("C2S en ligne : vos droits à la Complémentaire santé solidaire prennent fin le "),
    ),
    (
        "draft_idle",
        "Votre demande de renouvellement n'est pas encore envoyée",
        Some("C2S en ligne : votre demande de renouvellement n'est pas encore envoyée."),
    ),
    (
        "documents_requested",
        "Votre caisse vous demande des pièces justificatives",
        Some("C2S en ligne : votre caisse vous demande des pièces pour votre demande."),
    ),
    (
        "decision",
        "Une décision a été prise sur votre demande de C2S",
        Some("C2S en ligne : une décision a été prise sur votre demande."),
    ),
    (
        "partner_filed",
        "Un partenaire s'occupe de votre demande de C2S",
        Some("C2S en ligne : un organisme partenaire agit pour votre demande de renouvellement."),
    ),
    (
        "message",
        "Vous avez un nouveau message sur C2S en ligne",
        Some("C2S en ligne : vous avez un nouveau message."),
    ),
    (
        "request_answered",
        "La caisse a répondu à votre demande",
        None,
    ),
    (
        "password_reset",
        "Choisissez un nouveau mot de passe C2S en ligne",
        None,
    ),
    (
        "incident",
        "Violation de données déclarée : notification à la CNIL sous 72 heures",
        None,
    ),
];

const SIGNATURE: &str = "\n\nL'Assurance Maladie – C2S en ligne\nCe message est envoyé automatiquement : merci de ne pas y répondre.";

impl Notice {
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::PartnerActivation { .. } => KINDS[0].0,
            Notice::PasswordReminder { .. } => KINDS[1].0,
            Notice::RightsEnding { .. } => KINDS[2].0,
            Notice::DraftIdle { .. } => KINDS[3].0,
            Notice::DocumentsRequested { .. } => KINDS[4].0,
            Notice::Decision { .. } => KINDS[5].0,
            Notice::PartnerFiled { .. } => KINDS[6].0,
            Notice::Message { .. } => KINDS[7].0,
            Notice::RequestAnswered { .. } => KINDS[8].0,
            Notice::PasswordReset { .. } => KINDS[9].0,
            Notice::Incident { .. } => KINDS[10].0,
        }
    }

    /// Whether the person may opt out of it (opposition to reminders): only the reminders
    /// are; what a file's progress or the law requires is always sent.
    pub fn optional(&self) -> bool {
        matches!(self, Notice::RightsEnding { .. } | Notice::DraftIdle { .. })
    }

    fn template(&self) -> (&'static str, Option<&'static str>) {
        let (_, subject, sms) = KINDS
            .iter()
            .find(|(k, _, _)| *k == self.kind())
            .copied()
            .unwrap_or(KINDS[0]);
        (subject, sms)
    }

    /// The French text of this notice on `channel`, from its variables (checked first: a
    /// name on one line, a link to the service).
    pub fn render(&self, channel: Channel) -> Result<Rendered, NoticeError> {
        self.check()?;
        let (subject, sms) = self.template();
        let wrong = NoticeError::WrongChannel {
            kind: self.kind(),
            channel: channel.as_str(),
        };
        let text = match (self, channel) {
            (
                Notice::PartnerActivation {
                    first_name,
                    organisation,
                    link,
                },
                Channel::Email,
            ) => format!(
                "Bonjour {first_name},\n\nVotre compte partenaire pour {organisation} a été créé. Choisissez votre mot de passe dans les 48 heures : {link}\n\nCe lien ne sert qu'une fois.{SIGNATURE}"
            ),
            (Notice::PasswordReminder { first_name, link }, Channel::Email) => format!(
                "Bonjour {first_name},\n\nVotre mot de passe partenaire doit être renouvelé tous les 90 jours : changez-le depuis votre espace avant son échéance : {link}{SIGNATURE}"
            ),
            (
                Notice::RightsEnding {
                    first_name,
                    end_date,
                    link,
                },
                Channel::Email,
            ) => format!(
                "Bonjour {first_name},\n\nVos droits à la Complémentaire santé solidaire prennent fin le {}. Renouvelez-les dès maintenant en ligne : {link} (munissez-vous du code de renouvellement de votre courrier).{SIGNATURE}",
                french_date(*end_date)
            ),
            (Notice::RightsEnding { end_date, link, .. }, Channel::Sms) => format!(
                "{}{}. Renouvelez-les sur {link}",
                sms.unwrap_or_default(),
                french_date(*end_date)
            ),
            (Notice::DraftIdle { first_name, link }, Channel::Email) => format!(
                "Bonjour {first_name},\n\nVotre demande de renouvellement est commencée mais pas envoyée. Reprenez-la là où vous l'avez laissée : {link}{SIGNATURE}"
            ),
            (Notice::PasswordReset { first_name, link }, Channel::Email) => format!(
                "Bonjour {first_name},\n\nVous avez demandé à changer le mot de passe de votre compte partenaire. Choisissez-en un nouveau dans l'heure : {link}\n\nCe lien ne sert qu'une fois. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe actuel reste valable.{SIGNATURE}"
            ),
            (
                Notice::Incident {
                    caisse,
                    notify_cnil_by,
                    link,
                },
                Channel::Email,
            ) => format!(
                "Bonjour Madame, Monsieur le délégué à la protection des données,\n\nUne violation de données à caractère personnel a été déclarée pour la caisse {caisse}. Si elle présente un risque pour les personnes, la CNIL doit en être notifiée au plus tard le {notify_cnil_by} (RGPD art. 33). Le registre des violations en donne la description : {link}{SIGNATURE}"
            ),
            (Notice::DraftIdle { link, .. }, Channel::Sms) => {
                format!("{} Reprenez-la sur {link}", sms.unwrap_or_default())
            }
            (Notice::DocumentsRequested { first_name, link }, Channel::Email) => format!(
                "Bonjour {first_name},\n\nVotre caisse a besoin de pièces justificatives pour instruire votre demande de renouvellement. Connectez-vous pour voir lesquelles et les déposer : {link}{SIGNATURE}"
            ),
            (Notice::Decision { first_name, link }, Channel::Email) => format!(
                "Bonjour {first_name},\n\nVotre caisse a pris une décision sur votre demande de Complémentaire santé solidaire. Connectez-vous pour la consulter : {link}{SIGNATURE}"
            ),
            (
                Notice::PartnerFiled {
                    first_name,
                    organisation,
                    link,
                },
                Channel::Email,
            ) => format!(
                "Bonjour {first_name},\n\nL'organisme {organisation} agit pour votre demande de renouvellement de la Complémentaire santé solidaire, avec votre accord. Vous pouvez suivre votre demande, et retirer cet accès à tout moment : {link}{SIGNATURE}"
            ),
            (Notice::Message { first_name, link }, Channel::Email) => format!(
                "Bonjour {first_name},\n\nVous avez reçu un nouveau message sur C2S en ligne. Connectez-vous pour le lire : {link}{SIGNATURE}"
            ),
            (Notice::RequestAnswered { first_name, link }, Channel::Email) => format!(
                "Bonjour {first_name},\n\nLa caisse a répondu à une demande de votre organisme. Consultez sa réponse dans votre espace partenaire : {link}{SIGNATURE}"
            ),
            (
                Notice::DocumentsRequested { link, .. }
                | Notice::Decision { link, .. }
                | Notice::PartnerFiled { link, .. }
                | Notice::Message { link, .. },
                Channel::Sms,
            ) => format!("{} Voir sur {link}", sms.unwrap_or_default()),
            (_, Channel::Sms) => return Err(wrong),
        };
        Ok(Rendered {
            subject: match channel {
                Channel::Email => subject.to_owned(),
                Channel::Sms => String::new(),
            },
            text,
        })
    }

    fn check(&self) -> Result<(), NoticeError> {
        let (names, link): (&[(&'static str, &String)], &String) = match self {
            Notice::PartnerActivation {
                first_name,
                organisation,
                link,
            } => (
                &[("first_name", first_name), ("organisation", organisation)],
                link,
            ),
            Notice::PartnerFiled {
                first_name,
                organisation,
                link,
            } => (
                &[("first_name", first_name), ("organisation", organisation)],
                link,
            ),
            Notice::PasswordReminder { first_name, link }
            | Notice::RightsEnding {
                first_name, link, ..
            }
            | Notice::DraftIdle { first_name, link }
            | Notice::DocumentsRequested { first_name, link }
            | Notice::Decision { first_name, link }
            | Notice::Message { first_name, link }
            | Notice::RequestAnswered { first_name, link }
            | Notice::PasswordReset { first_name, link } => (&[("first_name", first_name)], link),
            Notice::Incident {
                caisse,
                notify_cnil_by,
                link,
            } => (
                &[("caisse", caisse), ("notify_cnil_by", notify_cnil_by)],
                link,
            ),
        };
        for (what, value) in names {
            let fine = !value.trim().is_empty()
                && value.chars().count() <= 120
                && !value.chars().any(char::is_control);
            if !fine {
                return Err(NoticeError::BadVariable(what));
            }
        }
        let fine = (link.starts_with("https://") || link.starts_with("http://"))
            && link.len() <= 500
            && !link.chars().any(|c| c.is_whitespace() || c.is_control());
        if !fine {
            return Err(NoticeError::BadVariable("link"));
        }
        Ok(())
    }
}

/// The kind of template a sent message came from: by its subject (email) or its opening
/// (SMS). The dev server labels what the emulator says was sent with it.
pub fn recognise(channel: Channel, subject: &str, text: &str) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|(_, s, sms)| match channel {
            Channel::Email => *s == subject,
            Channel::Sms => sms.is_some_and(|o| text.starts_with(o)),
        })
        .map(|(k, _, _)| *k)
}

/// "1er juin 2026", "31 mai 2026".
pub fn french_date(d: Date) -> String {
    let month = match d.month() {
        Month::January => "janvier",
        Month::February => "février",
        Month::March => "mars",
        Month::April => "avril",
        Month::May => "mai",
        Month::June => "juin",
        Month::July => "juillet",
        Month::August => "août",
        Month::September => "septembre",
        Month::October => "octobre",
        Month::November => "novembre",
        Month::December => "décembre",
    };
    match d.day() {
        1 => format!("1er {month} {}", d.year()),
        day => format!("{day} {month} {}", d.year()),
    }
}

/// A French mobile number in E.164, as SMS providers want it: `06 12 34 56 78` →
/// `+33612345678`; the overseas departments' mobiles get their own country code.
pub fn mobile_e164(phone: &str) -> Result<String, NoticeError> {
    let compact: String = phone
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let national = if let Some(rest) = compact.strip_prefix("+33") {
        format!("0{rest}")
    } else if let Some(rest) = compact.strip_prefix("0033") {
        format!("0{rest}")
    } else if let Some(digits) = compact.strip_prefix('+') {
        let fine = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        return fine.then_some(compact).ok_or(NoticeError::NotAMobile);
    } else {
        compact
    };
    if national.len() != 10 || !national.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NoticeError::NotAMobile);
    }
    let country = match &national[..4] {
        "0639" | "0692" | "0693" => "262",
        "0690" | "0691" => "590",
        "0694" => "594",
        "0696" | "0697" => "596",
        p if p.starts_with("06") || p.starts_with("07") => "33",
        _ => return Err(NoticeError::NotAMobile),
    };
    let subscriber = &national[1..];
    // Overseas numbers keep their national digits after the country code (0692… → +262692…).
    Ok(format!("+{country}{subscriber}"))
}

mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        crate::dates::parse_date(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn every_notice() -> Vec<Notice> {
        vec![
            Notice::PartnerActivation {
                first_name: "Alix".into(),
                organisation: "CCAS de Rouen".into(),
                link: "https://c2s.ameli.fr/partenaire/activation#abc123".into(),
            },
            Notice::PasswordReminder {
                first_name: "Alix".into(),
                link: "https://c2s.ameli.fr/partenaire/mot-de-passe".into(),
            },
            Notice::RightsEnding {
                first_name: "Marie".into(),
                end_date: date!(2026 - 06 - 01),
                link: "https://c2s.ameli.fr".into(),
            },
            Notice::DraftIdle {
                first_name: "Marie".into(),
                link: "https://c2s.ameli.fr".into(),
            },
            Notice::DocumentsRequested {
                first_name: "Marie".into(),
                link: "https://c2s.ameli.fr".into(),
            },
            Notice::Decision {
                first_name: "Marie".into(),
                link: "https://c2s.ameli.fr".into(),
            },
            Notice::PartnerFiled {
                first_name: "Marie".into(),
                organisation: "CCAS de Rouen".into(),
                link: "https://c2s.ameli.fr".into(),
            },
            Notice::Message {
                first_name: "Marie".into(),
                link: "https://c2s.ameli.fr".into(),
            },
            Notice::RequestAnswered {
                first_name: "Alix".into(),
                link: "https://c2s.ameli.fr".into(),
            },
            Notice::PasswordReset {
                first_name: "Alix".into(),
                link: "https://c2s.ameli.fr/partenaire/nouveau-mot-de-passe#abc123".into(),
            },
            Notice::Incident {
                caisse: "rouen-elbeuf-dieppe".into(),
                notify_cnil_by: "2026-12-05T10:00:00Z".into(),
                link: "https://c2s.ameli.fr/agent/incidents".into(),
            },
        ]
    }

    #[test]
    fn only_reminders_may_be_opposed() {
        let optional: Vec<&str> = every_notice()
            .iter()
            .filter(|n| n.optional())
            .map(Notice::kind)
            .collect();
        assert_eq!(optional, ["rights_ending", "draft_idle"]);
    }

    #[test]
    fn every_kind_renders_in_french_and_says_which_template_it_came_from() {
        for notice in every_notice() {
            let email = notice
                .render(Channel::Email)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(email.text.starts_with("Bonjour "), "{}", email.text);
            assert!(email.text.contains("https://c2s.ameli.fr"));
            assert_eq!(
                recognise(Channel::Email, &email.subject, &email.text),
                Some(notice.kind())
            );
            if let Ok(sms) = notice.render(Channel::Sms) {
                assert_eq!(sms.subject, "");
                assert!(sms.text.ends_with(" https://c2s.ameli.fr"), "{}", sms.text);
                assert!(sms.text.chars().count() <= 160, "{}", sms.text);
                assert!(!sms.text.contains("Marie"), "no name in an SMS");
                assert_eq!(recognise(Channel::Sms, "", &sms.text), Some(notice.kind()));
            }
        }
        assert_eq!(recognise(Channel::Email, "Autre chose", ""), None);
        assert_eq!(recognise(Channel::Sms, "", "Bonjour"), None);
    }

    #[test]
    fn the_activation_email_carries_its_link_whole() {
        let email = every_notice()[0]
            .render(Channel::Email)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(email
            .text
            .contains(" : https://c2s.ameli.fr/partenaire/activation#abc123\n"));
        assert_eq!(email.text.matches('#').count(), 1, "only the token's #");
    }

    #[test]
    fn the_rights_end_date_is_written_in_french() {
        let sms = every_notice()[2]
            .render(Channel::Sms)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sms.text, "C2S en ligne : vos droits à la Complémentaire santé solidaire prennent fin le 1er juin 2026. Renouvelez-les sur https://c2s.ameli.fr");
        assert_eq!(french_date(date!(2026 - 08 - 31)), "31 août 2026");
    }

    #[test]
    fn partner_notices_never_go_by_sms() {
        for notice in &every_notice()[..2] {
            assert!(matches!(
                notice.render(Channel::Sms),
                Err(NoticeError::WrongChannel { channel: "sms", .. })
            ));
        }
    }

    #[test]
    fn unusable_variables_are_refused() {
        let with = |first_name: &str, link: &str| Notice::DraftIdle {
            first_name: first_name.into(),
            link: link.into(),
        };
        for (notice, what) in [
            (with("", "https://x"), "first_name"),
            (with("Marie\nBcc: x", "https://x"), "first_name"),
            (with("Marie", "javascript:alert(1)"), "link"),
            (with("Marie", "https://x y"), "link"),
        ] {
            assert_eq!(
                notice.render(Channel::Email),
                Err(NoticeError::BadVariable(what))
            );
        }
    }

    #[test]
    fn the_outbox_shape_is_kind_and_data() {
        let notice = every_notice()[2].clone();
        let json = serde_json::to_value(&notice).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"kind": "rights_ending", "data": {"first_name": "Marie", "end_date": "2026-06-01", "link": "https://c2s.ameli.fr"}})
        );
        let back: Result<Notice, _> = serde_json::from_value(json);
        assert_eq!(back.ok(), Some(notice));
        let unknown = serde_json::json!({"kind": "unknown_kind", "data": {}});
        assert!(serde_json::from_value::<Notice>(unknown).is_err());
    }

    #[test]
    fn mobiles_are_written_in_e164() {
        for (given, expected) in [
            ("0612345678", "+33612345678"),
            ("07 12 34 56 78", "+33712345678"),
            ("06.12.34.56.78", "+33612345678"),
            ("+33612345678", "+33612345678"),
            ("0033612345678", "+33612345678"),
            ("0692123456", "+262692123456"),
            ("0690123456", "+590690123456"),
            ("0696123456", "+596696123456"),
            ("+32470123456", "+32470123456"),
        ] {
            assert_eq!(mobile_e164(given).as_deref(), Ok(expected), "{given}");
        }
        for bad in ["0112345678", "061234567", "06123456789", "abc", "+33", ""] {
            assert_eq!(mobile_e164(bad), Err(NoticeError::NotAMobile), "{bad}");
        }
    }
}
