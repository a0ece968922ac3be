//! Two-factor login: time-based one-time codes (RFC 6238 — SHA-1, six
//! digits, 30-second steps, one step of clock drift either way, as every
//! authenticator app speaks them) and one-time recovery codes for a lost
//! phone. Accounts are enrolled from the command line; the shared secret is
//! sealed with the key ring like readers' contacts, bound to its account.

use std::time::{SystemTime, UNIX_EPOCH};

use diesel::prelude::*;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use super::browser::Browser;
use super::users::{self, UserError};
use super::{session, throttle};
use crate::audit::{self, Actor};
use crate::db::schema::{recovery_codes, users as accounts};
use crate::db::{Conn, DbError};
use crate::domain::UserId;
use crate::privacy::{PrivacyError, SealingKeys};
use crate::secrets::HmacKeys;
use crate::web::form_token;

const ISSUER: &str = "tipdesk";
const DIGITS: usize = 6;
const STEP_SECONDS: u64 = 30;
const SKEW_STEPS: u8 = 1;
/// 160 bits, the size RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
const RECOVERY_CODES: usize = 10;
/// Base32: no 0/O or 1/I to confuse when typed from paper.
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const RECOVERY_CHARS: usize = 10;
/// How long the code page may be sent after the password was accepted.
const PENDING_SECONDS: u64 = 5 * 60;
/// The key ring field the secret is sealed under.
const FIELD: &str = "totp";

/// What the secret is bound to when sealed: it opens for this account only.
fn sealed_for(user_id: UserId) -> String {
    format!("user:{user_id}")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn authenticator(secret: Vec<u8>, account: String) -> Result<TOTP, totp_rs::TotpUrlError> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        SKEW_STEPS,
        STEP_SECONDS,
        secret,
        Some(ISSUER.to_owned()),
        account,
    )
}

/// What `tipdesk user totp enable` shows, once: the secret for the
/// authenticator app and the recovery codes for the person's safe keeping.
pub struct Enrolment {
    /// `otpauth://totp/...`, for a QR code or an app's "enter a link".
    pub uri: String,
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// One-time codes, each usable once instead of an app's code.
    pub recovery_codes: Vec<String>,
    /// The account had a second factor before; the old one no longer works.
    pub replaced: bool,
}

fn new_recovery_code() -> String {
    let mut rng = rand::thread_rng();
    let code: String = (0..RECOVERY_CHARS)
        .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
        .collect();
    // Printed in two groups, accepted with or without the dash.
    format!(
        "{}-{}",
        &code[..RECOVERY_CHARS / 2],
        &code[RECOVERY_CHARS / 2..]
    )
}

/// Upper case, without spaces or dashes: how codes are compared.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase()
}

