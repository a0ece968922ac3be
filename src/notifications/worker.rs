//! The delivery worker: claims due jobs with a lease, mails them, and
//! records the outcome fenced on its claim. No transaction or lock is held
//! while talking to the mail server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rand::Rng;
use tokio::sync::Notify;

use super::email;
use super::mailer::Mailer;
use super::outbox::{self, ClaimRequest, ClaimedJob, Outcome};
use crate::config::Settings;
use crate::db::{DbError, Pool};
use crate::domain::JobId;
use crate::ops::Metrics;

/// Jobs claimed at once.
const BATCH: i64 = 100;
/// The shortest time between two heartbeats. The loop runs once per
/// wake-up, and a busy instance wakes it for every tip: beating each time
/// was a committed (so flushed) write per pass, one per nine tips at
/// 800 tips/s on PostgreSQL (`pg_stat_statements`). Far
/// below any `ops.worker_stale_seconds`, and below `notify.poll_seconds`,
/// so an idle worker still beats on every pass.
const BEAT_EVERY: Duration = Duration::from_millis(250);
/// The shortest time between the starts of two passes while jobs keep
/// coming: a busy instance wakes the worker for every tip, and every pass
/// begins with a claim (`FOR UPDATE SKIP LOCKED` over the outbox's due
/// index). Claiming on every wake-up was one claim per seven to eight
/// tips at 1,200 tips/s on PostgreSQL, 0.7-1.3 ms of the server's time
/// each (100-150 us a tip, second only to the tip's own statement;
/// `pg_stat_statements`, issue 19); a pass every 25 ms takes whatever
/// came meanwhile in one claim. A first tip after a quiet spell is
/// claimed at once, and a pass that claimed a full batch is followed at
/// once (a backlog is drained as fast as before).
const PASS_EVERY: Duration = Duration::from_millis(25);
/// Jobs one digest may gather: everything waiting for the address during
/// any realistic flood, so a flood drains in one email per window.
const DIGEST_MAX: i64 = 50_000;

/// A batch claimed by one pass: its fencing token, and when the claim was
/// made, by this process's clock.
struct Claim {
    token: String,
    at: Instant,
}

/// One worker; several may run against one database.
#[derive(Clone)]
pub struct Worker {
    pool: Pool,
    settings: Arc<Settings>,
    mailer: Mailer,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
    id: String,
    /// Passes begun by this worker and its clones (each starts with one
    /// claim): see [`Worker::passes`].
    passes: Arc<std::sync::atomic::AtomicUsize>,
}

/// What one pass did, for tests and logs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub emails_sent: usize,
    pub failed: usize,
    pub deferred: usize,
}

