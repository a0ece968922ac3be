//! PostgreSQL's statements for storing readers' tips.
//!
//! [`store_group`] stores a writer's group of tips in one statement
//! ([`GroupInsert`]: every tip, its notification jobs and its receipt)
//! after one read per article ([`ArticleNow`]), each committed by itself:
//! two round trips for a group, where each tip took its own. (Issue 19: a
//! round trip is ~65 µs of the server's CPU here and as much of ours,
//! measured with `pgbench`. With the article read moved here from the
//! request, `scripts/bench --only submit-pg` went from 2,096 to 2,885
//! JSON tips/s, tipdesk's CPU per 1,000 tips from 0.35 to 0.17 s and the
//! server's from 0.53 to 0.46 s.)
//!
//! [`TipWithJobs`] stores one tip with its jobs and receipt in one
//! statement (a data-modifying `WITH`, where SQLite takes three), for the
//! tips stored one by one: possible resends, tips with files, and every
//! tip again when a group's statement failed. Its tip row is diesel's own
//! insert (`NewTip`), so it cannot drift from the schema; the jobs' and
//! the receipt's columns are written out, with the values `outbox::Jobs`
//! and `receipts` decided. In both statements the foreign keys to the new
//! tips are checked at the end of the statement, when their rows are
//! there.
//!
//! Import cycle with `crate::submission`: these are PostgreSQL's
//! statements for the rows `submission` decides (`TipJob::plan`), which
//! the careful path there runs one tip at a time.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Binary, Bool, Integer, Nullable, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

use super::case::{CaseName, Recent};
use super::{AcceptError, ArticleClosed, Planned, Stored, TipJob};
use crate::articles::Article;
use crate::db::DbError;
use crate::domain::{CaseId, TipKind, TipStatus};
use crate::follow_up::receipts::ReceiptHash;
use crate::notifications::outbox::{JobReason, JobState, Jobs};

/// Makes a statement type runnable, its prepared statement cached by its
/// text and bind types: without a static query id diesel keys its cache
/// so (each type's `QueryFragment` also says it is safe to cache).
macro_rules! statement {
    ($ty:ty $(, $generic:ident)?) => {
        impl<$($generic)?> QueryId for $ty {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl<$($generic)?> RunQueryDsl<PgConnection> for $ty {}
    };
}

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

statement!(TipWithJobs<'_, Tip>, Tip);

impl<Tip> Query for TipWithJobs<'_, Tip> {
    type SqlType = BigInt;
}

/// The article `id` as a group of its tips needs it, in one statement:
/// its row and its `newest` tips (by id, newest first), from which
/// [`Known::read`] takes both the surge count (those of the last ten
/// minutes) and the candidates for cases (`case::Recent::read`'s
/// selection). One row per tip (one with NULL tip columns when there is
/// none); no row for an unknown article.
///
/// The tips come from one index scan of `tips_article_newest`, stopped
/// after `newest` entries. Counting the last ten minutes' tips by
/// `created_at` instead let the planner, with statistics not yet
/// gathered, read every recent tip of the article in a bitmap scan and
/// sort them, 9.6 ms instead of 0.3 ms per group at 15,000 recent tips
/// (`EXPLAIN ANALYZE`).
struct ArticleNow<'a> {
    id: &'a str,
    newest: i64,
}

type ArticleNowRow = (
    String,
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    Option<String>,
    Option<NaiveDateTime>,
    Option<i64>,
    Option<CaseId>,
    Option<String>,
    Option<TipStatus>,
    Option<Vec<u8>>,
    Option<NaiveDateTime>,
);

impl QueryFragment<Pg> for ArticleNow<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "SELECT a.id, a.title, a.url, a.section, a.created_at, a.updated_at, a.language, \
             a.retired_at, c.id, c.case_id, c.desk, c.status, c.case_sketch, c.created_at \
             FROM articles a LEFT JOIN LATERAL (SELECT tips.id, tips.case_id, tips.desk, \
             tips.status, tips.case_sketch, tips.created_at FROM tips WHERE tips.article_id = ",
        );
        out.push_bind_param::<Text, _>(self.id)?;
        out.push_sql(" ORDER BY tips.id DESC LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.newest)?;
        out.push_sql(") c ON true WHERE a.id = ");
        out.push_bind_param::<Text, _>(self.id)?;
        out.push_sql(" ORDER BY c.id DESC");
        Ok(())
    }

    // Prepared once per connection, as `TipWithJobs`.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

statement!(ArticleNow<'_>);

impl Query for ArticleNow<'_> {
    type SqlType = (
        Text,
        Text,
        Text,
        Text,
        Timestamp,
        Timestamp,
        Nullable<Text>,
        Nullable<Timestamp>,
        Nullable<BigInt>,
        Nullable<BigInt>,
        Nullable<Text>,
        Nullable<Text>,
        Nullable<Binary>,
        Nullable<Timestamp>,
    );
}

