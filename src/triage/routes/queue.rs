//! `GET /desk/tips`: the queue, filtered, counted and paged.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::Staff;
use crate::db::DbError;
use crate::domain::{Language, TipId, TipKind, TipStatus};
use crate::i18n::{Locale, Msg};
use crate::state::AppState;
use crate::triage::first_look::{Age, FirstLook};
use crate::triage::{self, AssigneeFilter, Filters, QueueRow};
use crate::web::{html_no_store, WebError};

/// Tips per page.
const PAGE: i64 = 50;

/// `GET /desk`
pub async fn home(staff: Staff) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, staff.home()))
        .finish()
}

#[derive(Deserialize, Default, Clone)]
pub struct QueueQuery {
    pub(super) status: Option<String>,
    desk: Option<String>,
    article: Option<String>,
    kind: Option<String>,
    assignee: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    language: Option<String>,
    overdue: Option<String>,
    before: Option<TipId>,
    /// `all`: every tip of the page comes ticked for the bulk form (the
    /// "select all on this page" link, which needs no script).
    select: Option<String>,
}

pub(super) fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl QueueQuery {
    /// The filters this query asks for; `look` decides which tips are
    /// overdue, among the desks `staff` sees.
    pub(super) fn filters(&self, staff: &Staff, look: &FirstLook) -> Result<Filters, Msg> {
        let texts = [
            &self.language,
            &self.overdue,
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
            return Err(Msg::new("filter-control-characters"));
        }
        let date = |v: &Option<String>, which: &'static str| {
            blank(v)
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .ok()
                        // Both engines store years 1 to 9999 only.
                        .filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)))
                        .ok_or_else(|| {
                            Msg::new("filter-bad-date")
                                .key("which", which)
                                .localized("example", "2026-11-27")
                        })
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
                    other.parse().map_err(|_| Msg::new("filter-bad-assignee"))?,
                )),
            },
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
            text: blank(&self.q).map(str::to_owned),
            language: blank(&self.language).map(Language::parse).transpose()?,
            overdue: match blank(&self.overdue) {
                None | Some("0") => None,
                Some("1") => {
                    let seen = look.desks().filter(|d| staff.sees_desk(d));
                    Some(look.cutoffs(seen))
                }
                Some(_) => return Err(Msg::new("filter-bad-overdue")),
            },
            before: self.before,
            ..Filters::default()
        })
    }

    /// This query as a URL query string, with `status` and `before` replaced.
    pub(super) fn link(&self, status: Option<&str>, before: Option<TipId>) -> String {
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
        add("language", self.language.as_deref());
        add("overdue", self.overdue.as_deref());
        let before = before.map(|b| b.to_string());
        add("before", before.as_deref());
        format!("/desk/tips?{}", s.finish())
    }
}

#[derive(Template)]
#[template(path = "desk/tips.html")]
struct QueuePage<'a> {
    l: Locale,
    staff: &'a Staff,
    query: &'a QueueQuery,
    notice: Option<String>,
    rows: Vec<QueueRow>,
    counts: Vec<(TipStatus, triage::Count)>,
    desks: Vec<String>,
    next: Option<String>,
    look: FirstLook,
    /// Whether the bulk form is offered: the person may change tips.
    can_bulk: bool,
    /// People tips may be assigned to, for the bulk form.
    assignable: Vec<(crate::domain::UserId, String)>,
    /// The queue shows each case once ([`Filters::shows_cases_once`]), so
    /// a row with "+N similar" stands for its whole case.
    cases_once: bool,
}

