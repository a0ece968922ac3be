//! Duplicates as one case, at submission: a new tip whose text is nearly
//! the same as an open tip of the same article joins that tip's case
//! (`triage::cases` keeps and shows cases).
//!
//! Bounded work per tip, whatever the article's size: the sketch of the
//! new text (`triage::similarity`, computed before the write), then one
//! indexed read of the article's [`TriageSettings::case_candidates`] most
//! recent tips (`tips_article_newest`) with their 256-byte sketches, and
//! as many comparisons of a few hundred nanoseconds. Nothing else is
//! written than the new tip's own `case_id`: joining a case changes no
//! other row, so concurrent writers (PostgreSQL has several) never wait
//! for one another's locks here, and two tips joining the same case at
//! once both join it.
//!
//! Of those recent tips, the ones compared are open
//! ([`TipStatus::is_open`]), of the same desk (a case never spans desks,
//! whose people see different tips), and with a sketch (tips stored before
//! cases existed have none). Candidates are counted before these are left
//! out, so the bound holds on an article of closed tips too. The most
//! similar one at or above [`TriageSettings::case_similarity`] wins (the
//! newest of equals). A resubmission answered with the stored tip
//! (`submission::store`) never gets here: it is the same tip, not a
//! second reader.

use diesel::prelude::*;

use crate::config::TriageSettings;
use crate::db::schema::tips;
use crate::db::Conn;
use crate::domain::{CaseId, TipStatus};
use crate::triage::similarity::Sketch;

/// The case a new tip on `article` (routed to `desk`) with text sketch
/// `sketch` joins, named as `tips.case_id` names it; `None`: it starts
/// alone. Reads inside the caller's write transaction.
///
/// # Errors
/// The database's.
pub fn case_for(
    conn: &mut Conn<'_>,
    settings: &TriageSettings,
    article: &str,
    desk: &str,
    sketch: &Sketch,
) -> QueryResult<Option<CaseId>> {
    if settings.case_candidates == 0 {
        return Ok(None);
    }
    type Candidate = (i64, Option<CaseId>, String, TipStatus, Option<Vec<u8>>);
    let recent: Vec<Candidate> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::article_id.eq(article))
        .order(tips::id.desc())
        .limit(i64::from(settings.case_candidates))
        .select((
            tips::id,
            tips::case_id,
            tips::desk,
            tips::status,
            tips::case_sketch
        ))
        .load(conn))?;
    let mut best: Option<(f64, CaseId)> = None;
    for (id, case_id, their_desk, status, stored) in recent {
        if their_desk != desk || !status.is_open() {
            continue;
        }
        let Some(theirs) = stored.as_deref().and_then(Sketch::from_bytes) else {
            continue;
        };
        let similarity = sketch.similarity(&theirs);
        if similarity >= settings.case_similarity && best.is_none_or(|(b, _)| similarity > b) {
            best = Some((similarity, case_id.unwrap_or(CaseId(id))));
        }
    }
    Ok(best.map(|(_, case)| case))
}
