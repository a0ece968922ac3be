//! The newsroom's feeds (`articles.feeds`), served by a real HTTP server
//! on loopback: RSS 2.0, Atom and JSON Feed each make their articles, an
//! unchanged feed (same `ETag`) changes nothing, a category mapped to
//! another desk's section routes tips there, a broken feed is reported
//! while the others sync, and two instances polling at once fetch once.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tipdesk::articles::feeds::{Due, FeedPoller, Outcome, Quiet};

use crate::feed_server::{FeedServer, Served};
use crate::helpers::*;

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Newsroom</title><link>https://news.example/</link><description>All stories</description>
  <language>fa</language>
  <item>
    <title>سیل در کابل</title><link>https://news.example/world/kabul-flood</link>
    <guid isPermaLink="false">kabul-flood</guid><category>Weltnachrichten</category>
  </item>
  <item>
    <title>Derby ends in a draw</title><link>https://news.example/sport/derby</link>
    <guid isPermaLink="false">derby</guid><category>Sport</category>
  </item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ps">
  <title>Newsroom in Pashto</title><id>urn:newsroom:ps</id><updated>2026-11-30T08:00:00Z</updated>
  <entry>
    <title>د هرات زلزله</title><id>herat-quake</id><updated>2026-11-30T08:00:00Z</updated>
    <link rel="alternate" href="https://news.example/ps/herat-quake"/>
    <category term="international" label="International"/>
  </entry>
</feed>"#;

const JSON_FEED: &str = r#"{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Newsroom in Russian",
  "language": "ru",
  "items": [
    {"id": "moscow-bridge", "url": "https://news.example/ru/moscow-bridge",
     "title": "Мост закрыт", "tags": ["Politics"]}
  ]
}"#;

/// A newsroom whose International desk owns what the feeds call
/// "Weltnachrichten".
async fn newsroom_with_map(backend: Backend, feeds: &[String]) -> TestApp {
    let feeds = feeds.to_vec();
    TestApp::spawn_with(backend, move |s| {
        add_desk(s, "international", "International", "intl@example.org");
        s.articles
            .section_map
            .insert("Weltnachrichten".into(), "International".into());
        s.articles.feeds = feeds.iter().map(|f| f.parse().unwrap()).collect();
    })
    .await
}

fn article(app: &TestApp, id: &str) -> Option<tipdesk::articles::Article> {
    let id = tipdesk::domain::ArticleId::parse(id).unwrap();
    app.pool.with(|c| tipdesk::articles::find(c, &id)).unwrap()
}

/// A poller on `app`'s database, as another instance would run it.
fn poller(app: &TestApp, feeds: &[String]) -> FeedPoller {
    let mut settings = app.settings.articles.clone();
    settings.feeds = feeds.iter().map(|f| f.parse().unwrap()).collect();
    FeedPoller::new(
        app.pool.clone(),
        Arc::new(settings),
        Arc::new(tipdesk::ops::Metrics::new()),
    )
    .unwrap()
}

