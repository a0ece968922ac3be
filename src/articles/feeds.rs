//! The newsroom's feeds (`articles.feeds`): RSS 2.0, Atom and JSON Feed,
//! polled every `articles.feed_poll_seconds`, each entry upserting an
//! article. Parsing is `feed-rs`'s; fetching is `reqwest`'s, with a
//! timeout, a cap on the body, and conditional requests (RFC 9110 §13:
//! `If-None-Match` with the last `ETag`, `If-Modified-Since` with the last
//! `Last-Modified`), so an unchanged feed costs a 304 and changes nothing.
//!
//! One instance at a time polls a feed, whichever instances run: each
//! feed's row in `feeds` is claimed with a lease by one `UPDATE` that
//! succeeds only while no live lease is held and the feed is due (the
//! outbox's pattern, without a queue: there is one row per feed). The
//! result is written back only under the same claim, and sets when the
//! feed is next due, so the other instances, finding it claimed or not
//! due, fetch nothing.
//!
//! A broken feed (an HTTP error, a timeout, a body that is no feed) is
//! logged and kept in its row (`last_error`, with `last_success_at`
//! unchanged) for `/ops/queue` and `/metrics`; it never stops the other
//! feeds or the service. An entry that cannot be an article (no link, no
//! usable ID, no category, a field that breaks the article rules) is
//! skipped and named; the others are saved.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use url::Url;

use super::{ArticleRecord, NewArticle, Revive, Saved};
use crate::config::{ArticleSettings, IdFrom};
use crate::db::schema::feeds;
use crate::db::{Conn, DbError, Pool};
use crate::ops::Metrics;

/// The largest feed body read; a newsroom's feed is far smaller.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One feed's row: what the last poll learned.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = feeds)]
pub struct FeedState {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_poll_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

/// What one feed's entries did, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Entries that could not be articles, each with why.
    pub skipped: Vec<String>,
}

/// What polling one feed came to.
#[derive(Debug)]
pub enum Outcome {
    /// Another instance holds it, or it is not due yet: not fetched.
    NotClaimed,
    /// `304 Not Modified`: nothing changed.
    NotModified,
    Synced(Tally),
    /// Fetched, but no feed could be read (the reason is kept for ops).
    Failed(String),
}

/// Whether a poll fetches feeds not yet due (`tipdesk articles sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Only feeds whose next poll time has come (the background loop).
    Only,
    /// Every feed not being polled elsewhere right now.
    Any,
}

/// Reports progress through one feed's entries (the CLI's bar).
pub trait Progress: Send + Sync {
    fn start(&self, _feed: &Url, _entries: usize) {}
    fn advance(&self) {}
    fn finish(&self) {}
}

/// No progress shown (the background loop).
pub struct Quiet;
impl Progress for Quiet {}

/// Polls the configured feeds; one per process.
#[derive(Clone)]
pub struct FeedPoller {
    pool: Pool,
    settings: Arc<ArticleSettings>,
    metrics: Arc<Metrics>,
    client: reqwest::Client,
    /// This instance's name in a claim (`claimed_by`).
    instance: String,
}

