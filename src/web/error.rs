//! Errors as readers and API clients see them: a status, a message a person
//! can act on, and the request id. Unexpected failures are logged in full
//! and shown as a plain "something went wrong" — never internals.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

use crate::db::DbError;
use crate::i18n::{self, LanguageLink, Locale, Msg};

/// Seconds a client is asked to wait after storage refused a write.
pub const STORAGE_RETRY_AFTER: u64 = 60;

/// Logs a write that storage refused, with the whole cause chain (e.g.
/// "database query failed: database or disk is full").
pub fn log_storage_failure(err: &DbError) {
    tracing::error!(
        error = %crate::telemetry::Chain(err),
        cause = err.storage_trouble().unwrap_or_default(),
        "a write failed: storage unavailable"
    );
}

/// Whether the client wants a page or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
}

/// An error answer.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    /// Machine-readable code for JSON clients, e.g. `not_found`; the same
    /// in every language.
    pub code: &'static str,
    /// What a person is told, in the request's language ([`i18n::current`]).
    pub message: Msg,
    /// A message per field, keyed by the field's public name.
    pub fields: BTreeMap<&'static str, Msg>,
    pub format: Format,
    /// Extra headers (e.g. `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
}

impl WebError {
    pub fn new(format: Format, status: StatusCode, code: &'static str, message: Msg) -> Self {
        Self {
            status,
            code,
            message,
            fields: BTreeMap::new(),
            format,
            headers: Vec::new(),
        }
    }

    pub fn not_found(format: Format, message: Msg) -> Self {
        Self::new(format, StatusCode::NOT_FOUND, "not_found", message)
    }

    /// The JSON API's 422 `validation_failed`: `fields` names each field
    /// a client must fix (every one at once) with its message.
    pub fn invalid_fields(fields: BTreeMap<&'static str, Msg>) -> Self {
        let mut e = Self::new(
            Format::Json,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Msg::new("api-validation-failed"),
        );
        e.fields = fields;
        e
    }

    pub fn bad_request(format: Format, message: Msg) -> Self {
        Self::new(format, StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Logs `err` with its whole cause chain; the client sees none of it.
    pub fn internal(format: Format, err: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %crate::telemetry::Chain(err), "request failed");
        Self::new(
            format,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            Msg::new("error-internal"),
        )
    }

    /// Database trouble: overload is a 503 the client may retry.
    pub fn from_db(format: Format, err: DbError) -> Self {
        match err {
            DbError::Unavailable(_) => {
                tracing::warn!("database pool exhausted");
                let mut e = Self::new(
                    format,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    Msg::new("error-busy"),
                );
                e.headers.push(("retry-after", "5".into()));
                e
            }
            other => match other.storage_trouble() {
                Some(_) => {
                    log_storage_failure(&other);
                    Self::storage_unavailable(format)
                }
                None => Self::internal(format, &other),
            },
        }
    }

    /// Storage refused a write (a full disk, a read-only or failing
    /// database): `503` with `Retry-After`, code `storage_unavailable`.
    /// Nothing was stored; the client may send the same again later.
    pub fn storage_unavailable(format: Format) -> Self {
        let mut e = Self::new(
            format,
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            Msg::new("error-storage-unavailable"),
        );
        e.headers
            .push(("retry-after", STORAGE_RETRY_AFTER.to_string()));
        e
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// Database trouble in a page's handler, so `?` works on a [`DbError`];
/// JSON handlers say [`WebError::from_db`] with [`Format::Json`].
impl From<DbError> for WebError {
    fn from(err: DbError) -> Self {
        Self::from_db(Format::Html, err)
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: BTreeMap<&'static str, String>,
    request_id: Option<String>,
}

/// The plain error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub l: Locale,
    pub langs: Vec<LanguageLink>,
    pub embed: bool,
    pub title: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl ErrorPage {
    /// "…mention request <code>ID</code>.", split around the id.
    fn request_id_text(&self) -> (String, String) {
        self.l.around("error-request-id", "id")
    }
}

/// The error page on staff addresses (`/desk`, `/ops/`): the desk's
/// layout, not the reader's footer.
#[derive(Template)]
#[template(path = "desk/error.html")]
struct DeskErrorPage {
    l: Locale,
    title: String,
    message: String,
    request_id: Option<String>,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = super::request_id::current();
        let l = i18n::current();
        let mut builder = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            builder.insert_header((*name, value.as_str()));
        }
        match self.format {
            Format::Json => builder.json(ErrorJson {
                error: self.code,
                message: l.msg(&self.message),
                fields: self.fields.iter().map(|(k, m)| (*k, l.msg(m))).collect(),
                request_id,
            }),
            Format::Html if i18n::request::for_staff() => {
                let page = DeskErrorPage {
                    l,
                    title: l.msg(&Msg::new("error-title").number("status", self.status.as_u16())),
                    message: l.msg(&self.message),
                    request_id,
                };
                super::html(self.status, &page)
            }
            Format::Html => {
                let page = ErrorPage {
                    l,
                    langs: i18n::request::place_links(l),
                    embed: false,
                    title: l.msg(&Msg::new("error-title").number("status", self.status.as_u16())),
                    message: l.msg(&self.message),
                    request_id,
                };
                super::html(self.status, &page)
            }
        }
    }
}
