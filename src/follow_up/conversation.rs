//! The conversation between the desk and a reader about one tip: messages
//! in order, each sealed at rest with the privacy key ring like a reader's
//! contact (and re-sealed by `tipdesk keys rotate`), bound to its tip, its
//! place in the conversation and who wrote it — so a sealed message cannot
//! be moved to another tip, swapped with another or passed off as the
//! other side's.
//!
//! Every change is one transaction: the message, the tip's history entry
//! (who and when, never the text), the unread markers, and — for a
//! reader's message — the desk's notification in the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::config::Settings;
use crate::db::schema::{articles, tip_events, tip_messages, tip_reads, tips, users};
use crate::db::Conn;
use crate::domain::{TipId, TipMessage, TipStatus, UserId};
use crate::notifications::outbox;
use crate::privacy::SealingKeys;

use super::status::ReaderStatus;

/// Who wrote a message. The reader only ever learns "the desk", never which
/// staff member. Stored as its [`Author::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Author {
    Desk,
    Reader,
}

impl Author {
    /// The stored and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desk => "desk",
            Self::Reader => "reader",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        [Self::Desk, Self::Reader]
            .into_iter()
            .find(|a| a.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not the author of a message"))
    }

    /// The sealing field: a desk message does not open as a reader's.
    fn field(self) -> &'static str {
        match self {
            Self::Desk => "desk_message",
            Self::Reader => "reader_message",
        }
    }
}

crate::text_enum_sql!(Author);

/// What a message is sealed to: its tip and its place in the conversation.
fn bound_to(reference: &str, seq: i32) -> String {
    format!("{reference}#{seq}")
}

/// One message, opened.
#[derive(Clone)]
pub struct Message {
    /// Its place in the conversation (1, 2, ...): what a reader's files
    /// are tied to (`attachments::Listed::message_seq`).
    pub seq: i32,
    pub author: Author,
    pub at: NaiveDateTime,
    pub text: String,
    /// The staff member who wrote a desk message: for the desk's eyes only
    /// (`None` in the reader's view).
    pub by: Option<String>,
}

// The words stay out of logs, even through `{:?}`.
impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Message({}, {}, [{} chars redacted])",
            self.author.as_str(),
            self.at,
            self.text.chars().count()
        )
    }
}

/// `body` (a stored message of tip `reference`, at `seq`, by `author`)
/// sealed again with the ring's current key, for `tipdesk keys rotate`.
pub fn reseal(
    ring: &SealingKeys,
    reference: &str,
    seq: i32,
    author: Author,
    body: &str,
) -> Result<String, crate::privacy::PrivacyError> {
    let bound = bound_to(reference, seq);
    let text = ring.open(author.field(), &bound, body)?;
    Ok(ring.seal(author.field(), &bound, &text))
}

/// A tip's conversation, oldest first. With `names`, desk messages carry
/// the name of who wrote them (for the desk); without, they do not (for the
/// reader). A message the key ring cannot open is shown as `unreadable`
/// (and logged): a missing key must not hide the rest of the conversation.
pub fn load(
    conn: &mut Conn<'_>,
    ring: &SealingKeys,
    tip_id: TipId,
    reference: &str,
    names: bool,
    unreadable: &str,
) -> QueryResult<Vec<Message>> {
    type Row = (i32, Author, String, NaiveDateTime, Option<String>);
    let rows: Vec<Row> = crate::db_run!(conn, |conn| tip_messages::table
        .left_join(users::table)
        .filter(tip_messages::tip_id.eq(tip_id))
        .order(tip_messages::seq)
        .select((
            tip_messages::seq,
            tip_messages::author,
            tip_messages::body,
            tip_messages::created_at,
            users::name.nullable(),
        ))
        .load(conn))?;
    Ok(rows
        .into_iter()
        .map(|(seq, author, body, at, name)| {
            let text = ring
                .open(author.field(), &bound_to(reference, seq), &body)
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "cannot open a message of a conversation");
                    unreadable.to_owned()
                });
            Message {
                seq,
                author,
                at,
                text,
                by: if names { name } else { None },
            }
        })
        .collect())
}

/// A message about to be stored.
struct NewMessage<'a> {
    tip_id: TipId,
    /// The tip's reference, which the sealed text is bound to.
    reference: &'a str,
    author: Author,
    /// The staff member writing, for a desk message.
    user: Option<UserId>,
    text: &'a str,
    at: NaiveDateTime,
}

/// Appends a message and returns its place; the caller has locked the
/// tip's row (see [`lock_tip`]), so the next place is its own.
fn append(conn: &mut Conn<'_>, ring: &SealingKeys, m: &NewMessage<'_>) -> QueryResult<i32> {
    let last: Option<i32> = crate::db_run!(conn, |conn| tip_messages::table
        .filter(tip_messages::tip_id.eq(m.tip_id))
        .select(diesel::dsl::max(tip_messages::seq))
        .first(conn))?;
    let seq = last.unwrap_or(0) + 1;
    let body = ring.seal(m.author.field(), &bound_to(m.reference, seq), m.text);
    crate::db_run!(conn, |conn| diesel::insert_into(tip_messages::table)
        .values((
            tip_messages::tip_id.eq(m.tip_id),
            tip_messages::seq.eq(seq),
            tip_messages::author.eq(m.author),
            tip_messages::user_id.eq(m.user),
            tip_messages::body.eq(body),
            tip_messages::created_at.eq(m.at),
        ))
        .execute(conn))?;
    Ok(seq)
}

