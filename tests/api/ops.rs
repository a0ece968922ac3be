//! Ops: health, readiness, metrics, the queue page, retention, and logs
//! that never carry a source's words or identity.

use std::time::Duration;

use crate::helpers::*;
use crate::process::Running;
use crate::smtp::{Reply, SmtpServer};
use crate::web::text_of;
use reqwest::StatusCode;
use serde_json::json;

const MESSAGE: &str = "The bridge in Kunduz has been closed since Monday morning.";

async fn ready(app: &TestApp) -> (StatusCode, serde_json::Value) {
    let res = app.get("/readyz").await;
    let status = res.status();
    (status, res.json().await.unwrap())
}

async fn health_and_readiness_follow_the_worker(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.ops.worker_stale = Duration::from_secs(1)).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok\n");

    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(
        body["checks"]["worker"],
        "no notification worker has reported in yet"
    );

    let mut worker = Running::start(
        std::process::Command::new(env!("CARGO_BIN_EXE_tipdesk"))
            .arg("worker")
            .env_remove("TIPDESK_CONFIG")
            .env("TIPDESK_DATABASE__URL", app.db.url_string())
            .env("TIPDESK_NOTIFY__POLL_SECONDS", "1")
            .env("TIPDESK_MAIL__FILE_DIR", app.db_dir().join("mail")),
    );
    let mut became_ready = false;
    for _ in 0..50 {
        if ready(&app).await.0 == StatusCode::OK {
            became_ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(became_ready, "a running worker makes the service ready");
    assert_eq!(
        ready(&app).await.1,
        json!({"status": "ready", "checks": {"database": "ok", "outbox": "ok", "worker": "ok"}})
    );

    worker.kill();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "not_ready");
    assert!(body["checks"]["worker"]
        .as_str()
        .unwrap()
        .starts_with("no notification worker has reported in for"));
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .unwrap_or_else(|| panic!("no series {series} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

async fn metrics_count_what_happened(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.script([Reply::Code(451, "4.3.0 Try later")]);
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.worker = true;
        s.notify.digest_window = Duration::ZERO;
    })
    .await;
    app.leave_jobs_unsent();
    for kind in ["correction", "new_information"] {
        let res = app
            .post_json(DEMO_ARTICLE, &json!({"kind": kind, "message": MESSAGE}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert_eq!(
        app.post_json(DEMO_ARTICLE, &json!({"message": "short"}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    smtp.wait_for(2, Duration::from_secs(10)).await;
    // The server has answered; wait for the worker to record both outcomes.
    for _ in 0..100 {
        let states: Vec<String> = app.jobs().into_iter().map(|j| j.state).collect();
        if states.contains(&"sent".to_owned()) && states.contains(&"retrying".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let text = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        metric(&text, "tipdesk_tips_accepted_total{kind=\"correction\"}"),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "tipdesk_tips_accepted_total{kind=\"new_information\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(&text, "tipdesk_tips_rejected_total{reason=\"invalid\"}"),
        1.0
    );
    assert_eq!(metric(&text, "tipdesk_emails_sent_total"), 1.0);
    assert_eq!(
        metric(&text, "tipdesk_emails_failed_total{class=\"transient\"}"),
        1.0
    );
    assert_eq!(metric(&text, "tipdesk_outbox_jobs{state=\"sent\"}"), 1.0);
    assert_eq!(
        metric(&text, "tipdesk_outbox_jobs{state=\"retrying\"}"),
        1.0
    );
    assert!(metric(&text, "tipdesk_outbox_oldest_pending_seconds") >= 0.0);
    assert!(metric(&text, "tipdesk_worker_heartbeat_age_seconds") < 30.0);
    let route = "route=\"/api/v1/articles/{article_id}/tips\"";
    assert_eq!(
        metric(
            &text,
            &format!("tipdesk_http_requests_total{{{route},status=\"201\"}}")
        ),
        2.0
    );
    assert_eq!(
        metric(
            &text,
            &format!("tipdesk_http_requests_total{{{route},status=\"422\"}}")
        ),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            &format!("tipdesk_http_request_duration_seconds_count{{{route}}}")
        ),
        3.0
    );
    assert!(text.contains("# HELP tipdesk_outbox_jobs"));
    assert!(!text.contains("Kunduz"), "no tip text in metrics");
}

/// The attachment store against its budget: two gauges on `/metrics`
/// and a line on `/ops/queue`, read from the database (what any instance
/// stored), and the line turns to a warning once the budget is spent.
async fn the_attachment_store_is_measured_against_its_budget(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.attachments.max_store_bytes = 2_000).await;
    app.leave_jobs_unsent();
    let text = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(metric(&text, "tipdesk_attachments_store_bytes"), 0.0);
    assert_eq!(
        metric(&text, "tipdesk_attachments_store_budget_bytes"),
        2_000.0
    );
    let api = format!("/api/v1/articles/{DEMO_ARTICLE}/tips");
    let file = format!("%PDF-1.4\n% {}\n%%EOF\n", "x".repeat(1_200)).into_bytes();
    let fields = [("message", MESSAGE)];
    let res = app
        .post_multipart(&api, &fields, &[("scan.pdf", file.clone())])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let text = app.get("/metrics").await.text().await.unwrap();
    let used = file.len() as f64;
    assert_eq!(metric(&text, "tipdesk_attachments_store_bytes"), used);

    let ops = signed_in(&app, "ops@example.org", "ops", &[]).await;
    let page = Page::of(ops.get("/ops/queue").await).await;
    // Sizes are isolated (FSI ... PDI) for right-to-left pages.
    let plain = |t: String| t.replace(['\u{2068}', '\u{2069}'], "");
    let line = plain(page.text("dd#attachment-store").unwrap());
    let percent = (file.len() * 100).div_ceil(2_000);
    assert!(
        line.contains(&format!("1.2 kB of 2.0 kB ({percent} %)")),
        "{line}"
    );
    assert_eq!(page.count("dd#attachment-store.bad"), 0);

    // Past the budget: files wait (503), the page says so.
    let res = app
        .post_multipart(&api, &fields, &[("more.pdf", file.clone())])
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let rest = format!(
        "%PDF-1.4\n% {}\n%%EOF\n",
        "y".repeat(2_000 - file.len() - 18)
    );
    assert_eq!(file.len() + rest.len(), 2_000);
    let res = app
        .post_multipart(&api, &fields, &[("fits.pdf", rest.into_bytes())])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = Page::of(ops.get("/ops/queue").await).await;
    let line = plain(
        page.text("dd#attachment-store.bad")
            .expect("a spent budget is marked"),
    );
    assert!(line.contains("(100 %)"), "{line}");
    assert!(line.contains("new files get 503"), "{line}");

    // Without a budget there is no budget series to alert on.
    let unbudgeted = TestApp::spawn_with(backend, |s| s.attachments.max_store_bytes = 0).await;
    let text = unbudgeted.get("/metrics").await.text().await.unwrap();
    assert_eq!(metric(&text, "tipdesk_attachments_store_bytes"), 0.0);
    assert!(
        !text.contains("tipdesk_attachments_store_budget_bytes "),
        "{text}"
    );
    let ops = signed_in(&unbudgeted, "ops@example.org", "ops", &[]).await;
    let page = Page::of(ops.get("/ops/queue").await).await;
    let line = plain(page.text("dd#attachment-store").unwrap());
    assert!(line.starts_with("0 B (no budget"), "{line}");
}

async fn metrics_need_the_token_or_loopback(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.ops.metrics_token = Some("a-long-metrics-token-0123".to_owned().into());
    })
    .await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::UNAUTHORIZED);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("a-long-metrics-token-0123")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right
        .text()
        .await
        .unwrap()
        .contains("tipdesk_worker_heartbeat_age_seconds"));

    // Behind a proxy without a token, only loopback clients get them.
    let proxied = TestApp::spawn_with(backend, |s| {
        s.server.proxies.header = Some("x-forwarded-for".parse().unwrap())
    })
    .await;
    let outside = proxied
        .client
        .get(proxied.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), StatusCode::FORBIDDEN);
    let inside = proxied
        .client
        .get(proxied.url("/metrics"))
        .header("x-forwarded-for", "127.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(inside.status(), StatusCode::OK);
}

async fn the_queue_page_is_for_ops_and_acts_on_dead_jobs(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.refuse("desk@localhost");
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.digest_window = Duration::ZERO;
    })
    .await;
    app.leave_jobs_unsent();
    for _ in 0..2 {
        app.post_json(
            DEMO_ARTICLE,
            &json!({"message": MESSAGE, "name": "Secret Source"}),
        )
        .await;
    }
    app.worker().drain().await.unwrap();
    let jobs = app.jobs();

    let anon = DeskClient::new(&app);
    assert_eq!(anon.get("/ops/queue").await.status(), StatusCode::SEE_OTHER);
    let editor = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    assert_eq!(
        editor.get("/ops/queue").await.status(),
        StatusCode::FORBIDDEN
    );

    let ops = signed_in(&app, "ops@example.org", "ops", &[]).await;
    let res = ops.get("/ops/queue").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    assert_eq!(page.text("td#count-dead").as_deref(), Some("2"));
    assert!(page.has_text("td.error-text", "No such user here"));
    assert_eq!(page.count("svg.chart"), 1);
    // No timed reload (WCAG 2.2.1): the figures' time and a link instead.
    assert_eq!(page.count("meta[http-equiv]"), 0, "the page reloads itself");
    assert!(!page.source().contains("http-equiv"));
    assert_eq!(page.text("a#refresh").as_deref(), Some("Refresh"));
    assert_eq!(
        page.attr("a#refresh", "href").as_deref(),
        Some("/ops/queue")
    );
    assert!(page
        .text("p.as-of")
        .is_some_and(|t| t.starts_with("Figures as of ")));
    assert!(page.attr("p.as-of time", "datetime").is_some());
    for secret in ["Kunduz", "Secret Source"] {
        assert!(
            !page.all_text().contains(secret) && !page.source().contains(secret),
            "metadata only"
        );
    }
    let retry = format!("/ops/queue/jobs/{}/retry", jobs[0].id);
    assert_eq!(page.count(&format!("form[action=\"{retry}\"]")), 1);

    // The buttons need the CSRF token, and are audited.
    let forged = ops
        .client
        .post(format!("{}/ops/queue/jobs/{}/retry", ops.base, jobs[0].id))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let res = ops
        .post(&format!("/ops/queue/jobs/{}/retry", jobs[0].id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = ops
        .post(&format!("/ops/queue/jobs/{}/discard", jobs[1].id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let again = ops
        .post(&format!("/ops/queue/jobs/{}/discard", jobs[1].id), &[])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let states: Vec<String> = app.jobs().iter().map(|j| j.state.clone()).collect();
    assert_eq!(states, vec!["pending".to_owned()]);
    let actions: Vec<String> = app
        .pool
        .with(|c| tipdesk::audit::list(c, None, 50).map_err(tipdesk::db::DbError::from))
        .unwrap()
        .into_iter()
        .filter(|e| e.actor == "ops@example.org")
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"queue.retry".to_owned())
            && actions.contains(&"queue.discard".to_owned())
    );

    // The CLI prints what the page shows.
    let out = String::from_utf8_lossy(&app.cli(&["queue", "status"]).stdout).into_owned();
    assert!(out.contains("pending           1"), "{out}");
    assert!(out.contains("oldest waiting job:"), "{out}");
}

async fn purge_applies_retention_and_reports_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for _ in 0..4 {
        app.post_json(DEMO_ARTICLE, &json!({"message": MESSAGE}))
            .await;
    }
    app.worker().drain().await.unwrap();
    let old = "2020-01-01 00:00:00";
    app.execute_sql(&format!(
        "UPDATE tips SET status = 'spam', updated_at = '{old}' WHERE id = 1"
    ));
    app.execute_sql(&format!(
        "UPDATE tips SET status = 'closed', updated_at = '{old}' WHERE id = 2"
    ));
    app.execute_sql("UPDATE tips SET status = 'spam' WHERE id = 3"); // spam, but recent
    app.execute_sql(&format!(
        "UPDATE tips SET created_at = '{old}' WHERE id = 4"
    ));
    app.execute_sql(&format!(
        "UPDATE outbox SET sent_at = '{old}' WHERE tip_id IN (3, 4)"
    ));

    let out = app.cli(&["purge"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("removed 1 spam or duplicate tip(s), 1 closed tip(s), 2 delivered notification job(s); cleared 1 client hash(es)"), "{text}");
    let tips = app.tips();
    assert_eq!(
        tips.len(),
        2,
        "the old spam and the old closed tip are gone"
    );
    assert!(tips.iter().any(|t| t.client_hash.is_empty()));
    let again = String::from_utf8_lossy(&app.cli(&["purge"]).stdout).into_owned();
    assert!(again.contains("removed 0 spam"));
    let audited = app
        .pool
        .with(|c| tipdesk::audit::list(c, None, 10).map_err(tipdesk::db::DbError::from))
        .unwrap();
    assert_eq!(
        audited
            .iter()
            .filter(|e| e.action == "retention.purge")
            .count(),
        1
    );
}

async fn a_large_purge_goes_in_batches_and_misses_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    app.post_json(DEMO_ARTICLE, &json!({"message": MESSAGE}))
        .await;
    // More old spam than one batch removes, some of it already indexed.
    app.insert_bulk_tips(&BulkTips {
        count: 2345,
        message: "Old spam about a marmalade sale ",
        desk: "default",
        status: "spam",
        at: "2020-01-01 00:00:00",
    });
    app.catch_up_search_index();
    let out = app.cli(&["purge"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("removed 2345 spam or duplicate tip(s)"),
        "{text}"
    );
    assert_eq!(app.tips().len(), 1, "the reader's recent tip stays");
    if backend == Backend::Sqlite {
        assert_eq!(
            app.count_sql(
                "SELECT count(*) AS n FROM tips_search WHERE search_text LIKE '%marmalade%'"
            ),
            0,
            "purged tips leave the search index"
        );
    }
    let audited = app
        .pool
        .with(|c| tipdesk::audit::list(c, None, 10).map_err(tipdesk::db::DbError::from))
        .unwrap();
    let purges: Vec<_> = audited
        .iter()
        .filter(|e| e.action == "retention.purge")
        .collect();
    assert_eq!(purges.len(), 1, "one audit entry with the totals");
}

async fn logs_never_carry_a_source_even_at_trace_level(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let db = crate::testdb::TestDb::create(backend);
    let data = tempfile::tempdir().unwrap();
    let (mut child, base) = crate::process::serve(|cmd| {
        cmd.env("TIPDESK_SERVER__CLIENT_IP_HEADER", "X-Forwarded-For")
            .env("TIPDESK_DATABASE__URL", db.url_string())
            .env("TIPDESK_STORAGE__DATA_DIR", data.path())
            .env("TIPDESK_LIMITS__MIN_FILL_SECONDS", "0")
            .env("TIPDESK_MAIL__TRANSPORT", "smtp")
            .env("TIPDESK_MAIL__SMTP_URL", smtp.url())
            .env("TIPDESK_DESKS__DEFAULT__EXCERPT_CHARS", "0")
            .env("TIPDESK_LOG__LEVEL", "trace")
            .env("TIPDESK_LOG__FORMAT", "json")
    })
    .await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (ua, ip) = ("SecretBrowser/7.7 (MarkerUA)", "198.51.100.77");
    let page = text_of(
        client
            .get(format!("{base}/articles/{DEMO_ARTICLE}/tip"))
            .header("user-agent", ua),
    )
    .await;
    let token = field(&page, "form_token").unwrap();
    let res = client
        .post(format!("{base}/articles/{DEMO_ARTICLE}/tip"))
        .header("user-agent", ua)
        .header("x-forwarded-for", ip)
        .form(&[
            ("message", "MarkerMessage the convoy left on Tuesday"),
            ("name", "MarkerName Gulalai"),
            ("contact", "marker.contact@example.org"),
            ("consent", "on"),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client
        .post(format!("{base}/api/v1/articles/{DEMO_ARTICLE}/tips"))
        .header("user-agent", ua)
        .header("x-forwarded-for", ip)
        .json(&json!({"message": "MarkerJson a second tip", "contact": "+93 70 999 8888", "consent": true, "name": "MarkerJsonName"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // An invalid one, too: refusals must not log the input either.
    client
        .post(format!("{base}/api/v1/articles/{DEMO_ARTICLE}/tips"))
        .json(&json!({"message": "MarkerBad", "contact": "marker-bad@@x"}))
        .send()
        .await
        .unwrap();
    smtp.wait_for(1, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill();
    let logs = child.output();
    assert!(
        logs.contains("tip accepted"),
        "the logs were captured:\n{logs}"
    );
    assert!(logs.contains("\"request_id\""), "request ids are logged");
    assert!(
        logs.lines().filter(|l| l.starts_with('{')).count() > 5,
        "JSON lines"
    );
    assert_not_logged(
        &logs,
        &[
            "Marker",
            "Gulalai",
            "marker.contact",
            "+93 70 999",
            "SecretBrowser",
            "198.51.100.77",
            "convoy",
        ],
    );
}

crate::both_backends!(
    health_and_readiness_follow_the_worker,
    metrics_count_what_happened,
    metrics_need_the_token_or_loopback,
    the_attachment_store_is_measured_against_its_budget,
    the_queue_page_is_for_ops_and_acts_on_dead_jobs,
    purge_applies_retention_and_reports_it,
    a_large_purge_goes_in_batches_and_misses_nothing,
    logs_never_carry_a_source_even_at_trace_level,
);
