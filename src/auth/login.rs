//! Signing in with a password and signing out. The second factor, when an
//! account has one, is [`super::totp::complete_login`]. Every attempt is
//! counted by the throttle before its secret is checked
//! ([`super::throttle`]) and audited; a session is created in the same
//! transaction as its audit entry, ending the one the browser held before.

use secrecy::SecretString;

use super::browser::Browser;
use super::users::{self, Account};
use super::{password, session, throttle, totp, Staff};
use crate::audit::{self, Actor};
use crate::db::DbError;
use crate::state::AppState;

/// The email as a login form sent it, made into the key it is throttled
/// and audited under: trimmed and lower-cased. No account's email holds
/// control characters; replacing them keeps the throttle key and the audit
/// entry storable by every engine.
pub fn attempted_email(raw: Option<String>) -> String {
    raw.unwrap_or_default()
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// The longest a session lasts, from `auth.session_max_hours`.
pub fn session_max(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.settings.auth.session_max)
        .unwrap_or(chrono::Duration::hours(12))
}

/// What a password login came to.
#[derive(Debug)]
pub enum PasswordLogin {
    /// Too many failures lately: wait this many seconds. The password was
    /// not checked.
    Throttled(i64),
    /// Signed in: the session cookie's token, and the account's email for
    /// the known-client cookie.
    SignedIn {
        session_token: String,
        email: String,
    },
    /// The password was right; the session waits for the second factor.
    /// The token travels in the code page's form.
    SecondFactor { login_token: String },
    /// The password was right, but `auth.require_totp` is on and this
    /// account has no second factor yet: no session (audited).
    TotpNotEnrolled { email: String },
    /// Wrong email or password, or a disabled account (audited, and
    /// counted by the throttle).
    Refused,
}

/// Checks a password login for `email` (see [`attempted_email`]) from
/// `browser`. The attempt is counted by the throttle before the password
/// is checked. An unknown or disabled account is checked against a dummy
/// hash, so the answer and its timing are the same as for a wrong
/// password.
pub async fn with_password(
    state: &AppState,
    email: &str,
    password: SecretString,
    browser: Browser,
) -> Result<PasswordLogin, DbError> {
    let keys = browser.keys(&state.hmac_keys, email);
    let (k, e) = (keys.clone(), email.to_owned());
    let (wait, account, has_totp) = state
        .pool
        .run(move |conn| {
            let account = users::find(conn, &e)?;
            let has_totp = match &account {
                Some((a, _)) => totp::enrolled(conn, a.id)?,
                None => false,
            };
            let wait = throttle::begin(conn, &k, crate::db::now())?;
            Ok::<_, DbError>((wait, account, has_totp))
        })
        .await?;
    if let Some(seconds) = wait {
        return Ok(PasswordLogin::Throttled(seconds));
    }

    let stored = account
        .as_ref()
        .filter(|(a, _)| !a.disabled)
        .map(|(_, h)| h.clone());
    let verdict =
        tokio::task::spawn_blocking(move || password::verify(&password, stored.as_deref()))
            .await
            .unwrap_or(password::Verdict::Wrong);
    let valid = verdict.is_right();
    // A hash from before passwords were normalized: replace it now that
    // the password is known to be right (see `password`).
    if let (password::Verdict::RightRehash(hash), Some((a, _))) = (verdict, &account) {
        let id = a.id;
        state
            .pool
            .run(move |conn| users::replace_hash(conn, id, &hash).map_err(DbError::from))
            .await?;
    }

    let account = account.filter(|_| valid).map(|(a, _)| a);
    if let Some(a) = &account {
        if has_totp {
            let k = keys.clone();
            state
                .pool
                .run(move |conn| {
                    conn.write(|conn| throttle::right(conn, &k, false))
                        .map_err(DbError::from)
                })
                .await?;
            let login_token = totp::pending_token(&state.hmac_keys, a.id);
            return Ok(PasswordLogin::SecondFactor { login_token });
        }
        if state.settings.auth.require_totp {
            refuse_without_totp(state, a, keys).await?;
            return Ok(PasswordLogin::TotpNotEnrolled {
                email: a.email.clone(),
            });
        }
    }
    let max_age = session_max(state);
    let actor_label = email.to_owned();
    let outcome = state
        .pool
        .run(move |conn| {
            conn.write(|conn| match &account {
                Some(a) => {
                    throttle::right(conn, &keys, true)?;
                    browser.end_old_session(conn)?;
                    let token = session::create(conn, a.id, max_age)?;
                    audit::record(
                        conn,
                        &Actor {
                            id: Some(a.id),
                            label: a.email.clone(),
                        },
                        "login",
                        &format!("user:{}", a.id),
                        "",
                    )?;
                    Ok::<_, diesel::result::Error>(Some((token, a.email.clone())))
                }
                None => {
                    // Counted by `throttle::begin`; the wait runs from now.
                    throttle::wrong(conn, &keys, crate::db::now())?;
                    audit::record(
                        conn,
                        &Actor {
                            id: None,
                            label: actor_label.clone(),
                        },
                        "login.failed",
                        "desk",
                        "wrong email or password",
                    )?;
                    Ok(None)
                }
            })
            .map_err(DbError::from)
        })
        .await?;
    Ok(match outcome {
        Some((session_token, email)) => PasswordLogin::SignedIn {
            session_token,
            email,
        },
        None => PasswordLogin::Refused,
    })
}

/// Records that `account` was refused for want of a second factor.
/// The password was right, so its count is taken back.
async fn refuse_without_totp(
    state: &AppState,
    account: &Account,
    keys: throttle::Keys,
) -> Result<(), DbError> {
    let actor = Actor {
        id: Some(account.id),
        label: account.email.clone(),
    };
    let target = format!("user:{}", account.id);
    state
        .pool
        .run(move |conn| {
            conn.write(|conn| {
                throttle::right(conn, &keys, false)?;
                audit::record(
                    conn,
                    &actor,
                    "login.failed",
                    &target,
                    "no second factor set up, which auth.require_totp requires",
                )
            })
            .map_err(DbError::from)
        })
        .await
}

/// Ends the session with cookie token `token` of `staff`, audited.
pub async fn sign_out(state: &AppState, staff: &Staff, token: String) -> Result<(), DbError> {
    let actor = staff.actor();
    let target = format!("user:{}", staff.id);
    state
        .pool
        .run(move |conn| {
            conn.write(|conn| {
                session::end(conn, &token)?;
                audit::record(conn, &actor, "logout", &target, "")
            })
            .map_err(DbError::from)
        })
        .await
}
