//! `GET /desk/tips/{id}` and the actions on a tip: reveal the reader's
//! contact, change the status (with a published correction's address),
//! assign, add a note, set labels. (Messages to the reader: see
//! [`super::conversation`].)

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::not_found;
use crate::attachments::{self, Listed, Metadata, ReadError};
use crate::audit::Actor;
use crate::auth::{users, Protected, Staff};
use crate::db::{Conn, DbError};
use crate::domain::{TipId, TipKind, TipStatus, UserId};
use crate::follow_up::conversation::{self, Message};
use crate::i18n::{Locale, Msg};
use crate::state::AppState;
use crate::triage::{self, ChangeError, Event, TipView};
use crate::web::{html_no_store, Format, WebError};

#[derive(Template)]
#[template(path = "desk/tip.html")]
struct TipPage<'a> {
    l: Locale,
    staff: &'a Staff,
    tip: TipView,
    contact: Option<String>,
    events: Vec<Event>,
    labels: Vec<String>,
    assignable: Vec<(UserId, String)>,
    notice: Option<String>,
    can_triage: bool,
    /// The conversation with the reader, oldest first, with who wrote.
    messages: Vec<Message>,
    /// Whether the reader holds a receipt (and so can read messages).
    has_receipt: bool,
    published_url: Option<String>,
    /// The reader's files, in the order they were attached: with the tip,
    /// then with their follow-up messages.
    files: Vec<Listed>,
    /// Other tips in its case (0: it is alone), linked to the case page.
    similar: i64,
}

impl TipPage<'_> {
    /// The files sent with the tip itself.
    fn tip_files(&self) -> Vec<&Listed> {
        self.files
            .iter()
            .filter(|f| f.message_seq.is_none())
            .collect()
    }

    /// The files the reader sent with their message `m`.
    fn files_of(&self, m: &Message) -> Vec<&Listed> {
        self.files
            .iter()
            .filter(|f| m.author == conversation::Author::Reader && f.message_seq == Some(m.seq))
            .collect()
    }

    fn bytes(&self, n: &i64) -> String {
        self.l
            .msg(&Msg::new("tip-attachment-bytes").number("bytes", n.unsigned_abs()))
    }

    fn metadata_label(&self, m: &Metadata) -> String {
        self.l.t(&format!("tip-attachment-meta-{}", m.as_str()))
    }

    fn similar_label(&self) -> String {
        self.l
            .msg(&Msg::new("queue-badge-similar").number("n", self.similar))
    }

    fn by_desk(&self, m: &Message) -> bool {
        m.author == conversation::Author::Desk
    }

    fn is_correction(&self) -> bool {
        self.tip.kind == TipKind::Correction
    }

    fn kind_label(&self) -> String {
        self.l.msg(&self.tip.kind.name())
    }

    fn status_label(&self) -> String {
        self.l.msg(&self.tip.status.name())
    }

    fn step_name(&self, status: &TipStatus) -> String {
        self.l.msg(&status.name())
    }

    /// A history line, in the staff member's language.
    fn event_text(&self, e: &Event) -> String {
        let l = self.l;
        match e.kind.as_str() {
            "status" => l.msg(
                &Msg::new("history-status")
                    .localized("from", self.status_name(&e.from_value))
                    .localized("to", self.status_name(&e.to_value)),
            ),
            "assign" => match &e.to_value {
                Some(to) => l.msg(&Msg::new("history-assigned").localized("to", to)),
                None => l.t("history-unassigned"),
            },
            "labels" => l.msg(
                &Msg::new("history-labels").text("labels", e.to_value.clone().unwrap_or_default()),
            ),
            "case_left" => l.t("history-case-left"),
            "case_merged" => l.t("history-case-merged"),
            conversation::EVENT_READER_WROTE => l.t("history-reader-wrote"),
            conversation::EVENT_DESK_WROTE => l.t("history-wrote-to-reader"),
            other => other.to_owned(),
        }
    }

    fn contact_kind(&self, kind: &str) -> String {
        let key = match kind {
            "email" => "email",
            "phone" => "phone",
            _ => "handle",
        };
        self.l.msg(&Msg::new("tip-contact-kind").key("kind", key))
    }

    fn next_steps(&self) -> &'static [TipStatus] {
        self.tip.status.next_steps()
    }

    fn is_assigned(&self, id: &UserId) -> bool {
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
            .map(|s| TipStatus::parse(s).map_or(s.to_owned(), |t| self.l.msg(&t.name())))
            .unwrap_or_default()
    }
}

