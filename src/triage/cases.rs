//! Duplicates as one case: tips of one article that say nearly the same
//! thing, grouped when they arrive (`submission::case`), shown once in the
//! queue, side by side on the case's page, and acted on together.
//!
//! **How a case is kept.** `tips.case_id` names a tip's case by the id of
//! its first tip (the smallest id in it); a tip alone holds NULL, and the
//! first tip of a case holds NULL or its own id. So a tip's case is
//! `COALESCE(case_id, id)`, and the members of case `K` are the tips with
//! `case_id = K` and tip `K` itself while its `case_id` is NULL. Joining
//! a case writes the new tip's own row only; the desk's split and merge
//! ([`leave`], [`merge`]) rewrite the `case_id` of the tips they move, in
//! one transaction with their history and audit entries. The first tip is
//! always the oldest (new tips are newer; a merge keeps the smaller name;
//! a split names the rest after its oldest), which is what lets the queue
//! show a case at its newest tip (below). If retention removes a case's
//! first tip, the rest keep its name and stay one case.
//!
//! **How the queue shows a case once** ([`NEWEST_OF_CASE`]): a tip is
//! listed unless a newer tip of its case exists, one probe of the partial
//! index `tips_case (case_id, id)` per tip the page walks (tips alone,
//! most of them, find nothing at once). The listed tip is the case's
//! newest, so the queue's newest-first order and its keyset pages (by id)
//! place the case at its newest time; "+N similar" counts the others
//! ([`others`], one grouped read per page). This applies when the queue
//! is filtered by desk or article at most, which every tip of a case
//! shares. With any filter on a tip's own fields (status, kind, assignee,
//! dates, language, overdue, text), every matching tip is listed, each
//! with its case's "+N similar": a filter never hides a tip it matches
//! behind one it does not. The status counts count tips, as before.
//!
//! **Open** means [`crate::domain::TipStatus::is_open`]: new tips join
//! only an open tip's case. A status set on a case ([`crate::triage::bulk`]
//! over its members) is set, checked and audited on each tip as if done
//! one by one.
//!
//! Concurrency: a tip may join a case while the desk merges it away
//! (PostgreSQL, whose several writers run beside the desk); it then forms
//! a case of its own under the old name, shown alone. Nothing is lost, and
//! the desk can merge it.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{event, ChangeError};
use crate::audit::{self, Actor};
use crate::db::schema::{articles, tips};
use crate::db::Conn;
use crate::domain::{CaseId, TipId, TipKind, TipStatus};
use crate::i18n::Msg;

/// The queue's condition that shows a case once, at its newest tip:
/// plain SQL, the same on both engines, correlated with the outer `tips`.
pub(crate) const NEWEST_OF_CASE: &str = "NOT EXISTS (SELECT 1 FROM tips AS newer \
     WHERE newer.case_id = COALESCE(tips.case_id, tips.id) AND newer.id > tips.id)";

/// A case page shows this many tips at most (the oldest first); a case
/// larger than that says how many more it has.
pub const PAGE_TIPS: i64 = 200;

/// The members of case `k`: `case_id = k`, and tip `k` while it holds NULL.
macro_rules! members_of {
    ($k:expr) => {{
        let k: CaseId = $k;
        tips::case_id
            .eq(k)
            .or(tips::id.eq(k.0).and(tips::case_id.is_null()))
    }};
}

/// A tip's case and desk; `None`: no such tip.
pub fn case_of(conn: &mut Conn<'_>, tip: TipId) -> QueryResult<Option<(CaseId, String)>> {
    let found: Option<(Option<CaseId>, String)> = crate::db_run!(conn, |conn| tips::table
        .find(tip)
        .select((tips::case_id, tips::desk))
        .first(conn)
        .optional())?;
    Ok(found.map(|(case, desk)| (case.unwrap_or(CaseId(tip.0)), desk)))
}

/// The ids of the tips in case `k`, oldest first.
pub fn member_ids(conn: &mut Conn<'_>, k: CaseId) -> QueryResult<Vec<TipId>> {
    crate::db_run!(conn, |conn| tips::table
        .filter(members_of!(k))
        .order(tips::id)
        .select(tips::id)
        .load(conn))
}

/// The ids of the oldest `limit` tips in case `k`, oldest first (an
/// action on many reads no more than it may act on).
pub fn first_member_ids(conn: &mut Conn<'_>, k: CaseId, limit: i64) -> QueryResult<Vec<TipId>> {
    crate::db_run!(conn, |conn| tips::table
        .filter(members_of!(k))
        .order(tips::id)
        .limit(limit)
        .select(tips::id)
        .load(conn))
}

/// One tip as the case page shows it, beside the others.
#[derive(Debug, Clone, Queryable)]
pub struct CaseTip {
    pub id: TipId,
    pub reference: String,
    pub kind: TipKind,
    pub status: TipStatus,
    pub created_at: NaiveDateTime,
    pub message: String,
    pub language: Option<String>,
    pub article_id: String,
    pub article_title: String,
}

impl CaseTip {
    pub fn language(&self) -> Option<crate::domain::Language> {
        self.language
            .clone()
            .map(crate::domain::Language::from_stored)
    }
}

