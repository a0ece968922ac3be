//! `StrictForm<T>`: a urlencoded form body, refused (400) when a value is
//! not valid UTF-8. actix's own `Form` decodes lossily, which would replace
//! a reader's bytes with U+FFFD without telling anyone; we accept text
//! exactly as written or say why not.

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

/// Parses a body already checked by [`read`] into `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WebError> {
    serde_urlencoded::from_bytes(bytes)
        .map_err(|_| WebError::bad_request(Format::Html, Msg::new("error-form-malformed")))
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
fn decodes_as_utf8(body: &[u8]) -> bool {
    body.split(|&b| b == b'&').all(|pair| {
        let decoded: Vec<u8> = percent_encoding::percent_decode(pair).collect();
        std::str::from_utf8(&decoded).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::decodes_as_utf8;

    #[test]
    fn invalid_bytes_are_noticed_and_valid_text_passes() {
        assert!(decodes_as_utf8(b"message=%D8%A7%DB%8C%D9%86+ok&kind=other"));
        assert!(!decodes_as_utf8(b"message=%FF%FEbroken"));
        assert!(!decodes_as_utf8(b"message=ok&name=%C3"));
    }
}
