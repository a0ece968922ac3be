//! The outbox: one job per recipient per tip, durable before the reader is
//! told their tip arrived. Every state change a worker makes is fenced on
//! its claim token, so a worker whose lease ran out cannot overwrite the
//! work of the one that took over.
//!
//! All the queue's SQL is here, beside its worker: enqueueing (on the
//! caller's connection, inside the caller's transaction), claiming with a
//! lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), recording outcomes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::wake;
use crate::audit::{self, Actor};
use crate::db::schema::{
    articles, attachments, desk_reminders, mailboxes, outbox, outbox_attempts, tips,
    worker_heartbeats,
};
use crate::db::Conn;
use crate::domain::{JobId, Sensitive, TipId, TipKind};

/// States a job moves through. `InFlight` is a claimed job (its lease may
/// have run out, which makes it claimable again); `Retrying` waits for its
/// next attempt after a transient failure. Stored as its
/// [`JobState::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum JobState {
    Pending,
    InFlight,
    Retrying,
    Sent,
    Dead,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        Self::Pending,
        Self::InFlight,
        Self::Retrying,
        Self::Sent,
        Self::Dead,
    ];

    /// The stored name, also used by `tipdesk queue status --json` and
    /// the `tipdesk_outbox_jobs` metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Retrying => "retrying",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not a job state"))
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

crate::text_enum_sql!(JobState);

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewJob<'a> {
    tip_id: TipId,
    desk: &'a str,
    recipient: &'a str,
    message_id: &'a str,
    state: JobState,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    digest: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    reason: JobReason,
    message_seq: Option<i32>,
}

/// What a job tells the desk about. Stored as its [`JobReason::as_str`]
/// name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum JobReason {
    /// A new tip arrived.
    Tip,
    /// The reader of a tip wrote back (see `follow_up`).
    Reply,
    /// Tips of the desk are overdue (see `triage::reminder`). The job's
    /// tip is the oldest of them; the figures are in `desk_reminders`.
    /// Always mailed alone: never gathered into a digest nor held by an
    /// address's digest window (there is at most one a day).
    Reminder,
}

impl JobReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tip => "tip",
            Self::Reply => "reply",
            Self::Reminder => "reminder",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        [Self::Tip, Self::Reply, Self::Reminder]
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not a job's reason"))
    }
}

crate::text_enum_sql!(JobReason);

/// Queues a notification about `tip_id` for each of the desk's addresses,
/// on the caller's connection (and so inside the caller's transaction).
///
/// The `Message-ID` is chosen now and reused on every attempt, so a resend
/// after a crash is recognizable as the same message.
///
/// `hold_until` (an article in surge) holds the jobs until then and marks
/// them to be mailed as a digest.
///
/// Announcing the jobs to other instances is left to the caller, once its
/// transaction holds all it queues: the tip writer sends one `NOTIFY` for
/// a group of tips (`submission::writer`), not one per tip.
pub fn enqueue_tip(
    conn: &mut Conn<'_>,
    tip_id: TipId,
    desk: &str,
    recipients: &[String],
    mail_domain: &str,
    hold_until: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    tip_jobs(desk, recipients, mail_domain, hold_until).insert(conn, tip_id)
}

/// Queues a notification that the reader of `tip_id` wrote back (message
/// `seq` of its conversation, whose files the email counts), for each
/// of the desk's addresses, on the caller's connection. It goes through
/// the same queue, digest windows and retries as a new tip's.
pub fn enqueue_reply(
    conn: &mut Conn<'_>,
    tip_id: TipId,
    seq: i32,
    desk: &str,
    recipients: &[String],
    mail_domain: &str,
) -> QueryResult<usize> {
    let jobs = Jobs {
        message_seq: Some(seq),
        ..Jobs::new(
            desk,
            recipients,
            mail_domain,
            None,
            JobReason::Reply,
            crate::db::now(),
        )
    };
    insert_and_announce(conn, tip_id, &jobs)
}

