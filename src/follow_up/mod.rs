//! The reader's follow-up: with the receipt shown once when they sent their
//! tip, a reader comes back — no account, no cookie, no contact — to read
//! the tip's status and talk with the desk (`/follow-up`, its embed, and
//! `/api/v1/follow-up` for newsrooms' own front ends). SecureDrop and
//! GlobaLeaks give sources the same kind of secret; here it is digits
//! only, in the reader's language, and checked so that guessing it is
//! hopeless (see [`access`]).
//!
//! The receipt travels between the reader's pages only in the bodies of
//! POSTed forms (a hidden field), never in an address, a cookie or a
//! `Referer`, and every page that holds it is `no-store`; the embed works
//! in a third-party iframe for the same reason (browsers drop such frames'
//! cookies). The reader sees the reference, the article, a status in
//! words ([`status`]) and the conversation ([`conversation`]) — never the
//! desk's notes, assignee, labels, history, or who on the desk wrote.

pub mod access;
pub mod api;
pub mod conversation;
pub mod published;
pub mod receipts;
pub mod routes;
pub mod status;
pub mod throttle;

use serde::Deserialize;

use crate::attachments::Upload;
use crate::db::DbError;
use crate::domain::{TipId, TipMessage};
use crate::state::AppState;
use crate::submission::{AcceptError, FieldErrors};

pub use access::Access;
pub use conversation::{ReaderTip, Replied};

/// A reader's message as sent, before any check: the page's form and the
/// API's JSON carry the same field. (Files come as `attachments` parts of
/// a multipart body, read next to it: `attachments::multipart`.)
#[derive(Default, Clone, Deserialize)]
pub struct ReplyInput {
    pub message: Option<String>,
}

// The reader's words never reach a log, even through `{:?}`.
impl std::fmt::Debug for ReplyInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplyInput([redacted])")
    }
}

impl ReplyInput {
    /// The message, under the same rules as a tip's message.
    pub fn parse(&self) -> Result<TipMessage, FieldErrors> {
        TipMessage::parse(self.message.as_deref().unwrap_or("")).map_err(|m| {
            let mut errors = FieldErrors::new();
            errors.insert("message", m);
            errors
        })
    }
}

/// The reader's view of tip `tip_id` (`None` if it was removed since its
/// receipt was checked).
pub async fn view(state: &AppState, tip_id: TipId) -> Result<Option<ReaderTip>, DbError> {
    let ring = state.sealing_keys.clone();
    let unreadable = crate::i18n::current().t("follow-up-unreadable");
    state
        .pool
        .query(move |conn| conversation::reader_tip(conn, &ring, tip_id, &unreadable))
        .await
}

/// Stores the reader's message on tip `tip_id`, with the `files` they
/// sent with it (checked against the store's budget and encrypted first,
/// as a tip's are: `submission::prepare_files`), and wakes this
/// process's notification worker for the desk's email.
///
/// # Errors
/// [`AcceptError::Files`] when the store-wide budget cannot take the
/// files (nothing is stored); [`AcceptError::Db`] when storage fails.
pub async fn reply(
    state: &AppState,
    tip_id: TipId,
    text: TipMessage,
    files: Vec<Upload>,
) -> Result<Replied, AcceptError> {
    let count = files.len();
    let prepared = crate::submission::prepare_files(state, files).await?;
    let settings = state.settings.clone();
    let ring = state.sealing_keys.clone();
    let replied = state
        .pool
        .query(move |conn| {
            conversation::reader_writes(conn, &settings, &ring, tip_id, &text, &prepared)
        })
        .await?;
    if replied == Replied::Stored {
        state.wake.notify_one();
        tracing::info!(attachments = count, "a reader wrote to the desk");
    }
    Ok(replied)
}
