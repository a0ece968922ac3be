//! Security headers on every response, errors included, and CORS for the
//! JSON API. One place decides them all.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use crate::config::Settings;

/// Everything a page may load comes from tipdesk itself; no script at all
/// (but for the embed's, below).
const CSP_BASE: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'";

fn is_embed(path: &str) -> bool {
    path.starts_with("/embed/")
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn is_staff(path: &str) -> bool {
    path == "/desk" || path.starts_with("/desk/") || path.starts_with("/ops/")
}

/// The CORS origin to grant, if the request's Origin is allowed.
fn allowed_origin(req: &ServiceRequest, settings: &Settings) -> Option<HeaderValue> {
    let origin = req.headers().get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    settings
        .embed
        .allowed_origins
        .iter()
        .any(|o| o == text)
        .then(|| origin.clone())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let settings = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.settings.clone());
    let path = req.path().to_owned();
    let safe_method = matches!(*req.method(), Method::GET | Method::HEAD);
    let cors = settings
        .as_deref()
        .filter(|_| is_api(&path))
        .and_then(|s| allowed_origin(&req, s));

    // CORS preflight for the JSON API: answered here, without a handler.
    let mut res = if is_api(&path) && req.method() == Method::OPTIONS {
        let mut r = HttpResponse::build(if cors.is_some() {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::FORBIDDEN
        });
        if cors.is_some() {
            // `Idempotency-Key` marks a resend of a tip (openapi.json).
            r.insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "content-type, idempotency-key",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"));
        }
        req.into_response(r.finish())
    } else {
        next.call(req).await?.map_into_boxed_body()
    };

    let desk_page = path.starts_with("/desk/tips") && !res.status().is_redirection();
    let h = res.headers_mut();
    let frame_ancestors = match settings.as_deref() {
        Some(s) if is_embed(&path) && !s.embed.allowed_origins.is_empty() => {
            s.embed.allowed_origins.join(" ")
        }
        _ => "'none'".to_owned(),
    };
    // The embed runs one script of tipdesk's own (`/embed-frame.js`, which
    // tells the article its height), and the desk's queue and tip pages
    // one for keyboard shortcuts (`/static/desk-keys.js`); every other page
    // runs none.
    let scripts = if is_embed(&path) || desk_page {
        "; script-src 'self'"
    } else {
        ""
    };
    // A response that set its own policy keeps it: a reader's file
    // downloaded by the desk is `sandbox`ed, stricter than any page.
    if h.contains_key(header::CONTENT_SECURITY_POLICY) {
    } else if let Ok(v) = HeaderValue::from_str(&format!(
        "{CSP_BASE}{scripts}; frame-ancestors {frame_ancestors}"
    )) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    // X-Frame-Options cannot list origins, so the embed relies on CSP alone.
    if !is_embed(&path) {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    // What no cache may keep: staff pages (tips), and every answer to a
    // request that sends something (a POST): it either echoes what the
    // reader wrote (a refused form, a field map, a reported fault) or
    // identifies a tip (a thank-you page, a receipt, a follow-up page).
    // One rule here, rather than one per handler, so a new refusal cannot
    // forget it (RFC 9111 §5.2.2.5).
    if is_staff(&path) || !safe_method {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if settings
        .as_deref()
        .is_some_and(|s| s.server.public_url.scheme() == "https")
    {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if let Some(origin) = cors {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        // A 429 or 503 says when to try again; a newsroom's script can
        // read only the headers CORS lists beyond the safelisted few
        // (Fetch standard, "CORS-safelisted response-header name").
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after"),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    h.remove(header::SERVER);
    Ok(res)
}