impl FeedPoller {
    /// A poller for `settings.feeds` on `pool`, named in its claims by
    /// host, process and a random suffix (as notification workers are).
    pub fn new(
        pool: Pool,
        settings: Arc<ArticleSettings>,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "tipdesk".into());
        let instance = format!(
            "{host}-{}-{}",
            std::process::id(),
            hex::encode(rand::random::<[u8; 3]>())
        );
        let client = reqwest::Client::builder()
            .timeout(settings.feed_timeout)
            .connect_timeout(settings.feed_timeout)
            .user_agent(concat!(
                "tipdesk/",
                env!("CARGO_PKG_VERSION"),
                " (feed poller)"
            ))
            .build()?;
        Ok(Self {
            pool,
            settings,
            metrics,
            client,
            instance,
        })
    }

    /// Polls every feed `due` allows that no other instance is polling,
    /// one after the other; returns each feed's outcome, in the
    /// configured order. Only the database failing is an error.
    pub async fn poll(
        &self,
        due: Due,
        progress: &dyn Progress,
    ) -> Result<Vec<(Url, Outcome)>, DbError> {
        let mut outcomes = Vec::new();
        for feed in &self.settings.feeds {
            let outcome = self.poll_one(feed, due, progress).await?;
            outcomes.push((feed.clone(), outcome));
        }
        Ok(outcomes)
    }

    async fn poll_one(
        &self,
        feed: &Url,
        due: Due,
        progress: &dyn Progress,
    ) -> Result<Outcome, DbError> {
        let lease = self.settings.feed_timeout * 2 + Duration::from_secs(30);
        let (url, me) = (feed.to_string(), self.instance.clone());
        let Some(state) = self
            .pool
            .run(move |c| claim(c, &url, &me, due, lease))
            .await?
        else {
            return Ok(Outcome::NotClaimed);
        };
        let outcome = match self.fetch(feed, &state).await {
            Err(problem) => Outcome::Failed(problem),
            Ok(None) => Outcome::NotModified,
            Ok(Some((body, etag, last_modified))) => match self.read(feed, &body) {
                Err(problem) => Outcome::Failed(problem),
                Ok(entries) => {
                    let tally = self.save_all(feed, entries, progress).await?;
                    let done = Done {
                        etag,
                        last_modified,
                        problem: summary(&tally.skipped),
                    };
                    self.finish(feed, Ok(done)).await?;
                    return Ok(Outcome::Synced(tally));
                }
            },
        };
        match &outcome {
            Outcome::Failed(problem) => {
                tracing::warn!(feed = %feed, %problem, "feed poll failed; the other feeds go on");
                self.finish(feed, Err(problem.clone())).await?;
            }
            _ => {
                let done = Done {
                    etag: state.etag,
                    last_modified: state.last_modified,
                    problem: None,
                };
                self.finish(feed, Ok(done)).await?;
            }
        }
        Ok(outcome)
    }

    /// The body, with its `ETag` and `Last-Modified`; `None` on a 304.
    async fn fetch(
        &self,
        feed: &Url,
        state: &FeedState,
    ) -> Result<Option<(Vec<u8>, Option<String>, Option<String>)>, String> {
        let mut req = self.client.get(feed.clone());
        if let Some(etag) = &state.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(at) = &state.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, at);
        }
        let mut res = req.send().await.map_err(|e| describe(&e))?;
        if res.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(format!("the server answered HTTP {}", res.status()));
        }
        let header = |name| {
            res.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| describe(&e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(format!("the feed is larger than {MAX_BODY_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some((body, etag, last_modified)))
    }

    /// The feed's entries as article records, or why none could be read.
    fn read(&self, feed: &Url, body: &[u8]) -> Result<Vec<Result<ArticleRecord, String>>, String> {
        let parsed = feed_rs::parser::Builder::new()
            .base_uri(Some(feed.as_str()))
            // No made-up IDs: an entry without its own is reported.
            .id_generator(|_, _, _| String::new())
            .build()
            .parse(body)
            .map_err(|e| format!("not an RSS, Atom or JSON feed: {e}"))?;
        let language = parsed.language.clone();
        Ok(parsed
            .entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                entry_record(entry, language.as_deref(), &self.settings)
                    .map_err(|why| format!("entry {}: {why}", i + 1))
            })
            .collect())
    }

    async fn save_all(
        &self,
        feed: &Url,
        entries: Vec<Result<ArticleRecord, String>>,
        progress: &dyn Progress,
    ) -> Result<Tally, DbError> {
        let mut tally = Tally::default();
        progress.start(feed, entries.len());
        for entry in entries {
            let article = entry.and_then(|record| {
                let id = record.id.clone();
                record
                    .check(&self.settings.allowed_hosts)
                    .map_err(|fields| {
                        let names: Vec<&str> = fields.keys().copied().collect();
                        format!("article `{id}`: {} break the rules", names.join(", "))
                    })
            });
            let result = match article {
                Ok(article) => {
                    let saved = self.save(article).await?;
                    match saved {
                        Saved::Added => tally.added += 1,
                        Saved::Updated => tally.updated += 1,
                        Saved::Unchanged => tally.unchanged += 1,
                    }
                    saved.as_str()
                }
                Err(why) => {
                    tally.skipped.push(why);
                    "skipped"
                }
            };
            self.metrics.feed_article(feed.as_str(), result);
            progress.advance();
        }
        progress.finish();
        Ok(tally)
    }

    async fn save(&self, article: NewArticle) -> Result<Saved, DbError> {
        self.pool
            .run(move |c| super::save(c, &article, Revive::No))
            .await
    }

    async fn finish(&self, feed: &Url, result: Result<Done, String>) -> Result<(), DbError> {
        let (url, me, poll) = (
            feed.to_string(),
            self.instance.clone(),
            self.settings.feed_poll,
        );
        self.pool
            .run(move |c| record(c, &url, &me, poll, result))
            .await
    }

    /// Polls due feeds for as long as the process runs.
    pub async fn run(self) {
        // Due times are kept in the database; waking more often than a
        // poll only bounds how late a due feed is picked up.
        let tick = self.settings.feed_poll.min(Duration::from_secs(30));
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = self.poll(Due::Only, &Quiet).await {
                tracing::warn!(error = %crate::telemetry::Chain(&e), "feed poll could not reach the database; will try again");
            }
        }
    }
}

