//! Retention: what tipdesk forgets, and when. Run hourly by `tipdesk serve`
//! and on demand by `tipdesk purge`; every purge that removed something is
//! recorded in the audit trail.

use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::config::RetentionSettings;
use crate::db::schema::{login_failures, outbox, sessions, tips};
use crate::db::Conn;
use crate::domain::TipStatus;
use crate::notifications::outbox::JobState;

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub spam_tips: usize,
    pub closed_tips: usize,
    pub sent_jobs: usize,
    pub client_hashes: usize,
}

impl std::fmt::Display for Purged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "removed {} spam or duplicate tip(s), {} closed tip(s), {} delivered notification job(s); cleared {} client hash(es)",
            self.spam_tips, self.closed_tips, self.sent_jobs, self.client_hashes
        )
    }
}

fn days_ago(days: u32) -> Option<chrono::NaiveDateTime> {
    (days > 0).then(|| crate::db::now() - chrono::Duration::days(i64::from(days)))
}

/// Rows removed per transaction. A first purge after months may remove
/// hundreds of thousands of tips; done in one transaction it held the
/// database's write lock for minutes (SQLite has one writer), and every
/// reader's submission waited for it and then failed.
const BATCH: i64 = 1_000;

/// Applies the retention settings once, in batches of [`BATCH`] rows, each
/// its own transaction; the audit entry comes last, with the totals.
pub fn purge(conn: &mut Conn<'_>, r: &RetentionSettings, actor: &Actor) -> QueryResult<Purged> {
    let mut done = Purged::default();
    if let Some(cutoff) = days_ago(r.spam_days) {
        let statuses = [TipStatus::Spam, TipStatus::Duplicate];
        done.spam_tips = in_batches(conn, |conn| delete_tips(conn, &statuses, cutoff))?;
    }
    if let Some(cutoff) = days_ago(r.closed_days) {
        done.closed_tips =
            in_batches(conn, |conn| delete_tips(conn, &[TipStatus::Closed], cutoff))?;
    }
    if let Some(cutoff) = days_ago(r.sent_jobs_days) {
        done.sent_jobs = in_batches(conn, |conn| {
            let ids: Vec<i64> = crate::db_run!(conn, |conn| outbox::table
                .filter(outbox::state.eq(JobState::Sent))
                .filter(outbox::sent_at.lt(cutoff))
                .select(outbox::id)
                .limit(BATCH)
                .load(conn))?;
            crate::db_run!(conn, |conn| diesel::delete(
                outbox::table.filter(outbox::id.eq_any(&ids))
            )
            .execute(conn))
        })?;
    }
    if let Some(cutoff) = days_ago(r.client_hash_days) {
        done.client_hashes = in_batches(conn, |conn| {
            let ids: Vec<i64> = crate::db_run!(conn, |conn| tips::table
                .filter(tips::created_at.lt(cutoff))
                .filter(tips::client_hash.ne(""))
                .select(tips::id)
                .limit(BATCH)
                .load(conn))?;
            crate::db_run!(conn, |conn| diesel::update(
                tips::table.filter(tips::id.eq_any(&ids))
            )
            .set(tips::client_hash.eq(""))
            .execute(conn))
        })?;
    }
    conn.write(|conn| {
        // Housekeeping that needs no setting: dead sessions, old failures.
        let now = crate::db::now();
        crate::db_run!(conn, |conn| diesel::delete(
            sessions::table.filter(sessions::expires_at.lt(now))
        )
        .execute(conn))?;
        crate::db_run!(conn, |conn| diesel::delete(login_failures::table.filter(
            login_failures::last_failure_at.lt(now - chrono::Duration::days(1))
        ),)
        .execute(conn))?;
        crate::follow_up::throttle::forget_before(conn, now - chrono::Duration::days(1))?;
        crate::triage::reminder::forget_before(conn, (now - chrono::Duration::days(7)).date())?;
        if done != Purged::default() {
            audit::record(conn, actor, "retention.purge", "tips", &done.to_string())?;
        }
        Ok(done)
    })
}

/// Deletes up to [`BATCH`] tips with one of `statuses`, last changed before
/// `cutoff`; returns how many.
fn delete_tips(
    conn: &mut Conn<'_>,
    statuses: &[TipStatus],
    cutoff: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    let ids: Vec<i64> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::status.eq_any(statuses.to_vec()))
        .filter(tips::updated_at.lt(cutoff))
        .select(tips::id)
        .limit(BATCH)
        .load(conn))?;
    crate::db_run!(conn, |conn| diesel::delete(
        tips::table.filter(tips::id.eq_any(&ids))
    )
    .execute(conn))
}

/// Runs `batch` (which removes up to [`BATCH`] rows and says how many) in
/// transactions of its own until it finds fewer; returns the total.
fn in_batches(
    conn: &mut Conn<'_>,
    mut batch: impl FnMut(&mut Conn<'_>) -> QueryResult<usize>,
) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let n = conn.write(|conn| batch(conn))?;
        total += n;
        if (n as i64) < BATCH {
            return Ok(total);
        }
        // Let waiting writers (a reader's tip) in between batches: SQLite
        // hands the lock to whoever asks first, and that would be us.
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
