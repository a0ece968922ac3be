//! The CMS's side of `PUT`/`DELETE /api/v1/articles/{id}`: who may call
//! it, and what it sends.
//!
//! A caller shows one of `articles.api_tokens` as a bearer token (RFC 6750
//! §2.1). Tokens are compared as SHA-256 digests with a constant-time
//! equality (`subtle`), and every configured token is compared whatever
//! the earlier ones gave, so neither the answer's timing nor its length
//! tells a guesser how much of a token was right (OWASP ASVS 4.0 V2.9).

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ArticleRecord, FieldErrors};
use crate::i18n::Msg;

/// Whether `authorization` (the header's value, if sent) carries one of
/// `tokens` as `Bearer TOKEN`; the scheme's case does not matter (RFC 9110
/// §11.1). No tokens configured: nobody is.
pub fn authorized(tokens: &[SecretString], authorization: Option<&[u8]>) -> bool {
    let Some(presented) = authorization.and_then(bearer) else {
        return false;
    };
    let presented = Sha256::digest(presented);
    tokens.iter().fold(false, |any, token| {
        let expected = Sha256::digest(token.expose_secret().as_bytes());
        any | bool::from(expected.ct_eq(&presented))
    })
}

/// The token of `Bearer TOKEN`.
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, token) = value.split_at_checked(7)?;
    (scheme.eq_ignore_ascii_case(b"bearer ") && !token.is_empty()).then_some(token)
}

/// The article `id` as the CMS describes it in a `PUT` body: a JSON
/// object with the strings `title`, `url` and `section`, and `language`
/// (a string, or null or absent for none). Unknown members are ignored.
/// Every field that is missing or not a string is named at once.
pub fn record_from_json(id: &str, body: &serde_json::Value) -> Result<ArticleRecord, FieldErrors> {
    let mut errors = FieldErrors::new();
    let serde_json::Value::Object(map) = body else {
        errors.insert("body", Msg::new("api-article-not-an-object"));
        return Err(errors);
    };
    let mut text = |field: &'static str, required: bool| match map.get(field) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        None | Some(serde_json::Value::Null) if !required => None,
        None | Some(serde_json::Value::Null) => {
            errors.insert(field, Msg::new("api-field-missing"));
            None
        }
        Some(_) => {
            errors.insert(field, Msg::new("api-not-a-string").key("field", field));
            None
        }
    };
    let title = text("title", true);
    let url = text("url", true);
    let section = text("section", true);
    let language = text("language", false);
    match (title, url, section) {
        (Some(title), Some(url), Some(section)) if errors.is_empty() => Ok(ArticleRecord {
            id: id.to_owned(),
            title,
            url,
            section,
            language,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Vec<SecretString> {
        vec![
            SecretString::from("old-token-old-token-old-token-0001"),
            SecretString::from("new-token-new-token-new-token-0002"),
        ]
    }

    #[test]
    fn any_configured_token_is_accepted_as_a_bearer() {
        let t = tokens();
        assert!(authorized(
            &t,
            Some(b"Bearer old-token-old-token-old-token-0001")
        ));
        assert!(authorized(
            &t,
            Some(b"bearer new-token-new-token-new-token-0002")
        ));
        assert!(!authorized(
            &t,
            Some(b"Bearer new-token-new-token-new-token-000")
        ));
        assert!(!authorized(
            &t,
            Some(b"Basic new-token-new-token-new-token-0002")
        ));
        assert!(!authorized(&t, Some(b"Bearer ")));
        assert!(!authorized(&t, None));
        assert!(!authorized(&[], Some(b"Bearer anything")));
    }

    #[test]
    fn missing_and_mistyped_fields_are_all_named() {
        let body = serde_json::json!({"title": 3, "url": null, "language": "fa"});
        let errors = record_from_json("a-1", &body).unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["section", "title", "url"]
        );
        assert!(record_from_json("a-1", &serde_json::json!([])).is_err());
    }
}
