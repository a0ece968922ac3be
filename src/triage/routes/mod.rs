//! The desk's pages over [`super`], one file each: the queue
//! (`/desk/tips`), a tip with its actions (`/desk/tips/{id}`) and the
//! messages to its reader (`/desk/tips/{id}/messages`), a case of
//! near-identical tips (`/desk/cases/{id}`). A tip of
//! a desk the user does not work for is answered 404, as if it did not
//! exist. (The audit trail's page is `crate::audit::routes`.)

mod attachment;
mod bulk;
mod case;
mod conversation;
mod export;
mod queue;
mod stats;
mod tip;

pub use attachment::download as download_attachment;
pub use bulk::bulk;
pub use case::{
    change_status as change_case_status, leave as leave_case, merge as merge_cases,
    show as show_case,
};
pub use conversation::write_to_reader;
pub use export::export;
pub use queue::{home, queue};
pub use stats::stats_page;
pub use tip::{add_note, assign, change_status, reveal_contact, set_labels, show};

use crate::web::{Format, WebError};

fn not_found() -> WebError {
    WebError::not_found(Format::Html, crate::i18n::Msg::new("desk-no-such-tip"))
}
