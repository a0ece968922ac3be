//! The published correction: when an editor closes a correction as
//! published (moves it to actioned or closed), they may give the address
//! of the published correction, and the reader's view links to it.

use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::db::schema::tips;
use crate::db::Conn;
use crate::domain::{TipId, TipKind, TipStatus};
use crate::i18n::Msg;
use crate::triage::ChangeError;

/// Longest address accepted (browsers and proxies handle about this much).
const MAX_LEN: usize = 2_000;

/// An absolute `http`/`https` URL, as typed (trimmed); `None` when blank.
pub fn parse(raw: &str) -> Result<Option<url::Url>, Msg> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .filter(|_| raw.len() <= MAX_LEN)
        .map(Some)
        .ok_or_else(|| Msg::new("desk-published-url-invalid"))
}

/// Records `url` as where tip `tip_id`'s correction was published, with an
/// audit entry. Only a correction, and only as it moves to `to` = actioned
/// or closed: anything else is refused with the reason.
pub fn record(
    conn: &mut Conn<'_>,
    actor: &Actor,
    tip_id: TipId,
    to: TipStatus,
    url: &url::Url,
) -> Result<(), ChangeError> {
    conn.write(|conn| {
        let kind: TipKind = crate::db_run!(conn, |conn| tips::table
            .find(tip_id)
            .select(tips::kind)
            .first(conn))?;
        let publishing = matches!(to, TipStatus::Actioned | TipStatus::Closed);
        if kind != TipKind::Correction || !publishing {
            return Err(ChangeError::Invalid(Msg::new(
                "desk-published-url-not-here",
            )));
        }
        crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip_id))
            .set(tips::published_url.eq(Some(url.as_str())))
            .execute(conn))?;
        audit::record(
            conn,
            actor,
            "tip.published_url",
            &format!("tip:{tip_id}"),
            url.as_str(),
        )?;
        Ok(())
    })
}

/// Where tip `tip_id`'s correction was published, if it was.
pub fn of(conn: &mut Conn<'_>, tip_id: TipId) -> QueryResult<Option<String>> {
    Ok(crate::db_run!(conn, |conn| tips::table
        .find(tip_id)
        .select(tips::published_url)
        .first::<Option<String>>(conn)
        .optional())?
    .flatten())
}