/// Queues the reminder that `desk` has overdue tips, for each of the
/// desk's addresses, on the caller's connection (inside the transaction
/// that took the desk's day in `desk_reminders`), due at `now`. `tip_id` is
/// the oldest overdue tip (a job names a tip; `/ops/queue` shows it). The
/// job's `created_at` is `now`, whose UTC day finds the figures again when
/// the email is written ([`claim`]).
pub fn enqueue_reminder(
    conn: &mut Conn<'_>,
    tip_id: TipId,
    desk: &str,
    recipients: &[String],
    mail_domain: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let jobs = Jobs::new(
        desk,
        recipients,
        mail_domain,
        None,
        JobReason::Reminder,
        now,
    );
    insert_and_announce(conn, tip_id, &jobs)
}

/// Stores `jobs` about `tip_id` and announces them to other instances
/// when the caller's transaction commits: for jobs queued one transaction
/// at a time (the tip writer announces a whole group once instead).
fn insert_and_announce(conn: &mut Conn<'_>, tip_id: TipId, jobs: &Jobs<'_>) -> QueryResult<usize> {
    let n = jobs.insert(conn, tip_id)?;
    wake::announce(conn)?;
    Ok(n)
}

/// A new tip's notification jobs (see [`enqueue_tip`]), decided before
/// the tip is stored, for a caller that stores them itself: the tip
/// writer on PostgreSQL stores them in the tip's own statement
/// (`submission::pg`), from these fields.
pub fn tip_jobs<'a>(
    desk: &'a str,
    recipients: &'a [String],
    mail_domain: &str,
    hold_until: Option<NaiveDateTime>,
) -> Jobs<'a> {
    Jobs::new(
        desk,
        recipients,
        mail_domain,
        hold_until,
        JobReason::Tip,
        crate::db::now(),
    )
}

/// Notification jobs about one tip, one per recipient, as they are
/// stored: each row has these values, with its own recipient and
/// `Message-ID`.
pub struct Jobs<'a> {
    pub desk: &'a str,
    pub recipients: &'a [String],
    /// One per recipient, in the same order.
    pub message_ids: Vec<String>,
    pub state: JobState,
    pub next_attempt_at: NaiveDateTime,
    pub digest: bool,
    /// Also their `updated_at`.
    pub created_at: NaiveDateTime,
    pub reason: JobReason,
    /// A reply job's message (`tip_messages.seq`).
    pub message_seq: Option<i32>,
}

impl<'a> Jobs<'a> {
    fn new(
        desk: &'a str,
        recipients: &'a [String],
        mail_domain: &str,
        hold_until: Option<NaiveDateTime>,
        reason: JobReason,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            desk,
            recipients,
            message_ids: recipients
                .iter()
                .map(|_| {
                    format!(
                        "<{}@{}>",
                        hex::encode(rand::random::<[u8; 16]>()),
                        mail_domain
                    )
                })
                .collect(),
            state: JobState::Pending,
            next_attempt_at: hold_until.unwrap_or(now),
            digest: hold_until.is_some(),
            created_at: now,
            reason,
            message_seq: None,
        }
    }

    /// Stores the jobs for tip `tip_id`, on the caller's connection.
    pub fn insert(&self, conn: &mut Conn<'_>, tip_id: TipId) -> QueryResult<usize> {
        let rows: Vec<NewJob<'_>> = self
            .recipients
            .iter()
            .zip(&self.message_ids)
            .map(|(recipient, message_id)| NewJob {
                tip_id,
                desk: self.desk,
                recipient,
                message_id,
                state: self.state,
                attempts: 0,
                next_attempt_at: self.next_attempt_at,
                digest: self.digest,
                created_at: self.created_at,
                updated_at: self.created_at,
                reason: self.reason,
                message_seq: self.message_seq,
            })
            .collect();
        crate::db_run!(conn, |conn| diesel::insert_into(outbox::table)
            .values(&rows)
            .execute(conn))
    }
}

