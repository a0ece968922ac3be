//! Duplicates as one case (issue 18): near-identical tips on one article
//! grouped as they arrive, shown once in the queue with "+N similar", side
//! by side on the case page, taken apart and merged by editors, and a
//! status set on each tip of a case. Mirrors `src/submission/case.rs`,
//! `src/triage/cases.rs` and `src/triage/routes/case.rs`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const BRIDGE: &str =
    "The bridge on Route 7 collapsed this morning at nine, and two cars fell into the river.";
/// [`BRIDGE`] as another reader tells it: other case, punctuation and
/// spacing, one word more.
const BRIDGE_AGAIN: &str =
    "the bridge on route 7 collapsed this morning at nine -- and two cars fell into the river below!";
const BRIDGE_THIRD: &str =
    "The bridge on Route 7 collapsed this morning at nine and two cars fell into the river.";
/// About the same article, in other words.
const CAPTION: &str = "The mayor's name is misspelled in the caption of the second photo.";
/// The same words, typed with Persian and with Arabic letters and digits.
const PERSIAN: &str = "وزیر آن روز در کابل نبود و این جمله در پاراگراف ۲ غلط است";
const ARABIC_LETTERS: &str = "وزير آن روز در كابل نبود و اين جمله در پاراگراف 2 غلط است";

/// The name of a tip's case (`COALESCE(case_id, id)`), as stored.
fn case_of(app: &TestApp, id: i64) -> i64 {
    app.count_sql(&format!(
        "SELECT COALESCE(case_id, id) AS n FROM tips WHERE id = {id}"
    ))
}

fn same_case(app: &TestApp, ids: &[i64]) -> bool {
    let first = case_of(app, ids[0]);
    ids.iter().all(|i| case_of(app, *i) == first)
}

fn alone(app: &TestApp, id: i64) -> bool {
    app.count_sql(&format!(
        "SELECT count(*) AS n FROM tips WHERE COALESCE(case_id, id) = {k} AND id <> {id}",
        k = case_of(app, id)
    )) == 0
        && app.count_sql(&format!(
            "SELECT count(*) AS n FROM tips WHERE case_id = {id} AND id <> {id}"
        )) == 0
}

/// A tip's reference, as the desk sees it.
fn reference_of(app: &TestApp, id: i64) -> String {
    app.pool
        .with(|c| {
            tipdesk::triage::get(c, tipdesk::domain::TipId(id)).map_err(tipdesk::db::DbError::from)
        })
        .expect("read the tip")
        .expect("the tip exists")
        .reference
}

fn row(id: i64, css: &str) -> String {
    format!("tr[data-tip=\"{id}\"] {css}")
}

async fn tip(app: &TestApp, message: &str) -> i64 {
    send_tip(app, DEMO_ARTICLE, json!({ "message": message })).await
}

