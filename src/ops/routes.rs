//! `/healthz`, `/readyz`, `/metrics` and the queue page `/ops/queue`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{HeldDigest, HoldReason, Hour, ProblemJob, QueueHealth, ReceiptFailures, StoreUse};
use crate::auth::{Protected, Staff};
use crate::db::DbError;
use crate::domain::JobId;
use crate::i18n::{Locale, Msg};
use crate::notifications::outbox::{self, JobState};
use crate::state::AppState;
use crate::web::{html_no_store, Format, WebError};

/// `GET /healthz`: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("ok\n")
}

/// `GET /readyz`: ready when the database answers, is migrated and takes
/// writes, the outbox drains, and a worker has reported in recently. 503
/// with what is wrong otherwise (see docs/operations.md).
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let migrated = tokio::task::spawn_blocking(move || pool.is_migrated()).await;
    let health = &state.metrics.health;
    let mut database = match migrated {
        Ok(Ok(true)) => "ok".to_owned(),
        Ok(Ok(false)) => "migrations are pending".to_owned(),
        _ => "unreachable".to_owned(),
    };
    // Writes failed lately (a reader's tip, the worker): probe with a
    // write of our own, so readiness comes back by itself once storage
    // takes writes again, and stays away while it does not.
    if database == "ok" && health.writes_failing().is_some() {
        let probed = state.pool.run(super::health::probe_write).await;
        health.write_result(&probed);
        if let Some(cause) = health.writes_failing() {
            database = format!("writes failing: {cause}");
        }
    }
    let stale = state.settings.ops.worker_stale.as_secs_f64();
    let outbox_stale = state.settings.ops.outbox_stale.as_secs_f64();
    let surge = state.settings.limits.article_surge_per_10min;
    let queue = if migrated.as_ref().is_ok_and(|m| matches!(m, Ok(true))) {
        state
            .pool
            .query(move |c| super::queue_health(c, surge))
            .await
            .ok()
    } else {
        None
    };
    let worker = match &queue {
        Some(QueueHealth {
            heartbeat_age_seconds: Some(age),
            ..
        }) if *age <= stale => "ok".to_owned(),
        Some(QueueHealth {
            heartbeat_age_seconds: Some(age),
            ..
        }) => format!("no notification worker has reported in for {age:.0} s"),
        Some(_) => "no notification worker has reported in yet".to_owned(),
        None => "unknown (the database did not answer)".to_owned(),
    };
    let outbox = match (health.passes_failing(), &queue) {
        (Some(cause), _) => format!("notification passes failing: {cause}"),
        (None, None) => "unknown (the database did not answer)".to_owned(),
        (None, Some(q)) => match q.oldest_due_seconds {
            Some(age) if age > outbox_stale => format!(
                "not draining: a notification has been due for {age:.0} s (ops.outbox_stale_seconds = {outbox_stale:.0})"
            ),
            _ => "ok".to_owned(),
        },
    };
    let ready = database == "ok" && worker == "ok" && outbox == "ok";
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": { "database": database, "outbox": outbox, "worker": worker },
    });
    let mut res = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Each feed that ever succeeded, with when (Unix time), for `/metrics`.
fn succeeded(feeds: &[crate::articles::feeds::FeedStatus]) -> Vec<(String, i64)> {
    feeds
        .iter()
        .filter_map(|f| Some((f.url.to_string(), f.last_success_at?.and_utc().timestamp())))
        .collect()
}