/// A claimed job with what its email needs. Carries the tip's text only
/// for desks that opted in to an excerpt.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: JobId,
    pub tip_id: TipId,
    pub desk: String,
    pub recipient: String,
    pub message_id: String,
    pub attempts: i32,
    pub kind: TipKind,
    pub received_at: NaiveDateTime,
    pub article_id: String,
    pub article_title: String,
    pub article_url: String,
    pub message: Sensitive<String>,
    /// Held for a digest (its article was in surge).
    pub digest: bool,
    /// What the email is about.
    pub reason: JobReason,
    /// How many files came with the tip, or for a reply job with its
    /// message (filled in by [`claim`]; the email gives the number, never
    /// a name).
    pub attachments: i64,
    /// A reply job's message (`tip_messages.seq`).
    pub message_seq: Option<i32>,
    /// A reminder's figures and the tips it names (filled in by [`claim`]
    /// for a [`JobReason::Reminder`] job).
    pub reminder: Option<ReminderFigures>,
}

/// What a reminder of overdue tips says: the counts when it was decided,
/// and which of the tips overdue then are still unread as it is mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderFigures {
    /// Tips overdue when the reminder was decided (UTC time `at`).
    pub overdue: i64,
    /// Tips nobody at the desk had opened then (overdue or not).
    pub unread: i64,
    pub at: NaiveDateTime,
    /// The oldest of the tips overdue at `at` and still unread, oldest
    /// first, at most [`REMINDER_TIPS`]: the article's title and when the
    /// tip arrived. Never the tip's text nor its reference.
    pub tips: Vec<OverdueTip>,
}

/// One overdue tip named by a reminder.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct OverdueTip {
    pub id: TipId,
    pub received_at: NaiveDateTime,
    pub article_title: String,
}

/// Overdue tips a reminder names; the queue's `overdue=1` filter has them all.
pub const REMINDER_TIPS: i64 = 10;

/// The columns [`claim`] reads, in [`ClaimedJob`]'s order.
#[derive(Queryable)]
struct JobRow {
    id: JobId,
    tip_id: TipId,
    desk: String,
    recipient: String,
    message_id: String,
    attempts: i32,
    kind: TipKind,
    received_at: NaiveDateTime,
    article_id: String,
    article_title: String,
    article_url: String,
    #[diesel(deserialize_as = String)]
    message: Sensitive<String>,
    digest: bool,
    reason: JobReason,
    created_at: NaiveDateTime,
    message_seq: Option<i32>,
}

impl From<JobRow> for ClaimedJob {
    fn from(r: JobRow) -> Self {
        Self {
            id: r.id,
            tip_id: r.tip_id,
            desk: r.desk,
            recipient: r.recipient,
            message_id: r.message_id,
            attempts: r.attempts,
            kind: r.kind,
            received_at: r.received_at,
            article_id: r.article_id,
            article_title: r.article_title,
            article_url: r.article_url,
            message: r.message,
            digest: r.digest,
            reason: r.reason,
            attachments: 0,
            message_seq: r.message_seq,
            reminder: None,
        }
    }
}

/// Which jobs to claim.
pub struct ClaimRequest<'a> {
    pub now: NaiveDateTime,
    pub lease_until: NaiveDateTime,
    pub token: &'a str,
    /// The claiming worker's id, kept with the job for ops.
    pub worker: &'a str,
    pub limit: i64,
    /// Only this address's jobs (to sweep a digest together); reminders
    /// are left out, as they are never part of a digest.
    pub recipient: Option<&'a str>,
}

