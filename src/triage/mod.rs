//! The desk's half of tipdesk: finding tips, reading them, and moving them
//! through the workflow. Every change is written with its audit entry in
//! one transaction. Who may see or change what is decided by the caller
//! with [`crate::auth::Staff`]; these functions trust their arguments.

pub mod bulk;
pub mod cases;
pub mod first_look;
pub mod reminder;
pub mod routes;
pub mod search;
pub mod similarity;
pub mod stats;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::db::schema::{articles, tip_events, tip_labels, tip_reads, tips, users};
use crate::db::Conn;
use crate::domain::{Language, TipId, TipKind, TipStatus, UserId};
use crate::i18n::{Locale, Msg};

/// Which tips the queue shows.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub status: Option<TipStatus>,
    pub desk: Option<String>,
    pub article: Option<String>,
    pub kind: Option<TipKind>,
    pub assignee: Option<AssigneeFilter>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The message's detected language (`domain::language`).
    pub language: Option<Language>,
    /// Only overdue tips: unread, and older than these cutoffs, each for
    /// its desks (from [`first_look::FirstLook::cutoffs`]).
    pub overdue: Option<Vec<(Vec<String>, NaiveDateTime)>>,
    /// Text the message contains, as typed; compared folded (see
    /// [`Filters::text_pattern`]).
    pub text: Option<String>,
    /// Keyset pagination: tips older than this id.
    pub before: Option<TipId>,
    /// The only tips that can match `text`, when the search index narrowed
    /// them down (see [`search::narrow`]); the text filter still decides.
    candidates: Option<Vec<i64>>,
}

/// Counting stops past this many tips per status; the queue then shows
/// "1,000+". An exact figure beyond it changes nothing a desk does, and
/// counting every one of a million tips made each page view slow.
pub const COUNT_CAP: i64 = 1_000;

/// How many tips have a status under the current filters, up to a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(i64);

impl Count {
    pub fn capped(n: i64) -> Self {
        Self(n.min(COUNT_CAP + 1))
    }

    pub fn at_least(self) -> bool {
        self.0 > COUNT_CAP
    }
}

