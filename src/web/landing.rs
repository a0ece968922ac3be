//! `GET /`: a small page that says what this is and links to the forms.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{html, WebError};
use crate::articles::{self, Article};
use crate::i18n::{self, LanguageLink, Locale};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    l: Locale,
    langs: Vec<LanguageLink>,
    embed: bool,
    articles: Vec<Article>,
}

pub async fn page(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let articles = state.pool.run(|conn| articles::latest(conn, 20)).await?;
    let l = i18n::current();
    Ok(html(
        StatusCode::OK,
        &Landing {
            l,
            langs: i18n::request::reader_links(l, "/"),
            embed: false,
            articles,
        },
    ))
}