/// A successful poll's news for the feed's row.
struct Done {
    etag: Option<String>,
    last_modified: Option<String>,
    /// Entries skipped, summed up; `None` when every entry was saved.
    problem: Option<String>,
}

/// The reason of a failed request, with its causes (a timeout, a refused
/// connection, a TLS failure...).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "no answer within articles.feed_timeout_seconds".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// "skipped 3 entries: entry 2: it has no link; ..." (the first few), or
/// `None` when nothing was skipped.
fn summary(skipped: &[String]) -> Option<String> {
    if skipped.is_empty() {
        return None;
    }
    let shown: Vec<&str> = skipped.iter().take(3).map(String::as_str).collect();
    let more = if skipped.len() > 3 { "; ..." } else { "" };
    let noun = if skipped.len() == 1 {
        "entry"
    } else {
        "entries"
    };
    Some(format!(
        "skipped {} {noun}: {}{more}",
        skipped.len(),
        shown.join("; ")
    ))
}

/// One entry as an article record: its ID by `articles.id_from`, its
/// title, its first link, its first category as the section (renamed by
/// `articles.section_map`), its language or else the feed's.
fn entry_record(
    entry: feed_rs::model::Entry,
    feed_language: Option<&str>,
    settings: &ArticleSettings,
) -> Result<ArticleRecord, String> {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(entry.links.first())
        .map(|l| l.href.clone())
        .ok_or("it has no link")?;
    let id = article_id(settings.id_from, &entry.id, &link)?;
    let category = entry
        .categories
        .first()
        .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
        .ok_or_else(|| format!("article `{id}` has no category to take its section from"))?;
    let section = mapped(&settings.section_map, category);
    Ok(ArticleRecord {
        id,
        title: entry.title.map(|t| t.content).unwrap_or_default(),
        url: link,
        section,
        language: entry.language.or(feed_language.map(str::to_owned)),
    })
}

/// The article ID an entry's `guid`/`id` or link gives (see [`IdFrom`]).
fn article_id(from: IdFrom, guid: &str, link: &str) -> Result<String, String> {
    let path = || {
        Url::parse(link)
            .map(|u| u.path().trim_matches('/').to_owned())
            .map_err(|_| format!("its link `{link}` is not a URL"))
    };
    let id = match from {
        IdFrom::Guid if guid.is_empty() => return Err("it has no guid or id".into()),
        IdFrom::Guid => guid.to_owned(),
        IdFrom::LinkPath => path()?.replace('/', "-"),
        IdFrom::LinkSlug => path()?.rsplit('/').next().unwrap_or_default().to_owned(),
    };
    crate::domain::ArticleId::parse(&id)
        .map(|_| id.clone())
        .map_err(|why| format!("`{id}` cannot be an article ID ({why}); see articles.id_from"))
}

/// The section `articles.section_map` gives `category`, matched exactly
/// or else ignoring case; the category itself when it names none.
fn mapped(map: &BTreeMap<String, String>, category: String) -> String {
    map.get(&category)
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.to_lowercase() == category.to_lowercase())
                .map(|(_, v)| v)
        })
        .cloned()
        .unwrap_or(category)
}

// The feeds' rows: SQL beside the poller, as the outbox's is beside its
// worker.

/// Claims `url` for `me` until `lease` from now, if no other instance
/// holds a live claim and (with [`Due::Only`]) it is due; the row is made
/// on first sight. `None`: not claimed.
fn claim(
    conn: &mut Conn<'_>,
    url: &str,
    me: &str,
    due: Due,
    lease: Duration,
) -> Result<Option<FeedState>, DbError> {
    let now = crate::db::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::hours(1));
    Ok(conn.write(|conn| {
        crate::db_run!(conn, |conn| diesel::insert_into(feeds::table)
            .values((feeds::url.eq(url), feeds::next_poll_at.eq(now)))
            .on_conflict(feeds::url)
            .do_nothing()
            .execute(conn))?;
        let free = feeds::lease_until.is_null().or(feeds::lease_until.le(now));
        let claimed = match due {
            Due::Only => crate::db_run!(conn, |conn| diesel::update(
                feeds::table
                    .filter(feeds::url.eq(url))
                    .filter(free)
                    .filter(feeds::next_poll_at.le(now))
            )
            .set((feeds::lease_until.eq(until), feeds::claimed_by.eq(me)))
            .execute(conn))?,
            Due::Any => crate::db_run!(conn, |conn| diesel::update(
                feeds::table.filter(feeds::url.eq(url)).filter(free)
            )
            .set((feeds::lease_until.eq(until), feeds::claimed_by.eq(me)))
            .execute(conn))?,
        };
        if claimed == 0 {
            return Ok(None);
        }
        crate::db_run!(conn, |conn| feeds::table
            .find(url)
            .select(FeedState::as_select())
            .first(conn)
            .optional())
    })?)
}

