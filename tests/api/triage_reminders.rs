//! The desk's reminder of overdue tips (issue 18, "never stale"): at most
//! one per desk per UTC day however many workers look, none when nothing
//! is overdue, saying how many and which (article, age, link) but never a
//! tip's text; mailed over a real SMTP conversation on loopback. Mirrors
//! `src/triage/reminder.rs`. The reminder's clock is the `now` it is given,
//! so the days below are chosen, not waited for.

use std::num::NonZeroU32;
use std::sync::{Arc, Barrier};

use crate::helpers::*;
use crate::smtp::{Received, SmtpServer};
use chrono::{Duration, NaiveDateTime, Utc};
use serde_json::json;
use tipdesk::config::Settings;
use tipdesk::db::{DbError, Pool};
use tipdesk::triage::reminder::{remind, Reminded};

fn sql_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Sets when a tip arrived and when it was first opened (never: `None`).
fn arrived(app: &TestApp, id: i64, at: NaiveDateTime, read: Option<NaiveDateTime>) {
    let read = read.map_or("NULL".to_owned(), |r| format!("'{}'", sql_time(r)));
    app.execute_sql(&format!(
        "UPDATE tips SET created_at = '{}', first_read_at = {read} WHERE id = {id}",
        sql_time(at)
    ));
}

fn remind_at(pool: &Pool, settings: &Settings, now: NaiveDateTime) -> Vec<Reminded> {
    pool.with(|c| remind(c, settings, now).map_err(DbError::from))
        .expect("reminders")
}

/// (desk, overdue, unread) of each reminder, by desk.
fn queued(reminders: &[Reminded]) -> Vec<(String, i64, i64)> {
    let mut q: Vec<_> = reminders
        .iter()
        .map(|r| (r.desk.clone(), r.overdue, r.unread))
        .collect();
    q.sort();
    q
}

fn reminders_to(smtp: &SmtpServer, address: &str) -> Vec<Received> {
    smtp.accepted()
        .into_iter()
        .filter(|m| m.to == vec![address.to_owned()])
        .filter(|m| {
            m.header("Subject")
                .is_some_and(|s| s.contains("first look"))
        })
        .collect()
}

/// Noon (UTC) `days` days before today: a time safely inside its day.
fn noon_days_ago(days: i64) -> NaiveDateTime {
    (Utc::now().date_naive() - Duration::days(days))
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

async fn one_reminder_per_desk_per_day_however_many_look(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = newsroom_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.desks.get_mut("international").unwrap().first_look_hours = NonZeroU32::new(2).unwrap();
    })
    .await;
    // The tips' own emails after the first to each address wait for its
    // digest window; this test is about the reminders.
    app.leave_jobs_unsent();
    let four_days_ago = Utc::now().naive_utc() - Duration::days(4);
    let intl = send_tip(&app, DEMO_ARTICLE, json!({"message": DESK_MESSAGE})).await;
    let sport = send_tip(&app, "derby-report", json!({"message": DESK_MESSAGE})).await;
    let sport_read = send_tip(&app, "derby-report", json!({"message": DESK_MESSAGE})).await;
    arrived(&app, intl, four_days_ago, None);
    arrived(&app, sport, four_days_ago, None);
    arrived(
        &app,
        sport_read,
        four_days_ago,
        Some(four_days_ago + Duration::hours(1)),
    );
    app.worker().drain().await.unwrap();
    assert!(reminders_to(&smtp, "intl@example.org").is_empty());

    // Day one: the first look queues one reminder per desk; looking again
    // later that day queues nothing.
    let day_one = noon_days_ago(2);
    assert_eq!(
        queued(&remind_at(&app.pool, &app.settings, day_one)),
        vec![
            ("default".to_owned(), 1, 1),
            ("international".to_owned(), 1, 1)
        ]
    );
    assert_eq!(
        remind_at(&app.pool, &app.settings, day_one + Duration::hours(11)),
        vec![],
        "the same day"
    );

    // Day two: two workers on their own connections look at the same
    // moment; between them they queue one reminder per desk.
    let day_two = noon_days_ago(1);
    let start = Arc::new(Barrier::new(2));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let pool = Pool::connect(&app.settings.database).unwrap();
            let settings = app.settings.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                remind_at(&pool, &settings, day_two)
            })
        })
        .collect();
    let raced: Vec<Reminded> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(
        queued(&raced),
        vec![
            ("default".to_owned(), 1, 1),
            ("international".to_owned(), 1, 1)
        ]
    );
    assert_eq!(
        remind_at(&app.pool, &app.settings, day_two + Duration::hours(1)),
        vec![]
    );

    app.worker().drain().await.unwrap();
    assert_eq!(reminders_to(&smtp, "intl@example.org").len(), 2, "two days");
    assert_eq!(reminders_to(&smtp, "desk@localhost").len(), 2, "two days");
    assert_eq!(
        app.count_sql(
            "SELECT count(*) AS n FROM outbox WHERE reason = 'reminder' AND state = 'sent'"
        ),
        4
    );
}

