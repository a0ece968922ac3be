//! Finding tips by the text of their message among a million.
//!
//! The filter itself is always `search_text LIKE '%text%'`, both sides
//! folded (`domain::folding`; `search_text` is the message's folded copy,
//! see `db::search_text`); what differs per engine is the index that
//! spares reading every message. PostgreSQL has a pg_trgm index on
//! `search_text` that serves the filter as it stands. SQLite has an FTS5
//! trigram table over `search_text`, `tips_search`, which [`narrow`]
//! asks first for the few tips that can match. It is filled by
//! [`index_pending`], called by the tip writer whenever no reader's tip is
//! waiting (`submission::writer`): indexing each tip in the reader's own
//! transaction would cost more than storing the tip, and indexing from
//! anywhere else would hold the write lock against the readers' tips.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{Filters, COUNT_CAP};
use crate::db::schema::tips;
use crate::db::Conn;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Narrows `f` to candidate tips when its text is rare enough for the
/// index to pay off: no more than [`COUNT_CAP`] matches, among indexed tips
/// and those not indexed yet. A common phrase is left to the plain filter:
/// its matches come early in any scan, and the counts stop at the cap.
pub fn narrow(conn: &mut Conn<'_>, f: &mut Filters) -> QueryResult<()> {
    let (Conn::Sqlite(c), Some(text)) = (&mut *conn, f.folded_text()) else {
        return Ok(());
    };
    let c: &mut diesel::SqliteConnection = c;
    // LIKE on a virtual table takes no ESCAPE clause, so a literal % or _
    // becomes a wildcard here: more candidates, never fewer.
    let pattern = super::like_pattern(&text);
    let pieces: Vec<&str> = text.split(['%', '_']).collect();
    if !pieces.iter().any(|p| p.chars().count() >= 3) {
        return Ok(()); // no trigram to look up
    }
    let limit = COUNT_CAP + 1;
    let mut ids: Vec<i64> =
        diesel::sql_query("SELECT rowid AS id FROM tips_search WHERE search_text LIKE ? LIMIT ?")
            .bind::<Text, _>(format!("%{}%", pieces.join("%")))
            .bind::<BigInt, _>(limit)
            .load::<Id>(c)?
            .into_iter()
            .map(|r| r.id)
            .collect();
    if ids.len() as i64 >= limit {
        return Ok(());
    }
    // The newest tips, not in the index yet: few, so read directly.
    let tail: Vec<i64> = tips::table
        .filter(tips::id.gt(indexed_up_to(c)?))
        .filter(tips::search_text.like(pattern).escape('\\'))
        .select(tips::id)
        .limit(limit)
        .load(c)?;
    ids.extend(tail);
    if ids.len() as i64 <= COUNT_CAP {
        f.candidates = Some(ids);
    }
    Ok(())
}

fn indexed_up_to(c: &mut diesel::SqliteConnection) -> QueryResult<i64> {
    diesel::sql_query("SELECT indexed_up_to AS id FROM tips_search_progress")
        .get_result::<Id>(c)
        .map(|r| r.id)
}

/// Adds up to `batch` tips not yet in SQLite's search index to it, in one
/// transaction; returns how many.
///
/// On PostgreSQL, moves the trigram index's pending list into the index
/// (`gin_clean_pending_list`) and returns 0. A new tip's trigrams go to
/// that list (GIN `fastupdate`), a cheap append of ~2 KB per benchmark
/// tip (2,000 of them filled 500 pages); whoever finds the list over
/// `gin_pending_list_limit` merges it, and with the default 4 MB that is a
/// reader's insert about once a second at 2,400 tips/s, merging ~2,000
/// tips (28 ms, measured) while that reader, and every tip of its group,
/// waits. Cleaned every second from a thread of the tip writer's, the
/// list stays far under the limit the migration sets (32 MB, some 16,000
/// tips), and searches stay exact whatever its length: a GIN scan reads
/// the pending list too.
pub fn index_pending(conn: &mut Conn<'_>, batch: i64) -> QueryResult<usize> {
    let c: &mut diesel::SqliteConnection = match conn {
        Conn::Sqlite(c) => c,
        #[cfg(feature = "postgres")]
        Conn::Pg(c) => {
            diesel::sql_query("SELECT gin_clean_pending_list('tips_search_text_trgm'::regclass)")
                .execute(*c)?;
            return Ok(0);
        }
    };
    let c: &mut diesel::SqliteConnection = c;
    c.immediate_transaction(|c| {
        let from = indexed_up_to(c)?;
        // Ids grow in commit order on SQLite (one writer at a time), so
        // nothing can appear below the mark later.
        let upto: Option<i64> = tips::table
            .filter(tips::id.gt(from))
            .order(tips::id)
            .limit(batch)
            .select(tips::id)
            .load::<i64>(c)?
            .last()
            .copied();
        let Some(upto) = upto else { return Ok(0) };
        let n = diesel::sql_query(
            "INSERT INTO tips_search (rowid, search_text) \
             SELECT id, search_text FROM tips WHERE id > ? AND id <= ?",
        )
        .bind::<BigInt, _>(from)
        .bind::<BigInt, _>(upto)
        .execute(c)?;
        diesel::sql_query("UPDATE tips_search_progress SET indexed_up_to = ?")
            .bind::<BigInt, _>(upto)
            .execute(c)?;
        Ok(n)
    })
}
