//! Mail to a real relay: STARTTLS with the self-signed certificate a stock
//! Postfix offers (opportunistic delivers, required refuses unless
//! `mail.tls_ca_file` trusts it), QUIT when a pooled connection is retired
//! or the worker stops, and a job that goes dead logged at error and
//! counted as docs/operations.md says.

use std::time::Duration;

use crate::helpers::*;
use crate::smtp::{Reply, SmtpServer};
use crate::web::text_of;
use reqwest::StatusCode;
use serde_json::json;

const MESSAGE: &str = "The ferry schedule in the article is last year's.";

async fn one_tip(app: &TestApp) {
    let res = app
        .post_json(DEMO_ARTICLE, &json!({ "message": MESSAGE }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// Mail to `smtp` with `?tls=MODE`, trusting `ca_file` if given.
fn tls_to(s: &mut tipdesk::config::Settings, smtp: &SmtpServer, mode: &str, ca: Option<&str>) {
    smtp_to(s, &format!("{}?tls={mode}", smtp.url()));
    if let tipdesk::config::MailTransport::Smtp { tls_ca_file, .. } = &mut s.mail.transport {
        *tls_ca_file = ca.map(Into::into);
    }
}

/// Log lines written while the returned guard lives, on this thread (the
/// test's runtime runs the worker's async code here).
fn capture_logs() -> (
    std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    tracing::subscriber::DefaultGuard,
) {
    #[derive(Clone)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = Buffer(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

async fn opportunistic_tls_encrypts_with_an_unverified_certificate(backend: Backend) {
    let smtp = SmtpServer::start_tls().await;
    let app = TestApp::spawn_with(backend, |s| {
        tls_to(s, &smtp, "opportunistic", None);
        s.notify.digest_window = Duration::ZERO;
    })
    .await;
    let (logs, _guard) = capture_logs();
    let worker = app.worker();
    one_tip(&app).await;
    let pass = worker.drain().await.unwrap();
    assert_eq!(pass.emails_sent, 1, "{:?}", app.jobs());
    // A second connection: the log said it once already.
    worker.close().await;
    one_tip(&app).await;
    assert_eq!(worker.drain().await.unwrap().emails_sent, 1);
    let mail = smtp.accepted();
    assert_eq!(mail.len(), 2);
    assert!(
        mail.iter().all(|m| m.tls),
        "the messages went over STARTTLS, not in clear"
    );
    assert_eq!(
        smtp.count_reaches(SmtpServer::quits, 1).await,
        1,
        "two connections"
    );
    assert!(app.jobs().iter().all(|j| j.state == "sent"));
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let said: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("certificate is not verified (tls=opportunistic, RFC 7435)"))
        .collect();
    assert_eq!(said.len(), 1, "{logs}");
    assert!(said[0].contains(" WARN "), "{}", said[0]);
    assert!(
        said[0].contains(&format!("server=127.0.0.1:{}", smtp.addr.port())),
        "{}",
        said[0]
    );
}

async fn required_tls_refuses_a_self_signed_certificate_saying_once_where(backend: Backend) {
    let smtp = SmtpServer::start_tls().await;
    let app = TestApp::spawn_with(backend, |s| tls_to(s, &smtp, "required", None)).await;
    app.leave_jobs_unsent();
    one_tip(&app).await;
    let pass = app.worker().drain().await.unwrap();
    assert_eq!((pass.emails_sent, pass.failed), (0, 1));
    assert!(smtp.received().is_empty(), "nothing was sent unverified");
    assert_eq!(
        smtp.count_reaches(SmtpServer::failed_handshakes, 1).await,
        1
    );
    let job = &app.jobs()[0];
    assert_eq!(job.state, "retrying");
    let error = job.last_error.clone().unwrap();
    let server = format!("127.0.0.1:{}", smtp.addr.port());
    assert!(
        error.starts_with(&format!("STARTTLS with {server} failed: ")),
        "{error}"
    );
    assert_eq!(error.matches("UnknownIssuer").count(), 1, "{error}");
    assert_eq!(
        error.matches("invalid peer certificate").count(),
        1,
        "{error}"
    );
}

async fn required_tls_trusts_the_ca_in_mail_tls_ca_file(backend: Backend) {
    let smtp = SmtpServer::start_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("relay-ca.pem");
    std::fs::write(&ca, smtp.certificate_pem.as_ref().unwrap()).unwrap();
    let ca = ca.display().to_string();
    let app = TestApp::spawn_with(backend, |s| tls_to(s, &smtp, "required", Some(&ca))).await;
    one_tip(&app).await;
    let pass = app.worker().drain().await.unwrap();
    assert_eq!(pass.emails_sent, 1, "{:?}", app.jobs());
    assert!(smtp.accepted()[0].tls);

    // A file that holds no certificate stops the worker from starting,
    // naming the key.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let mut settings = app.settings.clone();
    tls_to(
        &mut settings,
        &smtp,
        "required",
        Some(&empty.display().to_string()),
    );
    let err = tipdesk::notifications::Worker::new(
        app.pool.clone(),
        std::sync::Arc::new(settings),
        std::sync::Arc::new(tokio::sync::Notify::new()),
        std::sync::Arc::new(tipdesk::ops::Metrics::new()),
    )
    .err()
    .expect("an unusable CA file is refused")
    .to_string();
    assert!(err.contains("mail.tls_ca_file"), "{err}");
}

async fn pooled_connections_are_closed_with_quit(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.digest_window = Duration::ZERO;
    })
    .await;
    let worker = app.worker();
    one_tip(&app).await;
    assert_eq!(worker.drain().await.unwrap().emails_sent, 1);
    assert_eq!(smtp.quits(), 0, "the connection is kept for the next email");
    // Retiring: a connection idle for longer than the limit is closed
    // politely (the worker retires those idle for RETIRE_AFTER).
    assert_eq!(worker.retire_idle(Duration::from_secs(3600)).await, 0);
    assert_eq!(worker.retire_idle(Duration::ZERO).await, 1);
    assert_eq!(smtp.count_reaches(SmtpServer::quits, 1).await, 1);

    // Stopping: every pooled connection says goodbye.
    one_tip(&app).await;
    assert_eq!(worker.drain().await.unwrap().emails_sent, 1);
    worker.close().await;
    assert_eq!(smtp.count_reaches(SmtpServer::quits, 2).await, 2);
}

/// The value of a sample of the metrics text, e.g.
/// `tipdesk_emails_failed_total{class="permanent"}`.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
}

