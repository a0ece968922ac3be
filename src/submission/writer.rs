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
//! PostgreSQL groups concurrent commits' WAL flushes by itself; what
//! cost there was the work around each tip. Every statement is a round
//! trip to the server, and on this machine a round trip alone is ~65 µs
//! of the server's CPU and as much of ours (`pgbench`, issue 19): storing
//! one tip at a time took some four (`BEGIN`, the article, the tip's
//! insert, `COMMIT`, a `NOTIFY`). So a group's readers' tips are stored in
//! one statement after one read per article (`pg::store_group`), which
//! commits by itself: two round trips for the whole group. Tips that need
//! more (a possible resend, files) share one transaction, first without
//! savepoints. Either way, what fails is rolled back whole and stored
//! again the careful way, one savepoint per tip, as on SQLite. Several
//! writer threads ([`PG_WRITERS`] at most) take groups from the same
//! queue, so one group's statement runs while another's commit waits for
//! the disk. A group stays below 64 tips: each savepoint that writes is a
//! subtransaction, and past 64 in one transaction every other session's
//! snapshots overflow to `pg_subtrans` (`PGPROC_MAX_CACHED_SUBXIDS`),
//! slowing every reader of the database.
//!
//! Other instances' workers hear of the new jobs through
//! [`wake::Announcer`]: one `NOTIFY` after the commits, at most every
//! 50 ms. (In the group's own transaction it put the writers' commits in
//! single file: a committing `NOTIFY` holds a database-wide lock,
//! `PreCommit_Notify` in PostgreSQL's `async.c`, through its WAL flush.)
//!
//! Import cycle with `crate::submission`: what the writer stores is a
//! reader's tip as `submission` defines and decides it (`TipJob`,
//! `store`), and `submission` reaches the writer through `AppState`.
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

#[cfg(feature = "postgres")]
use super::pg::Unsaved;
use super::{AcceptError, ArticleClosed, Stored, TipJob};
use crate::articles::Article;
use crate::db::{Conn, DbError, Pool};
use crate::notifications::wake::{self, Announcer};
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