impl Count {
    /// The figure in `l`'s digits, with "+" past the cap.
    pub fn shown(self, l: Locale) -> String {
        let n = l.number(self.0.min(COUNT_CAP));
        if self.at_least() {
            format!("{n}+")
        } else {
            n
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.min(COUNT_CAP);
        let digits = n.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if self.at_least() {
            grouped.push('+');
        }
        f.write_str(&grouped)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    User(UserId),
}

/// One line of the queue.
#[derive(Debug, Clone, Queryable)]
pub struct QueueRow {
    pub id: TipId,
    pub reference: String,
    pub article_title: String,
    pub desk: String,
    pub kind: TipKind,
    pub status: TipStatus,
    pub created_at: NaiveDateTime,
    pub assignee: Option<String>,
    pub read_at: Option<NaiveDateTime>,
    /// The reader wrote and the desk has not answered yet.
    pub reader_replied: bool,
    /// The start of the message, cut to [`PREVIEW_GRAPHEMES`] with line
    /// breaks as spaces (see [`preview`]).
    pub preview: String,
    /// The message's detected language; `None`: unknown.
    pub language: Option<String>,
    /// The reader left a way to reach them.
    pub has_contact: bool,
    /// When anyone at the desk first opened it.
    pub first_read_at: Option<NaiveDateTime>,
    /// Files the reader sent with it (0: none).
    pub files: i32,
    /// The tip's case ([`cases`]): its own id when alone.
    pub case: crate::domain::CaseId,
    /// Other tips in its case (the "+N similar" badge; 0: none).
    pub similar: i64,
}

impl QueueRow {
    pub fn language(&self) -> Option<Language> {
        self.language.clone().map(Language::from_stored)
    }
}

/// User-perceived characters of a message the queue shows: about two
/// lines, enough to tell most tips apart without opening them.
pub const PREVIEW_GRAPHEMES: usize = 160;

/// Characters read from the database for a preview: a grapheme cluster is
/// rarely more than four of them, and reading a bounded prefix keeps a
/// page of 10,000-character tips as cheap as one of short ones.
const PREVIEW_CHARS: i32 = 4 * PREVIEW_GRAPHEMES as i32;

diesel::define_sql_function! {
    /// SQL's `substr(text, start, length)`, counted in characters on both
    /// engines.
    fn substr(text: diesel::sql_types::Text, start: diesel::sql_types::Integer, length: diesel::sql_types::Integer) -> diesel::sql_types::Text;
}

/// The queue's preview of `message`: at most [`PREVIEW_GRAPHEMES`]
/// grapheme clusters, never cut inside one, with an ellipsis when cut, and
/// each run of white space (line breaks too) shown as one space.
pub fn preview(message: &str) -> String {
    let flat = message.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::domain::graphemes::cut(&flat, PREVIEW_GRAPHEMES)
}

impl Filters {
    /// Whether the queue shows each case once (at its newest tip): when
    /// it filters by desk or article at most, which every tip of a case
    /// shares. With a filter on a tip's own fields every matching tip is
    /// listed (see [`cases`]).
    pub fn shows_cases_once(&self) -> bool {
        let Self {
            status,
            desk: _,
            article: _,
            kind,
            assignee,
            from,
            to,
            language,
            overdue,
            text,
            before: _,
            candidates,
        } = self;
        status.is_none()
            && kind.is_none()
            && assignee.is_none()
            && from.is_none()
            && to.is_none()
            && language.is_none()
            && overdue.is_none()
            && text.is_none()
            && candidates.is_none()
    }

    /// The LIKE pattern (escape `\`) that finds [`Filters::text`] in
    /// `tips.search_text`: the text folded as stored messages are
    /// (`domain::folding`), its `%`, `_` and `\` taken literally. `None`
    /// when there is no text, or nothing of it survives folding (only
    /// invisible characters).
    fn text_pattern(&self) -> Option<String> {
        self.folded_text().as_deref().map(like_pattern)
    }

    fn folded_text(&self) -> Option<String> {
        let folded = crate::domain::folding::fold(self.text.as_deref()?);
        (!folded.is_empty()).then_some(folded)
    }
}

fn like_pattern(folded: &str) -> String {
    let escaped = folded
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Builds the filtered tips query for one engine; used by the list and the
/// counts so both always agree.
macro_rules! filtered {
    ($base:expr, $scope:expr, $f:expr, $with_status:expr) => {{
        let f: &Filters = $f;
        let mut q = $base.into_boxed();
        if let Some(desks) = $scope {
            q = q.filter(tips::desk.eq_any(desks));
        }
        if $with_status {
            if let Some(s) = f.status {
                q = q.filter(tips::status.eq(s));
            }
        }
        if let Some(d) = &f.desk {
            q = q.filter(tips::desk.eq(d));
        }
        if let Some(a) = &f.article {
            q = q.filter(tips::article_id.eq(a));
        }
        if let Some(k) = f.kind {
            q = q.filter(tips::kind.eq(k));
        }
        match f.assignee {
            Some(AssigneeFilter::Nobody) => q = q.filter(tips::assignee_id.is_null()),
            Some(AssigneeFilter::User(id)) => q = q.filter(tips::assignee_id.eq(id)),
            None => {}
        }
        if let Some(from) = f.from {
            q = q.filter(tips::created_at.ge(from.and_time(chrono::NaiveTime::MIN)));
        }
        if let Some(to) = f.to {
            if let Some(next) = to.succ_opt() {
                q = q.filter(tips::created_at.lt(next.and_time(chrono::NaiveTime::MIN)));
            }
        }
        if let Some(l) = &f.language {
            q = q.filter(tips::language.eq(l.as_str()));
        }
        if let Some(groups) = &f.overdue {
            q = q.filter(tips::first_read_at.is_null());
            // One condition per distinct time to first look: usually one.
            // Seeded with a false term on purpose: an OR that no index
            // serves keeps SQLite's planner (which has no statistics) off
            // `tips_desk_newest` (a sort of every unread tip: 200 ms at
            // 300,000 tips) and on the partial index `tips_unread`, walked
            // newest first (0.2 ms). Measured with EXPLAIN QUERY PLAN on
            // SQLite 3.53; `scripts/bench --only dashboard` times the page.
            let mut any: Box<dyn BoxableExpression<_, _, SqlType = diesel::sql_types::Bool>> =
                Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"));
            for (desks, cutoff) in groups {
                any = Box::new(
                    any.or(tips::desk
                        .eq_any(desks.clone())
                        .and(tips::created_at.lt(*cutoff))),
                );
            }
            q = q.filter(any);
        }
        if let Some(ids) = &f.candidates {
            q = q.filter(tips::id.eq_any(ids));
        }
        if let Some(pattern) = f.text_pattern() {
            q = q.filter(tips::search_text.like(pattern).escape('\\'));
        }
        q
    }};
}

// Declared after `filtered!`, which it uses to select what it exports.
pub mod export;

/// A page of the queue, newest first, and the id to continue before.
pub fn list(
    conn: &mut Conn<'_>,
    scope: Option<&[String]>,
    me: UserId,
    f: &Filters,
    limit: i64,
) -> QueryResult<(Vec<QueueRow>, Option<TipId>)> {
    let rows: Vec<QueueRow> = crate::db_run!(conn, |conn| {
        let mut q = filtered!(
            tips::table
                .inner_join(articles::table)
                .left_join(users::table)
                .left_join(
                    tip_reads::table.on(tip_reads::tip_id
                        .eq(tips::id)
                        .and(tip_reads::user_id.eq(me))),
                ),
            scope,
            f,
            true
        );
        if let Some(b) = f.before {
            q = q.filter(tips::id.lt(b));
        }
        if f.shows_cases_once() {
            q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                cases::NEWEST_OF_CASE,
            ));
        }
        q.order(tips::id.desc())
            .limit(limit + 1)
            .select((
                tips::id,
                tips::reference,
                articles::title,
                tips::desk,
                tips::kind,
                tips::status,
                tips::created_at,
                users::name.nullable(),
                tip_reads::read_at.nullable(),
                tips::reader_replied_at.is_not_null(),
                substr(tips::message, 1, PREVIEW_CHARS),
                tips::language,
                tips::contact_kind.is_not_null(),
                tips::first_read_at,
                tips::attachment_count,
                diesel::dsl::sql::<diesel::sql_types::BigInt>("COALESCE(tips.case_id, tips.id)"),
                diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(0 AS BIGINT)"),
            ))
            .load(conn)
    })?;
    let keys: Vec<crate::domain::CaseId> =
        rows.iter().take(limit as usize).map(|r| r.case).collect();
    let similar = cases::others(conn, &keys)?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<QueueRow> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| QueueRow {
            preview: preview(&r.preview),
            similar: similar.get(&r.case).copied().unwrap_or(0),
            ..r
        })
        .collect();
    let next = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok((rows, next))
}

