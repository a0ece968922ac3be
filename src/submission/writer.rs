//! Group commit for readers' tips, on both engines.
//!
//! Every accepted tip must be on disk before the reader is told so. A
//! writer thread takes the tips waiting at that moment, stores each in a
//! savepoint of one transaction (so one tip's failure touches no other)
//! and commits them with one sync; only then is each submission answered.
//!
//! SQLite has one writer at a time: with each submission opening its own
//! transaction, writers queued on SQLite's busy handler, which sleeps and
//! retries rather than waiting in line: the lock sat idle between them and
//! the unlucky waited for seconds. So there is one writer thread.
//!
//! PostgreSQL groups concurrent commits' WAL flushes by itself, but not
//! those of transactions that `NOTIFY`: each such commit takes a
//! database-wide lock (`PreCommit_Notify` in PostgreSQL's `async.c`) held
//! through its WAL flush, so one tip per transaction meant one flush per
//! tip, in single file (1,438 tips/s, p99 88 ms, where SQLite reached
//! 3,500/s). Here a group of tips shares one transaction and one flush,
//! and its one `NOTIFY` goes out after the commit, in a transaction that
//! does not wait for the disk (`wake::announce_committed`): in the group's
//! own transaction it still put the writers' commits in single file. Several writer threads ([`PG_WRITERS`] at most) take groups
//! from the same queue, so one group's statements run while another's
//! commit waits for the disk. A group stays below 64 tips: each savepoint
//! that writes is a subtransaction, and past 64 in one transaction every
//! other session's snapshots overflow to `pg_subtrans`
//! (`PGPROC_MAX_CACHED_SUBXIDS`), slowing every reader of the database.
//!
//! One thread also keeps the search index up with new tips (the wiring
//! passes `triage::search::index_pending` as [`Indexer`]), a small chunk
//! at a time. On SQLite it runs whenever no tip is waiting: done
//! elsewhere, indexing a second's worth of tips held the write lock for
//! ~100 ms each second, and that was most of the submissions' p99. On
//! PostgreSQL it runs every second whatever the load (it moves the trigram
//! index's pending list into the index, which blocks no writer), so that
//! no reader's insert finds the list full and has to do that work.

use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::db::{Conn, DbError, Pool};
use crate::domain::{Receipt, TipReference};
use crate::notifications::wake;
use crate::ops::health::Health;
use crate::ops::Metrics;

/// Tips stored in one transaction at most on SQLite: enough for every
/// submission a busy server has in flight, few enough that a batch stays
/// short.
const MAX_BATCH: usize = 128;
/// The same on PostgreSQL: under 64 subtransactions (see the module doc).
#[cfg(feature = "postgres")]
const PG_MAX_BATCH: usize = 48;
/// Writer threads on PostgreSQL at most; never more than half the pool,
/// which the pages and the desk need too.
pub const PG_WRITERS: u32 = 4;
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
/// own (which, in a batch, is a savepoint). On PostgreSQL it may run twice:
/// first without its savepoint, then (when a tip of its group failed and
/// the group was rolled back) in one; only the last run's writes remain.
pub type Work = Box<dyn Fn(&mut Conn<'_>, &mut Group) -> Result<Stored, DbError> + Send>;

/// What the tips stored so far in one group's transaction tell the tips
/// after them; a group stored again starts afresh.
#[derive(Debug, Default)]
pub struct Group {
    /// Per article: its tips of the last ten minutes (up to the count's
    /// cap) as its last tip in this group counted them, that tip included.
    surge: std::collections::HashMap<String, i64>,
    /// Per article: its recent tips as a new tip compares with them to
    /// join a case (`case`), read once per group, then added to.
    cases: std::collections::HashMap<String, super::case::Recent>,
}

impl Group {
    /// `article`'s tips of the last ten minutes, as a tip stored before
    /// in this group counted them (itself included); `None`: the group
    /// has stored none of the article's tips yet.
    pub fn recent_tips(&self, article: &str) -> Option<i64> {
        self.surge.get(article).copied()
    }

    /// Notes that a tip of `article` was stored, counting `recent` tips
    /// of the last ten minutes with it.
    pub fn stored(&mut self, article: &str, recent: i64) {
        self.surge.insert(article.to_owned(), recent);
    }

    /// `article`'s recent tips for joining a case, read by `read` the
    /// first time the group asks.
    pub fn recent_cases<E>(
        &mut self,
        article: &str,
        read: impl FnOnce() -> Result<super::case::Recent, E>,
    ) -> Result<&mut super::case::Recent, E> {
        use std::collections::hash_map::Entry;
        match self.cases.entry(article.to_owned()) {
            Entry::Occupied(known) => Ok(known.into_mut()),
            Entry::Vacant(new) => Ok(new.insert(read()?)),
        }
    }
}

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
    writers: usize,
    /// PostgreSQL's indexing thread stops once every handle is dropped.
    _alive: Arc<()>,
}

