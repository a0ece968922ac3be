//! `Query<T>`: an address's query string, refused (400) by the name of
//! the parameter that cannot be read: one sent twice, or a value that is
//! not what the page takes (`/desk/tips?before=abc`). actix's own
//! `web::Query` answers a bare text/plain "Query deserialize error" that
//! names nothing; this one answers the page a person can act on, in the
//! layout and language of whoever asked (a desk page for staff).
//!
//! A handler that also needs the signed-in [`crate::auth::Staff`] reads
//! the query with [`parse`] after it: actix polls extractors side by side,
//! so an extractor's 400 would come before the staff member (and their
//! language, or the redirect to the login page) is known.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::{Format, WebError};
use crate::i18n::Msg;

/// A query string read into `T`, or the 400 that names what was wrong.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = WebError;
    type Future = std::future::Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse(req).map(Query))
    }
}

/// Why a query string cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// This parameter (by its decoded name) appears more than once.
    Repeated(String),
    /// This parameter's value is not one the page takes.
    Unreadable(String),
}

/// Reads `query` (without its `?`) into `T`.
pub fn read<T: DeserializeOwned>(query: &str) -> Result<T, QueryError> {
    if let Some(name) = super::form::duplicate_field(query.as_bytes()) {
        return Err(QueryError::Repeated(name));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        // The path is the parameter's name; at the top level (a query
        // that is no list of names and values at all) there is none.
        let path = e.path().to_string();
        QueryError::Unreadable(if path == "." { String::new() } else { path })
    })
}

/// The request's query string read into `T`, or a 400 page naming the
/// parameter.
pub fn parse<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, WebError> {
    read(req.query_string()).map_err(|e| {
        let msg = match e {
            QueryError::Repeated(name) => Msg::new("error-query-repeated").text("parameter", name),
            QueryError::Unreadable(name) => {
                Msg::new("error-query-unreadable").text("parameter", name)
            }
        };
        WebError::new(
            Format::Html,
            actix_web::http::StatusCode::BAD_REQUEST,
            "bad_query",
            msg,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Page {
        status: Option<String>,
        before: Option<i64>,
    }

    #[test]
    fn the_parameter_at_fault_is_named() {
        assert_eq!(
            read::<Page>("status=new&before=12"),
            Ok(Page {
                status: Some("new".into()),
                before: Some(12)
            })
        );
        assert_eq!(
            read::<Page>("before=abc"),
            Err(QueryError::Unreadable("before".into()))
        );
        assert_eq!(
            read::<Page>("status=new&status=closed"),
            Err(QueryError::Repeated("status".into()))
        );
        assert_eq!(
            read::<Page>("%73tatus=new&status=closed"),
            Err(QueryError::Repeated("status".into()))
        );
        // Unknown parameters are ignored, as links from elsewhere may add them.
        assert_eq!(
            read::<Page>("utm_source=x"),
            Ok(Page {
                status: None,
                before: None
            })
        );
    }
}