/// Locks tip `tip_id`'s row for the rest of the transaction (on
/// PostgreSQL; SQLite's write transactions are serial already), so two
/// messages written at once take consecutive places; returns its reference
/// and desk (`None`: there is no such tip, or no more).
fn lock_tip(conn: &mut Conn<'_>, tip_id: TipId) -> QueryResult<Option<(String, String)>> {
    crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip_id))
        .set(tips::updated_at.eq(tips::updated_at))
        .returning((tips::reference, tips::desk))
        .get_result(conn)
        .optional())
}

fn event(
    conn: &mut Conn<'_>,
    tip_id: TipId,
    user: Option<UserId>,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::db_run!(conn, |conn| diesel::insert_into(tip_events::table)
        .values((
            tip_events::tip_id.eq(tip_id),
            tip_events::user_id.eq(user),
            tip_events::kind.eq(kind),
            tip_events::created_at.eq(now),
        ))
        .execute(conn))?;
    Ok(())
}

/// The history entry of a reader's message (who: nobody on the desk).
pub const EVENT_READER_WROTE: &str = "reader_message";
/// The history entry of a message to the reader (who: its author).
pub const EVENT_DESK_WROTE: &str = "message_to_reader";

/// What became of a reader's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replied {
    Stored,
    /// The same words were stored moments ago (a double click, a reload of
    /// the page that sent them): kept once.
    AlreadyStored,
    /// The tip was removed (by retention) since its receipt was checked.
    Gone,
}

/// Stores the reader's `text` in tip `tip_id`'s conversation with the
/// `files` they sent with it, marks the tip unread for everyone on the
/// desk and queues the desk's notification (no text in it: a link to the
/// tip), all in one transaction: a message is never stored without its
/// files, nor a file without its message. The same words, with as many
/// files, from the reader within `limits.duplicate_window` of their last
/// message are kept once (a double click sends the files twice too).
pub fn reader_writes(
    conn: &mut Conn<'_>,
    settings: &Settings,
    ring: &SealingKeys,
    tip_id: TipId,
    text: &TipMessage,
    files: &[crate::attachments::Prepared],
) -> QueryResult<Replied> {
    let now = crate::db::now();
    let window = chrono::Duration::from_std(settings.limits.duplicate_window).unwrap_or_default();
    conn.write(|conn| {
        let Some((reference, desk)) = lock_tip(conn, tip_id)? else {
            return Ok(Replied::Gone);
        };
        let last: Option<(i32, Author, String, NaiveDateTime)> =
            crate::db_run!(conn, |conn| tip_messages::table
                .filter(tip_messages::tip_id.eq(tip_id))
                .order(tip_messages::seq.desc())
                .select((
                    tip_messages::seq,
                    tip_messages::author,
                    tip_messages::body,
                    tip_messages::created_at,
                ))
                .first(conn)
                .optional())?;
        if let Some((seq, author, body, at)) = last {
            let same = author == Author::Reader
                && at > now - window
                && ring
                    .open(Author::Reader.field(), &bound_to(&reference, seq), &body)
                    .is_ok_and(|t| t == text.as_str())
                && files_with(conn, tip_id, seq)? == files.len() as i64;
            if same {
                return Ok(Replied::AlreadyStored);
            }
        }
        let message = NewMessage {
            tip_id,
            reference: &reference,
            author: Author::Reader,
            user: None,
            text: text.as_str(),
            at: now,
        };
        let seq = append(conn, ring, &message)?;
        if !files.is_empty() {
            crate::attachments::store_for_message(conn, ring, tip_id, &reference, seq, files)?;
        }
        crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip_id))
            .set((
                tips::updated_at.eq(now),
                tips::reader_replied_at.eq(Some(now)),
            ))
            .execute(conn))?;
        // Unread again for everyone who may see it.
        crate::db_run!(conn, |conn| diesel::delete(
            tip_reads::table.filter(tip_reads::tip_id.eq(tip_id))
        )
        .execute(conn))?;
        event(conn, tip_id, None, EVENT_READER_WROTE, now)?;
        let recipients = settings
            .desks
            .get(&desk)
            .map(|d| d.emails.clone())
            .unwrap_or_default();
        let domain = settings
            .server
            .public_url
            .host_str()
            .unwrap_or("tipdesk.invalid");
        outbox::enqueue_reply(conn, tip_id, seq, &desk, &recipients, domain)?;
        Ok(Replied::Stored)
    })
}