/// One tip as an export writes it (see [`export`]). `reader_name` and
/// `contact` are as stored (sealed, see `crate::privacy`), and loaded
/// only when asked for.
#[derive(Debug, Clone, Queryable)]
pub struct ExportRow {
    pub id: TipId,
    pub reference: String,
    pub article_id: String,
    pub article_title: String,
    pub desk: String,
    pub kind: TipKind,
    pub status: TipStatus,
    pub assignee: Option<String>,
    pub language: Option<String>,
    pub created_at: NaiveDateTime,
    pub first_read_at: Option<NaiveDateTime>,
    pub message: String,
    pub quote: Option<String>,
    pub reader_name: Option<String>,
    pub contact_kind: Option<String>,
    pub contact: Option<String>,
    /// The tip's case ([`cases`]): its own id when alone.
    pub case: crate::domain::CaseId,
}

/// A tip as an export page has it: its row, its labels, and its case's
/// reference (`None`: a tip alone).
pub type ExportTip = (ExportRow, Vec<String>, Option<String>);

/// Up to `limit` tips the filters select, newest first, older than
/// `f.before` (the keyset an export walks: each page is one indexed range
/// of `tips.id`, however far in), with their labels and, for a tip in a
/// case, the case's reference ([`case_references`]). Without
/// `with_contact` the sealed name and contact are not read.
pub fn export_page(
    conn: &mut Conn<'_>,
    scope: Option<&[String]>,
    f: &Filters,
    with_contact: bool,
    limit: i64,
) -> QueryResult<Vec<ExportTip>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Nullable, Text};
    let rows: Vec<ExportRow> = crate::db_run!(conn, |conn| {
        let mut q = filtered!(
            tips::table
                .inner_join(articles::table)
                .left_join(users::table),
            scope,
            f,
            true
        );
        if let Some(b) = f.before {
            q = q.filter(tips::id.lt(b));
        }
        // The sealed columns, or NULL in their place (least privilege:
        // what is not asked for is not read).
        let (name, contact) = if with_contact {
            ("tips.reader_name", "tips.contact")
        } else {
            ("NULL", "NULL")
        };
        q.order(tips::id.desc())
            .limit(limit)
            .select((
                tips::id,
                tips::reference,
                tips::article_id,
                articles::title,
                tips::desk,
                tips::kind,
                tips::status,
                users::name.nullable(),
                tips::language,
                tips::created_at,
                tips::first_read_at,
                tips::message,
                tips::quote,
                sql::<Nullable<Text>>(name),
                tips::contact_kind,
                sql::<Nullable<Text>>(contact),
                sql::<diesel::sql_types::BigInt>("COALESCE(tips.case_id, tips.id)"),
            ))
            .load(conn)
    })?;
    let ids: Vec<TipId> = rows.iter().map(|r| r.id).collect();
    let mut labels: std::collections::HashMap<TipId, Vec<String>> =
        std::collections::HashMap::new();
    if !ids.is_empty() {
        let found: Vec<(TipId, String)> = crate::db_run!(conn, |conn| tip_labels::table
            .filter(tip_labels::tip_id.eq_any(ids.clone()))
            .order((tip_labels::tip_id, tip_labels::label))
            .select((tip_labels::tip_id, tip_labels::label))
            .load(conn))?;
        for (id, label) in found {
            labels.entry(id).or_default().push(label);
        }
    }
    let keys: Vec<crate::domain::CaseId> = rows.iter().map(|r| r.case).collect();
    let references = case_references(conn, &keys)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let l = labels.remove(&r.id).unwrap_or_default();
            let case = references.get(&r.case).cloned();
            (r, l, case)
        })
        .collect())
}

