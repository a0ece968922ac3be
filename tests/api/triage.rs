//! The desk's triage over HTTP: who sees which desk's tips, what a viewer
//! may not do, the tip workflow, and the queue's filters, counts, paging
//! and text search. Mirrors `src/triage/`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn staff_see_only_their_desks_tips(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let intl = send_tip(&app, DEMO_ARTICLE, json!({"message": DESK_MESSAGE})).await;
    let sport = send_tip(
        &app,
        "derby-report",
        json!({"message": "The derby score in the report is wrong."}),
    )
    .await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let ops = signed_in(&app, "ops@example.org", "ops", &[]).await;

    let list = Page::of(editor.get("/desk/tips").await).await;
    assert_eq!(list.listed_tips(), [intl]);
    assert!(!list.source().contains(&format!("/desk/tips/{sport}\"")));
    assert_eq!(
        editor.get(&format!("/desk/tips/{intl}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        editor.get(&format!("/desk/tips/{sport}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = editor
        .post(&format!("/desk/tips/{sport}/status"), &[("status", "spam")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = editor
        .post(&format!("/desk/tips/{sport}/contact"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let all = Page::of(admin.get("/desk/tips").await).await;
    assert_eq!(all.listed_tips(), [sport, intl], "newest first");
    assert_eq!(
        all.attrs("td.ref a", "href"),
        [format!("/desk/tips/{sport}"), format!("/desk/tips/{intl}")]
    );
    // Ops watch the queue, not tips.
    assert_eq!(
        ops.get(&format!("/desk/tips/{intl}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let queue = Page::of(ops.get("/desk/tips").await).await;
    assert!(queue.listed_tips().is_empty());
    assert!(!queue.source().contains(&format!("/desk/tips/{intl}\"")));
    assert_eq!(app.tips().iter().filter(|t| t.desk == "default").count(), 1);
}

async fn viewers_read_but_cannot_write(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let id = send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": DESK_MESSAGE, "contact": "+93 70 123 4567", "consent": true}),
    )
    .await;
    let viewer = signed_in(&app, "viewer@example.org", "viewer", &["international"]).await;
    let page = Page::of(viewer.get(&format!("/desk/tips/{id}")).await).await;
    assert_eq!(page.text("div.message").as_deref(), Some(DESK_MESSAGE));
    assert_eq!(
        page.count("form[action$=\"/status\"], [name=status]"),
        0,
        "no workflow forms for viewers"
    );
    for (path, fields) in [
        ("status", vec![("status", "in_review")]),
        ("notes", vec![("body", "viewer note")]),
        ("labels", vec![("labels", "x")]),
        ("assign", vec![("assignee", "")]),
        ("contact", vec![]),
    ] {
        let res = viewer
            .post(&format!("/desk/tips/{id}/{path}"), &fields)
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let page = Page::of(viewer.get(&format!("/desk/tips/{id}")).await).await;
    assert_eq!(page.text("h1 .badge.status").as_deref(), Some("New"));
    assert!(!page.all_text().contains("+93 70 123 4567"));
    assert!(!page.source().contains("+93 70 123 4567"));
}

async fn the_workflow_records_who_did_what(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let id = send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": DESK_MESSAGE, "name": "Farid", "contact": "farid@example.org", "consent": true}),
    )
    .await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    add_user(&app, "other@example.org", "editor", &["default"]);
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;

    // The contact is hidden until asked for, and asking is recorded.
    let page = Page::of(editor.get(&format!("/desk/tips/{id}")).await).await;
    assert!(page.has_text("main p span[dir=auto]", "Farid"));
    assert!(!page.all_text().contains("farid@example.org"));
    assert!(!page.source().contains("farid@example.org"));
    let shown = editor.post(&format!("/desk/tips/{id}/contact"), &[]).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(
        Page::of(shown).await.text("#contact-value").as_deref(),
        Some("farid@example.org")
    );

    // Status: only the workflow's next steps.
    let bad = editor
        .post(&format!("/desk/tips/{id}/status"), &[("status", "closed")])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::of(bad)
        .await
        .has_text("p.notice", "can move to: In review, Spam, Duplicate"));
    let garbage = editor
        .post(&format!("/desk/tips/{id}/status"), &[("status", "done")])
        .await;
    assert_eq!(garbage.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for step in ["in_review", "verified", "actioned", "closed"] {
        let res = editor
            .post(&format!("/desk/tips/{id}/status"), &[("status", step)])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{step}");
    }

    // Assign to a desk member; not to someone of another desk.
    let page = editor
        .get(&format!("/desk/tips/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let me = option_for(&page, "intl");
    let res = editor
        .post(&format!("/desk/tips/{id}/assign"), &[("assignee", &me)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let other_id = app
        .pool
        .with(|c| {
            tipdesk::auth::users::find(c, "other@example.org").map_err(tipdesk::db::DbError::from)
        })
        .unwrap()
        .unwrap()
        .0
        .id;
    let res = editor
        .post(
            &format!("/desk/tips/{id}/assign"),
            &[("assignee", &other_id.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        editor
            .post(
                &format!("/desk/tips/{id}/notes"),
                &[("body", "Called the ministry; <b>confirmed</b>.")]
            )
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        editor
            .post(&format!("/desk/tips/{id}/notes"), &[("body", "   ")])
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        editor
            .post(
                &format!("/desk/tips/{id}/labels"),
                &[("labels", "bridge, kunduz, bridge")]
            )
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let page = Page::of(editor.get(&format!("/desk/tips/{id}")).await).await;
    assert_eq!(page.text("h1 .badge.status").as_deref(), Some("Closed"));
    let history = page.texts("ol.history li");
    let recorded = |what: &str| history.iter().any(|e| e.contains(what));
    assert!(recorded("changed the status from Actioned to Closed"));
    assert!(recorded("assigned it to intl"));
    assert_eq!(
        page.texts("ol.history div.note"),
        ["Called the ministry; <b>confirmed</b>."],
        "notes are text"
    );
    assert!(
        !page.source().contains("<b>confirmed</b>"),
        "notes are escaped"
    );
    assert_eq!(page.texts("dd span.label"), ["bridge", "kunduz"]);

    let audit = Page::of(admin.get("/desk/audit").await).await;
    let cells = audit.texts("table.queue td");
    for action in [
        "login",
        "user.add",
        "tip.contact_revealed",
        "tip.status",
        "tip.assign",
        "tip.note",
        "tip.labels",
    ] {
        assert!(cells.iter().any(|c| c == action), "{action} audited");
    }
    assert!(cells.iter().any(|c| c == "in_review -> verified"));
    assert_eq!(
        editor.get("/desk/audit").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn the_queue_filters_counts_marks_unread_and_pages(backend: Backend) {
    // The 55 routine tips below differ by a number only: grouped, they
    // would be one case shown once (tests/api/cases.rs). Off here, where
    // the queue's pages are what is tested.
    let app = newsroom_with(backend, |s| s.triage.case_candidates = 0).await;
    app.leave_jobs_unsent();
    let persian = send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"kind": "correction", "message": "وزیر آن روز در کابل نبود و این جمله غلط است"}),
    )
    .await;
    for i in 0..55 {
        send_tip(
            &app,
            DEMO_ARTICLE,
            json!({"message": format!("Routine tip number {i} about the story")}),
        )
        .await;
    }
    send_tip(
        &app,
        "derby-report",
        json!({"message": "The derby score in the report is wrong."}),
    )
    .await;
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;

    let queue = |path: String| {
        let admin = &admin;
        async move { Page::of(admin.get(&path).await).await }
    };
    let first = queue("/desk/tips".into()).await;
    assert_eq!(first.listed_tips().len(), 50);
    assert_eq!(
        first.count("tr[data-tip].unread"),
        50,
        "a page of 50, all unread"
    );
    assert_eq!(first.status_count("new").as_deref(), Some("New 57"));
    let older = first.attr("a[rel=next]", "href").unwrap();
    assert!(older.contains("before="), "{older}");
    let second = queue(older).await;
    assert_eq!(second.listed_tips().len(), 7);
    assert!(second.listed_tips().contains(&persian));
    assert_eq!(second.count("a[rel=next]"), 0);
    assert!(!second.all_text().contains("Older tips"));

    // "در کابل"
    let found = queue("/desk/tips?q=%D8%AF%D8%B1%20%DA%A9%D8%A7%D8%A8%D9%84".into()).await;
    assert_eq!(found.listed_tips(), [persian]);
    let kind = queue("/desk/tips?kind=correction".into()).await;
    assert_eq!(kind.listed_tips(), [persian]);
    let by_desk = queue("/desk/tips?desk=default".into()).await;
    assert_eq!(by_desk.listed_tips().len(), 1);
    let by_article = queue("/desk/tips?article=derby-report".into()).await;
    assert_eq!(by_article.listed_tips(), by_desk.listed_tips());
    let today = chrono::Utc::now().date_naive();
    let range = queue(format!("/desk/tips?from={today}&to={today}")).await;
    assert_eq!(range.listed_tips().len(), 50);
    let future = queue(format!("/desk/tips?from={}", today.succ_opt().unwrap())).await;
    assert_eq!(future.listed_tips().len(), 0);
    let bad_date = admin.get("/desk/tips?from=yesterday").await;
    assert_eq!(bad_date.status(), StatusCode::BAD_REQUEST);
    assert!(Page::of(bad_date)
        .await
        .has_text("p.notice", "must look like 2026-11-27"));

    // Opening a tip clears its unread marker; status and assignee filter.
    admin.get(&format!("/desk/tips/{persian}")).await;
    assert_eq!(
        admin
            .post(
                &format!("/desk/tips/{persian}/status"),
                &[("status", "in_review")]
            )
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let page = admin
        .get(&format!("/desk/tips/{persian}"))
        .await
        .text()
        .await
        .unwrap();
    let me = option_for(&page, "admin");
    admin
        .post(
            &format!("/desk/tips/{persian}/assign"),
            &[("assignee", &me)],
        )
        .await;
    let reviewing = queue("/desk/tips?status=in_review".into()).await;
    assert_eq!(reviewing.listed_tips(), [persian]);
    assert_eq!(reviewing.count("tr.unread"), 0);
    let mine = queue("/desk/tips?assignee=me".into()).await;
    assert_eq!(mine.listed_tips(), [persian]);
    let nobody = queue("/desk/tips?assignee=nobody&desk=international".into()).await;
    assert_eq!(nobody.status_count("new").as_deref(), Some("New 55"));
}

async fn text_search_is_exact_and_counts_stop_at_a_cap(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let mut ids = Vec::new();
    for message in [
        "Prices rose 50% in May, not 5%.",
        "Prices rose 5000 afghani in May.",
        "The file was named snake_case_report.",
        "The file was named snakeXcaseXreport.",
        "A Xylophonist saw the convoy.",
    ] {
        ids.push(send_tip(&app, DEMO_ARTICLE, json!({ "message": message })).await);
    }
    let (percent, snake, rare) = (ids[0], ids[2], ids[4]);
    // More tips mentioning the harbour than a status count shows.
    app.insert_bulk_tips(&BulkTips {
        count: 1002,
        message: "Bulk tip about the harbour, number ",
        desk: "international",
        status: "new",
        at: "2026-11-27 12:00:00",
    });
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let search = |q: &str| {
        let q = q
            .replace('%', "%25")
            .replace(' ', "%20")
            .replace(',', "%2C");
        let path = format!("/desk/tips?q={q}");
        let admin = &admin;
        async move { Page::of(admin.get(&path).await).await }
    };
    let ids = |page: &Page| page.listed_tips().len();

    let all = Page::of(admin.get("/desk/tips").await).await;
    assert_eq!(
        all.status_count("new").as_deref(),
        Some("New 1,000+"),
        "1,007 new tips are shown as 1,000+"
    );
    assert_eq!(all.status_count("closed").as_deref(), Some("Closed 0"));

    // % and _ are text, not wildcards; case does not matter; a phrase
    // shorter than the index's trigrams is still found.
    let found = search("50%").await;
    assert_eq!(ids(&found), 1);
    assert_eq!(found.listed_tips(), [percent]);
    let found = search("snake_case").await;
    assert_eq!(ids(&found), 1);
    assert_eq!(found.listed_tips(), [snake]);
    for q in ["xylophonist", "XYLOPHONIST", "Xy", "phon"] {
        let found = search(q).await;
        assert_eq!(ids(&found), 1, "{q}");
        assert_eq!(found.listed_tips(), [rare], "{q}");
    }
    assert_eq!(ids(&search("xylophonists").await), 0);

    // A common phrase: a full page, and the count at its cap.
    let common = search("harbour").await;
    assert_eq!(ids(&common), 50);
    assert_eq!(common.status_count("new").as_deref(), Some("New 1,000+"));
    let one = search("harbour, number 1001").await;
    assert_eq!(ids(&one), 1);
    assert_eq!(one.status_count("new").as_deref(), Some("New 1"));

    // Once SQLite's index has caught up, the same tips are found through it.
    app.catch_up_search_index();
    if backend == Backend::Sqlite {
        assert_eq!(
            app.count_sql(
                "SELECT count(*) AS n FROM tips_search WHERE search_text LIKE '%harbour%'"
            ),
            1002
        );
    }
    let found = search("Xylophonist").await;
    assert_eq!(ids(&found), 1);
    assert_eq!(found.listed_tips(), [rare]);
    assert_eq!(ids(&search("50%").await), 1);
    assert_eq!(ids(&search("harbour").await), 50);

    // A deleted tip leaves the search index too (its words are gone).
    app.execute_sql(&format!("DELETE FROM outbox WHERE tip_id = {rare}"));
    app.execute_sql(&format!("DELETE FROM tips WHERE id = {rare}"));
    assert_eq!(ids(&search("xylophonist").await), 0);
    if backend == Backend::Sqlite {
        assert_eq!(
            app.count_sql(
                "SELECT count(*) AS n FROM tips_search WHERE search_text LIKE '%xylophonist%'"
            ),
            0
        );
        assert_eq!(
            app.count_sql(
                "SELECT count(*) AS n FROM tips_search WHERE search_text LIKE '%harbour%'"
            ),
            1002,
            "the others stay"
        );
    }
}

crate::both_backends!(
    staff_see_only_their_desks_tips,
    viewers_read_but_cannot_write,
    the_workflow_records_who_did_what,
    the_queue_filters_counts_marks_unread_and_pages,
    text_search_is_exact_and_counts_stop_at_a_cap,
);