/// How many files came with message `seq` of tip `tip_id`.
fn files_with(conn: &mut Conn<'_>, tip_id: TipId, seq: i32) -> QueryResult<i64> {
    use crate::db::schema::attachments;
    crate::db_run!(conn, |conn| attachments::table
        .filter(attachments::tip_id.eq(tip_id))
        .filter(attachments::message_seq.eq(seq))
        .count()
        .get_result(conn))
}

/// Stores a desk member's message to the reader of tip `tip_id`, with its
/// history entry and audit record (who and when, not the text), in one
/// transaction. The caller has checked `text` (see [`check_desk_text`]) and
/// that the tip has a receipt (its reader could not read it otherwise).
pub fn desk_writes(
    conn: &mut Conn<'_>,
    ring: &SealingKeys,
    actor: &Actor,
    tip_id: TipId,
    text: &str,
) -> QueryResult<()> {
    let now = crate::db::now();
    conn.write(|conn| {
        let (reference, _) = lock_tip(conn, tip_id)?.ok_or(diesel::result::Error::NotFound)?;
        let message = NewMessage {
            tip_id,
            reference: &reference,
            author: Author::Desk,
            user: actor.id,
            text,
            at: now,
        };
        append(conn, ring, &message)?;
        // The reader has their answer: the queue's badge goes.
        crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip_id))
            .set((
                tips::updated_at.eq(now),
                tips::reader_replied_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn))?;
        event(conn, tip_id, actor.id, EVENT_DESK_WROTE, now)?;
        audit::record(
            conn,
            actor,
            "tip.message_to_reader",
            &format!("tip:{tip_id}"),
            "",
        )
    })
}

/// A message to the reader: any text up to 10,000 characters, kept as
/// written; one made only of invisible characters is none.
pub fn check_desk_text(text: &str) -> Result<(), crate::i18n::Msg> {
    if crate::domain::graphemes::is_blank(text) {
        return Err(crate::i18n::Msg::new("desk-to-reader-empty"));
    }
    crate::domain::check_text(text, "to_reader", TipMessage::MAX_CHARS, true)
}

/// The article a tip is about, as the reader's view shows it.
#[derive(Debug, Clone)]
pub struct ArticleRef {
    pub id: String,
    pub title: String,
    pub url: String,
    pub language: Option<String>,
}

/// Everything the reader may see of their tip — and nothing else: not the
/// desk's notes, assignee, labels, history, or who on the desk wrote.
#[derive(Debug, Clone)]
pub struct ReaderTip {
    /// The tip's row id, for the server's own use: never shown.
    pub id: TipId,
    pub reference: String,
    pub status: ReaderStatus,
    pub created_at: NaiveDateTime,
    pub published_url: Option<String>,
    pub article: ArticleRef,
    pub messages: Vec<Message>,
    /// The files the reader sent: with the tip (`message_seq` `None`) and
    /// with their follow-up messages (each names its message).
    pub files: Vec<crate::attachments::Listed>,
}

impl ReaderTip {
    /// The files that came with the tip itself.
    pub fn tip_files(&self) -> impl Iterator<Item = &crate::attachments::Listed> {
        self.files.iter().filter(|f| f.message_seq.is_none())
    }

    /// The files that came with message `seq`.
    pub fn files_of(&self, seq: i32) -> impl Iterator<Item = &crate::attachments::Listed> {
        self.files
            .iter()
            .filter(move |f| f.message_seq == Some(seq))
    }
}

/// The reader's view of tip `tip_id`; `unreadable` stands in for a message
/// the key ring cannot open.
pub fn reader_tip(
    conn: &mut Conn<'_>,
    ring: &SealingKeys,
    tip_id: TipId,
    unreadable: &str,
) -> QueryResult<Option<ReaderTip>> {
    type Row = (
        String,
        TipStatus,
        NaiveDateTime,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
    );
    let row: Option<Row> = crate::db_run!(conn, |conn| tips::table
        .inner_join(articles::table)
        .filter(tips::id.eq(tip_id))
        .select((
            tips::reference,
            tips::status,
            tips::created_at,
            tips::published_url,
            articles::id,
            articles::title,
            articles::url,
            articles::language,
        ))
        .first(conn)
        .optional())?;
    let Some((reference, status, created_at, published_url, id, title, url, language)) = row else {
        return Ok(None);
    };
    let messages = load(conn, ring, tip_id, &reference, false, unreadable)?;
    // A file the ring cannot open is left out (and logged), as a message
    // is shown as unreadable: the rest of the conversation still shows.
    let files = match crate::attachments::list(conn, ring, tip_id, &reference) {
        Ok(files) => files,
        Err(crate::attachments::ReadError::Db(e)) => return Err(e),
        Err(e) => {
            tracing::error!(error = %e, "cannot open the files of a conversation");
            Vec::new()
        }
    };
    let status = ReaderStatus::of(
        status,
        messages.last().map(|m| m.author),
        published_url.is_some(),
    );
    Ok(Some(ReaderTip {
        id: tip_id,
        reference,
        status,
        created_at,
        published_url,
        article: ArticleRef {
            id,
            title,
            url,
            language,
        },
        messages,
        files,
    }))
}