/// Claims up to `limit` due jobs for the caller and returns their ids. A
/// job is due when it is pending or retrying and its time has come, or in
/// flight with a lease that ran out (its worker died).
///
/// PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent workers claim
/// disjoint jobs without waiting for each other. SQLite: the immediate
/// transaction already serialises writers.
fn claim_due(conn: &mut Conn<'_>, req: &ClaimRequest<'_>) -> QueryResult<Vec<JobId>> {
    macro_rules! due {
        () => {
            outbox::table
                .filter(
                    outbox::state
                        .eq_any([JobState::Pending, JobState::Retrying])
                        .and(outbox::next_attempt_at.le(req.now))
                        .or(outbox::state
                            .eq(JobState::InFlight)
                            .and(outbox::lease_until.le(req.now))),
                )
                .order((outbox::next_attempt_at, outbox::id))
                .limit(req.limit)
                .select(outbox::id)
        };
    }
    conn.write(|conn| {
        let ids: Vec<JobId> = match (&mut *conn, req.recipient) {
            (Conn::Sqlite(c), None) => due!().load(&mut **c)?,
            (Conn::Sqlite(c), Some(r)) => due!()
                .filter(outbox::recipient.eq(r))
                .filter(outbox::reason.ne(JobReason::Reminder))
                .load(&mut **c)?,
            #[cfg(feature = "postgres")]
            (Conn::Pg(c), None) => due!().for_update().skip_locked().load(&mut **c)?,
            #[cfg(feature = "postgres")]
            (Conn::Pg(c), Some(r)) => due!()
                .filter(outbox::recipient.eq(r))
                .filter(outbox::reason.ne(JobReason::Reminder))
                .for_update()
                .skip_locked()
                .load(&mut **c)?,
        };
        for chunk in crate::db::chunks(&ids, 1) {
            crate::db_run!(conn, |conn| diesel::update(
                outbox::table.filter(outbox::id.eq_any(chunk))
            )
            .set((
                outbox::state.eq(JobState::InFlight),
                outbox::claim_token.eq(req.token),
                outbox::claimed_by.eq(req.worker),
                outbox::lease_until.eq(req.lease_until),
                outbox::updated_at.eq(req.now),
            ))
            .execute(conn))?;
        }
        Ok(ids)
    })
}

