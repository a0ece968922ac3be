//! The queue at a glance (issue 18): each row's preview, language and
//! badges, the `language=` and `overdue=1` filters, and the desk's first
//! look recorded. Mirrors `src/triage/first_look.rs` and the queue's part
//! of `src/triage/mod.rs`.

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const PERSIAN: &str = "وزیر آن روز در کابل نبود و این جمله در پاراگراف دوم غلط است";

/// The ids of the tips a queue page lists.
fn listed(page: &str) -> BTreeSet<i64> {
    Page::parse(page).listed_tips().into_iter().collect()
}

fn row(id: i64, css: &str) -> String {
    format!("tr[data-tip=\"{id}\"] {css}")
}

async fn rows_show_a_preview_the_language_and_badges(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let persian = send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": PERSIAN, "contact": "+93 70 123 4567", "consent": true}),
    )
    .await;
    let russian = send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": "Во втором абзаце неправильно написана фамилия министра."}),
    )
    .await;
    // Pashto, which the detector alone would call Persian or Urdu.
    let pashto = send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": "زموږ ښوونځی نه دی تړل شوی، جومات ته لېږدول شوی دی."}),
    )
    .await;
    let long = format!(
        "The caption is wrong.\n\nThe photo shows   the old bridge, {}",
        "and the new one opened in May ".repeat(8)
    );
    let english = send_tip(&app, DEMO_ARTICLE, json!({ "message": long })).await;
    // 200 flags: each one grapheme cluster of two code points.
    let flags = send_tip(&app, DEMO_ARTICLE, json!({"message": "🇦🇫".repeat(200)})).await;
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": "Our school was not closed, it moved to the mosque."}),
        )
        .await;
    let receipt = res.json::<serde_json::Value>().await.unwrap()["receipt"]
        .as_str()
        .unwrap()
        .to_owned();
    let replied = app.jobs().last().unwrap().tip_id;
    // Two files, as a reader's browser sends them (issue 17), and a third
    // with the reader's follow-up message.
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let res = app
        .post_multipart(
            &format!("/api/v1/articles/{DEMO_ARTICLE}/tips"),
            &[("message", "The minutes of the council meeting, both pages.")],
            &[("page-1.pdf", pdf.to_vec()), ("page-2.pdf", pdf.to_vec())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let with_files = app.jobs().last().unwrap().tip_id;
    let sent: serde_json::Value = res.json().await.unwrap();
    let res = app
        .post_multipart(
            "/api/v1/follow-up/messages",
            &[
                ("receipt", sent["receipt"].as_str().unwrap()),
                ("message", "And the attendance list."),
            ],
            &[("attendance.pdf", pdf.to_vec())],
        )
        .await;
    created(res).await;
    let res = app
        .client
        .post(app.url("/api/v1/follow-up/messages"))
        .json(&json!({"receipt": receipt, "message": "I have a photo of the notice too."}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let html = admin.get("/desk/tips").await.text().await.unwrap();
    let page = Page::parse(&html);

    // The start of the message, white space as one space, cut with an
    // ellipsis at 160 user-perceived characters, never inside one.
    let flat = long.split_whitespace().collect::<Vec<_>>().join(" ");
    let expected: String = flat.chars().take(159).chain(['…']).collect();
    assert_eq!(
        page.text(&row(english, "td.preview [dir=auto]")).as_deref(),
        Some(expected.as_str())
    );
    assert_eq!(
        page.text(&row(flags, "td.preview [dir=auto]")).as_deref(),
        Some(format!("{}…", "🇦🇫".repeat(159)).as_str())
    );
    assert_eq!(
        page.text(&row(persian, "td.preview [dir=auto]")).as_deref(),
        Some(PERSIAN),
        "a short message whole"
    );

    // The language, named in itself and marked for the browser.
    assert_eq!(
        page.attr(&row(persian, ".lang"), "lang").as_deref(),
        Some("fa")
    );
    assert_eq!(page.text(&row(persian, ".lang")).as_deref(), Some("فارسی"));
    assert_eq!(
        page.attr(&row(russian, ".lang"), "lang").as_deref(),
        Some("ru")
    );
    assert_eq!(
        page.attr(&row(english, ".lang"), "lang").as_deref(),
        Some("en")
    );
    assert_eq!(page.count(&row(flags, ".lang")), 0, "no language to tell");
    assert_eq!(
        page.attr(&row(pashto, ".lang"), "lang").as_deref(),
        Some("ps")
    );
    assert_eq!(page.text(&row(pashto, ".lang")).as_deref(), Some("پښتو"));

    // Badges: a contact left, files attached, the reader replied; nothing
    // is overdue yet.
    assert_eq!(page.count(&row(persian, ".badge.contact")), 1);
    assert_eq!(page.count(&row(russian, ".badge.contact")), 0);
    assert_eq!(page.count(&row(replied, ".badge.replied")), 1);
    assert_eq!(page.count(&row(russian, ".badge.replied")), 0);
    assert_eq!(
        page.text(&row(with_files, ".badge.files")).as_deref(),
        Some("3 files")
    );
    assert_eq!(
        page.count(".badge.files"),
        1,
        "only the tip that came with files"
    );
    let res = admin.post("/desk/locale", &[("locale", "fa")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let fa = Page::of(admin.get("/desk/tips").await).await;
    assert_eq!(
        fa.text(&row(with_files, ".badge.files")).as_deref(),
        Some("۳ فایل"),
        "in the desk's language, with its digits"
    );
    let res = admin.post("/desk/locale", &[("locale", "en")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.count(".badge.overdue"), 0);

    // language= takes the language as a desk names it.
    for tag in ["fa", "fa-IR", "pes"] {
        let found = admin.get(&format!("/desk/tips?language={tag}")).await;
        assert_eq!(found.status(), StatusCode::OK, "{tag}");
        assert_eq!(
            listed(&found.text().await.unwrap()),
            BTreeSet::from([persian]),
            "{tag}"
        );
    }
    let ru = admin
        .get("/desk/tips?language=ru")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&ru), BTreeSet::from([russian]));
    let ps = admin.get("/desk/tips?language=ps").await;
    assert_eq!(listed(&ps.text().await.unwrap()), BTreeSet::from([pashto]));
    assert_eq!(
        Page::parse(&ru).status_count("new").as_deref(),
        Some("New 1"),
        "counts agree"
    );
    let bad = admin.get("/desk/tips?language=not%20a%20language").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(Page::of(bad)
        .await
        .has_text("p.notice", "is not a language"));
}

/// Sets a tip's arrival `hours` ago.
fn arrived_hours_ago(app: &TestApp, id: i64, hours: i64) {
    let at = chrono::Utc::now().naive_utc() - chrono::Duration::hours(hours);
    app.execute_sql(&format!(
        "UPDATE tips SET created_at = '{}' WHERE id = {id}",
        at.format("%Y-%m-%d %H:%M:%S")
    ));
}

async fn unread_tips_past_their_desks_first_look_are_overdue(backend: Backend) {
    let app = newsroom_with(backend, |s| {
        s.desks.get_mut("international").unwrap().first_look_hours = NonZeroU32::new(2).unwrap();
        // The same words twice on one article would be one case, shown
        // once (tests/api/cases.rs); each tip's own marks are tested here.
        s.triage.case_candidates = 0;
    })
    .await;
    app.leave_jobs_unsent();
    let tip = |article: &'static str| send_tip(&app, article, json!({"message": DESK_MESSAGE}));
    let intl_late = tip(DEMO_ARTICLE).await;
    let intl_fresh = tip(DEMO_ARTICLE).await;
    let sport_3h = tip("derby-report").await;
    let sport_late = tip("derby-report").await;
    arrived_hours_ago(&app, intl_late, 3);
    arrived_hours_ago(&app, sport_3h, 3);
    arrived_hours_ago(&app, sport_late, 30);
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;

    let html = admin.get("/desk/tips").await.text().await.unwrap();
    let page = Page::parse(&html);
    for (id, overdue, age) in [
        (intl_late, true, "3 h"),
        (intl_fresh, false, "0 min"),
        (sport_3h, false, "3 h"),
        (sport_late, true, "1 d"),
    ] {
        assert_eq!(
            page.count(&row(id, ".badge.overdue")),
            usize::from(overdue),
            "{id}"
        );
        assert_eq!(page.text(&row(id, ".age")).as_deref(), Some(age), "{id}");
    }
    let overdue = admin
        .get("/desk/tips?overdue=1")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&overdue), BTreeSet::from([intl_late, sport_late]));
    assert_eq!(
        Page::parse(&overdue).status_count("new").as_deref(),
        Some("New 2")
    );
    assert_eq!(
        Page::parse(&overdue)
            .attr("input[name=overdue]", "checked")
            .as_deref(),
        Some(""),
        "the box stays ticked"
    );
    let mine = editor
        .get("/desk/tips?overdue=1")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        listed(&mine),
        BTreeSet::from([intl_late]),
        "their desks only"
    );
    let bad = admin.get("/desk/tips?overdue=yes").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(Page::of(bad)
        .await
        .has_text("p.notice", "The overdue filter is 1"));

    // The first look by anyone at the desk ends it, and is kept as the
    // first: a later reader does not move it.
    let first_read = |id: i64| {
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM tips WHERE id = {id} AND first_read_at IS NOT NULL \
             AND first_read_at = (SELECT min(read_at) FROM tip_reads WHERE tip_id = {id})"
        ))
    };
    assert_eq!(first_read(intl_late), 0);
    assert_eq!(
        admin.get(&format!("/desk/tips/{intl_late}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(first_read(intl_late), 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    editor.get(&format!("/desk/tips/{intl_late}")).await;
    assert_eq!(first_read(intl_late), 1, "still the admin's look");
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM tip_reads"),
        2,
        "each person's own reading is kept too"
    );
    let overdue = admin
        .get("/desk/tips?overdue=1")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&overdue), BTreeSet::from([sport_late]));
    let mine = editor.get("/desk/tips").await.text().await.unwrap();
    assert_eq!(Page::parse(&mine).count(".badge.overdue"), 0);
}

crate::both_backends!(
    rows_show_a_preview_the_language_and_badges,
    unread_tips_past_their_desks_first_look_are_overdue,
);
