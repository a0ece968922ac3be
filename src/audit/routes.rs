//! `GET /desk/audit`: the audit trail, newest first, for admins.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::Staff;
use crate::state::AppState;
use crate::web::{html_no_store, Format, WebError};

/// Entries per page.
const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "desk/audit.html")]
struct AuditPage<'a> {
    l: crate::i18n::Locale,
    staff: &'a Staff,
    entries: Vec<super::Entry>,
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
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    if !staff.is_admin() {
        return Err(WebError::new(
            Format::Html,
            StatusCode::FORBIDDEN,
            "forbidden",
            crate::i18n::Msg::new("desk-audit-admins-only"),
        ));
    }
    let before = crate::web::query::parse::<AuditQuery>(&req)?.before;
    let entries = state
        .pool
        .query(move |conn| super::list(conn, before, PAGE + 1))
        .await?;
    let more = entries.len() as i64 > PAGE;
    let entries: Vec<super::Entry> = entries.into_iter().take(PAGE as usize).collect();
    let next = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(html_no_store(
        StatusCode::OK,
        &AuditPage {
            l: staff.locale,
            staff: &staff,
            entries,
            next,
        },
    ))
}
