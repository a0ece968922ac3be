//! Waking workers when jobs are enqueued. In one process the tip's handler
//! notifies the worker directly; across instances on PostgreSQL a job's
//! transaction sends `NOTIFY` and every worker `LISTEN`s. SQLite has one
//! process per database file, so the in-process wake suffices there.

use std::sync::Arc;
#[cfg(feature = "postgres")]
use std::time::Duration;

use diesel::QueryResult;
use tokio::sync::Notify;

use crate::db::{Conn, Pool};

/// The PostgreSQL channel new jobs are announced on.
#[cfg(feature = "postgres")]
const CHANNEL: &str = "tipdesk_outbox";

/// Announces jobs committed already to workers on other instances
/// (PostgreSQL; nothing on SQLite), in a transaction of its own that does
/// not wait for the disk: one round trip, `BEGIN`, `SET LOCAL
/// synchronous_commit = off`, `NOTIFY` and `COMMIT` in one message.
///
/// Why not [`announce`] in the jobs' own transaction: a commit that
/// notifies takes a database-wide lock (`PreCommit_Notify` in PostgreSQL's
/// `async.c`) and holds it through its WAL flush, so the tip writers'
/// group commits went one at a time, each waiting for the flushes before
/// it (issue 19: sampled in `pg_stat_activity` under load, a fifth of a
/// backend on average waited on that lock in `COMMIT`, for up to 160 ms
/// when the disk was slow). Here the lock is held for no flush. Losing
/// the notification (a crash between the two commits, an error) costs
/// other instances' workers at most their `notify.poll_seconds`.
pub fn announce_committed(conn: &mut Conn<'_>) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(_) => Ok(()),
        #[cfg(feature = "postgres")]
        Conn::Pg(c) => {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&format!(
                "BEGIN; SET LOCAL synchronous_commit = off; NOTIFY {CHANNEL}; COMMIT"
            ))
        }
    }
}

/// The shortest time between two announcements by one process
/// ([`Announcer`]): what a worker on another instance may wait, beyond
/// its own pass pacing, to hear of new jobs.
#[cfg(feature = "postgres")]
const ANNOUNCE_EVERY: Duration = Duration::from_millis(50);

/// Announces committed jobs ([`announce_committed`]) on a thread of its
/// own, at most once per 50 ms however many groups of tips commit
/// meanwhile, and always after the last of them: workers need to hear
/// that jobs came, not how often. (Issue 19: once per group was a round
/// trip, a commit record and a wake-up of every listening backend, some
/// 300 times a second at full load.) Nothing on SQLite, whose one
/// process wakes its worker directly.
#[derive(Clone)]
pub struct Announcer {
    #[cfg(feature = "postgres")]
    due: Option<Arc<Due>>,
}

#[cfg(feature = "postgres")]
#[derive(Default)]
struct Due {
    flag: std::sync::Mutex<bool>,
    set: std::sync::Condvar,
}

impl Announcer {
    /// Starts the announcing thread for `pool` (PostgreSQL); it ends once
    /// every clone of the announcer is dropped.
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn start(pool: &Pool) -> std::io::Result<Self> {
        match pool {
            Pool::Sqlite(_) => Ok(Self {
                #[cfg(feature = "postgres")]
                due: None,
            }),
            #[cfg(feature = "postgres")]
            Pool::Pg(..) => {
                let due = Arc::new(Due::default());
                let (pool, weak) = (pool.clone(), Arc::downgrade(&due));
                std::thread::Builder::new()
                    .name("tipdesk-announce".into())
                    .spawn(move || announce_when_due(&pool, &weak))?;
                Ok(Self { due: Some(due) })
            }
        }
    }

    /// Asks for an announcement: jobs were committed.
    pub fn announce(&self) {
        #[cfg(feature = "postgres")]
        if let Some(due) = &self.due {
            *due.flag
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
            due.set.notify_one();
        }
    }
}

/// The announcing thread: waits until an announcement is due, makes it,
/// then rests [`ANNOUNCE_EVERY`]; asks made meanwhile are answered by the
/// next one. Ends when the announcer is gone.
#[cfg(feature = "postgres")]
fn announce_when_due(pool: &Pool, due: &std::sync::Weak<Due>) {
    use std::sync::PoisonError;
    loop {
        {
            let Some(due) = due.upgrade() else { return };
            let mut flag = due.flag.lock().unwrap_or_else(PoisonError::into_inner);
            if !*flag {
                // Wakes at least every second to see whether it is still needed.
                flag = due
                    .set
                    .wait_timeout(flag, Duration::from_secs(1))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            if !std::mem::take(&mut *flag) {
                continue;
            }
        }
        let announced =
            pool.with(|conn| announce_committed(conn).map_err(crate::db::DbError::from));
        if let Err(e) = announced {
            tracing::warn!(error = %e, "announcing new jobs failed; workers elsewhere find them on their next poll");
        }
        std::thread::sleep(ANNOUNCE_EVERY);
    }
}

/// Announces new jobs to workers on other instances. On PostgreSQL the
/// notification is delivered when the caller's transaction commits; SQLite
/// has one process per database file, so the in-process wake suffices.
pub fn announce(conn: &mut Conn<'_>) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(_) => Ok(()),
        #[cfg(feature = "postgres")]
        Conn::Pg(c) => {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&format!("NOTIFY {CHANNEL}"))
        }
    }
}

/// Wakes `wake` whenever another instance announces jobs (PostgreSQL only;
/// a no-op on SQLite). Runs on a thread of its own with one connection,
/// reconnecting if it drops.
pub fn listen(pool: &Pool, wake: Arc<Notify>) {
    match pool {
        Pool::Sqlite(_) => drop(wake),
        #[cfg(feature = "postgres")]
        Pool::Pg(..) => {
            let url = pool.pg_url();
            std::thread::Builder::new()
                .name("tipdesk-listen".into())
                .spawn(move || listen_loop(&url, &wake))
                .map(drop)
                .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the LISTEN thread"));
        }
    }
}

#[cfg(feature = "postgres")]
fn listen_loop(url: &str, wake: &Notify) {
    use diesel::connection::SimpleConnection;
    loop {
        let mut conn = match crate::db::pg_establish(url) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN connection failed; retrying");
                std::thread::sleep(Duration::from_secs(2));
                continue;
            }
        };
        if let Err(e) = conn.batch_execute(&format!("LISTEN {CHANNEL}")) {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            std::thread::sleep(Duration::from_secs(2));
            continue;
        }
        // Draining notifications only reads what the server already sent
        // on this socket (no round trip), so checking often is cheap.
        'connected: loop {
            let mut woke = false;
            for n in conn.notifications_iter() {
                match n {
                    Ok(_) => woke = true,
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                        break 'connected;
                    }
                }
            }
            if woke {
                wake.notify_one();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
