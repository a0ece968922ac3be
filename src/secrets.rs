//! The site secret and the HMAC keys derived from it: they sign form
//! tokens and key the hashes of clients, tips and readers' receipts. One
//! secret, shared by every instance of a site, so a form served by one
//! instance verifies on another, and a receipt works whichever instance
//! the reader reaches. (Readers' names, contacts and conversations are
//! encrypted with other keys: see [`crate::privacy::SealingKeys`].)

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::domain::Sensitive;

/// HMAC keys for distinct purposes, derived so that one leaking use cannot
/// be replayed against another.
#[derive(Clone, Debug)]
pub struct HmacKeys {
    form_token: Sensitive<[u8; 32]>,
    client_hash: Sensitive<[u8; 32]>,
    fingerprint: Sensitive<[u8; 32]>,
    receipt: Sensitive<[u8; 32]>,
}

impl HmacKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            form_token: derive(secret, b"tipdesk form token v1").into(),
            client_hash: derive(secret, b"tipdesk client hash v1").into(),
            fingerprint: derive(secret, b"tipdesk tip fingerprint v1").into(),
            receipt: derive(secret, b"tipdesk receipt v1").into(),
        }
    }

    /// Uses `configured`, or the secret kept in `data_dir/secret.key`,
    /// creating it (owner-only) on first start.
    pub fn load(configured: Option<&SecretString>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(secret) = configured {
            return Ok(Self::from_secret(secret.expose_secret().as_bytes()));
        }
        let path = data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(stored) if stored.trim().len() >= 32 => {
                return Ok(Self::from_secret(stored.trim().as_bytes()))
            }
            Ok(_) => anyhow::bail!(
                "{} is shorter than 32 characters; remove it to generate a new one",
                path.display()
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
        }
        std::fs::create_dir_all(data_dir)?;
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path)?;
        file.write_all(secret.as_bytes())?;
        file.sync_all()?;
        tracing::warn!(
            path = %path.display(),
            "generated a site secret; set security.secret_key to share one between instances"
        );
        Ok(Self::from_secret(secret.as_bytes()))
    }

    pub(crate) fn form_token(&self) -> &[u8; 32] {
        &self.form_token
    }

    pub(crate) fn client_hash(&self) -> &[u8; 32] {
        &self.client_hash
    }

    pub(crate) fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// Keys the stored hashes of readers' receipts. Derived from the site
    /// secret, not from the privacy key ring: a receipt cannot be hashed
    /// again under a new key (only its hash is kept), so it must stay
    /// valid across `tipdesk keys rotate`. A new site secret makes every
    /// receipt useless.
    pub(crate) fn receipt(&self) -> &[u8; 32] {
        &self.receipt
    }
}

fn derive(secret: &[u8], label: &[u8]) -> [u8; 32] {
    hmac_sha256(secret, &[label])
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}
