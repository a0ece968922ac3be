//! Growing delays after failed logins, kept in the database so every
//! instance applies them. An attempt is counted under three keys:
//!
//! | key | free failures | then a wait of |
//! | --- | --- | --- |
//! | the account from this client | 5 | 1 s, doubling to 15 min |
//! | this client, across accounts | 20 | 1 min, doubling to 15 min |
//! | the account, across clients | 20 | 1 min, doubling to 15 min |
//!
//! The first is the budget a person typing at their own browser meets; the
//! two looser ceilings stop one address trying many accounts and many
//! addresses trying one account, and are crossed only by an attack (or an
//! office sharing one address on a very bad day), so they bite harder. A
//! browser that signed into the account in the last 30 days (its
//! [`super::known_client`] cookie) meets only the first: someone who only
//! knows a staff email cannot keep its owner out of their own browser,
//! nor can a flood from the office's address. A count is forgotten a day
//! after its last failure. "Client" is the salted address hash of
//! [`crate::web::client::ClientKey`]. This follows NIST SP 800-63B §5.2.2
//! (rate limiting, no permanent lockout) and the OWASP Authentication Cheat
//! Sheet (per-account delays; device cookies against lockout abuse).
//!
//! The count is atomic: [`begin`] counts the attempt as a failure before
//! the password or code is checked, holding the rows' locks while it
//! decides, so a burst of concurrent guesses gets no more checks than the
//! same guesses one after another. A right secret takes its count back
//! ([`right`]); a completed login clears only the account-from-this-client
//! count, never another account's or the client's.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::login_failures;
use crate::db::Conn;

/// How many failures a key allows before waits begin, and the first wait
/// (each further failure doubles it, up to [`MAX_DELAY_SECONDS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub free_failures: i32,
    pub first_wait_seconds: i64,
}

/// The account from one client.
pub const PAIR: Policy = Policy {
    free_failures: 5,
    first_wait_seconds: 1,
};
/// One client across accounts, and one account across clients.
pub const CEILING: Policy = Policy {
    free_failures: 20,
    first_wait_seconds: 60,
};
/// The longest wait between two attempts.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;
/// A count whose last failure is older than this starts again from zero
/// (retention deletes such rows too).
const FORGET_AFTER_HOURS: i64 = 24;

/// The keys one login attempt is counted under, in the order their rows
/// are locked (the same order for every attempt, so two attempts never
/// wait on each other in a cycle).
#[derive(Debug, Clone)]
pub struct Keys {
    pair: String,
    /// The two ceilings; `None` for a browser known to have signed into
    /// this account.
    ceilings: Option<(String, String)>,
}

impl Keys {
    /// `email` as [`super::login::attempted_email`] made it; `client` a
    /// client key; `known_client` whether this browser showed a valid
    /// known-client cookie for this account.
    pub fn new(email: &str, client: &str, known_client: bool) -> Self {
        let email = email.trim().to_lowercase();
        Self {
            pair: format!("pair:{client}:{email}"),
            ceilings: (!known_client)
                .then(|| (format!("client:{client}"), format!("account:{email}"))),
        }
    }

    fn each(&self) -> impl Iterator<Item = (&str, Policy)> {
        let ceilings = self.ceilings.iter().flat_map(|(client, account)| {
            [(client.as_str(), CEILING), (account.as_str(), CEILING)]
        });
        std::iter::once((self.pair.as_str(), PAIR)).chain(ceilings)
    }
}

/// The wait after `failures` failures under `policy`.
fn delay(failures: i32, policy: Policy) -> chrono::Duration {
    if failures < policy.free_failures {
        return chrono::Duration::zero();
    }
    let exp = u32::try_from(failures - policy.free_failures)
        .unwrap_or(0)
        .min(20);
    chrono::Duration::seconds((policy.first_wait_seconds << exp).min(MAX_DELAY_SECONDS))
}

/// The count of a row as of `now`: an old one is forgotten.
fn current(failures: i32, last: NaiveDateTime, now: NaiveDateTime) -> i32 {
    if now - last >= chrono::Duration::hours(FORGET_AFTER_HOURS) {
        0
    } else {
        failures
    }
}

/// The row of `key`, created at zero if missing, locked until the end of
/// the transaction. On PostgreSQL `FOR UPDATE` after an insert that does
/// nothing when the row exists, so two first attempts cannot both count
/// from zero. On SQLite the write transaction (`BEGIN IMMEDIATE`) already
/// holds the database's one write lock; inserting only when missing keeps
/// a throttled attempt from writing anything.
fn lock(conn: &mut Conn<'_>, key: &str, now: NaiveDateTime) -> QueryResult<(i32, NaiveDateTime)> {
    let row = login_failures::table
        .find(key)
        .select((login_failures::failures, login_failures::last_failure_at));
    let insert = diesel::insert_into(login_failures::table).values((
        login_failures::throttle_key.eq(key),
        login_failures::failures.eq(0),
        login_failures::last_failure_at.eq(now),
    ));
    match conn {
        Conn::Sqlite(c) => match row.first(&mut **c).optional()? {
            Some(found) => Ok(found),
            None => insert.execute(&mut **c).map(|_| (0, now)),
        },
        #[cfg(feature = "postgres")]
        Conn::Pg(c) => {
            insert.on_conflict_do_nothing().execute(&mut **c)?;
            row.for_update().first(&mut **c)
        }
    }
}

