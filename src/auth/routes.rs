//! `/desk/login` (password, then the second factor if the account has
//! one) and `/desk/logout`: thin handlers over [`super::login`] and
//! [`super::totp`].

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::login::{self, PasswordLogin};
use super::totp::{self, SecondFactor};
use super::{browser, known_client, session};
use crate::i18n::{self, Locale, Msg};
use crate::state::AppState;
use crate::web::form::StrictForm;
use crate::web::form_token;
use crate::web::query::Query;
use crate::web::{html_no_store, Format, WebError};

const LOGIN_SCOPE: &str = "desk-login";

#[derive(Template)]
#[template(path = "desk/login.html")]
struct LoginPage<'a> {
    l: Locale,
    /// `/desk/login`, keeping `?lang=` (before sign-in, the only way a
    /// person's language choice is known).
    action: String,
    email: &'a str,
    next: &'a str,
    csrf: String,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "desk/totp.html")]
struct TotpPage<'a> {
    l: Locale,
    action: String,
    /// The login page to start again from, in the same language.
    restart: String,
    login_token: &'a str,
    next: &'a str,
    notice: Option<String>,
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
        // `/desk` sends each person to their own start (`Staff::home`).
        _ => "/desk",
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    next: &str,
    notice: Option<Msg>,
) -> HttpResponse {
    // Before sign-in: ?lang=, the browser's languages, or the default.
    let l = i18n::current();
    html_no_store(
        status,
        &LoginPage {
            l,
            action: i18n::request::keep_picked("/desk/login"),
            email,
            next,
            csrf: form_token::issue(&state.hmac_keys, LOGIN_SCOPE),
            notice: notice.map(|m| l.msg(&m)),
        },
    )
}

/// The second step: the code from an authenticator app or a recovery code.
fn totp_page(
    status: StatusCode,
    login_token: &str,
    next: &str,
    notice: Option<Msg>,
) -> HttpResponse {
    let l = i18n::current();
    html_no_store(
        status,
        &TotpPage {
            l,
            action: i18n::request::keep_picked("/desk/login/totp"),
            restart: i18n::request::keep_picked("/desk/login"),
            login_token,
            next,
            notice: notice.map(|m| l.msg(&m)),
        },
    )
}

