//! Staff accounts and sessions over HTTP: login, throttling, the user
//! commands, CSRF and same-site checks, logout, idle and absolute expiry.
//! Mirrors `src/auth/`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn anonymous_visitors_are_sent_to_login_and_change_nothing(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let id = send_tip(&app, DEMO_ARTICLE, json!({"message": DESK_MESSAGE})).await;
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
    let (a, b) = (Page::of(wrong).await, Page::of(unknown).await);
    assert_eq!(a.notice(), b.notice(), "the same answer for both");
    assert!(a.has_text("p.notice", "do not match an account"));

    let ok = desk.login("Editor@Example.org", &password).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    // The desk's door, which sends each role to its own start.
    assert_eq!(location(&ok), "/desk");
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
    assert_ne!(session_cookie(&ok), session_cookie(&again));
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
    assert!(Page::of(res)
        .await
        .has_text("p.notice", "Too many failed attempts"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        desk.login("editor@example.org", &password).await.status(),
        StatusCode::SEE_OTHER
    );
}

/// A browser at its own loopback address (any 127.x is this machine, so
/// "another client" needs no network).
fn browser_at(app: &TestApp, local: &str) -> DeskClient {
    DeskClient {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .local_address(Some(local.parse().unwrap()))
            .build()
            .unwrap(),
        base: app.address.clone(),
    }
}

/// The most checks a throttle allows one guess after another within
/// `elapsed`: the free failures, then one more after each wait (`first`
/// seconds, doubling). A burst may take long on a loaded machine; its
/// checks must still fit what the same guesses would get in turn.
fn sequential_budget(free: usize, first: u64, elapsed: std::time::Duration) -> usize {
    let (mut checks, mut at, mut wait) = (free, 0, first);
    loop {
        at += wait;
        if std::time::Duration::from_secs(at) > elapsed {
            return checks;
        }
        checks += 1;
        wait = (wait * 2).min(900);
    }
}

/// Sends every login at once: (email, password, from) each; the
/// statuses, and how long the burst took.
async fn burst(
    app: &TestApp,
    attempts: &[(&str, &str, &DeskClient)],
) -> (Vec<StatusCode>, std::time::Duration) {
    let started = std::time::Instant::now();
    let page = DeskClient::new(app)
        .get("/desk/login")
        .await
        .text()
        .await
        .unwrap();
    let csrf = field(&page, "csrf_token").unwrap();
    let sends = attempts.iter().map(|(email, password, from)| {
        from.client
            .post(format!("{}/desk/login", from.base))
            .form(&[
                ("email", *email),
                ("password", *password),
                ("csrf_token", &csrf),
            ])
            .send()
    });
    let statuses = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    (statuses, started.elapsed())
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// A burst's answers are each a check (401), throttled (429) or, when the
/// loaded test machine's connection pool runs dry, busy (503, retry
/// later); the checks fit what the same guesses one after another would
/// get within `took` (`free` failures, then waits of `first` seconds,
/// doubling), and the free failures were not throttled.
pub fn assert_burst(statuses: &[StatusCode], took: std::time::Duration, free: usize, first: u64) {
    let checked = count(statuses, StatusCode::UNAUTHORIZED);
    let throttled = count(statuses, StatusCode::TOO_MANY_REQUESTS);
    let busy = count(statuses, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(checked + throttled + busy, statuses.len(), "{statuses:?}");
    assert!(
        checked <= sequential_budget(free, first, took),
        "{checked} checked in {took:?}: {statuses:?}"
    );
    assert!(
        checked >= 1 && throttled <= statuses.len() - free,
        "{statuses:?}"
    );
}

async fn a_burst_of_wrong_passwords_gets_no_more_checks_than_one_after_another(backend: Backend) {
    let app = newsroom(backend).await;
    add_user(&app, "editor@example.org", "editor", &["international"]);
    // From one client: 5 free, then a wait of 1 s, doubling.
    let one = browser_at(&app, "127.0.0.1");
    let attempts: Vec<_> = (0..100)
        .map(|_| ("editor@example.org", "wrong password here", &one))
        .collect();
    let (statuses, took) = burst(&app, &attempts).await;
    assert_burst(&statuses, took, 5, 1);

    // From 25 clients at once against another account: the account's
    // ceiling across clients, 20 free, then a wait of a minute.
    add_user(&app, "viewer@example.org", "viewer", &["international"]);
    let many: Vec<_> = (0..25)
        .map(|i| browser_at(&app, &format!("127.0.1.{}", i + 1)))
        .collect();
    let attempts: Vec<_> = (0..100)
        .map(|i| ("viewer@example.org", "wrong password here", &many[i % 25]))
        .collect();
    let (statuses, took) = burst(&app, &attempts).await;
    assert_burst(&statuses, took, 20, 60);
}

async fn signing_in_does_not_reset_the_clients_failures(backend: Backend) {
    let app = newsroom(backend).await;
    let own = add_user(&app, "editor@example.org", "editor", &["international"]);
    let desk = DeskClient::new(&app);
    // One guess at each of many accounts, with a login to one's own
    // account between guesses, meets the client's ceiling all the same:
    // 20 failures, then a minute's wait.
    for i in 0..20 {
        let res = desk
            .login(&format!("staff{i}@example.org"), "a guess")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "guess {i}");
        let res = desk.login("editor@example.org", &own).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "own login after guess {i}"
        );
    }
    let res = desk.login("staff20@example.org", "a guess").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()[reqwest::header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The account the client signed into is not held up by it.
    assert_eq!(
        desk.login("editor@example.org", &own).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn a_flood_against_an_account_does_not_lock_its_owner_out(backend: Backend) {
    let app = newsroom(backend).await;
    let password = add_user(&app, "editor@example.org", "editor", &["international"]);
    // The owner's browser has signed in before.
    let owner = browser_at(&app, "127.0.0.1");
    assert_eq!(
        owner.login("editor@example.org", &password).await.status(),
        StatusCode::SEE_OTHER
    );
    // Someone else uses up their own budget for this account...
    let attacker = browser_at(&app, "127.0.2.1");
    let attempts: Vec<_> = (0..10)
        .map(|_| ("editor@example.org", "wrong password here", &attacker))
        .collect();
    let (statuses, _) = burst(&app, &attempts).await;
    assert!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS) > 0,
        "{statuses:?}"
    );
    // ...which is theirs alone: the owner on a new machine still gets in.
    let laptop = browser_at(&app, "127.0.3.1");
    assert_eq!(
        laptop.login("editor@example.org", &password).await.status(),
        StatusCode::SEE_OTHER
    );
    // Past the account's ceiling across clients, new browsers wait...
    let flood: Vec<_> = (0..25)
        .map(|i| browser_at(&app, &format!("127.0.4.{}", i + 1)))
        .collect();
    let attempts: Vec<_> = (0..50)
        .map(|i| ("editor@example.org", "wrong password here", &flood[i % 25]))
        .collect();
    let (statuses, _) = burst(&app, &attempts).await;
    assert!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS) > 0,
        "{statuses:?}"
    );
    let stranger = browser_at(&app, "127.0.5.1");
    assert_eq!(
        stranger
            .login("editor@example.org", &password)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...but the browsers the owner signed in from do not.
    for known in [&owner, &laptop] {
        assert_eq!(
            known.login("editor@example.org", &password).await.status(),
            StatusCode::SEE_OTHER
        );
    }
}