fn hash_recovery_code(normalised: &str) -> String {
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

/// Gives an account a new second factor (replacing any earlier one and its
/// recovery codes), audited in the same transaction.
pub fn enable(
    conn: &mut Conn<'_>,
    sealing_keys: &SealingKeys,
    email: &str,
    actor: &Actor,
) -> Result<Enrolment, UserError> {
    let (account, _) =
        users::find(conn, email)?.ok_or_else(|| UserError::NotFound(email.to_owned()))?;
    let secret: [u8; SECRET_BYTES] = rand::random();
    let totp = authenticator(secret.to_vec(), account.email.clone()).map_err(|e| {
        UserError::Invalid(format!(
            "{} cannot be named in an authenticator app: {e}",
            account.email
        ))
    })?;
    let sealed = sealing_keys.seal(FIELD, &sealed_for(account.id), &totp.get_secret_base32());
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let now = crate::db::now();
    let replaced = conn.write(|conn| {
        let replaced = enrolled(conn, account.id)?;
        crate::db_run!(conn, |conn| diesel::update(
            accounts::table.find(account.id)
        )
        .set((
            accounts::totp_secret.eq(&sealed),
            accounts::totp_last_step.eq(None::<i64>),
            accounts::updated_at.eq(now),
        ))
        .execute(conn))?;
        crate::db_run!(conn, |conn| diesel::delete(
            recovery_codes::table.filter(recovery_codes::user_id.eq(account.id))
        )
        .execute(conn))?;
        for code in &codes {
            crate::db_run!(conn, |conn| diesel::insert_into(recovery_codes::table)
                .values((
                    recovery_codes::user_id.eq(account.id),
                    recovery_codes::code_hash.eq(hash_recovery_code(&normalise(code))),
                ))
                .execute(conn))?;
        }
        let details = format!(
            "{}; {} recovery codes{}",
            account.email,
            codes.len(),
            if replaced {
                "; replaced the earlier second factor"
            } else {
                ""
            }
        );
        audit::record(
            conn,
            actor,
            "user.totp_enable",
            &format!("user:{}", account.id),
            &details,
        )?;
        Ok::<_, diesel::result::Error>(replaced)
    })?;
    Ok(Enrolment {
        uri: totp.get_url(),
        secret: totp.get_secret_base32(),
        recovery_codes: codes,
        replaced,
    })
}

/// Removes an account's second factor and recovery codes, audited.
pub fn disable(conn: &mut Conn<'_>, email: &str, actor: &Actor) -> Result<(), UserError> {
    let (account, _) =
        users::find(conn, email)?.ok_or_else(|| UserError::NotFound(email.to_owned()))?;
    if !enrolled(conn, account.id)? {
        return Err(UserError::Invalid(format!(
            "{} has no two-factor login to disable",
            account.email
        )));
    }
    conn.write(|conn| {
        crate::db_run!(conn, |conn| diesel::update(
            accounts::table.find(account.id)
        )
        .set((
            accounts::totp_secret.eq(None::<String>),
            accounts::totp_last_step.eq(None::<i64>),
            accounts::updated_at.eq(crate::db::now()),
        ))
        .execute(conn))?;
        crate::db_run!(conn, |conn| diesel::delete(
            recovery_codes::table.filter(recovery_codes::user_id.eq(account.id))
        )
        .execute(conn))?;
        audit::record(
            conn,
            actor,
            "user.totp_disable",
            &format!("user:{}", account.id),
            &account.email,
        )
    })?;
    Ok(())
}

/// Whether the account has a second factor.
pub fn enrolled(conn: &mut Conn<'_>, user_id: UserId) -> QueryResult<bool> {
    let secret: Option<Option<String>> = crate::db_run!(conn, |conn| accounts::table
        .find(user_id)
        .select(accounts::totp_secret)
        .first(conn)
        .optional())?;
    Ok(secret.flatten().is_some())
}

fn pending_scope(user_id: UserId, until: u64) -> String {
    format!("desk-totp:{user_id}:{until}")
}

/// A login whose password was right and whose second factor is still to
/// come: the account and a deadline, signed with the site key. It travels
/// in the code page's form, so any instance can finish the login.
pub fn pending_token(keys: &HmacKeys, user_id: UserId) -> String {
    let until = now_secs() + PENDING_SECONDS;
    let signed = form_token::issue(keys, &pending_scope(user_id, until));
    format!("{user_id}:{until}:{signed}")
}

/// The account of a genuine pending login that has not expired.
pub fn pending_user(keys: &HmacKeys, token: &str) -> Option<UserId> {
    let mut parts = token.splitn(3, ':');
    let user_id: UserId = parts.next()?.parse().ok()?;
    let until: u64 = parts.next()?.parse().ok()?;
    let signed = parts.next()?;
    form_token::verify(keys, &pending_scope(user_id, until), Some(signed), 0).ok()?;
    (now_secs() <= until).then_some(user_id)
}

/// Why the second step could not be checked (never the person's fault).
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("opening the stored TOTP secret")]
    Sealed(#[from] PrivacyError),
}

impl From<diesel::result::Error> for TotpError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// What the code page's submission came to.
#[derive(Debug)]
pub enum SecondFactor {
    /// Signed in: the new session's cookie token, and the account's email
    /// for the known-client cookie.
    SignedIn { token: String, email: String },
    /// Wrong code; `reused` when it was right but had been used already.
    Refused { reused: bool },
    /// Too many failed attempts: seconds to wait.
    Throttled(i64),
    /// The account is gone, disabled, or no longer has a second factor.
    Expired,
}

/// A code that matched: the authenticator's time step, or a recovery code.
enum Matched {
    Step(i64),
    Recovery(String),
}

/// The step within the allowed drift whose code is `code`, if any.
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let current = now / STEP_SECONDS;
    let skew = u64::from(SKEW_STEPS);
    (current.saturating_sub(skew)..=current + skew)
        .find(|step| {
            let expected = totp.generate(step * STEP_SECONDS);
            bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
        })
        .and_then(|step| i64::try_from(step).ok())
}

