//! For the people who keep tipdesk running: the queue's health, readiness,
//! metrics and retention. Nothing here reads a tip's text or a reader's
//! details; jobs are shown by their metadata only.

pub mod health;
pub mod metrics;
pub mod retention;
pub mod routes;

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;

use crate::db::schema::{articles, outbox, outbox_attempts, tips, worker_heartbeats};
use crate::db::Conn;
use crate::domain::{JobId, TipId};
use crate::notifications::outbox::JobState;

pub use metrics::Metrics;

/// The queue at a glance.
#[derive(Debug, Clone, Default)]
pub struct QueueHealth {
    pub counts: Vec<(JobState, i64)>,
    /// Age of the oldest job not yet delivered; `None` when there is none.
    pub oldest_pending_seconds: Option<f64>,
    /// Since a worker last reported in; `None` when none ever did.
    pub heartbeat_age_seconds: Option<f64>,
    /// How long the job due longest has waited since it became due
    /// (pending or retrying past its time, or in flight past its lease);
    /// `None` when nothing is due.
    pub oldest_due_seconds: Option<f64>,
    /// Articles in surge mode: (id, title, tips in the last ten minutes).
    pub surging: Vec<(String, String, i64)>,
}

/// A job that needs attention: dead, or waiting to be retried.
#[derive(Debug, Clone, Queryable)]
pub struct ProblemJob {
    pub id: JobId,
    pub tip_id: TipId,
    pub desk: String,
    pub recipient: String,
    pub state: JobState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
}

/// Why pending jobs wait although nothing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    /// The address had an email less than `notify.digest_window_seconds`
    /// ago; the jobs go out together as one digest when the window ends.
    DigestWindow,
    /// Their article is in surge: held for
    /// `limits.article_surge_hold_seconds`, then sent as one digest.
    Surge,
}

impl HoldReason {
    /// Why, in words, for the command line.
    pub fn explain(self) -> &'static str {
        match self {
            Self::DigestWindow => {
                "this address had an email less than notify.digest_window_seconds ago; they go out together as one digest"
            }
            Self::Surge => {
                "their article is in surge (limits.article_surge_hold_seconds); they go out together as one digest"
            }
        }
    }
}

/// Jobs to one address held for a digest: how many, until when, and why.
#[derive(Debug, Clone)]
pub struct HeldDigest {
    pub recipient: String,
    pub desk: String,
    pub reason: HoldReason,
    pub jobs: i64,
    /// When the first of them is due again (UTC).
    pub goes_out_at: NaiveDateTime,
}

/// Pending jobs whose time has not come: held for a digest (the only
/// reason a pending job waits), grouped by address and reason, soonest
/// first.
pub fn held_digests(conn: &mut Conn<'_>, limit: i64) -> QueryResult<Vec<HeldDigest>> {
    let now = crate::db::now();
    let rows: Vec<(String, String, bool, i64, Option<NaiveDateTime>)> =
        crate::db_run!(conn, |conn| outbox::table
            .filter(outbox::state.eq(JobState::Pending))
            .filter(outbox::next_attempt_at.gt(now))
            .group_by((outbox::recipient, outbox::desk, outbox::digest))
            .select((
                outbox::recipient,
                outbox::desk,
                outbox::digest,
                diesel::dsl::count_star(),
                diesel::dsl::min(outbox::next_attempt_at),
            ))
            .order(diesel::dsl::min(outbox::next_attempt_at))
            .limit(limit)
            .load(conn))?;
    Ok(rows
        .into_iter()
        .map(|(recipient, desk, surge, jobs, at)| HeldDigest {
            recipient,
            desk,
            reason: if surge {
                HoldReason::Surge
            } else {
                HoldReason::DigestWindow
            },
            jobs,
            goes_out_at: at.unwrap_or(now),
        })
        .collect())
}

/// Delivery attempts in one hour.
#[derive(Debug, Clone, Default)]
pub struct Hour {
    pub start: Option<NaiveDateTime>,
    pub sent: i64,
    pub failed: i64,
}

fn age(now: NaiveDateTime, then: NaiveDateTime) -> f64 {
    (now - then).num_milliseconds().max(0) as f64 / 1000.0
}

