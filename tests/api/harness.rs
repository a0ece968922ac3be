//! The harness holds the suite to its own rules: a test's app writes only
//! into its scratch folder, and a test that leaves desk notifications
//! unsent fails unless it says so.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use serde_json::json;

use crate::helpers::*;

/// The checkout: where a developer's own instance keeps `var/`.
fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn in_scratch(path: &Path, scratch: &Path) -> bool {
    path.is_absolute() && path.starts_with(scratch) && !path.starts_with(checkout())
}

#[test]
fn a_test_app_keeps_every_file_it_writes_in_its_scratch_folder() {
    let db = TestDb::create(Backend::Sqlite);
    let scratch = tempfile::tempdir().unwrap();
    let settings = test_settings(&db, scratch.path());
    assert!(
        in_scratch(&settings.storage.data_dir, scratch.path()),
        "data dir {:?}",
        settings.storage.data_dir
    );
    match &settings.mail.transport {
        tipdesk::config::MailTransport::File(dir) => {
            assert!(in_scratch(dir, scratch.path()), "mail files go to {dir:?}")
        }
        other => panic!("tests mail to files unless told otherwise, not {other:?}"),
    }
    match &db.url {
        tipdesk::config::DatabaseUrl::Sqlite(file) => {
            assert!(
                file.is_absolute() && !file.starts_with(checkout()),
                "{file:?}"
            )
        }
        tipdesk::config::DatabaseUrl::Postgres(_) => unreachable!("a SQLite test database"),
    }
}

#[tokio::test]
async fn a_served_tipdesk_runs_outside_the_checkout() {
    let db = TestDb::create(Backend::Sqlite);
    let data = tempfile::tempdir().unwrap();
    let (child, _base) = crate::process::serve(|cmd| {
        cmd.env("TIPDESK_DATABASE__URL", db.url_string())
            .env("TIPDESK_STORAGE__DATA_DIR", data.path())
    })
    .await;
    // Where its default paths (`var/mail`, ...) would land.
    let cwd = std::fs::read_link(format!("/proc/{}/cwd", child.id())).unwrap();
    assert!(!cwd.starts_with(checkout()), "runs in {cwd:?}");
}

/// Dropping `app` as the end of a test does: `Err` with the failure's
/// text when the drop fails the test.
fn drop_app(app: TestApp) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(move || drop(app))).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

/// An app with one tip accepted, its desk email waiting in the outbox.
async fn app_with_a_tip(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": "The bridge reopened on Friday."}),
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    app
}

async fn a_tip_whose_email_was_never_sent_fails_the_test(backend: Backend) {
    let app = app_with_a_tip(backend).await;
    let job = app.jobs()[0].id;
    let failure = drop_app(app).expect_err("a test that sent no email fails");
    assert!(
        failure.contains("left 1 desk notifications unsent"),
        "{failure}"
    );
    assert!(
        failure.contains(&format!("({job}, \"pending\")")),
        "{failure}"
    );
}

async fn a_test_that_says_so_may_leave_its_email_unsent(backend: Backend) {
    let app = app_with_a_tip(backend).await;
    app.leave_jobs_unsent();
    assert_eq!(drop_app(app), Ok(()));
}

async fn a_test_that_delivered_its_email_passes(backend: Backend) {
    let app = app_with_a_tip(backend).await;
    assert_eq!(app.worker().drain().await.unwrap().emails_sent, 1);
    // File transport: the message is in the app's own scratch folder.
    let mail: Vec<_> = std::fs::read_dir(app.db_dir().join("mail"))
        .unwrap()
        .collect();
    assert_eq!(mail.len(), 1);
    assert_eq!(drop_app(app), Ok(()));
}

crate::both_backends!(
    a_tip_whose_email_was_never_sent_fails_the_test,
    a_test_that_says_so_may_leave_its_email_unsent,
    a_test_that_delivered_its_email_passes,
);
