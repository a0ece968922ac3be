//! Wiring, and nothing else: builds the shared state ([`AppState`]) and the
//! background tasks, declares every route in one table, and runs the server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use actix_web::dev::Server;
use actix_web::error::{InternalError, JsonPayloadError};
use actix_web::http::StatusCode;
use actix_web::{guard, middleware, web, HttpRequest, HttpServer, ResponseError};

use crate::articles;
use crate::config::Settings;
use crate::db::Pool;
use crate::i18n::Msg;
use crate::notifications::Worker;
use crate::ops::Metrics;
use crate::privacy::SealingKeys;
use crate::secrets::HmacKeys;
use crate::state::AppState;
use crate::submission::{self, rate_limit::SubmissionLimiter};
use crate::web::{self as webutil, Format, WebError};

/// A running tipdesk: the HTTP server and its background tasks.
pub struct Application {
    port: u16,
    public_url: url::Url,
    no_accounts: bool,
    server: Server,
    /// The built-in notification worker, to close its mail connections
    /// when the server stops.
    worker: Option<Worker>,
}

impl Application {
    /// Opens the database (migrating it), binds the listener and prepares
    /// the server. Nothing is served until [`Application::run`].
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        crate::i18n::check()?;
        crate::owner_only::restrict(&settings)?;
        let pool = Pool::connect(&settings.database)?;
        let hmac_keys = HmacKeys::load(
            settings.security.secret_key.as_ref(),
            &settings.storage.data_dir,
        )?;
        let sealing_keys = SealingKeys::load(
            settings.privacy.encryption_keys.as_ref(),
            &settings.storage.data_dir,
        )?;
        if settings.demo.seed_article {
            if let Some(id) = pool.with(articles::seed_demo)? {
                tracing::info!(article = %id, "seeded the demo article");
            }
        }
        // Read once at start: the console's hint for a first run.
        let no_accounts = !pool
            .with(|c| Ok::<_, crate::db::DbError>(crate::auth::users::any(c)?))
            .unwrap_or(true);
        let listener = TcpListener::bind(settings.server.bind).map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {} (server.bind): {e}",
                settings.server.bind
            )
        })?;
        let bound = listener.local_addr()?;
        let port = bound.port();
        let mut settings = settings;
        // `bind` may name port 0: links follow the port actually taken.
        settings.server.settle_public_url(bound);
        let public_url = settings.server.public_url.clone();
        let settings = Arc::new(settings);
        let wake = Arc::new(Notify::new());
        let metrics = Arc::new(Metrics::new());
        let worker = if settings.notify.worker {
            let worker = Worker::new(
                pool.clone(),
                settings.clone(),
                wake.clone(),
                metrics.clone(),
            )?;
            tokio::spawn(worker.clone().run());
            // Reminders are notifications: they are looked for wherever
            // desk email is delivered from.
            tokio::spawn(crate::triage::reminder::run(
                pool.clone(),
                settings.clone(),
                metrics.clone(),
            ));
            Some(worker)
        } else {
            None
        };
        if !settings.articles.feeds.is_empty() {
            let poller = articles::feeds::FeedPoller::new(
                pool.clone(),
                Arc::new(settings.articles.clone()),
                metrics.clone(),
            )?;
            tokio::spawn(poller.run());
        }
        tokio::spawn(retention_loop(
            pool.clone(),
            settings.clone(),
            metrics.clone(),
        ));
        let tip_writer = submission::writer::TipWriter::start(
            pool.clone(),
            metrics.clone(),
            crate::triage::search::index_pending,
        )?;
        let state = web::Data::new(AppState {
            limiter: SubmissionLimiter::new(&settings.limits),
            settings,
            pool,
            hmac_keys,
            wake,
            metrics,
            sealing_keys,
            articles: articles::ArticleCache::default(),
            tip_writer,
        });
        let workers = match state.settings.server.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let limiter = state.limiter.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.forget_idle();
            }
        });
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(state.clone())
                .configure(|cfg| routes(cfg, state.settings.server.max_body_bytes))
                .wrap(middleware::from_fn(webutil::body_deadline::middleware))
                .wrap(middleware::from_fn(crate::i18n::request::middleware))
                .wrap(middleware::from_fn(webutil::headers::middleware))
                .wrap(middleware::from_fn(webutil::request_id::middleware))
        })
        .workers(workers)
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            public_url,
            no_accounts,
            server,
            worker,
        })
    }

    /// Stops the server from outside (tests, embedders).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The port actually bound (useful when `server.bind` asks for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// No staff account existed when the server was built (a first run).
    pub fn has_no_accounts(&self) -> bool {
        self.no_accounts
    }

    /// `server.public_url`, or the address listened on when it is not set.
    pub fn public_url(&self) -> &url::Url {
        &self.public_url
    }

    /// Serves until the process is asked to stop, then says QUIT on the
    /// worker's idle mail connections.
    pub async fn run(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(worker) = self.worker {
            worker.close().await;
        }
        served
    }
}

