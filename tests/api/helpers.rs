//! `TestApp::spawn`: the real application on a random port, with a fresh
//! database of its own (a SQLite file in a temporary folder, or a new
//! PostgreSQL database), driven over HTTP.
//!
//! Everything a test's app writes (database, keys, mail files) stays in
//! its scratch folder: never the checkout's `var/`, where a developer's
//! own instance keeps its data. A test that leaves desk notifications
//! unsent fails when its app is dropped, unless it says so with
//! [`TestApp::leave_jobs_unsent`] (as crates.io's `TestApp` does).
//! `TEST_LOG=1 cargo test ...` shows the app's logs (`RUST_LOG` filters
//! them); each test's lines are printed only when that test fails.

use std::collections::HashMap;

use diesel::prelude::*;
use tipdesk::app::Application;
use tipdesk::config::Settings;
use tipdesk::db::{schema, Pool};

pub const DEMO_ARTICLE: &str = "csto-extremist-groups-afghanistan";
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

pub use crate::testdb::{Backend, TestDb};

/// Runs each named `async fn(Backend)` once per engine: `sqlite::NAME` and
/// `postgres::NAME`. The PostgreSQL ones are ignored, with the reason
/// shown, unless TIPDESK_TEST_POSTGRES_URL was set at build time.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                #[cfg_attr(
                    not(tipdesk_pg),
                    ignore = "PostgreSQL suite skipped: set TIPDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
                )]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )+
        }
    };
}

/// Runs each named `async fn()` that tests PostgreSQL itself (TLS, plans,
/// sessions the server ends) once, as `MODULE::NAME`, ignored with the
/// reason shown unless TIPDESK_TEST_POSTGRES_URL was set at build time,
/// as [`both_backends`]'s PostgreSQL half is.
#[macro_export]
macro_rules! postgres_only {
    ($module:ident: $($name:ident),+ $(,)?) => {
        mod $module {
            $(
                #[tokio::test]
                #[cfg_attr(
                    not(tipdesk_pg),
                    ignore = "PostgreSQL suite skipped: set TIPDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
                )]
                async fn $name() {
                    super::$name().await
                }
            )+
        }
    };
}

