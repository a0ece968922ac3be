//! The audit trail: who did what to which tip or account, and when. Each
//! entry carries a SHA-256 over its content and the previous entry's hash,
//! so changing or deleting an entry breaks every link after it, and
//! `tipdesk audit verify` finds the first broken one.

pub mod routes;

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::audit_log;
use crate::db::{locks, Conn};
use crate::domain::UserId;

/// The hash the first entry links to.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<UserId>,
    /// An email address, or `cli` for the command line.
    pub label: String,
}

impl Actor {
    pub fn cli() -> Self {
        Self {
            id: None,
            label: "cli".into(),
        }
    }
}

/// An entry as stored.
#[derive(Debug, Clone, Queryable)]
pub struct Entry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<UserId>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

fn digest(
    prev: &str,
    at: NaiveDateTime,
    actor_id: Option<UserId>,
    actor: &str,
    action: &str,
    target: &str,
    details: &str,
) -> String {
    let mut h = Sha256::new();
    let at = at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    let actor_id = actor_id.map(|i| i.to_string()).unwrap_or_default();
    // Fields are separated by a byte that cannot occur in them unnoticed:
    // each is length-prefixed.
    for field in [prev, &at, &actor_id, actor, action, target, details] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an entry. Call it inside the write transaction of the change it
/// records ([`crate::db_write!`]), so the change and its record commit
/// together and concurrent appends cannot fork the chain.
pub fn record(
    conn: &mut Conn<'_>,
    actor: &Actor,
    action: &str,
    target: &str,
    details: &str,
) -> QueryResult<()> {
    locks::for_transaction(conn, locks::AUDIT_CHAIN)?;
    // Microseconds: what both engines store exactly, so the hash verifies.
    let now = crate::db::now();
    let at = now
        .with_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now);
    let prev: String = crate::db_run!(conn, |conn| audit_log::table
        .order(audit_log::id.desc())
        .select(audit_log::hash)
        .first(conn)
        .optional())?
    .unwrap_or_else(|| GENESIS.to_owned());
    let hash = digest(&prev, at, actor.id, &actor.label, action, target, details);
    crate::db_run!(conn, |conn| diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(at),
            audit_log::actor_id.eq(actor.id),
            audit_log::actor.eq(&actor.label),
            audit_log::action.eq(action),
            audit_log::target.eq(target),
            audit_log::details.eq(details),
            audit_log::prev_hash.eq(&prev),
            audit_log::hash.eq(&hash),
        ))
        .execute(conn))?;
    Ok(())
}

/// Entries newest first, before entry `before` (keyset pagination).
pub fn list(conn: &mut Conn<'_>, before: Option<i64>, limit: i64) -> QueryResult<Vec<Entry>> {
    crate::db_run!(conn, |conn| {
        let mut q = audit_log::table
            .order(audit_log::id.desc())
            .limit(limit)
            .into_boxed();
        if let Some(b) = before {
            q = q.filter(audit_log::id.lt(b));
        }
        q.load(conn)
    })
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { entries: u64 },
    Broken { id: i64, reason: String },
}

/// Walks the whole chain in id order and reports the first broken link.
pub fn verify(conn: &mut Conn<'_>) -> QueryResult<Verdict> {
    let mut expected_prev = GENESIS.to_owned();
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let batch: Vec<Entry> = crate::db_run!(conn, |conn| audit_log::table
            .filter(audit_log::id.gt(after))
            .order(audit_log::id)
            .limit(5000)
            .load(conn))?;
        let Some(last) = batch.last() else {
            return Ok(Verdict::Intact { entries: count });
        };
        after = last.id;
        for e in batch {
            if e.prev_hash != expected_prev {
                return Ok(Verdict::Broken {
                    id: e.id,
                    reason: "it does not link to the entry before it (an entry was removed or reordered)".into(),
                });
            }
            let hash = digest(
                &e.prev_hash,
                e.at,
                e.actor_id,
                &e.actor,
                &e.action,
                &e.target,
                &e.details,
            );
            if hash != e.hash {
                return Ok(Verdict::Broken {
                    id: e.id,
                    reason: "its content does not match its hash (the entry was changed)".into(),
                });
            }
            expected_prev = e.hash;
            count += 1;
        }
    }
}