fn throttled(mut res: HttpResponse, seconds: i64) -> HttpResponse {
    if let Ok(v) = header::HeaderValue::from_str(&seconds.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn too_many(seconds: i64) -> Msg {
    Msg::new("login-throttled").number("seconds", seconds)
}

/// Signed in: the session cookie, the known-client cookie for `email`,
/// and on to where the person was going.
fn signed_in(state: &AppState, token: &str, email: &str, next: String) -> HttpResponse {
    tracing::info!("staff login");
    HttpResponse::SeeOther()
        .cookie(session::cookie(&state.settings, Some(token)))
        .cookie(known_client::cookie(
            &state.settings,
            &state.hmac_keys,
            email,
        ))
        .insert_header((header::LOCATION, next))
        .finish()
}

/// `GET /desk/login`
pub async fn login_form(
    state: web::Data<AppState>,
    Query(query): Query<NextQuery>,
) -> HttpResponse {
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
    let email = login::attempted_email(form.email);
    let next = safe_next(form.next.as_deref()).to_owned();
    if form_token::verify(&state.hmac_keys, LOGIN_SCOPE, form.csrf_token.as_deref(), 0).is_err() {
        return Ok(login_page(
            &state,
            StatusCode::FORBIDDEN,
            &email,
            &next,
            Some(Msg::new("login-expired")),
        ));
    }
    let browser = browser::Browser::of(&state, &req);
    let password = SecretString::from(form.password.unwrap_or_default());
    let outcome = login::with_password(&state, &email, password, browser).await?;
    Ok(match outcome {
        PasswordLogin::Throttled(seconds) => {
            tracing::warn!(reason = "throttled", "login refused");
            let res = login_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                &email,
                &next,
                Some(too_many(seconds)),
            );
            throttled(res, seconds)
        }
        PasswordLogin::SecondFactor { login_token } => {
            totp_page(StatusCode::OK, &login_token, &next, None)
        }
        PasswordLogin::TotpNotEnrolled { email } => {
            tracing::warn!(reason = "totp_not_enrolled", "login refused");
            login_page(
                &state,
                StatusCode::FORBIDDEN,
                &email,
                &next,
                Some(
                    Msg::new("login-needs-totp")
                        .text("command", format!("`tipdesk user totp enable {email}`")),
                ),
            )
        }
        PasswordLogin::SignedIn {
            session_token,
            email,
        } => signed_in(&state, &session_token, &email, next),
        PasswordLogin::Refused => {
            tracing::warn!(reason = "bad_credentials", "login failed");
            login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                &email,
                &next,
                Some(Msg::new("login-wrong")),
            )
        }
    })
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
    let expired = |status| login_page(&state, status, "", &next, Some(Msg::new("totp-expired")));
    let Some(user_id) = totp::pending_user(&state.hmac_keys, &login_token) else {
        return Ok(expired(StatusCode::FORBIDDEN));
    };
    let browser = browser::Browser::of(&state, &req);
    let sealing_keys = state.sealing_keys.clone();
    let hmac_keys = state.hmac_keys.clone();
    let code = form.code.unwrap_or_default();
    let max_age = login::session_max(&state);
    let outcome = state
        .pool
        .run(move |conn| {
            let keys = (&sealing_keys, &hmac_keys);
            totp::complete_login(conn, keys, user_id, &browser, &code, max_age)
        })
        .await
        .map_err(|e| match e {
            totp::TotpError::Db(e) => WebError::from_db(Format::Html, e),
            other => WebError::internal(Format::Html, &other),
        })?;
    Ok(match outcome {
        SecondFactor::SignedIn { token, email } => signed_in(&state, &token, &email, next.clone()),
        SecondFactor::Refused { reused } => {
            tracing::warn!(reason = "bad_second_factor", "login failed");
            totp_page(
                StatusCode::UNAUTHORIZED,
                &login_token,
                &next,
                Some(if reused {
                    Msg::new("totp-reused")
                } else {
                    Msg::new("totp-wrong")
                }),
            )
        }
        SecondFactor::Throttled(seconds) => {
            tracing::warn!(reason = "throttled", "login refused");
            let res = totp_page(
                StatusCode::TOO_MANY_REQUESTS,
                &login_token,
                &next,
                Some(too_many(seconds)),
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
    let token = req
        .cookie(session::cookie_name(&state.settings))
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    login::sign_out(&state, &protected.staff, token).await?;
    Ok(HttpResponse::SeeOther()
        .cookie(session::cookie(&state.settings, None))
        .insert_header((header::LOCATION, "/desk/login"))
        .finish())
}

#[derive(Deserialize)]
pub struct LocaleForm {
    locale: Option<String>,
}

/// `POST /desk/locale`: the switch on every desk page; sets the account's
/// desk language and returns to the queue.
pub async fn set_locale(
    state: web::Data<AppState>,
    p: super::Protected<LocaleForm>,
) -> Result<HttpResponse, WebError> {
    let tag = super::users::desk_language(p.form.locale.as_deref().unwrap_or(""))
        .map_err(|_| WebError::bad_request(Format::Html, Msg::new("desk-language-unknown")))?;
    let (id, actor) = (p.staff.id, p.staff.actor());
    state
        .pool
        .run(move |conn| super::users::set_locale(conn, id, &tag, &actor))
        .await
        .map_err(|e| match e {
            super::users::UserError::Db(e) => WebError::from(e),
            other => WebError::internal(Format::Html, &other),
        })?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/desk"))
        .finish())
}
