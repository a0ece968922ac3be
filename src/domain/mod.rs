//! Typed values a tip is made of. Input is parsed into these once, at the
//! edge; past that point nothing re-validates a raw string.
//!
//! Parsers never alter what a reader wrote: text is accepted exactly as
//! given or refused with a message the reader can act on.

mod article_id;
mod contact;
mod email;
mod file_type;
pub mod folding;
pub mod graphemes;
mod ids;
mod language;
mod receipt;
mod sensitive;
mod text;
mod tip;

pub use article_id::ArticleId;
pub use contact::Contact;
pub use email::{EmailAddress, EmailProblem};
pub use file_type::FileType;
pub use ids::{CaseId, JobId, TipId, UserId};
pub use language::Language;
pub use receipt::Receipt;
pub use sensitive::Sensitive;
pub(crate) use text::check_text;
pub use text::{Quote, ReaderName, TipMessage};
pub use tip::{TipKind, TipReference, TipStatus};
