//! The CMS's API: `PUT /api/v1/articles/{id}` upserts an article,
//! `DELETE` retires it. Handlers only translate between HTTP and
//! [`super`]; who may call is [`super::cms::authorized`].

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{cms, Revive, Saved};
use crate::domain::ArticleId;
use crate::i18n::Msg;
use crate::state::AppState;
use crate::web::json::UniqueJson;
use crate::web::{Format, WebError};

/// 401 unless the request carries one of `articles.api_tokens`.
fn authorize(state: &AppState, req: &HttpRequest) -> Result<(), WebError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    if cms::authorized(&state.settings.articles.api_tokens, header) {
        return Ok(());
    }
    Err(WebError::new(
        Format::Json,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        Msg::new("api-articles-unauthorized"),
    )
    // RFC 6750 §3: say which scheme would do.
    .with_header("www-authenticate", "Bearer realm=\"tipdesk\"".into()))
}

/// `PUT /api/v1/articles/{id}`: 201 when the article is new, 200 when it
/// was known (and is now as sent, brought back if it was retired).
pub async fn put(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<UniqueJson>,
) -> Result<HttpResponse, WebError> {
    authorize(&state, &req)?;
    let UniqueJson(body) = body.into_inner();
    let article = cms::record_from_json(&path, &body)
        .map_err(WebError::invalid_fields)?
        .check(&state.settings.articles.allowed_hosts)
        .map_err(WebError::invalid_fields)?;
    let id = article.id.clone();
    let saved = state
        .pool
        .run(move |c| super::save(c, &article, Revive::Yes))
        .await
        .map_err(|e| WebError::from_db(Format::Json, e))?;
    state.articles.forget(id.as_str());
    let status = match saved {
        Saved::Added => StatusCode::CREATED,
        Saved::Updated | Saved::Unchanged => StatusCode::OK,
    };
    Ok(HttpResponse::build(status).json(serde_json::json!({
        "id": id.as_str(),
        "result": saved.as_str(),
    })))
}

/// `DELETE /api/v1/articles/{id}`: 204, the article retired (its form
/// answers 410, its tips stay); 404 if tipdesk never knew it.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    authorize(&state, &req)?;
    let missing = || WebError::not_found(Format::Json, Msg::new("error-no-article"));
    let id = ArticleId::parse(&path).map_err(|_| missing())?;
    let key = id.clone();
    let known = state
        .pool
        .run(move |c| super::retire(c, &id))
        .await
        .map_err(|e| WebError::from_db(Format::Json, e))?;
    if !known {
        return Err(missing());
    }
    state.articles.forget(key.as_str());
    Ok(HttpResponse::NoContent().finish())
}
