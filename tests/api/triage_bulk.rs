//! Acting on many tips at once (issue 18): `POST /desk/tips/bulk` checks
//! and records each tip as if changed one by one, and reports every tip it
//! did not change. Mirrors `src/triage/bulk.rs` and
//! `src/triage/routes/bulk.rs`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// Posts the bulk form for `ids` with `fields`, as the queue's form does.
async fn bulk(desk: &DeskClient, ids: &[i64], fields: &[(&str, &str)]) -> reqwest::Response {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut all: Vec<(&str, &str)> = ids.iter().map(|i| ("ids", i.as_str())).collect();
    all.extend_from_slice(fields);
    desk.post("/desk/tips/bulk", &all).await
}

/// The status a tip has in the database.
fn status_of(app: &TestApp, id: i64) -> &'static str {
    ["new", "in_review", "verified", "spam"]
        .into_iter()
        .find(|s| {
            app.count_sql(&format!(
                "SELECT count(*) AS n FROM tips WHERE id = {id} AND status = '{s}'"
            )) == 1
        })
        .unwrap_or("another")
}

async fn bulk_status_changes_each_tip_and_reports_the_others(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let intl = |m: &'static str| send_tip(&app, DEMO_ARTICLE, json!({ "message": m }));
    let a = intl("The bridge closed on Monday, not Tuesday.").await;
    let b = intl("The mayor's name is misspelled in the caption.").await;
    let closed = intl("The photo is of the old bridge, not the new one.").await;
    app.execute_sql(&format!(
        "UPDATE tips SET status = 'spam' WHERE id = {closed}"
    ));
    let sport = send_tip(
        &app,
        "derby-report",
        json!({"message": "The derby score in the report is wrong."}),
    )
    .await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;

    // The queue offers the form, a box per tip, and "select all" ticks them;
    // its one script (keyboard shortcuts) is its own, never inline.
    let res = editor.get("/desk/tips").await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let page = Page::parse(&res.text().await.unwrap());
    assert_eq!(page.attrs("script", "src"), ["/static/desk-keys.js"]);
    assert_eq!(page.count("script:not([src])"), 0);
    assert_eq!(page.count("form#bulk[action=\"/desk/tips/bulk\"]"), 1);
    assert_eq!(page.count("input[type=checkbox][name=ids][form=bulk]"), 3);
    assert_eq!(page.count("input[name=ids][checked]"), 0);
    let all = page.attr("a.select-all", "href").unwrap();
    let ticked = Page::parse(&editor.get(&all).await.text().await.unwrap());
    assert_eq!(ticked.count("input[name=ids][checked]"), 3);

    let res = bulk(
        &editor,
        &[a, b, closed, sport],
        &[
            ("action", "status"),
            ("status", "verified"),
            ("back", "/desk/tips?desk=international"),
        ],
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "none may go straight to verified"
    );
    let res = bulk(
        &editor,
        &[a, b, sport, a],
        &[
            ("action", "status"),
            ("status", "in_review"),
            ("back", "/desk/tips?desk=international"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::parse(&res.text().await.unwrap());
    assert_eq!(
        page.text(".bulk-done").as_deref(),
        Some("2 tips were changed.")
    );
    assert_eq!(
        page.count(".bulk-refused li"),
        1,
        "the other desk's tip, once"
    );
    let refused = page
        .text(&format!(".bulk-refused li[data-tip=\"{sport}\"]"))
        .unwrap();
    assert!(refused.contains("No such tip on your desks"), "{refused}");
    assert_eq!(
        page.count(&format!(".bulk-refused li[data-tip=\"{sport}\"] a")),
        0,
        "nothing of a tip they may not see"
    );
    assert_eq!(
        page.attr("main a[href^=\"/desk/tips?\"]", "href")
            .as_deref(),
        Some("/desk/tips?desk=international"),
        "back to the queue as it was"
    );
    for (id, status) in [
        (a, "in_review"),
        (b, "in_review"),
        (sport, "new"),
        (closed, "spam"),
    ] {
        assert_eq!(status_of(&app, id), status, "{id}");
    }
    // Each change recorded as if made alone: its history and audit entry.
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM audit_log WHERE action = 'tip.status'"),
        2
    );
    assert_eq!(
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM tip_events WHERE kind = 'status' AND tip_id IN ({a}, {b})"
        )),
        2
    );

    // A status the workflow refuses for one tip is reported with why.
    let res = bulk(
        &editor,
        &[a, closed],
        &[("action", "status"), ("status", "verified")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::parse(&res.text().await.unwrap());
    let why = page
        .text(&format!(".bulk-refused li[data-tip=\"{closed}\"]"))
        .unwrap();
    assert!(why.contains("Spam"), "names where the tip is: {why}");
    assert_eq!(status_of(&app, a), "verified");

    // Assign, add labels (kept with those already there), mark read.
    let res = bulk(
        &editor,
        &[a, b],
        &[("action", "assign"), ("assignee", "me")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM tips t JOIN users u ON u.id = t.assignee_id \
             WHERE u.email = 'intl@example.org' AND t.id IN ({a}, {b})"
        )),
        2
    );
    editor
        .post(&format!("/desk/tips/{a}/labels"), &[("labels", "bridge")])
        .await;
    let res = bulk(
        &editor,
        &[a, b],
        &[("action", "labels"), ("labels", "flood, bridge")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM tip_labels WHERE tip_id = {a}"
        )),
        2
    );
    assert_eq!(
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM tip_labels WHERE tip_id = {b}"
        )),
        2
    );
    let res = bulk(&editor, &[b, closed], &[("action", "mark_read")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM tips WHERE first_read_at IS NOT NULL AND id IN ({b}, {closed})"
        )),
        2
    );
}

async fn bulk_requests_are_checked_before_anything_changes(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let a = send_tip(&app, DEMO_ARTICLE, json!({"message": DESK_MESSAGE})).await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let viewer = signed_in(&app, "viewer@example.org", "viewer", &["international"]).await;

    // A viewer sees no form, and a forged one changes nothing.
    let page = Page::parse(&viewer.get("/desk/tips").await.text().await.unwrap());
    assert_eq!(page.count("form#bulk"), 0);
    assert_eq!(page.count("input[name=ids]"), 0);
    let res = bulk(&viewer, &[a], &[("action", "status"), ("status", "spam")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::of(res)
        .await
        .has_text("p.bulk-done", "No tip was changed"));

    // Without the session's CSRF token: refused.
    let res = editor
        .client
        .post(format!("{}/desk/tips/bulk", editor.base))
        .form(&[("ids", a.to_string().as_str()), ("action", "mark_read")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let too_many: Vec<i64> = (1..=501).collect();
    for (ids, fields, says) in [
        (
            vec![],
            vec![("action", "mark_read")],
            "Select at least one tip",
        ),
        (too_many, vec![("action", "mark_read")], "At most 500 tips"),
        (vec![a], vec![("action", "delete")], "Choose what to do"),
        (
            vec![a],
            vec![("action", "labels"), ("labels", " ")],
            "Write the labels",
        ),
    ] {
        let res = bulk(&editor, &ids, &fields).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{says}");
        let page = Page::of(res).await;
        assert!(page.has_text("p.notice", says), "{says}: {}", page.source());
    }
    assert_eq!(status_of(&app, a), "new");
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'tip.%'"),
        0
    );
}

crate::both_backends!(
    bulk_status_changes_each_tip_and_reports_the_others,
    bulk_requests_are_checked_before_anything_changes,
);