/// What a group knows of one article while planning its tips.
struct Known {
    article: Article,
    /// Its tips of the last ten minutes, counting those planned so far.
    recent: i64,
    cases: Recent,
}

impl Known {
    /// Reads the article `id` for `job` and the other tips of the group
    /// for it; `Err` when it takes no tips.
    fn read(
        pg: &mut PgConnection,
        job: &TipJob,
        now: NaiveDateTime,
    ) -> QueryResult<Result<Self, ArticleClosed>> {
        let cap = job.surge_count_cap();
        let candidates = i64::from(job.settings.triage.case_candidates);
        let rows: Vec<ArticleNowRow> = ArticleNow {
            id: &job.submission.article.id,
            newest: cap.max(candidates),
        }
        .load(pg)?;
        let Some(first) = rows.first() else {
            return Ok(Err(ArticleClosed::Missing));
        };
        let article = Article {
            id: first.0.clone(),
            title: first.1.clone(),
            url: first.2.clone(),
            section: first.3.clone(),
            created_at: first.4,
            updated_at: first.5,
            language: first.6.clone(),
            retired_at: first.7,
        };
        let recent = super::in_surge_window(
            rows.iter()
                .take(usize::try_from(cap).unwrap_or(0))
                .filter_map(|row| row.13),
            now,
        );
        let cases = Recent::from_rows(
            rows.into_iter()
                .take(usize::try_from(candidates).unwrap_or(0))
                .filter_map(|(.., id, case_id, desk, status, sketch, _)| {
                    Some((id?, case_id, desk?, status?, sketch))
                }),
        );
        Ok(super::taking_tips(Some(article)).map(|article| Self {
            article,
            recent,
            cases,
        }))
    }
}

/// Stores `jobs` (tips that fit one statement:
/// `TipJob::fits_one_statement`) in one statement, committed by itself,
/// after one read per article ([`ArticleNow`]): two round trips for a
/// group of one article's tips, where storing them one by one took
/// `BEGIN`, a read of the article per tip, the case and surge reads, an
/// insert per tip, `COMMIT`.
///
/// Each tip is decided as [`super::store`] decides it (`TipJob::plan`);
/// the tips of a group compare with one another for cases and count one
/// another for the surge as there. A tip whose article no longer takes
/// tips is answered without being stored; the others are not affected.
///
/// # Errors
/// [`Unsaved::BeforeCommit`] when a read or the statement failed on the
/// server: nothing was stored, and the writer stores each tip again the
/// careful way, so that one that fails touches no other.
/// [`Unsaved::Transaction`] when the connection was lost: the tips may
/// have been stored, so they are not stored again.
pub(super) fn store_group(
    pg: &mut PgConnection,
    jobs: &[&TipJob],
) -> Result<Vec<Result<Stored, AcceptError>>, Unsaved> {
    let now = crate::db::now();
    let mut known: HashMap<&str, Result<Known, ArticleClosed>> = HashMap::new();
    for job in jobs {
        let id = job.submission.article.id.as_str();
        if !known.contains_key(id) {
            let read = Known::read(pg, job, now).map_err(unsaved)?;
            known.insert(id, read);
        }
    }
    let mut answers: Vec<Option<Result<Stored, AcceptError>>> = Vec::with_capacity(jobs.len());
    let mut planned = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        let article = match known.get_mut(job.submission.article.id.as_str()) {
            Some(Ok(article)) => article,
            Some(Err(closed)) => {
                answers.push(Some(Err(AcceptError::Closed(*closed))));
                continue;
            }
            None => unreachable!("every article of the group was read above"),
        };
        if job.surge_count_cap() > 0 {
            article.recent += 1;
        }
        let triage = &job.settings.triage;
        let (desk_key, _) =
            super::routing::desk_for_section(&job.settings.desks, &article.article.section);
        let case = article.cases.case_for(triage, desk_key, &job.sketch);
        let place = planned.len();
        let tip = job.plan(&article.article, case, article.recent, now);
        article.cases.add(
            triage,
            case.unwrap_or(CaseName::GroupTip(place)),
            desk_key,
            job.sketch.clone(),
        );
        planned.push((i, tip));
        answers.push(None);
    }
    if !planned.is_empty() {
        let tips: Vec<&Planned<'_>> = planned.iter().map(|(_, p)| p).collect();
        GroupInsert::of(&tips).execute(pg).map_err(unsaved)?;
    }
    for (i, tip) in planned {
        answers[i] = Some(Ok(tip.stored));
    }
    Ok(answers.into_iter().flatten().collect())
}

