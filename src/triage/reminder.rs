//! Reminders of overdue tips (issue 18, "never stale"): when tips of a
//! desk wait unread past its time to first look
//! (`[desks.<key>] first_look_hours`, decided by [`super::first_look`]),
//! the desk's addresses get one email saying how many, naming the oldest
//! and linking to the queue's `overdue=1` filter, at most once per desk
//! per UTC day. The email is written by `notifications::email`; it never
//! carries a tip's text.
//!
//! Every notification worker ([`run`]) calls [`remind`] every [`CHECK_EVERY`]. The decision is a
//! row in `desk_reminders` keyed (desk, day): the instance whose INSERT
//! takes it queues the email through the outbox in the same transaction,
//! so a reminder is queued once however many instances race, and a crash
//! can leave neither a row without its email nor an email without its row.
//! The time is a parameter (`now`), as for [`FirstLook`], so tests decide
//! which day it is.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::first_look::FirstLook;
use crate::config::Settings;
use crate::db::schema::{desk_reminders, tips};
use crate::db::{Conn, Pool};
use crate::domain::TipId;
use crate::notifications::outbox;
use crate::ops::Metrics;

/// How often each instance looks for overdue tips: a reminder goes out at
/// most this long after a desk's first tip became overdue. Two indexed
/// counts per look (the partial index `tips_unread`) once a desk was
/// reminded today.
pub const CHECK_EVERY: Duration = Duration::from_secs(600);

/// A reminder this call queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminded {
    pub desk: String,
    /// Tips overdue, and unread in all, as of `now`.
    pub overdue: i64,
    pub unread: i64,
    /// Emails queued (one per address of the desk).
    pub jobs: usize,
}

/// Queues a reminder for each configured desk that has overdue tips as
/// of `now` and no reminder yet on `now`'s UTC day. Returns the reminders
/// this call queued (none when another instance was first).
pub fn remind(
    conn: &mut Conn<'_>,
    settings: &Settings,
    now: NaiveDateTime,
) -> QueryResult<Vec<Reminded>> {
    let day = now.date().and_time(chrono::NaiveTime::MIN);
    let done: Vec<String> = crate::db_run!(conn, |conn| desk_reminders::table
        .filter(desk_reminders::day.eq(day))
        .select(desk_reminders::desk)
        .load(conn))?;
    let look = FirstLook::new(&settings.desks, now);
    let counts = super::stats::unread_and_overdue(conn, &look)?;
    let mail_domain = settings
        .server
        .public_url
        .host_str()
        .unwrap_or("tipdesk.invalid");
    let mut queued = Vec::new();
    for (desk, (unread, overdue)) in counts {
        if overdue == 0 || done.contains(&desk) {
            continue;
        }
        let (Some(cutoff), Some(config)) = (look.cutoff(&desk), settings.desks.get(&desk)) else {
            continue;
        };
        let take = DeskDay {
            desk: &desk,
            day,
            overdue,
            unread,
            cutoff,
            now,
        };
        if let Some(jobs) = take_and_enqueue(conn, &take, &config.emails, mail_domain)? {
            queued.push(Reminded {
                desk,
                overdue,
                unread,
                jobs,
            });
        }
    }
    Ok(queued)
}

/// Looks for overdue tips every [`CHECK_EVERY`] (the first time a minute
/// after start-up) and queues each desk's reminder of the day, for ever.
/// Runs beside each notification worker (`tipdesk serve` with
/// `notify.worker`, `tipdesk worker`); one of them wins each (desk, day).
pub async fn run(pool: Pool, settings: Arc<Settings>, metrics: Arc<Metrics>) {
    let first = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut tick = tokio::time::interval_at(first, CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // A reminder is a write: while storage refuses writes, readers'
        // tips come first.
        if metrics.health.background_should_wait() {
            continue;
        }
        let s = settings.clone();
        match pool.query(move |c| remind(c, &s, crate::db::now())).await {
            Ok(queued) => {
                for r in queued {
                    metrics.reminder_queued(&r.desk);
                    tracing::info!(
                        desk = %r.desk,
                        overdue = r.overdue,
                        unread = r.unread,
                        jobs = r.jobs,
                        "overdue tips: the desk's reminder of the day is queued"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for overdue tips failed; will try again"),
        }
    }
}

/// One desk's reminder for one day, as [`remind`] decided it.
struct DeskDay<'a> {
    desk: &'a str,
    /// The UTC midnight that starts the day.
    day: NaiveDateTime,
    overdue: i64,
    unread: i64,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
}

/// In one transaction: takes (desk, day) and queues the email, or does
/// nothing if another instance took the day first or the tips were read
/// meanwhile. Returns the jobs queued.
fn take_and_enqueue(
    conn: &mut Conn<'_>,
    r: &DeskDay<'_>,
    recipients: &[String],
    mail_domain: &str,
) -> QueryResult<Option<usize>> {
    conn.write(|conn| {
        // The oldest overdue tip, looked up again inside the transaction:
        // the job names it, and without one nothing is overdue any more.
        let oldest: Option<TipId> = crate::db_run!(conn, |conn| tips::table
            .filter(tips::first_read_at.is_null())
            .filter(tips::desk.eq(r.desk))
            .filter(tips::created_at.lt(r.cutoff))
            .order((tips::created_at, tips::id))
            .select(tips::id)
            .first(conn)
            .optional())?;
        let Some(oldest) = oldest else {
            return Ok(None);
        };
        // PostgreSQL: a racing instance's INSERT waits for this one's
        // commit and then does nothing; SQLite: writers are serialised.
        let taken = crate::db_run!(conn, |conn| diesel::insert_into(desk_reminders::table)
            .values((
                desk_reminders::desk.eq(r.desk),
                desk_reminders::day.eq(r.day),
                desk_reminders::overdue.eq(r.overdue),
                desk_reminders::unread.eq(r.unread),
                desk_reminders::cutoff.eq(r.cutoff),
                desk_reminders::created_at.eq(r.now),
            ))
            .on_conflict_do_nothing()
            .execute(conn))?;
        if taken == 0 {
            return Ok(None);
        }
        let jobs = outbox::enqueue_reminder(conn, oldest, r.desk, recipients, mail_domain, r.now)?;
        Ok(Some(jobs))
    })
}

/// Forgets reminders of days before `before`: a row only has to outlive
/// its day (and its email's retries). Returns how many went.
pub fn forget_before(conn: &mut Conn<'_>, before: NaiveDate) -> QueryResult<usize> {
    let before = before.and_time(chrono::NaiveTime::MIN);
    crate::db_run!(conn, |conn| diesel::delete(
        desk_reminders::table.filter(desk_reminders::day.lt(before))
    )
    .execute(conn))
}
