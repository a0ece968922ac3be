//! Server-side sessions and the checks every desk request passes: a live
//! session for an enabled account, and for a state change a same-site
//! request carrying the session's CSRF token.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Role;
use crate::audit::Actor;
use crate::config::Settings;
use crate::db::schema::{sessions, user_desks, users};
use crate::db::Conn;
use crate::domain::UserId;
use crate::i18n::Locale;
use crate::state::AppState;
use crate::web::{Format, WebError};

/// A signed-in staff member, checked against the database on every request.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Desks an editor or viewer works for; empty for admin and ops.
    pub desks: Vec<String>,
    /// The session's CSRF token, for forms.
    pub csrf: String,
    /// The language of their desk pages (the account's, or
    /// `i18n.default_locale`).
    pub locale: Locale,
}

impl Staff {
    /// The desk's languages for the switch on every desk page:
    /// `(tag, name in itself, is this person's)`.
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        crate::i18n::catalog()
            .offered(crate::i18n::Audience::Desk)
            .map(|l| (l.tag(), l.name(), l == self.locale))
            .collect()
    }

    /// Their role, named in their language.
    pub fn role_name(&self) -> String {
        self.locale
            .msg(&crate::i18n::Msg::new("desk-role").key("role", self.role.as_str()))
    }

    /// May read this desk's tips.
    pub fn sees_desk(&self, desk: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Editor | Role::Viewer => self.desks.iter().any(|d| d == desk),
            Role::Ops => false,
        }
    }

    /// May change this desk's tips.
    pub fn triages_desk(&self, desk: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Editor => self.desks.iter().any(|d| d == desk),
            Role::Viewer | Role::Ops => false,
        }
    }

    /// The desks whose tips this person sees; `None` means all of them.
    pub fn desk_scope(&self) -> Option<&[String]> {
        match self.role {
            Role::Admin => None,
            Role::Editor | Role::Viewer => Some(&self.desks),
            Role::Ops => Some(&[]),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn sees_ops(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Ops)
    }

    /// Whether this person reads tips at all (ops do not).
    pub fn sees_tips(&self) -> bool {
        self.role != Role::Ops
    }

    /// Where `/desk` takes this person: ops to the notification queue
    /// (they see no tips), everyone else to the tips.
    pub fn home(&self) -> &'static str {
        if self.sees_tips() {
            "/desk/tips"
        } else {
            "/ops/queue"
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.id),
            label: self.email.clone(),
        }
    }
}

/// The session cookie's name: `__Host-` (which browsers accept only with
/// `Secure`, `Path=/` and no domain) when tipdesk is served over HTTPS.
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.server.public_url.scheme() == "https" {
        "__Host-tipdesk_session"
    } else {
        "tipdesk_session"
    }
}

/// The session cookie carrying `token` (or, with `None`, clearing it).
pub fn cookie(settings: &Settings, token: Option<&str>) -> Cookie<'static> {
    let mut c = Cookie::build(cookie_name(settings), token.unwrap_or("").to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.server.public_url.scheme() == "https")
        .finish();
    if token.is_none() {
        c.make_removal();
    }
    c
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a fresh session for `user_id` and returns the cookie's token. The
/// table keeps only the token's hash.
pub fn create(
    conn: &mut Conn<'_>,
    user_id: UserId,
    max_age: chrono::Duration,
) -> QueryResult<String> {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let csrf = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());
    let now = crate::db::now();
    crate::db_run!(conn, |conn| diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(hash_token(&token)),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(csrf),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + max_age),
        ))
        .execute(conn))?;
    Ok(token)
}

/// Ends the session with this cookie token, if any.
pub fn end(conn: &mut Conn<'_>, token: &str) -> QueryResult<()> {
    crate::db_run!(conn, |conn| diesel::delete(
        sessions::table.find(hash_token(token))
    )
    .execute(conn))?;
    Ok(())
}