/// For each case of more than one tip among `keys`, the reference of its
/// oldest tip: how a desk names a case (the case page lists it first, and
/// the merge form takes it). A tip alone has none. Two reads for the lot,
/// and one more per case whose first tip retention has removed.
pub fn case_references(
    conn: &mut Conn<'_>,
    keys: &[crate::domain::CaseId],
) -> QueryResult<std::collections::HashMap<crate::domain::CaseId, String>> {
    use crate::domain::CaseId;
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let cased: Vec<CaseId> = cases::others(conn, &keys)?.into_keys().collect();
    if cased.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let firsts: Vec<i64> = cased.iter().map(|k| k.0).collect();
    let found: Vec<(TipId, String)> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::id.eq_any(&firsts))
        .select((tips::id, tips::reference))
        .load(conn))?;
    let mut references: std::collections::HashMap<CaseId, String> = found
        .into_iter()
        .map(|(id, reference)| (CaseId(id.0), reference))
        .collect();
    for k in cased {
        if references.contains_key(&k) {
            continue;
        }
        if let Some(oldest) = cases::first_member_ids(conn, k, 1)?.first() {
            let reference: String = crate::db_run!(conn, |conn| tips::table
                .find(*oldest)
                .select(tips::reference)
                .first(conn))?;
            references.insert(k, reference);
        }
    }
    Ok(references)
}

