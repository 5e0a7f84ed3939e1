//! Keyed hashes (HMAC-SHA256) for what must be found but never stored in clear: the NIR in
//! table keys, and the renewal code, IBAN digits and Vitale serial compared at sign-in.

use crate::env::{ConfigError, Env, SecretString};
use c2s_domain::Nir;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

#[derive(Clone, Debug)]
pub struct Hasher {
    key: SecretString,
}

/// What a hash is of: the same value hashed for two purposes gives two unrelated hashes.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Nir,
    RenewalCode,
    IbanLast4,
    VitaleSerial,
    ClientAddress,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Nir => b"nir\0",
            Purpose::RenewalCode => b"renewal_code\0",
            Purpose::IbanLast4 => b"iban_last4\0",
            Purpose::VitaleSerial => b"vitale_serial\0",
            Purpose::ClientAddress => b"client_address\0",
        }
    }
}

impl Hasher {
    /// The key of the NIR and the letter's secrets (`HASH_KEY`).
    pub fn from_env(env: &Env) -> Result<Hasher, ConfigError> {
        Self::from_variable(env, "HASH_KEY")
    }

    /// The key of client addresses only (`ADDRESS_KEY`), so that the public estimate holds
    /// no key that could hash a NIR.
    pub fn for_addresses(env: &Env) -> Result<Hasher, ConfigError> {
        Self::from_variable(env, "ADDRESS_KEY")
    }

    fn from_variable(env: &Env, name: &str) -> Result<Hasher, ConfigError> {
        let key = env.require(name)?;
        if key.len() < 32 {
            return Err(ConfigError::Invalid(name.into()));
        }
        Ok(Hasher {
            key: SecretString::new(key),
        })
    }

    pub fn hash(&self, purpose: Purpose, value: &str) -> String {
        hex::encode(self.mac(purpose, value))
    }

    pub fn nir(&self, nir: &Nir) -> String {
        self.hash(Purpose::Nir, nir.as_str())
    }

    /// Constant-time comparison of a typed value with a stored hash.
    pub fn verify(&self, purpose: Purpose, value: &str, stored_hex: &str) -> bool {
        let Ok(stored) = hex::decode(stored_hex) else {
            return false;
        };
        let computed = self.mac(purpose, value);
        computed.len() == stored.len() && bool::from(computed.ct_eq(&stored))
    }

    fn mac(&self, purpose: Purpose, value: &str) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.key.expose().as_bytes()) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        mac.update(purpose.label());
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn hasher(key: &str) -> Hasher {
        let env = Env::from_map(HashMap::from([("HASH_KEY".to_owned(), key.to_owned())]));
        Hasher::from_env(&env).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn keyed_and_separated_by_purpose() {
        let h = hasher(&"k".repeat(32));
        let a = h.hash(Purpose::RenewalCode, "ABC123");
        assert!(h.verify(Purpose::RenewalCode, "ABC123", &a));
        assert!(!h.verify(Purpose::RenewalCode, "ABC124", &a));
        assert!(!h.verify(Purpose::IbanLast4, "ABC123", &a));
        assert!(!hasher(&"j".repeat(32)).verify(Purpose::RenewalCode, "ABC123", &a));
        assert!(!h.verify(Purpose::RenewalCode, "ABC123", "not-hex"));
    }

    #[test]
    fn short_keys_are_refused() {
        let env = Env::from_map(HashMap::from([("HASH_KEY".to_owned(), "short".to_owned())]));
        assert!(Hasher::from_env(&env).is_err());
    }
}