impl Worker {
    /// `wake` is notified when a tip is stored in this process (and, on
    /// PostgreSQL, by the LISTEN thread when another instance stores one).
    pub fn new(
        pool: Pool,
        settings: Arc<Settings>,
        wake: Arc<Notify>,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let mailer = Mailer::new(&settings.mail.transport)?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "tipdesk".into());
        let id = format!(
            "{host}-{}-{}",
            std::process::id(),
            hex::encode(rand::random::<[u8; 3]>())
        );
        Ok(Self {
            pool,
            settings,
            mailer,
            wake,
            metrics,
            id,
            passes: Arc::default(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// How many passes (so claims) this worker and its clones have begun
    /// since it was made: what [`PASS_EVERY`] bounds while jobs keep
    /// coming, as tests check.
    pub fn passes(&self) -> usize {
        self.passes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Works until the process ends: passes while there is work, then
    /// waits for a wake-up or the poll interval.
    pub async fn run(self) {
        tracing::info!(worker = %self.id, "notification worker started");
        super::wake::listen(&self.pool, self.wake.clone());
        let mut failures: u32 = 0;
        let mut beaten: Option<Instant> = None;
        // When the next pass may start (see `PASS_EVERY`).
        let mut next_pass = Instant::now();
        loop {
            if beaten.is_none_or(|at| at.elapsed() >= BEAT_EVERY) {
                self.beat().await;
                beaten = Some(Instant::now());
            }
            self.mailer.retire_idle(super::smtp::RETIRE_AFTER).await;
            tokio::time::sleep_until(next_pass.into()).await;
            next_pass = Instant::now() + PASS_EVERY;
            match self.pass().await {
                Ok(p) if p.claimed > 0 => {
                    failures = 0;
                    if p.claimed >= BATCH as usize {
                        next_pass = Instant::now();
                    }
                }
                Ok(_) => {
                    failures = 0;
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(self.settings.notify.poll) => {}
                    }
                }
                Err(e) => {
                    failures += 1;
                    // Waits double up to a minute, so a database that keeps
                    // refusing (a full disk) is not hammered from here.
                    let wait = self
                        .settings
                        .notify
                        .poll
                        .saturating_mul(1 << failures.min(4))
                        .min(Duration::from_secs(60));
                    tracing::warn!(
                        error = %crate::telemetry::Chain(&e),
                        retry_in_seconds = wait.as_secs(),
                        "notification pass failed; will retry"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn beat(&self) {
        let id = self.id.clone();
        if let Err(e) = self
            .pool
            .query(move |conn| outbox::heartbeat(conn, &id))
            .await
        {
            tracing::warn!(error = %e, "worker heartbeat failed");
        }
    }

    /// Passes until nothing is due. Returns the sum of what they did.
    pub async fn drain(&self) -> Result<Pass, DbError> {
        let mut total = Pass::default();
        loop {
            let p = self.pass().await?;
            if p.claimed == 0 {
                return Ok(total);
            }
            total.claimed += p.claimed;
            total.emails_sent += p.emails_sent;
            total.failed += p.failed;
            total.deferred += p.deferred;
        }
    }

    /// Claims one batch of due jobs and handles it.
    pub async fn pass(&self) -> Result<Pass, DbError> {
        self.passes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = self.claim_and_deliver().await;
        self.metrics.health.pass_result(
            result
                .as_ref()
                .err()
                .map(|e| crate::telemetry::Chain(e).to_string()),
        );
        result
    }

    async fn claim_and_deliver(&self) -> Result<Pass, DbError> {
        let claim = Claim {
            token: hex::encode(rand::random::<[u8; 12]>()),
            at: Instant::now(),
        };
        let lease = chrono::Duration::from_std(self.settings.notify.lease)
            .unwrap_or(chrono::Duration::seconds(60));
        let claim_token = claim.token.clone();
        let worker = self.id.clone();
        let jobs = self
            .pool
            .run(move |conn| {
                let now = crate::db::now();
                let req = ClaimRequest {
                    now,
                    lease_until: now + lease,
                    token: &claim_token,
                    worker: &worker,
                    limit: BATCH,
                    recipient: None,
                };
                outbox::claim(conn, &req).map_err(DbError::from)
            })
            .await?;
        let mut pass = Pass {
            claimed: jobs.len(),
            ..Pass::default()
        };
        if jobs.is_empty() {
            return Ok(pass);
        }
        // Without digests every job is its own email; with them, one email
        // (or digest) per address. Either way the units are independent and
        // go out side by side over the pooled connections. A reminder is
        // always an email of its own.
        let (reminders, jobs): (Vec<_>, Vec<_>) = jobs
            .into_iter()
            .partition(|j| j.reason == outbox::JobReason::Reminder);
        let reminders = reminders.into_iter().map(|j| vec![j]);
        let units: Vec<Vec<ClaimedJob>> = if self.settings.notify.digest_window.is_zero() {
            // Jobs held for a surge digest still go out as one per address.
            let (held, single): (Vec<_>, Vec<_>) = jobs.into_iter().partition(|j| j.digest);
            let mut held_by: BTreeMap<String, Vec<ClaimedJob>> = BTreeMap::new();
            for job in held {
                held_by.entry(job.recipient.clone()).or_default().push(job);
            }
            single
                .into_iter()
                .map(|j| vec![j])
                .chain(held_by.into_values())
                .collect()
        } else {
            let mut groups: BTreeMap<String, Vec<ClaimedJob>> = BTreeMap::new();
            for job in jobs {
                groups.entry(job.recipient.clone()).or_default().push(job);
            }
            groups.into_values().collect()
        };
        let units: Vec<Vec<ClaimedJob>> = units.into_iter().chain(reminders).collect();
        let parallel = match &self.settings.mail.transport {
            crate::config::MailTransport::Smtp {
                max_connections, ..
            } => *max_connections as usize,
            crate::config::MailTransport::File(_) => 4,
        };
        let results: Vec<Result<Pass, DbError>> = futures_util::stream::iter(units)
            .map(|group| self.deliver(group, &claim))
            .buffer_unordered(parallel.max(1))
            .collect()
            .await;
        for r in results {
            let p = r?;
            pass.emails_sent += p.emails_sent;
            pass.failed += p.failed;
            pass.deferred += p.deferred;
        }
        Ok(pass)
    }

    /// Mails one unit of claimed jobs: without digests a single job; with
    /// them, one address's jobs as one email when its window allows.
    async fn deliver(&self, mut group: Vec<ClaimedJob>, claim: &Claim) -> Result<Pass, DbError> {
        let window = self.settings.notify.digest_window;
        let mut pass = Pass::default();
        // A reminder (at most one a day) neither waits for nor takes the
        // address's digest window.
        let reminder = group
            .iter()
            .any(|j| j.reason == outbox::JobReason::Reminder);
        if window.is_zero() || reminder {
            return self.send(group, claim, None).await;
        }
        let token = claim.token.as_str();
        let recipient = group[0].recipient.clone();
        let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(5));
        let (r, t, w) = (recipient.clone(), token.to_owned(), self.id.clone());
        let reserved = self
            .pool
            .run(move |conn| {
                let now = crate::db::now();
                let reserved = outbox::reserve_window(conn, &r, now, window)?;
                if reserved.is_err() {
                    return Ok((reserved, Vec::new()));
                }
                // Gather everything else due for this address into the email.
                let more = outbox::claim(
                    conn,
                    &ClaimRequest {
                        now,
                        lease_until: now + window.max(chrono::Duration::seconds(60)),
                        token: &t,
                        worker: &w,
                        limit: DIGEST_MAX,
                        recipient: Some(&r),
                    },
                )?;
                Ok::<_, DbError>((reserved, more))
            })
            .await?;
        match reserved {
            (Err(window_ends), _) => {
                let t = token.to_owned();
                pass.deferred = group.len();
                self.pool
                    .run(move |conn| {
                        outbox::defer(conn, &group, &t, window_ends).map_err(DbError::from)
                    })
                    .await?;
                Ok(pass)
            }
            (Ok(reservation), more) => {
                group.extend(more);
                self.send(group, claim, Some(reservation)).await
            }
        }
    }

    async fn send(
        &self,
        jobs: Vec<ClaimedJob>,
        claim: &Claim,
        window: Option<outbox::Reservation>,
    ) -> Result<Pass, DbError> {
        let token = claim.token.as_str();
        let jobs = self.still_held(jobs, claim).await?;
        if jobs.is_empty() {
            if let Some(w) = window {
                self.pool
                    .query(move |conn| outbox::release_window(conn, &w))
                    .await?;
            }
            return Ok(Pass::default());
        }
        let message = if jobs.len() == 1 {
            email::single(&self.settings, &jobs[0])
        } else {
            email::digest(&self.settings, &jobs)
        };
        let outcome = match message {
            Err(e) => Outcome::Permanent {
                error: e.to_string(),
            },
            Ok(message) => match self.mailer.send(message).await {
                Ok(()) => Outcome::Sent,
                Err(f) if f.permanent => Outcome::Permanent { error: f.detail },
                Err(f) => {
                    let attempt = jobs.iter().map(|j| j.attempts).max().unwrap_or(0) + 1;
                    let delay = backoff(
                        self.settings.notify.retry_base,
                        self.settings.notify.retry_max,
                        u32::try_from(attempt).unwrap_or(1),
                    );
                    Outcome::Transient {
                        error: f.detail,
                        retry_at: crate::db::now()
                            + chrono::Duration::from_std(delay)
                                .unwrap_or(chrono::Duration::hours(1)),
                    }
                }
            },
        };
        let sent = matches!(outcome, Outcome::Sent);
        let t = token.to_owned();
        let max_attempts = self.settings.notify.max_attempts;
        let count = jobs.len();
        let desk = jobs[0].desk.clone();
        let outcome_kept = outcome.clone();
        let recorded = self
            .pool
            .run(move |conn| {
                if let (Some(w), false) = (&window, sent) {
                    outbox::release_window(conn, w)?;
                }
                outbox::record(conn, &jobs, &t, &outcome_kept, max_attempts.get())
                    .map_err(DbError::from)
            })
            .await?;
        if recorded.updated < count {
            tracing::warn!(
                lost = count - recorded.updated,
                "some jobs were taken over by another worker after their lease ran out"
            );
        }
        self.report(&outcome, &recorded, count, &desk);
        Ok(Pass {
            emails_sent: usize::from(sent),
            failed: usize::from(!sent),
            ..Pass::default()
        })
    }

    /// Logs and counts what one email's attempt did. An email counts as
    /// `class="permanent"` when any of its jobs went dead with it (a 5xx,
    /// or a failure on the job's last attempt), as `transient` when all
    /// will be retried: the classes docs/operations.md gives.
    fn report(&self, outcome: &Outcome, recorded: &outbox::Recorded, jobs: usize, desk: &str) {
        let error = match outcome {
            Outcome::Sent => {
                self.metrics.email_sent();
                tracing::info!(jobs, desk = %desk, "desk notified");
                return;
            }
            Outcome::Transient { error, .. } | Outcome::Permanent { error } => error,
        };
        let dead = &recorded.dead;
        self.metrics.email_failed(!dead.is_empty());
        let retried = recorded.updated.saturating_sub(dead.len());
        if let Outcome::Transient { retry_at, .. } = outcome {
            if retried > 0 {
                tracing::warn!(
                    jobs = retried,
                    retry_at = %retry_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    error = %error,
                    "delivery failed; will retry"
                );
            }
        }
        if dead.is_empty() {
            return;
        }
        let why = match outcome {
            Outcome::Permanent { .. } => "the mail server refused it for good",
            _ => "its last attempt (notify.max_attempts) failed",
        };
        let attempts = dead.iter().map(|(_, a)| *a).max().unwrap_or(0);
        if let [(job, _)] = dead.as_slice() {
            tracing::error!(
                job = %job,
                attempts,
                last_reply = %error,
                desk = %desk,
                "notification job is dead: {why}; it waits for `tipdesk queue retry {job}` or /ops/queue"
            );
        } else {
            const SHOWN: usize = 20;
            let mut ids: Vec<String> = dead
                .iter()
                .take(SHOWN)
                .map(|(j, _)| j.to_string())
                .collect();
            if dead.len() > SHOWN {
                ids.push(format!("and {} more", dead.len() - SHOWN));
            }
            tracing::error!(
                jobs = dead.len(),
                job_ids = %ids.join(", "),
                attempts,
                last_reply = %error,
                desk = %desk,
                "notification jobs are dead: {why}; they wait for `tipdesk queue retry` or /ops/queue"
            );
        }
    }

    /// Closes, with QUIT, every pooled mail connection: call it when the
    /// worker stops, so the relay sees a goodbye and not a dropped line.
    pub async fn close(&self) {
        let n = self.mailer.close().await;
        tracing::debug!(connections = n, "mail connections closed");
    }

    /// Closes, with QUIT, pooled mail connections idle for `max_idle` or
    /// longer (the worker does this between passes with
    /// [`super::smtp::RETIRE_AFTER`]); returns how many it closed.
    pub async fn retire_idle(&self, max_idle: Duration) -> usize {
        self.mailer.retire_idle(max_idle).await
    }

    /// The jobs of `jobs` this worker may still mail. A lease promises that
    /// nobody else mails a job until it runs out, but a batch can outlast
    /// it (a slow mail server, a busy machine), and mailing a job another
    /// worker has taken over mails it twice. So past half the lease the
    /// jobs are renewed before mailing, and those already taken are left to
    /// their new owner. Before that, no other worker can have them.
    async fn still_held(
        &self,
        jobs: Vec<ClaimedJob>,
        claim: &Claim,
    ) -> Result<Vec<ClaimedJob>, DbError> {
        let lease = self.settings.notify.lease;
        if claim.at.elapsed() < lease / 2 {
            return Ok(jobs);
        }
        let token = claim.token.clone();
        let until = crate::db::now()
            + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
        let held = self
            .pool
            .query(move |conn| outbox::renew(conn, &ids, &token, until))
            .await?;
        if held.len() < jobs.len() {
            tracing::warn!(
                lost = jobs.len() - held.len(),
                "jobs were taken over by another worker before they could be mailed"
            );
        }
        let held: std::collections::HashSet<JobId> = held.into_iter().collect();
        Ok(jobs.into_iter().filter(|j| held.contains(&j.id)).collect())
    }
}

/// Exponential backoff with "equal jitter": half the delay is fixed, half
/// random, so retries after an outage spread out instead of arriving as one.
pub fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    let full = base.saturating_mul(factor).min(max);
    let half = full / 2;
    half + rand::thread_rng().gen_range(Duration::ZERO..=half)
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(300);
        for attempt in 1..=12 {
            let d = backoff(base, max, attempt);
            let full = (base * 2u32.pow(attempt - 1)).min(max);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }
}