async fn the_reminder_says_how_many_and_which_but_not_what(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = newsroom_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.desks.get_mut("international").unwrap().first_look_hours = NonZeroU32::new(2).unwrap();
        s.desks.get_mut("default").unwrap().locale = Some("fa".into());
    })
    .await;
    app.leave_jobs_unsent();
    let now = Utc::now().naive_utc();
    let texts = [
        "The bridge was closed on Monday, not Tuesday; I walked past it.",
        "Two of the names in the photo caption are swapped.",
        "A fresh tip that nobody had time to open yet.",
        "An old tip the sport desk has read already.",
        "A sport tip that nobody opened for two days.",
        "A new sport tip while the last email's window is open.",
    ];
    let tip = |article: &'static str, text: &'static str| {
        send_tip(&app, article, json!({ "message": text }))
    };
    let three_hours = tip(DEMO_ARTICLE, texts[0]).await;
    let five_hours = tip(DEMO_ARTICLE, texts[1]).await;
    let fresh = tip(DEMO_ARTICLE, texts[2]).await;
    let sport_read = tip("derby-report", texts[3]).await;
    let sport_late = tip("derby-report", texts[4]).await;
    arrived(&app, three_hours, now - Duration::hours(3), None);
    arrived(&app, five_hours, now - Duration::hours(5), None);
    arrived(&app, fresh, now - Duration::minutes(30), None);
    arrived(
        &app,
        sport_read,
        now - Duration::hours(40),
        Some(now - Duration::hours(39)),
    );
    arrived(&app, sport_late, now - Duration::hours(48), None);
    // The tips' emails go out; a tip after them waits for its address's
    // digest window (5 minutes).
    app.worker().drain().await.unwrap();
    tip("derby-report", texts[5]).await;
    app.worker().drain().await.unwrap();
    let held = app.unsent_jobs().len();
    assert_eq!(held, 1, "the new sport tip waits for the digest window");

    assert_eq!(
        queued(&remind_at(&app.pool, &app.settings, now)),
        vec![
            ("default".to_owned(), 1, 2),
            ("international".to_owned(), 2, 3)
        ]
    );
    app.worker().drain().await.unwrap();
    assert_eq!(
        app.unsent_jobs().len(),
        held,
        "the reminders went out at once, not held by the window; the tip still waits"
    );

    let mail = reminders_to(&smtp, "intl@example.org");
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert_eq!(
        m.subject().as_deref(),
        Some("2 tips wait for a first look at International")
    );
    let body = m.body_text();
    assert!(
        body.contains(
            "2 tips have waited more than 2 hours without anyone at the desk opening them. \
             3 tips are unread in all."
        ),
        "{body}"
    );
    assert!(
        body.contains(&app.url("/desk/tips?overdue=1&desk=international")),
        "the overdue filter: {body}"
    );
    // Which: oldest first, each with its age and a link; not the fresh one.
    let link = |id: i64| app.url(&format!("/desk/tips/{id}"));
    let (older, newer) = (
        body.find(&link(five_hours))
            .expect("the 5-hour tip is named"),
        body.find(&link(three_hours))
            .expect("the 3-hour tip is named"),
    );
    assert!(older < newer, "oldest first: {body}");
    assert!(!body.contains(&link(fresh)), "not overdue: {body}");
    assert!(body.contains("waiting 5 h"), "{body}");
    assert!(body.contains("waiting 3 h"), "{body}");
    assert!(body.contains("CSTO"), "the article's title: {body}");
    // Never what: no text, no reference.
    let tips = app.tips();
    for t in tips.iter().filter(|t| t.desk == "international") {
        assert!(
            !m.data.contains(&t.message[..20]) && !body.contains(&t.message[..20]),
            "a tip's text leaked: {body}"
        );
        assert!(
            !m.data.contains(&t.reference) && !body.contains(&t.reference),
            "a reference leaked: {body}"
        );
    }

    // The default desk reads Persian: its reminder is in Persian, and
    // names its one overdue tip, not the one it read.
    let mail = reminders_to_any(&smtp, "desk@localhost");
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    let subject = m.subject().unwrap();
    assert!(subject.contains("در انتظار نخستین نگاه"), "{subject}");
    assert!(m.html_part().contains("lang=\"fa\" dir=\"rtl\""));
    let body = m.body_text();
    assert!(body.contains(&link(sport_late)), "{body}");
    assert!(!body.contains(&link(sport_read)), "{body}");
    assert!(
        body.contains(&app.url("/desk/tips?overdue=1&desk=default")),
        "{body}"
    );
    for text in texts {
        assert!(!m.data.contains(&text[..20]) && !body.contains(&text[..20]));
    }
}

