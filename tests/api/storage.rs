//! A full disk, or a database that refuses writes: readers get a 503 to
//! retry (the form with every word kept), `/readyz` names the cause and
//! recovers by itself, and a failing or stalled outbox shows in readiness.
//!
//! How writes are made to fail: on SQLite, the database lives on a small
//! tmpfs of its own, filled to the last byte by a filler file (the real
//! thing: SQLite answers "database or disk is full"); freeing the filler
//! is the operator freeing space. PostgreSQL's data directory cannot be
//! moved per test, so BEFORE INSERT OR UPDATE triggers on every table
//! tipdesk writes raise what a full disk raises there (SQLSTATE 53100,
//! "could not extend file ...: No space left on device"); dropping them
//! frees the space.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::helpers::*;
use crate::smtp::{Reply, SmtpServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const MESSAGE: &str = "The checkpoint was moved two kilometres north last night.";

/// Tables tipdesk writes when a tip arrives or is mailed, or when probing.
const WRITTEN: [&str; 5] = [
    "tips",
    "outbox",
    "outbox_attempts",
    "worker_heartbeats",
    "storage_probe",
];

/// A tmpfs of its own for a SQLite database (unmounted on drop).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs for the full-disk test failed (it needs root, as CI has)"
        );
        Self { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn filler(&self) -> PathBuf {
        self.dir.path().join("filler")
    }

    /// Fills every remaining byte.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.filler()).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        while f.write_all(&[0u8]).is_ok() {}
        drop(f.sync_all());
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Makes writes fail as a full disk does, and frees the space again.
enum FullDisk {
    Sqlite(SmallDisk),
    Postgres,
}

impl FullDisk {
    /// An app whose storage can fill up (SQLite: on a small tmpfs).
    async fn app(
        backend: Backend,
        adjust: impl FnOnce(&mut tipdesk::config::Settings),
    ) -> (TestApp, Self) {
        match backend {
            Backend::Sqlite => {
                let disk = SmallDisk::mount();
                let db = disk.path().join("tipdesk.db");
                let app = TestApp::spawn_with(backend, |s| {
                    s.database.url = tipdesk::config::DatabaseUrl::Sqlite(db);
                    adjust(s);
                })
                .await;
                (app, Self::Sqlite(disk))
            }
            Backend::Postgres => (TestApp::spawn_with(backend, adjust).await, Self::Postgres),
        }
    }

    fn fill(&self, app: &TestApp) {
        match self {
            Self::Sqlite(disk) => disk.fill(),
            Self::Postgres => {
                app.execute_sql(
                    "CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION 'could not extend file \"base/16384/16385\": No space left on device' \
                     USING ERRCODE = 'disk_full'; END $$;",
                );
                for table in WRITTEN {
                    app.execute_sql(&format!(
                        "CREATE TRIGGER test_disk_full BEFORE INSERT OR UPDATE ON {table} \
                         FOR EACH ROW EXECUTE FUNCTION test_disk_full();"
                    ));
                }
            }
        }
    }

    fn free(&self, app: &TestApp) {
        match self {
            Self::Sqlite(disk) => disk.free(),
            Self::Postgres => {
                for table in WRITTEN {
                    app.execute_sql(&format!("DROP TRIGGER test_disk_full ON {table};"));
                }
                app.execute_sql("DROP FUNCTION test_disk_full();");
            }
        }
    }
}

async fn ready(app: &TestApp) -> (StatusCode, Value) {
    let res = app.get("/readyz").await;
    (res.status(), res.json().await.unwrap())
}

fn heartbeat(app: &TestApp) {
    app.pool
        .with(|c| {
            tipdesk::notifications::outbox::heartbeat(c, "test-worker")
                .map_err(tipdesk::db::DbError::from)
        })
        .unwrap();
}

fn input_value(html: &str, name: &str) -> Option<String> {
    field(html, name)
}

async fn a_full_disk_is_a_503_to_retry_and_the_form_keeps_every_word(backend: Backend) {
    let (app, disk) = FullDisk::app(backend, |_| {}).await;
    app.leave_jobs_unsent();
    heartbeat(&app);
    let token = app.form_token(PAGE).await;
    assert_eq!(ready(&app).await.0, StatusCode::OK);
    disk.fill(&app);

    let res = app
        .post_json(DEMO_ARTICLE, &json!({ "message": MESSAGE }))
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "60");
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["error"], "storage_unavailable", "{answer}");

    let failed_at = Instant::now();
    let res = app
        .post_form(
            PAGE,
            &[
                ("message", MESSAGE),
                ("name", "Nasrin K."),
                ("contact", "nasrin@example.org"),
                ("consent", "on"),
                ("form_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key("retry-after"));
    let html = res.text().await.unwrap();
    assert_eq!(textarea(&html, "message").as_deref(), Some(MESSAGE));
    assert_eq!(input_value(&html, "name").as_deref(), Some("Nasrin K."));
    assert_eq!(
        input_value(&html, "contact").as_deref(),
        Some("nasrin@example.org")
    );
    assert!(
        Page::parse(&html).attr("#consent", "checked").is_some(),
        "the consent box stays ticked"
    );

    // Readiness says so within 5 seconds, and names the cause.
    let (status, body) = ready(&app).await;
    assert!(failed_at.elapsed() < Duration::from_secs(5));
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["checks"]["database"], "writes failing: disk full",
        "{body}"
    );
    assert!(app.tips().is_empty(), "nothing half-stored");

    // Space comes back: readiness recovers by itself, tips are taken.
    disk.free(&app);
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = app
        .post_form(PAGE, &[("message", MESSAGE), ("form_token", &token)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.tips().len(), 1);
}

async fn readiness_says_when_the_outbox_is_not_draining(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.ops.outbox_stale = Duration::from_secs(1);
    })
    .await;
    heartbeat(&app);
    let res = app
        .post_json(DEMO_ARTICLE, &json!({ "message": MESSAGE }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(ready(&app).await.0, StatusCode::OK, "just due is fine");
    // The worker reports in, but nothing is mailed.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    heartbeat(&app);
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["worker"], "ok");
    let outbox = body["checks"]["outbox"].as_str().unwrap();
    assert!(
        outbox.starts_with("not draining: a notification has been due for"),
        "{outbox}"
    );
    app.worker().drain().await.unwrap();
    assert_eq!(ready(&app).await.0, StatusCode::OK);
}

async fn readiness_names_the_cause_of_failing_notification_passes(backend: Backend) {
    // A pass fails only when it has something to write: one that finds
    // nothing due writes nothing, succeeds on a full disk, and rightly
    // leaves the outbox "ok". The built-in worker runs beside this test,
    // so it may mail the tip before the disk is filled (it did on a busy
    // machine: every pass after that had nothing to do). So the mail
    // server answers every message with a 451: whatever the worker has
    // done by the time the disk fills, the job comes back within a second
    // or two (its retry, or its lapsed lease), and from the first write
    // about it on, every pass fails until space comes back.
    let smtp = SmtpServer::start().await;
    smtp.script(std::iter::repeat_n(
        Reply::Code(451, "4.3.0 Try again later"),
        1000,
    ));
    let (app, disk) = FullDisk::app(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.worker = true;
        s.notify.poll = Duration::from_secs(1);
        s.notify.lease = Duration::from_secs(1);
        s.notify.max_attempts = std::num::NonZeroU32::new(1000).unwrap();
    })
    .await;
    // What this tests is readiness: the job is never mailed.
    app.leave_jobs_unsent();
    let res = app
        .post_json(DEMO_ARTICLE, &json!({ "message": MESSAGE }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    disk.fill(&app);
    app.post_json(DEMO_ARTICLE, &json!({ "message": MESSAGE }))
        .await;
    let mut last = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let (status, body) = ready(&app).await;
        last = body;
        if status == StatusCode::SERVICE_UNAVAILABLE
            && last["checks"]["outbox"].as_str().is_some_and(|o| {
                o.starts_with("notification passes failing: database query failed:")
            })
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let outbox = last["checks"]["outbox"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        outbox.starts_with("notification passes failing: database query failed:"),
        "{last}"
    );
    disk.free(&app);
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let (status, body) = ready(&app).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "never recovered: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

crate::both_backends!(
    a_full_disk_is_a_503_to_retry_and_the_form_keeps_every_word,
    readiness_says_when_the_outbox_is_not_draining,
    readiness_names_the_cause_of_failing_notification_passes,
);

/// TLS to PostgreSQL is compiled in (issue 15: libpq is built from source
/// with its own OpenSSL, not taken from the system): with
/// `sslmode=require` tipdesk starts, stores a tip, and its session is
/// encrypted, as the server itself reports. Needs a server with TLS on
/// (Debian's cluster has it, with its self-signed certificate); a libpq
/// without TLS refuses `sslmode=require` before connecting.
async fn tls_to_postgresql_is_compiled_in() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        if let tipdesk::config::DatabaseUrl::Postgres(url) = &mut s.database.url {
            let mut parsed = url::Url::parse(url).unwrap();
            parsed.query_pairs_mut().append_pair("sslmode", "require");
            *url = parsed.to_string();
        }
    })
    .await;
    let tipdesk::config::DatabaseUrl::Postgres(url) = &app.settings.database.url else {
        panic!("a PostgreSQL test app")
    };
    assert!(url.ends_with("?sslmode=require"), "{url}");
    // The app's own pool, over TLS, stores a tip.
    app.leave_jobs_unsent();
    send_tip(&app, DEMO_ARTICLE, json!({ "message": MESSAGE })).await;
    let encrypted =
        app.count_sql("SELECT count(*) AS n FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl");
    assert_eq!(encrypted, 1, "the server sees an unencrypted session");
}