/// How many tips match the filters (status aside), per status, each
/// counted up to [`COUNT_CAP`].
///
/// One indexed query per status, stopping at the cap: diesel cannot count
/// a LIMITed subquery, so the (few) ids are read and counted. Each filter
/// that selects many tips has an index that leads with it and then the
/// status, so each query reads at most 1,001 index entries: `overdue=1`
/// the partial `tips_unread_status`, `language=` `tips_language_status`.
/// Without them a million tips cost 18 ms (overdue: every unread tip's
/// status read and counted here) and 94 ms (language: SQLite walked
/// `tips_language_newest` through tips of other statuses) one request at
/// a time (BENCHMARKS.md 4d, 4e).
pub fn status_counts(
    conn: &mut Conn<'_>,
    scope: Option<&[String]>,
    f: &Filters,
) -> QueryResult<Vec<(TipStatus, Count)>> {
    TipStatus::ALL
        .iter()
        .map(|s| {
            // Every filter is on `tips` itself, so counting needs no join.
            let ids: Vec<i64> =
                crate::db_run!(conn, |conn| filtered!(tips::table, scope, f, false)
                    .filter(tips::status.eq(s))
                    .select(tips::id)
                    .limit(COUNT_CAP + 1)
                    .load(conn))?;
            Ok((*s, Count::capped(ids.len() as i64)))
        })
        .collect()
}

/// A tip with what its page shows. The contact is not loaded here: it is
/// read only by [`reveal_contact`], which audits the reading.
#[derive(Debug, Clone, Queryable)]
pub struct TipView {
    pub id: TipId,
    pub reference: String,
    pub desk: String,
    pub kind: TipKind,
    pub status: TipStatus,
    pub message: String,
    pub quote: Option<String>,
    pub reader_name: Option<String>,
    pub contact_kind: Option<String>,
    pub consent: bool,
    pub created_at: NaiveDateTime,
    pub assignee_id: Option<UserId>,
    pub article_id: String,
    pub article_title: String,
    pub article_url: String,
}

/// An entry of a tip's history.
#[derive(Debug, Clone, Queryable)]
pub struct Event {
    pub kind: String,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub created_at: NaiveDateTime,
    pub who: Option<String>,
}

pub fn get(conn: &mut Conn<'_>, id: TipId) -> QueryResult<Option<TipView>> {
    crate::db_run!(conn, |conn| tips::table
        .inner_join(articles::table)
        .filter(tips::id.eq(id))
        .select((
            tips::id,
            tips::reference,
            tips::desk,
            tips::kind,
            tips::status,
            tips::message,
            tips::quote,
            tips::reader_name,
            tips::contact_kind,
            tips::consent,
            tips::created_at,
            tips::assignee_id,
            articles::id,
            articles::title,
            articles::url,
        ))
        .first(conn)
        .optional())
}

/// Just the desk of a tip, for access checks before an action.
pub fn desk_of(conn: &mut Conn<'_>, id: TipId) -> QueryResult<Option<String>> {
    crate::db_run!(conn, |conn| tips::table
        .find(id)
        .select(tips::desk)
        .first(conn)
        .optional())
}

pub fn history(conn: &mut Conn<'_>, id: TipId) -> QueryResult<Vec<Event>> {
    crate::db_run!(conn, |conn| tip_events::table
        .left_join(users::table)
        .filter(tip_events::tip_id.eq(id))
        .order(tip_events::id)
        .select((
            tip_events::kind,
            tip_events::from_value,
            tip_events::to_value,
            tip_events::created_at,
            users::name.nullable(),
        ))
        .load(conn))
}

