//! Acting on many tips at once (`POST /desk/tips/bulk`): one status, one
//! assignee, labels added, or "mark read", applied to each selected tip as
//! if done one by one — the same checks, its own transaction, its own
//! history and audit entries — and a report of every tip that could not
//! be changed and why, so nothing is skipped silently.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::ChangeError;
use crate::audit::Actor;
use crate::db::schema::tips;
use crate::db::Conn;
use crate::domain::{TipId, TipStatus, UserId};
use crate::i18n::Msg;

/// The most tips one action may name: a page of the queue is 50, and
/// "select all" over a few pages stays well within this, while one request
/// stays short enough not to hold the database for long.
pub const MAX_TIPS: usize = 500;

/// The tips an action names: `ids` as given, then every tip of the case
/// of each of `cases` (a tip's id names its case, as on
/// `/desk/cases/{id}`), oldest first; each tip once. A tip of a desk the
/// person does not see (`access`) stands for itself: its case is not read,
/// and [`apply`] reports it not found. [`MAX_TIPS`] applies to the
/// result, so reading stops once it has one tip more than that.
///
/// # Errors
/// A database error.
pub fn selection(
    conn: &mut Conn<'_>,
    access: &dyn Fn(&str) -> Access,
    ids: &[TipId],
    cases: &[TipId],
) -> QueryResult<Vec<TipId>> {
    let mut all: Vec<TipId> = Vec::with_capacity(ids.len() + cases.len());
    let add = |all: &mut Vec<TipId>, id: TipId| {
        if !all.contains(&id) {
            all.push(id);
        }
    };
    for id in ids {
        add(&mut all, *id);
    }
    let enough = MAX_TIPS as i64 + 1;
    for tip in cases {
        if all.len() > MAX_TIPS {
            break;
        }
        match super::cases::case_of(conn, *tip)? {
            Some((case, desk)) if access(&desk) != Access::Hidden => {
                for member in super::cases::first_member_ids(conn, case, enough)? {
                    add(&mut all, member);
                }
            }
            _ => add(&mut all, *tip),
        }
    }
    Ok(all)
}

/// What to do with each selected tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Move to this status (where the workflow allows it from each tip's).
    Status(TipStatus),
    /// Assign to this member of each tip's desk, or to nobody.
    Assign(Option<UserId>),
    /// Add these labels to each tip's own (at most 20 in all).
    Labels(Vec<String>),
    /// Mark as opened by the acting person (and by the desk, if first).
    MarkRead,
}

/// What a person may do with a desk's tips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Not their desk: the tip is reported as not found.
    Hidden,
    /// They may read but not change it.
    ReadOnly,
    Change,
}

/// What became of one selected tip.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: TipId,
    /// The tip's reference, when the person may see the tip.
    pub reference: Option<String>,
    /// `None`: changed; otherwise why not.
    pub refused: Option<Msg>,
}

/// Applies `action` to each of `ids` (duplicates once each, in the order
/// given) as `actor`, whose rights on a desk `access` tells. Returns one
/// outcome per tip.
///
/// # Errors
/// A database error ends the run; tips changed before it stay changed
/// (each was its own transaction, as if done one by one).
pub fn apply(
    conn: &mut Conn<'_>,
    actor: &Actor,
    user: UserId,
    access: &dyn Fn(&str) -> Access,
    ids: &[TipId],
    action: &Action,
) -> QueryResult<Vec<Outcome>> {
    let mut unique: Vec<TipId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let found: BTreeMap<TipId, (String, String)> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::id.eq_any(&unique))
        .select((tips::id, tips::desk, tips::reference))
        .load::<(TipId, String, String)>(conn))?
    .into_iter()
    .map(|(id, desk, reference)| (id, (desk, reference)))
    .collect();
    let mut assignable: BTreeMap<String, Vec<(UserId, String)>> = BTreeMap::new();
    let mut outcomes = Vec::with_capacity(unique.len());
    for id in unique {
        let (desk, reference) = match found.get(&id) {
            Some((desk, reference)) if access(desk) != Access::Hidden => (desk, reference),
            _ => {
                outcomes.push(Outcome {
                    id,
                    reference: None,
                    refused: Some(Msg::new("bulk-not-found")),
                });
                continue;
            }
        };
        let refused = if access(desk) == Access::ReadOnly {
            Some(Msg::new("desk-read-only"))
        } else {
            if !assignable.contains_key(desk) {
                let members = crate::auth::users::assignable(conn, desk)?;
                assignable.insert(desk.clone(), members);
            }
            let members = assignable.get(desk).map_or(&[][..], Vec::as_slice);
            one(conn, actor, user, id, action, members)?
        };
        outcomes.push(Outcome {
            id,
            reference: Some(reference.clone()),
            refused,
        });
    }
    Ok(outcomes)
}

/// Applies `action` to one tip the person may change; `Some(reason)` when
/// the change itself is refused.
fn one(
    conn: &mut Conn<'_>,
    actor: &Actor,
    user: UserId,
    id: TipId,
    action: &Action,
    members: &[(UserId, String)],
) -> QueryResult<Option<Msg>> {
    let result = match action {
        Action::Status(to) => super::change_status(conn, actor, id, *to),
        Action::Assign(None) => super::assign(conn, actor, id, None).map_err(ChangeError::from),
        Action::Assign(Some(who)) => match members.iter().find(|(m, _)| m == who) {
            Some(member) => {
                super::assign(conn, actor, id, Some(member.clone())).map_err(ChangeError::from)
            }
            None => Err(ChangeError::Invalid(Msg::new("desk-assign-editors-only"))),
        },
        Action::Labels(add) => {
            let mut labels = super::labels(conn, id)?;
            let before = labels.len();
            labels.extend(
                add.iter()
                    .filter(|l| !labels.contains(l))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            if labels.len() == before {
                Ok(()) // already there: nothing to record
            } else if labels.len() > 20 {
                Err(ChangeError::Invalid(Msg::new("desk-labels-too-many")))
            } else {
                labels.sort();
                super::set_labels(conn, actor, id, &labels).map_err(ChangeError::from)
            }
        }
        Action::MarkRead => super::mark_read(conn, user, id).map_err(ChangeError::from),
    };
    match result {
        Ok(()) => Ok(None),
        Err(ChangeError::Invalid(msg)) => Ok(Some(msg)),
        Err(ChangeError::Db(e)) => Err(e),
    }
}
