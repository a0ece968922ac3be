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

    let list = editor.get("/desk/tips").await.text().await.unwrap();
    assert!(list.contains(&format!("/desk/tips/{intl}\"")));
    assert!(!list.contains(&format!("/desk/tips/{sport}\"")));
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

    let all = admin.get("/desk/tips").await.text().await.unwrap();
    assert!(
        all.contains(&format!("/desk/tips/{intl}\""))
            && all.contains(&format!("/desk/tips/{sport}\""))
    );
    // Ops watch the queue, not tips.
    assert_eq!(
        ops.get(&format!("/desk/tips/{intl}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(!ops
        .get("/desk/tips")
        .await
        .text()
        .await
        .unwrap()
        .contains(&format!("/desk/tips/{intl}\"")));
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
    let page = viewer
        .get(&format!("/desk/tips/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Схема моста"));
    assert!(
        !page.contains("name=\"status\""),
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
    let page = viewer
        .get(&format!("/desk/tips/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("New"));
    assert!(!page.contains("+93 70 123 4567"));
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
    let page = editor
        .get(&format!("/desk/tips/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Farid"));
    assert!(!page.contains("farid@example.org"));
    let shown = editor.post(&format!("/desk/tips/{id}/contact"), &[]).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert!(shown.text().await.unwrap().contains("farid@example.org"));

    // Status: only the workflow's next steps.
    let bad = editor
        .post(&format!("/desk/tips/{id}/status"), &[("status", "closed")])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("can move to: In review, Spam, Duplicate"));
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

    let page = editor
        .get(&format!("/desk/tips/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("badge status\">Closed"));
    assert!(page.contains("changed the status from Actioned to Closed"));
    assert!(page.contains("assigned it to intl"));
    assert!(
        page.contains("Called the ministry; &#60;b&#62;confirmed&#60;/b&#62;."),
        "notes are escaped"
    );
    assert!(
        page.contains("<span class=\"label\">bridge</span> <span class=\"label\">kunduz</span>")
    );

    let audit = admin.get("/desk/audit").await.text().await.unwrap();
    for action in [
        "login",
        "user.add",
        "tip.contact_revealed",
        "tip.status",
        "tip.assign",
        "tip.note",
        "tip.labels",
    ] {
        assert!(
            audit.contains(&format!("<td>{action}</td>")),
            "{action} audited"
        );
    }
    assert!(audit.contains("in_review -&#62; verified"));
    assert_eq!(
        editor.get("/desk/audit").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn the_queue_filters_counts_marks_unread_and_pages(backend: Backend) {
    let app = newsroom(backend).await;
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

    let first = admin.get("/desk/tips").await.text().await.unwrap();
    assert_eq!(
        first.matches("<tr class=\"unread\"").count(),
        50,
        "a page of 50, all unread"
    );
    assert!(first.contains("data-status=\"new\">New <span class=\"n\">57</span>"));
    let older = Page::parse(&first).attr("a[rel=next]", "href").unwrap();
    assert!(older.contains("before="), "{older}");
    let second = admin.get(&older).await.text().await.unwrap();
    assert_eq!(second.matches("data-tip=").count(), 7);
    assert!(second.contains(&format!("data-tip=\"{persian}\"")));
    assert!(!second.contains("Older tips"));

    let found = admin
        .get("/desk/tips?q=%D8%AF%D8%B1%20%DA%A9%D8%A7%D8%A8%D9%84")
        .await
        .text()
        .await
        .unwrap(); // "در کابل"
    assert_eq!(found.matches("data-tip=").count(), 1);
    assert!(found.contains(&format!("data-tip=\"{persian}\"")));
    let kind = admin
        .get("/desk/tips?kind=correction")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(kind.matches("data-tip=").count(), 1);
    let by_desk = admin
        .get("/desk/tips?desk=default")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(by_desk.matches("data-tip=").count(), 1);
    let by_article = admin
        .get("/desk/tips?article=derby-report")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(by_article.matches("data-tip=").count(), 1);
    let today = chrono::Utc::now().date_naive();
    let range = admin
        .get(&format!("/desk/tips?from={today}&to={today}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(range.matches("data-tip=").count(), 50);
    let future = admin
        .get(&format!("/desk/tips?from={}", today.succ_opt().unwrap()))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(future.matches("data-tip=").count(), 0);
    let bad_date = admin.get("/desk/tips?from=yesterday").await;
    assert_eq!(bad_date.status(), StatusCode::BAD_REQUEST);
    assert!(bad_date
        .text()
        .await
        .unwrap()
        .contains("must look like 2026-11-27"));

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
    let reviewing = admin
        .get("/desk/tips?status=in_review")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(reviewing.matches("data-tip=").count(), 1);
    assert!(!reviewing.contains("<tr class=\"unread\""));
    let mine = admin
        .get("/desk/tips?assignee=me")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(mine.matches("data-tip=").count(), 1);
    let nobody = admin
        .get("/desk/tips?assignee=nobody&desk=international")
        .await
        .text()
        .await
        .unwrap();
    assert!(nobody.contains("data-status=\"new\">New <span class=\"n\">55</span>"));
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
        async move { admin.get(&path).await.text().await.unwrap() }
    };
    let ids = |page: &str| page.matches("data-tip=").count();

    let all = admin.get("/desk/tips").await.text().await.unwrap();
    assert!(
        all.contains("data-status=\"new\">New <span class=\"n\">1,000+</span>"),
        "1,007 new tips are shown as 1,000+"
    );
    assert!(all.contains("data-status=\"closed\">Closed <span class=\"n\">0</span>"));

    // % and _ are text, not wildcards; case does not matter; a phrase
    // shorter than the index's trigrams is still found.
    let found = search("50%").await;
    assert_eq!(ids(&found), 1);
    assert!(found.contains(&format!("data-tip=\"{percent}\"")));
    let found = search("snake_case").await;
    assert_eq!(ids(&found), 1);
    assert!(found.contains(&format!("data-tip=\"{snake}\"")));
    for q in ["xylophonist", "XYLOPHONIST", "Xy", "phon"] {
        let found = search(q).await;
        assert_eq!(ids(&found), 1, "{q}");
        assert!(found.contains(&format!("data-tip=\"{rare}\"")), "{q}");
    }
    assert_eq!(ids(&search("xylophonists").await), 0);

    // A common phrase: a full page, and the count at its cap.
    let common = search("harbour").await;
    assert_eq!(ids(&common), 50);
    assert!(common.contains("data-status=\"new\">New <span class=\"n\">1,000+</span>"));
    let one = search("harbour, number 1001").await;
    assert_eq!(ids(&one), 1);
    assert!(one.contains("data-status=\"new\">New <span class=\"n\">1</span>"));

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
    assert!(found.contains(&format!("data-tip=\"{rare}\"")));
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
