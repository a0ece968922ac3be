//! `GET /desk/tips/{id}/attachments/{n}`: a reader's file, downloaded by
//! staff of the tip's desk (editors and viewers; anyone else gets 404,
//! as if the tip did not exist). Every download is in the audit trail,
//! written in the same transaction as the read.
//!
//! Nothing from a file is ever rendered by the browser: it is always an
//! attachment (RFC 6266), never sniffed (`nosniff`), sandboxed by CSP
//! should anything open it in a tab anyway, and kept by no cache.
//!
//! The content is streamed: [`attachments::CHUNKS_AT_ONCE`] segments are
//! read and opened at a time, each read on a pool connection taken only
//! for that read (a slow client holds no connection), and sent on before
//! the next are read. The download is audited when it starts, in the
//! transaction that finds the file. A file purged while it is being
//! downloaded ends the answer early (the connection is closed: the client
//! sees a cut-short body, never a wrong one: every segment is
//! authenticated, its place included).

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use std::sync::Arc;

use actix_web::body::SizedStream;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};

use super::not_found;
use crate::attachments::{self, cipher, ReadError};
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
                let file = attachments::open(conn, &ring, id, &reference, n)?;
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
    let stored = match read {
        Ok(Some(file)) => file,
        Ok(None) => return Err(not_found()),
        Err(ReadError::Pool(e)) => return Err(e.into()),
        Err(e) => return Err(WebError::internal(Format::Html, &e)),
    };
    let file = stored.file.clone();
    let size = u64::try_from(file.size).unwrap_or(0);
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
        .body(SizedStream::new(size, content(state, stored))))
}

/// Where a download has got to.
struct Reading {
    state: web::Data<AppState>,
    stored: Arc<attachments::Stored>,
    opener: cipher::Opener,
    next: usize,
}

/// The content of `stored`, opened [`attachments::CHUNKS_AT_ONCE`]
/// segments at a time (≤ 512 KiB in memory per download). Reading and
/// opening run on the pool's threads, not the async ones.
fn content(
    state: web::Data<AppState>,
    stored: attachments::Stored,
) -> impl futures_util::Stream<Item = Result<Bytes, ReadError>> {
    let reading = Reading {
        state,
        opener: stored.opener(),
        stored: Arc::new(stored),
        next: 0,
    };
    futures_util::stream::unfold(Some(reading), |reading| async move {
        let Reading {
            state,
            stored,
            opener,
            next,
        } = reading?;
        let last = stored.segments();
        if next >= last {
            return None;
        }
        let file = Arc::clone(&stored);
        let read = state
            .pool
            .run(move |conn| {
                let mut opener = opener;
                let batch = attachments::segments(conn, &file, next)?;
                if batch.is_empty() {
                    return Err(ReadError::Content(cipher::Damaged));
                }
                let mut clear = Vec::with_capacity(batch.len() * cipher::SEGMENT);
                for (i, segment) in batch.iter().enumerate() {
                    clear.extend(opener.open(segment, next + i + 1 == last)?);
                }
                Ok((opener, Bytes::from(clear), next + batch.len()))
            })
            .await;
        match read {
            Ok((opener, clear, next)) => Some((
                Ok(clear),
                Some(Reading {
                    state,
                    stored,
                    opener,
                    next,
                }),
            )),
            Err(e) => {
                // Headers are sent: the connection is closed mid-body.
                tracing::error!(error = %crate::telemetry::Chain(&e), "attachment download cut short");
                Some((Err(e), None))
            }
        }
    })
}