/// Settings for a test: loopback on a free port, the given database, a
/// fixed secret, no form delay and limits high enough not to interfere.
pub fn test_settings(db: &TestDb, data_dir: &std::path::Path) -> Settings {
    let env: HashMap<String, String> = [
        ("TIPDESK_SERVER__BIND", "127.0.0.1:0".to_owned()),
        ("TIPDESK_SERVER__WORKERS", "1".to_owned()),
        ("TIPDESK_DATABASE__URL", db.url_string()),
        ("TIPDESK_DATABASE__POOL_SIZE", "4".to_owned()),
        ("TIPDESK_STORAGE__DATA_DIR", data_dir.display().to_string()),
        (
            "TIPDESK_MAIL__FILE_DIR",
            data_dir.join("mail").display().to_string(),
        ),
        ("TIPDESK_SECURITY__SECRET_KEY", SECRET.to_owned()),
        ("TIPDESK_LIMITS__MIN_FILL_SECONDS", "0".to_owned()),
        ("TIPDESK_LIMITS__PER_CLIENT_PER_MINUTE", "10000".to_owned()),
        ("TIPDESK_LIMITS__PER_CLIENT_BURST", "10000".to_owned()),
        // Tests send the same tip many times on purpose; the duplicate
        // check has tests of its own.
        ("TIPDESK_LIMITS__DUPLICATE_WINDOW_MINUTES", "0".to_owned()),
        // Likewise many tips on one article; surge mode has its own test.
        ("TIPDESK_LIMITS__ARTICLE_SURGE_PER_10MIN", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Settings::load_from(None, env).expect("test settings are valid")
}

/// A running tipdesk and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: Pool,
    pub settings: Settings,
    handle: actix_web::dev::ServerHandle,
    pub db: TestDb,
    _data: tempfile::TempDir,
    /// Set by [`TestApp::leave_jobs_unsent`].
    unsent_expected: std::sync::atomic::AtomicBool,
}

/// With `TEST_LOG` set, the app's logs go to the test's output (shown for
/// the tests that fail); `RUST_LOG` chooses what (default: `info`).
fn init_test_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_test_writer()
                .try_init();
        }
    });
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], after `adjust` has changed the settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        init_test_log();
        let db = TestDb::create(backend);
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = test_settings(&db, data.path());
        // Tests drive delivery themselves (see `TestApp::worker`) unless
        // they turn the built-in worker back on.
        settings.notify.worker = false;
        adjust(&mut settings);
        let app = Application::build(settings.clone()).expect("application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        // The app's links follow the port it took; the test's copy of the
        // settings (for workers run by hand) says the same.
        settings.server.public_url = app.public_url().clone();
        let handle = app.handle();
        tokio::spawn(app.run());
        let pool = Pool::connect(&settings.database).expect("test pool");
        Self {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            pool,
            settings,
            handle,
            db,
            _data: data,
            unsent_expected: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Says that this test leaves desk notifications in the outbox on
    /// purpose (it is about the tip, not its email): dropping the app
    /// then does not fail the test.
    pub fn leave_jobs_unsent(&self) {
        self.unsent_expected
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Outbox jobs not yet sent nor given up on (pending, in flight or
    /// waiting to retry), as (id, state).
    pub fn unsent_jobs(&self) -> Vec<(i64, String)> {
        self.jobs()
            .into_iter()
            .filter(|j| !matches!(j.state.as_str(), "sent" | "dead"))
            .map(|j| (j.id, j.state))
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Fetches the form and returns the signed token it carries.
    pub async fn form_token(&self, form_path: &str) -> String {
        let body = self.get(form_path).await.text().await.expect("form body");
        field(&body, "form_token").expect("form has a token")
    }

    /// Posts `fields` as a browser would (urlencoded).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST form")
    }

    /// Fetches a fresh token, then posts the form with it.
    pub async fn submit_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.form_token(path).await;
        let mut all = fields.to_vec();
        all.push(("form_token", &token));
        self.post_form(path, &all).await
    }

    pub async fn post_json(&self, article: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/articles/{article}/tips")))
            .json(body)
            .send()
            .await
            .expect("POST json")
    }

    /// Opens a tip's conversation with its receipt through the API
    /// (`POST /api/v1/follow-up`), as `client` (another loopback address,
    /// say); [`Self::client`] is the reader's usual one.
    pub async fn open_receipt(&self, client: &reqwest::Client, receipt: &str) -> reqwest::Response {
        client
            .post(self.url("/api/v1/follow-up"))
            .json(&serde_json::json!({ "receipt": receipt }))
            .send()
            .await
            .expect("POST follow-up")
    }

    /// Posts `text` fields and `files` (name, bytes) as
    /// `multipart/form-data`, the files as `attachments` parts.
    pub async fn post_multipart(
        &self,
        path: &str,
        text: &[(&str, &str)],
        files: &[(&str, Vec<u8>)],
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in text {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(name.to_string())
                .mime_str("application/octet-stream")
                .expect("mime");
            form = form.part("attachments", part);
        }
        self.client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .expect("POST multipart")
    }

    /// Posts a raw body with `content_type`: for bodies no client library
    /// would build.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("POST raw")
    }

    /// Every stored tip, oldest first, with name and contact decrypted
    /// (see [`TestApp::raw_tips`] for what the database holds).
    pub fn tips(&self) -> Vec<StoredTip> {
        let ring = self.sealing_keys();
        self.raw_tips()
            .into_iter()
            .map(|mut t| {
                t.name = t
                    .name
                    .map(|v| ring.open("name", &t.reference, &v).expect("open name"));
                t.contact = t.contact.map(|v| {
                    ring.open("contact", &t.reference, &v)
                        .expect("open contact")
                });
                t
            })
            .collect()
    }

    /// The keys this app seals readers' names and contacts with.
    pub fn sealing_keys(&self) -> tipdesk::privacy::SealingKeys {
        tipdesk::privacy::SealingKeys::load(
            self.settings.privacy.encryption_keys.as_ref(),
            &self.settings.storage.data_dir,
        )
        .expect("sealing keys")
    }

    /// Every stored tip exactly as the database holds it.
    pub fn raw_tips(&self) -> Vec<StoredTip> {
        self.pool
            .with(|conn| {
                Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| schema::tips::table
                    .order(schema::tips::id)
                    .select((
                        schema::tips::reference,
                        schema::tips::article_id,
                        schema::tips::desk,
                        schema::tips::kind,
                        schema::tips::message,
                        schema::tips::quote,
                        schema::tips::reader_name,
                        schema::tips::contact,
                        schema::tips::consent,
                        schema::tips::client_hash,
                    ))
                    .load::<StoredTip>(conn))?)
            })
            .expect("read tips")
    }

    /// Outbox jobs as (tip reference, desk, recipient, state).
    pub fn outbox(&self) -> Vec<(String, String, String, String)> {
        self.pool
            .with(|conn| {
                Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| schema::outbox::table
                    .inner_join(schema::tips::table)
                    .order(schema::outbox::id)
                    .select((
                        schema::tips::reference,
                        schema::outbox::desk,
                        schema::outbox::recipient,
                        schema::outbox::state,
                    ))
                    .load(conn))?)
            })
            .expect("read outbox")
    }

    /// A scratch folder that lives as long as the app.
    pub fn db_dir(&self) -> std::path::PathBuf {
        self._data.path().to_path_buf()
    }

    /// A notification worker on this app's database and settings.
    pub fn worker(&self) -> tipdesk::notifications::Worker {
        tipdesk::notifications::Worker::new(
            self.pool.clone(),
            std::sync::Arc::new(self.settings.clone()),
            std::sync::Arc::new(tokio::sync::Notify::new()),
            std::sync::Arc::new(tipdesk::ops::Metrics::new()),
        )
        .expect("worker")
    }

    /// Every outbox job, oldest first.
    pub fn jobs(&self) -> Vec<Job> {
        self.pool
            .with(|conn| {
                Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| schema::outbox::table
                    .order(schema::outbox::id)
                    .select((
                        schema::outbox::id,
                        schema::outbox::tip_id,
                        schema::outbox::recipient,
                        schema::outbox::message_id,
                        schema::outbox::state,
                        schema::outbox::attempts,
                        schema::outbox::last_error,
                        schema::outbox::claimed_by,
                    ))
                    .load::<Job>(conn))?)
            })
            .expect("read jobs")
    }

    /// Errors recorded for a job's attempts, in order.
    pub fn attempt_errors(&self, job_id: i64) -> Vec<(String, Option<String>)> {
        self.pool
            .with(|conn| {
                Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| {
                    schema::outbox_attempts::table
                        .filter(schema::outbox_attempts::job_id.eq(job_id))
                        .order(schema::outbox_attempts::id)
                        .select((
                            schema::outbox_attempts::outcome,
                            schema::outbox_attempts::error,
                        ))
                        .load(conn)
                })?)
            })
            .expect("read attempts")
    }

    /// Runs `tipdesk ARGS` against this app's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_with(args, &[])
    }

    /// Like [`TestApp::cli`], with more environment variables.
    pub fn cli_with(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_tipdesk"))
            .args(args)
            .envs(env.iter().copied())
            .env_remove("TIPDESK_CONFIG")
            .env("TIPDESK_DATABASE__URL", self.db.url_string())
            .env("TIPDESK_SECURITY__SECRET_KEY", SECRET)
            .env("TIPDESK_STORAGE__DATA_DIR", self.db_dir())
            .env("TIPDESK_MAIL__FILE_DIR", self.db_dir().join("mail"))
            // Whatever else the command writes by default lands here too.
            .current_dir(self.db_dir())
            .output()
            .expect("run tipdesk")
    }

    /// Runs `tipdesk keys rotate`, which must succeed; returns what it
    /// printed and the id of the new current key.
    pub fn rotate_keys(&self) -> (String, String) {
        let out = self.cli(&["keys", "rotate"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let key = text
            .split("current key: ")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_else(|| panic!("no current key in {text:?}"))
            .to_owned();
        (text, key)
    }

    /// Runs raw SQL against the app's database (test set-up only).
    pub fn execute_sql(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        self.pool
            .with(|conn| {
                Ok::<_, tipdesk::db::DbError>(
                    tipdesk::db_run!(conn, |conn| conn.batch_execute(sql))?
                )
            })
            .expect("execute SQL");
    }
}

/// Adds a desk owning `section`, mailed at `email`.
pub fn add_desk(s: &mut Settings, key: &str, section: &str, email: &str) {
    s.desks.insert(
        key.into(),
        tipdesk::config::DeskSettings {
            name: section.into(),
            emails: vec![email.into()],
            sections: vec![section.into()],
            excerpt_chars: 0,
            locale: None,
            first_look_hours: std::num::NonZeroU32::new(24).expect("24"),
        },
    );
}

/// An article as `tipdesk articles import` reads it: at
/// `https://news.example/{id}`, with no language of its own.
pub fn article(id: &str, title: &str, section: &str) -> tipdesk::articles::ArticleRecord {
    tipdesk::articles::ArticleRecord {
        id: id.into(),
        title: title.into(),
        url: format!("https://news.example/{id}"),
        section: section.into(),
        language: None,
    }
}

impl TestApp {
    /// Adds or updates `records`, as `tipdesk articles import` does.
    pub fn import_articles(&self, records: Vec<tipdesk::articles::ArticleRecord>) {
        let articles: Vec<_> = records
            .into_iter()
            .map(|r| r.parse().expect("a valid article"))
            .collect();
        self.pool
            .with(|c| tipdesk::articles::upsert_all(c, &articles))
            .expect("import articles");
    }
}

/// Tips written straight into the database, many at once.
pub struct BulkTips<'a> {
    pub count: u32,
    /// Each tip's message is this, then its number.
    pub message: &'a str,
    pub desk: &'a str,
    pub status: &'a str,
    /// Created and last changed then.
    pub at: &'a str,
}

