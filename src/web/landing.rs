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
    /// Before the first staff account exists: the command that creates it.
    first_account: Option<String>,
    /// How tipdesk's commands are run here (see `users::command_prefix`).
    command_prefix: String,
}

pub async fn page(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let (articles, any_account) = state
        .pool
        .run(|conn| {
            let articles = articles::latest(conn, 20)?;
            Ok::<_, crate::db::DbError>((articles, crate::auth::users::any(conn)?))
        })
        .await?;
    let l = i18n::current();
    Ok(html(
        StatusCode::OK,
        &Landing {
            l,
            langs: i18n::request::reader_links(l, "/"),
            embed: false,
            articles,
            first_account: (!any_account).then(crate::auth::users::first_account_command),
            command_prefix: crate::auth::users::command_prefix(),
        },
    ))
}