/// `GET /metrics`: Prometheus text, for the bearer of `ops.metrics_token`,
/// or without one configured, for loopback clients only.
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let refuse = |status: StatusCode, message: Msg| {
        WebError::new(Format::Json, status, "forbidden", message)
    };
    match &state.settings.ops.metrics_token {
        Some(token) => {
            let sent = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if !bool::from(sent.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
                return Err(refuse(StatusCode::UNAUTHORIZED, Msg::new("metrics-token"))
                    .with_header("www-authenticate", "Bearer".into()));
            }
        }
        None => {
            let ip = crate::web::client::client_ip(&req, &state.settings.server.proxies);
            if !ip.is_some_and(|ip| ip.is_loopback()) {
                return Err(refuse(StatusCode::FORBIDDEN, Msg::new("metrics-loopback")));
            }
        }
    }
    let surge = state.settings.limits.article_surge_per_10min;
    let configured = state.settings.articles.feeds.clone();
    let budget = state.settings.attachments.max_store_bytes;
    let look = crate::triage::first_look::FirstLook::new(&state.settings.desks, crate::db::now());
    let (health, feeds, store, desks) = state
        .pool
        .run(move |c| {
            Ok::<_, DbError>((
                super::queue_health(c, surge)?,
                crate::articles::feeds::statuses(c, &configured)?,
                StoreUse::read(c, budget)?,
                crate::triage::stats::unread_and_overdue(c, &look)?,
            ))
        })
        .await
        .map_err(|e| WebError::from_db(Format::Json, e))?;
    state.metrics.set_desk_tips(&desks);
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render(&health, &succeeded(&feeds), &store)))
}

/// One bar pair of the 24-hour chart, in SVG units.
struct Bar {
    x: i64,
    sent: i64,
    failed: i64,
    sent_y: i64,
    sent_h: i64,
    failed_y: i64,
    failed_h: i64,
    label: String,
}

const CHART_H: i64 = 120;

fn bars(hours: &[Hour]) -> Vec<Bar> {
    let max = hours
        .iter()
        .map(|h| h.sent.max(h.failed))
        .max()
        .unwrap_or(0)
        .max(1);
    hours
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let scale = |n: i64| (n * CHART_H + max - 1) / max;
            let (sh, fh) = (scale(h.sent), scale(h.failed));
            Bar {
                x: i as i64 * 26 + 4,
                sent: h.sent,
                failed: h.failed,
                sent_y: CHART_H - sh,
                sent_h: sh,
                failed_y: CHART_H - fh,
                failed_h: fh,
                label: h
                    .start
                    .map(|t| t.format("%H:00").to_string())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "ops/queue.html")]
struct QueuePage<'a> {
    /// The configured feeds and how their last polls went.
    feeds: Vec<crate::articles::feeds::FeedStatus>,
    l: Locale,
    staff: &'a Staff,
    health: QueueHealth,
    jobs: Vec<ProblemJob>,
    held: Vec<HeldDigest>,
    bars: Vec<Bar>,
    stale_after: u64,
    /// When the figures were read: the page no longer reloads itself (a
    /// timed refresh moves a screen reader's or keyboard user's place,
    /// WCAG 2.2.1), so it says how old they are and offers a link.
    now: chrono::DateTime<chrono::Utc>,
    receipts: ReceiptFailures,
    store: StoreUse,
}