pub fn labels(conn: &mut Conn<'_>, id: TipId) -> QueryResult<Vec<String>> {
    crate::db_run!(conn, |conn| tip_labels::table
        .filter(tip_labels::tip_id.eq(id))
        .order(tip_labels::label)
        .select(tip_labels::label)
        .load(conn))
}

/// Notes that `user` has opened the tip (their unread marker) and, if
/// nobody had before, that the desk has (`tips.first_read_at`: time to
/// first look, overdue). Writes only on a first reading.
pub fn mark_read(conn: &mut Conn<'_>, user: UserId, tip: TipId) -> QueryResult<()> {
    let now = crate::db::now();
    conn.write(|conn| {
        let first_by_me = crate::db_run!(conn, |conn| diesel::insert_into(tip_reads::table)
            .values((
                tip_reads::user_id.eq(user),
                tip_reads::tip_id.eq(tip),
                tip_reads::read_at.eq(now)
            ))
            .on_conflict((tip_reads::user_id, tip_reads::tip_id))
            .do_nothing()
            .execute(conn))?;
        if first_by_me > 0 {
            crate::db_run!(conn, |conn| diesel::update(
                tips::table.find(tip).filter(tips::first_read_at.is_null())
            )
            .set(tips::first_read_at.eq(now))
            .execute(conn))?;
        }
        Ok(())
    })
}

fn event(
    conn: &mut Conn<'_>,
    tip: TipId,
    actor: &Actor,
    kind: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> QueryResult<()> {
    crate::db_run!(conn, |conn| diesel::insert_into(tip_events::table)
        .values((
            tip_events::tip_id.eq(tip),
            tip_events::user_id.eq(actor.id),
            tip_events::kind.eq(kind),
            tip_events::from_value.eq(from),
            tip_events::to_value.eq(to),
            tip_events::created_at.eq(crate::db::now()),
        ))
        .execute(conn))?;
    Ok(())
}

fn touch(conn: &mut Conn<'_>, tip: TipId) -> QueryResult<()> {
    crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip))
        .set(tips::updated_at.eq(crate::db::now()))
        .execute(conn))?;
    Ok(())
}

/// Reads the reader's (sealed) contact with the tip's reference, recording
/// that it was read.
pub fn reveal_contact(
    conn: &mut Conn<'_>,
    actor: &Actor,
    tip: TipId,
) -> QueryResult<Option<(String, String)>> {
    conn.write(|conn| {
        let (reference, contact): (String, Option<String>) =
            crate::db_run!(conn, |conn| tips::table
                .find(tip)
                .select((tips::reference, tips::contact))
                .first(conn))?;
        audit::record(
            conn,
            actor,
            "tip.contact_revealed",
            &format!("tip:{tip}"),
            "",
        )?;
        Ok(contact.map(|c| (reference, c)))
    })
}

/// Why a workflow change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("{0:?}")]
    Invalid(Msg),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Moves a tip to `to`, if the workflow allows it from where it is.
pub fn change_status(
    conn: &mut Conn<'_>,
    actor: &Actor,
    tip: TipId,
    to: TipStatus,
) -> Result<(), ChangeError> {
    conn.write(|conn| {
        let from: TipStatus = crate::db_run!(conn, |conn| tips::table
            .find(tip)
            .select(tips::status)
            .first(conn))?;
        if !from.next_steps().contains(&to) {
            // Names in the staff member's language, listed as their
            // language lists (the separator is part of each catalog's
            // sentence, so a comma list is a fair join in all of them).
            let l = crate::i18n::current();
            let allowed: Vec<String> = from.next_steps().iter().map(|s| l.msg(&s.name())).collect();
            return Err(ChangeError::Invalid(
                Msg::new("desk-status-not-allowed")
                    .localized("from", l.msg(&from.name()))
                    .localized("allowed", allowed.join(l.t("list-separator").as_str())),
            ));
        }
        crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip))
            .set((tips::status.eq(to), tips::updated_at.eq(crate::db::now())))
            .execute(conn))?;
        event(
            conn,
            tip,
            actor,
            "status",
            Some(from.as_str()),
            Some(to.as_str()),
        )?;
        audit::record(
            conn,
            actor,
            "tip.status",
            &format!("tip:{tip}"),
            &format!("{} -> {}", from.as_str(), to.as_str()),
        )?;
        Ok(())
    })
}

