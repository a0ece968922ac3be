//! The known-client cookie: after a login completes, the browser keeps a
//! signed note "this browser signed into account E, valid until T". A
//! login to E from that browser then meets only the account-from-this-
//! client budget, not the ceilings on E across clients and on the client
//! across accounts ([`super::throttle`]), so whoever floods E's login
//! cannot keep E's owner out of their own browser. This is the
//! OWASP "device cookie" defence against lockout abuse (OWASP
//! Authentication Cheat Sheet). The cookie is `HttpOnly`, signed with the
//! site key (HMAC-SHA-256) and holds no secret: forging one needs the key,
//! and stealing one buys only the account-from-this-client budget.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;

use crate::config::Settings;
use crate::secrets::{hmac_sha256, HmacKeys};

/// How long a browser stays known after its last login: 30 days.
pub const VALID_DAYS: i64 = 30;

/// `__Host-` (which browsers accept only with `Secure`, `Path=/` and no
/// domain) when tipdesk is served over HTTPS.
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.server.public_url.scheme() == "https" {
        "__Host-tipdesk_known"
    } else {
        "tipdesk_known"
    }
}

fn tag(keys: &HmacKeys, email: &str, until: i64) -> [u8; 32] {
    hmac_sha256(
        keys.form_token(),
        &[
            b"desk-known-client|",
            email.as_bytes(),
            b"|",
            &until.to_be_bytes(),
        ],
    )
}

fn value(keys: &HmacKeys, email: &str, until: i64) -> String {
    format!(
        "{until}.{}",
        URL_SAFE_NO_PAD.encode(&tag(keys, email, until)[..16])
    )
}

/// The cookie for a browser that just signed into `email` (as
/// [`super::login::attempted_email`] makes it).
pub fn cookie(settings: &Settings, keys: &HmacKeys, email: &str) -> Cookie<'static> {
    let until = chrono::Utc::now().timestamp() + VALID_DAYS * 24 * 3600;
    Cookie::build(cookie_name(settings), value(keys, email, until))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.server.public_url.scheme() == "https")
        .max_age(time::Duration::days(VALID_DAYS))
        .finish()
}

/// The request's known-client cookie, unchecked.
pub fn from_request(req: &HttpRequest, settings: &Settings) -> Option<String> {
    req.cookie(cookie_name(settings))
        .map(|c| c.value().to_owned())
}

/// Whether `value` is a genuine, unexpired cookie for `email`.
pub fn vouches_for(keys: &HmacKeys, value: Option<&str>, email: &str) -> bool {
    let Some((until, sent)) = value.and_then(|v| v.split_once('.')) else {
        return false;
    };
    let Ok(until) = until.parse::<i64>() else {
        return false;
    };
    let Ok(sent) = URL_SAFE_NO_PAD.decode(sent) else {
        return false;
    };
    sent.len() == 16
        && bool::from(sent.ct_eq(&tag(keys, email, until)[..16]))
        && chrono::Utc::now().timestamp() <= until
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_vouches_for_its_own_account_only() {
        let keys = HmacKeys::from_secret(b"a test secret of at least 32 bytes!!");
        let until = chrono::Utc::now().timestamp() + 60;
        let v = value(&keys, "ed@example.org", until);
        assert!(vouches_for(&keys, Some(&v), "ed@example.org"));
        assert!(!vouches_for(&keys, Some(&v), "al@example.org"));
        assert!(!vouches_for(&keys, None, "ed@example.org"));
        let (_, mac) = v.split_once('.').unwrap();
        let later = format!("{}.{mac}", until + 1);
        assert!(!vouches_for(&keys, Some(&later), "ed@example.org"));
        let past = until - 120;
        let expired = value(&keys, "ed@example.org", past);
        assert!(!vouches_for(&keys, Some(&expired), "ed@example.org"));
    }
}