/// A write given to the writer in place of a reader's tip (the group
/// commit's own tests): stored like a tip on the careful path, on the
/// connection it is given, in a transaction of its own (which, in a
/// group, is a savepoint). On PostgreSQL it may run twice: first without
/// its savepoint, then (when a write of its group failed and the group
/// was rolled back) in one; only the last run's writes remain.
pub type Work = Box<dyn Fn(&mut Conn<'_>, &mut Group) -> Result<Stored, DbError> + Send>;

/// What a writer thread stores.
enum Write {
    Tip(Box<TipJob>),
    Other(Work),
}

impl Write {
    /// Stores this alone, in a transaction (or savepoint) of its own.
    fn store(&self, conn: &mut Conn<'_>, group: &mut Group) -> Result<Stored, AcceptError> {
        match self {
            Self::Tip(job) => super::store(conn, group, job),
            Self::Other(work) => work(conn, group).map_err(AcceptError::Db),
        }
    }
}

/// What the tips stored so far in one group's transaction tell the tips
/// after them; a group stored again starts afresh.
#[derive(Debug, Default)]
pub struct Group {
    /// Per article: the article as the group's transaction read it, or
    /// why it takes no tips.
    articles: std::collections::HashMap<String, Result<Article, ArticleClosed>>,
    /// Per article: its tips of the last ten minutes (up to the count's
    /// cap) as its last tip in this group counted them, that tip included.
    surge: std::collections::HashMap<String, i64>,
    /// Per article: its recent tips as a new tip compares with them to
    /// join a case (`case`), read once per group, then added to.
    cases: std::collections::HashMap<String, super::case::Recent>,
}

impl Group {
    /// The article `id` as this group read it, by `read` the first time
    /// the group asks.
    ///
    /// # Errors
    /// `read`'s; a closed article's again on every later ask.
    pub fn article(
        &mut self,
        id: &str,
        read: impl FnOnce() -> Result<Article, AcceptError>,
    ) -> Result<Article, AcceptError> {
        if let Some(known) = self.articles.get(id) {
            return known.clone().map_err(AcceptError::Closed);
        }
        let read = read();
        let kept = match &read {
            Ok(a) => Ok(a.clone()),
            Err(AcceptError::Closed(closed)) => Err(*closed),
            // A failed read is not kept: the group is rolled back.
            Err(_) => return read,
        };
        self.articles.insert(id.to_owned(), kept);
        read
    }

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
    write: Write,
    reply: oneshot::Sender<Result<Stored, AcceptError>>,
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
        let announcer = Announcer::start(&pool)?;
        for n in 0..threads {
            let (pool, queue, metrics) = (pool.clone(), queue.clone(), metrics.clone());
            let announcer = announcer.clone();
            std::thread::Builder::new()
                .name(format!("tipdesk-tip-writer-{n}"))
                .spawn(move || {
                    run(
                        &pool,
                        &queue,
                        &metrics.health,
                        max_batch,
                        index_here,
                        &announcer,
                    )
                })?;
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

    /// Stores a reader's tip: returns once it is durable (or was
    /// refused).
    pub async fn write_tip(&self, job: TipJob) -> Result<Stored, AcceptError> {
        self.send(Write::Tip(Box::new(job))).await
    }

    /// Stores `work` with the group that takes it (see [`Work`]).
    pub async fn write(&self, work: Work) -> Result<Stored, DbError> {
        self.send(Write::Other(work)).await.map_err(|e| match e {
            AcceptError::Db(e) => e,
            other => rolled_back(&other.to_string()),
        })
    }

    async fn send(&self, write: Write) -> Result<Stored, AcceptError> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.send(Job { write, reply }) {
            Ok(()) => answer
                .await
                .unwrap_or_else(|_| Err(rolled_back("the tip writer stopped").into())),
            // The writer threads are gone (they cannot be, short of a bug):
            // store the tip the ordinary way rather than lose it.
            Err(mpsc::SendError(job)) => {
                self.pool
                    .run(move |conn| {
                        let stored =
                            conn.write(|conn| job.write.store(conn, &mut Group::default()));
                        if stored.is_ok() {
                            wake::announce_committed(conn)?;
                        }
                        Ok::<_, DbError>(stored)
                    })
                    .await?
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
    announcer: &Announcer,
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
                commit(pool, batch, announcer);
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

/// Stores a batch of tips, announces their notifications once, then
/// answers each.
fn commit(pool: &Pool, batch: Vec<Job>, announcer: &Announcer) {
    let (writes, replies): (Vec<Write>, Vec<_>) =
        batch.into_iter().map(|j| (j.write, j.reply)).unzip();
    let results = match pool.with(|conn| Ok::<_, DbError>(store_batch(conn, &writes, announcer))) {
        Ok(results) => results,
        // No connection: nothing was stored.
        Err(e) => {
            let mut results = writes.iter().map(|_| None).collect::<Vec<_>>();
            fail(&mut results, 0..writes.len(), &e);
            results.into_iter().flatten().collect()
        }
    };
    for (reply, result) in replies.into_iter().zip(results) {
        let _ = reply.send(result);
    }
}

/// Stores `writes`, each answered in its place.
///
/// On PostgreSQL, the group's readers' tips that fit
/// (`TipJob::fits_one_statement`) go first, in one statement
/// (`pg::store_group`), which commits on its own. The others share one
/// transaction, tried first without savepoints: nearly every group has no
/// tip that fails, and each savepoint was two round trips (`SAVEPOINT`,
/// `RELEASE`) and a subtransaction per tip.
///
/// Whatever fails there was rolled back whole, and is stored again the
/// careful way, as SQLite always does: each write in a savepoint of one
/// transaction, so a failing tip leaves nothing and touches no other.
fn store_batch(
    conn: &mut Conn<'_>,
    writes: &[Write],
    announcer: &Announcer,
) -> Vec<Result<Stored, AcceptError>> {
    let mut results: Vec<Option<Result<Stored, AcceptError>>> =
        writes.iter().map(|_| None).collect();
    let careful: Vec<usize> = match conn {
        #[cfg(feature = "postgres")]
        Conn::Pg(pg) => first_on_pg(pg, writes, &mut results, announcer),
        _ => (0..writes.len()).collect(),
    };
    if !careful.is_empty() {
        let stored = conn.write(|conn| {
            let mut group = Group::default();
            Ok::<_, DbError>(
                careful
                    .iter()
                    .map(|&i| writes[i].store(conn, &mut group))
                    .collect::<Vec<_>>(),
            )
        });
        match stored {
            Ok(stored) => {
                if stored.iter().any(Result::is_ok) {
                    announcer.announce();
                }
                for (i, stored) in careful.iter().zip(stored) {
                    results[*i] = Some(stored);
                }
            }
            Err(e) => fail(&mut results, careful.iter().copied(), &e),
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(rolled_back("left out of its group").into())))
        .collect()
}

/// PostgreSQL's first tries (see [`store_batch`]): answers what they
/// settled in `results`; returns the places of the writes left for the
/// careful way, in order.
#[cfg(feature = "postgres")]
fn first_on_pg(
    pg: &mut diesel::PgConnection,
    writes: &[Write],
    results: &mut [Option<Result<Stored, AcceptError>>],
    announcer: &Announcer,
) -> Vec<usize> {
    let mut careful = Vec::new();
    let mut tips = Vec::new();
    let mut rest = Vec::new();
    for (i, write) in writes.iter().enumerate() {
        match write {
            Write::Tip(job) if job.fits_one_statement() => tips.push((i, &**job)),
            _ => rest.push(i),
        }
    }
    if !tips.is_empty() {
        let jobs: Vec<&TipJob> = tips.iter().map(|(_, job)| *job).collect();
        match super::pg::store_group(pg, &jobs) {
            Ok(answers) => {
                if answers.iter().any(Result::is_ok) {
                    announcer.announce();
                }
                for ((i, _), answer) in tips.iter().zip(answers) {
                    results[*i] = Some(answer);
                }
            }
            Err(Unsaved::BeforeCommit(e)) => {
                tracing::debug!(error = %e, "the group's statement failed; storing each alone");
                careful.extend(tips.iter().map(|(i, _)| *i));
            }
            Err(Unsaved::Transaction(e)) => fail(results, tips.iter().map(|t| t.0), &e),
        }
    }
    if !rest.is_empty() {
        let conn = &mut Conn::Pg(pg);
        match without_savepoints(conn, writes, &rest) {
            Ok(stored) => {
                announcer.announce();
                for (i, stored) in rest.iter().zip(stored) {
                    results[*i] = Some(Ok(stored));
                }
            }
            Err(Unsaved::BeforeCommit(e)) => {
                tracing::debug!(error = %e, "a tip of the group failed; storing each alone");
                careful.extend(rest);
            }
            Err(Unsaved::Transaction(e)) => fail(results, rest.iter().copied(), &e),
        }
    }
    careful.sort_unstable();
    careful
}

/// `writes[i]` for each `i` of `which` in one PostgreSQL transaction
/// without savepoints (`db::without_savepoints`).
#[cfg(feature = "postgres")]
fn without_savepoints(
    conn: &mut Conn<'_>,
    writes: &[Write],
    which: &[usize],
) -> Result<Vec<Stored>, Unsaved> {
    conn.write(|conn| {
        crate::db::without_savepoints(|| {
            let mut group = Group::default();
            let stored = which
                .iter()
                .map(|&i| writes[i].store(conn, &mut group))
                .collect::<Result<Vec<_>, _>>()
                .map_err(Unsaved::BeforeCommit)?;
            // The statement after the last tip's that `without_savepoints`
            // asks for: it fails if the transaction was aborted.
            crate::db_run!(conn, |c| {
                use diesel::connection::SimpleConnection;
                c.batch_execute("SELECT 1")
            })
            .map_err(|e| Unsaved::BeforeCommit(e.into()))?;
            Ok(stored)
        })
    })
}

/// Answers the tips at `which` whose commit failed (or for which no
/// connection came): nothing of them was stored, and each reader is told
/// so with the storage cause when there is one (a full disk is a 503 to
/// retry, not a 500). `e` is logged once.
fn fail(
    results: &mut [Option<Result<Stored, AcceptError>>],
    which: impl Iterator<Item = usize>,
    e: &DbError,
) {
    let cause = e.storage_trouble();
    let mut tips = 0;
    for i in which {
        tips += 1;
        results[i] = Some(Err(AcceptError::Db(match &cause {
            Some(cause) => DbError::WritesFailing(cause.clone()),
            None => rolled_back("the batch's commit failed"),
        })));
    }
    tracing::error!(error = %e, tips, "storing a batch of tips failed");
}

/// What a reader's submission gets when its batch was not committed. (The
/// underlying error, logged once, cannot be handed to every reader.)
fn rolled_back(why: &str) -> DbError {
    tracing::debug!(why, "tip not stored");
    DbError::Query(diesel::result::Error::RollbackTransaction)
}