impl TipWriter {
    /// Starts the writer threads for `pool` (one on SQLite, up to
    /// [`PG_WRITERS`] on PostgreSQL) and runs `index` as the module doc
    /// says; failed writes are reported to `metrics.health`, and indexing
    /// keeps away while writes fail.
    pub fn start(pool: Pool, metrics: Arc<Metrics>, index: Indexer) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let alive = Arc::new(());
        let (threads, max_batch, index_here) = match &pool {
            Pool::Sqlite(_) => (1, MAX_BATCH, Some(index)),
            #[cfg(feature = "postgres")]
            Pool::Pg(p, _) => {
                let (pool, metrics) = (pool.clone(), metrics.clone());
                let alive = Arc::downgrade(&alive);
                std::thread::Builder::new()
                    .name("tipdesk-search-index".into())
                    .spawn(move || index_every_second(&pool, &metrics.health, index, &alive))?;
                ((p.max_size() / 2).clamp(1, PG_WRITERS), PG_MAX_BATCH, None)
            }
        };
        for n in 0..threads {
            let (pool, queue, metrics) = (pool.clone(), queue.clone(), metrics.clone());
            std::thread::Builder::new()
                .name(format!("tipdesk-tip-writer-{n}"))
                .spawn(move || run(&pool, &queue, &metrics.health, max_batch, index_here))?;
        }
        Ok(Self {
            jobs,
            pool,
            writers: threads as usize,
            _alive: alive,
        })
    }

    /// How many writer threads take groups of tips from the queue.
    pub fn writers(&self) -> usize {
        self.writers
    }

    /// Stores a tip: returns once it is durable (or was refused).
    pub async fn write(&self, work: Work) -> Result<Stored, DbError> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.send(Job { work, reply }) {
            Ok(()) => answer
                .await
                .unwrap_or_else(|_| Err(rolled_back("the tip writer stopped"))),
            // The writer threads are gone (they cannot be, short of a bug):
            // store the tip the ordinary way rather than lose it.
            Err(mpsc::SendError(job)) => {
                self.pool
                    .run(move |conn| {
                        conn.write(|conn| {
                            let stored = (job.work)(conn, &mut Group::default())?;
                            wake::announce(conn)?;
                            Ok(stored)
                        })
                    })
                    .await
            }
        }
    }
}