impl TestApp {
    /// Inserts `bulk.count` tips on the demo article in one statement.
    pub fn insert_bulk_tips(&self, bulk: &BulkTips<'_>) {
        let BulkTips {
            count,
            message,
            desk,
            status,
            at,
        } = bulk;
        // The folded copy as tipdesk writes it (the appended digits fold
        // to themselves).
        let folded = tipdesk::domain::folding::fold(message);
        self.execute_sql(&format!(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) \
             INSERT INTO tips (reference, article_id, desk, kind, message, search_text, consent, status, client_hash, created_at, updated_at) \
             SELECT 'TD-BULK-{status}-' || CAST(n AS TEXT), '{DEMO_ARTICLE}', '{desk}', 'other', \
                    '{message}' || CAST(n AS TEXT), '{folded}' || CAST(n AS TEXT), FALSE, '{status}', '', '{at}', '{at}' FROM seq"
        ));
    }

    /// Brings SQLite's search index up to date (a no-op on PostgreSQL).
    pub fn catch_up_search_index(&self) {
        self.pool
            .with(|c| {
                while tipdesk::triage::search::index_pending(c, 1000)? > 0 {}
                Ok::<_, tipdesk::db::DbError>(())
            })
            .expect("index the tips");
    }

    /// The number a `SELECT count(*) AS n ...` answers.
    pub fn count_sql(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.pool
            .with(|conn| {
                let row: N =
                    tipdesk::db_run!(conn, |conn| diesel::sql_query(sql).get_result(conn))?;
                Ok::<_, tipdesk::db::DbError>(row.n)
            })
            .expect("count SQL")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and let the workers (and their pools) go before
        // the database is dropped.
        drop(self.handle.stop(false));
        // A failing test has already said what went wrong.
        if std::thread::panicking()
            || self
                .unsent_expected
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        let unsent = self.unsent_jobs();
        assert!(
            unsent.is_empty(),
            "the test left {} desk notifications unsent (id, state): {:?}{}. \
             Deliver them (app.worker().drain()) and check what was sent, or \
             call app.leave_jobs_unsent() if the email is not what it tests.",
            unsent.len(),
            &unsent[..unsent.len().min(5)],
            if unsent.len() > 5 { " ..." } else { "" },
        );
    }
}

