//! The folded copy of each tip's message (`tips.search_text`), which the
//! desk's text filter and both engines' trigram indexes read.
//!
//! tipdesk writes it with the tip (`submission::store`). This module fills
//! it in for tips that have none: those stored before the column existed,
//! and every tip again when the folding rules change
//! ([`crate::domain::folding::FOLD_VERSION`]). That runs at start-up, right
//! after the migrations and under the same lock on PostgreSQL, so a
//! search never meets a tip that is not folded yet. Folding is done in
//! Rust, never by an engine's `lower()`, so both engines hold the same text.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::schema::tips;
use crate::domain::folding::{fold, FOLD_VERSION};

/// Tips folded per transaction: short write transactions, few round trips.
const BATCH: i64 = 1_000;

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Integer)]
    version: i32,
}

/// Brings every tip's `search_text` up to the current folding rules;
/// returns how many tips were folded. Cheap when there is nothing to do
/// (one small query).
pub fn backfill(conn: &mut super::Conn<'_>) -> QueryResult<usize> {
    let stored: i32 =
        crate::db_run!(conn => diesel::sql_query("SELECT version FROM search_folding")
        .get_result::<Version>(conn))?
        .version;
    if stored != FOLD_VERSION {
        forget_old_folding(conn)?;
    }
    let started = std::time::Instant::now();
    let mut after = 0_i64;
    let mut folded = 0;
    loop {
        let rows: Vec<(i64, String)> = crate::db_run!(conn => tips::table
            .filter(tips::id.gt(after))
            .filter(tips::search_text.is_null())
            .order(tips::id)
            .limit(BATCH)
            .select((tips::id, tips::message))
            .load(conn))?;
        let Some(&(last, _)) = rows.last() else { break };
        after = last;
        folded += rows.len();
        let rows: Vec<(i64, String)> = rows.into_iter().map(|(id, m)| (id, fold(&m))).collect();
        store(conn, &rows)?;
    }
    if folded > 0 {
        tracing::info!(
            tips = folded,
            seconds = started.elapsed().as_secs_f32(),
            "folded tips' text for search"
        );
    }
    Ok(folded)
}

/// Marks every tip as not folded, under new rules. On SQLite the trigram
/// index is emptied too; the tip writer rebuilds it as the tips are
/// folded again.
fn forget_old_folding(conn: &mut super::Conn<'_>) -> QueryResult<()> {
    crate::db_write!(conn => {
        match conn {
            super::Conn::Sqlite(c) => c.batch_execute(
                "INSERT INTO tips_search (tips_search) VALUES ('delete-all');
                 UPDATE tips_search_progress SET indexed_up_to = 0;",
            )?,
            #[cfg(feature = "postgres")]
            super::Conn::Pg(_) => {}
        }
        crate::db_run!(conn => diesel::update(tips::table.filter(tips::search_text.is_not_null()))
            .set(tips::search_text.eq(None::<String>))
            .execute(conn))?;
        crate::db_run!(conn => conn.batch_execute(&format!(
            "UPDATE search_folding SET version = {FOLD_VERSION}"
        )))?;
        Ok::<_, diesel::result::Error>(())
    })
}

/// Writes the folded texts of one batch in one transaction.
fn store(conn: &mut super::Conn<'_>, rows: &[(i64, String)]) -> QueryResult<()> {
    match conn {
        super::Conn::Sqlite(c) => super::sqlite_write(c, |c| {
            for (id, text) in rows {
                diesel::sql_query("UPDATE tips SET search_text = ? WHERE id = ?")
                    .bind::<Text, _>(text)
                    .bind::<BigInt, _>(id)
                    .execute(c)?;
            }
            Ok(())
        }),
        // One statement per batch: a round trip per tip made a million
        // tips take minutes.
        #[cfg(feature = "postgres")]
        super::Conn::Pg(c) => {
            use diesel::sql_types::Array;
            let (ids, texts): (Vec<i64>, Vec<&str>) =
                rows.iter().map(|(id, t)| (*id, t.as_str())).unzip();
            diesel::sql_query(
                "UPDATE tips SET search_text = v.t \
                 FROM unnest($1::bigint[], $2::text[]) AS v(id, t) WHERE tips.id = v.id",
            )
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Array<Text>, _>(texts)
            .execute(*c)
            .map(drop)
        }
    }
}