/// Claims due jobs (see [`claim_due`]) and loads their details.
pub fn claim(conn: &mut Conn<'_>, req: &ClaimRequest<'_>) -> QueryResult<Vec<ClaimedJob>> {
    let ids = claim_due(conn, req)?;
    let mut jobs = Vec::with_capacity(ids.len());
    for chunk in crate::db::chunks(&ids, 1) {
        let some: Vec<JobRow> = crate::db_run!(conn, |conn| outbox::table
            .inner_join(tips::table.inner_join(articles::table))
            .filter(outbox::id.eq_any(chunk))
            .filter(outbox::claim_token.eq(req.token))
            .select((
                outbox::id,
                outbox::tip_id,
                outbox::desk,
                outbox::recipient,
                outbox::message_id,
                outbox::attempts,
                tips::kind,
                tips::created_at,
                articles::id,
                articles::title,
                articles::url,
                tips::message,
                outbox::digest,
                outbox::reason,
                outbox::created_at,
                outbox::message_seq,
            ))
            .load(conn))?;
        for row in some {
            let created_at = row.created_at;
            let mut job = ClaimedJob::from(row);
            if job.reason == JobReason::Reminder {
                job.reminder = reminder_figures(conn, &job.desk, created_at)?;
            }
            if let (JobReason::Reply, Some(seq)) = (job.reason, job.message_seq) {
                // Replies are few: one count each.
                job.attachments = crate::db_run!(conn, |conn| attachments::table
                    .filter(attachments::tip_id.eq(job.tip_id))
                    .filter(attachments::message_seq.eq(seq))
                    .count()
                    .get_result(conn))?;
            }
            jobs.push(job);
        }
    }
    // A tip's (and a reminder's) own files; a reply's were counted above.
    let tip_ids: Vec<TipId> = jobs
        .iter()
        .filter(|j| j.reason != JobReason::Reply)
        .map(|j| j.tip_id)
        .collect();
    for chunk in crate::db::chunks(&tip_ids, 1) {
        let counts: Vec<(TipId, i64)> = crate::db_run!(conn, |conn| attachments::table
            .filter(attachments::tip_id.eq_any(chunk))
            // The tip's own files: a reply's come later, with the reply.
            .filter(attachments::message_seq.is_null())
            .group_by(attachments::tip_id)
            .select((attachments::tip_id, diesel::dsl::count_star()))
            .load(conn))?;
        for (tip, count) in counts {
            for job in jobs
                .iter_mut()
                .filter(|j| j.tip_id == tip && j.reason != JobReason::Reply)
            {
                job.attachments = count;
            }
        }
    }
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// The figures of `desk`'s reminder of the UTC day of `at` (the job's
/// `created_at`, the time the reminder was decided), with the tips it
/// names. `None` if the row has gone (the email then says only that tips
/// are overdue).
fn reminder_figures(
    conn: &mut Conn<'_>,
    desk: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<ReminderFigures>> {
    let row: Option<(i64, i64, NaiveDateTime, NaiveDateTime)> =
        crate::db_run!(conn, |conn| desk_reminders::table
            .find((desk, at.date().and_time(chrono::NaiveTime::MIN)))
            .select((
                desk_reminders::overdue,
                desk_reminders::unread,
                desk_reminders::cutoff,
                desk_reminders::created_at,
            ))
            .first(conn)
            .optional())?;
    let Some((overdue, unread, cutoff, at)) = row else {
        return Ok(None);
    };
    let tips: Vec<OverdueTip> = crate::db_run!(conn, |conn| tips::table
        .inner_join(articles::table)
        .filter(tips::first_read_at.is_null())
        .filter(tips::desk.eq(desk))
        .filter(tips::created_at.lt(cutoff))
        .order((tips::created_at, tips::id))
        .limit(REMINDER_TIPS)
        .select((tips::id, tips::created_at, articles::title))
        .load(conn))?;
    Ok(Some(ReminderFigures {
        overdue,
        unread,
        at,
        tips,
    }))
}

/// A digest window taken by [`reserve_window`]; give it back with
/// [`release_window`] if no email went out after all.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub recipient: String,
    pub at: NaiveDateTime,
    pub previous: Option<NaiveDateTime>,
}

/// Tries to take the digest window of `recipient`: succeeds when nothing
/// was mailed to it since `now - window`. Atomic, so of several workers
/// racing for one address exactly one wins. On failure returns when the
/// window ends.
pub fn reserve_window(
    conn: &mut Conn<'_>,
    recipient: &str,
    now: NaiveDateTime,
    window: chrono::Duration,
) -> QueryResult<Result<Reservation, NaiveDateTime>> {
    let reservation = |previous| Reservation {
        recipient: recipient.to_owned(),
        at: now,
        previous,
    };
    conn.write(|conn| {
        crate::db_run!(conn, |conn| {
            let inserted = diesel::insert_into(mailboxes::table)
                .values((
                    mailboxes::recipient.eq(recipient),
                    mailboxes::last_mailed_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            if inserted == 1 {
                return Ok(Ok(reservation(None)));
            }
            let previous: NaiveDateTime = mailboxes::table
                .find(recipient)
                .select(mailboxes::last_mailed_at)
                .first(conn)?;
            let taken = diesel::update(
                mailboxes::table
                    .filter(mailboxes::recipient.eq(recipient))
                    .filter(mailboxes::last_mailed_at.le(now - window)),
            )
            .set(mailboxes::last_mailed_at.eq(now))
            .execute(conn)?;
            if taken == 1 {
                return Ok(Ok(reservation(Some(previous))));
            }
            Ok(Err(previous + window))
        })
    })
}

/// Gives a window back when its email failed: a failed attempt is not an
/// email the desk received, so it must not hold back the retry.
pub fn release_window(conn: &mut Conn<'_>, r: &Reservation) -> QueryResult<()> {
    let mine = mailboxes::table
        .filter(mailboxes::recipient.eq(&r.recipient))
        .filter(mailboxes::last_mailed_at.eq(r.at));
    crate::db_run!(conn, |conn| match r.previous {
        Some(previous) => diesel::update(mine)
            .set(mailboxes::last_mailed_at.eq(previous))
            .execute(conn),
        None => diesel::delete(mine).execute(conn),
    })?;
    Ok(())
}

/// What happened to one attempt at a group of jobs (one email).
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent,
    /// Try again at `retry_at`, unless the job has used its attempts.
    Transient {
        error: String,
        retry_at: NaiveDateTime,
    },
    Permanent {
        error: String,
    },
}

/// What [`record`] changed.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Jobs updated (those this worker still held).
    pub updated: usize,
    /// Jobs that went dead with this attempt, with the attempts they made.
    pub dead: Vec<(JobId, i32)>,
}

/// Records `outcome` for `jobs`, fenced on `token`: jobs this worker no
/// longer holds are left alone. A job is dead after a permanent failure,
/// or a transient one that used its last of `max_attempts`.
pub fn record(
    conn: &mut Conn<'_>,
    jobs: &[ClaimedJob],
    token: &str,
    outcome: &Outcome,
    max_attempts: u32,
) -> QueryResult<Recorded> {
    let now = crate::db::now();
    let max_attempts = i32::try_from(max_attempts).unwrap_or(i32::MAX);
    // Jobs that end in the same state are recorded together, a chunk of
    // ids per statement: a digest can carry tens of thousands of jobs.
    let mut by_state: Vec<(JobState, Vec<JobId>)> = Vec::new();
    for job in jobs {
        let new_state = match outcome {
            Outcome::Sent => JobState::Sent,
            Outcome::Transient { .. } if job.attempts + 1 >= max_attempts => JobState::Dead,
            Outcome::Transient { .. } => JobState::Retrying,
            Outcome::Permanent { .. } => JobState::Dead,
        };
        match by_state.iter_mut().find(|(s, _)| *s == new_state) {
            Some((_, ids)) => ids.push(job.id),
            None => by_state.push((new_state, vec![job.id])),
        }
    }
    let (next_at, error, label) = match outcome {
        Outcome::Sent => (now, None, "sent"),
        Outcome::Transient { error, retry_at } => (*retry_at, Some(error.as_str()), "transient"),
        Outcome::Permanent { error } => (now, Some(error.as_str()), "permanent"),
    };
    conn.write(|conn| {
        let mut recorded = Recorded::default();
        for (new_state, ids) in &by_state {
            for chunk in crate::db::chunks(ids, 1) {
                let done: Vec<JobId> = crate::db_run!(conn, |conn| diesel::update(
                    outbox::table
                        .filter(outbox::id.eq_any(chunk))
                        .filter(outbox::claim_token.eq(token))
                        .filter(outbox::state.eq(JobState::InFlight)),
                )
                .set((
                    outbox::state.eq(*new_state),
                    outbox::attempts.eq(outbox::attempts + 1),
                    outbox::next_attempt_at.eq(next_at),
                    outbox::lease_until.eq(None::<NaiveDateTime>),
                    outbox::claim_token.eq(None::<String>),
                    outbox::claimed_by.eq(None::<String>),
                    outbox::last_error.eq(error),
                    outbox::sent_at.eq(matches!(outcome, Outcome::Sent).then_some(now)),
                    outbox::updated_at.eq(now),
                ))
                .returning(outbox::id)
                .get_results(conn))?;
                recorded.updated += done.len();
                if *new_state == JobState::Dead {
                    let attempts = |id: &JobId| {
                        jobs.iter()
                            .find(|j| j.id == *id)
                            .map_or(0, |j| j.attempts + 1)
                    };
                    recorded
                        .dead
                        .extend(done.iter().map(|id| (*id, attempts(id))));
                }
                let rows: Vec<_> = done
                    .iter()
                    .map(|id| {
                        (
                            outbox_attempts::job_id.eq(*id),
                            outbox_attempts::attempted_at.eq(now),
                            outbox_attempts::outcome.eq(label),
                            outbox_attempts::error.eq(error),
                        )
                    })
                    .collect();
                for rows in crate::db::chunks(&rows, 4) {
                    crate::db_run!(conn, |conn| diesel::insert_into(outbox_attempts::table)
                        .values(rows)
                        .execute(conn))?;
                }
            }
        }
        Ok(recorded)
    })
}

/// Extends the lease of those of `ids` still held under `token` to
/// `until`, and returns their ids. Atomic against [`claim_due`]: a
/// job is either renewed here or taken by another worker, never both.
pub fn renew(
    conn: &mut Conn<'_>,
    ids: &[JobId],
    token: &str,
    until: NaiveDateTime,
) -> QueryResult<Vec<JobId>> {
    let now = crate::db::now();
    conn.write(|conn| {
        let mut held = Vec::with_capacity(ids.len());
        for chunk in crate::db::chunks(ids, 1) {
            let mine = || {
                outbox::table
                    .filter(outbox::id.eq_any(chunk))
                    .filter(outbox::claim_token.eq(token))
                    .filter(outbox::state.eq(JobState::InFlight))
            };
            let some: Vec<JobId> = crate::db_run!(conn, |conn| diesel::update(mine())
                .set((outbox::lease_until.eq(until), outbox::updated_at.eq(now)))
                .returning(outbox::id)
                .get_results(conn))?;
            held.extend(some);
        }
        Ok(held)
    })
}

/// Puts claimed jobs back, due at `at`, without counting an attempt: the
/// address's digest window is still open.
pub fn defer(
    conn: &mut Conn<'_>,
    jobs: &[ClaimedJob],
    token: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
    let now = crate::db::now();
    let mut deferred = 0;
    for chunk in crate::db::chunks(&ids, 1) {
        deferred += crate::db_run!(conn, |conn| diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(chunk))
                .filter(outbox::claim_token.eq(token)),
        )
        .set((
            outbox::state.eq(JobState::Pending),
            outbox::next_attempt_at.eq(at),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::claim_token.eq(None::<String>),
            outbox::claimed_by.eq(None::<String>),
            outbox::updated_at.eq(now),
        ))
        .execute(conn))?;
    }
    Ok(deferred)
}