fn run(
    pool: &Pool,
    queue: &Mutex<mpsc::Receiver<Job>>,
    health: &Health,
    max_batch: usize,
    index: Option<Indexer>,
) {
    // Whatever was stored before this start may not be indexed yet.
    let mut backlog = index.is_some();
    let mut index_at = Instant::now();
    loop {
        let wait = if backlog {
            Duration::ZERO
        } else if index.is_some() {
            index_at.saturating_duration_since(Instant::now())
        } else {
            INDEX_EVERY
        };
        // The thread holding the queue takes the first tip and those
        // queued behind it, then lets the next writer in.
        let taken = {
            let queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.recv_timeout(wait).map(|first| {
                let mut batch = vec![first];
                while batch.len() < max_batch {
                    match queue.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                batch
            })
        };
        match taken {
            Ok(batch) => {
                // Readers first: the index is brought up to date only when
                // no tip is waiting. (A chunk forced every second during a
                // rush put a 240 ms p99 on SQLite's readers in one run of
                // three; a lagging index costs only search speed, never
                // results.)
                commit(pool, batch);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        let Some(index) = index else { continue };
        if backlog || Instant::now() >= index_at {
            backlog = index_chunk(pool, health, index);
            index_at = Instant::now() + INDEX_EVERY;
        }
    }
}

/// Runs one chunk of `index`, unless storage refused writes lately (the
/// space that comes back is for readers' tips first; the index can wait).
/// True when more is waiting.
fn index_chunk(pool: &Pool, health: &Health, index: Indexer) -> bool {
    if health.background_should_wait() {
        return false;
    }
    let indexed = pool.with(|c| index(c, INDEX_CHUNK).map_err(DbError::from));
    health.write_result(&indexed);
    match indexed {
        Ok(n) => n as i64 == INDEX_CHUNK,
        Err(e) => {
            tracing::warn!(error = %e, "search indexing failed; will try again");
            false
        }
    }
}

/// PostgreSQL: `index` every second, whatever the load, until the writer
/// is dropped.
#[cfg(feature = "postgres")]
fn index_every_second(pool: &Pool, health: &Health, index: Indexer, alive: &std::sync::Weak<()>) {
    loop {
        std::thread::sleep(INDEX_EVERY);
        if alive.strong_count() == 0 {
            return;
        }
        while index_chunk(pool, health, index) {}
    }
}

/// Stores a batch of tips in one transaction, each in a savepoint of its
/// own, announces their notifications once, commits, then answers each.
///
/// PostgreSQL first tries the batch without the savepoints: nearly every
/// group has no tip that fails, and each savepoint was two round trips
/// (`SAVEPOINT`, `RELEASE`) and a subtransaction per tip. When a tip
/// fails there, the whole group is rolled back and stored again the
/// careful way, so the failing tip still leaves nothing and touches no
/// other.
fn commit(pool: &Pool, batch: Vec<Job>) {
    let (works, replies): (Vec<Work>, Vec<_>) =
        batch.into_iter().map(|j| (j.work, j.reply)).unzip();
    // Typed: without the `postgres` feature nothing in the closure fixes
    // its error type (the fuzz build has no default features).
    let stored: Result<Vec<Result<Stored, DbError>>, DbError> = pool.with(|conn| {
        #[cfg(feature = "postgres")]
        if let Conn::Pg(_) = conn {
            let all = conn.write(|conn| {
                crate::db::without_savepoints(|| {
                    let mut group = Group::default();
                    let stored = works
                        .iter()
                        .map(|work| work(conn, &mut group))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(Unsaved::BeforeCommit)?;
                    // The statement after the last tip's that
                    // `without_savepoints` asks for: it fails if the
                    // transaction was aborted.
                    crate::db_run!(conn, |c| {
                        use diesel::connection::SimpleConnection;
                        c.batch_execute("SELECT 1")
                    })
                    .map_err(|e| Unsaved::BeforeCommit(e.into()))?;
                    Ok(stored)
                })
            });
            match all {
                Ok(stored) => {
                    announce_committed(conn);
                    return Ok(stored.into_iter().map(Ok).collect());
                }
                // Nothing was committed: safe to store again.
                Err(Unsaved::BeforeCommit(e)) => {
                    tracing::debug!(error = %e, "a tip of the group failed; storing each alone");
                }
                // `BEGIN` or `COMMIT` failed: a commit whose answer was
                // lost may have stored the tips, so they are not stored
                // twice; their readers are told it failed, as before.
                Err(Unsaved::Transaction(e)) => return Err(e),
            }
        }
        let results = conn.write(|conn| {
            let mut group = Group::default();
            Ok::<_, DbError>(
                works
                    .iter()
                    .map(|work| work(conn, &mut group))
                    .collect::<Vec<_>>(),
            )
        })?;
        if results.iter().any(Result::is_ok) {
            announce_committed(conn);
        }
        Ok(results)
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

/// One NOTIFY for a committed group (PostgreSQL; nothing on SQLite):
/// workers need to hear that jobs came, not how many. After the commit,
/// not in it (see `wake::announce_committed`); a failure is logged, the
/// tips are stored whatever becomes of it.
fn announce_committed(conn: &mut Conn<'_>) {
    if let Err(e) = wake::announce_committed(conn) {
        tracing::warn!(error = %e, "announcing new jobs failed; workers elsewhere find them on their next poll");
    }
}

/// Why a PostgreSQL group stored without savepoints was not committed.
#[cfg(feature = "postgres")]
enum Unsaved {
    /// A tip's work or the announcement failed: all was rolled back.
    BeforeCommit(DbError),
    /// The transaction's own `BEGIN`, `COMMIT` or `ROLLBACK`.
    Transaction(DbError),
}

#[cfg(feature = "postgres")]
impl From<diesel::result::Error> for Unsaved {
    fn from(e: diesel::result::Error) -> Self {
        Self::Transaction(e.into())
    }
}

/// What a reader's submission gets when its batch was not committed. (The
/// underlying error, logged once, cannot be handed to every reader.)
fn rolled_back(why: &str) -> DbError {
    tracing::debug!(why, "tip not stored");
    DbError::Query(diesel::result::Error::RollbackTransaction)
}