/// Whether a failed read or statement may have stored anything: only
/// when the connection was lost (its commit's answer with it). An error
/// the server answered with rolled the statement back.
fn unsaved(e: diesel::result::Error) -> Unsaved {
    use diesel::result::{DatabaseErrorKind, Error as E};
    match e {
        E::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => Unsaved::Transaction(e.into()),
        E::DatabaseError(..) | E::QueryBuilderError(_) | E::SerializationError(_) => {
            Unsaved::BeforeCommit(e.into())
        }
        _ => Unsaved::Transaction(e.into()),
    }
}

/// A group's tips with their notification jobs and receipts, as one
/// `INSERT` each into `tips`, `outbox` and `tip_receipts` in one
/// statement: the values travel as one array per column (`unnest`), so
/// the statement's text is the same for any number of tips and is
/// prepared once per connection.
///
/// The statement draws each tip's id from the table's identity sequence
/// itself (`ids`), so that a tip joining the case of one that started
/// alone in the same group (`CaseName::GroupTip`, its 1-based place in
/// `case_mate`) is given that tip's id as its `case_id`. The columns are
/// written out here, where the careful path uses diesel's own insert of
/// [`super::NewTip`]: a column added to `tips` without a default makes
/// this statement fail, and the writer then stores each tip the careful
/// way (slower, never lost); `tests/api/submission.rs` compares what
/// both ways store.
struct GroupInsert<'a> {
    reference: Vec<&'a str>,
    article_id: Vec<&'a str>,
    desk: Vec<&'a str>,
    kind: Vec<TipKind>,
    message: Vec<&'a str>,
    search_text: Vec<&'a str>,
    language: Vec<Option<&'a str>>,
    quote: Vec<Option<&'a str>>,
    reader_name: Vec<Option<&'a str>>,
    contact: Vec<Option<&'a str>>,
    contact_kind: Vec<Option<&'a str>>,
    consent: Vec<bool>,
    status: Vec<TipStatus>,
    client_hash: Vec<&'a str>,
    fingerprint: Vec<&'a str>,
    created_at: Vec<NaiveDateTime>,
    attachment_count: Vec<i32>,
    case_sketch: Vec<&'a [u8]>,
    case_id: Vec<Option<i64>>,
    case_mate: Vec<Option<i64>>,
    receipt_hash: Vec<&'a str>,
    job_tip: Vec<i64>,
    job_desk: Vec<&'a str>,
    job_recipient: Vec<&'a str>,
    job_message_id: Vec<&'a str>,
    job_state: Vec<JobState>,
    job_next_attempt_at: Vec<NaiveDateTime>,
    job_digest: Vec<bool>,
    job_created_at: Vec<NaiveDateTime>,
    job_reason: Vec<JobReason>,
}

impl<'a> GroupInsert<'a> {
    fn of(tips: &[&'a Planned<'a>]) -> Self {
        let n = tips.len();
        let mut s = Self {
            reference: Vec::with_capacity(n),
            article_id: Vec::with_capacity(n),
            desk: Vec::with_capacity(n),
            kind: Vec::with_capacity(n),
            message: Vec::with_capacity(n),
            search_text: Vec::with_capacity(n),
            language: Vec::with_capacity(n),
            quote: Vec::with_capacity(n),
            reader_name: Vec::with_capacity(n),
            contact: Vec::with_capacity(n),
            contact_kind: Vec::with_capacity(n),
            consent: Vec::with_capacity(n),
            status: Vec::with_capacity(n),
            client_hash: Vec::with_capacity(n),
            fingerprint: Vec::with_capacity(n),
            created_at: Vec::with_capacity(n),
            attachment_count: Vec::with_capacity(n),
            case_sketch: Vec::with_capacity(n),
            case_id: Vec::with_capacity(n),
            case_mate: Vec::with_capacity(n),
            receipt_hash: Vec::with_capacity(n),
            job_tip: Vec::new(),
            job_desk: Vec::new(),
            job_recipient: Vec::new(),
            job_message_id: Vec::new(),
            job_state: Vec::new(),
            job_next_attempt_at: Vec::new(),
            job_digest: Vec::new(),
            job_created_at: Vec::new(),
            job_reason: Vec::new(),
        };
        for (place, tip) in tips.iter().enumerate() {
            let row = &tip.row;
            s.reference.push(&row.reference);
            s.article_id.push(row.article_id);
            s.desk.push(row.desk);
            s.kind.push(row.kind);
            s.message.push(row.message);
            s.search_text.push(row.search_text);
            s.language.push(row.language);
            s.quote.push(row.quote);
            s.reader_name.push(row.reader_name.as_deref());
            s.contact.push(row.contact.as_deref());
            s.contact_kind.push(row.contact_kind);
            s.consent.push(row.consent);
            s.status.push(row.status);
            s.client_hash.push(row.client_hash);
            s.fingerprint.push(row.fingerprint);
            s.created_at.push(row.created_at);
            s.attachment_count.push(row.attachment_count);
            s.case_sketch.push(&row.case_sketch);
            let (case_id, case_mate) = match tip.case {
                Some(CaseName::Stored(id)) => (Some(id.0), None),
                Some(CaseName::GroupTip(mate)) => (None, Some(mate as i64 + 1)),
                None => (None, None),
            };
            s.case_id.push(case_id);
            s.case_mate.push(case_mate);
            s.receipt_hash.push(tip.receipt_hash.as_str());
            let jobs = &tip.jobs;
            for (recipient, message_id) in jobs.recipients.iter().zip(&jobs.message_ids) {
                s.job_tip.push(place as i64 + 1);
                s.job_desk.push(jobs.desk);
                s.job_recipient.push(recipient);
                s.job_message_id.push(message_id);
                s.job_state.push(jobs.state);
                s.job_next_attempt_at.push(jobs.next_attempt_at);
                s.job_digest.push(jobs.digest);
                s.job_created_at.push(jobs.created_at);
                s.job_reason.push(jobs.reason);
            }
        }
        s
    }
}

