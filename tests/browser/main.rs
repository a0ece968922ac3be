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

#[allow(dead_code)] // a toolkit for this crate's tests: not all of it is used yet
mod driver;

mod accessibility;
mod desk;
mod embed;
mod follow_up;
mod keyboard;
mod languages;
mod screens;
mod tip_form;