/// Fails, showing the first lines that hold it, if any of `markers` is
/// anywhere in `logs` (privacy: no tip text, contact, receipt, address or
/// browser in the logs).
pub fn assert_not_logged(logs: &str, markers: &[&str]) {
    for marker in markers {
        assert!(
            !logs.contains(marker),
            "{marker} reached the log:\n{}",
            logs.lines()
                .filter(|l| l.contains(marker))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Mail over SMTP to `server`, with quick retries for tests.
pub fn smtp_to(settings: &mut Settings, url: &str) {
    settings.mail.transport = tipdesk::config::MailTransport::Smtp {
        url: url.to_owned().into(),
        username: None,
        password: None,
        tls_ca_file: None,
        timeout: std::time::Duration::from_secs(5),
        max_connections: 2,
    };
    settings.notify.retry_base = std::time::Duration::from_secs(1);
    settings.notify.retry_max = std::time::Duration::from_secs(2);
}

#[derive(Debug, Clone, Queryable)]
pub struct Job {
    pub id: i64,
    pub tip_id: i64,
    pub recipient: String,
    pub message_id: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub claimed_by: Option<String>,
}

#[derive(Debug, Queryable)]
pub struct StoredTip {
    pub reference: String,
    pub article_id: String,
    pub desk: String,
    pub kind: String,
    pub message: String,
    pub quote: Option<String>,
    pub name: Option<String>,
    pub contact: Option<String>,
    pub consent: bool,
    pub client_hash: String,
}

/// A page as a browser's HTML parser reads it (entities decoded, the
/// newline after `<textarea>` dropped), queried with CSS selectors.
///
/// Tests ask the element they mean (`h1`, the error summary, a field's
/// error, a form's `action`) rather than search the source, so a message
/// in the wrong place or mangled markup fails. A check that something is
/// *absent* asks the whole page: [`Page::all_text`] and [`Page::source`].
pub struct Page {
    html: scraper::Html,
    source: String,
}

impl Page {
    pub fn parse(html: &str) -> Self {
        Self {
            html: scraper::Html::parse_document(html),
            source: html.to_owned(),
        }
    }

    /// Reads a response's body as a page.
    pub async fn of(res: reqwest::Response) -> Self {
        Self::parse(&res.text().await.expect("page body"))
    }

    /// The HTML exactly as it was served (for checks that something is
    /// nowhere in it, and for failure messages).
    pub fn source(&self) -> &str {
        &self.source
    }

    fn all<'a>(&'a self, css: &str) -> impl Iterator<Item = scraper::ElementRef<'a>> + 'a {
        let selector = scraper::Selector::parse(css)
            .unwrap_or_else(|e| panic!("bad CSS selector {css:?}: {e}"));
        self.html.select(&selector).collect::<Vec<_>>().into_iter()
    }

    /// Attribute `attr` of the first element matching `css`.
    pub fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.all(css).next()?.attr(attr).map(str::to_owned)
    }

    /// Attribute `attr` of every element matching `css`, in page order
    /// (elements without it are skipped).
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        self.all(css)
            .filter_map(|e| e.attr(attr).map(str::to_owned))
            .collect()
    }

    /// The text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Option<String> {
        Some(self.all(css).next()?.text().collect())
    }

    /// The text of every element matching `css`, in page order.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.all(css).map(|e| e.text().collect()).collect()
    }

    /// Whether some element matching `css` has `needle` in its text.
    pub fn has_text(&self, css: &str, needle: &str) -> bool {
        self.all(css)
            .any(|e| e.text().collect::<String>().contains(needle))
    }

    /// Every text the document holds (title and body), joined: what a
    /// check that something is nowhere on the page reads.
    pub fn all_text(&self) -> String {
        self.html.root_element().text().collect()
    }

    /// The `<h1>`'s text, trimmed.
    pub fn heading(&self) -> String {
        self.text("h1")
            .unwrap_or_else(|| panic!("the page has no h1: {}", self.source))
            .trim()
            .to_owned()
    }

    /// The `<title>`'s text.
    pub fn title(&self) -> String {
        self.text("title").expect("the page has a title")
    }

    /// The page's notice (`p.notice`: a refusal, or what just happened),
    /// trimmed.
    pub fn notice(&self) -> Option<String> {
        self.text("p.notice").map(|t| t.trim().to_owned())
    }

    /// The error shown beside form field `field` (`#FIELD-error`), trimmed.
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.text(&format!("#{field}-error"))
            .map(|t| t.trim().to_owned())
    }

    /// What the error summary at the top of a refused form lists: its
    /// notice, then each problem, trimmed.
    pub fn error_summary(&self) -> Vec<String> {
        self.texts(".error-summary #form-notice, .error-summary li")
            .into_iter()
            .map(|t| t.trim().to_owned())
            .collect()
    }

    /// The tips the desk's queue lists (`tr[data-tip]`), by id, in order.
    pub fn listed_tips(&self) -> Vec<i64> {
        self.attrs("table.queue tr[data-tip]", "data-tip")
            .iter()
            .map(|id| id.parse().expect("a tip id"))
            .collect()
    }

    /// The queue's count link for `status`, as read: its name and number,
    /// e.g. `"New 57"`.
    pub fn status_count(&self, status: &str) -> Option<String> {
        self.text(&format!("p.counts a[data-status=\"{status}\"]"))
    }

    /// Whether one of the error summary's lines (see
    /// [`Page::error_summary`]) says `needle`.
    pub fn summary_says(&self, needle: &str) -> bool {
        self.error_summary()
            .iter()
            .any(|line| line.contains(needle))
    }

    /// How many elements match `css`.
    pub fn count(&self, css: &str) -> usize {
        self.all(css).count()
    }

    /// What the form field `name` holds, as a browser would send it: an
    /// input's value, a textarea's text, a select's chosen option.
    pub fn field(&self, name: &str) -> Option<String> {
        let css = format!("[name=\"{name}\"]");
        let element = self.all(&css).next()?;
        match element.value().name() {
            "textarea" => Some(element.text().collect()),
            "select" => {
                let chosen = scraper::Selector::parse("option[selected]").ok()?;
                let option = element.select(&chosen).next()?;
                option.attr("value").map(str::to_owned)
            }
            _ => element.attr("value").map(str::to_owned),
        }
    }

    /// The page's `<html lang dir>`.
    pub fn lang_dir(&self) -> (String, String) {
        (
            self.attr("html", "lang").expect("html lang"),
            self.attr("html", "dir").expect("html dir"),
        )
    }
}