/// Emails to `address` that link to the overdue filter: reminders, in
/// whatever language.
fn reminders_to_any(smtp: &SmtpServer, address: &str) -> Vec<Received> {
    smtp.accepted()
        .into_iter()
        .filter(|m| m.to == vec![address.to_owned()])
        .filter(|m| m.body_text().contains("/desk/tips?overdue=1"))
        .collect()
}

async fn no_reminder_when_nothing_is_overdue(backend: Backend) {
    let app = newsroom_with(backend, |s| {
        s.desks.get_mut("international").unwrap().first_look_hours = NonZeroU32::new(2).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    let now = Utc::now().naive_utc();
    let fresh = send_tip(&app, DEMO_ARTICLE, json!({"message": DESK_MESSAGE})).await;
    let read = send_tip(&app, "derby-report", json!({"message": DESK_MESSAGE})).await;
    let late = send_tip(&app, DEMO_ARTICLE, json!({"message": DESK_MESSAGE})).await;
    arrived(&app, fresh, now - Duration::minutes(90), None);
    arrived(
        &app,
        read,
        now - Duration::days(3),
        Some(now - Duration::days(2)),
    );
    arrived(&app, late, now - Duration::hours(3), None);
    // Someone at the desk opens the late tip: nothing is overdue any more.
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    assert_eq!(
        admin.get(&format!("/desk/tips/{late}")).await.status(),
        reqwest::StatusCode::OK
    );

    assert_eq!(remind_at(&app.pool, &app.settings, now), vec![]);
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM outbox WHERE reason = 'reminder'"),
        0
    );
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM desk_reminders"),
        0,
        "no desk's day is spent on nothing"
    );
    // Half an hour later the fresh tip is overdue (2 hours): now there is.
    assert_eq!(
        queued(&remind_at(
            &app.pool,
            &app.settings,
            now + Duration::minutes(31)
        )),
        vec![("international".to_owned(), 1, 1)]
    );
}

crate::both_backends!(
    one_reminder_per_desk_per_day_however_many_look,
    the_reminder_says_how_many_and_which_but_not_what,
    no_reminder_when_nothing_is_overdue,
);