/// The first [`PAGE_TIPS`] tips of case `k`, oldest first, and how many
/// it has in all.
pub fn tips_of(conn: &mut Conn<'_>, k: CaseId) -> QueryResult<(Vec<CaseTip>, usize)> {
    let total: i64 = crate::db_run!(conn, |conn| tips::table
        .filter(members_of!(k))
        .count()
        .get_result(conn))?;
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    let shown = crate::db_run!(conn, |conn| tips::table
        .inner_join(articles::table)
        .filter(members_of!(k))
        .order(tips::id)
        .limit(PAGE_TIPS)
        .select((
            tips::id,
            tips::reference,
            tips::kind,
            tips::status,
            tips::created_at,
            tips::message,
            tips::language,
            tips::article_id,
            articles::title,
        ))
        .load(conn))?;
    Ok((shown, total))
}

/// For each case `keys` names, how many tips it has besides one (the
/// queue's "+N similar"); cases of one tip are left out.
pub fn others(conn: &mut Conn<'_>, keys: &[CaseId]) -> QueryResult<HashMap<CaseId, i64>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let counted: Vec<(Option<CaseId>, i64)> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::case_id.eq_any(keys.to_vec()))
        .group_by(tips::case_id)
        .select((tips::case_id, diesel::dsl::count_star()))
        .load(conn))?;
    let counted: Vec<(CaseId, i64)> = counted
        .into_iter()
        .filter_map(|(k, n)| k.map(|k| (k, n)))
        .collect();
    if counted.is_empty() {
        return Ok(HashMap::new());
    }
    // The first tips that hold NULL count too.
    let firsts: Vec<i64> = counted.iter().map(|(k, _)| k.0).collect();
    let with_null: Vec<i64> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::id.eq_any(&firsts))
        .filter(tips::case_id.is_null())
        .select(tips::id)
        .load(conn))?;
    Ok(counted
        .into_iter()
        .map(|(k, n)| (k, n + i64::from(with_null.contains(&k.0)) - 1))
        .filter(|(_, n)| *n > 0)
        .collect())
}

/// Takes `tip` out of its case: it is alone again, and the case goes on
/// without it (named after its oldest remaining tip if `tip` was the
/// first). Recorded in the tip's history and the audit trail. Returns
/// the oldest tip of the rest.
///
/// # Errors
/// [`ChangeError::Invalid`] when the tip is in no case.
pub fn leave(conn: &mut Conn<'_>, actor: &Actor, tip: TipId) -> Result<TipId, ChangeError> {
    conn.write(|conn| {
        let Some((k, _)) = case_of(conn, tip)? else {
            return Err(ChangeError::Db(diesel::result::Error::NotFound));
        };
        let members = member_ids(conn, k)?;
        let rest: Vec<TipId> = members.into_iter().filter(|m| *m != tip).collect();
        let Some(&oldest) = rest.first() else {
            return Err(ChangeError::Invalid(Msg::new("case-not-in-one")));
        };
        crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip))
            .set(tips::case_id.eq(None::<CaseId>))
            .execute(conn))?;
        // One tip left is a tip alone; otherwise name the rest after their
        // oldest (unchanged unless `tip` was the first).
        let rest_name = (rest.len() > 1).then_some(CaseId(oldest.0));
        if rest_name != Some(k) {
            crate::db_run!(conn, |conn| diesel::update(
                tips::table.filter(tips::id.eq_any(&rest))
            )
            .set(tips::case_id.eq(rest_name))
            .execute(conn))?;
        }
        event(conn, tip, actor, "case_left", Some(&k.to_string()), None)?;
        audit::record(
            conn,
            actor,
            "tip.case_leave",
            &format!("tip:{tip}"),
            &format!("case:{k}"),
        )?;
        Ok(oldest)
    })
}

/// Merges the cases `a` and `b` into one, named by the smaller (the older
/// first tip), and returns its name. Each tip that moves gets a history
/// entry; the merge is one audit entry naming both cases and how many
/// tips moved. The caller checks that both are the same desk's.
///
/// # Errors
/// [`ChangeError::Invalid`] when `a` and `b` are the same case.
pub fn merge(
    conn: &mut Conn<'_>,
    actor: &Actor,
    a: CaseId,
    b: CaseId,
) -> Result<CaseId, ChangeError> {
    if a == b {
        return Err(ChangeError::Invalid(Msg::new("case-merge-same")));
    }
    let (kept, gone) = (a.min(b), a.max(b));
    conn.write(|conn| {
        let moving = member_ids(conn, gone)?;
        crate::db_run!(conn, |conn| diesel::update(
            tips::table.filter(tips::id.eq_any(&moving))
        )
        .set(tips::case_id.eq(kept))
        .execute(conn))?;
        for tip in &moving {
            event(
                conn,
                *tip,
                actor,
                "case_merged",
                Some(&gone.to_string()),
                Some(&kept.to_string()),
            )?;
        }
        audit::record(
            conn,
            actor,
            "case.merge",
            &format!("case:{kept}"),
            &format!("case:{gone} ({} tips)", moving.len()),
        )?;
        Ok(kept)
    })
}