impl QueryFragment<Pg> for GroupInsert<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH i AS (SELECT * FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.reference)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.article_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.desk)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.message)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.search_text)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.language)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.quote)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.reader_name)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.contact)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.contact_kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.consent)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.status)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.client_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.fingerprint)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Integer>, _>(&self.attachment_count)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Binary>, _>(&self.case_sketch)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.case_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.case_mate)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.receipt_hash)?;
        out.push_sql(
            ") WITH ORDINALITY AS i (reference, article_id, desk, kind, message, search_text, \
             language, quote, reader_name, contact, contact_kind, consent, status, client_hash, \
             fingerprint, created_at, attachment_count, case_sketch, case_id, case_mate, \
             receipt_hash, n)), \
             ids AS MATERIALIZED (SELECT n, nextval(pg_get_serial_sequence('tips', 'id')::regclass) \
             AS id FROM i), \
             t AS (INSERT INTO tips (id, reference, article_id, desk, kind, message, search_text, \
             language, quote, reader_name, contact, contact_kind, consent, status, client_hash, \
             fingerprint, created_at, updated_at, attachment_count, case_sketch, case_id) \
             OVERRIDING SYSTEM VALUE SELECT ids.id, i.reference, i.article_id, i.desk, i.kind, \
             i.message, i.search_text, i.language, i.quote, i.reader_name, i.contact, \
             i.contact_kind, i.consent, i.status, i.client_hash, i.fingerprint, i.created_at, \
             i.created_at, i.attachment_count, i.case_sketch, COALESCE(i.case_id, mate.id) \
             FROM i JOIN ids USING (n) LEFT JOIN ids AS mate ON mate.n = i.case_mate), \
             jobs AS (INSERT INTO outbox (tip_id, desk, recipient, message_id, state, attempts, \
             next_attempt_at, digest, created_at, updated_at, reason) SELECT ids.id, j.desk, \
             j.recipient, j.message_id, j.state, 0, j.next_attempt_at, j.digest, j.created_at, \
             j.created_at, j.reason FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.job_tip)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.job_desk)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.job_recipient)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.job_message_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.job_state)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.job_next_attempt_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.job_digest)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.job_created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.job_reason)?;
        out.push_sql(
            ") AS j (n, desk, recipient, message_id, state, next_attempt_at, digest, created_at, \
             reason) JOIN ids USING (n)), \
             receipts AS (INSERT INTO tip_receipts (receipt_hash, tip_id, created_at) \
             SELECT i.receipt_hash, ids.id, i.created_at FROM i JOIN ids USING (n)) \
             SELECT count(*) FROM ids",
        );
        Ok(())
    }

    // Prepared once per connection: the text is the same for any group.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

statement!(GroupInsert<'_>);

/// Why a PostgreSQL group stored without savepoints (or in one
/// statement) was not committed.
pub(super) enum Unsaved {
    /// A tip's work or the statement failed: all was rolled back.
    BeforeCommit(AcceptError),
    /// The transaction's own `BEGIN`, `COMMIT` or `ROLLBACK`, or a lost
    /// connection: the tips may have been stored.
    Transaction(DbError),
}

impl From<diesel::result::Error> for Unsaved {
    fn from(e: diesel::result::Error) -> Self {
        Self::Transaction(e.into())
    }
}
