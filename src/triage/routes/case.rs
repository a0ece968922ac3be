//! A case of near-identical tips ([`crate::triage::cases`]): its page,
//! `GET /desk/cases/{id}`, where `{id}` is any of its tips (a case's name
//! changes when it is split or merged; its tips' ids do not); a status for
//! each of its tips, `POST /desk/cases/{id}/status` (`status`, checked and
//! audited per tip by the bulk action's code); merging the case of another
//! tip into it, `POST /desk/cases/{id}/merge` (`other`: that tip's
//! reference, as the queue shows it); and taking a tip out of its case,
//! `POST /desk/tips/{id}/case/leave`. As for a tip: 404 for a desk the
//! person does not see, 403 for a viewer, every form CSRF-checked.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::bulk::{access, report};
use super::not_found;
use super::tip::{may_change, tip_page, NoFields};
use crate::auth::{Protected, Staff};
use crate::db::schema::tips;
use crate::db::DbError;
use crate::domain::{TipId, TipKind, TipStatus};
use crate::i18n::{Locale, Msg};
use crate::state::AppState;
use crate::triage::bulk::{self, Action};
use crate::triage::cases::{self, CaseTip};
use crate::triage::ChangeError;
use crate::web::{html_no_store, WebError};

#[derive(Template)]
#[template(path = "desk/case.html")]
struct CasePage<'a> {
    l: Locale,
    staff: &'a Staff,
    /// The tip the page was asked for (its forms post to it).
    id: TipId,
    tips: Vec<CaseTip>,
    /// Tips in the case, shown or not.
    total: usize,
    can_triage: bool,
    notice: Option<String>,
}

impl CasePage<'_> {
    fn heading(&self) -> String {
        self.l
            .msg(&Msg::new("case-heading").number("count", self.total))
    }

    fn more(&self) -> Option<String> {
        let more = self.total.saturating_sub(self.tips.len());
        (more > 0).then(|| self.l.msg(&Msg::new("case-more").number("count", more)))
    }

    fn status_name(&self, status: &TipStatus) -> String {
        self.l.msg(&status.name())
    }

    fn kind_name(&self, kind: &TipKind) -> String {
        self.l.msg(&kind.name())
    }

    fn statuses(&self) -> &'static [TipStatus] {
        &TipStatus::ALL
    }
}

/// Renders the case of tip `id` for `staff`: 404 when there is no such
/// tip or it is not on their desks.
async fn case_page(
    state: &AppState,
    staff: &Staff,
    id: TipId,
    status: StatusCode,
    notice: Option<Msg>,
) -> Result<HttpResponse, WebError> {
    let loaded = state
        .pool
        .query(move |conn| {
            let Some((case, desk)) = cases::case_of(conn, id)? else {
                return Ok(None);
            };
            let (tips, total) = cases::tips_of(conn, case)?;
            Ok(Some((desk, tips, total)))
        })
        .await?;
    let Some((desk, tips, total)) = loaded.filter(|(desk, ..)| staff.sees_desk(desk)) else {
        return Err(not_found());
    };
    let l = staff.locale;
    Ok(html_no_store(
        status,
        &CasePage {
            l,
            staff,
            id,
            tips,
            total,
            can_triage: staff.triages_desk(&desk),
            notice: notice.map(|m| l.msg(&m)),
        },
    ))
}

/// `GET /desk/cases/{id}`
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<TipId>,
) -> Result<HttpResponse, WebError> {
    case_page(&state, &staff, path.into_inner(), StatusCode::OK, None).await
}

/// The page a case form that changed nothing answers with (422 and why):
/// the case's, or the tip's for a tip leaving its case (its form is there).
#[derive(Clone, Copy)]
enum Page {
    Case,
    Tip,
}

/// Why a case form changed nothing: a value the desk can correct, shown
/// on the form's page, or a failure answered as anywhere else.
enum Refused {
    Form(Msg),
    Failed(WebError),
}

impl From<WebError> for Refused {
    fn from(e: WebError) -> Self {
        Self::Failed(e)
    }
}

impl From<DbError> for Refused {
    fn from(e: DbError) -> Self {
        Self::Failed(e.into())
    }
}

impl From<ChangeError> for Refused {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Invalid(msg) => Self::Form(msg),
            ChangeError::Db(e) => DbError::from(e).into(),
        }
    }
}