/// The longest wait any of `rows` (key policy, failures, last failure)
/// asks for, in milliseconds (zero or less: none).
fn longest_wait_ms(rows: &[(Policy, i32, NaiveDateTime)], now: NaiveDateTime) -> i64 {
    rows.iter()
        .map(|(policy, failures, last)| {
            (*last + delay(current(*failures, *last, now), *policy) - now).num_milliseconds()
        })
        .max()
        .unwrap_or(0)
}

fn seconds(ms: i64) -> Option<i64> {
    (ms > 0).then(|| (ms + 999) / 1000)
}

/// Starts an attempt: if any key says to wait, the seconds to wait
/// (rounded up) and nothing is counted; otherwise the attempt is counted
/// as a failure under every key, before the secret is checked. A plain
/// read turns away what is already throttled without taking a write lock
/// (a flood of throttled attempts must not queue ahead of readers' tips on
/// SQLite); the decision itself is made again under the rows' locks, in a
/// write transaction of its own (a savepoint inside another).
pub fn begin(conn: &mut Conn<'_>, keys: &Keys, now: NaiveDateTime) -> QueryResult<Option<i64>> {
    let names: Vec<&str> = keys.each().map(|(k, _)| k).collect();
    let found: Vec<(String, i32, NaiveDateTime)> = crate::db_run!(conn, |c| login_failures::table
        .filter(login_failures::throttle_key.eq_any(&names))
        .select((
            login_failures::throttle_key,
            login_failures::failures,
            login_failures::last_failure_at
        ))
        .load(c))?;
    let seen: Vec<_> = keys
        .each()
        .filter_map(|(key, policy)| {
            found
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, n, at)| (policy, *n, *at))
        })
        .collect();
    if let Some(wait) = seconds(longest_wait_ms(&seen, now)) {
        return Ok(Some(wait));
    }
    conn.write(|conn| {
        let mut rows = Vec::with_capacity(3);
        for (key, policy) in keys.each() {
            let (failures, last) = lock(conn, key, now)?;
            rows.push((key, policy, failures, last));
        }
        let locked: Vec<_> = rows.iter().map(|(_, p, n, at)| (*p, *n, *at)).collect();
        if let Some(wait) = seconds(longest_wait_ms(&locked, now)) {
            return Ok(Some(wait));
        }
        for (key, _, failures, last) in rows {
            let counted = current(failures, last, now).saturating_add(1);
            crate::db_run!(conn, |c| diesel::update(login_failures::table.find(key))
                .set((
                    login_failures::failures.eq(counted),
                    login_failures::last_failure_at.eq(now),
                ))
                .execute(c))?;
        }
        Ok(None)
    })
}

/// The secret of an attempt that [`begin`] counted was wrong: the waits
/// run from now, when the failure is known, not from when the attempt
/// began (a slow password check must not shorten them).
pub fn wrong(conn: &mut Conn<'_>, keys: &Keys, now: NaiveDateTime) -> QueryResult<()> {
    let names: Vec<&str> = keys.each().map(|(k, _)| k).collect();
    crate::db_run!(conn, |c| diesel::update(
        login_failures::table.filter(login_failures::throttle_key.eq_any(&names))
    )
    .set(login_failures::last_failure_at.eq(now))
    .execute(c))?;
    Ok(())
}

/// The secret of an attempt that [`begin`] counted was right: its count
/// is taken back under every key. When the login is complete
/// (`signed_in`) the account-from-this-client count is cleared as well;
/// the client's count and the account's count across clients keep the
/// failures they had, so signing into one's own account does not buy
/// guesses at others.
pub fn right(conn: &mut Conn<'_>, keys: &Keys, signed_in: bool) -> QueryResult<()> {
    for (key, _) in keys.each() {
        if signed_in && key == keys.pair {
            crate::db_run!(conn, |c| diesel::delete(login_failures::table.find(key))
                .execute(c))?;
            continue;
        }
        crate::db_run!(conn, |c| diesel::update(
            login_failures::table
                .find(key)
                .filter(login_failures::failures.gt(0))
        )
        .set(login_failures::failures.eq(login_failures::failures - 1))
        .execute(c))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_and_double_to_fifteen_minutes() {
        assert_eq!(delay(4, PAIR).num_seconds(), 0);
        assert_eq!(delay(5, PAIR).num_seconds(), 1);
        assert_eq!(delay(6, PAIR).num_seconds(), 2);
        assert_eq!(delay(9, PAIR).num_seconds(), 16);
        assert_eq!(delay(40, PAIR).num_seconds(), 900);
        assert_eq!(delay(19, CEILING).num_seconds(), 0);
        assert_eq!(delay(20, CEILING).num_seconds(), 60);
        assert_eq!(delay(23, CEILING).num_seconds(), 480);
        assert_eq!(delay(24, CEILING).num_seconds(), 900);
    }

    #[test]
    fn a_known_client_meets_only_the_account_from_this_client_budget() {
        let unknown = Keys::new(" Ed@Example.org", "c1", false);
        let known = Keys::new("ed@example.org", "c1", true);
        assert_eq!(
            unknown.each().map(|(k, _)| k).collect::<Vec<_>>(),
            [
                "pair:c1:ed@example.org",
                "client:c1",
                "account:ed@example.org"
            ]
        );
        assert_eq!(
            known.each().map(|(k, _)| k).collect::<Vec<_>>(),
            ["pair:c1:ed@example.org"]
        );
    }

    #[test]
    fn counts_are_forgotten_a_day_after_the_last_failure() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(current(30, now - chrono::Duration::hours(23), now), 30);
        assert_eq!(current(30, now - chrono::Duration::hours(24), now), 0);
    }
}