/// Applies the retention settings a minute after start-up (out of the way
/// of start-up itself) and every hour after that.
async fn retention_loop(pool: Pool, settings: Arc<Settings>, metrics: Arc<Metrics>) {
    let first = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut tick = tokio::time::interval_at(first, Duration::from_secs(3600));
    loop {
        tick.tick().await;
        // Purging writes too (SQLite's WAL grows before space is freed):
        // while storage refuses writes, readers' tips come first.
        while metrics.health.background_should_wait() {
            tracing::info!("retention waits: writes are failing or failed lately");
            tokio::time::sleep(Duration::from_secs(300)).await;
        }
        let r = settings.retention.clone();
        let actor = crate::audit::Actor {
            id: None,
            label: "retention".into(),
        };
        match pool
            .query(move |c| crate::ops::retention::purge(c, &r, &actor))
            .await
        {
            Ok(done) => tracing::info!(%done, "retention applied"),
            Err(e) => tracing::warn!(error = %e, "retention failed; will try again in an hour"),
        }
    }
}

/// A route for `GET` that answers `HEAD` too, with the same status and
/// headers: load balancers and uptime checkers ask with `HEAD` (RFC 9110
/// §9.3.2). actix drops the body of an answer to `HEAD` on the wire and
/// keeps its `Content-Length`.
fn get() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Every route tipdesk serves, in one place. Every page and document is
/// declared with [`get`], never `get()`, so it answers `HEAD` too.
pub fn routes(cfg: &mut web::ServiceConfig, max_body: usize) {
    use crate::auth::routes as auth;
    use crate::follow_up::{api as follow_up_api, routes as follow_up};
    use crate::ops::routes as ops;
    use crate::triage::routes as desk;
    use submission::routes as tip;

    let form = web::PayloadConfig::new(max_body);
    let json = web::JsonConfig::default()
        .limit(max_body)
        .content_type_required(true)
        .error_handler(json_error);
    let path = web::PathConfig::default().error_handler(|err, _| {
        InternalError::from_response(
            err,
            WebError::not_found(Format::Html, Msg::new("error-no-page")).error_response(),
        )
        .into()
    });

    cfg.app_data(path)
        .route("/", get().to(webutil::landing::page))
        .route("/static/tipdesk.css", get().to(webutil::stylesheet))
        .route("/static/desk-keys.js", get().to(webutil::desk_keys_js))
        .route("/favicon.svg", get().to(webutil::favicon))
        .route("/embed.js", get().to(webutil::embed_js))
        .route("/embed-frame.js", get().to(webutil::embed_frame_js))
        .route("/favicon.ico", get().to(webutil::favicon))
        .route("/healthz", get().to(ops::healthz))
        .route("/readyz", get().to(ops::readyz))
        .route("/metrics", get().to(ops::metrics))
        .service(
            web::scope("/ops")
                .app_data(web::PayloadConfig::new(max_body))
                .route("/queue", get().to(ops::queue))
                .route("/queue/jobs/{id}/{action}", web::post().to(ops::act)),
        )
        .service(
            web::resource("/articles/{article_id}/tip")
                .app_data(form.clone())
                .route(get().to(tip::form_page))
                .route(web::post().to(tip::submit_page)),
        )
        .service(
            web::resource("/embed/articles/{article_id}/tip")
                .app_data(form.clone())
                .route(get().to(tip::form_embed))
                .route(web::post().to(tip::submit_embed)),
        )
        .service(
            web::resource("/follow-up")
                .app_data(form.clone())
                .route(get().to(follow_up::form_page))
                .route(web::post().to(follow_up::show_page)),
        )
        .service(
            web::resource("/follow-up/messages")
                .app_data(form.clone())
                .route(web::post().to(follow_up::reply_page)),
        )
        .service(
            web::resource("/embed/follow-up")
                .app_data(form.clone())
                .route(get().to(follow_up::form_embed))
                .route(web::post().to(follow_up::show_embed)),
        )
        .service(
            web::resource("/embed/follow-up/messages")
                .app_data(form.clone())
                .route(web::post().to(follow_up::reply_embed)),
        )
        .service(
            web::scope("/desk")
                .app_data(web::PayloadConfig::new(max_body))
                .route("", get().to(desk::home))
                .route("/login", get().to(auth::login_form))
                .route("/login", web::post().to(auth::login))
                .route("/login/totp", web::post().to(auth::login_totp))
                .route("/logout", web::post().to(auth::logout))
                .route("/locale", web::post().to(auth::set_locale))
                .route("/tips", get().to(desk::queue))
                .route("/stats", get().to(desk::stats_page))
                .route("/tips/bulk", web::post().to(desk::bulk))
                // Before `/tips/{id}`; any other extension is a tip id
                // that does not exist (404).
                .route("/tips/export.{format:csv|json}", get().to(desk::export))
                .route("/tips/{id}", get().to(desk::show))
                .route("/tips/{id}/contact", web::post().to(desk::reveal_contact))
                .route("/tips/{id}/status", web::post().to(desk::change_status))
                .route("/tips/{id}/assign", web::post().to(desk::assign))
                .route("/tips/{id}/notes", web::post().to(desk::add_note))
                .route("/tips/{id}/messages", web::post().to(desk::write_to_reader))
                .route("/tips/{id}/labels", web::post().to(desk::set_labels))
                .route("/tips/{id}/case/leave", web::post().to(desk::leave_case))
                .route("/cases/{id}", get().to(desk::show_case))
                .route(
                    "/cases/{id}/status",
                    web::post().to(desk::change_case_status),
                )
                .route("/cases/{id}/merge", web::post().to(desk::merge_cases))
                .route(
                    "/tips/{id}/attachments/{n}",
                    get().to(desk::download_attachment),
                )
                .route("/audit", get().to(crate::audit::routes::audit_trail)),
        )
        .route("/api/v1/openapi.json", get().to(tip::openapi))
        .service(
            web::resource("/api/v1/articles/{article_id}/tips")
                .app_data(json.clone())
                .route(web::post().to(tip::submit_json)),
        )
        .service(
            web::resource("/api/v1/articles/{article_id}")
                .app_data(json.clone())
                .route(web::put().to(articles::routes::put))
                .route(web::delete().to(articles::routes::delete)),
        )
        .service(
            web::resource("/api/v1/follow-up")
                .app_data(json.clone())
                .route(web::post().to(follow_up_api::read_json)),
        )
        .service(
            web::resource("/api/v1/follow-up/messages")
                .app_data(json.clone())
                .route(web::post().to(follow_up_api::reply_json)),
        )
        .default_service(web::to(webutil::not_found));
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let e = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            WebError::new(
                Format::Json,
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                Msg::new("api-too-large"),
            )
        }
        JsonPayloadError::ContentType => WebError::new(
            Format::Json,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Msg::new("api-content-type"),
        ),
        JsonPayloadError::Deserialize(e) => WebError::bad_request(
            Format::Json,
            Msg::new("api-bad-json").text("detail", e.to_string()),
        ),
        _ => WebError::bad_request(Format::Json, Msg::new("api-unreadable")),
    };
    InternalError::from_response(err, e.error_response()).into()
}
