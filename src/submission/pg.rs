//! PostgreSQL: a reader's tip, its notification jobs and its receipt in
//! one statement (a data-modifying `WITH`), where SQLite takes three.
//!
//! In the tip writer's group transaction every statement is a round trip
//! to the server and an executor set up and torn down there; the tip's
//! rows were three of each per tip. (Issue 19: on a `pgbench` model of a
//! group's statements, 12 tips a group from 4 writers, the tip's inserts
//! and its surge count as one statement took the server's CPU per tip
//! from 0.51 to 0.43 ms; the count stays apart here, as its result
//! decides the jobs in Rust.) The tip's row is diesel's own insert (`NewTip`),
//! so it cannot drift from the schema; the jobs' and the receipt's
//! columns are written out here, with the values `outbox::Jobs` and
//! `receipts` decided. Their foreign keys to the new tip are checked at
//! the end of the statement, when the tip's row is there.

use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

use crate::follow_up::receipts::ReceiptHash;
use crate::notifications::outbox::Jobs;

/// `tip` (an `INSERT INTO tips ... RETURNING id`) with `jobs` and the
/// receipt `receipt`; loads the new tip's id.
pub(super) struct TipWithJobs<'a, Tip> {
    pub tip: Tip,
    pub jobs: &'a Jobs<'a>,
    pub receipt: &'a ReceiptHash,
}

impl<Tip: QueryFragment<Pg>> QueryFragment<Pg> for TipWithJobs<'_, Tip> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let jobs = self.jobs;
        out.push_sql("WITH t AS (");
        self.tip.walk_ast(out.reborrow())?;
        out.push_sql(
            "), jobs AS (INSERT INTO outbox (tip_id, desk, recipient, message_id, state, \
             attempts, next_attempt_at, digest, created_at, updated_at, reason) SELECT t.id, ",
        );
        out.push_bind_param::<Text, _>(jobs.desk)?;
        out.push_sql(", r.recipient, r.message_id, ");
        out.push_bind_param::<Text, _>(&jobs.state)?;
        out.push_sql(", 0, ");
        out.push_bind_param::<Timestamp, _>(&jobs.next_attempt_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&jobs.digest)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&jobs.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&jobs.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&jobs.reason)?;
        out.push_sql(" FROM t, unnest(");
        out.push_bind_param::<Array<Text>, _>(jobs.recipients)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&jobs.message_ids)?;
        out.push_sql(
            ") AS r (recipient, message_id)), \
             receipt AS (INSERT INTO tip_receipts (receipt_hash, tip_id, created_at) SELECT ",
        );
        out.push_bind_param::<Text, _>(self.receipt.as_str())?;
        out.push_sql(", t.id, ");
        out.push_bind_param::<Timestamp, _>(&jobs.created_at)?;
        out.push_sql(" FROM t) SELECT id FROM t");
        Ok(())
    }

    // Prepared once per connection and text, then only bound and run.
    // diesel calls every insert of an `Insertable` unsafe to cache on
    // PostgreSQL (a `None` field is written `DEFAULT`, so one query type
    // has several texts) and sent it to be parsed, analysed and planned
    // for every tip: that doubled the server's CPU per tip on the pgbench
    // model of this statement (1.5 -> 0.65 ms, `-M extended` against
    // `-M prepared`). Without a static query id (below) diesel's cache is
    // keyed by the text and the bind types, so each variant (which of the
    // tip's optional columns are NULL) is its own prepared statement.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Tip> QueryId for TipWithJobs<'_, Tip> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Tip> Query for TipWithJobs<'_, Tip> {
    type SqlType = BigInt;
}

impl<Tip> RunQueryDsl<PgConnection> for TipWithJobs<'_, Tip> {}
