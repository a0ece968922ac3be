//! A backlog larger than any one statement may carry: SQLite refuses more
//! than 32,766 bound values in a statement and PostgreSQL more than
//! 65,535, so every statement built from a list of jobs must take it in
//! bounded pieces. The backlogs are written straight into the database
//! (posting 70,000 tips would take minutes).

use std::time::Duration;

use crate::helpers::*;
use crate::smtp::SmtpServer;

const WHEN: &str = "2026-01-01 00:00:00";

/// `n` tips, each with one job for `desk@localhost` in `state`, due long ago.
fn backlog(app: &TestApp, n: u32, state: &str) {
    app.insert_bulk_tips(&BulkTips {
        count: n,
        message: "A tip from the flood, number ",
        desk: "default",
        status: "new",
        at: WHEN,
    });
    app.execute_sql(&format!(
        "INSERT INTO outbox (tip_id, desk, recipient, message_id, state, attempts, \
                             next_attempt_at, digest, created_at, updated_at) \
         SELECT id, 'default', 'desk@localhost', '<bulk-' || CAST(id AS TEXT) || '@test>', \
                '{state}', 0, '{WHEN}', FALSE, '{WHEN}', '{WHEN}' FROM tips"
    ));
}

fn jobs_in(app: &TestApp, state: &str) -> i64 {
    app.count_sql(&format!(
        "SELECT count(*) AS n FROM outbox WHERE state = '{state}'"
    ))
}

/// 40,000 jobs for one address: more than SQLite takes in one statement.
/// The digest that gathers them used to fail on every pass ("too many SQL
/// variables"), leaving them pending for good.
async fn a_flood_past_the_engines_limits_drains_in_one_digest(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.digest_window = Duration::from_secs(20);
    })
    .await;
    backlog(&app, 40_000, "pending");
    let pass = app.worker().drain().await.expect("every pass succeeds");
    assert_eq!(pass.emails_sent, 1, "one digest for the whole flood");
    assert_eq!(jobs_in(&app, "sent"), 40_000);
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM outbox_attempts WHERE outcome = 'sent'"),
        40_000,
        "every job's attempt is recorded"
    );
    let mail = smtp.accepted();
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0].header("Subject").unwrap(),
        "40,000 new tips on 1 article"
    );
}

/// 70,000 dead jobs, more than either engine takes in one statement,
/// revived by one command.
async fn retrying_every_dead_job_of_a_huge_backlog(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    backlog(&app, 70_000, "dead");
    let out = app.cli(&["queue", "retry", "--all-dead"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("70000 job(s)"));
    assert_eq!(jobs_in(&app, "pending"), 70_000);
    assert_eq!(jobs_in(&app, "dead"), 0);
}

crate::both_backends!(
    a_flood_past_the_engines_limits_drains_in_one_digest,
    retrying_every_dead_job_of_a_huge_backlog,
);