/// Notes that `worker_id` is alive.
pub fn heartbeat(conn: &mut Conn<'_>, worker_id: &str) -> QueryResult<()> {
    let now = crate::db::now();
    crate::db_run!(conn, |conn| diesel::insert_into(worker_heartbeats::table)
        .values((
            worker_heartbeats::worker_id.eq(worker_id),
            worker_heartbeats::seen_at.eq(now)
        ))
        .on_conflict(worker_heartbeats::worker_id)
        .do_update()
        .set(worker_heartbeats::seen_at.eq(now))
        .execute(conn))?;
    Ok(())
}

/// Job counts per state, in [`JobState::ALL`] order.
pub fn counts(conn: &mut Conn<'_>) -> QueryResult<Vec<(JobState, i64)>> {
    let rows: Vec<(JobState, i64)> = crate::db_run!(conn, |conn| outbox::table
        .group_by(outbox::state)
        .select((outbox::state, diesel::dsl::count_star()))
        .load(conn))?;
    Ok(JobState::ALL
        .iter()
        .map(|s| (*s, rows.iter().find(|(r, _)| r == s).map_or(0, |(_, n)| *n)))
        .collect())
}

/// Makes dead jobs due again with a fresh set of attempts. `None` means
/// every dead job. Returns how many were revived; audited.
pub fn retry_dead(conn: &mut Conn<'_>, id: Option<JobId>, actor: &Actor) -> QueryResult<usize> {
    conn.write(|conn| {
        let n = retry_dead_unaudited(conn, id)?;
        if n > 0 {
            let target = id.map_or("queue".to_owned(), |i| format!("job:{i}"));
            audit::record(
                conn,
                actor,
                "queue.retry",
                &target,
                &format!("{n} dead job(s) queued again"),
            )?;
        }
        Ok(n)
    })
}