async fn logging_in_again_ends_the_session_the_browser_held(backend: Backend) {
    let app = newsroom(backend).await;
    let password = add_user(&app, "editor@example.org", "editor", &["international"]);
    let desk = DeskClient::new(&app);
    let first = desk.login("editor@example.org", &password).await;
    let old = session_cookie(&first);
    assert_eq!(
        desk.login("editor@example.org", &password).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(desk.get("/desk/tips").await.status(), StatusCode::OK);
    let replay = app
        .client
        .get(app.url("/desk/tips"))
        .header("cookie", old)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        StatusCode::SEE_OTHER,
        "the old session ended"
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

/// Request headers, as (name, value).
type Headers<'a> = &'a [(&'a str, &'a str)];

async fn state_changes_need_the_csrf_token_and_a_same_site_origin(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let id = send_tip(&app, DEMO_ARTICLE, json!({"message": DESK_MESSAGE})).await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let url = format!("{}/desk/tips/{id}/status", editor.base);
    let csrf = editor.csrf().await;

    // Each attempt as (headers, CSRF token, answer, the tip's status after).
    // `Origin: null` (sent under Referrer-Policy: no-referrer) passes only
    // when the browser vouches for same-origin.
    let attempts: [(Headers, Option<&str>, StatusCode, &str); 6] = [
        (&[], None, StatusCode::FORBIDDEN, "New"),
        (&[], Some("forged"), StatusCode::FORBIDDEN, "New"),
        (
            &[("sec-fetch-site", "cross-site")],
            Some(&csrf),
            StatusCode::FORBIDDEN,
            "New",
        ),
        (
            &[("origin", "https://evil.example")],
            Some(&csrf),
            StatusCode::FORBIDDEN,
            "New",
        ),
        (
            &[("origin", "null")],
            Some(&csrf),
            StatusCode::FORBIDDEN,
            "New",
        ),
        (
            &[("origin", "null"), ("sec-fetch-site", "same-origin")],
            Some(&csrf),
            StatusCode::SEE_OTHER,
            "In review",
        ),
    ];
    for (headers, token, answer, after) in attempts {
        let mut post = editor.client.post(&url);
        for (name, value) in headers {
            post = post.header(*name, *value);
        }
        let mut form = vec![("status", "in_review")];
        form.extend(token.map(|t| ("csrf_token", t)));
        let res = post.form(&form).send().await.unwrap();
        assert_eq!(res.status(), answer, "{headers:?}, token {token:?}");
        let page = Page::of(editor.get(&format!("/desk/tips/{id}")).await).await;
        assert_eq!(
            page.text("h1 .badge.status").as_deref(),
            Some(after),
            "{headers:?}, token {token:?}"
        );
    }
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
    let busy = signed_in(&capped, "admin@example.org", "admin", &[]).await;
    // The session began before this moment (hashing and signing in can
    // take a while on a busy machine), so it must end by `started` + 4 s.
    let started = Instant::now();
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
    let cookie = session_cookie(&res);
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

crate::both_backends!(
    anonymous_visitors_are_sent_to_login_and_change_nothing,
    wrong_passwords_and_unknown_accounts_get_the_same_answer,
    failed_logins_are_throttled_per_account,
    a_burst_of_wrong_passwords_gets_no_more_checks_than_one_after_another,
    signing_in_does_not_reset_the_clients_failures,
    a_flood_against_an_account_does_not_lock_its_owner_out,
    logging_in_again_ends_the_session_the_browser_held,
    user_commands_enforce_the_password_and_desk_rules,
    state_changes_need_the_csrf_token_and_a_same_site_origin,
    disabling_a_user_ends_their_live_session_and_logout_ends_it_too,
    sessions_end_when_idle_and_at_their_absolute_limit,
    a_logged_out_session_cookie_cannot_be_replayed,
);
