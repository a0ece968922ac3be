//! Staff passwords: argon2id with OWASP's minimum parameters (19 MiB, two
//! passes, one lane), stored as PHC strings, hashed and checked on the
//! blocking pool so a login never stalls the async executor.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

fn argon2() -> Argon2<'static> {
    // Constant, valid parameters: construction cannot fail.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Length is the only rule: long passphrases in any script are welcome.
pub fn check_new(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(format!("A password needs at least {MIN_CHARS} characters."));
    }
    if n > MAX_CHARS {
        return Err(format!("A password has at most {MAX_CHARS} characters."));
    }
    Ok(())
}

/// Hashes a password into a PHC string.
pub fn hash(password: &SecretString) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

/// Checks `password` against `stored`; with `None` (unknown account) it
/// checks against a throwaway hash so both cases take the same time.
pub fn verify(password: &SecretString, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash(&generate()).unwrap_or_default());
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
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
        assert!(verify(&pw, Some(&phc)));
        assert!(!verify(
            &SecretString::from("wrong horse battery".to_owned()),
            Some(&phc)
        ));
        assert!(!verify(&pw, None), "an unknown account never verifies");
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