crate::postgres_only!(postgres_tls: tls_to_postgresql_is_compiled_in);

/// A process whose threads hold TLS sessions to PostgreSQL exits cleanly
/// however those threads end. libpq would have OpenSSL register its
/// cleanup with atexit(3), and that cleanup raced the threads' own
/// ("double free or corruption" at the end of a green test run);
/// `tipdesk::db::pg_establish` initialises OpenSSL without it first.
/// The race lost about 1 exit in 100 with 16 threads, so a child process
/// (this test binary, running only this test) does it 200 times: without
/// the fix this fails with a probability of about 0.87.
mod postgres_exit {
    use std::process::Command;
    use std::sync::{Arc, Barrier};

    const CHILD: &str = "TIPDESK_TEST_EXIT_CHILD";
    const NAME: &str = "storage::postgres_exit::a_process_with_postgresql_threads_exits_cleanly";
    const THREADS: usize = 16;
    const RUNS: usize = 200;

    /// The child: connect on every thread (sslmode=require), then let the
    /// threads close their sessions while the main thread calls exit(3).
    fn child() -> ! {
        let admin = std::env::var("TIPDESK_TEST_POSTGRES_URL").unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.query_pairs_mut().append_pair("sslmode", "require");
        let barrier = Arc::new(Barrier::new(THREADS + 1));
        for _ in 0..THREADS {
            let (url, barrier) = (url.to_string(), barrier.clone());
            std::thread::spawn(move || {
                let conn = tipdesk::db::pg_establish(&url).unwrap();
                barrier.wait();
                drop(conn);
            });
        }
        barrier.wait();
        std::process::exit(0)
    }