/// Writes a poll's result back, if `me` still holds the claim, and
/// releases it; the feed is next due `poll` from now.
fn record(
    conn: &mut Conn<'_>,
    url: &str,
    me: &str,
    poll: Duration,
    result: Result<Done, String>,
) -> Result<(), DbError> {
    let now = crate::db::now();
    let next = now + chrono::Duration::from_std(poll).unwrap_or(chrono::Duration::minutes(5));
    let mine = feeds::table
        .filter(feeds::url.eq(url))
        .filter(feeds::claimed_by.eq(me));
    conn.write(|conn| {
        let release = (
            feeds::lease_until.eq(None::<NaiveDateTime>),
            feeds::claimed_by.eq(None::<String>),
            feeds::next_poll_at.eq(next),
            feeds::last_attempt_at.eq(Some(now)),
        );
        match &result {
            Ok(done) => crate::db_run!(conn, |conn| diesel::update(mine)
                .set((
                    release,
                    feeds::etag.eq(&done.etag),
                    feeds::last_modified.eq(&done.last_modified),
                    feeds::last_success_at.eq(Some(now)),
                    feeds::last_error.eq(&done.problem),
                ))
                .execute(conn))?,
            Err(problem) => crate::db_run!(conn, |conn| diesel::update(mine)
                .set((release, feeds::last_error.eq(Some(problem))))
                .execute(conn))?,
        };
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// How a configured feed is doing, for `/ops/queue` and `/metrics`.
#[derive(Debug, Clone)]
pub struct FeedStatus {
    pub url: Url,
    /// `None`: never polled successfully.
    pub last_success_at: Option<NaiveDateTime>,
    /// `None`: never polled.
    pub last_attempt_at: Option<NaiveDateTime>,
    /// Why the last poll failed, or which entries it skipped.
    pub last_error: Option<String>,
}

impl FeedStatus {
    /// The last poll failed, or skipped entries: worth an operator's look.
    pub fn is_bad(&self) -> bool {
        self.last_error.is_some()
    }
}

/// Every configured feed, in the configured order, as its row says (a
/// feed never polled yet has none, and shows as such).
pub fn statuses(conn: &mut Conn<'_>, configured: &[Url]) -> Result<Vec<FeedStatus>, DbError> {
    if configured.is_empty() {
        return Ok(Vec::new());
    }
    let urls: Vec<String> = configured.iter().map(Url::to_string).collect();
    let rows: Vec<FeedState> = crate::db_run!(conn, |conn| feeds::table
        .filter(feeds::url.eq_any(&urls))
        .select(FeedState::as_select())
        .load(conn))?;
    Ok(configured
        .iter()
        .map(|u| {
            let row = rows.iter().find(|r| r.url == u.as_str());
            FeedStatus {
                url: u.clone(),
                last_success_at: row.and_then(|r| r.last_success_at),
                last_attempt_at: row.and_then(|r| r.last_attempt_at),
                last_error: row.and_then(|r| r.last_error.clone()),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_guid_the_links_path_or_its_slug() {
        let link = "https://news.example/world/2026/kabul-flood/";
        assert_eq!(
            article_id(IdFrom::Guid, "kabul-1", link).unwrap(),
            "kabul-1"
        );
        assert_eq!(
            article_id(IdFrom::LinkPath, "", link).unwrap(),
            "world-2026-kabul-flood"
        );
        assert_eq!(
            article_id(IdFrom::LinkSlug, "", link).unwrap(),
            "kabul-flood"
        );
        assert!(article_id(IdFrom::Guid, "", link).is_err());
        let err = article_id(IdFrom::Guid, "https://news.example/?p=1", link).unwrap_err();
        assert!(err.contains("articles.id_from"), "{err}");
    }

    #[test]
    fn sections_are_mapped_exactly_or_ignoring_case() {
        let map = BTreeMap::from([("Weltnachrichten".to_owned(), "International".to_owned())]);
        assert_eq!(mapped(&map, "Weltnachrichten".into()), "International");
        assert_eq!(mapped(&map, "weltnachrichten".into()), "International");
        assert_eq!(mapped(&map, "Sport".into()), "Sport");
    }
}