pub fn queue_health(conn: &mut Conn<'_>, surge_limit: u32) -> QueryResult<QueueHealth> {
    let now = crate::db::now();
    let counts = crate::notifications::outbox::counts(conn)?;
    let oldest: Option<NaiveDateTime> = crate::db_run!(conn, |conn| outbox::table
        .filter(outbox::state.eq_any([JobState::Pending, JobState::InFlight, JobState::Retrying]))
        .select(diesel::dsl::min(outbox::created_at))
        .first(conn))?;
    let due_waiting: Option<NaiveDateTime> = crate::db_run!(conn, |c| outbox::table
        .filter(outbox::state.eq_any([JobState::Pending, JobState::Retrying]))
        .filter(outbox::next_attempt_at.le(now))
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .first(c))?;
    let lease_lapsed: Option<NaiveDateTime> = crate::db_run!(conn, |c| outbox::table
        .filter(outbox::state.eq(JobState::InFlight))
        .filter(outbox::lease_until.le(now))
        .select(diesel::dsl::min(outbox::lease_until))
        .first(c))?;
    let oldest_due = match (due_waiting, lease_lapsed) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let beat: Option<NaiveDateTime> = crate::db_run!(conn, |conn| worker_heartbeats::table
        .select(diesel::dsl::max(worker_heartbeats::seen_at))
        .first(conn))?;
    let surging = if surge_limit == 0 {
        Vec::new()
    } else {
        crate::db_run!(conn, |conn| tips::table
            .inner_join(articles::table)
            .filter(tips::created_at.gt(now - chrono::Duration::minutes(10)))
            .group_by((articles::id, articles::title))
            .having(diesel::dsl::count_star().gt(i64::from(surge_limit)))
            .select((articles::id, articles::title, diesel::dsl::count_star()))
            .load(conn))?
    };
    Ok(QueueHealth {
        counts,
        oldest_pending_seconds: oldest.map(|t| age(now, t)),
        heartbeat_age_seconds: beat.map(|t| age(now, t)),
        oldest_due_seconds: oldest_due.map(|t| age(now, t)),
        surging,
    })
}

/// Wrong receipts tried at `/follow-up` by every client together: in the
/// last ten minutes, in the last day, and whether the ten minutes passed
/// `follow_up.failure_surge_per_10min` (someone may be guessing).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReceiptFailures {
    pub last_10min: i64,
    pub last_day: i64,
    pub surge: bool,
}

/// The attachment store against its budget (`attachments.max_store_bytes`),
/// for `/metrics` and `/ops/queue`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreUse {
    /// Bytes of all stored files, as sent (not as encrypted: the budget
    /// is said in what readers send; the ciphertext adds a 16-byte tag
    /// per 64 KiB segment, [`crate::attachments::cipher`]).
    pub used: i64,
    /// The budget in bytes; `None` when there is none (`0` in settings).
    pub budget: Option<u64>,
}

impl StoreUse {
    /// The figures now, with `budget` as configured (0: none).
    pub fn read(conn: &mut Conn<'_>, budget: u64) -> QueryResult<Self> {
        Ok(Self {
            used: crate::attachments::stored_bytes(conn)?,
            budget: (budget > 0).then_some(budget),
        })
    }

    /// Whole percent of the budget used (rounded up, so that a store
    /// with anything in it never reads 0 %); `None` without a budget.
    pub fn percent(&self) -> Option<u64> {
        let budget = self.budget?;
        let used = u64::try_from(self.used).unwrap_or(0);
        Some(used.saturating_mul(100).div_ceil(budget))
    }

    /// At or past the budget: new files get 503.
    pub fn full(&self) -> bool {
        self.budget
            .is_some_and(|b| u64::try_from(self.used).unwrap_or(0) >= b)
    }
}

pub fn receipt_failures(conn: &mut Conn<'_>, surge_limit: u32) -> QueryResult<ReceiptFailures> {
    use crate::follow_up::throttle::failures_since;
    let now = crate::db::now();
    let last_10min = failures_since(conn, now - chrono::Duration::minutes(10))?;
    let last_day = failures_since(conn, now - chrono::Duration::days(1))?;
    Ok(ReceiptFailures {
        last_10min,
        last_day,
        surge: surge_limit > 0 && last_10min > i64::from(surge_limit),
    })
}

/// Dead and retrying jobs, most recently changed first.
pub fn problem_jobs(conn: &mut Conn<'_>, limit: i64) -> QueryResult<Vec<ProblemJob>> {
    crate::db_run!(conn, |conn| outbox::table
        .filter(outbox::state.eq_any([JobState::Dead, JobState::Retrying]))
        .order(outbox::updated_at.desc())
        .limit(limit)
        .select((
            outbox::id,
            outbox::tip_id,
            outbox::desk,
            outbox::recipient,
            outbox::state,
            outbox::attempts,
            outbox::next_attempt_at,
            outbox::last_error,
        ))
        .load(conn))
}

/// Sent and failed attempts per hour over the last 24 hours, oldest first.
pub fn last_day(conn: &mut Conn<'_>) -> QueryResult<Vec<Hour>> {
    let now = crate::db::now();
    let this_hour = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    let start = this_hour - chrono::Duration::hours(23);
    let rows: Vec<(NaiveDateTime, String)> = crate::db_run!(conn, |conn| outbox_attempts::table
        .filter(outbox_attempts::attempted_at.ge(start))
        .select((outbox_attempts::attempted_at, outbox_attempts::outcome))
        .load(conn))?;
    let mut hours: Vec<Hour> = (0..24)
        .map(|i| Hour {
            start: Some(start + chrono::Duration::hours(i)),
            ..Hour::default()
        })
        .collect();
    for (at, outcome) in rows {
        let i = usize::try_from((at - start).num_hours())
            .unwrap_or(0)
            .min(23);
        if outcome == "sent" {
            hours[i].sent += 1;
        } else {
            hours[i].failed += 1;
        }
    }
    Ok(hours)
}
