//! The desks' figures (issue 18, "never stale"): `GET /desk/stats` and the
//! gauges `tipdesk_tips_unread{desk}`, `tipdesk_tips_overdue{desk}`, on
//! known data. Mirrors `src/triage/stats.rs` and
//! `src/triage/routes/stats.rs`.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use crate::helpers::*;
use chrono::{Duration, NaiveDateTime, Utc};
use reqwest::StatusCode;
use serde_json::json;

fn sql_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A tip that arrived `hours` ago and was first opened `opened_after`
/// hours after that (never, with `None`).
async fn tip_at(
    app: &TestApp,
    article: &str,
    message: &str,
    hours: i64,
    opened_after: Option<i64>,
) -> (i64, NaiveDateTime) {
    let id = send_tip(app, article, json!({ "message": message })).await;
    let at = Utc::now().naive_utc() - Duration::hours(hours);
    let read = opened_after.map_or("NULL".to_owned(), |h| {
        format!("'{}'", sql_time(at + Duration::hours(h)))
    });
    app.execute_sql(&format!(
        "UPDATE tips SET created_at = '{}', first_read_at = {read} WHERE id = {id}",
        sql_time(at)
    ));
    (id, at)
}

async fn desk_figures_on_known_tips(backend: Backend) {
    let app = newsroom_with(backend, |s| {
        s.desks.get_mut("international").unwrap().first_look_hours = NonZeroU32::new(2).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    // International (first look within 2 hours): opened after 1, 3, 5 and
    // 24 hours; one unopened for 4 hours (overdue), one for 30 minutes
    // (not yet due).
    let mut arrivals = Vec::new();
    for (i, (hours, opened)) in [
        (10, Some(1)),
        (20, Some(3)),
        (5 * 24, Some(5)),
        (10 * 24, Some(24)),
        (4, None),
    ]
    .into_iter()
    .enumerate()
    {
        let (id, at) = tip_at(
            &app,
            DEMO_ARTICLE,
            &format!("International tip number {i} about the bridge."),
            hours,
            opened,
        )
        .await;
        arrivals.push(at);
        if i == 1 {
            app.execute_sql(&format!(
                "UPDATE tips SET status = 'in_review' WHERE id = {id}"
            ));
        }
    }
    let fresh = send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": "A fresh tip that has just come in about the bridge."}),
    )
    .await;
    let at = Utc::now().naive_utc() - Duration::minutes(30);
    app.execute_sql(&format!(
        "UPDATE tips SET created_at = '{}' WHERE id = {fresh}",
        sql_time(at)
    ));
    arrivals.push(at);
    // The default desk (24 hours): one unopened for 30 hours, one tip of
    // 40 days ago (outside every window), opened.
    tip_at(
        &app,
        "derby-report",
        "The score was 2-2, not 2-1 as the report says.",
        30,
        None,
    )
    .await;
    tip_at(
        &app,
        "derby-report",
        "An old tip about the derby, opened long ago.",
        40 * 24,
        Some(2),
    )
    .await;

    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let res = admin.get("/desk/stats").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::parse(&res.text().await.unwrap());
    let intl = "section[data-desk=\"international\"]";
    let fig = |desk: &str, which: &str| {
        page.text(&format!(
            "section[data-desk=\"{desk}\"] [data-figure=\"{which}\"] .n"
        ))
    };
    assert_eq!(fig("international", "total").as_deref(), Some("6"));
    assert_eq!(fig("international", "unread").as_deref(), Some("2"));
    assert_eq!(fig("international", "overdue").as_deref(), Some("1"));
    assert_eq!(fig("default", "total").as_deref(), Some("2"));
    assert_eq!(fig("default", "unread").as_deref(), Some("1"));
    assert_eq!(fig("default", "overdue").as_deref(), Some("1"));
    assert_eq!(
        page.attr(&format!("{intl} [data-figure=\"overdue\"]"), "href")
            .as_deref(),
        Some("/desk/tips?overdue=1&desk=international")
    );
    let status = |s: &str| page.text(&format!("{intl} td[data-status=\"{s}\"]"));
    assert_eq!(status("new").as_deref(), Some("5"));
    assert_eq!(status("in_review").as_deref(), Some("1"));
    assert_eq!(status("closed").as_deref(), Some("0"));

    // 7 days: opened after 1, 3 and 5 hours, overdue for 4 so far (the
    // fresh tip is not due): the median is 3 hours; the 90th percentile
    // is the 5 hours, or more if the overdue tip is opened later still.
    let cell = |window: &str, class: &str| {
        page.text(&format!("{intl} tr[data-window=\"{window}\"] td.{class}"))
    };
    assert_eq!(cell("7", "tips").as_deref(), Some("5"));
    assert_eq!(cell("7", "median").as_deref(), Some("3 h"));
    assert_eq!(cell("7", "p90").as_deref(), Some("at least 5 h"));
    // 30 days adds the 24 hours: 1, 3, ≥4, 5, 24.
    assert_eq!(cell("30", "tips").as_deref(), Some("6"));
    assert_eq!(cell("30", "median").as_deref(), Some("at least 4 h"));
    assert_eq!(cell("30", "p90").as_deref(), Some("at least 1 d"));
    assert_eq!(
        page.text("section[data-desk=\"default\"] tr[data-window=\"7\"] td.median")
            .as_deref(),
        Some("at least 1 d"),
        "the overdue tip alone"
    );

    // The chart: a bar per day of the last 30, each with its tips.
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for at in &arrivals {
        *expected.entry(at.date().to_string()).or_default() += 1;
    }
    let days = page.attrs(&format!("{intl} svg rect"), "data-day");
    let counts = page.attrs(&format!("{intl} svg rect"), "data-count");
    assert_eq!(days.len(), 30);
    assert_eq!(days.last().unwrap(), &Utc::now().date_naive().to_string());
    let shown: BTreeMap<String, i64> = days
        .into_iter()
        .zip(counts.iter().map(|c| c.parse::<i64>().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(shown, expected);

    // The gauges, as Prometheus reads them.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for line in [
        "tipdesk_tips_unread{desk=\"international\"} 2",
        "tipdesk_tips_overdue{desk=\"international\"} 1",
        "tipdesk_tips_unread{desk=\"default\"} 1",
        "tipdesk_tips_overdue{desk=\"default\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }

    // An editor sees their desks' figures only; ops have none.
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let mine = Page::parse(&editor.get("/desk/stats").await.text().await.unwrap());
    assert_eq!(
        mine.attrs("section.desk-stats", "data-desk"),
        ["international"]
    );
    let ops = signed_in(&app, "ops@example.org", "ops", &[]).await;
    assert_eq!(ops.get("/desk/stats").await.status(), StatusCode::FORBIDDEN);
    // Opening the overdue tip ends it: the figures follow at once.
    let overdue_id = app.count_sql(
        "SELECT id AS n FROM tips WHERE desk = 'international' AND first_read_at IS NULL AND message LIKE 'International%'",
    );
    editor.get(&format!("/desk/tips/{overdue_id}")).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics
        .lines()
        .any(|l| l == "tipdesk_tips_overdue{desk=\"international\"} 0"));
}

crate::both_backends!(desk_figures_on_known_tips);
