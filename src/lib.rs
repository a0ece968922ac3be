//! tipdesk: the service behind a newsroom's "Know more about this story?"
//! box. Readers send tips about an article; the desk that owns the
//! article's section is told and triages them.
//!
//! Capabilities: [`submission`] (readers), [`follow_up`] (readers coming
//! back with their receipt), [`notifications`] (the desk's
//! email), [`triage`] (the desk's dashboard), [`auth`] (staff accounts),
//! [`attachments`] (files sent with tips), [`audit`], [`ops`] (queue, health, metrics, retention), [`articles`]; over shared [`db`], [`domain`], [`config`], [`i18n`], [`web`].

pub mod app;
pub mod articles;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod follow_up;
pub mod fuzzing;
pub mod i18n;
pub mod notifications;
pub mod ops;
pub mod owner_only;
pub mod privacy;
pub mod secrets;
pub mod state;
pub mod submission;
pub mod telemetry;
pub mod triage;
pub mod web;