fn retry_dead_unaudited(conn: &mut Conn<'_>, id: Option<JobId>) -> QueryResult<usize> {
    let now = crate::db::now();
    // One statement with no list in it, however many jobs are dead.
    let revive = (
        outbox::state.eq(JobState::Pending),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::updated_at.eq(now),
    );
    let dead = outbox::table.filter(outbox::state.eq(JobState::Dead));
    let n = match id {
        Some(id) => crate::db_run!(conn, |conn| diesel::update(dead.filter(outbox::id.eq(id)))
            .set(revive)
            .execute(conn))?,
        None => crate::db_run!(conn, |conn| diesel::update(dead).set(revive).execute(conn))?,
    };
    wake::announce(conn)?;
    Ok(n)
}

/// Deletes a dead job (with its attempts); audited. Only dead jobs can go:
/// anything else may still be delivered.
pub fn discard_dead(conn: &mut Conn<'_>, id: JobId, actor: &Actor) -> QueryResult<usize> {
    conn.write(|conn| {
        let n = crate::db_run!(conn, |conn| diesel::delete(
            outbox::table
                .filter(outbox::id.eq(id))
                .filter(outbox::state.eq(JobState::Dead)),
        )
        .execute(conn))?;
        if n > 0 {
            audit::record(
                conn,
                actor,
                "queue.discard",
                &format!("job:{id}"),
                "dead job discarded",
            )?;
        }
        Ok(n)
    })
}
