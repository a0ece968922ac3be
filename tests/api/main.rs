#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! The HTTP test suite: the real app, a fresh database per test, on SQLite
//! and (when configured) PostgreSQL.

#[path = "../common/feed_server.rs"]
mod feed_server;
mod helpers;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/smtp.rs"]
mod smtp;
#[path = "../common/testdb.rs"]
mod testdb;
#[path = "../common/web.rs"]
mod web;

mod articles;
mod attachments;
mod audit;
mod auth;
mod backlog;
mod cases;
mod cms;
mod desk_languages;
mod desk_pages;
mod feeds;
mod files;
mod follow_up;
mod harness;
mod hostile;
mod http;
mod languages;
mod notifications;
mod ops;
mod photo_metadata;
mod privacy;
mod proxy;
mod relay;
mod reply_attachments;
mod schema;
mod security;
mod signed_embeds;
mod storage;
mod submission;
mod text;
mod totp;
mod triage;
mod triage_bulk;
mod triage_export;
mod triage_glance;
mod triage_reminders;
mod triage_stats;
