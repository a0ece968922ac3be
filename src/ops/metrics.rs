//! Prometheus metrics. Counters are per process (scrape every instance);
//! the queue gauges are read from the shared database at scrape time, so
//! any instance reports the whole queue.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Class {
    class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Feed {
    feed: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedResult {
    feed: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Desk {
    desk: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: String,
}

/// No labels: a series that is there or not (see `store_budget`).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Unlabelled;

impl prometheus_client::encoding::EncodeLabelSet for Unlabelled {
    fn encode(
        &self,
        _: &mut prometheus_client::encoding::LabelSetEncoder<'_>,
    ) -> Result<(), std::fmt::Error> {
        Ok(())
    }
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// Every metric tipdesk exports; see docs/operations.md for each. Also
/// carries [`Health`](super::health::Health): what this process saw fail.
pub struct Metrics {
    /// Failing writes and notification passes, for `/readyz`.
    pub health: super::health::Health,
    registry: Registry,
    http_requests: Family<RouteStatus, Counter>,
    http_duration: Family<Route, Histogram, fn() -> Histogram>,
    tips_accepted: Family<Kind, Counter>,
    tips_rejected: Family<Reason, Counter>,
    emails_sent: Counter,
    emails_failed: Family<Class, Counter>,
    outbox_jobs: Family<State, Gauge>,
    oldest_pending: Gauge<f64, AtomicU64>,
    heartbeat_age: Gauge<f64, AtomicU64>,
    surging: Gauge,
    receipt_failures: Counter,
    feed_articles: Family<FeedResult, Counter>,
    feed_last_success: Family<Feed, Gauge<f64, AtomicU64>>,
    store_bytes: Gauge,
    /// A family only so that the series can be absent: without a budget
    /// (`attachments.max_store_bytes = 0`) there is no figure to alert on.
    store_budget: Family<Unlabelled, Gauge>,
    tips_unread: Family<Desk, Gauge>,
    tips_overdue: Family<Desk, Gauge>,
    reminders: Family<Desk, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<RouteStatus, Counter>::default();
        let http_duration = Family::<Route, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let tips_accepted = Family::<Kind, Counter>::default();
        let tips_rejected = Family::<Reason, Counter>::default();
        let emails_sent = Counter::default();
        let emails_failed = Family::<Class, Counter>::default();
        let outbox_jobs = Family::<State, Gauge>::default();
        let oldest_pending = Gauge::<f64, AtomicU64>::default();
        let heartbeat_age = Gauge::<f64, AtomicU64>::default();
        let surging = Gauge::default();
        let receipt_failures = Counter::default();
        registry.register(
            "tipdesk_http_requests",
            "HTTP requests answered, by route pattern and status code",
            http_requests.clone(),
        );
        registry.register(
            "tipdesk_http_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern",
            http_duration.clone(),
        );
        registry.register(
            "tipdesk_tips_accepted",
            "Tips stored, by kind",
            tips_accepted.clone(),
        );
        registry.register(
            "tipdesk_tips_rejected",
            "Tip submissions refused, by reason",
            tips_rejected.clone(),
        );
        registry.register(
            "tipdesk_emails_sent",
            "Desk emails (single or digest) the mail server accepted",
            emails_sent.clone(),
        );
        registry.register(
            "tipdesk_emails_failed",
            "Desk emails that failed, by class (transient: retried; permanent: dead)",
            emails_failed.clone(),
        );
        registry.register(
            "tipdesk_outbox_jobs",
            "Notification jobs in the queue, by state",
            outbox_jobs.clone(),
        );
        registry.register(
            "tipdesk_outbox_oldest_pending_seconds",
            "Age of the oldest job not yet delivered (pending, in flight or retrying); 0 when none",
            oldest_pending.clone(),
        );
        registry.register(
            "tipdesk_worker_heartbeat_age_seconds",
            "Seconds since any notification worker last reported in; +Inf when none ever did",
            heartbeat_age.clone(),
        );
        registry.register(
            "tipdesk_articles_in_surge",
            "Articles that drew more than limits.article_surge_per_10min tips in the last ten minutes",
            surging.clone(),
        );
        registry.register(
            "tipdesk_receipt_failures",
            "Wrong receipts readers (or guessers) tried at /follow-up and its API",
            receipt_failures.clone(),
        );
        let feed_articles = Family::<FeedResult, Counter>::default();
        let feed_last_success = Family::<Feed, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "tipdesk_feed_articles",
            "Feed entries this process read, by feed and result: added, updated, unchanged or skipped (not an article)",
            feed_articles.clone(),
        );
        registry.register(
            "tipdesk_feed_last_success_timestamp_seconds",
            "When each configured feed was last polled successfully (Unix time); absent for a feed that never was",
            feed_last_success.clone(),
        );
        let store_bytes = Gauge::default();
        let store_budget = Family::<Unlabelled, Gauge>::default();
        registry.register(
            "tipdesk_attachments_store_bytes",
            "Bytes of all stored attachments, as sent (what attachments.max_store_bytes limits)",
            store_bytes.clone(),
        );
        registry.register(
            "tipdesk_attachments_store_budget_bytes",
            "The store-wide budget attachments.max_store_bytes; absent when there is none",
            store_budget.clone(),
        );
        let tips_unread = Family::<Desk, Gauge>::default();
        let tips_overdue = Family::<Desk, Gauge>::default();
        registry.register(
            "tipdesk_tips_unread",
            "Tips nobody at their desk has opened yet, by desk (read from the shared database at scrape time)",
            tips_unread.clone(),
        );
        registry.register(
            "tipdesk_tips_overdue",
            "Unread tips past their desk's first_look_hours, by desk (read from the shared database at scrape time)",
            tips_overdue.clone(),
        );
        let reminders = Family::<Desk, Counter>::default();
        registry.register(
            "tipdesk_desk_reminders",
            "Reminders of overdue tips this process queued, by desk (at most one per desk per day across all instances)",
            reminders.clone(),
        );
        Self {
            reminders,
            store_bytes,
            store_budget,
            tips_unread,
            tips_overdue,
            feed_articles,
            feed_last_success,
            health: super::health::Health::default(),
            surging,
            receipt_failures,
            registry,
            http_requests,
            http_duration,
            tips_accepted,
            tips_rejected,
            emails_sent,
            emails_failed,
            outbox_jobs,
            oldest_pending,
            heartbeat_age,
        }
    }

    pub fn http(&self, route: &str, status: u16, seconds: f64) {
        self.http_requests
            .get_or_create(&RouteStatus {
                route: route.to_owned(),
                status: status.to_string(),
            })
            .inc();
        self.http_duration
            .get_or_create(&Route {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    pub fn tip_accepted(&self, kind: &str) {
        self.tips_accepted
            .get_or_create(&Kind {
                kind: kind.to_owned(),
            })
            .inc();
    }

    pub fn tip_rejected(&self, reason: &str) {
        self.tips_rejected
            .get_or_create(&Reason {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// A wrong receipt was tried (see `follow_up::access`).
    pub fn receipt_failed(&self) {
        self.receipt_failures.inc();
    }

    /// A feed entry was read with this `result` (see `articles::feeds`).
    pub fn feed_article(&self, feed: &str, result: &str) {
        self.feed_articles
            .get_or_create(&FeedResult {
                feed: feed.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    pub fn email_sent(&self) {
        self.emails_sent.inc();
    }

    pub fn email_failed(&self, permanent: bool) {
        let class = if permanent { "permanent" } else { "transient" };
        self.emails_failed
            .get_or_create(&Class {
                class: class.into(),
            })
            .inc();
    }

    /// Counts a reminder of overdue tips queued by this process for `desk`.
    pub fn reminder_queued(&self, desk: &str) {
        self.reminders
            .get_or_create(&Desk {
                desk: desk.to_owned(),
            })
            .inc();
    }

    /// Sets the unread and overdue gauges of each configured desk:
    /// `(unread, overdue)` by desk key (`triage::stats::unread_and_overdue`).
    pub fn set_desk_tips(&self, desks: &std::collections::BTreeMap<String, (i64, i64)>) {
        for (desk, (unread, overdue)) in desks {
            let label = Desk { desk: desk.clone() };
            self.tips_unread.get_or_create(&label).set(*unread);
            self.tips_overdue.get_or_create(&label).set(*overdue);
        }
    }

    /// Renders everything, after setting the queue gauges from `queue`,
    /// each feed's last success from `feeds` (its URL and Unix time) and
    /// the attachment store's figures from `store`, all read from the
    /// shared database, so any instance reports the whole picture.
    pub fn render(
        &self,
        queue: &super::QueueHealth,
        feeds: &[(String, i64)],
        store: &super::StoreUse,
    ) -> String {
        self.store_bytes.set(store.used);
        if let Some(budget) = store.budget {
            self.store_budget
                .get_or_create(&Unlabelled)
                .set(i64::try_from(budget).unwrap_or(i64::MAX));
        }
        for (feed, at) in feeds {
            self.feed_last_success
                .get_or_create(&Feed { feed: feed.clone() })
                .set(*at as f64);
        }
        for (state, n) in &queue.counts {
            self.outbox_jobs
                .get_or_create(&State {
                    state: state.as_str().to_owned(),
                })
                .set(*n);
        }
        self.oldest_pending
            .set(queue.oldest_pending_seconds.unwrap_or(0.0));
        self.heartbeat_age
            .set(queue.heartbeat_age_seconds.unwrap_or(f64::INFINITY));
        self.surging
            .set(i64::try_from(queue.surging.len()).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