async fn near_identical_tips_are_one_case_shown_once(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let first = tip(&app, BRIDGE).await;
    let caption = tip(&app, CAPTION).await;
    let second = tip(&app, BRIDGE_AGAIN).await;
    // The same words on another article (another desk's) stay apart.
    let sport = send_tip(&app, "derby-report", json!({ "message": BRIDGE })).await;
    let fa = tip(&app, PERSIAN).await;
    let ar = tip(&app, ARABIC_LETTERS).await;

    assert!(same_case(&app, &[first, second]), "two readers, one story");
    assert!(alone(&app, caption), "other words are another tip");
    assert!(alone(&app, sport), "another article is another case");
    assert!(same_case(&app, &[fa, ar]), "folded alike: one case");
    assert!(!same_case(&app, &[first, fa]));

    // The queue shows each case once, at its newest tip, with the others
    // counted; the case page lists them all.
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let page = Page::of(editor.get("/desk/tips").await).await;
    assert_eq!(page.listed_tips(), vec![ar, second, caption]);
    assert_eq!(
        page.text(&row(second, "a.badge.case")).as_deref(),
        Some("+1 similar")
    );
    assert_eq!(
        page.attr(&row(second, "a.badge.case"), "href").as_deref(),
        Some(format!("/desk/cases/{second}").as_str())
    );
    assert_eq!(page.count(&row(caption, ".badge.case")), 0);

    // A third reader: the case grows, still one row, now at the newest.
    let third = tip(&app, BRIDGE_THIRD).await;
    assert!(same_case(&app, &[first, second, third]));
    let page = Page::of(editor.get("/desk/tips").await).await;
    assert_eq!(page.listed_tips(), vec![third, ar, caption]);
    assert_eq!(
        page.text(&row(third, "a.badge.case")).as_deref(),
        Some("+2 similar")
    );
    // Filtered by desk or article: still once.
    let page = Page::of(
        editor
            .get(&format!("/desk/tips?article={DEMO_ARTICLE}"))
            .await,
    )
    .await;
    assert_eq!(page.listed_tips(), vec![third, ar, caption]);
    // A filter on the tips themselves lists every tip it matches, each
    // with its case's count.
    let page = Page::of(editor.get("/desk/tips?status=new").await).await;
    assert_eq!(
        page.listed_tips(),
        vec![third, ar, fa, second, caption, first]
    );
    assert_eq!(
        page.text(&row(first, "a.badge.case")).as_deref(),
        Some("+2 similar")
    );
    assert_eq!(
        page.text(&row(fa, "a.badge.case")).as_deref(),
        Some("+1 similar")
    );

    let res = editor.get(&format!("/desk/cases/{first}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    assert_eq!(page.heading(), "A case of 3 tips");
    assert_eq!(
        page.attrs("ol.case-tips li", "data-tip"),
        [first, second, third].map(|i| i.to_string())
    );
    assert!(page.has_text(&format!("li[data-tip=\"{second}\"] .message"), "route 7"));
    // Each tip's page says it is in a case and leads there.
    let page = Page::of(editor.get(&format!("/desk/tips/{first}")).await).await;
    assert_eq!(page.text("a.case-link").as_deref(), Some("+2 similar"));
    assert_eq!(
        page.attr("a.case-link", "href").as_deref(),
        Some(format!("/desk/cases/{first}").as_str())
    );
    let page = Page::of(editor.get(&format!("/desk/tips/{caption}")).await).await;
    assert_eq!(page.count("a.case-link"), 0, "a tip alone");

    // A closed case takes no more tips: the next one starts its own.
    for id in [first, second, third] {
        app.execute_sql(&format!(
            "UPDATE tips SET status = 'closed' WHERE id = {id}"
        ));
    }
    let late = tip(&app, BRIDGE).await;
    assert!(alone(&app, late));

    // Grouping off: near-identical tips stay apart.
    let off = newsroom_with(backend, |s| s.triage.case_candidates = 0).await;
    off.leave_jobs_unsent();
    let (x, y) = (tip(&off, BRIDGE).await, tip(&off, BRIDGE_AGAIN).await);
    assert!(alone(&off, x) && alone(&off, y));
}

async fn editors_split_and_merge_cases(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let a = tip(&app, BRIDGE).await;
    let b = tip(&app, BRIDGE_AGAIN).await;
    let c = tip(&app, BRIDGE_THIRD).await;
    let d = tip(&app, BRIDGE).await;
    assert!(same_case(&app, &[a, b, c, d]));
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;

    // Take one tip out: it is alone, the rest stay one case.
    let res = editor
        .post(&format!("/desk/tips/{b}/case/leave"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/desk/cases/{a}"));
    assert!(alone(&app, b));
    assert!(same_case(&app, &[a, c, d]));
    // The first tip out: the rest are still one case, named anew.
    let res = editor
        .post(&format!("/desk/tips/{a}/case/leave"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/desk/cases/{c}"));
    assert!(alone(&app, a));
    assert!(same_case(&app, &[c, d]));
    let page = Page::of(editor.get("/desk/tips").await).await;
    assert_eq!(page.listed_tips(), vec![d, b, a]);
    assert_eq!(
        page.text(&row(d, "a.badge.case")).as_deref(),
        Some("+1 similar")
    );
    // A tip alone has no case to leave.
    let res = editor
        .post(&format!("/desk/tips/{b}/case/leave"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::of(res)
        .await
        .has_text("p.notice", "This tip is in no case"));
    // Each move is in the tip's history and the audit trail.
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM audit_log WHERE action = 'tip.case_leave'"),
        2
    );
    let history = Page::of(editor.get(&format!("/desk/tips/{b}")).await).await;
    assert!(history.all_text().contains("took it out of its case"));

    // Merge the case of b (alone) into c and d's, by b's reference.
    let reference = reference_of(&app, b);
    let res = editor
        .post(
            &format!("/desk/cases/{d}/merge"),
            &[("other", &reference.to_lowercase())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/desk/cases/{d}"));
    assert!(same_case(&app, &[b, c, d]));
    assert!(alone(&app, a));
    let page = Page::of(editor.get("/desk/tips").await).await;
    assert_eq!(page.listed_tips(), vec![d, a]);
    assert_eq!(
        page.text(&row(d, "a.badge.case")).as_deref(),
        Some("+2 similar")
    );
    let page = Page::of(editor.get(&format!("/desk/cases/{c}")).await).await;
    assert_eq!(
        page.attrs("ol.case-tips li", "data-tip"),
        [b, c, d].map(|i| i.to_string())
    );
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM audit_log WHERE action = 'case.merge'"),
        1
    );

    // Refused merges change nothing and say why.
    let sport = send_tip(&app, "derby-report", json!({ "message": BRIDGE })).await;
    let sport_ref = reference_of(&app, sport);
    for (other, says) in [
        (reference.as_str(), "already in this case"),
        ("TD-0000-0000-0000", "No such tip on your desks"),
        (sport_ref.as_str(), "No such tip on your desks"),
        ("", "Write the reference"),
    ] {
        let res = editor
            .post(&format!("/desk/cases/{d}/merge"), &[("other", other)])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{other}");
        assert!(Page::of(res).await.has_text("p.notice", says), "{other}");
    }
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let res = admin
        .post(&format!("/desk/cases/{d}/merge"), &[("other", &sport_ref)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::of(res).await.has_text("p.notice", "another desk's"));
    assert!(alone(&app, sport));
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM audit_log WHERE action = 'case.merge'"),
        1
    );
}

/// The newsroom with the three bridge tips (one case, checked) and the
/// caption's tip alone, and the international desk's editor signed in.
async fn a_case_of_three_and_a_tip_alone(backend: Backend) -> (TestApp, [i64; 3], i64, DeskClient) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let a = tip(&app, BRIDGE).await;
    let b = tip(&app, BRIDGE_AGAIN).await;
    let c = tip(&app, BRIDGE_THIRD).await;
    let alone = tip(&app, CAPTION).await;
    assert!(same_case(&app, &[a, b, c]));
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    (app, [a, b, c], alone, editor)
}

/// Sets one tip's status to in review from its own page, as an editor would.
async fn put_in_review(editor: &DeskClient, tip: i64) {
    let res = editor
        .post(
            &format!("/desk/tips/{tip}/status"),
            &[("status", "in_review")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn a_status_on_a_case_is_set_and_audited_on_each_tip(backend: Backend) {
    let (app, [a, b, c], other, editor) = a_case_of_three_and_a_tip_alone(backend).await;
    // One tip of the case is in review already.
    put_in_review(&editor, b).await;

    let res = editor
        .post(
            &format!("/desk/cases/{c}/status"),
            &[("status", "in_review")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    assert_eq!(
        page.text(".bulk-done").as_deref(),
        Some("2 tips were changed.")
    );
    let why = page
        .text(&format!(".bulk-refused li[data-tip=\"{b}\"]"))
        .unwrap();
    assert!(why.contains("In review"), "says where the tip is: {why}");
    assert_eq!(
        page.attr("main a[href^=\"/desk/cases/\"]", "href")
            .as_deref(),
        Some(format!("/desk/cases/{c}").as_str())
    );
    for (id, status) in [
        (a, "in_review"),
        (b, "in_review"),
        (c, "in_review"),
        (other, "new"),
    ] {
        assert_eq!(
            app.count_sql(&format!(
                "SELECT count(*) AS n FROM tips WHERE id = {id} AND status = '{status}'"
            )),
            1,
            "{id}"
        );
    }
    // One audit entry and one history entry per tip changed.
    for id in [a, b, c] {
        assert_eq!(
            app.count_sql(&format!(
                "SELECT count(*) AS n FROM audit_log WHERE action = 'tip.status' AND target = 'tip:{id}'"
            )),
            1,
            "{id}"
        );
        assert_eq!(
            app.count_sql(&format!(
                "SELECT count(*) AS n FROM tip_events WHERE kind = 'status' AND tip_id = {id}"
            )),
            1,
            "{id}"
        );
    }
    let res = editor
        .post(&format!("/desk/cases/{c}/status"), &[("status", "gone")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn only_editors_of_the_desk_act_on_its_cases(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let a = tip(&app, BRIDGE).await;
    let b = tip(&app, BRIDGE_AGAIN).await;
    assert!(same_case(&app, &[a, b]));
    let reference = reference_of(&app, a);
    let viewer = signed_in(&app, "viewer@example.org", "viewer", &["international"]).await;
    let sport = signed_in(&app, "sport@example.org", "editor", &["default"]).await;

    // A viewer reads the case but is offered no form, and a forged one
    // is refused.
    let res = viewer.get(&format!("/desk/cases/{a}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    assert_eq!(page.count("ol.case-tips li"), 2);
    assert_eq!(page.count("main form"), 0);
    let forged: [(String, Vec<(&str, &str)>); 3] = [
        (format!("/desk/tips/{b}/case/leave"), vec![]),
        (
            format!("/desk/cases/{a}/merge"),
            vec![("other", reference.as_str())],
        ),
        (format!("/desk/cases/{a}/status"), vec![("status", "spam")]),
    ];
    for (path, fields) in &forged {
        let res = viewer.post(path, fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "viewer: {path}");
        // An editor of another desk is told there is no such tip.
        let res = sport.post(path, fields).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "other desk: {path}");
    }
    let res = sport.get(&format!("/desk/cases/{a}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = sport.get("/desk/cases/999999").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Without the session's CSRF token: refused.
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let res = editor
        .client
        .post(format!("{}/desk/tips/{b}/case/leave", editor.base))
        .form::<[(&str, &str); 0]>(&[])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    assert!(same_case(&app, &[a, b]));
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM tips WHERE status <> 'new'"),
        0
    );
    assert_eq!(
        app.count_sql(
            "SELECT count(*) AS n FROM audit_log WHERE action LIKE 'tip.%' OR action LIKE 'case.%'"
        ),
        0
    );
}

/// Whether tip `id` is in review, as stored (1) or not (0).
fn in_review(app: &TestApp, id: i64) -> i64 {
    app.count_sql(&format!(
        "SELECT count(*) AS n FROM tips WHERE id = {id} AND status = 'in_review'"
    ))
}

async fn a_bulk_action_on_a_case_row_applies_to_each_of_its_tips(backend: Backend) {
    let (app, [a, b, c], alone_tip, editor) = a_case_of_three_and_a_tip_alone(backend).await;

    // The case's row selects the case, and says so; a tip alone's, the tip.
    let page = Page::of(editor.get("/desk/tips").await).await;
    assert_eq!(page.listed_tips(), vec![alone_tip, c]);
    let case_box = row(c, "td.select input[type=checkbox]");
    assert_eq!(page.attr(&case_box, "name").as_deref(), Some("cases"));
    assert_eq!(
        page.attr(&case_box, "aria-label"),
        Some(format!(
            // The reference isolated (FSI … PDI), as Fluent places values.
            "Select all 3 tips of this case (\u{2068}{}\u{2069})",
            reference_of(&app, c)
        ))
    );
    assert_eq!(
        page.attr(&row(alone_tip, "td.select input"), "name")
            .as_deref(),
        Some("ids")
    );
    // Where the queue lists the tips of a case one by one, a row is a tip.
    let page = Page::of(editor.get("/desk/tips?status=new").await).await;
    assert_eq!(page.count("td.select input[name=cases]"), 0);
    assert_eq!(page.count("td.select input[name=ids]"), 4);

    // One tip of the case is in review already: reported, the rest change.
    put_in_review(&editor, b).await;
    let (c_id, alone_id) = (c.to_string(), alone_tip.to_string());
    let res = editor
        .post(
            "/desk/tips/bulk",
            &[
                ("cases", c_id.as_str()),
                ("ids", alone_id.as_str()),
                ("action", "status"),
                ("status", "in_review"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    assert_eq!(
        page.text(".bulk-done").as_deref(),
        Some("3 tips were changed.")
    );
    assert_eq!(page.attrs(".bulk-refused li", "data-tip"), [b.to_string()]);
    for id in [a, b, c, alone_tip] {
        assert_eq!(in_review(&app, id), 1, "{id}");
        // Audited per tip: b once, by its own form.
        assert_eq!(
            app.count_sql(&format!(
                "SELECT count(*) AS n FROM audit_log WHERE action = 'tip.status' AND target = 'tip:{id}'"
            )),
            1,
            "{id}"
        );
    }

    // The cap of 500 counts the case's tips: 497 other tips and the case
    // are 500; 498 are one too many, refused whole.
    let fake: Vec<String> = (0..498).map(|i| (900_000 + i).to_string()).collect();
    let with = |n: usize| {
        let mut f: Vec<(&str, &str)> = fake[..n].iter().map(|i| ("ids", i.as_str())).collect();
        f.extend([("cases", c_id.as_str()), ("action", "mark_read")]);
        f
    };
    let reads = || app.count_sql("SELECT count(*) AS n FROM tip_reads");
    let before = reads();
    let res = editor.post("/desk/tips/bulk", &with(498)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(Page::of(res).await.all_text().contains("At most 500 tips"));
    assert_eq!(reads(), before, "nothing marked read");
    let res = editor.post("/desk/tips/bulk", &with(497)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        Page::of(res).await.text(".bulk-done").as_deref(),
        Some("3 tips were changed.")
    );

    // Another desk's case is one tip not found: its tips are not read.
    let sport = signed_in(&app, "sport@example.org", "editor", &["default"]).await;
    let res = sport
        .post(
            "/desk/tips/bulk",
            &[("cases", c_id.as_str()), ("action", "mark_read")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Page::of(res).await.attrs(".bulk-refused li", "data-tip"),
        [c_id]
    );
}

/// Tips that arrive together are stored in groups (one transaction for
/// several readers' tips), and an article's recent tips are read for
/// cases once per group, then added to (#19). Near-identical tips sent at
/// once must still find each other, whether they share a group or not:
/// all eight are one case, and the other words sent with them are not in
/// it. One writer: on PostgreSQL several writers' groups do not see each
/// other's uncommitted tips (as with one read per tip).
async fn near_identical_tips_sent_at_once_are_one_case(backend: Backend) {
    let app = newsroom_with(backend, |s| {
        s.database.pool_size = std::num::NonZeroU32::new(3).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    let messages: Vec<String> = (0..10)
        .map(|i| match i {
            4 => CAPTION.to_owned(),
            9 => PERSIAN.to_owned(),
            _ => format!("{BRIDGE} ({i})"),
        })
        .collect();
    let app = &app;
    // The tip writer is held (SQLite's write lock, or PostgreSQL's tips
    // table locked against inserts) while the tips arrive: the caption's
    // first, alone in the group that waits; the others queue behind it and
    // are stored together, with no earlier bridge tip to join, only each
    // other.
    let (held, hold) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let holder = {
        let (pool, held, release) = (app.pool.clone(), held.0, hold.1);
        std::thread::spawn(move || {
            pool.with(|c| {
                c.write(|c| {
                    if let tipdesk::db::Conn::Pg(_) = c {
                        tipdesk::db_run!(c, |c| diesel::RunQueryDsl::execute(
                            diesel::sql_query("LOCK TABLE tips IN SHARE MODE"),
                            c
                        ))?;
                    }
                    held.send(()).unwrap();
                    release.recv().unwrap();
                    Ok::<_, tipdesk::db::DbError>(())
                })
            })
        })
    };
    held.1.recv().unwrap();
    let sent = futures_util::future::join_all(messages.iter().map(|m| async move {
        if m != CAPTION {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        created(app.post_json(DEMO_ARTICLE, &json!({ "message": m })).await).await;
    }));
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        hold.0.send(()).unwrap();
    };
    futures_util::future::join(sent, release).await;
    holder.join().unwrap().unwrap();
    // Each tip's id, found by its words (sent at once, they were stored
    // in no known order).
    let id_of = |message: &str| {
        app.count_sql(&format!(
            "SELECT id AS n FROM tips WHERE message = '{}'",
            message.replace('\'', "''")
        ))
    };
    let ids: Vec<i64> = messages.iter().map(|m| id_of(m)).collect();
    let bridges: Vec<i64> = (0..10)
        .filter(|i| *i != 4 && *i != 9)
        .map(|i| ids[i])
        .collect();
    assert!(same_case(app, &bridges), "eight readers, one story");
    assert!(alone(app, ids[4]), "other words are another tip");
    assert!(alone(app, ids[9]));
}

crate::both_backends!(
    near_identical_tips_are_one_case_shown_once,
    editors_split_and_merge_cases,
    a_status_on_a_case_is_set_and_audited_on_each_tip,
    only_editors_of_the_desk_act_on_its_cases,
    a_bulk_action_on_a_case_row_applies_to_each_of_its_tips,
    near_identical_tips_sent_at_once_are_one_case,
);
