//! HTTP plumbing shared by every capability: rendering, errors, request
//! ids, client identity, static assets.

pub mod body_deadline;
pub mod client;
pub mod error;
pub mod form;
pub mod form_token;
pub mod headers;
pub mod json;
pub mod landing;
pub mod query;
pub mod request_id;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

pub use error::{Format, WebError};

/// Renders an auto-escaping template into a response.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "template failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(crate::i18n::current().t("error-internal"))
        }
    }
}

/// Renders a page that no cache may keep: desk pages, whose tips must not
/// linger in shared or back-button caches.
pub fn html_no_store(status: StatusCode, page: &impl Template) -> HttpResponse {
    let mut res = html(status, page);
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    res
}

const STYLESHEET: &str = include_str!("../../templates/static/tipdesk.css");

/// `GET /static/tipdesk.css`. Compiled in, so the binary runs anywhere.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// `GET /static/desk-keys.js`: the desk's keyboard shortcuts (queue and
/// tip pages), a small static script so the pages need no inline script
/// (`script-src 'self'`); every page works without it.
pub async fn desk_keys_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../../templates/static/desk-keys.js"))
}

/// `/embed.js`, which a newsroom's article loads to place the form (see
/// README, "Embedding"). Its SHA-384, for Subresource Integrity, is in
/// README; a test keeps the two equal.
pub const EMBED_JS: &str = include_str!("../../templates/static/embed.js");

/// `GET /embed.js`: cached for a week by browsers and CDNs, and readable
/// by any site (`Access-Control-Allow-Origin: *`), which the `integrity`
/// check of a `crossorigin` script needs. Public code, no secrets.
pub async fn embed_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=604800"))
        .insert_header(("access-control-allow-origin", "*"))
        .insert_header(("cross-origin-resource-policy", "cross-origin"))
        .body(EMBED_JS)
}

const EMBED_FRAME_JS: &str = include_str!("../../templates/static/embed-frame.js");

/// `GET /embed-frame.js`: the embed's own script, which posts the form's
/// height to the page around it. It may post only to
/// `embed.allowed_origins`, so the list is written into it here (a short
/// cache: the list is configuration).
pub async fn embed_frame_js(state: actix_web::web::Data<crate::state::AppState>) -> HttpResponse {
    let origins = serde_json::to_string(&state.settings.embed.allowed_origins)
        .unwrap_or_else(|_| "[]".to_owned());
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=300"))
        .body(format!(
            "var TIPDESK_ORIGINS = {origins};\n{EMBED_FRAME_JS}"
        ))
}

/// tipdesk's icon: a speech bubble on the accent blue. A favicon of its
/// own, so browsers stop asking for `/favicon.ico` and logging a 404 with
/// every page.
const FAVICON: &str = include_str!("../../templates/static/favicon.svg");

/// `GET /favicon.svg`, and `/favicon.ico` for clients that ask for it
/// without reading the page's `<link rel="icon">`.
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("cache-control", "public, max-age=86400"))
        .body(FAVICON)
}

/// Any path no route claims.
pub async fn not_found() -> HttpResponse {
    use actix_web::ResponseError;
    WebError::not_found(Format::Html, crate::i18n::Msg::new("error-no-page")).error_response()
}
