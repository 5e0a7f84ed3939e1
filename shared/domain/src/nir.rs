//! The NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale").
//! It is personal data: no `Display`, a redacted `Debug`, and `masked()` for screens.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nir(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NirError {
    #[error("Le NIR doit compter 15 caractères.")]
    Length,
    #[error("Le NIR contient des caractères non autorisés.")]
    Characters,
    #[error("Le NIR est mal formé.")]
    Format,
    #[error("La clé du NIR ne correspond pas.")]
    Key,
}

impl NirError {
    pub fn code(self) -> &'static str {
        match self {
            NirError::Length => "nir_length",
            NirError::Characters => "nir_characters",
            NirError::Format => "nir_format",
            NirError::Key => "nir_key",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            NirError::Length => "Le NIR doit compter 15 caractères.",
            NirError::Characters => "Le NIR contient des caractères non autorisés.",
            NirError::Format => "Le NIR est mal formé.",
            NirError::Key => "La clé du NIR ne correspond pas.",
        }
    }
}

impl Nir {
    /// Accepts spaces anywhere and lower-case Corsican departments (2a, 2b).
    pub fn parse(input: &str) -> Result<Nir, NirError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if s.chars().count() != 15 {
            return Err(NirError::Length);
        }
        let b = s.as_bytes();
        for (i, c) in b.iter().enumerate() {
            let corsica = i == 6 && b[5] == b'2' && (*c == b'A' || *c == b'B');
            if !(c.is_ascii_digit() || corsica) {
                return Err(NirError::Characters);
            }
        }
        if !matches!(b[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
            return Err(NirError::Format);
        }
        let month = two_digits(&b[3..5]);
        if !(matches!(month, 1..=12 | 20..=42 | 50..=99)) {
            return Err(NirError::Format);
        }
        if key_of(&s[..13]) != u64::from(two_digits(&b[13..15])) {
            return Err(NirError::Key);
        }
        Ok(Nir(s))
    }

    /// The 15 characters, for hashing and for the exchange files only.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a screen may show: sex, year and month of birth, the key; the rest hidden.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!(
            "{} {} {} ** *** *** {}",
            &s[0..1],
            &s[1..3],
            &s[3..5],
            &s[13..15]
        )
    }

    pub fn birth_year_two_digits(&self) -> u8 {
        two_digits(&self.0.as_bytes()[1..3])
    }

    /// The birth month when the NIR carries a real one (01 to 12).
    pub fn birth_month(&self) -> Option<u8> {
        let m = two_digits(&self.0.as_bytes()[3..5]);
        (1..=12).contains(&m).then_some(m)
    }
}

impl fmt::Debug for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nir(<redacted>)")
    }
}

fn two_digits(b: &[u8]) -> u8 {
    (b[0].wrapping_sub(b'0')) * 10 + b[1].wrapping_sub(b'0')
}

/// Key = 97 - (first 13 digits mod 97), with 2A read as 19 and 2B as 18.
pub fn key_of(first13: &str) -> u64 {
    let digits = first13.replacen("2A", "19", 1).replacen("2B", "18", 1);
    let n = digits.bytes().fold(0u64, |acc, c| {
        (acc * 10 + u64::from(c.wrapping_sub(b'0'))) % 97
    });
    97 - n
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_key(first13: &str) -> String {
        format!("{first13}{:02}", key_of(first13))
    }

    #[test]
    fn accepts_a_valid_nir_with_spaces() {
        let nir = with_key("1840575123456");
        let spaced = format!(
            "{} {} {} {} {} {} {}",
            &nir[0..1],
            &nir[1..3],
            &nir[3..5],
            &nir[5..7],
            &nir[7..10],
            &nir[10..13],
            &nir[13..15]
        );
        assert_eq!(Nir::parse(&spaced).map(|n| n.as_str().to_owned()), Ok(nir));
    }

    #[test]
    fn known_key() {
        // 1 84 05 75 123 456: 97 - (1840575123456 mod 97) = 25.
        assert_eq!(key_of("1840575123456"), 25);
        assert!(Nir::parse("184057512345625").is_ok());
        assert_eq!(Nir::parse("184057512345624"), Err(NirError::Key));
    }

    #[test]
    fn corsica_departments() {
        let a = with_key("284052A123456");
        let b = with_key("284052B123456");
        assert!(Nir::parse(&a).is_ok());
        assert!(Nir::parse(&b.to_lowercase()).is_ok());
        assert_ne!(a[13..], b[13..]);
        assert_eq!(
            Nir::parse(&with_key("2840533A12345")),
            Err(NirError::Characters)
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(Nir::parse("123"), Err(NirError::Length));
        assert_eq!(Nir::parse("18405751234562X"), Err(NirError::Characters));
        assert_eq!(
            Nir::parse(&with_key("5840575123456")),
            Err(NirError::Format)
        );
        assert_eq!(
            Nir::parse(&with_key("1841375123456")),
            Err(NirError::Format)
        );
        assert_eq!(Nir::parse("1840575123456é8"), Err(NirError::Characters));
    }

    #[test]
    fn debug_and_mask_hide_the_number() {
        let nir = Nir::parse("184057512345625").map_err(|e| e.code());
        let nir = nir.as_ref().map(|n| (format!("{n:?}"), n.masked()));
        assert_eq!(
            nir,
            Ok((
                "Nir(<redacted>)".to_owned(),
                "1 84 05 ** *** *** 25".to_owned()
            ))
        );
    }

    proptest! {
        #[test]
        fn every_body_with_its_key_parses(sex in prop::sample::select(vec!['1','2']), yy in 0u8..100, mm in 1u8..=12, rest in "[0-9]{8}") {
            let body = format!("{sex}{yy:02}{mm:02}{rest}");
            let nir = with_key(&body);
            let parsed = Nir::parse(&nir);
            prop_assert!(parsed.is_ok());
            let parsed = parsed.map_err(|e| TestCaseError::fail(e.code()))?;
            prop_assert_eq!(parsed.birth_month(), Some(mm));
            prop_assert_eq!(parsed.birth_year_two_digits(), yy);
        }

        #[test]
        fn any_single_digit_change_breaks_the_key(body in "[12][0-9]{2}(0[1-9]|1[0-2])[0-9]{8}", pos in 0usize..15, delta in 1u8..10) {
            let nir = with_key(&body);
            let mut bytes = nir.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).map_err(|_| TestCaseError::fail("utf8"))?;
            prop_assert!(Nir::parse(&changed).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Nir::parse(&s);
        }
    }
}