/// A case form posted about tip `id` by `staff`: 404 or 403 unless they
/// may change the tip ([`may_change`]), then `act` with the tip's desk;
/// [`Refused::Form`] answers `page` with 422 and the message.
async fn case_action<F, Fut>(
    state: &AppState,
    staff: &Staff,
    id: TipId,
    page: Page,
    act: F,
) -> Result<HttpResponse, WebError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<HttpResponse, Refused>>,
{
    let desk = may_change(state, staff, id).await?;
    let msg = match act(desk).await {
        Ok(done) => return Ok(done),
        Err(Refused::Failed(e)) => return Err(e),
        Err(Refused::Form(msg)) => Some(msg),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    match page {
        Page::Case => case_page(state, staff, id, status, msg).await,
        Page::Tip => tip_page(state, staff, id, None, status, msg).await,
    }
}

#[derive(Deserialize)]
pub struct CaseStatusForm {
    status: Option<String>,
}

/// `POST /desk/cases/{id}/status`: the status for each tip of the case,
/// as the queue's bulk form sets it (each checked by the workflow and
/// audited on its own); answers with the same report.
pub async fn change_status(
    state: web::Data<AppState>,
    path: web::Path<TipId>,
    p: Protected<CaseStatusForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let Protected { staff, form } = p;
    let (state, staff) = (&state, &staff);
    case_action(state, staff, id, Page::Case, move |_| async move {
        let to =
            TipStatus::parse(form.status.as_deref().unwrap_or("").trim()).map_err(Refused::Form)?;
        let (actor, me, rights) = (staff.actor(), staff.id, staff.clone());
        let outcomes = state
            .pool
            .run(move |conn| {
                let Some((case, _)) = cases::case_of(conn, id)? else {
                    return Ok::<_, DbError>(Vec::new());
                };
                let members = cases::member_ids(conn, case)?;
                let access = |desk: &str| access(&rights, desk);
                Ok(bulk::apply(
                    conn,
                    &actor,
                    me,
                    &access,
                    &members,
                    &Action::Status(to),
                )?)
            })
            .await?;
        Ok(report(staff, outcomes, format!("/desk/cases/{id}")))
    })
    .await
}

#[derive(Deserialize)]
pub struct MergeForm {
    /// The reference of a tip of the other case (`TD-…`).
    other: Option<String>,
}

/// `POST /desk/cases/{id}/merge`: the case of the tip whose reference is
/// `other` and the case of tip `id` become one. Both must be of the same
/// desk; a reference the person cannot see is "no such tip", as anywhere.
pub async fn merge(
    state: web::Data<AppState>,
    path: web::Path<TipId>,
    p: Protected<MergeForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let Protected { staff, form } = p;
    let (state, staff) = (&state, &staff);
    case_action(state, staff, id, Page::Case, move |desk| async move {
        let refused = |msg: &'static str| Refused::Form(Msg::new(msg));
        let reference = form
            .other
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        if reference.is_empty() {
            return Err(refused("case-merge-no-reference"));
        }
        let other: Option<(TipId, String)> = state
            .pool
            .query(move |conn| {
                use diesel::prelude::*;
                crate::db_run!(conn, |conn| tips::table
                    .filter(tips::reference.eq(&reference))
                    .select((tips::id, tips::desk))
                    .first(conn)
                    .optional())
            })
            .await?;
        let other = match other {
            Some((other, other_desk)) if staff.sees_desk(&other_desk) => {
                if other_desk != desk {
                    return Err(refused("case-merge-other-desk"));
                }
                other
            }
            _ => return Err(refused("case-merge-unknown")),
        };
        let actor = staff.actor();
        state
            .pool
            .run(move |conn| {
                let (Some((a, _)), Some((b, _))) =
                    (cases::case_of(conn, id)?, cases::case_of(conn, other)?)
                else {
                    return Ok::<_, DbError>(Err(ChangeError::Invalid(Msg::new(
                        "case-merge-unknown",
                    ))));
                };
                Ok(cases::merge(conn, &actor, a, b))
            })
            .await??;
        Ok(to_case(id))
    })
    .await
}

/// `POST /desk/tips/{id}/case/leave`: tip `id` leaves its case, and the
/// desk goes back to the rest of it.
pub async fn leave(
    state: web::Data<AppState>,
    path: web::Path<TipId>,
    p: Protected<NoFields>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let staff = p.staff;
    let (state, staff) = (&state, &staff);
    case_action(state, staff, id, Page::Tip, move |_| async move {
        let actor = staff.actor();
        let rest = state
            .pool
            .run(move |conn| Ok::<_, DbError>(cases::leave(conn, &actor, id)))
            .await??;
        Ok(to_case(rest))
    })
    .await
}

fn to_case(id: TipId) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/desk/cases/{id}")))
        .finish()
}
