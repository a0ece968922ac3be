//! Staff passwords: argon2id with OWASP's minimum parameters (19 MiB, two
//! passes, one lane), stored as PHC strings, hashed and checked on the
//! blocking pool so a login never stalls the async executor.
//!
//! A password is normalized to NFKC before it is hashed or checked (NIST SP
//! 800-63B, §5.1.1.2: "the verifier SHOULD apply the Normalization Process
//! for Stabilized Strings using either the NFKC or NFKD normalization").
//! So `ä` typed as one character or as `a` + U+0308, or a letter typed
//! full-width by an input method, is the same password on every keyboard.
//! NFKC rather than NFC because the same person's devices differ in
//! compatibility forms too (full-width Latin, `ﬁ` ligatures from a
//! password manager's autocorrect); the few characters it merges cost a
//! long passphrase nothing. Hashes made before normalization still verify
//! (the password as typed is tried second) and are replaced by a hash of
//! the normalized password at that login.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use icu_normalizer::ComposingNormalizerBorrowed;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

fn argon2() -> Argon2<'static> {
    // Constant, valid parameters: construction cannot fail.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The form a password is hashed and checked in: NFKC (see the module
/// documentation).
fn normalized(password: &SecretString) -> SecretString {
    let nfkc = ComposingNormalizerBorrowed::new_nfkc().normalize(password.expose_secret());
    SecretString::from(nfkc.into_owned())
}

/// Length is the only rule: long passphrases in any script are welcome.
/// Counted after normalization, in code points: NIST SP 800-63B §5.1.1.2
/// ("each Unicode code point SHALL be counted as a single character"), the
/// one place where tipdesk does not count grapheme clusters.
pub fn check_new(password: &str) -> Result<(), String> {
    let nfkc = ComposingNormalizerBorrowed::new_nfkc().normalize(password);
    let n = nfkc.chars().count();
    if n < MIN_CHARS {
        return Err(format!("A password needs at least {MIN_CHARS} characters."));
    }
    if n > MAX_CHARS {
        return Err(format!("A password has at most {MAX_CHARS} characters."));
    }
    Ok(())
}

/// Hashes a password (normalized) into a PHC string.
pub fn hash(password: &SecretString) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(normalized(password).expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

/// What checking a password found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Wrong,
    Right,
    /// Right, against a hash made before passwords were normalized: store
    /// this hash of the normalized password in its place.
    RightRehash(String),
}

impl Verdict {
    pub fn is_right(&self) -> bool {
        !matches!(self, Self::Wrong)
    }
}

/// Checks `password` against `stored`; with `None` (unknown account) it
/// checks against a throwaway hash so both cases take the same time. The
/// normalized password is tried first, then (when it differs) the password
/// as typed, for hashes made before normalization; the second try happens
/// for unknown accounts too, so timing depends only on what was typed.
pub fn verify(password: &SecretString, stored: Option<&str>) -> Verdict {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash(&generate()).unwrap_or_default());
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return Verdict::Wrong;
    };
    let matches = |p: &str| argon2().verify_password(p.as_bytes(), &parsed).is_ok();
    let nfkc = normalized(password);
    if matches(nfkc.expose_secret()) {
        return if real { Verdict::Right } else { Verdict::Wrong };
    }
    let typed = password.expose_secret();
    if typed == nfkc.expose_secret() || !matches(typed) || !real {
        return Verdict::Wrong;
    }
    match hash(password) {
        Ok(new) => Verdict::RightRehash(new),
        Err(_) => Verdict::Right,
    }
}

/// A strong random password (about 119 bits) for `user add` and
/// `reset-password`, printed once.
pub fn generate() -> SecretString {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let groups: Vec<String> = (0..5)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect()
        })
        .collect();
    SecretString::from(groups.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_owasp_parameters() {
        let pw = SecretString::from("correct horse battery staple".to_owned());
        let phc = hash(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert_eq!(verify(&pw, Some(&phc)), Verdict::Right);
        assert_eq!(
            verify(
                &SecretString::from("wrong horse battery".to_owned()),
                Some(&phc)
            ),
            Verdict::Wrong
        );
        assert_eq!(
            verify(&pw, None),
            Verdict::Wrong,
            "an unknown account never verifies"
        );
    }

    #[test]
    fn composed_and_decomposed_passwords_are_one() {
        let composed = SecretString::from("Bärenstärke über alles".to_owned());
        let decomposed = SecretString::from("Ba\u{308}renst\u{e4}rke u\u{308}ber alles".to_owned());
        let phc = hash(&composed).unwrap();
        assert_eq!(verify(&decomposed, Some(&phc)), Verdict::Right);
        let phc = hash(&decomposed).unwrap();
        assert_eq!(verify(&composed, Some(&phc)), Verdict::Right);
    }

    #[test]
    fn hashes_of_unnormalized_passwords_verify_and_are_replaced() {
        // As hashed before normalization: the bytes as typed.
        let typed = "Ba\u{308}renstarke-decomposed";
        let salt = SaltString::generate(&mut OsRng);
        let old = argon2()
            .hash_password(typed.as_bytes(), &salt)
            .unwrap()
            .to_string();
        let Verdict::RightRehash(new) = verify(&SecretString::from(typed.to_owned()), Some(&old))
        else {
            panic!("an old hash verifies and asks to be replaced");
        };
        let composed = SecretString::from("B\u{e4}renstarke-decomposed".to_owned());
        assert_eq!(verify(&composed, Some(&new)), Verdict::Right);
        assert_eq!(
            verify(&composed, Some(&old)),
            Verdict::Wrong,
            "the old hash knew only the typed form"
        );
    }

    #[test]
    fn only_length_is_checked() {
        assert!(check_new("short").is_err());
        assert!(check_new("twelve chars").is_ok());
        assert!(check_new("رمز عبور طولانی من").is_ok());
        assert!(check_new(&"x".repeat(129)).is_err());
        assert!(check_new(generate().expose_secret()).is_ok());
    }
}