/// Ends every session of a user (disable, password reset).
pub fn end_all(conn: &mut Conn<'_>, user_id: UserId) -> QueryResult<usize> {
    crate::db_run!(conn, |conn| diesel::delete(
        sessions::table.filter(sessions::user_id.eq(user_id))
    )
    .execute(conn))
}

#[derive(Queryable)]
struct SessionRow {
    id: UserId,
    csrf: String,
    last_seen: NaiveDateTime,
    expires: NaiveDateTime,
    email: String,
    name: String,
    role: Role,
    disabled: bool,
    locale: Option<String>,
}

/// The live session for `token`, touching its idle clock. Expired sessions
/// and those of disabled accounts are removed and yield `None`.
fn lookup(
    conn: &mut Conn<'_>,
    token: &str,
    idle: chrono::Duration,
    default_locale: &str,
) -> QueryResult<Option<Staff>> {
    let h = hash_token(token);
    let now = crate::db::now();
    let row: Option<SessionRow> = crate::db_run!(conn, |conn| sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(&h))
        .select((
            users::id,
            sessions::csrf_token,
            sessions::last_seen_at,
            sessions::expires_at,
            users::email,
            users::name,
            users::role,
            users::disabled,
            users::locale,
        ))
        .first(conn)
        .optional())?;
    let Some(SessionRow {
        id,
        csrf,
        last_seen,
        expires,
        email,
        name,
        role,
        disabled,
        locale,
    }) = row
    else {
        return Ok(None);
    };
    if disabled || expires <= now || last_seen + idle <= now {
        end(conn, token)?;
        return Ok(None);
    }
    // Touch at most once a minute (or a quarter of the idle timeout, if
    // shorter): precise enough, and it keeps most reads from being writes.
    if now - last_seen > (idle / 4).min(chrono::Duration::seconds(60)) {
        crate::db_run!(conn, |conn| diesel::update(sessions::table.find(&h))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn))?;
    }
    let desks: Vec<String> = crate::db_run!(conn, |conn| user_desks::table
        .filter(user_desks::user_id.eq(id))
        .order(user_desks::desk)
        .select(user_desks::desk)
        .load(conn))?;
    Ok(Some(Staff {
        id,
        email,
        name,
        role,
        desks,
        csrf,
        locale: crate::i18n::request::desk_locale(locale.as_deref(), default_locale),
    }))
}

/// Why a desk request was turned away.
#[derive(Debug)]
pub enum Denied {
    /// No live session: to the login page, coming back here afterwards.
    Login {
        next: String,
    },
    Refused(WebError),
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Login { .. } => f.write_str("login required"),
            Self::Refused(e) => e.fmt(f),
        }
    }
}

impl ResponseError for Denied {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Login { .. } => StatusCode::SEE_OTHER,
            Self::Refused(e) => e.status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Login { next } => {
                let target = format!(
                    "/desk/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .finish()
            }
            Self::Refused(e) => e.error_response(),
        }
    }
}

impl From<WebError> for Denied {
    fn from(e: WebError) -> Self {
        Self::Refused(e)
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, Denied> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| Denied::Refused(WebError::internal(Format::Html, &std::fmt::Error)))
}

impl FromRequest for Staff {
    type Error = Denied;
    type Future = LocalBoxFuture<'static, Result<Self, Denied>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            // Only GETs come back after login; a refused POST returns to the queue.
            let next = if req.method() == actix_web::http::Method::GET {
                req.uri()
                    .path_and_query()
                    .map_or("/desk".into(), |p| p.to_string())
            } else {
                "/desk".into()
            };
            let Some(token) = req
                .cookie(cookie_name(&state.settings))
                .map(|c| c.value().to_owned())
                .filter(|t| !t.is_empty())
            else {
                return Err(Denied::Login { next });
            };
            let idle = chrono::Duration::from_std(state.settings.auth.session_idle)
                .unwrap_or(chrono::Duration::hours(1));
            let default = state.settings.i18n.default_locale.clone();
            let staff = state
                .pool
                .query(move |conn| lookup(conn, &token, idle, &default))
                .await
                .map_err(WebError::from)?;
            let staff = staff.ok_or(Denied::Login { next })?;
            crate::i18n::request::use_account(staff.locale);
            Ok(staff)
        })
    }
}

