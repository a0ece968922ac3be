#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! The reader's pages in a real headless Chromium, driven over WebDriver:
//! what a person sees, types and clicks, against the real app on SQLite.
//!
//! Needs Debian's chromium and chromium-driver: `scripts/install-browser`.

// The HTTP suite's helpers; this crate uses only part of them.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../common/smtp.rs"]
mod smtp;
#[path = "../common/testdb.rs"]
mod testdb;
#[allow(dead_code)] // the helpers' sign-in reads it
#[path = "../common/web.rs"]
mod web;

#[allow(dead_code)] // a toolkit for this crate's tests: not all of it is used yet
mod driver;

use helpers::{Backend, TestApp};

/// The app on SQLite, refusing forms sent within a second of being served
/// (as in production, only shorter), so the tests wait like a reader.
async fn spawn_app() -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, |s| s.limits.min_fill_seconds = 1).await
}

/// Lets just over `limits.min_fill_seconds` pass since the form was
/// served; sooner and the form comes back as sent by a bot.
async fn take_time_to_write(app: &TestApp) {
    let min = std::time::Duration::from_secs(app.settings.limits.min_fill_seconds);
    tokio::time::sleep(min + std::time::Duration::from_millis(250)).await;
}

mod accessibility;
mod attachments;
mod desk;
mod embed;
mod follow_up;
mod keyboard;
mod languages;
mod screens;
mod tip_form;
