//! `/desk/login` (password, then the second factor if the account has
//! one) and `/desk/logout`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::totp::{self, SecondFactor};
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

#[derive(Template)]
#[template(path = "desk/totp.html")]
struct TotpPage<'a> {
    login_token: &'a str,
    next: &'a str,
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
    no_store(html(
        status,
        &LoginPage {
            email,
            next,
            csrf: form_token::issue(&state.keys, LOGIN_SCOPE),
            notice,
        },
    ))
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// The second step: the code from an authenticator app or a recovery code.
fn totp_page(
    status: StatusCode,
    login_token: &str,
    next: &str,
    notice: Option<&str>,
) -> HttpResponse {
    no_store(html(
        status,
        &TotpPage {
            login_token,
            next,
            notice,
        },
    ))
}

fn throttled(mut res: HttpResponse, seconds: i64) -> HttpResponse {
    if let Ok(v) = header::HeaderValue::from_str(&seconds.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn too_many(seconds: i64) -> String {
    format!("Too many failed attempts. Please wait {seconds} seconds before trying again.")
}

fn session_max(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.settings.auth.session_max)
        .unwrap_or(chrono::Duration::hours(12))
}

/// Signed in: the session cookie, and on to where the person was going.
fn signed_in(state: &AppState, token: &str, next: String) -> HttpResponse {
    tracing::info!("staff login");
    HttpResponse::SeeOther()
        .cookie(session::cookie(&state.settings, Some(token)))
        .insert_header((header::LOCATION, next))
        .finish()
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
    let (wait, account, has_totp) = state
        .pool
        .run(move |conn| {
            let wait = throttle::wait(conn, &k, crate::db::now())?;
            let account = users::find(conn, &e)?;
            let has_totp = match &account {
                Some((a, _)) => totp::enrolled(conn, a.id)?,
                None => false,
            };
            Ok::<_, DbError>((wait, account, has_totp))
        })
        .await
        .map_err(|e| WebError::from_db(Format::Html, e))?;
    if let Some(seconds) = wait {
        tracing::warn!(reason = "throttled", "login refused");
        let res = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            &next,
            Some(&too_many(seconds)),
        );
        return Ok(throttled(res, seconds));
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

    let max_age = session_max(&state);
    let account = account.filter(|_| valid).map(|(a, _)| a);
    if let Some(a) = &account {
        // The password was right; the session waits for the second factor.
        if has_totp {
            let token = totp::pending_token(&state.keys, a.id);
            return Ok(totp_page(StatusCode::OK, &token, &next, None));
        }
        if state.settings.auth.require_totp {
            return refuse_without_totp(&state, a, &next).await;
        }
    }
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
        Some(token) => Ok(signed_in(&state, &token, next)),
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

/// `auth.require_totp` is on and this account has no second factor yet:
/// no session, and a message saying who can fix it.
async fn refuse_without_totp(
    state: &AppState,
    account: &users::Account,
    next: &str,
) -> Result<HttpResponse, WebError> {
    let actor = Actor {
        id: Some(account.id),
        label: account.email.clone(),
    };
    let target = format!("user:{}", account.id);
    state
        .pool
        .run(move |conn| {
            crate::db_write!(conn => audit::record(conn, &actor, "login.failed", &target, "no second factor set up, which auth.require_totp requires"))
                .map_err(DbError::from)
        })
        .await
        .map_err(|e| WebError::from_db(Format::Html, e))?;
    tracing::warn!(reason = "totp_not_enrolled", "login refused");
    Ok(login_page(
        state,
        StatusCode::FORBIDDEN,
        &account.email,
        next,
        Some(&format!(
            "This account needs two-factor login, which is not set up yet. Ask an admin to run `tipdesk user totp enable {}`, then sign in again.",
            account.email
        )),
    ))
}

#[derive(Deserialize)]
pub struct TotpForm {
    login_token: Option<String>,
    code: Option<String>,
    next: Option<String>,
}

/// `POST /desk/login/totp`: the second step of a login whose password was
/// right, with a code from an authenticator app or a recovery code.
pub async fn login_totp(
    state: web::Data<AppState>,
    req: HttpRequest,
    StrictForm(form): StrictForm<TotpForm>,
) -> Result<HttpResponse, WebError> {
    session::same_site(&req, &state.settings)?;
    let next = safe_next(form.next.as_deref()).to_owned();
    let login_token = form.login_token.unwrap_or_default();
    let expired = |status| {
        login_page(
            &state,
            status,
            "",
            &next,
            Some("This sign-in has expired (the code page lasts five minutes). Please sign in again."),
        )
    };
    let Some(user_id) = totp::pending_user(&state.keys, &login_token) else {
        return Ok(expired(StatusCode::FORBIDDEN));
    };
    let client = state.client_key(&req).as_str().to_owned();
    let keyring = state.keyring.clone();
    let code = form.code.unwrap_or_default();
    let max_age = session_max(&state);
    let outcome = state
        .pool
        .run(move |conn| totp::complete_login(conn, &keyring, user_id, &client, &code, max_age))
        .await
        .map_err(|e| match e {
            totp::TotpError::Db(e) => WebError::from_db(Format::Html, e),
            other => WebError::internal(Format::Html, &other),
        })?;
    Ok(match outcome {
        SecondFactor::SignedIn { token } => signed_in(&state, &token, next.clone()),
        SecondFactor::Refused { reused } => {
            tracing::warn!(reason = "bad_second_factor", "login failed");
            totp_page(
                StatusCode::UNAUTHORIZED,
                &login_token,
                &next,
                Some(if reused {
                    "That code has been used already. Wait for your app to show a new one and enter that."
                } else {
                    "That code is not right. Enter the current 6-digit code from your authenticator app, or an unused recovery code."
                }),
            )
        }
        SecondFactor::Throttled(seconds) => {
            tracing::warn!(reason = "throttled", "login refused");
            let res = totp_page(
                StatusCode::TOO_MANY_REQUESTS,
                &login_token,
                &next,
                Some(&too_many(seconds)),
            );
            throttled(res, seconds)
        }
        SecondFactor::Expired => expired(StatusCode::FORBIDDEN),
    })
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
