//! `/desk/tips` and `/desk/audit`: thin handlers over [`super`]. A tip of a
//! desk the user does not work for is answered 404, as if it did not exist.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{AssigneeFilter, ChangeError, Event, Filters, QueueRow, TipView};
use crate::app::AppState;
use crate::audit;
use crate::audit::Actor;
use crate::auth::{users, Protected, Staff};
use crate::db::{Conn, DbError};
use crate::domain::{TipKind, TipStatus};
use crate::web::{html, Format, WebError};

const PAGE: i64 = 50;

fn db(e: impl Into<DbError>) -> WebError {
    WebError::from_db(Format::Html, e.into())
}

fn not_found() -> WebError {
    WebError::not_found(
        Format::Html,
        "There is no such tip, or it belongs to a desk you do not work for.",
    )
}

fn desk_page(status: StatusCode, page: &impl Template) -> HttpResponse {
    let mut res = html(status, page);
    // Tips must not linger in shared or back-button caches.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// `GET /desk`
pub async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/desk/tips"))
        .finish()
}

#[derive(Deserialize, Default, Clone)]
pub struct QueueQuery {
    status: Option<String>,
    desk: Option<String>,
    article: Option<String>,
    kind: Option<String>,
    assignee: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    before: Option<i64>,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl QueueQuery {
    fn filters(&self, staff: &Staff) -> Result<Filters, String> {
        let texts = [
            &self.status,
            &self.desk,
            &self.article,
            &self.kind,
            &self.assignee,
            &self.from,
            &self.to,
            &self.q,
        ];
        if texts.iter().any(|t| {
            t.as_deref()
                .is_some_and(|t| t.chars().any(char::is_control))
        }) {
            return Err("Filters cannot contain control characters.".into());
        }
        let date = |v: &Option<String>, what: &str| {
            blank(v)
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .ok()
                        // Both engines store years 1 to 9999 only.
                        .filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)))
                        .ok_or_else(|| format!("The {what} date must look like 2026-11-27."))
                })
                .transpose()
        };
        Ok(Filters {
            status: blank(&self.status).map(TipStatus::parse).transpose()?,
            desk: blank(&self.desk).map(str::to_owned),
            article: blank(&self.article).map(str::to_owned),
            kind: blank(&self.kind).map(TipKind::parse).transpose()?,
            assignee: match blank(&self.assignee) {
                None => None,
                Some("me") => Some(AssigneeFilter::User(staff.id)),
                Some("nobody") => Some(AssigneeFilter::Nobody),
                Some(other) => Some(AssigneeFilter::User(
                    other
                        .parse()
                        .map_err(|_| "Unknown assignee filter.".to_owned())?,
                )),
            },
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
            text: blank(&self.q).map(str::to_owned),
            before: self.before,
            ..Filters::default()
        })
    }

    /// This query as a URL query string, with `status` and `before` replaced.
    fn link(&self, status: Option<&str>, before: Option<i64>) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        let mut add = |k: &str, v: Option<&str>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        };
        add("status", status);
        add("desk", self.desk.as_deref());
        add("article", self.article.as_deref());
        add("kind", self.kind.as_deref());
        add("assignee", self.assignee.as_deref());
        add("from", self.from.as_deref());
        add("to", self.to.as_deref());
        add("q", self.q.as_deref());
        let before = before.map(|b| b.to_string());
        add("before", before.as_deref());
        format!("/desk/tips?{}", s.finish())
    }
}

#[derive(Template)]
#[template(path = "desk/tips.html")]
struct QueuePage<'a> {
    staff: &'a Staff,
    query: &'a QueueQuery,
    notice: Option<String>,
    rows: Vec<QueueRow>,
    counts: Vec<(TipStatus, super::Count)>,
    desks: Vec<String>,
    next: Option<String>,
}

impl QueuePage<'_> {
    fn selected(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "status" => &self.query.status,
            "desk" => &self.query.desk,
            "kind" => &self.query.kind,
            "assignee" => &self.query.assignee,
            _ => &None,
        };
        current.as_deref() == Some(value)
    }

    fn value<'s>(&'s self, field: &str) -> &'s str {
        match field {
            "article" => &self.query.article,
            "from" => &self.query.from,
            "to" => &self.query.to,
            "q" => &self.query.q,
            _ => &None,
        }
        .as_deref()
        .unwrap_or("")
    }

    fn status_link(&self, status: &TipStatus) -> String {
        self.query.link(Some(status.as_str()), None)
    }

    fn all_link(&self) -> String {
        self.query.link(None, None)
    }

    fn all_statuses(&self) -> bool {
        blank(&self.query.status).is_none()
    }

    fn kind_label(&self, raw: &str) -> &'static str {
        TipKind::parse(raw).map_or("Tip", TipKind::label)
    }

    fn status_label(&self, raw: &str) -> &'static str {
        TipStatus::parse(raw).map_or("Unknown", TipStatus::label)
    }

    fn statuses(&self) -> &'static [TipStatus] {
        &TipStatus::ALL
    }

    fn kinds(&self) -> &'static [TipKind] {
        &TipKind::ALL
    }
}

