//! Two-factor login: enrolment from the command line, the code page after
//! the password, recovery codes, replays, throttling, `auth.require_totp`.

use crate::helpers::*;
use diesel::prelude::*;
use reqwest::StatusCode;
use tipdesk::db::schema;
use totp_rs::{Algorithm, Secret, TOTP};

const EMAIL: &str = "editor@example.org";

/// What `tipdesk user totp enable` printed.
struct Printed {
    uri: String,
    secret: String,
    recovery_codes: Vec<String>,
}

fn enrol(app: &TestApp, email: &str) -> Printed {
    let out = app.cli(&["user", "totp", "enable", email]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.split_once(prefix).map(|(_, v)| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no `{prefix}` in {stdout}"))
    };
    let recovery_codes = stdout
        .lines()
        .skip_while(|l| !l.starts_with("recovery codes"))
        .skip(1)
        .map(|l| l.trim().to_owned())
        .collect();
    Printed {
        uri: after("(scan as a QR code or paste into the app): "),
        secret: after("(to type into the app by hand): "),
        recovery_codes,
    }
}

/// The authenticator app, as the person's phone would run it.
fn app_for(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).unwrap()
}

fn current_code(secret: &str) -> String {
    app_for(secret).generate_current().unwrap()
}

/// Six digits that are not a valid code right now (nor one step off).
fn wrong_code(secret: &str) -> String {
    let totp = app_for(secret);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let valid: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| totp.generate(*t))
        .collect();
    (0..4u32)
        .map(|i| format!("{:06}", 123_456 + i))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// Email and password accepted: returns the code page's pending login.
async fn password_step(desk: &DeskClient, email: &str, password: &str) -> String {
    let res = desk.login(email, password).await;
    assert_eq!(res.status(), StatusCode::OK, "the code page follows");
    assert!(
        !res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .any(|c| c.to_str().unwrap().contains("tipdesk_session=")),
        "no session before the second factor"
    );
    let page = Page::of(res).await;
    assert_eq!(
        page.attr("form:has(input[name=code])", "action").as_deref(),
        Some("/desk/login/totp"),
        "{}",
        page.source()
    );
    page.field("login_token").unwrap()
}

async fn send_code(desk: &DeskClient, login_token: &str, code: &str) -> reqwest::Response {
    desk.client
        .post(format!("{}/desk/login/totp", desk.base))
        .form(&[("login_token", login_token), ("code", code)])
        .send()
        .await
        .unwrap()
}

/// (action, target, details) of every audit entry, oldest first.
fn audit(app: &TestApp) -> Vec<(String, String, String)> {
    app.pool
        .with(|conn| {
            Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| schema::audit_log::table
                .order(schema::audit_log::id)
                .select((
                    schema::audit_log::action,
                    schema::audit_log::target,
                    schema::audit_log::details
                ))
                .load(conn))?)
        })
        .unwrap()
}

/// The stored (sealed) secret and the number of unused recovery codes.
fn stored(app: &TestApp, email: &str) -> (Option<String>, i64) {
    app.pool
        .with(|conn| {
            Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| {
                let (id, secret): (i64, Option<String>) = schema::users::table
                    .filter(schema::users::email.eq(email))
                    .select((schema::users::id, schema::users::totp_secret))
                    .first(conn)?;
                let unused: i64 = schema::recovery_codes::table
                    .filter(schema::recovery_codes::user_id.eq(id))
                    .filter(schema::recovery_codes::used_at.is_null())
                    .count()
                    .get_result(conn)?;
                (secret, unused)
            }))
        })
        .unwrap()
}

fn has(entries: &[(String, String, String)], action: &str, details: &str) -> bool {
    entries
        .iter()
        .any(|(a, _, d)| a == action && d.contains(details))
}

/// The start of most tests here: `EMAIL`, an admin, has enrolled, and a
/// browser has passed the password step.
struct AtCodePage {
    app: TestApp,
    password: String,
    printed: Printed,
    desk: DeskClient,
    /// The code page's pending login.
    token: String,
}

impl AtCodePage {
    /// Sends `code` with the pending login, from the browser that holds it.
    async fn send(&self, code: &str) -> reqwest::Response {
        send_code(&self.desk, &self.token, code).await
    }

    /// The authenticator's code for now.
    fn current_code(&self) -> String {
        current_code(&self.printed.secret)
    }
}

async fn at_code_page(backend: Backend) -> AtCodePage {
    let app = TestApp::spawn(backend).await;
    let password = add_user(&app, EMAIL, "admin", &[]);
    let printed = enrol(&app, EMAIL);
    let desk = DeskClient::new(&app);
    let token = password_step(&desk, EMAIL, &password).await;
    AtCodePage {
        app,
        password,
        printed,
        desk,
        token,
    }
}

