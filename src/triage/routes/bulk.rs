//! `POST /desk/tips/bulk`: the queue's checkboxes (`ids`, once per ticked
//! tip; `cases`, once per ticked row that stands for a case, naming the
//! tip it shows: the action applies to every tip of that case), `action` (`status`, `assign`, `labels` or `mark_read`, the name of
//! the button pressed) and that action's value in the field the tip page
//! uses for it (`status`, `assignee`, `labels`). Answers with a page that
//! says how many tips changed and lists each one that did not, with why.
//! A plain form: it works without JavaScript.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::{ProtectedBody, Staff};
use crate::db::DbError;
use crate::domain::{TipId, TipStatus, UserId};
use crate::i18n::{Locale, Msg};
use crate::state::AppState;
use crate::triage::bulk::{self, Access, Action, Outcome, MAX_TIPS};
use crate::web::form::FormError;
use crate::web::{html_no_store, Format, WebError};

/// A bulk request as sent, parsed.
#[derive(Debug)]
struct BulkRequest {
    ids: Vec<TipId>,
    /// Tips whose whole case is selected.
    cases: Vec<TipId>,
    action: Action,
    /// The queue to go back to (its address with filters); checked to be
    /// one of the queue's own.
    back: String,
}

/// Parses the body of the queue's bulk form. `ids` and `cases` may repeat
/// (one per checkbox); every other field must appear at most once.
fn parse(body: &[u8], me: UserId) -> Result<BulkRequest, WebError> {
    let bad = |msg: Msg| WebError::bad_request(Format::Html, msg);
    let mut ids = Vec::new();
    let mut cases = Vec::new();
    let mut fields = std::collections::BTreeMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        if name == "ids" || name == "cases" {
            let id = value
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad(Msg::new("bulk-bad-id").text("value", value.as_ref())))?;
            if name == "ids" { &mut ids } else { &mut cases }.push(TipId(id));
        } else if fields
            .insert(name.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(FormError::Duplicate(name.into_owned()).into_web());
        }
    }
    if ids.is_empty() && cases.is_empty() {
        return Err(bad(Msg::new("bulk-none-selected")));
    }
    // Each case is a tip at least; the tips of its cases are counted once
    // they are read ([`bulk::selection`]).
    if ids.len() + cases.len() > MAX_TIPS {
        return Err(too_many());
    }
    let field = |name: &str| fields.get(name).map(|v| v.trim()).unwrap_or("");
    let action = match field("action") {
        "status" => Action::Status(TipStatus::parse(field("status")).map_err(bad)?),
        "assign" => Action::Assign(match field("assignee") {
            "" => None,
            "me" => Some(me),
            raw => Some(UserId(
                raw.parse()
                    .map_err(|_| bad(Msg::new("desk-assign-editors-only")))?,
            )),
        }),
        "labels" => {
            let labels = crate::triage::parse_labels(field("labels")).map_err(bad)?;
            if labels.is_empty() {
                return Err(bad(Msg::new("bulk-no-labels")));
            }
            Action::Labels(labels)
        }
        "mark_read" => Action::MarkRead,
        _ => return Err(bad(Msg::new("bulk-bad-action"))),
    };
    let back = Some(field("back"))
        .filter(|b| *b == "/desk/tips" || b.starts_with("/desk/tips?"))
        .unwrap_or("/desk/tips")
        .to_owned();
    Ok(BulkRequest {
        ids,
        cases,
        action,
        back,
    })
}

/// More than [`MAX_TIPS`] tips named: the request is refused whole.
fn too_many() -> WebError {
    WebError::bad_request(
        Format::Html,
        Msg::new("bulk-too-many").number("max", MAX_TIPS),
    )
}

#[derive(Template)]
#[template(path = "desk/bulk.html")]
struct BulkPage<'a> {
    l: Locale,
    staff: &'a Staff,
    changed: usize,
    refused: Vec<Outcome>,
    back: String,
}

impl BulkPage<'_> {
    fn summary(&self) -> String {
        self.l
            .msg(&Msg::new("bulk-done").number("count", self.changed))
    }

    fn reason(&self, o: &Outcome) -> String {
        o.refused
            .as_ref()
            .map(|m| self.l.msg(m))
            .unwrap_or_default()
    }
}

