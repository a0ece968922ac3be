//! `/desk/login` and `/desk/logout`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::{password, session, throttle, users, Staff};
use crate::app::AppState;
use crate::audit::{self, Actor};
use crate::db::DbError;
use crate::web::form::StrictForm;
use crate::web::form_token;
use crate::web::{html, Format, WebError};

const LOGIN_SCOPE: &str = "desk-login";

#[derive(Template)]
#[template(path = "desk/login.html")]
struct LoginPage<'a> {
    email: &'a str,
    next: &'a str,
    csrf: String,
    notice: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after login: only back into the desk, never off-site.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/desk/") && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n
        }
        _ => "/desk/tips",
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    next: &str,
    notice: Option<&str>,
) -> HttpResponse {
    let mut res = html(
        status,
        &LoginPage {
            email,
            next,
            csrf: form_token::issue(&state.keys, LOGIN_SCOPE),
            notice,
        },
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// `GET /desk/login`
pub async fn login_form(state: web::Data<AppState>, query: web::Query<NextQuery>) -> HttpResponse {
    login_page(
        &state,
        StatusCode::OK,
        "",
        safe_next(query.next.as_deref()),
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    csrf_token: Option<String>,
    next: Option<String>,
}

/// `POST /desk/login`
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    StrictForm(form): StrictForm<LoginForm>,
) -> Result<HttpResponse, WebError> {
    session::same_site(&req, &state.settings)?;
    // No account's email holds control characters; replacing them keeps
    // the throttle key and the audit entry storable by every engine.
    let email: String = form
        .email
        .unwrap_or_default()
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let next = safe_next(form.next.as_deref()).to_owned();
    if form_token::verify(&state.keys, LOGIN_SCOPE, form.csrf_token.as_deref(), 0).is_err() {
        return Ok(login_page(
            &state,
            StatusCode::FORBIDDEN,
            &email,
            &next,
            Some("This login form has expired. Please sign in again."),
        ));
    }
    let client = state.client_key(&req);
    let keys = throttle::keys(&email, client.as_str());
    let (k, e) = (keys.clone(), email.clone());
    let (wait, account) = state
        .pool
        .run(move |conn| {
            let wait = throttle::wait(conn, &k, crate::db::now())?;
            let account = users::find(conn, &e)?;
            Ok::<_, DbError>((wait, account))
        })
        .await
        .map_err(|e| WebError::from_db(Format::Html, e))?;
    if let Some(seconds) = wait {
        tracing::warn!(reason = "throttled", "login refused");
        let mut res = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            &next,
            Some(&format!(
                "Too many failed attempts. Please wait {seconds} seconds before trying again."
            )),
        );
        if let Ok(v) = header::HeaderValue::from_str(&seconds.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }

    // An unknown or disabled account is checked against a dummy hash, so
    // the answer and its timing are the same as for a wrong password.
    let password = SecretString::from(form.password.unwrap_or_default());
    let stored = account
        .as_ref()
        .filter(|(a, _)| !a.disabled)
        .map(|(_, h)| h.clone());
    let valid = tokio::task::spawn_blocking(move || password::verify(&password, stored.as_deref()))
        .await
        .unwrap_or(false);

    let max_age = chrono::Duration::from_std(state.settings.auth.session_max)
        .unwrap_or(chrono::Duration::hours(12));
    let account = account.filter(|_| valid).map(|(a, _)| a);
    let actor_label = email.clone();
    let outcome = state
        .pool
        .run(move |conn| {
            let now = crate::db::now();
            crate::db_write!(conn => match &account {
                Some(a) => {
                    throttle::clear(conn, &keys)?;
                    let token = session::create(conn, a.id, max_age)?;
                    audit::record(conn, &Actor { id: Some(a.id), label: a.email.clone() }, "login", &format!("user:{}", a.id), "")?;
                    Ok::<_, diesel::result::Error>(Some(token))
                }
                None => {
                    throttle::fail(conn, &keys, now)?;
                    audit::record(conn, &Actor { id: None, label: actor_label.clone() }, "login.failed", "desk", "wrong email or password")?;
                    Ok(None)
                }
            })
            .map_err(DbError::from)
        })
        .await
        .map_err(|e| WebError::from_db(Format::Html, e))?;
    match outcome {
        Some(token) => {
            tracing::info!("staff login");
            Ok(HttpResponse::SeeOther()
                .cookie(session::cookie(&state.settings, Some(&token)))
                .insert_header((header::LOCATION, next))
                .finish())
        }
        None => {
            tracing::warn!(reason = "bad_credentials", "login failed");
            Ok(login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                &email,
                &next,
                Some("That email and password do not match an account."),
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /desk/logout`
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    protected: super::Protected<Empty>,
) -> Result<HttpResponse, WebError> {
    let staff: Staff = protected.staff;
    let token = req
        .cookie(session::cookie_name(&state.settings))
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let actor = staff.actor();
    state
        .pool
        .run(move |conn| {
            crate::db_write!(conn => {
                session::end(conn, &token)?;
                audit::record(conn, &actor, "logout", &format!("user:{}", staff.id), "")
            })
            .map_err(DbError::from)
        })
        .await
        .map_err(|e| WebError::from_db(Format::Html, e))?;
    Ok(HttpResponse::SeeOther()
        .cookie(session::cookie(&state.settings, None))
        .insert_header((header::LOCATION, "/desk/login"))
        .finish())
}
