//! Form tokens: when a form was served and for what, signed with the site
//! key. On the reader's form they refuse bots that post the instant they
//! fetch it or replay one form for days (people, who take longer than a few
//! seconds to write a tip, never notice); on the staff login form they are
//! the CSRF token. Stateless, so they verify on any instance.
//!
//! Each token also carries a random nonce, so it names one served form:
//! the reader's form uses it to tell a double click on Send (the same form
//! posted twice) from two people behind one address who happen to send the
//! same words (`submission::Idempotency`).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;

use crate::secrets::{hmac_sha256, HmacKeys};

/// A form older than this is refused: one day.
pub const MAX_FORM_AGE_SECONDS: u64 = 24 * 60 * 60;

/// Why a form token was refused, in words for the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    TooFast,
    Expired,
}

impl TokenError {
    /// What the reader is told.
    pub fn message(&self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            Self::Missing => Msg::new("form-refused-token-missing"),
            Self::TooFast => Msg::new("form-refused-too-fast"),
            Self::Expired => Msg::new("form-refused-expired"),
        }
    }

    /// For metrics and logs: why a submission was refused.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "form_token_invalid",
            Self::TooFast => "form_token_too_fast",
            Self::Expired => "form_token_expired",
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Bytes of randomness naming one served form: 128 bits, so two forms
/// never share one.
const NONCE_BYTES: usize = 16;

/// The MAC over the scope, the time and (for tokens with one) the nonce.
/// Tokens issued before nonces existed (`{issued}.{tag}`) have none and
/// still verify until they expire, so no open form is refused by an
/// upgrade.
fn mac(keys: &HmacKeys, scope: &str, issued: u64, nonce: Option<&str>) -> [u8; 32] {
    let issued = issued.to_be_bytes();
    let mut parts: Vec<&[u8]> = vec![scope.as_bytes(), b"|", &issued];
    if let Some(nonce) = nonce {
        parts.extend([b"|".as_slice(), nonce.as_bytes()]);
    }
    hmac_sha256(keys.form_token(), &parts)
}

/// A verified token's form instance: its random nonce (URL-safe base64),
/// or `None` for a token issued before nonces existed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormInstance(Option<String>);

impl FormInstance {
    /// The nonce that names this served form, if the token has one.
    pub fn nonce(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A token for a form in `scope` (e.g. an article ID), issued now.
pub fn issue(keys: &HmacKeys, scope: &str) -> String {
    issue_at(keys, scope, now_secs())
}

/// A token as if issued at `issued` (seconds since the epoch).
#[doc(hidden)]
pub fn issue_at(keys: &HmacKeys, scope: &str, issued: u64) -> String {
    let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; NONCE_BYTES]>());
    let tag = mac(keys, scope, issued, Some(&nonce));
    format!("{issued}.{nonce}.{}", URL_SAFE_NO_PAD.encode(&tag[..16]))
}

/// Checks a posted token: genuine, for this scope, at least
/// `min_fill_seconds` old and at most a day.
pub fn verify(
    keys: &HmacKeys,
    scope: &str,
    token: Option<&str>,
    min_fill_seconds: u64,
) -> Result<(), TokenError> {
    verify_at(keys, scope, token, min_fill_seconds, now_secs()).map(|_| ())
}

/// [`verify`], and which served form the token came from.
pub fn verify_instance(
    keys: &HmacKeys,
    scope: &str,
    token: Option<&str>,
    min_fill_seconds: u64,
) -> Result<FormInstance, TokenError> {
    verify_at(keys, scope, token, min_fill_seconds, now_secs())
}

fn verify_at(
    keys: &HmacKeys,
    scope: &str,
    token: Option<&str>,
    min_fill_seconds: u64,
    now: u64,
) -> Result<FormInstance, TokenError> {
    let token = token.ok_or(TokenError::Missing)?;
    let parts: Vec<&str> = token.split('.').collect();
    let (issued, nonce, tag) = match parts[..] {
        [issued, nonce, tag] => (issued, Some(nonce), tag),
        [issued, tag] => (issued, None, tag),
        _ => return Err(TokenError::Missing),
    };
    let issued: u64 = issued.parse().map_err(|_| TokenError::Missing)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| TokenError::Missing)?;
    let expected = mac(keys, scope, issued, nonce);
    if tag.len() != 16 || !bool::from(tag.ct_eq(&expected[..16])) {
        return Err(TokenError::Missing);
    }
    let age = now.checked_sub(issued).ok_or(TokenError::Missing)?;
    if age < min_fill_seconds {
        return Err(TokenError::TooFast);
    }
    if age > MAX_FORM_AGE_SECONDS {
        return Err(TokenError::Expired);
    }
    Ok(FormInstance(nonce.map(str::to_owned)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (HmacKeys, &'static str) {
        (
            HmacKeys::from_secret(b"0123456789abcdef0123456789abcdef"),
            "story-1",
        )
    }

    #[test]
    fn a_token_is_accepted_only_inside_its_window() {
        let (keys, article) = setup();
        let t = issue_at(&keys, article, 1_000_000);
        assert_eq!(
            verify_at(&keys, article, Some(&t), 3, 1_000_001),
            Err(TokenError::TooFast)
        );
        assert!(verify_at(&keys, article, Some(&t), 3, 1_000_003).is_ok());
        assert_eq!(
            verify_at(
                &keys,
                article,
                Some(&t),
                3,
                1_000_000 + MAX_FORM_AGE_SECONDS + 1
            ),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn forged_or_moved_tokens_are_refused() {
        let (keys, article) = setup();
        let t = issue_at(&keys, article, 1_000_000);
        let other = "story-2";
        assert_eq!(
            verify_at(&keys, other, Some(&t), 0, 1_000_010),
            Err(TokenError::Missing)
        );
        let backdated = t.replacen("1000000", "999000", 1);
        assert_eq!(
            verify_at(&keys, article, Some(&backdated), 0, 1_000_010),
            Err(TokenError::Missing)
        );
        let other_keys = HmacKeys::from_secret(b"another secret of thirty-two chars!!");
        assert_eq!(
            verify_at(&other_keys, article, Some(&t), 0, 1_000_010),
            Err(TokenError::Missing)
        );
        assert_eq!(
            verify_at(&keys, article, None, 0, 1_000_010),
            Err(TokenError::Missing)
        );
        assert_eq!(
            verify_at(&keys, article, Some("garbage"), 0, 1_000_010),
            Err(TokenError::Missing)
        );
    }

    #[test]
    fn each_served_form_has_its_own_nonce_and_it_cannot_be_swapped() {
        let (keys, article) = setup();
        let (a, b) = (
            issue_at(&keys, article, 1_000_000),
            issue_at(&keys, article, 1_000_000),
        );
        let nonce = |t: &str| {
            verify_at(&keys, article, Some(t), 0, 1_000_010)
                .unwrap()
                .nonce()
                .unwrap()
                .to_owned()
        };
        assert_ne!(nonce(&a), nonce(&b), "two forms served in one second");
        // Another form's nonce under this form's tag is a forgery.
        let swapped = format!("1000000.{}.{}", nonce(&b), a.rsplit('.').next().unwrap());
        assert_eq!(
            verify_at(&keys, article, Some(&swapped), 0, 1_000_010),
            Err(TokenError::Missing)
        );
        // A token from before nonces still verifies, naming no form.
        let tag = mac(&keys, article, 1_000_000, None);
        let old = format!("1000000.{}", URL_SAFE_NO_PAD.encode(&tag[..16]));
        assert_eq!(
            verify_at(&keys, article, Some(&old), 0, 1_000_010),
            Ok(FormInstance(None))
        );
    }
}
