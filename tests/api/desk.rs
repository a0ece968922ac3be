//! The verification desk: accounts, sessions, access rules, CSRF, the tip
//! workflow and the audit trail, over HTTP.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const MESSAGE: &str = "Схема моста в статье неверна; мост закрыт с понедельника.";

/// An app with two desks: "international" owns the demo article, the
/// default desk owns everything else (here, a Sport article).
async fn newsroom(backend: Backend) -> TestApp {
    let app = TestApp::spawn_with(backend, |s| {
        add_desk(s, "international", "International", "intl@example.org")
    })
    .await;
    let sport = tipdesk::articles::ArticleRecord {
        id: "derby-report".into(),
        title: "Derby ends in a draw".into(),
        url: "https://news.example/sport/derby".into(),
        section: "Sport".into(),
    }
    .parse()
    .unwrap();
    app.pool
        .with(|c| tipdesk::articles::upsert_all(c, &[sport]))
        .unwrap();
    app
}

/// Sends a tip through the API and returns its id in the database.
async fn tip(app: &TestApp, article: &str, body: serde_json::Value) -> i64 {
    let res = app.post_json(article, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.jobs().last().unwrap().tip_id
}

/// The value of the assignee option showing `name`.
fn option_for(page: &str, name: &str) -> String {
    let select = &page[page.find("name=\"assignee\"").unwrap()..];
    let end = select.find(&format!(">{name}</option>")).unwrap();
    let start = select[..end].rfind("value=\"").unwrap() + 7;
    select[start..end].split('"').next().unwrap().to_owned()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn signed_in(app: &TestApp, email: &str, role: &str, desks: &[&str]) -> DeskClient {
    let password = add_user(app, email, role, desks);
    let desk = DeskClient::new(app);
    let res = desk.login(email, &password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {email}");
    desk
}

async fn anonymous_visitors_are_sent_to_login_and_change_nothing(backend: Backend) {
    let app = newsroom(backend).await;
    let id = tip(&app, DEMO_ARTICLE, json!({"message": MESSAGE})).await;
    let anon = DeskClient::new(&app);
    for path in ["/desk/tips", &format!("/desk/tips/{id}"), "/desk/audit"] {
        let res = anon.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&res).starts_with("/desk/login?next="), "{path}");
    }
    let res = anon
        .client
        .post(format!("{}/desk/tips/{id}/status", anon.base))
        .form(&[("status", "spam"), ("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/desk/login"));
    // A GET to an action path is not an action.
    assert_eq!(
        anon.get(&format!("/desk/tips/{id}/status")).await.status(),
        StatusCode::NOT_FOUND
    );
    let tips = app.tips();
    assert_eq!(tips.len(), 1);
}

async fn wrong_passwords_and_unknown_accounts_get_the_same_answer(backend: Backend) {
    let app = newsroom(backend).await;
    let password = add_user(&app, "editor@example.org", "editor", &["international"]);
    let desk = DeskClient::new(&app);
    let wrong = desk
        .login("editor@example.org", "not the password at all")
        .await;
    let unknown = desk
        .login("nobody@example.org", "not the password at all")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (a, b) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(a.contains("do not match an account") && b.contains("do not match an account"));

    let ok = desk.login("Editor@Example.org", &password).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/desk/tips");
    let cookie = ok.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("tipdesk_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(desk.get("/desk/tips").await.status(), StatusCode::OK);

    // Each login gets a new session id.
    let again = desk.login("editor@example.org", &password).await;
    let cookie2 = again.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(cookie.split(';').next(), cookie2.split(';').next());
}

async fn failed_logins_are_throttled_per_account(backend: Backend) {
    let app = newsroom(backend).await;
    let password = add_user(&app, "editor@example.org", "editor", &["international"]);
    let desk = DeskClient::new(&app);
    for _ in 0..5 {
        assert_eq!(
            desk.login("editor@example.org", "wrong password here")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password waits now.
    let res = desk.login("editor@example.org", &password).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(reqwest::header::RETRY_AFTER));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Too many failed attempts"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        desk.login("editor@example.org", &password).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn user_commands_enforce_the_password_and_desk_rules(backend: Backend) {
    let app = newsroom(backend).await;
    let run = |args: &[&str], stdin: Option<&str>| {
        use std::io::Write;
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tipdesk"));
        cmd.args(args)
            .env_remove("TIPDESK_CONFIG")
            .env("TIPDESK_DATABASE__URL", app.db.url_string())
            .env("TIPDESK_SECURITY__SECRET_KEY", SECRET)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    };
    let add = [
        "user",
        "add",
        "--email",
        "ed@example.org",
        "--name",
        "Ed",
        "--role",
        "editor",
        "--desk",
        "default",
    ];
    let short = run(
        &[&add[..], &["--password-stdin"]].concat(),
        Some("too short\n"),
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12"));
    let long = "x".repeat(129);
    assert!(!run(
        &[&add[..], &["--password-stdin"]].concat(),
        Some(&format!("{long}\n"))
    )
    .status
    .success());

    // A viewer account with the given role and desks, refused for a reason.
    let refused = |role: &str, desks: &[&str], says: &str| {
        let mut args = vec![
            "user",
            "add",
            "--email",
            "v@example.org",
            "--name",
            "V",
            "--role",
            role,
        ];
        for desk in desks {
            args.extend(["--desk", desk]);
        }
        let out = run(&args, None);
        assert!(!out.status.success(), "{role} {desks:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(stderr.contains(says), "{stderr}");
    };
    refused("viewer", &[], "--desk");
    refused("viewer", &["weather"], "no desk `weather`");
    refused("owner", &[], "not a role");

    // Twelve characters of any script are enough; no composition rules.
    let ok = run(
        &[&add[..], &["--password-stdin"]].concat(),
        Some("پسورد طولانی\n"),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let dup = run(
        &[&add[..], &["--password-stdin"]].concat(),
        Some("پسورد طولانی\n"),
    );
    assert!(String::from_utf8_lossy(&dup.stderr).contains("exists already"));
    let desk = DeskClient::new(&app);
    assert_eq!(
        desk.login("ed@example.org", "پسورد طولانی").await.status(),
        StatusCode::SEE_OTHER
    );

    // Generated passwords are printed once and work.
    let gen = run(
        &[
            "user",
            "add",
            "--email",
            "admin@example.org",
            "--name",
            "Admin",
            "--role",
            "admin",
        ],
        None,
    );
    let out = String::from_utf8_lossy(&gen.stdout).into_owned();
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password (shown only now): "))
        .unwrap();
    assert!(password.chars().count() >= 20);
    assert_eq!(
        DeskClient::new(&app)
            .login("admin@example.org", password)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // reset-password replaces it and ends sessions.
    let reset = run(&["user", "reset-password", "ed@example.org"], None);
    assert!(reset.status.success());
    assert_eq!(
        desk.get("/desk/tips").await.status(),
        StatusCode::SEE_OTHER,
        "session ended"
    );
    assert_eq!(
        DeskClient::new(&app)
            .login("ed@example.org", "پسورد طولانی")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn staff_see_only_their_desks_tips(backend: Backend) {
    let app = newsroom(backend).await;
    let intl = tip(&app, DEMO_ARTICLE, json!({"message": MESSAGE})).await;
    let sport = tip(
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
    let id = tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": MESSAGE, "contact": "+93 70 123 4567", "consent": true}),
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

async fn state_changes_need_the_csrf_token_and_a_same_site_origin(backend: Backend) {
    let app = newsroom(backend).await;
    let id = tip(&app, DEMO_ARTICLE, json!({"message": MESSAGE})).await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let url = format!("{}/desk/tips/{id}/status", editor.base);
    let csrf = editor.csrf().await;

    let missing = editor
        .client
        .post(&url)
        .form(&[("status", "in_review")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let wrong = editor
        .client
        .post(&url)
        .form(&[("status", "in_review"), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let cross = editor
        .client
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .form(&[("status", "in_review"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let foreign = editor
        .client
        .post(&url)
        .header("origin", "https://evil.example")
        .form(&[("status", "in_review"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert!(editor
        .get(&format!("/desk/tips/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("badge status\">New"));

    // `Origin: null` (sent under Referrer-Policy: no-referrer) passes only
    // when the browser vouches for same-origin.
    let null_cross = editor
        .client
        .post(&url)
        .header("origin", "null")
        .form(&[("status", "in_review"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(null_cross.status(), StatusCode::FORBIDDEN);
    let same = editor
        .client
        .post(&url)
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .form(&[("status", "in_review"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::SEE_OTHER);
    assert!(editor
        .get(&format!("/desk/tips/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("badge status\">In review"));
}

async fn disabling_a_user_ends_their_live_session_and_logout_ends_it_too(backend: Backend) {
    let app = newsroom(backend).await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    assert_eq!(editor.get("/desk/tips").await.status(), StatusCode::OK);
    let out = app.cli(&["user", "disable", "intl@example.org"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        editor.get("/desk/tips").await.status(),
        StatusCode::SEE_OTHER
    );

    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let page = admin.get("/desk/tips").await;
    let cookie = page.url().clone();
    let _ = cookie;
    let res = admin.post("/desk/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/desk/login");
    assert_eq!(
        admin.get("/desk/tips").await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn sessions_end_when_idle_and_at_their_absolute_limit(backend: Backend) {
    use std::time::{Duration, Instant};
    let idle = TestApp::spawn_with(backend, |s| s.auth.session_idle = Duration::from_secs(2)).await;
    let editor = signed_in(&idle, "intl@example.org", "admin", &[]).await;
    assert_eq!(editor.get("/desk/tips").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        editor.get("/desk/tips").await.status(),
        StatusCode::SEE_OTHER,
        "idle too long"
    );

    let capped =
        TestApp::spawn_with(backend, |s| s.auth.session_max = Duration::from_secs(4)).await;
    let started = Instant::now();
    let busy = signed_in(&capped, "admin@example.org", "admin", &[]).await;
    // Busy all along, yet the session ends at its absolute limit.
    while started.elapsed() < Duration::from_secs(2) {
        assert_eq!(busy.get("/desk/tips").await.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(
        Duration::from_secs(4).saturating_sub(started.elapsed()) + Duration::from_millis(300),
    )
    .await;
    assert_eq!(
        busy.get("/desk/tips").await.status(),
        StatusCode::SEE_OTHER,
        "past the absolute limit"
    );
}

async fn a_logged_out_session_cookie_cannot_be_replayed(backend: Backend) {
    let app = newsroom(backend).await;
    let password = add_user(&app, "admin@example.org", "admin", &[]);
    let desk = DeskClient::new(&app);
    let res = desk.login("admin@example.org", &password).await;
    let cookie = res.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        desk.post("/desk/logout", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let replay = app
        .client
        .get(app.url("/desk/tips"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

async fn the_workflow_records_who_did_what(backend: Backend) {
    let app = newsroom(backend).await;
    let id = tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": MESSAGE, "name": "Farid", "contact": "farid@example.org", "consent": true}),
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
    let persian = tip(
        &app,
        DEMO_ARTICLE,
        json!({"kind": "correction", "message": "وزیر آن روز در کابل نبود و این جمله غلط است"}),
    )
    .await;
    for i in 0..55 {
        tip(
            &app,
            DEMO_ARTICLE,
            json!({"message": format!("Routine tip number {i} about the story")}),
        )
        .await;
    }
    tip(
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
    let older = extract_attr(&first, "<p><a href=\"").unwrap();
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
    let mut ids = Vec::new();
    for message in [
        "Prices rose 50% in May, not 5%.",
        "Prices rose 5000 afghani in May.",
        "The file was named snake_case_report.",
        "The file was named snakeXcaseXreport.",
        "A Xylophonist saw the convoy.",
    ] {
        ids.push(tip(&app, DEMO_ARTICLE, json!({ "message": message })).await);
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
            app.count_sql("SELECT count(*) AS n FROM tips_search WHERE message LIKE '%harbour%'"),
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
                "SELECT count(*) AS n FROM tips_search WHERE message LIKE '%xylophonist%'"
            ),
            0
        );
        assert_eq!(
            app.count_sql("SELECT count(*) AS n FROM tips_search WHERE message LIKE '%harbour%'"),
            1002,
            "the others stay"
        );
    }
}

async fn the_audit_chain_verifies_and_tampering_is_found(backend: Backend) {
    let app = newsroom(backend).await;
    let id = tip(&app, DEMO_ARTICLE, json!({"message": MESSAGE})).await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    for step in ["in_review", "verified"] {
        editor
            .post(&format!("/desk/tips/{id}/status"), &[("status", step)])
            .await;
    }
    let ok = app.cli(&["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 4 entries"));

    // Someone rewrites history in the database.
    app.execute_sql("UPDATE audit_log SET details = 'new -> closed' WHERE action = 'tip.status' AND details = 'in_review -> verified'");
    let broken = app.cli(&["audit", "verify"]);
    assert!(!broken.status.success());
    let err = String::from_utf8_lossy(&broken.stderr).into_owned();
    assert!(
        err.contains("broken at entry 4") && err.contains("was changed"),
        "{err}"
    );

    app.execute_sql("DELETE FROM audit_log WHERE id = 4");
    app.execute_sql("DELETE FROM audit_log WHERE id = 2");
    let removed = app.cli(&["audit", "verify"]);
    let err = String::from_utf8_lossy(&removed.stderr).into_owned();
    assert!(
        err.contains("broken at entry 3") && err.contains("removed"),
        "{err}"
    );
}

crate::both_backends!(
    anonymous_visitors_are_sent_to_login_and_change_nothing,
    wrong_passwords_and_unknown_accounts_get_the_same_answer,
    failed_logins_are_throttled_per_account,
    user_commands_enforce_the_password_and_desk_rules,
    staff_see_only_their_desks_tips,
    viewers_read_but_cannot_write,
    state_changes_need_the_csrf_token_and_a_same_site_origin,
    disabling_a_user_ends_their_live_session_and_logout_ends_it_too,
    sessions_end_when_idle_and_at_their_absolute_limit,
    a_logged_out_session_cookie_cannot_be_replayed,
    the_workflow_records_who_did_what,
    the_queue_filters_counts_marks_unread_and_pages,
    text_search_is_exact_and_counts_stop_at_a_cap,
    the_audit_chain_verifies_and_tampering_is_found,
);
