//! A desk's figures (`GET /desk/stats`, and the gauges
//! `tipdesk_tips_unread{desk}`, `tipdesk_tips_overdue{desk}`): tips by
//! status, unread, overdue, time to first look, tips per day.
//!
//! Time to first look is from a tip's arrival to the first time anyone at
//! its desk opened it (`tips.first_read_at`), over the tips that arrived
//! in the last 7 or 30 days. An overdue tip (unopened past the desk's
//! time to first look) has waited at least its age: it counts with that
//! age, and a percentile that such a tip could move is shown as "at
//! least" (a lower bound; leaving overdue tips out would flatter a desk
//! that falls behind). An unopened tip that is not yet due is left out
//! until it is opened or overdue: it says nothing yet about the desk, and
//! counting every fresh tip as a lower bound would turn every figure of a
//! busy desk into "at least". Percentiles are by
//! nearest rank (the smallest value with at least p of the tips at or
//! below it; Hyndman & Fan 1996, definition 1), so each figure is one
//! tip's real wait.
//!
//! Overdue is decided by [`super::first_look::FirstLook`], the one place
//! that rule lives. Unread and overdue counts walk the partial index
//! `tips_unread`, which holds only unread tips.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::first_look::FirstLook;
use crate::db::schema::tips;
use crate::db::Conn;
use crate::domain::TipStatus;

/// Days the chart of tips per day covers, today included.
pub const CHART_DAYS: i64 = 30;

/// A percentile of time to first look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// No tip arrived in the window.
    NoTips,
    /// Exactly this long.
    Exactly(Duration),
    /// At least this long: a tip not yet opened could move it.
    AtLeast(Duration),
}

/// Nearest-rank percentile `p` (0 < p ≤ 1) of waits, each `(wait, opened)`;
/// see the module's comment.
pub fn percentile(waits: &[(Duration, bool)], p: f64) -> Wait {
    if waits.is_empty() {
        return Wait::NoTips;
    }
    let mut sorted: Vec<(Duration, bool)> = waits.to_vec();
    sorted.sort_by_key(|(d, _)| *d);
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    let (value, _) = sorted[rank - 1];
    // An unopened tip at or below this rank may really have waited longer
    // than `value` and so belong above it.
    if sorted[..rank].iter().any(|(_, opened)| !opened) {
        Wait::AtLeast(value)
    } else {
        Wait::Exactly(value)
    }
}

/// Median and 90th percentile of time to first look over a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstLookFigures {
    /// Tips that arrived in the window (the percentiles leave out those
    /// not yet opened and not yet due).
    pub tips: i64,
    pub median: Wait,
    pub p90: Wait,
}

impl FirstLookFigures {
    fn of(arrived: i64, waits: &[(Duration, bool)]) -> Self {
        Self {
            tips: arrived,
            median: percentile(waits, 0.5),
            p90: percentile(waits, 0.9),
        }
    }
}

/// One desk's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskStats {
    pub desk: String,
    /// Every status, in workflow order, with its count (0 included).
    pub by_status: Vec<(TipStatus, i64)>,
    pub total: i64,
    /// Nobody at the desk has opened them.
    pub unread: i64,
    /// Unread past the desk's time to first look.
    pub overdue: i64,
    pub last_7_days: FirstLookFigures,
    pub last_30_days: FirstLookFigures,
    /// Tips that arrived each day (UTC) of the last [`CHART_DAYS`], oldest
    /// first, days without tips included.
    pub per_day: Vec<(NaiveDate, i64)>,
}

/// Unread and overdue tips of each configured desk, for the gauges and
/// the page: counted in SQL over the partial index `tips_unread`, one
/// count of overdue tips per distinct time to first look.
pub fn unread_and_overdue(
    conn: &mut Conn<'_>,
    look: &FirstLook,
) -> QueryResult<BTreeMap<String, (i64, i64)>> {
    let unread: Vec<(String, i64)> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::first_read_at.is_null())
        .group_by(tips::desk)
        .select((tips::desk, diesel::dsl::count_star()))
        .load(conn))?;
    let mut out: BTreeMap<String, (i64, i64)> =
        look.desks().map(|d| (d.to_owned(), (0, 0))).collect();
    for (desk, n) in unread {
        if let Some((u, _)) = out.get_mut(&desk) {
            *u = n;
        }
    }
    for (desks, cutoff) in look.cutoffs(look.desks()) {
        let overdue: Vec<(String, i64)> = crate::db_run!(conn, |conn| tips::table
            .filter(tips::first_read_at.is_null())
            .filter(tips::desk.eq_any(&desks))
            .filter(tips::created_at.lt(cutoff))
            .group_by(tips::desk)
            .select((tips::desk, diesel::dsl::count_star()))
            .load(conn))?;
        for (desk, n) in overdue {
            if let Some((_, o)) = out.get_mut(&desk) {
                *o = n;
            }
        }
    }
    Ok(out)
}

