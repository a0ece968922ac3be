//! Growing delays after failed logins, per account and per client, kept in
//! the database so every instance applies them. Five failures are free
//! (typos happen); after that each one doubles the wait, up to 15 minutes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::login_failures;
use crate::db::Conn;

const FREE_FAILURES: i32 = 5;
const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// The keys a login attempt is counted under.
pub fn keys(email: &str, client: &str) -> [String; 2] {
    [
        format!("account:{}", email.trim().to_lowercase()),
        format!("client:{client}"),
    ]
}

fn delay(failures: i32) -> chrono::Duration {
    if failures < FREE_FAILURES {
        return chrono::Duration::zero();
    }
    let exp = u32::try_from(failures - FREE_FAILURES).unwrap_or(0).min(20);
    chrono::Duration::seconds((1i64 << exp).min(MAX_DELAY_SECONDS))
}

/// Seconds to wait before another attempt is considered, if any.
pub fn wait(conn: &mut Conn<'_>, keys: &[String], now: NaiveDateTime) -> QueryResult<Option<i64>> {
    let rows: Vec<(i32, NaiveDateTime)> = crate::db_run!(conn, |conn| login_failures::table
        .filter(login_failures::throttle_key.eq_any(keys))
        .select((login_failures::failures, login_failures::last_failure_at))
        .load(conn))?;
    let longest = rows
        .into_iter()
        .map(|(n, at)| (at + delay(n) - now).num_milliseconds())
        .max()
        .filter(|ms| *ms > 0)
        .map(|ms| (ms + 999) / 1000);
    Ok(longest)
}

/// Counts a failed attempt under every key.
pub fn fail(conn: &mut Conn<'_>, keys: &[String], now: NaiveDateTime) -> QueryResult<()> {
    for key in keys {
        crate::db_run!(conn, |conn| diesel::insert_into(login_failures::table)
            .values((
                login_failures::throttle_key.eq(key),
                login_failures::failures.eq(1),
                login_failures::last_failure_at.eq(now),
            ))
            .on_conflict(login_failures::throttle_key)
            .do_update()
            .set((
                login_failures::failures.eq(login_failures::failures + 1),
                login_failures::last_failure_at.eq(now),
            ))
            .execute(conn))?;
    }
    Ok(())
}

/// Forgets the failures after a successful login.
pub fn clear(conn: &mut Conn<'_>, keys: &[String]) -> QueryResult<()> {
    crate::db_run!(conn, |conn| diesel::delete(
        login_failures::table.filter(login_failures::throttle_key.eq_any(keys))
    )
    .execute(conn))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::delay;

    #[test]
    fn delays_start_after_five_failures_and_double() {
        assert_eq!(delay(4).num_seconds(), 0);
        assert_eq!(delay(5).num_seconds(), 1);
        assert_eq!(delay(6).num_seconds(), 2);
        assert_eq!(delay(9).num_seconds(), 16);
        assert_eq!(delay(40).num_seconds(), 900);
    }
}
