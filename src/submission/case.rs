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
//!
//! The read is made once per article in a group of tips stored together
//! (`submission::writer`), as [`Recent`], and each tip stored after it is
//! added to it, so the next tip of the group compares with what the read
//! would have returned after it. (Issue 19: the read was 44 µs of the
//! PostgreSQL server's execution and a round trip per tip.) Tips that
//! other transactions commit meanwhile are not seen by the later tips of
//! the group, as uncommitted ones never were. In PostgreSQL's one
//! statement for a group (`submission::pg`) a tip that starts a case has
//! no id yet when the next tip joins it: [`CaseName::GroupTip`] names it
//! by its place, and the statement gives the joining tip its id.

use diesel::prelude::*;

use crate::config::TriageSettings;
use crate::db::schema::tips;
use crate::db::Conn;
use crate::domain::{CaseId, TipStatus};
use crate::triage::similarity::Sketch;

/// How a case is named where a new tip joins it: by a stored tip's id
/// (its `case_id`, or its own id when it started alone), or, on
/// PostgreSQL's one statement for a group (`submission::pg`), by the
/// place in that group of a tip that started alone there, whose id the
/// statement itself draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseName {
    Stored(CaseId),
    /// The tip at this place (0-based) of the group being stored.
    GroupTip(usize),
}

/// One of an article's recent tips, as a new tip compares with it.
#[derive(Debug, Clone)]
struct Candidate {
    case: CaseName,
    desk: String,
    status: TipStatus,
    /// `None`: stored before cases existed, or unreadable.
    sketch: Option<Sketch>,
}

/// An article's [`TriageSettings::case_candidates`] most recent tips,
/// newest first, read once ([`Recent::read`]) and kept up to date with
/// the tips stored after that in the same transaction ([`Recent::add`]).
#[derive(Debug, Clone, Default)]
pub struct Recent(Vec<Candidate>);

impl Recent {
    /// Reads `article`'s most recent tips (nothing when
    /// `settings.case_candidates` is 0). Reads inside the caller's write
    /// transaction. (PostgreSQL's group statement reads them with the
    /// article instead: [`Recent::from_rows`].)
    ///
    /// # Errors
    /// The database's.
    pub fn read(
        conn: &mut Conn<'_>,
        settings: &TriageSettings,
        article: &str,
    ) -> QueryResult<Self> {
        if settings.case_candidates == 0 {
            return Ok(Self::default());
        }
        type Row = (i64, Option<CaseId>, String, TipStatus, Option<Vec<u8>>);
        let recent: Vec<Row> = crate::db_run!(conn, |conn| tips::table
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
        Ok(Self::from_rows(recent))
    }

    /// The candidates from rows of `(id, case_id, desk, status,
    /// case_sketch)`, newest first, as [`Recent::read`] selects them.
    pub fn from_rows(
        rows: impl IntoIterator<Item = (i64, Option<CaseId>, String, TipStatus, Option<Vec<u8>>)>,
    ) -> Self {
        Self(
            rows.into_iter()
                .map(|(id, case_id, desk, status, sketch)| Candidate {
                    case: CaseName::Stored(case_id.unwrap_or(CaseId(id))),
                    desk,
                    status,
                    sketch: sketch.as_deref().and_then(Sketch::from_bytes),
                })
                .collect(),
        )
    }

    /// The case a new tip (routed to `desk`, text sketch `sketch`) joins;
    /// `None`: it starts alone.
    pub fn case_for(
        &self,
        settings: &TriageSettings,
        desk: &str,
        sketch: &Sketch,
    ) -> Option<CaseName> {
        let mut best: Option<(f64, CaseName)> = None;
        for candidate in &self.0 {
            if candidate.desk != desk || !candidate.status.is_open() {
                continue;
            }
            let Some(theirs) = &candidate.sketch else {
                continue;
            };
            let similarity = sketch.similarity(theirs);
            if similarity >= settings.case_similarity && best.is_none_or(|(b, _)| similarity > b) {
                best = Some((similarity, candidate.case));
            }
        }
        best.map(|(_, case)| case)
    }

    /// Notes a new tip of the article, stored (status new) for `desk` in
    /// `case` (for one that started alone: its own id, or its place in
    /// the group) with text sketch `sketch`: the newest candidate now,
    /// the oldest one beyond the bound dropped.
    pub fn add(&mut self, settings: &TriageSettings, case: CaseName, desk: &str, sketch: Sketch) {
        let bound = settings.case_candidates as usize;
        if bound == 0 {
            return;
        }
        self.0.insert(
            0,
            Candidate {
                case,
                desk: desk.to_owned(),
                status: TipStatus::New,
                sketch: Some(sketch),
            },
        );
        self.0.truncate(bound);
    }
}
