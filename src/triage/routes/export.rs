//! `GET /desk/tips/export.csv` and `/desk/tips/export.json`: what the
//! queue's filters select (the queue's own parameters, read by
//! [`QueueQuery::filters`]: one reading of each), streamed by
//! [`crate::triage::export`]. The reader's name and contact are added
//! with `include_contact=1`, for admins only (403 for anyone else): the
//! least privilege the tip page also keeps (`reveal_contact`).

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::queue::{blank, QueueQuery};
use crate::auth::Staff;
use crate::i18n::Msg;
use crate::state::AppState;
use crate::triage::export::{Export, Format as ExportFormat};
use crate::triage::first_look::FirstLook;
use crate::web::{Format, WebError};

/// The export's own parameter (the rest are the queue's).
#[derive(Deserialize, Default)]
struct ExportOptions {
    include_contact: Option<String>,
}

/// The address's extension: the route (`/tips/export.{format:csv|json}`)
/// matches no other, so every one it lets through names a format.
#[derive(Deserialize)]
pub struct ExportPath {
    format: ExportFormat,
}

fn forbidden(msg: &'static str) -> WebError {
    WebError::new(
        Format::Html,
        StatusCode::FORBIDDEN,
        "forbidden",
        Msg::new(msg),
    )
}

/// `GET /desk/tips/export.csv` and `GET /desk/tips/export.json`: one
/// export, in the format its extension names.
pub async fn export(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<ExportPath>,
) -> Result<HttpResponse, WebError> {
    let format = path.format;
    if !staff.sees_tips() {
        return Err(forbidden("export-no-tips"));
    }
    let query: QueueQuery = crate::web::query::parse(&req)?;
    let options: ExportOptions = crate::web::query::parse(&req)?;
    let with_contact = match blank(&options.include_contact) {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => {
            return Err(WebError::bad_request(
                Format::Html,
                Msg::new("export-bad-include-contact"),
            ))
        }
    };
    if with_contact && !staff.is_admin() {
        return Err(forbidden("export-contact-admins-only"));
    }
    let look = FirstLook::new(&state.settings.desks, crate::db::now());
    let filters = query
        .filters(&staff, &look)
        .map_err(|m| WebError::bad_request(Format::Html, m))?;
    let described = query
        .link(query.status.as_deref(), None)
        .trim_start_matches("/desk/tips?")
        .to_owned();
    let body = Export {
        pool: state.pool.clone(),
        format,
        scope: staff.desk_scope().map(<[String]>::to_vec),
        filters,
        ring: with_contact.then(|| Arc::new(state.sealing_keys.clone())),
        unreadable: staff.locale.t("tip-undecryptable"),
        actor: staff.actor(),
        described,
    }
    .start()
    .await?;
    let name = format!(
        "tips-{}.{}",
        crate::db::now().format("%Y%m%d-%H%M%S"),
        format.extension()
    );
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        // Tips' text: never kept by a cache on the way.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}