/// How many wrong second factors the audit trail records.
fn wrong_factors_audited(app: &TestApp) -> usize {
    audit(app)
        .iter()
        .filter(|(a, _, d)| a == "login.failed" && d == "wrong second factor")
        .count()
}

async fn enrolment_prints_the_secret_once_and_stores_it_sealed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, EMAIL, "admin", &[]);
    let printed = enrol(&app, EMAIL);
    assert!(
        printed
            .uri
            .starts_with("otpauth://totp/tipdesk:editor%40example.org?secret="),
        "{}",
        printed.uri
    );
    assert!(printed.uri.contains(&format!("secret={}", printed.secret)));
    assert!(printed.uri.contains("issuer=tipdesk"));
    assert_eq!(printed.secret.len(), 32, "160 bits in base32");
    assert_eq!(printed.recovery_codes.len(), 10);
    assert!(printed
        .recovery_codes
        .iter()
        .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));

    let (sealed, unused) = stored(&app, EMAIL);
    let sealed = sealed.expect("enrolled");
    assert!(sealed.starts_with("enc1:"), "{sealed}");
    assert!(!sealed.contains(&printed.secret));
    assert_eq!(unused, 10);
    let entries = audit(&app);
    assert!(has(&entries, "user.totp_enable", EMAIL), "{entries:?}");
    assert!(entries.iter().all(|(_, _, d)| !d.contains(&printed.secret)
        && printed.recovery_codes.iter().all(|c| !d.contains(c))));

    // Enrolling again replaces the secret: the old app stops working.
    let again = enrol(&app, EMAIL);
    assert_ne!(again.secret, printed.secret);
    assert!(has(&audit(&app), "user.totp_enable", "replaced"));

    let missing = app.cli(&["user", "totp", "enable", "nobody@example.org"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no account"));
}

async fn the_password_alone_gives_no_session_the_code_does(backend: Backend) {
    let at = at_code_page(backend).await;
    let (app, desk) = (&at.app, &at.desk);
    let res = desk.get("/desk/tips").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/desk/login"));

    let res = at.send(&at.current_code()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[reqwest::header::LOCATION], "/desk");
    assert_eq!(desk.get("/desk/tips").await.status(), StatusCode::OK);
    assert!(has(&audit(app), "login", "totp"));

    // A pending login is signed: it cannot be moved to another account.
    let other = add_user(app, "other@example.org", "admin", &[]);
    enrol(app, "other@example.org");
    let stranger = DeskClient::new(app);
    let theirs = password_step(&stranger, "other@example.org", &other).await;
    let (_, rest) = theirs.split_once(':').unwrap();
    let forged = format!("1:{rest}");
    let res = send_code(&stranger, &forged, &at.current_code()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(Page::of(res).await.has_text("p.notice", "sign in again"));
    assert_eq!(
        stranger.get("/desk/tips").await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn wrong_codes_are_refused_audited_and_throttled(backend: Backend) {
    let at = at_code_page(backend).await;
    let desk = &at.desk;
    let wrong = wrong_code(&at.printed.secret);
    for _ in 0..5 {
        let res = at.send(&wrong).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(Page::of(res)
            .await
            .has_text("p.notice", "That code is not right"));
    }
    assert_eq!(desk.get("/desk/tips").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(wrong_factors_audited(&at.app), 5, "{:?}", audit(&at.app));
    // Even the right code waits now, and so does the password.
    let res = at.send(&at.current_code()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(reqwest::header::RETRY_AFTER));
    assert!(Page::of(res)
        .await
        .has_text("p.notice", "Too many failed attempts"));
    assert_eq!(
        desk.login(EMAIL, &at.password).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = at.send(&at.current_code()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(desk.get("/desk/tips").await.status(), StatusCode::OK);
}

async fn a_burst_of_wrong_codes_gets_no_more_checks_than_one_after_another(backend: Backend) {
    let at = at_code_page(backend).await;
    // Half authenticator codes, half recovery codes, all wrong, at once.
    let wrong = wrong_code(&at.printed.secret);
    let codes: Vec<String> = (0..100)
        .map(|i| {
            if i % 2 == 0 {
                wrong.clone()
            } else {
                "ZZZZZ-QQQQQ".to_owned()
            }
        })
        .collect();
    let started = std::time::Instant::now();
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all(codes.iter().map(|code| at.send(code)))
            .await
            .into_iter()
            .map(|r| r.status())
            .collect();
    let took = started.elapsed();
    crate::auth::assert_burst(&statuses, took, 5, 1);
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(
        wrong_factors_audited(&at.app),
        checked,
        "{:?}",
        audit(&at.app)
    );
}

async fn a_code_works_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let password = add_user(&app, EMAIL, "admin", &[]);
    let printed = enrol(&app, EMAIL);
    let code = current_code(&printed.secret);
    let first = DeskClient::new(&app);
    let token = password_step(&first, EMAIL, &password).await;
    assert_eq!(
        send_code(&first, &token, &code).await.status(),
        StatusCode::SEE_OTHER
    );

    // Someone who saw the code (and knows the password) cannot reuse it.
    let second = DeskClient::new(&app);
    let token = password_step(&second, EMAIL, &password).await;
    let res = send_code(&second, &token, &code).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(Page::of(res).await.has_text("p.notice", "used already"));
    assert_eq!(
        second.get("/desk/tips").await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(has(&audit(&app), "login.failed", "wrong second factor"));
}

async fn a_recovery_code_works_once(backend: Backend) {
    let at = at_code_page(backend).await;
    let (app, password, printed) = (&at.app, &at.password, &at.printed);
    let recovery = &printed.recovery_codes[3];
    // As typed from paper: lower case, a space for the dash.
    let typed = recovery.to_lowercase().replace('-', " ");
    let res = at.send(&typed).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(at.desk.get("/desk/tips").await.status(), StatusCode::OK);
    assert!(has(&audit(app), "login", "recovery code"));
    assert_eq!(stored(app, EMAIL).1, 9);

    let again = DeskClient::new(app);
    let token = password_step(&again, EMAIL, password).await;
    let res = send_code(&again, &token, recovery).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(Page::of(res).await.has_text("p.notice", "used already"));
    assert_eq!(
        again.get("/desk/tips").await.status(),
        StatusCode::SEE_OTHER
    );
    // Another one still works.
    let res = send_code(&again, &token, &printed.recovery_codes[4]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn require_totp_refuses_accounts_without_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.auth.require_totp = true).await;
    let password = add_user(&app, EMAIL, "admin", &[]);
    let desk = DeskClient::new(&app);
    let res = desk.login(EMAIL, &password).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!res.headers().contains_key(reqwest::header::SET_COOKIE));
    let page = Page::of(res).await;
    assert!(
        // The command is isolated (U+2068…U+2069) from the sentence, so it
        // reads the same inside a right-to-left one.
        page.has_text(
            "p.notice",
            "Ask an admin to run \u{2068}`tipdesk user totp enable editor@example.org`\u{2069}"
        ),
        "{}",
        page.source()
    );
    assert_eq!(desk.get("/desk/tips").await.status(), StatusCode::SEE_OTHER);
    assert!(has(&audit(&app), "login.failed", "auth.require_totp"));

    // A wrong password still gets the usual answer, not a hint.
    let wrong = desk.login(EMAIL, "not the password at all").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let printed = enrol(&app, EMAIL);
    let token = password_step(&desk, EMAIL, &password).await;
    let res = send_code(&desk, &token, &current_code(&printed.secret)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(desk.get("/desk/tips").await.status(), StatusCode::OK);
}

async fn disabling_removes_the_second_factor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let password = add_user(&app, EMAIL, "admin", &[]);
    enrol(&app, EMAIL);
    let out = app.cli(&["user", "totp", "disable", EMAIL]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("disabled"));
    assert_eq!(stored(&app, EMAIL), (None, 0));
    assert!(has(&audit(&app), "user.totp_disable", EMAIL));

    let desk = DeskClient::new(&app);
    let res = desk.login(EMAIL, &password).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the password is enough again"
    );
    assert_eq!(desk.get("/desk/tips").await.status(), StatusCode::OK);

    let again = app.cli(&["user", "totp", "disable", EMAIL]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no two-factor login"));
}

async fn key_rotation_reseals_totp_secrets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, EMAIL, "admin", &[]);
    let printed = enrol(&app, EMAIL);
    let before = stored(&app, EMAIL).0.unwrap();
    let out = app.cli(&["keys", "rotate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = stored(&app, EMAIL).0.unwrap();
    assert_ne!(
        before.split(':').nth(1),
        after.split(':').nth(1),
        "sealed with the new key"
    );
    // The re-sealed secret is the same secret.
    let ring = app.sealing_keys();
    let id = app
        .pool
        .with(|c| tipdesk::auth::users::find(c, EMAIL).map_err(tipdesk::db::DbError::from))
        .unwrap()
        .unwrap()
        .0
        .id;
    let plain = ring.open("totp", &format!("user:{id}"), &after).unwrap();
    assert_eq!(plain, printed.secret);
}

crate::both_backends!(
    key_rotation_reseals_totp_secrets,
    enrolment_prints_the_secret_once_and_stores_it_sealed,
    the_password_alone_gives_no_session_the_code_does,
    wrong_codes_are_refused_audited_and_throttled,
    a_burst_of_wrong_codes_gets_no_more_checks_than_one_after_another,
    a_code_works_once,
    a_recovery_code_works_once,
    require_totp_refuses_accounts_without_it,
    disabling_removes_the_second_factor,
);
