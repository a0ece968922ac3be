//! What this process has seen go wrong with storage and with the outbox,
//! for `/readyz` and for the background writers that must make way.
//!
//! Writes are the first thing a full disk (or a read-only, failing
//! database) breaks, long before a health query that only reads notices.
//! So every failed write of a tip, and every failed notification pass,
//! reports here with its cause; `/readyz` turns 503 as soon as one has, and
//! turns back only when a write succeeds again (a reader's tip, or the
//! probe `/readyz` itself makes while writes are failing).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::db::schema::storage_probe;
use crate::db::{Conn, DbError};

/// How long background writers (search indexing, retention) keep away
/// after the last failed write: the space that comes back goes to readers'
/// tips first.
pub const BACKGROUND_HOLD: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
struct Failure {
    cause: String,
}

/// Shared by the handlers, the tip writer and the worker of one process.
#[derive(Debug, Default)]
pub struct Health {
    writes: Mutex<Option<Failure>>,
    /// When a write last failed for want of storage (kept after recovery).
    last_write_failure: Mutex<Option<Instant>>,
    passes: Mutex<Option<Failure>>,
}

fn set(slot: &Mutex<Option<Failure>>, value: Option<String>) {
    if let Ok(mut s) = slot.lock() {
        *s = value.map(|cause| Failure { cause });
    }
}

fn get(slot: &Mutex<Option<Failure>>) -> Option<Failure> {
    slot.lock().ok().and_then(|s| s.clone())
}

/// What became of a write, for [`Health::write_outcome`].
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Written,
    Failed(&'a DbError),
    /// Refused by a rule before storage was asked.
    Refused,
}

impl Health {
    /// Notes the outcome of a write: a storage failure (see
    /// [`DbError::storage_trouble`]) marks writes failing, with its cause;
    /// a success clears that. Other errors (a bug, a constraint) say
    /// nothing about storage and change nothing.
    pub fn write_result<T>(&self, result: &Result<T, DbError>) {
        self.write_outcome(
            result
                .as_ref()
                .err()
                .map_or(Outcome::Written, Outcome::Failed),
        );
    }

    /// [`Health::write_result`] for a write whose result is not a
    /// `DbError`: `Refused` (e.g. a tip for a retired article) says
    /// nothing about storage and changes nothing.
    pub fn write_outcome(&self, outcome: Outcome<'_>) {
        match outcome {
            Outcome::Written => set(&self.writes, None),
            Outcome::Failed(e) => {
                if let Some(cause) = e.storage_trouble() {
                    set(&self.writes, Some(cause));
                    if let Ok(mut at) = self.last_write_failure.lock() {
                        *at = Some(Instant::now());
                    }
                }
            }
            Outcome::Refused => {}
        }
    }

    /// Why writes are failing, if they are (e.g. `disk full`).
    pub fn writes_failing(&self) -> Option<String> {
        get(&self.writes).map(|f| f.cause)
    }

    /// True while background writers should keep away: writes are failing,
    /// or failed less than [`BACKGROUND_HOLD`] ago.
    pub fn background_should_wait(&self) -> bool {
        let recent = self
            .last_write_failure
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() < BACKGROUND_HOLD);
        recent || self.writes_failing().is_some()
    }

    /// Notes a notification pass: `Err` with its cause chain, or success.
    pub fn pass_result(&self, failure: Option<String>) {
        set(&self.passes, failure);
    }

    /// Why this process's notification passes are failing, if they are.
    pub fn passes_failing(&self) -> Option<String> {
        get(&self.passes).map(|f| f.cause)
    }
}

/// Writes a page-sized scratch row and deletes it again, committed: the
/// cheapest write that still needs free space, to learn whether storage
/// takes writes again.
pub fn probe_write(conn: &mut Conn<'_>) -> Result<(), DbError> {
    let pad = "x".repeat(4096);
    conn.write(|conn| {
        crate::db_run!(conn, |c| diesel::insert_into(storage_probe::table)
            .values((storage_probe::id.eq(1), storage_probe::pad.eq(&pad)))
            .execute(c))?;
        crate::db_run!(conn, |c| diesel::delete(storage_probe::table).execute(c))?;
        Ok::<_, DbError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Result<(), DbError> {
        Err(DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new("database or disk is full".to_owned()),
        )))
    }

    #[test]
    fn a_storage_failure_is_named_and_holds_background_writers_back() {
        let h = Health::default();
        assert!(!h.background_should_wait());
        h.write_result(&full());
        assert_eq!(h.writes_failing().as_deref(), Some("disk full"));
        assert!(h.background_should_wait());
        // A reader's tip gets through: readiness recovers at once, but
        // background writers still leave the space to readers a while.
        h.write_result(&Ok(()));
        assert_eq!(h.writes_failing(), None);
        assert!(h.background_should_wait());
        // An error that is not about storage changes nothing.
        h.write_result::<()>(&Err(DbError::Query(diesel::result::Error::NotFound)));
        assert_eq!(h.writes_failing(), None);
    }
}