    #[test]
    #[cfg_attr(
        not(tipdesk_pg),
        ignore = "PostgreSQL suite skipped: set TIPDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
    )]
    fn a_process_with_postgresql_threads_exits_cleanly() {
        if std::env::var_os(CHILD).is_some() {
            child();
        }
        let exe = std::env::current_exe().unwrap();
        for run in 1..=RUNS {
            let out = Command::new(&exe)
                .args([NAME, "--exact", "--include-ignored", "--test-threads=1"])
                .env(CHILD, "1")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "exit {run} of {RUNS}: {:?}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Sends tips `MESSAGE #i` for each `i` of `numbers`, one after another,
/// each answered 201.
async fn send_numbered_tips(app: &TestApp, numbers: std::ops::Range<usize>) {
    for i in numbers {
        send_tip(
            app,
            DEMO_ARTICLE,
            json!({ "message": format!("{MESSAGE} #{i}") }),
        )
        .await;
    }
}

/// Connections the PostgreSQL server dropped (a restart, a failover,
/// `pg_terminate_backend`) fail at most the one request that finds each
/// dead, never a second: the pool no longer runs `SELECT 1` on every
/// checkout (#19), only on one that sat idle, and throws away one a
/// statement found closed (`tipdesk::db::pg_pool`).
async fn connections_the_server_dropped_are_replaced() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.leave_jobs_unsent();
    let tipdesk::config::DatabaseUrl::Postgres(url) = &app.settings.database.url else {
        panic!("a PostgreSQL test app")
    };
    let name = url::Url::parse(url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    let pool_size = app.settings.database.pool_size.get() as usize;
    // The app at work.
    send_numbered_tips(&app, 0..8).await;
    let stored_before = count_tips(url);
    let mut sessions = Sessions::of(&name);
    // Every connection of the app in use again, just before the drop.
    send_numbered_tips(&app, 8..12).await;

    // Dropped while in steady use: each dead connection fails one request
    // at most (kept in the pool, the newest would fail them all).
    sessions.end_all();
    let answers = post_numbered_tips(&app, "after", 20).await;
    let failed = answers
        .iter()
        .filter(|s| **s != StatusCode::CREATED)
        .count();
    assert!(failed <= pool_size, "{failed} requests failed: {answers:?}");
    assert_eq!(
        count_tips(url),
        stored_before + 4 + 20 - failed as i64,
        "201s and stored tips differ"
    );

    // The same for reads outside a transaction, on the test's pool, used
    // just before the drop.
    let read = || {
        app.pool.with(|c| {
            tipdesk::db_run!(c, |c| diesel::RunQueryDsl::execute(
                diesel::sql_query("SELECT count(*) FROM tips"),
                c
            ))
            .map_err(tipdesk::db::DbError::from)
        })
    };
    // Its connections were ended with the app's above: each may fail once.
    assert!(
        (0..=pool_size).any(|_| read().is_ok()),
        "the test pool recovers"
    );
    sessions.end_all();
    let failed = (0..20).filter(|_| read().is_err()).count();
    assert!(failed <= pool_size, "{failed} of 20 reads failed");

    // Dropped while the pool was quiet: tested before being handed out,
    // so no request fails at all.
    sessions.end_all();
    tokio::time::sleep(tipdesk::db::pg_pool::TEST_AFTER_IDLE + Duration::from_millis(500)).await;
    let answers = post_numbered_tips(&app, "idle", 10).await;
    assert!(
        answers.iter().all(|s| *s == StatusCode::CREATED),
        "tips after an idle drop: {answers:?}"
    );
}

/// Posts `count` tips `MESSAGE LABEL #i`, one after another, and returns
/// their statuses in order, whatever they are.
async fn post_numbered_tips(app: &TestApp, label: &str, count: usize) -> Vec<StatusCode> {
    let mut answers = Vec::new();
    for i in 0..count {
        let res = app
            .post_json(
                DEMO_ARTICLE,
                &json!({ "message": format!("{MESSAGE} {label} #{i}") }),
            )
            .await;
        answers.push(res.status());
    }
    answers
}

#[derive(diesel::QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// An administrator's session on the test server, to end the sessions
/// of database `name` (the app's and the test pool's) with.
struct Sessions {
    admin: diesel::PgConnection,
    name: String,
}

impl Sessions {
    fn of(name: &str) -> Self {
        let admin = std::env::var("TIPDESK_TEST_POSTGRES_URL").unwrap();
        Self {
            admin: tipdesk::db::pg_establish(&admin).unwrap(),
            name: name.to_owned(),
        }
    }

    /// Ends them all, and waits until the server has let them go. Quick,
    /// so that connections used just before are still "in steady use"
    /// (`tipdesk::db::pg_pool::TEST_AFTER_IDLE`) when used again.
    fn end_all(&mut self) {
        use diesel::RunQueryDsl;
        // Listed first, then ended one by one: in one query, PostgreSQL
        // may call pg_terminate_backend before it filters by database,
        // and end other databases' sessions too.
        let ended: Vec<Pid> = diesel::sql_query(format!(
            "SELECT pid FROM pg_stat_activity WHERE datname = '{}'",
            self.name
        ))
        .load(&mut self.admin)
        .unwrap();
        assert!(!ended.is_empty(), "no session of the app to end");
        let pids: Vec<String> = ended.iter().map(|p| p.pid.to_string()).collect();
        for pid in &pids {
            diesel::sql_query(format!("SELECT pg_terminate_backend({pid})"))
                .execute(&mut self.admin)
                .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let left: Vec<Pid> = diesel::sql_query(format!(
                "SELECT pid FROM pg_stat_activity WHERE pid IN ({})",
                pids.join(",")
            ))
            .load(&mut self.admin)
            .unwrap();
            if left.is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("the server did not end the app's sessions");
    }
}

/// The tips stored in the database at `url`, counted on a connection of
/// its own (the test pool's were ended too).
fn count_tips(url: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = tipdesk::db::pg_establish(url).unwrap();
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM tips")
        .get_result(&mut conn)
        .unwrap();
    n.n
}

crate::postgres_only!(postgres_dropped_connections: connections_the_server_dropped_are_replaced);
