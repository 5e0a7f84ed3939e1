//! Small validated text types shared by the inbound file and the forms.

use serde::{Deserialize, Serialize};

/// A person's name: letters (any script), spaces, hyphens, apostrophes, dots; 1 to 100 chars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn parse(s: &str) -> Option<Name> {
        let t = s.trim();
        let n = t.chars().count();
        let ok = (1..=100).contains(&n)
            && t.chars().any(char::is_alphabetic)
            && t.chars()
                .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'));
        ok.then(|| Name(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Option<Email> {
        let t = s.trim().to_lowercase();
        let (local, domain) = t.rsplit_once('@')?;
        let ok = t.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !t.chars().any(|c| c.is_whitespace() || c.is_control())
            && !local.contains('@');
        ok.then_some(Email(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

/// A phone number kept as digits with an optional leading `+` (8 to 15 digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Option<Phone> {
        let t: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect();
        let digits = t.strip_prefix('+').unwrap_or(&t);
        let ok = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then_some(Phone(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An identifier chosen by a system: lower-case letters, digits and hyphens.
pub fn is_slug(s: &str, max: usize) -> bool {
    (2..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A secret the user types (renewal code, IBAN digits, Vitale serial): case, spaces and
/// hyphens do not matter, so a code read off a letter is accepted as typed.
pub fn normalize_secret(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A value for a cell of an exported table: one that a spreadsheet would read as a formula
/// (`=`, `+`, `-`, `@`, or a tab or carriage return first) gets a leading `'`, so it shows as
/// typed and never runs (OWASP's CSV injection advice).
pub fn inert_in_spreadsheet(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_stay_text_in_a_spreadsheet() {
        for formula in [
            "=HYPERLINK(\"https://exemple.fr\")",
            "+33 6 12",
            "-2+3",
            "@SOMME(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(inert_in_spreadsheet(formula), format!("'{formula}"));
        }
        for plain in ["Durand", "a=b", " =1", "", "'=1"] {
            assert_eq!(inert_in_spreadsheet(plain), plain);
        }
    }

    #[test]
    fn names() {
        assert!(Name::parse("Jean-Édouard").is_some());
        assert!(Name::parse("N'Diaye").is_some());
        assert!(Name::parse("  ").is_none());
        assert!(Name::parse("R2D2").is_none());
        assert!(Name::parse(&"a".repeat(101)).is_none());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Marie.Durand@Exemple.fr ").map(|e| e.domain().to_owned()),
            Some("exemple.fr".into())
        );
        assert!(Email::parse("marie@").is_none());
        assert!(Email::parse("marie durand@exemple.fr").is_none());
        assert!(Email::parse("marie@exemple").is_none());
    }

    #[test]
    fn phones() {
        assert!(Phone::parse("06 12 34 56 78").is_some());
        assert!(Phone::parse("+33 6 12 34 56 78").is_some());
        assert!(Phone::parse("12").is_none());
        assert!(Phone::parse("06 12 AB 56 78").is_none());
    }

    #[test]
    fn secrets_ignore_case_spaces_and_hyphens() {
        assert_eq!(normalize_secret("ab12-cd 34"), "AB12CD34");
    }
}

/// True when the text holds a NIR however it is written: free text must never carry one.
/// Two looks: 13 to 15 digits standing apart (spaces, dots or hyphens between them, Corsican
/// 2A/2B included), whatever their key; and, once the text is normalised (NFKC: full-width
/// digits become digits) and stripped of everything but letters and digits, any 15
/// characters that form a NIR with its valid key, even stuck to letters (`NIR284…`) or cut
/// by non-breaking spaces, `/`, `_`, `,` or new lines.
pub fn contains_nir_like(text: &str) -> bool {
    spaced_nir_shape(text) || hidden_valid_nir(text)
}

fn hidden_valid_nir(text: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let chars: Vec<char> = text
        .nfkc()
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    chars.windows(15).any(|w| {
        // Cheap filters first: a NIR starts with its sex digit and holds 13 digits at least.
        matches!(w[0], '1' | '2' | '3' | '4' | '7' | '8')
            && w.iter().filter(|c| c.is_ascii_digit()).count() >= 13
            && crate::nir::Nir::parse(&w.iter().collect::<String>()).is_ok()
    })
}

fn spaced_nir_shape(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], '1' | '2' | '3' | '4' | '7' | '8')
            && (i == 0 || !chars[i - 1].is_ascii_alphanumeric())
        {
            let mut count = 0;
            let mut j = i;
            while j < chars.len() {
                let c = chars[j].to_ascii_uppercase();
                let corsica = (c == 'A' || c == 'B') && count == 6;
                if c.is_ascii_digit() || corsica {
                    count += 1;
                } else if !matches!(c, ' ' | '.' | '-') || count >= 15 {
                    break;
                }
                j += 1;
            }
            if (13..=15).contains(&count) {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// Words that reveal health data, which has no place in free-text comments (notes,
/// signalements): found as whole words, or word starts for the stems.
const HEALTH_TERMS: &[&str] = &[
    "maladie",
    "malade",
    "cancer",
    "tumeur",
    "diabète",
    "diabetique",
    "diabétique",
    "vih",
    "sida",
    "séropositif",
    "séropositive",
    "hépatite",
    "dépression",
    "dépressif",
    "psychiatr",
    "schizophr",
    "bipolaire",
    "alzheimer",
    "parkinson",
    "handicap",
    "grossesse",
    "enceinte",
    "ivg",
    "chimiothérapie",
    "chimio",
    "dialyse",
    "hospitalis",
    "opération",
    "chirurgi",
    "traitement",
    "médicament",
    "addiction",
    "alcoolique",
    "toxicomane",
    "ald",
    "invalidité",
    "pathologie",
    "diagnostic",
];

/// The health terms found in a text (lower-cased), to warn its author.
pub fn health_terms(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    HEALTH_TERMS
        .iter()
        .copied()
        .filter(|t| {
            words.iter().any(|w| {
                if t.len() <= 4 {
                    w == t
                } else {
                    w.starts_with(t)
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod free_text_tests {
    use super::*;

    #[test]
    fn nir_shaped_numbers_are_found_in_any_spacing() {
        assert!(contains_nir_like(
            "son numéro est 1 84 05 75 123 456 28, merci"
        ));
        assert!(contains_nir_like("1840575123456"));
        assert!(contains_nir_like("2-84-05-2A-123-456"));
        assert!(!contains_nir_like(
            "dossier 12345, rappel au 06 12 34 56 78"
        ));
        assert!(!contains_nir_like("IBAN FR76 3000 6000 0112 3456 7890 189"));
        assert!(!contains_nir_like("montant 1200 euros le 2026-11-23"));
    }

    /// A NIR with a valid key, built from its 13 first digits.
    fn with_key(first13: &str) -> String {
        format!("{first13}{:02}", crate::nir::key_of(first13))
    }

    #[test]
    fn a_valid_nir_is_found_however_it_is_glued_or_cut() {
        let nir = with_key("1840575123456");
        let spaced = format!(
            "{} {} {} {} {} {} {}",
            &nir[0..1],
            &nir[1..3],
            &nir[3..5],
            &nir[5..7],
            &nir[7..10],
            &nir[10..13],
            &nir[13..]
        );
        for text in [
            format!("NIR{nir}"),
            format!("numéro:{nir}merci"),
            spaced.replace(' ', "\u{a0}"),
            spaced.replace(' ', "/"),
            spaced.replace(' ', "_"),
            spaced.replace(' ', ","),
            spaced.replace(' ', "\n"),
            spaced.replace(' ', "\u{202f}"),
            nir.chars()
                .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c))
                .collect(),
            format!("x{}", with_key("284052A123456")),
        ] {
            assert!(contains_nir_like(&text), "not found in {text:?}");
        }
    }

    #[test]
    fn health_terms_are_found_as_words() {
        assert_eq!(
            health_terms("Personne hospitalisée, sous traitement"),
            ["hospitalis", "traitement"]
        );
        assert_eq!(health_terms("ALD en cours"), ["ald"]);
        assert!(health_terms("Valdemar a rappelé, dossier complet").is_empty());
    }
}

#[cfg(test)]
mod nir_spelling_properties {
    use super::contains_nir_like;
    use crate::nir::key_of;
    use proptest::prelude::*;

    /// Separators people (or someone dodging the filter) put in a number.
    const SEPARATORS: &[&str] = &[
        "", " ", "\u{a0}", "\u{202f}", "/", "_", ",", "\n", ".", "-", "\t", " / ",
    ];

    fn first13() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!['1', '2']),
            0u8..100,
            1u8..13,
            1u8..96,
            0u32..1_000_000,
        )
            .prop_map(|(sex, year, month, dep, rest)| {
                format!("{sex}{year:02}{month:02}{dep:02}{rest:06}")
            })
    }

    proptest! {
        /// Whatever separators cut a valid NIR, whatever letters stick to it, in ASCII or
        /// full-width digits, it is found.
        #[test]
        fn a_valid_nir_is_found_in_any_spelling(
            first13 in first13(),
            cuts in prop::collection::vec(prop::sample::select(SEPARATORS), 14),
            prefix in "[A-Za-zé°:]{0,4}",
            suffix in "[A-Za-z ]{0,4}",
            wide in any::<bool>(),
        ) {
            let nir = format!("{first13}{:02}", key_of(&first13));
            let mut text = prefix.clone();
            for (i, c) in nir.chars().enumerate() {
                let c = if wide { char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c) } else { c };
                text.push(c);
                if i < 14 {
                    text.push_str(cuts[i]);
                }
            }
            text.push_str(&suffix);
            prop_assert!(contains_nir_like(&text), "not found in {:?}", text);
        }
    }
}
