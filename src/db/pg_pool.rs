//! The PostgreSQL pool's connection manager: diesel's, except that a
//! connection is tested with a query on checkout only when it sat idle,
//! and is thrown away once a statement on it found the server gone.
//!
//! Why: r2d2 tests every connection it hands out (`test_on_check_out`)
//! with diesel's `SELECT 1`, a round trip to the server on every checkout
//! (1.2 a tip under load, issue 19: the pages, the tip writer's groups and
//! the worker's passes each take a connection). What the test is for: a
//! connection the server dropped (a restart, a failover,
//! `pg_terminate_backend`, a proxy's idle timeout) must not be handed out
//! again and again, failing every request given it. Without any test,
//! 14 and 20 of 20 tips sent one after another right after the server
//! ended tipdesk's sessions failed with a 503 (two runs of the test
//! below): diesel's `is_broken` looks only at its transaction manager's
//! state, which a failed statement does not always leave broken. So:
//! - a connection idle for [`TEST_AFTER_IDLE`] or more is tested before it
//!   is handed out, as before, so none dropped while the pool was quiet
//!   reaches a request;
//! - every statement's outcome is watched (diesel's `Instrumentation`):
//!   once one fails because the connection is closed (diesel's
//!   `ClosedConnection`, which it gives when libpq's status is
//!   `CONNECTION_BAD`, or a command it could not send), the connection is
//!   dropped when it comes back to the pool, so it fails that one request
//!   and no other.
//!
//! Under load every connection is used many times a second, so no test
//! runs; a quiet pool tests as r2d2 always did.
//! `connections_the_server_dropped_are_replaced` (`tests/api/storage.rs`)
//! checks both cases, for tips and for plain reads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection};
use diesel::result::{DatabaseErrorKind, Error};

/// Idle this long or longer, a connection is tested before it is handed
/// out.
pub const TEST_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A pooled PostgreSQL connection: the connection, whether a statement
/// on it found it closed, and when it last came back to the pool.
pub struct PgPooled {
    pub conn: PgConnection,
    lost: Arc<AtomicBool>,
    returned: Instant,
}

/// [`ConnectionManager`] for PostgreSQL, testing as the module doc says.
#[derive(Debug)]
pub struct PgManager(ConnectionManager<PgConnection>);

impl PgManager {
    /// A manager opening connections to `url`.
    pub fn new(url: &str) -> Self {
        Self(ConnectionManager::new(url))
    }
}

/// Notes, for the pool, a statement that failed because the connection
/// is closed.
struct WatchLost(Arc<AtomicBool>);

impl Instrumentation for WatchLost {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery {
            error: Some(error), ..
        } = event
        {
            if matches!(
                error,
                Error::DatabaseError(
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                    _
                )
            ) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
    }
}

impl ManageConnection for PgManager {
    type Connection = PgPooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgPooled, Self::Error> {
        let mut conn = self.0.connect()?;
        let lost = Arc::new(AtomicBool::new(false));
        diesel::Connection::set_instrumentation(&mut conn, WatchLost(lost.clone()));
        Ok(PgPooled {
            conn,
            lost,
            returned: Instant::now(),
        })
    }

    /// On checkout (r2d2's `test_on_check_out`, on by default).
    fn is_valid(&self, pooled: &mut PgPooled) -> Result<(), Self::Error> {
        if pooled.lost.load(Ordering::Relaxed) {
            return Err(diesel::r2d2::Error::QueryError(
                Error::BrokenTransactionManager,
            ));
        }
        if pooled.returned.elapsed() < TEST_AFTER_IDLE {
            return Ok(());
        }
        self.0.is_valid(&mut pooled.conn)
    }

    /// On return to the pool: true drops the connection.
    fn has_broken(&self, pooled: &mut PgPooled) -> bool {
        pooled.returned = Instant::now();
        pooled.lost.load(Ordering::Relaxed) || self.0.has_broken(&mut pooled.conn)
    }
}
