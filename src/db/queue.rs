//! Engine-specific coordination: claiming due jobs safely under
//! concurrency, waking workers when a job is enqueued, and serialising
//! appends to the audit chain.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tokio::sync::Notify;

use super::schema::outbox;
use super::{Conn, Pool};
use crate::notifications::outbox::state;

/// The PostgreSQL channel new jobs are announced on.
#[cfg(feature = "postgres")]
const CHANNEL: &str = "tipdesk_outbox";

/// Which jobs to claim.
pub struct ClaimRequest<'a> {
    pub now: NaiveDateTime,
    pub lease_until: NaiveDateTime,
    pub token: &'a str,
    /// The claiming worker's id, kept with the job for ops.
    pub worker: &'a str,
    pub limit: i64,
    /// Only this address's jobs (to sweep a digest together).
    pub recipient: Option<&'a str>,
}

/// Claims up to `limit` due jobs for the caller and returns their ids. A
/// job is due when it is pending or retrying and its time has come, or in
/// flight with a lease that ran out (its worker died).
///
/// PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent workers claim
/// disjoint jobs without waiting for each other. SQLite: the immediate
/// transaction already serialises writers.
pub fn claim_due(conn: &mut Conn<'_>, req: &ClaimRequest<'_>) -> QueryResult<Vec<i64>> {
    macro_rules! due {
        () => {
            outbox::table
                .filter(
                    outbox::state
                        .eq_any([state::PENDING, state::RETRYING])
                        .and(outbox::next_attempt_at.le(req.now))
                        .or(outbox::state
                            .eq(state::IN_FLIGHT)
                            .and(outbox::lease_until.le(req.now))),
                )
                .order((outbox::next_attempt_at, outbox::id))
                .limit(req.limit)
                .select(outbox::id)
        };
    }
    crate::db_write!(conn => {
        let ids: Vec<i64> = match (&mut *conn, req.recipient) {
            (Conn::Sqlite(c), None) => due!().load(&mut **c)?,
            (Conn::Sqlite(c), Some(r)) => due!().filter(outbox::recipient.eq(r)).load(&mut **c)?,
            #[cfg(feature = "postgres")]
            (Conn::Pg(c), None) => due!().for_update().skip_locked().load(&mut **c)?,
            #[cfg(feature = "postgres")]
            (Conn::Pg(c), Some(r)) => due!()
                .filter(outbox::recipient.eq(r))
                .for_update()
                .skip_locked()
                .load(&mut **c)?,
        };
        if !ids.is_empty() {
            crate::db_run!(conn => diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set((
                    outbox::state.eq(state::IN_FLIGHT),
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
        let mut conn = match diesel::PgConnection::establish(url) {
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

/// Serialises appends to the audit chain for the rest of the transaction.
/// SQLite's immediate transaction already does; PostgreSQL takes an
/// advisory transaction lock.
pub fn lock_audit_chain(conn: &mut Conn<'_>) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(_) => Ok(()),
        #[cfg(feature = "postgres")]
        Conn::Pg(c) => {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SELECT pg_advisory_xact_lock(7365237361)")
        }
    }
}

/// Serialises writers that share `key` for the rest of the transaction
/// (used so two identical submissions racing each other store one tip).
/// SQLite's immediate transaction already serialises all writers.
pub fn lock_key(conn: &mut Conn<'_>, key: i64) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(_) => Ok(()),
        #[cfg(feature = "postgres")]
        Conn::Pg(c) => {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&format!("SELECT pg_advisory_xact_lock({key})"))
        }
    }
}
