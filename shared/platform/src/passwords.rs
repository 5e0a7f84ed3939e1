//! Partner passwords: argon2id hashes (PHC strings with their salt and parameters).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::OsRng;

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password; an absent hash is checked against a fixed one, so an unknown account
/// costs the same time as a known one.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Q9k1pW5q8oZbC3K3Xr1xvQ3mZ3Yb0i3m8y6n0s2c1A";
    let Ok(parsed) = PasswordHash::new(stored.unwrap_or(DUMMY)) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && stored.is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_and_are_salted() {
        let a = super::hash("Le chat dort sur 3 coussins").unwrap_or_default();
        let b = super::hash("Le chat dort sur 3 coussins").unwrap_or_default();
        assert!(a.starts_with("$argon2id$") && a != b);
        assert!(super::verify("Le chat dort sur 3 coussins", Some(&a)));
        assert!(!super::verify("Le chat dort sur 3 coussin", Some(&a)));
        assert!(!super::verify("anything", None));
    }
}