/// The figures of each of `desks` (configured desks the person sees), in
/// the order given.
pub fn desks(
    conn: &mut Conn<'_>,
    desks: &[String],
    look: &FirstLook,
) -> QueryResult<Vec<DeskStats>> {
    let now = look.now();
    let counts: Vec<(String, TipStatus, i64)> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::desk.eq_any(desks))
        .group_by((tips::desk, tips::status))
        .select((tips::desk, tips::status, diesel::dsl::count_star()))
        .load(conn))?;
    let unread = unread_and_overdue(conn, look)?;
    let since = now - Duration::days(CHART_DAYS.max(30));
    let recent: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> =
        crate::db_run!(conn, |conn| tips::table
            .filter(tips::desk.eq_any(desks))
            .filter(tips::created_at.ge(since))
            .select((tips::desk, tips::created_at, tips::first_read_at))
            .load(conn))?;
    let today = now.date();
    Ok(desks
        .iter()
        .map(|desk| {
            let by_status: Vec<(TipStatus, i64)> = TipStatus::ALL
                .iter()
                .map(|s| {
                    let n = counts
                        .iter()
                        .find(|(d, t, _)| d == desk && t == s)
                        .map_or(0, |(_, _, n)| *n);
                    (*s, n)
                })
                .collect();
            let mine: Vec<&(String, NaiveDateTime, Option<NaiveDateTime>)> =
                recent.iter().filter(|(d, _, _)| d == desk).collect();
            let waits = |days: i64| -> Vec<(Duration, bool)> {
                let from = now - Duration::days(days);
                mine.iter()
                    .filter(|(_, at, _)| *at >= from)
                    .filter_map(|(_, at, read)| match read {
                        Some(r) => Some(((*r - *at).max(Duration::zero()), true)),
                        None if look.is_overdue(desk, *at, None) => {
                            Some(((now - *at).max(Duration::zero()), false))
                        }
                        None => None, // not due yet
                    })
                    .collect()
            };
            let arrived = |days: i64| {
                let from = now - Duration::days(days);
                mine.iter().filter(|(_, at, _)| *at >= from).count() as i64
            };
            let per_day = (0..CHART_DAYS)
                .rev()
                .map(|back| {
                    let day = today - Duration::days(back);
                    let n = mine.iter().filter(|(_, at, _)| at.date() == day).count();
                    (day, n as i64)
                })
                .collect();
            let (unread, overdue) = unread.get(desk).copied().unwrap_or((0, 0));
            DeskStats {
                desk: desk.clone(),
                total: by_status.iter().map(|(_, n)| n).sum(),
                by_status,
                unread,
                overdue,
                last_7_days: FirstLookFigures::of(arrived(7), &waits(7)),
                last_30_days: FirstLookFigures::of(arrived(30), &waits(30)),
                per_day,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: i64) -> Duration {
        Duration::hours(n)
    }

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let waits: Vec<(Duration, bool)> = [5, 1, 4, 2, 3].map(|n| (h(n), true)).to_vec();
        assert_eq!(percentile(&waits, 0.5), Wait::Exactly(h(3)));
        assert_eq!(percentile(&waits, 0.9), Wait::Exactly(h(5)));
        let four: Vec<(Duration, bool)> = [1, 2, 3, 4].map(|n| (h(n), true)).to_vec();
        assert_eq!(percentile(&four, 0.5), Wait::Exactly(h(2)));
        assert_eq!(percentile(&[], 0.5), Wait::NoTips);
    }

    #[test]
    fn an_unopened_tip_makes_a_lower_bound_only_where_it_could_matter() {
        // Opened after 1, 2 and 10 hours; one unopened for 3 hours so far.
        let waits = vec![(h(1), true), (h(2), true), (h(3), false), (h(10), true)];
        assert_eq!(percentile(&waits, 0.5), Wait::Exactly(h(2)));
        assert_eq!(percentile(&waits, 0.9), Wait::AtLeast(h(10)));
    }
}