pub(super) async fn tip_page(
    state: &AppState,
    staff: &Staff,
    id: TipId,
    contact: Option<String>,
    status: StatusCode,
    notice: Option<Msg>,
) -> Result<HttpResponse, WebError> {
    let me = staff.id;
    let ring = state.sealing_keys.clone();
    let unreadable = staff.locale.t("tip-undecryptable");
    let loaded = state
        .pool
        .run(move |conn| {
            let Some(tip) = triage::get(conn, id)? else {
                return Ok::<_, DbError>(None);
            };
            let events = triage::history(conn, id)?;
            let labels = triage::labels(conn, id)?;
            let assignable = users::assignable(conn, &tip.desk)?;
            let messages = conversation::load(conn, &ring, id, &tip.reference, true, &unreadable)?;
            let has_receipt = crate::follow_up::receipts::exists_for(conn, id)?;
            let published = crate::follow_up::published::of(conn, id)?;
            let files = attachments::list(conn, &ring, id, &tip.reference);
            let case = triage::cases::case_of(conn, id)?.map(|(case, _)| case);
            let similar = match case {
                Some(case) => triage::cases::others(conn, &[case])?.get(&case).copied(),
                None => None,
            };
            let talk = (
                messages,
                has_receipt,
                published,
                files,
                similar.unwrap_or(0),
            );
            Ok(Some((tip, events, labels, assignable, talk)))
        })
        .await?;
    let Some((
        mut tip,
        events,
        labels,
        assignable,
        (messages, has_receipt, published_url, files, similar),
    )) = loaded.filter(|(t, ..)| staff.sees_desk(&t.desk))
    else {
        return Err(not_found());
    };
    let files = match files {
        Ok(files) => files,
        Err(ReadError::Pool(e)) => return Err(e.into()),
        Err(e) => return Err(WebError::internal(Format::Html, &e)),
    };
    tip.reader_name = tip
        .reader_name
        .map(|sealed| unseal(state, "name", &tip.reference, &sealed));
    state
        .pool
        .query(move |conn| triage::mark_read(conn, me, id))
        .await?;
    let can_triage = staff.triages_desk(&tip.desk);
    let l = staff.locale;
    Ok(html_no_store(
        status,
        &TipPage {
            l,
            notice: notice.map(|m| l.msg(&m)),
            staff,
            tip,
            contact,
            events,
            labels,
            assignable,
            can_triage,
            messages,
            has_receipt,
            published_url,
            files,
            similar,
        },
    ))
}

/// `GET /desk/tips/{id}`
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<TipId>,
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
        .sealing_keys
        .open(field, reference, sealed)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, field, "cannot open a sealed reader field");
            crate::i18n::current().t("tip-undecryptable")
        })
}

/// Loads the tip's desk and checks the staff member may act on it: 404 for
/// a desk they do not see, 403 for a viewer.
pub(super) async fn may_change(
    state: &AppState,
    staff: &Staff,
    id: TipId,
) -> Result<String, WebError> {
    let desk = state
        .pool
        .query(move |conn| triage::desk_of(conn, id))
        .await?
        .filter(|d| staff.sees_desk(d))
        .ok_or_else(not_found)?;
    if !staff.triages_desk(&desk) {
        return Err(WebError::new(
            Format::Html,
            StatusCode::FORBIDDEN,
            "forbidden",
            Msg::new("desk-read-only"),
        ));
    }
    Ok(desk)
}

