//! Authenticated encryption of secrets: AES-256-GCM (RustCrypto).
//!
//! A sealed value is the standard base64 of
//!
//! ```text
//! 0x01 (format version) || nonce (12 random bytes) || ciphertext || tag (16 bytes)
//! ```
//!
//! The associated data is never stored: the caller rebuilds it from where the
//! value lives ([`secret_aad`], [`data_key_aad`]), so a sealed value copied to
//! another account, row, column or version fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore;

const FORMAT: u8 = 1;
const NONCE_LEN: usize = 12;

/// Why a sealed value did not open. Deliberately carries no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a sealed value failed to open (wrong key, moved, or tampered with)")]
pub struct OpenError;

/// Seals `plaintext` under `key`, binding `aad`.
pub fn seal(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> String {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("AES-GCM encryption cannot fail for in-memory inputs of this size");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(FORMAT);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    STANDARD.encode(out)
}

/// Opens a value sealed by [`seal`] with the same `key` and `aad`.
pub fn open(key: &[u8; 32], sealed: &str, aad: &[u8]) -> Result<Vec<u8>, OpenError> {
    let bytes = STANDARD.decode(sealed).map_err(|_| OpenError)?;
    if bytes.len() < 1 + NONCE_LEN + 16 || bytes[0] != FORMAT {
        return Err(OpenError);
    }
    let (nonce, ciphertext) = bytes[1..].split_at(NONCE_LEN);
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| OpenError)
}

/// Associated data of a secret column value.
pub fn secret_aad(account: i64, table: &str, row: i64, column: &str, version: i64) -> Vec<u8> {
    format!("mortar/secret/v1/{account}/{table}/{row}/{column}/{version}").into_bytes()
}

/// Associated data of an account's wrapped data key.
pub fn data_key_aad(account: i64) -> Vec<u8> {
    format!("mortar/data-key/v1/{account}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn sealed_values_open_only_with_their_key_and_place() {
        let aad = secret_aad(1, "passwords", 5, "password", 1);
        let sealed = seal(&KEY, b"hunter2", &aad);
        assert_eq!(open(&KEY, &sealed, &aad).unwrap(), b"hunter2");
        assert!(!sealed.contains("hunter2"));
        assert_eq!(open(&[8; 32], &sealed, &aad), Err(OpenError), "wrong key");
        for moved in [
            secret_aad(2, "passwords", 5, "password", 1),
            secret_aad(1, "passwords", 6, "password", 1),
            secret_aad(1, "passwords", 5, "otp_secret", 1),
            secret_aad(1, "passwords", 5, "password", 2),
        ] {
            assert_eq!(open(&KEY, &sealed, &moved), Err(OpenError));
        }
    }

    #[test]
    fn tampering_is_detected() {
        let aad = secret_aad(1, "passwords", 5, "password", 1);
        let sealed = seal(&KEY, b"hunter2", &aad);
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(open(&KEY, &STANDARD.encode(&bytes), &aad), Err(OpenError));
        assert_eq!(open(&KEY, "not base64!", &aad), Err(OpenError));
        assert_eq!(open(&KEY, &STANDARD.encode([1u8; 8]), &aad), Err(OpenError));
    }

    #[test]
    fn nonces_differ_between_seals() {
        let aad = b"x";
        assert_ne!(seal(&KEY, b"same", aad), seal(&KEY, b"same", aad));
    }
}