fn sync(app: &TestApp, feeds: &[String]) -> String {
    let out = app.cli_with(
        &["articles", "sync"],
        &[
            ("TIPDESK_ARTICLES__FEEDS", &feeds.join(",")),
            (
                "TIPDESK_ARTICLES__SECTION_MAP__Weltnachrichten",
                "International",
            ),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn rss_atom_and_json_feeds_make_their_articles_once(backend: Backend) {
    let server = FeedServer::start();
    server.serve("/rss.xml", Served::feed("application/rss+xml", RSS, "r1"));
    server.serve(
        "/atom.xml",
        Served::feed("application/atom+xml", ATOM, "a1"),
    );
    server.serve(
        "/feed.json",
        Served::feed("application/feed+json", JSON_FEED, "j1"),
    );
    let feeds = ["/rss.xml", "/atom.xml", "/feed.json"].map(|p| server.url(p));
    let app = newsroom_with_map(backend, &[]).await;

    let report = sync(&app, &feeds);
    assert!(
        report.contains(&format!("{}: 2 added", feeds[0])),
        "{report}"
    );
    assert!(
        report.contains(&format!("{}: 1 added", feeds[1])),
        "{report}"
    );
    assert!(
        report.contains(&format!("{}: 1 added", feeds[2])),
        "{report}"
    );
    for (id, title, section, language) in [
        ("kabul-flood", "سیل در کابل", "International", "fa"),
        ("derby", "Derby ends in a draw", "Sport", "fa"),
        ("herat-quake", "د هرات زلزله", "International", "ps"),
        ("moscow-bridge", "Мост закрыт", "Politics", "ru"),
    ] {
        let a = article(&app, id).unwrap_or_else(|| panic!("{id} was not made"));
        assert_eq!(
            (a.title.as_str(), a.section.as_str(), a.language.as_deref()),
            (title, section, Some(language)),
            "{id}"
        );
    }
    // The feed's category, mapped, picks the desk.
    send_tip(
        &app,
        "kabul-flood",
        serde_json::json!({"message": "The flood reached Pul-e Khishti."}),
    )
    .await;
    assert_eq!(app.jobs().last().unwrap().recipient, "intl@example.org");
    app.worker().drain().await.unwrap();

    // Unchanged feeds: one conditional request each, answered 304, and
    // nothing written.
    let before = article(&app, "derby").unwrap().updated_at;
    let report = sync(&app, &feeds);
    assert!(report.contains("not modified"), "{report}");
    assert!(!report.contains("added"), "{report}");
    for path in ["/rss.xml", "/atom.xml", "/feed.json"] {
        assert_eq!(server.requests(path), 2, "{path}");
    }
    assert_eq!(article(&app, "derby").unwrap().updated_at, before);

    // A changed feed updates what changed and leaves the rest.
    server.serve(
        "/rss.xml",
        Served::feed(
            "application/rss+xml",
            &RSS.replace("Derby ends in a draw", "Derby: a late equaliser"),
            "r2",
        ),
    );
    let report = sync(&app, &feeds);
    assert!(
        report.contains(&format!("{}: 0 added, 1 updated, 1 unchanged", feeds[0])),
        "{report}"
    );
    assert_eq!(
        article(&app, "derby").unwrap().title,
        "Derby: a late equaliser"
    );
}

async fn a_broken_feed_is_reported_while_the_others_sync(backend: Backend) {
    let server = FeedServer::start();
    server.serve("/rss.xml", Served::feed("application/rss+xml", RSS, "r1"));
    server.serve(
        "/broken.xml",
        Served::feed(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><title>Broken</title></chanel></rss>",
            "b1",
        ),
    );
    let mut gone = Served::feed("text/html", "Internal error", "g1");
    gone.status = 500;
    server.serve("/down.xml", gone);
    let no_link = RSS.replace("<link>https://news.example/sport/derby</link>", "");
    server.serve(
        "/partial.xml",
        Served::feed(
            "application/rss+xml",
            &no_link.replace("kabul-flood", "kabul-2"),
            "p1",
        ),
    );
    let feeds = ["/broken.xml", "/down.xml", "/rss.xml", "/partial.xml"].map(|p| server.url(p));
    // The app's own background poll runs as `tipdesk serve` does.
    let app = newsroom_with_map(backend, &feeds).await;
    for _ in 0..100 {
        if article(&app, "kabul-2").is_some() && article(&app, "derby").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(article(&app, "derby").is_some(), "the good feed synced");
    assert!(
        article(&app, "kabul-2").is_some(),
        "the partial feed's good entry synced"
    );

    let ops = signed_in(&app, "ops@example.org", "ops", &[]).await;
    let page = ops.get("/ops/queue").await.text().await.unwrap();
    let page = Page::parse(&page);
    let row = |i: usize| {
        page.text(&format!("#feeds tbody tr:nth-child({i})"))
            .unwrap()
    };
    assert!(
        row(1).contains(&feeds[0]) && row(1).contains("not an RSS, Atom or JSON feed"),
        "{}",
        row(1)
    );
    assert!(row(1).contains("never"), "{}", row(1));
    assert!(row(2).contains("HTTP 500"), "{}", row(2));
    assert!(!row(3).contains("never"), "{}", row(3));
    assert!(
        row(4).contains("skipped 1 entry") && row(4).contains("no link"),
        "{}",
        row(4)
    );
    assert_eq!(
        page.count("#feeds tr.bad"),
        3,
        "the broken, the down and the partial feed"
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!(
            "tipdesk_feed_last_success_timestamp_seconds{{feed=\"{}\"}}",
            feeds[2]
        )),
        "{metrics}"
    );
    assert!(
        !metrics.contains(&format!(
            "tipdesk_feed_last_success_timestamp_seconds{{feed=\"{}\"}}",
            feeds[0]
        )),
        "a feed that never worked has no success time"
    );
    assert!(
        metrics.contains(&format!(
            "tipdesk_feed_articles_total{{feed=\"{}\",result=\"added\"}} 2",
            feeds[2]
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "tipdesk_feed_articles_total{{feed=\"{}\",result=\"skipped\"}} 1",
            feeds[3]
        )),
        "{metrics}"
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

async fn two_instances_polling_at_once_fetch_once(backend: Backend) {
    let server = FeedServer::start();
    let mut slow = Served::feed("application/rss+xml", RSS, "r1");
    slow.delay = Duration::from_millis(400);
    server.serve("/rss.xml", slow);
    let feeds = [server.url("/rss.xml")];
    let app = newsroom_with_map(backend, &[]).await;
    let (a, b) = (poller(&app, &feeds), poller(&app, &feeds));
    let (ra, rb) = tokio::join!(a.poll(Due::Only, &Quiet), b.poll(Due::Only, &Quiet));
    let outcomes = [ra.unwrap().remove(0).1, rb.unwrap().remove(0).1];
    assert_eq!(server.requests("/rss.xml"), 1, "{outcomes:?}");
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::NotClaimed))
            .count(),
        1,
        "{outcomes:?}"
    );
    // Afterwards the feed is not due again for feed_poll_seconds.
    assert!(matches!(
        a.poll(Due::Only, &Quiet).await.unwrap()[0].1,
        Outcome::NotClaimed
    ));
    assert_eq!(server.requests("/rss.xml"), 1);
    assert!(article(&app, "derby").is_some());
}

crate::both_backends!(
    rss_atom_and_json_feeds_make_their_articles_once,
    a_broken_feed_is_reported_while_the_others_sync,
    two_instances_polling_at_once_fetch_once,
);