/// Refuses requests another site made the browser send: `Sec-Fetch-Site:
/// cross-site`, or an `Origin` that is neither this host nor `public_url`.
pub fn same_site(req: &HttpRequest, settings: &Settings) -> Result<(), WebError> {
    let refuse = || {
        WebError::new(
            Format::Html,
            StatusCode::FORBIDDEN,
            "cross_site",
            crate::i18n::Msg::new("desk-cross-site"),
        )
    };
    let h = req.headers();
    let fetch_site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site == Some("cross-site") {
        return Err(refuse());
    }
    let Some(origin) = h.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| refuse())?;
    // Under `Referrer-Policy: no-referrer` browsers send `Origin: null`
    // even for our own forms; they then say same-origin in Sec-Fetch-Site.
    if origin == "null" {
        return if fetch_site == Some("same-origin") {
            Ok(())
        } else {
            Err(refuse())
        };
    }
    let parsed = url::Url::parse(origin).map_err(|_| refuse())?;
    let authority = |u: &url::Url| {
        u.host_str().map(|host| match u.port_or_known_default() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        })
    };
    let origin_authority = authority(&parsed);
    let public = authority(&settings.server.public_url);
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).map(|v| {
        if v.contains(':') {
            v.to_owned()
        } else {
            format!("{v}:{}", parsed.port_or_known_default().unwrap_or(80))
        }
    });
    if origin_authority.is_some() && (origin_authority == public || origin_authority == host) {
        Ok(())
    } else {
        Err(refuse())
    }
}

/// A state-changing desk request: a live session, a same-site origin and
/// the session's CSRF token in the form field `csrf_token`; then the form.
pub struct Protected<T> {
    pub staff: Staff,
    pub form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for Protected<T> {
    type Error = Denied;
    type Future = LocalBoxFuture<'static, Result<Self, Denied>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = ProtectedBody::from_request(req, payload);
        Box::pin(async move {
            let ProtectedBody { staff, body } = checked.await?;
            let form = crate::web::form::parse(&body)?;
            Ok(Self { staff, form })
        })
    }
}

/// [`Protected`] for a form the handler reads itself, such as one whose
/// checkboxes send a field many times (`ids=1&ids=2`): the same checks,
/// with the body as sent (UTF-8 checked). `csrf_token` must appear once.
pub struct ProtectedBody {
    pub staff: Staff,
    pub body: actix_web::web::Bytes,
}

impl FromRequest for ProtectedBody {
    type Error = Denied;
    type Future = LocalBoxFuture<'static, Result<Self, Denied>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = crate::web::form::read(&req, payload);
        Box::pin(async move {
            let state = state(&req)?;
            same_site(&req, &state.settings)?;
            let staff = Staff::extract(&req).await?;
            let body = body.await?;
            let mut tokens = form_urlencoded::parse(&body).filter(|(k, _)| k == "csrf_token");
            let sent = match (tokens.next(), tokens.next()) {
                (Some((_, t)), None) => t.into_owned(),
                (Some(_), Some(_)) => {
                    return Err(crate::web::form::FormError::Duplicate("csrf_token".into())
                        .into_web()
                        .into())
                }
                (None, _) => String::new(),
            };
            if !bool::from(sent.as_bytes().ct_eq(staff.csrf.as_bytes())) {
                return Err(Denied::Refused(WebError::new(
                    Format::Html,
                    StatusCode::FORBIDDEN,
                    "csrf",
                    crate::i18n::Msg::new("desk-csrf"),
                )));
            }
            Ok(Self { staff, body })
        })
    }
}
