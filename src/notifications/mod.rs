//! Telling the desk that a tip arrived. Submission writes jobs to the
//! outbox inside its own transaction; the worker mails them, retrying what
//! fails for a reason that may pass and keeping what fails for good.

pub mod email;
pub mod mailer;
pub mod outbox;
pub mod smtp;
pub mod wake;
pub mod worker;

pub use worker::Worker;
