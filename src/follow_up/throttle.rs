//! How many wrong receipts a client may try: `follow_up.failures_per_hour`
//! per client (its daily-salted keyed hash, never its address), counted in
//! the database so the limit holds across instances, as the desk's login
//! throttle does.
//!
//! An attempt is written down *before* the receipt is looked at and then
//! counted: if the client already used its hour's allowance, the attempt
//! is withdrawn and refused. Two attempts racing each other both count
//! before either decides, so a client gets at most its allowance, never
//! one more (the check-then-write order would let parallel requests
//! through together). A correct receipt withdraws its attempt again — but
//! it does not forgive the client's earlier failures: otherwise a reader
//! holding one genuine receipt could reset the count between guesses at
//! other tips' receipts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::receipt_failures;
use crate::db::Conn;
use crate::web::client::ClientKey;

/// The window the allowance covers.
pub const WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// An attempt written down by [`begin`], counted as a failure unless
/// [`withdraw`]n.
#[derive(Debug, Clone, Copy)]
pub struct Attempt(i64);

/// Writes down an attempt by `client` at `now` and says whether it may go
/// ahead; when not, the attempt is withdrawn and the answer is the number
/// of seconds until the client's oldest failure leaves the window.
pub fn begin(
    conn: &mut Conn<'_>,
    client: &ClientKey,
    now: NaiveDateTime,
    per_hour: u32,
) -> QueryResult<Result<Attempt, u64>> {
    let id: i64 = crate::db_run!(conn, |conn| diesel::insert_into(receipt_failures::table)
        .values((
            receipt_failures::client_hash.eq(client.as_str()),
            receipt_failures::at.eq(now),
        ))
        .returning(receipt_failures::id)
        .get_result(conn))?;
    let since = now - WINDOW;
    let (count, oldest): (i64, Option<NaiveDateTime>) =
        crate::db_run!(conn, |conn| receipt_failures::table
            .filter(receipt_failures::client_hash.eq(client.as_str()))
            .filter(receipt_failures::at.gt(since))
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::min(receipt_failures::at)
            ))
            .first(conn))?;
    if count <= i64::from(per_hour) {
        return Ok(Ok(Attempt(id)));
    }
    withdraw(conn, Attempt(id))?;
    let free_at = oldest.unwrap_or(now) + WINDOW;
    let wait = (free_at - now).num_seconds().max(1);
    Ok(Err(u64::try_from(wait).unwrap_or(1)))
}

/// Takes an attempt back: the receipt was right, or it was never looked at.
pub fn withdraw(conn: &mut Conn<'_>, attempt: Attempt) -> QueryResult<()> {
    crate::db_run!(conn, |conn| diesel::delete(
        receipt_failures::table.find(attempt.0)
    )
    .execute(conn))?;
    Ok(())
}

/// Wrong receipts from every client since `since`: what `/ops/queue` shows.
pub fn failures_since(conn: &mut Conn<'_>, since: NaiveDateTime) -> QueryResult<i64> {
    crate::db_run!(conn, |conn| receipt_failures::table
        .filter(receipt_failures::at.gt(since))
        .count()
        .get_result(conn))
}

/// Forgets failures older than `cutoff` (retention runs it hourly with a
/// day's margin: the window is an hour, the ops page looks back a day).
pub fn forget_before(conn: &mut Conn<'_>, cutoff: NaiveDateTime) -> QueryResult<usize> {
    crate::db_run!(conn, |conn| diesel::delete(
        receipt_failures::table.filter(receipt_failures::at.lt(cutoff))
    )
    .execute(conn))
}