/// Assigns a tip (or, with `None`, unassigns it). The caller checks that
/// the assignee works for the tip's desk.
pub fn assign(
    conn: &mut Conn<'_>,
    actor: &Actor,
    tip: TipId,
    to: Option<(UserId, String)>,
) -> QueryResult<()> {
    conn.write(|conn| {
        crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip))
            .set(tips::assignee_id.eq(to.as_ref().map(|(id, _)| *id)))
            .execute(conn))?;
        touch(conn, tip)?;
        let name = to.as_ref().map(|(_, n)| n.as_str());
        event(conn, tip, actor, "assign", None, name)?;
        audit::record(
            conn,
            actor,
            "tip.assign",
            &format!("tip:{tip}"),
            &to.as_ref()
                .map_or("unassigned".to_owned(), |(id, _)| format!("user:{id}")),
        )
    })
}

/// Adds an internal note.
pub fn add_note(conn: &mut Conn<'_>, actor: &Actor, tip: TipId, body: &str) -> QueryResult<()> {
    conn.write(|conn| {
        event(conn, tip, actor, "note", None, Some(body))?;
        touch(conn, tip)?;
        audit::record(
            conn,
            actor,
            "tip.note",
            &format!("tip:{tip}"),
            &format!("{} characters", body.chars().count()),
        )
    })
}

/// Replaces a tip's labels.
pub fn set_labels(
    conn: &mut Conn<'_>,
    actor: &Actor,
    tip: TipId,
    labels: &[String],
) -> QueryResult<()> {
    conn.write(|conn| {
        let before: Vec<String> = crate::db_run!(conn, |conn| tip_labels::table
            .filter(tip_labels::tip_id.eq(tip))
            .order(tip_labels::label)
            .select(tip_labels::label)
            .load(conn))?;
        crate::db_run!(conn, |conn| diesel::delete(
            tip_labels::table.filter(tip_labels::tip_id.eq(tip))
        )
        .execute(conn))?;
        for label in labels {
            crate::db_run!(conn, |conn| diesel::insert_into(tip_labels::table)
                .values((tip_labels::tip_id.eq(tip), tip_labels::label.eq(label)))
                .execute(conn))?;
        }
        touch(conn, tip)?;
        let (from, to) = (before.join(", "), labels.join(", "));
        event(conn, tip, actor, "labels", Some(&from), Some(&to))?;
        audit::record(
            conn,
            actor,
            "tip.labels",
            &format!("tip:{tip}"),
            &format!("[{from}] -> [{to}]"),
        )
    })
}

/// A note is any text up to 10,000 characters, kept as written; one made
/// only of invisible characters is no note.
pub fn check_note(body: &str) -> Result<(), Msg> {
    if crate::domain::graphemes::is_blank(body) {
        return Err(Msg::new("desk-note-empty"));
    }
    crate::domain::check_text(body, "note", 10_000, true)
}

/// Labels as typed: comma-separated, trimmed, deduplicated, each 1–40
/// characters on one line.
pub fn parse_labels(raw: &str) -> Result<Vec<String>, Msg> {
    let mut out: Vec<String> = Vec::new();
    // A label of invisible characters is no label (see `domain::graphemes`).
    for label in raw
        .split(',')
        .map(str::trim)
        .filter(|l| !crate::domain::graphemes::is_blank(l))
    {
        if label.chars().count() > 40 || label.chars().any(char::is_control) {
            return Err(Msg::new("desk-label-invalid").text("label", label));
        }
        if !out.iter().any(|l| l == label) {
            out.push(label.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(Msg::new("desk-labels-too-many"));
    }
    Ok(out)
}