/// `POST /desk/tips/bulk`
pub async fn bulk(state: web::Data<AppState>, p: ProtectedBody) -> Result<HttpResponse, WebError> {
    let ProtectedBody { staff, body } = p;
    let request = parse(&body, staff.id)?;
    let actor = staff.actor();
    let me = staff.id;
    let rights = staff.clone();
    let BulkRequest {
        ids,
        cases,
        action,
        back,
    } = request;
    let outcomes = state
        .pool
        .run(move |conn| {
            let access = |desk: &str| access(&rights, desk);
            let tips = bulk::selection(conn, &access, &ids, &cases)?;
            if tips.len() > MAX_TIPS {
                return Ok::<_, DbError>(None);
            }
            Ok(Some(bulk::apply(
                conn, &actor, me, &access, &tips, &action,
            )?))
        })
        .await?
        .ok_or_else(too_many)?;
    Ok(report(&staff, outcomes, back))
}

/// What `staff` may do with `desk`'s tips.
pub(super) fn access(staff: &Staff, desk: &str) -> Access {
    if !staff.sees_desk(desk) {
        Access::Hidden
    } else if staff.triages_desk(desk) {
        Access::Change
    } else {
        Access::ReadOnly
    }
}

/// The page that says how many tips an action on many changed and lists
/// each it did not, with why, linking `back` (422 when none changed).
/// Shared by the queue's bulk form and a case's status form.
pub(super) fn report(staff: &Staff, outcomes: Vec<Outcome>, back: String) -> HttpResponse {
    let changed = outcomes.iter().filter(|o| o.refused.is_none()).count();
    let refused: Vec<Outcome> = outcomes
        .into_iter()
        .filter(|o| o.refused.is_some())
        .collect();
    let status = if changed == 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    html_no_store(
        status,
        &BulkPage {
            l: staff.locale,
            staff,
            changed,
            refused,
            back,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: &str) -> Result<BulkRequest, String> {
        parse(body.as_bytes(), UserId(7)).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn ids_repeat_and_the_pressed_button_names_the_action() {
        let r = parsed("ids=3&ids=5&action=status&status=in_review&back=%2Fdesk%2Ftips%3Fdesk%3Dx")
            .unwrap();
        assert_eq!(r.ids, vec![TipId(3), TipId(5)]);
        assert!(r.cases.is_empty());
        assert_eq!(r.action, Action::Status(TipStatus::InReview));
        assert_eq!(r.back, "/desk/tips?desk=x");
        let r = parsed("ids=3&action=assign&assignee=me").unwrap();
        assert_eq!(r.action, Action::Assign(Some(UserId(7))));
        let r = parsed("ids=3&action=assign&assignee=").unwrap();
        assert_eq!(r.action, Action::Assign(None));
        let r =
            parsed("ids=3&action=labels&labels=flood%2C+bridge&back=https%3A%2F%2Fevil.example")
                .unwrap();
        assert_eq!(
            r.action,
            Action::Labels(vec!["flood".into(), "bridge".into()])
        );
        assert_eq!(r.back, "/desk/tips", "only the queue's own addresses");
        // A case row's box: `cases`, beside `ids`.
        let r = parsed("cases=8&ids=3&cases=9&action=mark_read").unwrap();
        assert_eq!((r.ids, r.cases), (vec![TipId(3)], vec![TipId(8), TipId(9)]));
    }

    #[test]
    fn a_request_that_cannot_be_carried_out_is_refused_whole() {
        for body in [
            "action=mark_read",
            "ids=x&action=mark_read",
            "cases=x&action=mark_read",
            "ids=0&action=mark_read",
            "ids=3&action=delete",
            "ids=3&action=status&status=gone",
            "ids=3&action=labels&labels=",
            "ids=3&action=mark_read&action=status",
        ] {
            assert!(parsed(body).is_err(), "{body}");
        }
        let many: Vec<String> = (1..=501).map(|i| format!("ids={i}")).collect();
        assert!(parsed(&format!("{}&action=mark_read", many.join("&"))).is_err());
        let cases: Vec<String> = (1..=250).map(|i| format!("cases={i}")).collect();
        let both = format!(
            "{}&{}&action=mark_read",
            cases.join("&"),
            many[..251].join("&")
        );
        assert!(parsed(&both).is_err(), "a case is one tip at least");
        let most: Vec<String> = (1..=500).map(|i| format!("ids={i}")).collect();
        assert!(parsed(&format!("{}&action=mark_read", most.join("&"))).is_ok());
    }
}