fn back_to(id: TipId) -> HttpResponse {
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
    path: web::Path<TipId>,
    p: Protected<NoFields>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    // Least privilege: a source's contact is for those who may act on the tip.
    may_change(&state, &p.staff, id).await?;
    let actor = p.staff.actor();
    let contact = state
        .pool
        .query(move |conn| triage::reveal_contact(conn, &actor, id))
        .await?;
    let shown = match contact {
        Some((reference, sealed)) => unseal(&state, "contact", &reference, &sealed),
        None => p.staff.locale.t("tip-reader-left-no-contact"),
    };
    tip_page(&state, &p.staff, id, Some(shown), StatusCode::OK, None).await
}

/// Applies a workflow change to tip `id`: a refusal (from the form or the
/// workflow) shows the tip again with the reason (422); success returns to
/// the tip.
pub(super) async fn apply<F>(
    state: &AppState,
    staff: &Staff,
    id: TipId,
    change: Result<F, Msg>,
) -> Result<HttpResponse, WebError>
where
    F: FnOnce(&mut Conn<'_>, &Actor) -> Result<(), ChangeError> + Send + 'static,
{
    let refused = |msg: Msg| async move {
        tip_page(
            state,
            staff,
            id,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(msg),
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
        .await?;
    match result {
        Ok(()) => Ok(back_to(id)),
        Err(ChangeError::Invalid(msg)) => refused(msg).await,
        Err(ChangeError::Db(e)) => Err(DbError::from(e).into()),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: Option<String>,
    /// Where a correction was published, when it is closed as published.
    published_url: Option<String>,
}

/// `POST /desk/tips/{id}/status`
pub async fn change_status(
    state: web::Data<AppState>,
    path: web::Path<TipId>,
    p: Protected<StatusForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    may_change(&state, &p.staff, id).await?;
    let to = TipStatus::parse(p.form.status.as_deref().unwrap_or(""));
    let published =
        crate::follow_up::published::parse(p.form.published_url.as_deref().unwrap_or(""));
    let change = to
        .and_then(|to| published.map(|url| (to, url)))
        .map(|(to, url)| {
            move |c: &mut Conn<'_>, a: &Actor| {
                c.write(|c| {
                    triage::change_status(c, a, id, to)?;
                    match &url {
                        Some(url) => crate::follow_up::published::record(c, a, id, to, url),
                        None => Ok(()),
                    }
                })
            }
        });
    apply(&state, &p.staff, id, change).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    assignee: Option<String>,
}

/// `POST /desk/tips/{id}/assign`: to a member of the tip's desk, or nobody.
pub async fn assign(
    state: web::Data<AppState>,
    path: web::Path<TipId>,
    p: Protected<AssignForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let desk = may_change(&state, &p.staff, id).await?;
    let candidates = state
        .pool
        .query(move |conn| users::assignable(conn, &desk))
        .await?;
    let to = match p
        .form
        .assignee
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(raw) => raw
            .parse::<UserId>()
            .ok()
            .and_then(|u| candidates.into_iter().find(|(i, _)| *i == u))
            .map(Some)
            .ok_or_else(|| Msg::new("desk-assign-editors-only")),
    };
    let change = to.map(|to| {
        move |c: &mut Conn<'_>, a: &Actor| triage::assign(c, a, id, to).map_err(ChangeError::from)
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
    path: web::Path<TipId>,
    p: Protected<NoteForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    may_change(&state, &p.staff, id).await?;
    let body = p.form.body.unwrap_or_default();
    let change = triage::check_note(&body).map(|()| {
        move |c: &mut Conn<'_>, a: &Actor| {
            triage::add_note(c, a, id, &body).map_err(ChangeError::from)
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
    path: web::Path<TipId>,
    p: Protected<LabelsForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    may_change(&state, &p.staff, id).await?;
    let labels = triage::parse_labels(p.form.labels.as_deref().unwrap_or(""));
    let change = labels.map(|labels| {
        move |c: &mut Conn<'_>, a: &Actor| {
            triage::set_labels(c, a, id, &labels).map_err(ChangeError::from)
        }
    });
    apply(&state, &p.staff, id, change).await
}
