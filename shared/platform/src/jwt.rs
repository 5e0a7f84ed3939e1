//! The JWT crate's cryptography on `ring`, the provider rustls already links, for the only two
//! algorithms the service uses: ES256 (our own tokens, signed and verified) and RS256 (the
//! agents' identity provider, verified only). The crate's own providers would link RSA,
//! P-384 and Ed25519 code besides, and an RSA implementation with a known advisory
//! (RUSTSEC-2023-0071); any other algorithm is refused here.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_2048_8192_SHA256,
};

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    // No JWK is made from a private key, nor any thumbprint computed.
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes this provider the process's; called before any token is signed or checked. A second
/// call, or another provider installed first, changes nothing.
pub fn install() {
    let _ = PROVIDER.install_default();
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    if *algorithm != Algorithm::ES256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    if key.family() != AlgorithmFamily::Ec {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key.as_bytes(), &rng)
        .map_err(|_| Error::from(ErrorKind::InvalidEcdsaKey))?;
    Ok(Box::new(Es256Signer { pair, rng }))
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let key = match (algorithm, key.family(), key.kind()) {
        (Algorithm::ES256, AlgorithmFamily::Ec, DecodingKeyKind::SecretOrDer(point)) => {
            PublicKey::Es256(point.clone())
        }
        (Algorithm::RS256, AlgorithmFamily::Rsa, DecodingKeyKind::SecretOrDer(der)) => {
            PublicKey::Rs256Der(der.clone())
        }
        (Algorithm::RS256, AlgorithmFamily::Rsa, DecodingKeyKind::RsaModulusExponent { n, e }) => {
            PublicKey::Rs256Components {
                n: n.clone(),
                e: e.clone(),
            }
        }
        (Algorithm::ES256 | Algorithm::RS256, _, _) => {
            return Err(ErrorKind::InvalidKeyFormat.into())
        }
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(Box::new(key))
}

struct Es256Signer {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Signer<Vec<u8>> for Es256Signer {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        self.pair
            .sign(&self.rng, msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

enum PublicKey {
    /// An uncompressed SEC1 point, as the crate reads it from a PEM or a JWK.
    Es256(Vec<u8>),
    /// A PKCS#1 `RSAPublicKey`.
    Rs256Der(Vec<u8>),
    Rs256Components {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

impl Verifier<Vec<u8>> for PublicKey {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        let checked = match self {
            PublicKey::Es256(point) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(msg, sig)
            }
            PublicKey::Rs256Der(der) => {
                UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).verify(msg, sig)
            }
            PublicKey::Rs256Components { n, e } => {
                RsaPublicKeyComponents { n, e }.verify(&RSA_PKCS1_2048_8192_SHA256, msg, sig)
            }
        };
        checked.map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for PublicKey {
    fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Es256(_) => Algorithm::ES256,
            PublicKey::Rs256Der(_) | PublicKey::Rs256Components { .. } => Algorithm::RS256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, encode, Header, Validation};
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use serde_json::{json, Value};

    fn es256_keys() -> (EncodingKey, DecodingKey) {
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let private = secret
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap_or_else(|e| panic!("pem: {e}"));
        let public = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_else(|e| panic!("pem: {e}"));
        let enc = EncodingKey::from_ec_pem(private.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let dec = DecodingKey::from_ec_pem(public.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        (enc, dec)
    }

    fn claims() -> Value {
        json!({"sub": "s", "exp": 4_000_000_000u64})
    }

    fn validation(alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.required_spec_claims.clear();
        v.validate_aud = false;
        v
    }

    #[test]
    fn es256_tokens_are_signed_and_verified_and_a_changed_one_is_refused() {
        install();
        let (enc, dec) = es256_keys();
        let token = encode(&Header::new(Algorithm::ES256), &claims(), &enc)
            .unwrap_or_else(|e| panic!("sign: {e}"));
        let read = decode::<Value>(&token, &dec, &validation(Algorithm::ES256))
            .map(|d| d.claims["sub"].clone());
        assert_eq!(read.ok(), Some(json!("s")));
        // Another key's signature, and a signature over other claims, are refused.
        let (_, other) = es256_keys();
        assert!(decode::<Value>(&token, &other, &validation(Algorithm::ES256)).is_err());
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = jsonwebtoken::encode(
            &Header::new(Algorithm::ES256),
            &json!({"sub": "t", "exp": 4_000_000_000u64}),
            &enc,
        )
        .unwrap_or_default();
        parts[1] = forged.split('.').nth(1).unwrap_or_default();
        assert!(decode::<Value>(&parts.join("."), &dec, &validation(Algorithm::ES256)).is_err());
    }

    #[test]
    fn algorithms_other_than_es256_and_rs256_are_refused() {
        install();
        let (enc, _) = es256_keys();
        let hs = encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"k"),
        );
        assert!(hs.is_err());
        assert!(encode(&Header::new(Algorithm::ES384), &claims(), &enc).is_err());
    }

    /// RS256 as an identity provider signs it: a token signed with `openssl dgst -sha256
    /// -sign` by a 2048-bit key made for this test, verified from its JWK (n, e) and from its
    /// PKCS#1 PEM.
    #[test]
    fn rs256_is_verified_from_a_jwk_and_from_a_pem() {
        install();
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(json!({"kty": "RSA", "n": RSA_N, "e": "AQAB"}))
                .unwrap_or_else(|e| panic!("jwk: {e}"));
        let from_jwk = DecodingKey::from_jwk(&jwk).unwrap_or_else(|e| panic!("key: {e}"));
        let from_pem =
            DecodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap_or_else(|e| panic!("key: {e}"));
        let token = format!("{RSA_HEADER}.{RSA_PAYLOAD}.{RSA_SIG}");
        for key in [&from_jwk, &from_pem] {
            let read = decode::<Value>(&token, key, &validation(Algorithm::RS256))
                .map(|d| d.claims["sub"].clone());
            assert_eq!(read.ok(), Some(json!("agent-1")));
            // The same signature over other claims is refused.
            let other = format!("{RSA_HEADER}.e30.{RSA_SIG}");
            assert!(decode::<Value>(&other, key, &validation(Algorithm::RS256)).is_err());
        }
    }

    const RSA_HEADER: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0";
    const RSA_PAYLOAD: &str = "eyJzdWIiOiJhZ2VudC0xIiwiZXhwIjo0MDAwMDAwMDAwfQ";
    const RSA_SIG: &str = "f-iqZ0n8dRIEBvwRDNP6taIOvKqV3B9RDzYCtUBUfJvmJ8i9SfIrgwwXgLfwKCJFAB_ZZZrT6t354aLiRRo_kmxl6frEpcfNcXns975_OAemVLf6eJ2FbRS6WKBLIZqIE2e0Rr6XVMjpDSBI_tM5HIpM5GmpadGGpodvAMXAaFYuyO3X3J9B-_izXm1IFjBhn9Q2QPdG4gNY7wOE4Cagb8V2u9pJaZ4wuQGD72zdKB-QFxlvnm1tcwaz8sbhxBy2TVWavNSTEHpto_wor8VRpMgGpsZiWc52GozvVP2nEKIN5A5sJeYztU2k0skqPXjm-vxsJ3RUFj5ipFnHsdklPA";
    const RSA_N: &str = "zIxWiPX5nFhiU87JstLYIPe6BhgSixrkGfA2ZLpEck_576bXCLEQQRSXrqOG461MXOtXmSgGfYVhN8AtseAj5L395uFkEs73L_3825zh9UdM-LGr1NQq1c3kfcC1adzNudHFMYqLA926xspteXmpInkXr7-WMmd42_Nm5uor0mHzaaZqiw5Ruw4yyz3uaAFGfsE45zx4NinTb2qYN8NyPkfI-murGqGl-E6flaGSRA34n2E5JVXJd6pgJVex-l-P0rIAfzqhkjK-xBT2JuTvM5GRTEWyPpjVsDHrdwEQbXEXauJlDIq-EBDM2kJTdL8sk6B0h_8qoM_2ThhkXM2aRQ";
    const RSA_PEM: &str = "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAzIxWiPX5nFhiU87JstLYIPe6BhgSixrkGfA2ZLpEck/576bXCLEQ\nQRSXrqOG461MXOtXmSgGfYVhN8AtseAj5L395uFkEs73L/3825zh9UdM+LGr1NQq\n1c3kfcC1adzNudHFMYqLA926xspteXmpInkXr7+WMmd42/Nm5uor0mHzaaZqiw5R\nuw4yyz3uaAFGfsE45zx4NinTb2qYN8NyPkfI+murGqGl+E6flaGSRA34n2E5JVXJ\nd6pgJVex+l+P0rIAfzqhkjK+xBT2JuTvM5GRTEWyPpjVsDHrdwEQbXEXauJlDIq+\nEBDM2kJTdL8sk6B0h/8qoM/2ThhkXM2aRQIDAQAB\n-----END RSA PUBLIC KEY-----";
}
