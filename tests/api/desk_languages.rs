//! The desk in its staff's languages: each account's language (set by
//! `tipdesk user add --locale`, `tipdesk user set-locale` or the switch on
//! every desk page), the sign-in pages by the browser's language among
//! those the desk is offered in, and each desk's email in the desk's
//! language (`[desks.<key>] locale`), subject included.

use reqwest::StatusCode;
use serde_json::json;
use tipdesk::i18n::{self, Locale, Msg};

use crate::helpers::*;
use crate::smtp::{Received, SmtpServer};
use crate::web::text_of;

fn locale(tag: &str) -> Locale {
    i18n::catalog().get(tag).expect("a shipped language")
}

/// Creates a staff account with a desk language, as `tipdesk user add
/// --locale` does, and returns its password.
fn add_user_in(app: &TestApp, email: &str, role: &str, desks: &[&str], tag: &str) -> String {
    use secrecy::ExposeSecret;
    let desks: Vec<String> = desks.iter().map(|d| (*d).to_owned()).collect();
    let user = tipdesk::auth::users::NewUser::parse(&app.settings, email, "Nargis", role, &desks)
        .unwrap()
        .with_locale(Some(tag))
        .unwrap();
    let password = tipdesk::auth::password::generate();
    let hash = tipdesk::auth::password::hash(&password).unwrap();
    app.pool
        .with(|c| tipdesk::auth::users::add(c, &user, &hash, &tipdesk::audit::Actor::cli()))
        .unwrap();
    password.expose_secret().to_owned()
}

