//! Group commit for readers' tips on SQLite.
//!
//! Every accepted tip must be on disk before the reader is told so, and
//! SQLite has one writer at a time. With each submission opening its own
//! transaction, writers queued on SQLite's busy handler, which sleeps and
//! retries rather than waiting in line: the lock sat idle between them and
//! the unlucky waited for seconds. Here one thread takes the tips waiting
//! at that moment, stores each in a savepoint of one transaction (so one
//! tip's failure touches no other) and commits them with one sync; only
//! then is each submission answered. PostgreSQL needs none of this: its
//! server already groups concurrent commits.
//!
//! The same thread keeps SQLite's search index up with new tips (the
//! wiring passes `triage::search::index_pending` as [`Indexer`]), a small
//! chunk at a time whenever no tip is waiting: done elsewhere, indexing a
//! second's worth of tips held the write lock for ~100 ms each second, and
//! that was most of the submissions' p99.

use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::db::{Conn, DbError, Pool};
use crate::domain::{Receipt, TipReference};
use crate::ops::health::Health;
use crate::ops::Metrics;

/// Tips stored in one transaction at most: enough for every submission a
/// busy server has in flight, few enough that a batch stays short.
const MAX_BATCH: usize = 128;
/// Tips added to the search index at a time (~15 ms of work), and how
/// often to look for new ones when the last chunk emptied the backlog.
const INDEX_CHUNK: i64 = 500;
const INDEX_EVERY: Duration = Duration::from_secs(1);

/// What the reader is given for a stored tip: its reference, and the
/// receipt to come back with (`follow_up`), shown once and never stored.
/// Declared here, beside the writer that hands it back, so that the
/// writer (held in `AppState`) needs nothing from `submission`, which
/// needs `AppState`.
#[derive(Debug, Clone)]
pub struct Stored {
    pub reference: TipReference,
    pub receipt: Receipt,
}

/// Stores one tip on the connection it is given, in a transaction of its
/// own (which, in a batch, is a savepoint).
pub type Work = Box<dyn FnOnce(&mut Conn<'_>) -> Result<Stored, DbError> + Send>;

/// Indexes up to `chunk` stored tips for search; returns how many it did
/// (fewer than `chunk`: the index has caught up).
pub type Indexer = fn(&mut Conn<'_>, i64) -> diesel::QueryResult<usize>;

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Stored, DbError>>,
}

/// The handle submissions send their tips through.
#[derive(Clone)]
pub struct TipWriter {
    jobs: mpsc::Sender<Job>,
    pool: Pool,
}

impl TipWriter {
    /// Starts the writer thread for `pool`, which runs `index` whenever
    /// no tip is waiting; it reports failed writes to `metrics.health` and
    /// keeps its own indexing away while they fail.
    pub fn start(pool: Pool, metrics: Arc<Metrics>, index: Indexer) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let writer_pool = pool.clone();
        std::thread::Builder::new()
            .name("tipdesk-tip-writer".into())
            .spawn(move || run(&writer_pool, &queue, &metrics.health, index))?;
        Ok(Self { jobs, pool })
    }

    /// Stores a tip: returns once it is durable (or was refused).
    pub async fn write(&self, work: Work) -> Result<Stored, DbError> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.send(Job { work, reply }) {
            Ok(()) => answer
                .await
                .unwrap_or_else(|_| Err(rolled_back("the tip writer stopped"))),
            // The writer thread is gone (it cannot be, short of a bug): store
            // the tip the ordinary way rather than lose it.
            Err(mpsc::SendError(job)) => self.pool.run(job.work).await,
        }
    }
}

fn run(pool: &Pool, queue: &mpsc::Receiver<Job>, health: &Health, index: Indexer) {
    // Whatever was stored before this start may not be indexed yet.
    let mut backlog = true;
    let mut index_at = Instant::now();
    loop {
        let wait = if backlog {
            Duration::ZERO
        } else {
            index_at.saturating_duration_since(Instant::now())
        };
        match queue.recv_timeout(wait) {
            Ok(first) => {
                // Readers first: the index is brought up to date only when
                // no tip is waiting. (A chunk forced every second during a
                // rush put a 240 ms p99 on the readers in one run of three;
                // a lagging index costs only search speed, never results.)
                commit(pool, first, queue);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        if (backlog || Instant::now() >= index_at) && health.background_should_wait() {
            // Storage refused writes lately: the space that comes back is
            // for readers' tips first; the index can wait.
            backlog = false;
            index_at = Instant::now() + INDEX_EVERY;
        } else if backlog || Instant::now() >= index_at {
            let indexed = pool.with(|c| index(c, INDEX_CHUNK).map_err(DbError::from));
            health.write_result(&indexed);
            backlog = match indexed {
                Ok(n) => n as i64 == INDEX_CHUNK,
                Err(e) => {
                    tracing::warn!(error = %e, "search indexing failed; will try again");
                    false
                }
            };
            index_at = Instant::now() + INDEX_EVERY;
        }
    }
}

/// Stores `first` and the tips queued behind it in one transaction, then
/// answers each.
fn commit(pool: &Pool, first: Job, queue: &mpsc::Receiver<Job>) {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    let (works, replies): (Vec<Work>, Vec<_>) =
        batch.into_iter().map(|j| (j.work, j.reply)).unzip();
    let stored = pool.with(|conn| {
        conn.write(|conn| {
            Ok::<_, DbError>(works.into_iter().map(|work| work(conn)).collect::<Vec<_>>())
        })
    });
    match stored {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        // The commit failed (or no connection): nothing of the batch
        // was stored, and every reader is told so, with the storage cause
        // when there is one (a full disk is a 503 to retry, not a 500).
        Err(e) => {
            tracing::error!(error = %e, tips = replies.len(), "storing a batch of tips failed");
            let cause = e.storage_trouble();
            for reply in replies {
                let _ = reply.send(Err(match &cause {
                    Some(cause) => DbError::WritesFailing(cause.clone()),
                    None => rolled_back("the batch's commit failed"),
                }));
            }
        }
    }
}

/// What a reader's submission gets when its batch was not committed. (The
/// underlying error, logged once, cannot be handed to every reader.)
fn rolled_back(why: &str) -> DbError {
    tracing::debug!(why, "tip not stored");
    DbError::Query(diesel::result::Error::RollbackTransaction)
}
