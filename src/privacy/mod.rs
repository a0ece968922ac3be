//! Readers' names and contacts are encrypted at rest with
//! XChaCha20-Poly1305 under a key that never lives in the database, so a
//! copy of the database (a backup, a leak) shows nobody's identity. Each
//! value names the key that sealed it, so keys can rotate, and is bound to
//! its tip and field, so a sealed contact cannot be moved to another tip.
//! Rotating the keys (re-sealing what is stored) is [`rotation`].

pub mod rotation;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::Sensitive;

const PREFIX: &str = "enc1";

/// Why a key ring or a sealed value could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("{0}")]
    Keys(String),
    #[error("a stored value was sealed with key `{0}`, which is not in the key ring")]
    UnknownKey(String),
    #[error("a stored value could not be decrypted (damaged, or moved from another tip)")]
    Damaged,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The keys that encrypt readers' names and contacts (and staff TOTP
/// secrets) at rest: the current one seals, every one opens.
#[derive(Clone, Debug)]
pub struct SealingKeys {
    /// The id of the key that seals.
    current: String,
    keys: Sensitive<HashMap<String, Key>>,
    /// Where a generated ring is kept, if it is one.
    file: Option<PathBuf>,
}

fn new_entry() -> String {
    let key = XChaCha20Poly1305::generate_key(&mut OsRng);
    let id = format!("k{}", hex::encode(rand::random::<[u8; 3]>()));
    format!("{id}:{}", STANDARD.encode(key))
}

impl SealingKeys {
    /// Parses "ID:BASE64, ID:BASE64, ..." (current first).
    pub fn parse(text: &str) -> Result<Self, PrivacyError> {
        let mut keys = HashMap::new();
        let mut current = None;
        for entry in text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (id, b64) = entry
                .split_once(':')
                .ok_or_else(|| PrivacyError::Keys("each key is written ID:BASE64".into()))?;
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(PrivacyError::Keys(format!(
                    "`{id}` is not a key id (letters, digits, - and _)"
                )));
            }
            let bytes = STANDARD
                .decode(b64.trim())
                .map_err(|_| PrivacyError::Keys(format!("key `{id}` is not valid base64")))?;
            if bytes.len() != 32 {
                return Err(PrivacyError::Keys(format!(
                    "key `{id}` must be 32 bytes, not {}",
                    bytes.len()
                )));
            }
            keys.insert(id.to_owned(), *Key::from_slice(&bytes));
            current.get_or_insert_with(|| id.to_owned());
        }
        let current = current.ok_or_else(|| PrivacyError::Keys("no key given".into()))?;
        Ok(Self {
            current,
            keys: keys.into(),
            file: None,
        })
    }

    /// `configured` (`privacy.encryption_keys`), or the ring kept in
    /// `data_dir/encryption.keys`, created (owner-only) on first start.
    pub fn load(configured: Option<&SecretString>, data_dir: &Path) -> Result<Self, PrivacyError> {
        if let Some(keys) = configured {
            return Self::parse(keys.expose_secret());
        }
        let path = data_dir.join("encryption.keys");
        if !path.exists() {
            write_private(&path, &new_entry())?;
            tracing::warn!(
                path = %path.display(),
                "generated an encryption key for readers' names and contacts; back it up apart from the database"
            );
        }
        let mut ring = Self::parse(&std::fs::read_to_string(&path)?)?;
        ring.file = Some(path);
        Ok(ring)
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// Seals `plain` for `field` of the tip with `reference`.
    pub fn seal(&self, field: &str, reference: &str, plain: &str) -> String {
        let cipher = XChaCha20Poly1305::new(&self.keys[&self.current]);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = format!("{field}|{reference}");
        // Encryption with a valid key and nonce cannot fail.
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("{PREFIX}:{}:{}", self.current, STANDARD.encode(blob))
    }

    /// Opens a value sealed by [`SealingKeys::seal`].
    pub fn open(&self, field: &str, reference: &str, sealed: &str) -> Result<String, PrivacyError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(PREFIX), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(PrivacyError::Damaged);
        };
        let key = self
            .keys
            .get(id)
            .ok_or_else(|| PrivacyError::UnknownKey(id.to_owned()))?;
        let blob = STANDARD.decode(b64).map_err(|_| PrivacyError::Damaged)?;
        if blob.len() < 24 {
            return Err(PrivacyError::Damaged);
        }
        let (nonce, body) = blob.split_at(24);
        let aad = format!("{field}|{reference}");
        let plain = XChaCha20Poly1305::new(key)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| PrivacyError::Damaged)?;
        String::from_utf8(plain).map_err(|_| PrivacyError::Damaged)
    }

    /// Whether `value` is sealed at all (values stored before encryption
    /// are not).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(&format!("{PREFIX}:"))
    }

    /// Whether a stored value is sealed with the current key already.
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.starts_with(&format!("{PREFIX}:{}:", self.current))
    }

    /// For a generated ring: adds a new current key to the file. A
    /// configured ring is rotated by the operator, in the configuration.
    pub fn add_generated_key(&mut self) -> Result<&str, PrivacyError> {
        let path = self.file.clone().ok_or_else(|| {
            PrivacyError::Keys(
                "the keys come from privacy.encryption_keys: put a new key first in that list (keeping the old ones after it), then run `tipdesk keys rotate` again".into(),
            )
        })?;
        let old = std::fs::read_to_string(&path)?;
        let entry = new_entry();
        write_private(&path, &format!("{entry}\n{old}"))?;
        let file = self.file.take();
        *self = Self::parse(&std::fs::read_to_string(&path)?)?;
        self.file = file;
        Ok(&self.current)
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), PrivacyError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("keys.new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_tip_and_field() {
        let ring = SealingKeys::parse(&new_entry()).unwrap();
        let sealed = ring.seal("contact", "TD-1", "reader@example.org");
        assert!(!sealed.contains("reader"));
        assert_eq!(
            ring.open("contact", "TD-1", &sealed).unwrap(),
            "reader@example.org"
        );
        assert!(
            ring.open("contact", "TD-2", &sealed).is_err(),
            "moved to another tip"
        );
        assert!(
            ring.open("name", "TD-1", &sealed).is_err(),
            "moved to another field"
        );
        let other = SealingKeys::parse(&new_entry()).unwrap();
        assert!(matches!(
            other.open("contact", "TD-1", &sealed),
            Err(PrivacyError::UnknownKey(_))
        ));
    }

    #[test]
    fn bad_key_rings_are_refused_with_a_reason() {
        assert!(SealingKeys::parse("").is_err());
        assert!(SealingKeys::parse("k1:notbase64!").is_err());
        assert!(SealingKeys::parse(&format!("k1:{}", STANDARD.encode([0u8; 16]))).is_err());
        let two = format!("{}, {}", new_entry(), new_entry());
        assert_eq!(SealingKeys::parse(&two).unwrap().keys.len(), 2);
    }
}