/// `GET /desk/tips`
pub async fn queue(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, WebError> {
    let query = query.into_inner();
    let desks: Vec<String> = match staff.desk_scope() {
        None => state.settings.desks.keys().cloned().collect(),
        Some(d) => d.to_vec(),
    };
    let (filters, notice) = match query.filters(&staff) {
        Ok(f) => (f, None),
        Err(e) => (Filters::default(), Some(e)),
    };
    let scope = staff.desk_scope().map(<[String]>::to_vec);
    let me = staff.id;
    let mut f = filters.clone();
    let ((rows, next), counts) = state
        .pool
        .run(move |conn| {
            super::search::narrow(conn, &mut f)?;
            let page = super::list(conn, scope.as_deref(), me, &f, PAGE)?;
            let counts = super::status_counts(conn, scope.as_deref(), &f)?;
            Ok::<_, DbError>((page, counts))
        })
        .await
        .map_err(db)?;
    let status = if notice.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let next = next.map(|b| query.link(query.status.as_deref(), Some(b)));
    Ok(desk_page(
        status,
        &QueuePage {
            staff: &staff,
            query: &query,
            notice,
            rows,
            counts,
            desks,
            next,
        },
    ))
}

#[derive(Template)]
#[template(path = "desk/tip.html")]
struct TipPage<'a> {
    staff: &'a Staff,
    tip: TipView,
    contact: Option<String>,
    events: Vec<Event>,
    labels: Vec<String>,
    assignable: Vec<(i64, String)>,
    notice: Option<&'a str>,
    can_triage: bool,
}

impl TipPage<'_> {
    fn kind_label(&self) -> &'static str {
        TipKind::parse(&self.tip.kind).map_or("Tip", TipKind::label)
    }

    fn status_label(&self) -> &'static str {
        TipStatus::parse(&self.tip.status).map_or("Unknown", TipStatus::label)
    }

    fn next_steps(&self) -> &'static [TipStatus] {
        TipStatus::parse(&self.tip.status).map_or(&[], TipStatus::next_steps)
    }

    fn is_assigned(&self, id: &i64) -> bool {
        self.tip.assignee_id == Some(*id)
    }

    fn assignee_name(&self) -> Option<&str> {
        let id = self.tip.assignee_id?;
        self.assignable
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.as_str())
    }

    fn status_name(&self, raw: &Option<String>) -> String {
        raw.as_deref()
            .map(|s| TipStatus::parse(s).map_or(s.to_owned(), |t| t.label().to_owned()))
            .unwrap_or_default()
    }
}

async fn tip_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    contact: Option<String>,
    status: StatusCode,
    notice: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let me = staff.id;
    let loaded = state
        .pool
        .run(move |conn| {
            let Some(tip) = super::get(conn, id)? else {
                return Ok::<_, DbError>(None);
            };
            let events = super::history(conn, id)?;
            let labels = super::labels(conn, id)?;
            let assignable = users::assignable(conn, &tip.desk)?;
            Ok(Some((tip, events, labels, assignable)))
        })
        .await
        .map_err(db)?;
    let Some((mut tip, events, labels, assignable)) =
        loaded.filter(|(t, ..)| staff.sees_desk(&t.desk))
    else {
        return Err(not_found());
    };
    tip.reader_name = tip
        .reader_name
        .map(|sealed| unseal(state, "name", &tip.reference, &sealed));
    state
        .pool
        .run(move |conn| super::mark_read(conn, me, id).map_err(DbError::from))
        .await
        .map_err(db)?;
    let can_triage = staff.triages_desk(&tip.desk);
    Ok(desk_page(
        status,
        &TipPage {
            staff,
            tip,
            contact,
            events,
            labels,
            assignable,
            notice,
            can_triage,
        },
    ))
}

/// `GET /desk/tips/{id}`
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    tip_page(
        &state,
        &staff,
        path.into_inner(),
        None,
        StatusCode::OK,
        None,
    )
    .await
}

/// Opens a sealed reader field for display; a failure is logged and shown
/// as such (it means a key is missing from the ring), never as a 500.
fn unseal(state: &AppState, field: &str, reference: &str, sealed: &str) -> String {
    state
        .keyring
        .open(field, reference, sealed)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, field, "cannot open a sealed reader field");
            "[cannot be decrypted with the configured keys]".to_owned()
        })
}

/// Loads the tip's desk and checks the staff member may act on it: 404 for
/// a desk they do not see, 403 for a viewer.
async fn may_change(state: &AppState, staff: &Staff, id: i64) -> Result<String, WebError> {
    let desk = state
        .pool
        .run(move |conn| super::desk_of(conn, id).map_err(DbError::from))
        .await
        .map_err(db)?
        .filter(|d| staff.sees_desk(d))
        .ok_or_else(not_found)?;
    if !staff.triages_desk(&desk) {
        return Err(WebError::new(
            Format::Html,
            StatusCode::FORBIDDEN,
            "forbidden",
            "Your account can read this desk's tips but not change them.",
        ));
    }
    Ok(desk)
}