/// The value of the form field `name` in `html` (see [`Page::field`]).
pub fn field(html: &str, name: &str) -> Option<String> {
    Page::parse(html).field(name)
}

/// The page's `<html lang dir>`.
pub fn html_lang_dir(html: &str) -> (String, String) {
    Page::parse(html).lang_dir()
}

/// `text` as a page shows it to a browser: HTML reads every line break
/// (CR LF, or a CR alone) as LF before parsing (HTML, "Preprocessing the
/// input stream"), and a form sends each back as CR LF.
pub fn as_read(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The text of `<textarea name="NAME">` as a browser shows it: a line
/// break right after the opening tag is not part of it (HTML, "The
/// textarea element").
pub fn textarea(html: &str, name: &str) -> Option<String> {
    let page = Page::parse(html);
    page.text(&format!("textarea[name=\"{name}\"]"))
}

/// Creates a staff account directly (as `tipdesk user add` does) and
/// returns its password.
pub fn add_user(app: &TestApp, email: &str, role: &str, desks: &[&str]) -> String {
    use secrecy::ExposeSecret;
    let desks: Vec<String> = desks.iter().map(|d| (*d).to_owned()).collect();
    let name = email.split('@').next().unwrap_or(email);
    let user = tipdesk::auth::users::NewUser::parse(&app.settings, email, name, role, &desks)
        .expect("valid user");
    let password = tipdesk::auth::password::generate();
    let hash = tipdesk::auth::password::hash(&password).expect("hash");
    app.pool
        .with(|c| tipdesk::auth::users::add(c, &user, &hash, &tipdesk::audit::Actor::cli()))
        .expect("add user");
    password.expose_secret().to_owned()
}

/// A browser-like client for the desk: its own cookie jar, and the CSRF
/// token of its session.
pub struct DeskClient {
    pub client: reqwest::Client,
    pub base: String,
}

impl DeskClient {
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: app.address.clone(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    /// Signs in through the login form; returns the response to the POST.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        crate::web::desk_login(&self.client, &self.base, email, password).await
    }

    /// The session's CSRF token, read from a desk page.
    pub async fn csrf(&self) -> String {
        let page = self
            .get("/desk/tips")
            .await
            .text()
            .await
            .expect("tips page");
        field(&page, "csrf_token").expect("session csrf")
    }

    /// Posts a desk form with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf().await;
        let mut all = fields.to_vec();
        all.push(("csrf_token", &csrf));
        self.client
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }
}