async fn the_desk_speaks_the_accounts_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": "The minister was not in Kabul that day."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let password = add_user_in(&app, "nargis@example.org", "editor", &["default"], "fa");
    let desk = DeskClient::new(&app);
    desk.login("nargis@example.org", &password).await;

    let res = desk.get("/desk/tips").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-language"], "fa");
    let page = Page::of(res).await;
    let fa = locale("fa");
    assert_eq!(page.lang_dir(), ("fa".into(), "rtl".into()));
    assert_eq!(page.heading(), fa.t("queue-title"));
    // The status names and counts in Persian, with Persian digits.
    assert_eq!(
        page.text("p.counts a[data-status=new]"),
        Some(format!("{} ۱", fa.t("status-new")))
    );
    assert!(page.has_text("table.queue th", &fa.t("column-reference")));
    // References stay left to right.
    let reference = "table.queue td.ref a";
    assert_eq!(page.attr(reference, "dir").as_deref(), Some("ltr"));
    assert!(page.text(reference).unwrap().starts_with("TD-"));

    let href = page.attr(reference, "href").unwrap();
    let tip = Page::of(desk.get(&href).await).await;
    assert_eq!(tip.lang_dir().0, "fa");
    assert!(tip.has_text("button[type=submit]", &fa.t("tip-change-status")));
    assert!(tip.has_text("h2", &fa.t("tip-history")));

    // A refusal on the desk, in Persian too.
    let res = desk
        .post(&format!("{href}/notes"), &[("body", "   ")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(Page::of(res).await.notice(), Some(fa.t("desk-note-empty")));
}

async fn the_switch_on_the_desk_changes_the_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let desk = signed_in(&app, "sam@example.org", "admin", &[]).await;
    let page = Page::of(desk.get("/desk/tips").await).await;
    assert_eq!(page.lang_dir().0, "en", "i18n.default_locale");
    // The switch offers the desk's languages, each named in itself.
    let switch = "form[action=\"/desk/locale\"] select[name=locale] option";
    assert_eq!(page.attrs(switch, "value"), ["en", "fa"]);
    let farsi = format!("{switch}[value=fa]");
    assert_eq!(page.attr(&farsi, "lang").as_deref(), Some("fa"));
    assert_eq!(page.text(&farsi).as_deref(), Some("فارسی"));
    assert_eq!(
        page.count(&format!("{switch}[value=ps]")),
        0,
        "Pashto serves readers only"
    );
    // Tips may be in Pashto, though: the language filter offers it.
    assert_eq!(page.count("select[name=language] option[value=ps]"), 1);

    let res = desk.post("/desk/locale", &[("locale", "fa")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = Page::of(desk.get("/desk/audit").await).await;
    assert_eq!(page.lang_dir(), ("fa".into(), "rtl".into()));
    assert!(
        page.texts("table.queue td")
            .contains(&"user.locale".to_owned()),
        "the change is audited"
    );
    assert_eq!(page.heading(), locale("fa").t("audit-title"));

    // A language the desk does not speak is refused, in the desk's language.
    let res = desk.post("/desk/locale", &[("locale", "ps")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        Page::of(res).await.notice(),
        Some(locale("fa").t("desk-language-unknown"))
    );
    // And so is a switch without the session's CSRF token.
    let res = desk
        .client
        .post(format!("{}/desk/locale", desk.base))
        .form(&[("locale", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn the_sign_in_pages_follow_the_browser_among_the_desks_languages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (accept, tag) in [
        ("fa-AF, en;q=0.5", "fa"),
        ("ps, fa;q=0.8", "fa"),
        ("ru, ps", "en"),
    ] {
        let page = text_of(
            app.client
                .get(app.url("/desk/login"))
                .header("accept-language", accept),
        )
        .await;
        assert_eq!(html_lang_dir(&page).0, tag, "{accept}");
        assert_eq!(
            Page::parse(&page).text("label[for=password]"),
            Some(locale(tag).t("login-password")),
            "{accept}"
        );
    }
    let page = app.get("/desk/login?lang=fa").await.text().await.unwrap();
    assert_eq!(html_lang_dir(&page), ("fa".into(), "rtl".into()));
    // A wrong password, answered in Persian.
    let csrf = field(&page, "csrf_token").unwrap();
    let res = app
        .client
        .post(app.url("/desk/login"))
        .header("accept-language", "fa")
        .form(&[
            ("email", "x@example.org"),
            ("password", "wrong"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        Page::of(res).await.notice(),
        Some(locale("fa").t("login-wrong"))
    );
}

async fn the_user_commands_set_a_desk_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let out = app.cli(&[
        "user",
        "add",
        "--email",
        "omid@example.org",
        "--name",
        "Omid",
        "--role",
        "admin",
        "--locale",
        "fa",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.cli(&["user", "set-locale", "omid@example.org", "ps"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`ps`") && err.contains("en, fa"), "{err}");
    let out = app.cli(&[
        "user",
        "add",
        "--email",
        "a@example.org",
        "--name",
        "A",
        "--role",
        "admin",
        "--locale",
        "xx",
    ]);
    assert!(!out.status.success(), "an unknown language is refused");
    let stored = |email: &'static str| {
        use diesel::prelude::*;
        app.pool
            .with(|c| {
                Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(c, |c| {
                    tipdesk::db::schema::users::table
                        .filter(tipdesk::db::schema::users::email.eq(email))
                        .select(tipdesk::db::schema::users::locale)
                        .first::<Option<String>>(c)
                })?)
            })
            .unwrap()
    };
    assert_eq!(stored("omid@example.org").as_deref(), Some("fa"));
    let out = app.cli(&["user", "set-locale", "omid@example.org", "en-GB"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stored("omid@example.org").as_deref(), Some("en"));
}

/// The subject as a mail reader shows it (RFC 2047 encoded-words decoded).
fn subject(m: &Received) -> String {
    m.subject().unwrap()
}

/// Every text part of the message, decoded (base64 or quoted-printable).
fn text(m: &Received) -> String {
    m.body_text()
}

async fn a_desks_email_is_in_the_desks_language(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.desks.get_mut("default").unwrap().locale = Some("fa".into());
    })
    .await;
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"kind": "correction", "message": "The minister was not in Kabul that day."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(app.worker().drain().await.unwrap().emails_sent, 1);
    let mail = smtp.accepted();
    let fa = locale("fa");
    let want = fa.msg(
        &Msg::new("email-tip-subject")
            .localized("kind", fa.t("kind-correction"))
            .localized(
                "title",
                "CSTO Chief Warns of Multiple Extremist Groups Active in Afghanistan",
            ),
    );
    assert_eq!(subject(&mail[0]), want);
    let body = text(&mail[0]);
    assert!(body.contains(&fa.t("email-tip-intro")), "{body}");
    assert!(body.contains(&fa.t("email-privacy")), "{body}");
    assert_eq!(
        Page::parse(&mail[0].html_part()).lang_dir(),
        ("fa".into(), "rtl".into())
    );
}

#[test]
fn a_desk_language_the_desk_does_not_speak_stops_start_up() {
    for (var, value, key) in [
        (
            "TIPDESK_DESKS__DEFAULT__LOCALE",
            "ps",
            "desks.default.locale",
        ),
        ("TIPDESK_I18N__DEFAULT_LOCALE", "xx", "i18n.default_locale"),
    ] {
        let env = [(var.to_owned(), value.to_owned())].into_iter().collect();
        let err = tipdesk::config::Settings::load_from(None, env)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{var}={value}: {err}");
    }
}

crate::both_backends!(
    the_desk_speaks_the_accounts_language,
    the_switch_on_the_desk_changes_the_language,
    the_sign_in_pages_follow_the_browser_among_the_desks_languages,
    the_user_commands_set_a_desk_language,
    a_desks_email_is_in_the_desks_language,
);
