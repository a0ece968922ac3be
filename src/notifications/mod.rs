//! Telling the desk that a tip arrived. Submission writes jobs to the
//! outbox inside its own transaction; delivery reads them from there.

pub mod outbox;