impl QueuePage<'_> {
    fn selected(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "status" => &self.query.status,
            "desk" => &self.query.desk,
            "kind" => &self.query.kind,
            "assignee" => &self.query.assignee,
            "language" => &self.query.language,
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
            "overdue" => &self.query.overdue,
            _ => &None,
        }
        .as_deref()
        .unwrap_or("")
    }

    /// This page, in the queue's own terms (the bulk form comes back here).
    fn here(&self) -> String {
        self.query
            .link(self.query.status.as_deref(), self.query.before)
    }

    /// The export of what this page's filters select (all pages of it).
    fn export_link(&self, extension: &str) -> String {
        let here = self.query.link(self.query.status.as_deref(), None);
        here.replacen("/desk/tips?", &format!("/desk/tips/export.{extension}?"), 1)
    }

    fn select_all_link(&self) -> String {
        format!("{}&select=all", self.here())
    }

    fn all_selected(&self) -> bool {
        self.query.select.as_deref() == Some("all")
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

    fn status_name(&self, status: &TipStatus) -> String {
        self.l.msg(&status.name())
    }

    fn kind_name(&self, kind: &TipKind) -> String {
        self.l.msg(&kind.name())
    }

    fn count(&self, n: &triage::Count) -> String {
        n.shown(self.l)
    }

    fn statuses(&self) -> &'static [TipStatus] {
        &TipStatus::ALL
    }

    fn kinds(&self) -> &'static [TipKind] {
        &TipKind::ALL
    }

    fn languages(&self) -> &'static [(Language, &'static str)] {
        Language::known()
    }

    fn overdue(&self, r: &QueueRow) -> bool {
        self.look.is_overdue(&r.desk, r.created_at, r.first_read_at)
    }

    /// The "files attached" badge ("2 files").
    fn files(&self, r: &QueueRow) -> String {
        self.l
            .msg(&Msg::new("queue-badge-files").number("n", r.files))
    }

    /// The case badge ("+3 similar"): the other tips of its case.
    fn similar(&self, r: &QueueRow) -> String {
        self.l
            .msg(&Msg::new("queue-badge-similar").number("n", r.similar))
    }

    /// Whether row `r` stands for its whole case: its checkbox selects
    /// every tip of the case (`cases` in the bulk form, not `ids`).
    fn stands_for_case(&self, r: &QueueRow) -> bool {
        self.cases_once && r.similar > 0
    }

    /// The accessible name of a checkbox that selects a whole case.
    fn select_case(&self, r: &QueueRow) -> String {
        self.l.msg(
            &Msg::new("queue-select-case")
                .number("n", r.similar.saturating_add(1))
                .text("reference", r.reference.as_str()),
        )
    }

    /// How long ago the tip arrived ("5 h").
    fn age(&self, r: &QueueRow) -> String {
        self.l
            .msg(&Age::between(r.created_at, self.look.now()).msg())
    }
}

/// `GET /desk/tips`
pub async fn queue(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let query: QueueQuery = crate::web::query::parse(&req)?;
    let desks: Vec<String> = match staff.desk_scope() {
        None => state.settings.desks.keys().cloned().collect(),
        Some(d) => d.to_vec(),
    };
    let l = staff.locale;
    let look = FirstLook::new(&state.settings.desks, crate::db::now());
    let (filters, notice) = match query.filters(&staff, &look) {
        Ok(f) => (f, None),
        Err(e) => (Filters::default(), Some(l.msg(&e))),
    };
    let cases_once = filters.shows_cases_once();
    let scope = staff.desk_scope().map(<[String]>::to_vec);
    let me = staff.id;
    let mut f = filters.clone();
    let changeable: Vec<String> = desks
        .iter()
        .filter(|d| staff.triages_desk(d))
        .cloned()
        .collect();
    let can_bulk = !changeable.is_empty();
    let ((rows, next), counts, assignable) = state
        .pool
        .run(move |conn| {
            triage::search::narrow(conn, &mut f)?;
            let page = triage::list(conn, scope.as_deref(), me, &f, PAGE)?;
            let counts = triage::status_counts(conn, scope.as_deref(), &f)?;
            let mut people = Vec::new();
            for desk in &changeable {
                for p in crate::auth::users::assignable(conn, desk)? {
                    if !people.contains(&p) {
                        people.push(p);
                    }
                }
            }
            Ok::<_, DbError>((page, counts, people))
        })
        .await?;
    let status = if notice.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let next = next.map(|b| query.link(query.status.as_deref(), Some(b)));
    Ok(html_no_store(
        status,
        &QueuePage {
            l,
            staff: &staff,
            query: &query,
            notice,
            rows,
            counts,
            desks,
            next,
            look,
            can_bulk,
            assignable,
            cases_once,
        },
    ))
}
