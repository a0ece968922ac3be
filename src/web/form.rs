//! `StrictForm<T>`: a urlencoded form body, refused (400) when a value is
//! not valid UTF-8 or a field is sent twice. actix's own `Form` decodes
//! lossily, which would replace a reader's bytes with U+FFFD without
//! telling anyone; we accept text exactly as written or say why not. A
//! field sent twice is ambiguous (which one did the person mean?), so it is
//! refused by name, as a JSON key sent twice is (`web::json`).

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::{Format, WebError};
use crate::i18n::Msg;

/// A form body whose every name and value is valid UTF-8.
pub struct StrictForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for StrictForm<T> {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read(req, payload);
        Box::pin(async move {
            let bytes = body.await?;
            parse(&bytes).map(StrictForm)
        })
    }
}

/// Why a form body already checked by [`read`] cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// This field (by its decoded name) appears more than once.
    Duplicate(String),
    /// Not `application/x-www-form-urlencoded` as `T` expects it.
    Malformed,
}

impl FormError {
    /// The 400 a person sees for a form they cannot fix on a page.
    pub fn into_web(self) -> WebError {
        self.into_web_as(Format::Html)
    }

    /// The 400 for a form body that cannot be read, as a page or as the
    /// API's JSON: `duplicate_field` naming the field sent twice, or
    /// `bad_request` (`error-form-malformed`). The one place both the
    /// pages and the API (multipart text parts included) get it from.
    pub fn into_web_as(self, format: Format) -> WebError {
        match self {
            Self::Duplicate(name) => WebError::new(
                format,
                StatusCode::BAD_REQUEST,
                "duplicate_field",
                Msg::new("error-form-duplicate").text("field", name),
            ),
            Self::Malformed => WebError::bad_request(format, Msg::new("error-form-malformed")),
        }
    }
}

/// The first field name that appears twice in a urlencoded body.
pub fn duplicate_field(bytes: &[u8]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    form_urlencoded::parse(bytes)
        .map(|(name, _)| name)
        .find(|name| !seen.insert(name.clone()))
        .map(|name| name.into_owned())
}

/// Parses a body already checked by [`read`] into `T`, refusing a field
/// sent twice.
pub fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, FormError> {
    if let Some(name) = duplicate_field(bytes) {
        return Err(FormError::Duplicate(name));
    }
    serde_urlencoded::from_bytes(bytes).map_err(|_| FormError::Malformed)
}

/// Parses `bytes` into `T` keeping each field's first value: only to show
/// a refused form again with what the person wrote.
pub fn parse_first<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let mut seen = std::collections::HashSet::new();
    let first: Vec<(String, String)> = form_urlencoded::parse(bytes)
        .filter(|(name, _)| seen.insert(name.clone()))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    serde_urlencoded::from_str(&serde_urlencoded::to_string(first).ok()?).ok()
}

/// Like [`parse_form`], as the 400 page when it fails.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WebError> {
    parse_form(bytes).map_err(FormError::into_web)
}

fn unreadable() -> WebError {
    WebError::bad_request(Format::Html, Msg::new("error-form-not-utf8"))
}

/// Reads a urlencoded body: 415 for another content type, 413 past the
/// resource's `web::PayloadConfig` limit, 400 when not valid UTF-8.
pub fn read(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<web::Bytes, WebError>> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let body = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        if !is_form {
            return Err(WebError::new(
                Format::Html,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                Msg::new("error-form-content-type"),
            ));
        }
        let too_large = || {
            WebError::new(
                Format::Html,
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                Msg::new("error-form-too-large"),
            )
        };
        // The size limit is the resource's `web::PayloadConfig`.
        let bytes = body.await.map_err(|_| too_large())?;
        if !decodes_as_utf8(&bytes) {
            return Err(unreadable());
        }
        Ok(bytes)
    })
}

/// True when every percent-decoded name and value is valid UTF-8.
pub fn decodes_as_utf8(body: &[u8]) -> bool {
    body.split(|&b| b == b'&').all(|pair| {
        let decoded: Vec<u8> = percent_encoding::percent_decode(pair).collect();
        std::str::from_utf8(&decoded).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_are_noticed_and_valid_text_passes() {
        assert!(decodes_as_utf8(b"message=%D8%A7%DB%8C%D9%86+ok&kind=other"));
        assert!(!decodes_as_utf8(b"message=%FF%FEbroken"));
        assert!(!decodes_as_utf8(b"message=ok&name=%C3"));
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Two {
        a: Option<String>,
        b: Option<String>,
    }

    #[test]
    fn a_field_sent_twice_is_named_however_it_is_encoded() {
        assert_eq!(
            parse_form::<Two>(b"a=1&b=2&a=3"),
            Err(FormError::Duplicate("a".into()))
        );
        assert_eq!(
            parse_form::<Two>(b"b=2&%61=1&a=3"),
            Err(FormError::Duplicate("a".into()))
        );
        assert_eq!(
            parse_form::<Two>(b"a=1&b=x+y"),
            Ok(Two {
                a: Some("1".into()),
                b: Some("x y".into())
            })
        );
        assert_eq!(
            parse_first::<Two>(b"a=first&a=second&b=%26"),
            Some(Two {
                a: Some("first".into()),
                b: Some("&".into())
            })
        );
    }
}
