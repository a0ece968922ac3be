//! `GET /desk/tips/{id}/attachments/{n}`: a reader's file, downloaded by
//! staff of the tip's desk (editors and viewers; anyone else gets 404,
//! as if the tip did not exist). Every download is in the audit trail,
//! written in the same transaction as the read.
//!
//! Nothing from a file is ever rendered by the browser: it is always an
//! attachment (RFC 6266), never sniffed (`nosniff`), sandboxed by CSP
//! should anything open it in a tab anyway, and kept by no cache.

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{web, HttpResponse};

use super::not_found;
use crate::attachments::{self, ReadError};
use crate::audit;
use crate::auth::Staff;
use crate::db::schema::tips;
use crate::domain::TipId;
use crate::state::AppState;
use crate::triage;
use crate::web::{Format, WebError};

/// `GET /desk/tips/{id}/attachments/{n}`
pub async fn download(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(TipId, i32)>,
) -> Result<HttpResponse, WebError> {
    let (id, n) = path.into_inner();
    state
        .pool
        .query(move |conn| triage::desk_of(conn, id))
        .await?
        .filter(|d| staff.sees_desk(d))
        .ok_or_else(not_found)?;
    let actor = staff.actor();
    let ring = state.sealing_keys.clone();
    let read = state
        .pool
        .run(move |conn| {
            conn.write(|conn| {
                use diesel::prelude::*;
                let reference: String = crate::db_run!(conn, |conn| tips::table
                    .find(id)
                    .select(tips::reference)
                    .first(conn))?;
                let file = attachments::read(conn, &ring, id, &reference, n)?;
                if file.is_some() {
                    // The file's place, never its name: the trail is read
                    // by more people than the tip.
                    audit::record(
                        conn,
                        &actor,
                        "tip.attachment_downloaded",
                        &format!("tip:{id}"),
                        &format!("attachment {n}"),
                    )?;
                }
                Ok::<_, ReadError>(file)
            })
        })
        .await;
    let (file, content) = match read {
        Ok(Some(file)) => file,
        Ok(None) => return Err(not_found()),
        Err(ReadError::Pool(e)) => return Err(e.into()),
        Err(e) => return Err(WebError::internal(Format::Html, &e)),
    };
    let name = file.name.as_str();
    // RFC 6266 §4.3: `filename*` (RFC 8187, UTF-8) for every name, and a
    // plain `filename` with the non-ASCII left out for old clients.
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type(file.file_type.mime())
        .insert_header(disposition)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; frame-ancestors 'none'",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(content))
}