/// `tipdesk serve` with JSON logs, mailing a relay that answers 451 twice
/// (`notify.max_attempts = 2`): the first failure is retried and counted
/// `transient`; the second kills the job, which is logged at error with
/// the job, its attempts and the last reply, and counted `permanent`.
/// Every line the process writes, on stdout and stderr, is JSON.
async fn a_job_that_dies_is_logged_at_error_and_counted_permanent(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.script([
        Reply::Code(451, "4.3.0 Try again later"),
        Reply::Code(451, "4.3.0 Still busy"),
    ]);
    let db = crate::testdb::TestDb::create(backend);
    let data = tempfile::tempdir().unwrap();
    let (mut child, base) = crate::process::serve(|cmd| {
        cmd.env("TIPDESK_DATABASE__URL", db.url_string())
            .env("TIPDESK_STORAGE__DATA_DIR", data.path())
            .env("TIPDESK_MAIL__TRANSPORT", "smtp")
            .env("TIPDESK_MAIL__SMTP_URL", smtp.url())
            .env("TIPDESK_NOTIFY__MAX_ATTEMPTS", "2")
            .env("TIPDESK_NOTIFY__RETRY_BASE_SECONDS", "1")
            .env("TIPDESK_NOTIFY__RETRY_MAX_SECONDS", "1")
            .env("TIPDESK_NOTIFY__POLL_SECONDS", "1")
            .env("TIPDESK_LOG__FORMAT", "json")
    })
    .await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/v1/articles/{DEMO_ARTICLE}/tips"))
        .json(&json!({ "message": MESSAGE }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", child.output_tail());
    smtp.wait_for(2, Duration::from_secs(20)).await;
    // The outcome is recorded and logged just after the reply.
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = text_of(client.get(format!("{base}/metrics"))).await;
        if sample(&metrics, "tipdesk_emails_failed_total{class=\"permanent\"}").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill();
    assert_eq!(
        sample(&metrics, "tipdesk_emails_failed_total{class=\"transient\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "tipdesk_emails_failed_total{class=\"permanent\"}"),
        Some(1.0),
        "{metrics}"
    );

    let logs = child.output();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("tipdesk is running"))),
        "the start-up banner is a JSON line too:\n{logs}"
    );
    let retried: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "delivery failed; will retry")
        .collect();
    assert_eq!(retried.len(), 1, "{logs}");
    assert_eq!(retried[0]["level"], "WARN");
    let dead: Vec<_> = lines
        .iter()
        .filter(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("notification job is dead"))
        })
        .collect();
    assert_eq!(dead.len(), 1, "{logs}");
    let dead = dead[0];
    assert_eq!(dead["level"], "ERROR");
    assert_eq!(dead["job"], "1");
    assert_eq!(dead["attempts"], 2);
    let reply = dead["last_reply"].as_str().unwrap();
    assert!(
        reply.contains("451") && reply.contains("Still busy"),
        "{reply}"
    );
}

/// Text logs written to a file (not a terminal) carry no colour codes.
async fn text_logs_into_a_file_have_no_colour_codes(backend: Backend) {
    let db = crate::testdb::TestDb::create(backend);
    let data = tempfile::tempdir().unwrap();
    let (mut child, base) = crate::process::serve(|cmd| {
        cmd.env("TIPDESK_DATABASE__URL", db.url_string())
            .env("TIPDESK_STORAGE__DATA_DIR", data.path())
            .env("TIPDESK_LOG__FORMAT", "text")
    })
    .await;
    let res = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    child.kill();
    let logs = child.output();
    assert!(logs.contains("tipdesk is listening"), "{logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "ANSI escape codes in a file:\n{logs}"
    );
}

crate::both_backends!(
    opportunistic_tls_encrypts_with_an_unverified_certificate,
    required_tls_refuses_a_self_signed_certificate_saying_once_where,
    required_tls_trusts_the_ca_in_mail_tls_ca_file,
    pooled_connections_are_closed_with_quit,
    a_job_that_dies_is_logged_at_error_and_counted_permanent,
    text_logs_into_a_file_have_no_colour_codes,
);