impl QueuePage<'_> {
    fn oldest(&self) -> String {
        self.health.oldest_pending_seconds.map_or_else(
            || self.l.t("ops-none-waiting"),
            |s| {
                self.l
                    .msg(&Msg::new("ops-seconds").number("seconds", s.round() as i64))
            },
        )
    }

    fn heartbeat(&self) -> String {
        self.health.heartbeat_age_seconds.map_or_else(
            || self.l.t("ops-no-worker"),
            |s| {
                self.l
                    .msg(&Msg::new("ops-worker-seen").number("seconds", s.round() as i64))
            },
        )
    }

    fn surging(&self, count: &i64) -> String {
        self.l
            .msg(&Msg::new("ops-surging-count").number("count", *count))
    }

    fn bar_title(&self, id: &'static str, hour: &str, count: &i64) -> String {
        self.l
            .msg(&Msg::new(id).localized("hour", hour).number("count", *count))
    }

    fn receipt_counts(&self) -> String {
        self.l.msg(
            &Msg::new("ops-receipts-counts")
                .number("recent", self.receipts.last_10min)
                .number("day", self.receipts.last_day),
        )
    }

    /// "1.2 MB of 10.7 GB (12 %)", or "1.2 MB (no budget)".
    fn store_line(&self) -> String {
        let used = bytes_said(u64::try_from(self.store.used).unwrap_or(0));
        let msg = match (self.store.budget, self.store.percent()) {
            (Some(budget), Some(percent)) => Msg::new("ops-store-used")
                .text("used", &used)
                .text("budget", bytes_said(budget))
                .number("percent", percent),
            _ => Msg::new("ops-store-unbudgeted").text("used", &used),
        };
        self.l.msg(&msg)
    }

    fn held_why(&self, reason: &HoldReason) -> String {
        self.l.t(match reason {
            HoldReason::DigestWindow => "ops-held-window",
            HoldReason::Surge => "ops-held-surge",
        })
    }

    /// When, or "never".
    fn when(&self, at: &Option<chrono::NaiveDateTime>) -> String {
        at.map_or_else(
            || self.l.t("ops-feed-never"),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    }

    fn worker_stale(&self) -> bool {
        self.health
            .heartbeat_age_seconds
            .is_none_or(|s| s > self.stale_after as f64)
    }
}

/// A byte count for people, in decimal units (SI: kB, MB, GB, one
/// decimal), as disks and dashboards say them; the exact figure is in
/// `/metrics`.
fn bytes_said(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn ops_only(staff: &Staff) -> Result<(), WebError> {
    if staff.sees_ops() {
        Ok(())
    } else {
        Err(WebError::new(
            Format::Html,
            StatusCode::FORBIDDEN,
            "forbidden",
            Msg::new("ops-only"),
        ))
    }
}

/// `GET /ops/queue`
pub async fn queue(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, WebError> {
    ops_only(&staff)?;
    let surge = state.settings.limits.article_surge_per_10min;
    let guessing = state.settings.follow_up.failure_surge_per_10min;
    let configured = state.settings.articles.feeds.clone();
    let budget = state.settings.attachments.max_store_bytes;
    let (health, jobs, held, hours, receipts, feeds, store) = state
        .pool
        .run(move |c| {
            Ok::<_, DbError>((
                super::queue_health(c, surge)?,
                super::problem_jobs(c, 200)?,
                super::held_digests(c, 200)?,
                super::last_day(c)?,
                super::receipt_failures(c, guessing)?,
                crate::articles::feeds::statuses(c, &configured)?,
                StoreUse::read(c, budget)?,
            ))
        })
        .await?;
    Ok(html_no_store(
        StatusCode::OK,
        &QueuePage {
            l: staff.locale,
            staff: &staff,
            health,
            jobs,
            held,
            bars: bars(&hours),
            stale_after: state.settings.ops.worker_stale.as_secs(),
            now: chrono::Utc::now(),
            receipts,
            feeds,
            store,
        },
    ))
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /ops/queue/jobs/{id}/retry` and `/discard`: act on a dead job.
pub async fn act(
    state: web::Data<AppState>,
    path: web::Path<(JobId, String)>,
    p: Protected<NoFields>,
) -> Result<HttpResponse, WebError> {
    ops_only(&p.staff)?;
    let (id, action) = path.into_inner();
    let actor = p.staff.actor();
    let retry = match action.as_str() {
        "retry" => true,
        "discard" => false,
        _ => {
            return Err(WebError::not_found(
                Format::Html,
                Msg::new("ops-job-actions"),
            ))
        }
    };
    let n = state
        .pool
        .query(move |c| {
            if retry {
                outbox::retry_dead(c, Some(id), &actor)
            } else {
                outbox::discard_dead(c, id, &actor)
            }
        })
        .await?;
    if n == 0 {
        return Err(WebError::new(
            Format::Html,
            StatusCode::CONFLICT,
            "not_dead",
            Msg::new("ops-job-not-dead"),
        ));
    }
    if retry {
        state.wake.notify_one();
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/ops/queue"))
        .finish())
}
