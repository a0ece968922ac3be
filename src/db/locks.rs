//! PostgreSQL advisory locks, every key in one place. Advisory-lock keys
//! share one namespace per database, so a key chosen in one module could
//! silently serialise (or deadlock) with another module's; here they are
//! named side by side. SQLite needs none of them: a write transaction
//! there is `BEGIN IMMEDIATE`, which already serialises every writer, and
//! one process migrates its own file.

use diesel::QueryResult;

use super::Conn;

/// Held (for the session) while migrating, so instances starting together
/// do not migrate at once: "tipdesk" in ASCII.
#[cfg(feature = "postgres")]
pub(crate) const MIGRATION: i64 = 0x0074_6970_6465_736b;

/// Held (for the transaction) while appending to the audit chain, so two
/// appends cannot link to the same previous entry.
pub const AUDIT_CHAIN: i64 = 7_365_237_361;

/// The key for one submission's duplicate check, from its fingerprint (a
/// hex HMAC): the first 60 bits. Two identical submissions racing each
/// other take the same key, so one of them stores the tip and the other
/// finds it. A clash with a named key above (odds 2^-60) would only make
/// two writers wait for each other.
pub fn submission(fingerprint_hex: &str) -> i64 {
    fingerprint_hex
        .get(..15)
        .and_then(|h| i64::from_str_radix(h, 16).ok())
        .unwrap_or(0)
}

/// Takes the advisory lock `key` until the end of the current transaction
/// (PostgreSQL); a no-op on SQLite, whose write transactions are already
/// serialised.
#[cfg(feature = "postgres")]
pub fn for_transaction(conn: &mut Conn<'_>, key: i64) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(_) => Ok(()),
        Conn::Pg(c) => {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&format!("SELECT pg_advisory_xact_lock({key})"))
        }
    }
}

/// A build without PostgreSQL has only SQLite connections: no lock to take.
#[cfg(not(feature = "postgres"))]
pub fn for_transaction(_: &mut Conn<'_>, _: i64) -> QueryResult<()> {
    Ok(())
}