fn back_to(id: i64) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/desk/tips/{id}")))
        .finish()
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /desk/tips/{id}/contact`: shows the reader's contact to editors
/// and admins, and records that it was shown.
pub async fn reveal_contact(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    p: Protected<NoFields>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    // Least privilege: a source's contact is for those who may act on the tip.
    may_change(&state, &p.staff, id).await?;
    let actor = p.staff.actor();
    let contact = state
        .pool
        .run(move |conn| super::reveal_contact(conn, &actor, id).map_err(DbError::from))
        .await
        .map_err(db)?;
    let shown = match contact {
        Some((reference, sealed)) => unseal(&state, "contact", &reference, &sealed),
        None => "The reader left no contact.".into(),
    };
    tip_page(&state, &p.staff, id, Some(shown), StatusCode::OK, None).await
}

/// Applies a workflow change to tip `id`: a refusal (from the form or the
/// workflow) shows the tip again with the reason (422); success returns to
/// the tip.
async fn apply<F>(
    state: &AppState,
    staff: &Staff,
    id: i64,
    change: Result<F, String>,
) -> Result<HttpResponse, WebError>
where
    F: FnOnce(&mut Conn<'_>, &Actor) -> Result<(), ChangeError> + Send + 'static,
{
    let refused = |msg: String| async move {
        tip_page(
            state,
            staff,
            id,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&msg),
        )
        .await
    };
    let change = match change {
        Ok(f) => f,
        Err(msg) => return refused(msg).await,
    };
    let actor = staff.actor();
    let result = state
        .pool
        .run(move |conn| Ok::<_, DbError>(change(conn, &actor)))
        .await
        .map_err(db)?;
    match result {
        Ok(()) => Ok(back_to(id)),
        Err(ChangeError::Invalid(msg)) => refused(msg).await,
        Err(ChangeError::Db(e)) => Err(db(e)),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: Option<String>,
}

/// `POST /desk/tips/{id}/status`
pub async fn change_status(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    p: Protected<StatusForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    may_change(&state, &p.staff, id).await?;
    let to = TipStatus::parse(p.form.status.as_deref().unwrap_or(""));
    let change = to.map(|to| move |c: &mut Conn<'_>, a: &Actor| super::change_status(c, a, id, to));
    apply(&state, &p.staff, id, change).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    assignee: Option<String>,
}

/// `POST /desk/tips/{id}/assign`: to a member of the tip's desk, or nobody.
pub async fn assign(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    p: Protected<AssignForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let desk = may_change(&state, &p.staff, id).await?;
    let candidates = state
        .pool
        .run(move |conn| users::assignable(conn, &desk).map_err(DbError::from))
        .await
        .map_err(db)?;
    let to = match p
        .form
        .assignee
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .and_then(|u| candidates.into_iter().find(|(i, _)| *i == u))
            .map(Some)
            .ok_or_else(|| "Tips can be assigned only to editors of their desk.".to_owned()),
    };
    let change = to.map(|to| {
        move |c: &mut Conn<'_>, a: &Actor| super::assign(c, a, id, to).map_err(ChangeError::from)
    });
    apply(&state, &p.staff, id, change).await
}

#[derive(Deserialize)]
pub struct NoteForm {
    body: Option<String>,
}

/// `POST /desk/tips/{id}/notes`
pub async fn add_note(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    p: Protected<NoteForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    may_change(&state, &p.staff, id).await?;
    let body = p.form.body.unwrap_or_default();
    let change = super::check_note(&body).map(|()| {
        move |c: &mut Conn<'_>, a: &Actor| {
            super::add_note(c, a, id, &body).map_err(ChangeError::from)
        }
    });
    apply(&state, &p.staff, id, change).await
}

#[derive(Deserialize)]
pub struct LabelsForm {
    labels: Option<String>,
}

/// `POST /desk/tips/{id}/labels`
pub async fn set_labels(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    p: Protected<LabelsForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    may_change(&state, &p.staff, id).await?;
    let labels = super::parse_labels(p.form.labels.as_deref().unwrap_or(""));
    let change = labels.map(|labels| {
        move |c: &mut Conn<'_>, a: &Actor| {
            super::set_labels(c, a, id, &labels).map_err(ChangeError::from)
        }
    });
    apply(&state, &p.staff, id, change).await
}

#[derive(Template)]
#[template(path = "desk/audit.html")]
struct AuditPage<'a> {
    staff: &'a Staff,
    entries: Vec<audit::Entry>,
    next: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

/// `GET /desk/audit` (admins).
pub async fn audit_trail(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    if !staff.is_admin() {
        return Err(WebError::new(
            Format::Html,
            StatusCode::FORBIDDEN,
            "forbidden",
            "The audit trail is for admins.",
        ));
    }
    let before = query.before;
    let entries = state
        .pool
        .run(move |conn| audit::list(conn, before, PAGE + 1).map_err(DbError::from))
        .await
        .map_err(db)?;
    let more = entries.len() as i64 > PAGE;
    let entries: Vec<audit::Entry> = entries.into_iter().take(PAGE as usize).collect();
    let next = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(desk_page(
        StatusCode::OK,
        &AuditPage {
            staff: &staff,
            entries,
            next,
        },
    ))
}