// The desk's tests (auth, triage, audit) share a newsroom of two desks.

/// A tip the desk tests send (in Cyrillic: text in any script is kept).
pub const DESK_MESSAGE: &str = "Схема моста в статье неверна; мост закрыт с понедельника.";

/// An app with two desks: "international" owns the demo article, the
/// default desk owns everything else (here, a Sport article).
pub async fn newsroom(backend: Backend) -> TestApp {
    newsroom_with(backend, |_| {}).await
}

/// [`newsroom`] with its settings adjusted after the desks are added.
pub async fn newsroom_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let app = TestApp::spawn_with(backend, |s| {
        add_desk(s, "international", "International", "intl@example.org");
        adjust(s);
    })
    .await;
    app.import_articles(vec![tipdesk::articles::ArticleRecord {
        url: "https://news.example/sport/derby".into(),
        ..article("derby-report", "Derby ends in a draw", "Sport")
    }]);
    app
}

/// Sends a tip through the API and returns its id in the database.
pub async fn send_tip(app: &TestApp, article: &str, body: serde_json::Value) -> i64 {
    let res = app.post_json(article, &body).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    app.jobs().last().unwrap().tip_id
}

/// The value of the assignee option showing `name`.
pub fn option_for(page: &str, name: &str) -> String {
    let page = Page::parse(page);
    let value = page
        .all("select[name=\"assignee\"] option")
        .find(|o| o.text().collect::<String>() == name)
        .and_then(|o| o.attr("value"))
        .unwrap_or_else(|| panic!("no assignee option shows {name}"))
        .to_owned();
    value
}

/// The `name=value` of the cookie a response sets (its attributes left
/// out).
pub fn session_cookie(res: &reqwest::Response) -> String {
    let set = res.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// A desk client signed in to a new account with `role` for `desks`.
pub async fn signed_in(app: &TestApp, email: &str, role: &str, desks: &[&str]) -> DeskClient {
    let password = add_user(app, email, role, desks);
    let desk = DeskClient::new(app);
    let res = desk.login(email, &password).await;
    assert_eq!(
        res.status(),
        reqwest::StatusCode::SEE_OTHER,
        "login of {email}"
    );
    desk
}

/// `res`, once it is known to be 201 Created; otherwise the test fails
/// showing the status and the body that came instead.
pub async fn created(res: reqwest::Response) -> reqwest::Response {
    if res.status() != reqwest::StatusCode::CREATED {
        let status = res.status();
        panic!(
            "{status} instead of 201: {}",
            res.text().await.unwrap_or_default()
        );
    }
    res
}
