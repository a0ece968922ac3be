//! The reader's half of tipdesk: the form, its checks, and storing a tip
//! together with the desk's notification.

pub mod input;
pub mod rate_limit;
pub mod routes;

use diesel::prelude::*;

use crate::articles::Article;
use crate::config::Settings;
use crate::db::schema::tips;
use crate::db::{Conn, DbError};
use crate::domain::{TipReference, TipStatus};
use crate::notifications::outbox;
use crate::web::client::ClientKey;

pub use input::{FieldErrors, TipInput, ValidTip};

#[derive(Insertable)]
#[diesel(table_name = tips)]
struct NewTip<'a> {
    reference: &'a str,
    article_id: &'a str,
    desk: &'a str,
    kind: &'a str,
    message: &'a str,
    quote: Option<&'a str>,
    reader_name: Option<&'a str>,
    contact: Option<&'a str>,
    contact_kind: Option<&'a str>,
    consent: bool,
    status: &'a str,
    client_hash: &'a str,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// Stores `tip` and queues the desk's notification in one transaction.
/// When this returns `Ok`, both are durable; on `Err`, neither exists.
pub fn store(
    conn: &mut Conn<'_>,
    settings: &Settings,
    article: &Article,
    tip: &ValidTip,
    client: &ClientKey,
) -> Result<TipReference, DbError> {
    let (desk_key, desk) = settings.desk_for_section(&article.section);
    let mail_domain = settings
        .server
        .public_url
        .host_str()
        .unwrap_or("tipdesk.invalid");
    // A reference collision is a one-in-2^60 event; try again with a new one.
    let mut attempts = 0;
    loop {
        let reference = TipReference::generate();
        let now = crate::db::now();
        let row = NewTip {
            reference: reference.as_str(),
            article_id: &article.id,
            desk: desk_key,
            kind: tip.kind.as_str(),
            message: tip.message.as_str(),
            quote: tip.quote.as_ref().map(|q| q.as_str()),
            reader_name: tip.name.as_ref().map(|n| n.as_str()),
            contact: tip.contact.as_ref().map(|c| c.as_str()),
            contact_kind: tip.contact.as_ref().map(|c| c.kind()),
            consent: tip.consent,
            status: TipStatus::New.as_str(),
            client_hash: client.as_str(),
            created_at: now,
            updated_at: now,
        };
        let result = crate::db_write!(conn => {
            let tip_id: i64 = crate::db_run!(conn => diesel::insert_into(tips::table)
                .values(&row)
                .returning(tips::id)
                .get_result(conn))?;
            outbox::enqueue_tip(conn, tip_id, desk_key, &desk.emails, mail_domain)?;
            Ok::<_, diesel::result::Error>(())
        });
        match result {
            Ok(()) => return Ok(reference),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) if attempts < 3 => attempts += 1,
            Err(e) => return Err(e.into()),
        }
    }
}