/// Checks the second factor of the pending login of `user_id` and, when it
/// is right, signs in exactly as a password-only login does. The attempt is
/// counted under the same throttle keys as a password before the code is
/// checked.
pub fn complete_login(
    conn: &mut Conn<'_>,
    keys: (&SealingKeys, &HmacKeys),
    user_id: UserId,
    browser: &Browser,
    code: &str,
    max_age: chrono::Duration,
) -> Result<SecondFactor, TotpError> {
    let (sealing_keys, hmac_keys) = keys;
    let row: Option<(String, bool, Option<String>)> = crate::db_run!(conn, |conn| accounts::table
        .find(user_id)
        .select((accounts::email, accounts::disabled, accounts::totp_secret))
        .first(conn)
        .optional())?;
    let Some((email, false, Some(sealed))) = row else {
        return Ok(SecondFactor::Expired);
    };
    let keys = browser.keys(hmac_keys, &email);
    let now = crate::db::now();
    if let Some(seconds) = throttle::begin(conn, &keys, now)? {
        return Ok(SecondFactor::Throttled(seconds));
    }
    let secret = sealing_keys.open(FIELD, &sealed_for(user_id), &sealed)?;
    let secret = totp_rs::Secret::Encoded(secret)
        .to_bytes()
        .map_err(|_| PrivacyError::Damaged)?;
    let totp = authenticator(secret, email.clone()).map_err(|_| PrivacyError::Damaged)?;

    let code = normalise(code);
    let matched = if code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        matching_step(&totp, &code, now_secs()).map(Matched::Step)
    } else if code.len() == RECOVERY_CHARS {
        Some(Matched::Recovery(hash_recovery_code(&code)))
    } else {
        None
    };
    let target = format!("user:{user_id}");
    Ok(conn.write(|conn| {
        // Each update succeeds at most once per code, even when two
        // instances see the same code at the same moment.
        let (accepted, via) = match &matched {
            Some(Matched::Step(step)) => {
                let n = crate::db_run!(conn, |conn| diesel::update(accounts::table.find(user_id))
                    .filter(
                        accounts::totp_last_step
                            .is_null()
                            .or(accounts::totp_last_step.lt(*step))
                    )
                    .set(accounts::totp_last_step.eq(*step))
                    .execute(conn))?;
                (n == 1, "totp")
            }
            Some(Matched::Recovery(hash)) => {
                let n = crate::db_run!(conn, |conn| diesel::update(
                    recovery_codes::table.find((user_id, hash))
                )
                .filter(recovery_codes::used_at.is_null())
                .set(recovery_codes::used_at.eq(now))
                .execute(conn))?;
                (n == 1, "recovery code")
            }
            None => (false, ""),
        };
        if accepted {
            throttle::right(conn, &keys, true)?;
            browser.end_old_session(conn)?;
            let token = session::create(conn, user_id, max_age)?;
            audit::record(
                conn,
                &Actor {
                    id: Some(user_id),
                    label: email.clone(),
                },
                "login",
                &target,
                via,
            )?;
            return Ok::<_, diesel::result::Error>(SecondFactor::SignedIn { token, email });
        }
        let reused = match &matched {
            Some(Matched::Step(_)) => true,
            Some(Matched::Recovery(hash)) => crate::db_run!(conn, |conn| recovery_codes::table
                .find((user_id, hash))
                .select(recovery_codes::user_id)
                .first::<i64>(conn)
                .optional())?
            .is_some(),
            None => false,
        };
        // Counted by `throttle::begin`; the wait runs from now.
        throttle::wrong(conn, &keys, crate::db::now())?;
        audit::record(
            conn,
            &Actor {
                id: None,
                label: email.clone(),
            },
            "login.failed",
            &target,
            "wrong second factor",
        )?;
        Ok(SecondFactor::Refused { reused })
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_within_one_step_of_drift_match_their_step() {
        let totp = authenticator(vec![7; SECRET_BYTES], "a@example.org".into()).unwrap();
        let now = 1_700_000_000;
        let step = (now / STEP_SECONDS) as i64;
        for (offset, at) in [(-1, now - 30), (0, now), (1, now + 30)] {
            let code = totp.generate(at);
            assert_eq!(matching_step(&totp, &code, now), Some(step + offset));
        }
        assert_eq!(matching_step(&totp, &totp.generate(now - 60), now), None);
        assert_eq!(matching_step(&totp, &totp.generate(now + 60), now), None);
    }

    #[test]
    fn recovery_codes_are_compared_without_case_or_dashes() {
        let code = new_recovery_code();
        assert_eq!(code.len(), RECOVERY_CHARS + 1);
        assert_eq!(
            hash_recovery_code(&normalise(&code)),
            hash_recovery_code(&normalise(&code.to_lowercase().replace('-', " ")))
        );
    }

    #[test]
    fn the_uri_names_tipdesk_and_the_account() {
        let totp = authenticator(vec![1; SECRET_BYTES], "ed@example.org".into()).unwrap();
        let uri = totp.get_url();
        assert!(
            uri.starts_with("otpauth://totp/tipdesk:ed%40example.org?secret="),
            "{uri}"
        );
        assert!(uri.contains("issuer=tipdesk"), "{uri}");
    }
}
