//! Readers' languages: the form, the refused form and the thank-you page
//! in every shipped language, chosen by `?lang=`, by the article's own
//! language, by the browser's `Accept-Language` and by
//! `i18n.default_locale`; right to left for Persian and Pashto; the JSON
//! API's messages translated with its codes and field keys unchanged.

use reqwest::StatusCode;
use tipdesk::i18n::{self, Locale, Msg};

use crate::helpers::*;

const FORM: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const LANGS: [&str; 4] = ["en", "fa", "ps", "ru"];

fn locale(tag: &str) -> Locale {
    i18n::catalog().get(tag).expect("a shipped language")
}

fn assert_in(page: &str, tag: &str) {
    let l = locale(tag);
    let page = Page::parse(page);
    assert_eq!(
        page.lang_dir(),
        (tag.to_owned(), l.dir().to_owned()),
        "the page is marked as {tag}"
    );
    let heading = page.heading();
    assert!(
        heading == l.t("form-heading") || heading == l.t("thanks-heading"),
        "the page speaks {tag}: {heading}"
    );
}

async fn get_with(app: &TestApp, path: &str, accept_language: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap()
}

async fn the_form_is_in_each_language_by_lang_with_its_direction(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for tag in LANGS {
        let res = app.get(&format!("{FORM}?lang={tag}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-language"], tag);
        let page = res.text().await.unwrap();
        assert_in(&page, tag);
        let page = Page::parse(&page);
        let l = locale(tag);
        for (css, id) in [
            ("form button[type=submit]", "form-submit"),
            ("label[for=message]", "form-message-label"),
            ("label:has(#consent)", "form-consent-label"),
            ("label:has(#kind-correction)", "kind-correction"),
        ] {
            assert!(page.has_text(css, &l.t(id)), "{tag}: {id}");
        }
        // The title names the article, isolated from the sentence around it.
        let title = l.msg(&Msg::new("form-title").text(
            "title",
            "CSTO Chief Warns of Multiple Extremist Groups Active in Afghanistan",
        ));
        assert_eq!(page.title(), title, "{tag}");
        // The post keeps the language; the other languages are one click away.
        assert_eq!(
            page.attr("form[method=post]", "action").as_deref(),
            Some(format!("{FORM}?lang={tag}").as_str()),
            "{tag}"
        );
        for other in LANGS.iter().filter(|o| **o != tag) {
            let o = locale(other);
            let link = format!("nav.languages a[hreflang=\"{other}\"]");
            assert_eq!(page.count(&link), 1, "{tag} links to {other}");
            assert_eq!(
                page.attr(&link, "href").as_deref(),
                Some(format!("{FORM}?lang={other}").as_str())
            );
            assert_eq!(page.attr(&link, "lang").as_deref(), Some(*other));
            assert_eq!(page.attr(&link, "dir").as_deref(), Some(o.dir()));
            assert_eq!(page.text(&link).as_deref(), Some(o.name()));
        }
        assert_eq!(
            page.count(&format!("[hreflang=\"{tag}\"]")),
            0,
            "no link to itself"
        );
    }
    assert_eq!(locale("fa").dir(), "rtl");
    assert_eq!(locale("ps").dir(), "rtl");
}

async fn the_browser_chooses_when_the_url_does_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (header, tag) in [
        ("fa-AF,fa;q=0.9,en;q=0.5", "fa"),
        ("de-DE, ps;q=0.7, ru;q=0.6", "ps"),
        ("en;q=0.1, ru", "ru"),
        ("ru;q=0, de", "en"),
        ("", "en"),
        ("x;;;===", "en"),
    ] {
        let res = get_with(&app, FORM, header).await;
        assert_eq!(res.status(), StatusCode::OK, "{header:?}");
        let vary = res.headers().get_all("vary").iter().any(|v| {
            v.to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-language")
        });
        assert!(vary, "caches must keep languages apart");
        let page = res.text().await.unwrap();
        assert_in(&page, tag);
        // Chosen by the browser: nothing to keep in the form's address.
        assert_eq!(
            Page::parse(&page)
                .attr("form[method=post]", "action")
                .as_deref(),
            Some(FORM),
            "{header:?}"
        );
    }
    // ?lang= wins over the browser; an unknown one is ignored silently.
    let page = get_with(&app, &format!("{FORM}?lang=ru"), "fa")
        .await
        .text()
        .await
        .unwrap();
    assert_in(&page, "ru");
    let res = get_with(&app, &format!("{FORM}?lang=xx-unknown"), "ps").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_in(&res.text().await.unwrap(), "ps");
}

async fn an_articles_own_language_comes_after_the_url_and_before_the_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import_articles(vec![tipdesk::articles::ArticleRecord {
        language: Some("ps-AF".into()),
        ..article("kandahar-water", "د کندهار د اوبو بحران", "International")
    }]);
    let form = "/articles/kandahar-water/tip";
    let page = get_with(&app, form, "fa, en;q=0.5")
        .await
        .text()
        .await
        .unwrap();
    assert_in(&page, "ps");
    let page = app
        .get(&format!("{form}?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    assert_in(&page, "en");
    let page = get_with(&app, &format!("/embed{form}"), "ru")
        .await
        .text()
        .await
        .unwrap();
    assert_in(&page, "ps");

    // Its tips' pages too: the refused form and the thank-you page.
    let res = app
        .client
        .post(app.url(form))
        .header("accept-language", "ru")
        .form(&[("message", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::of(res).await;
    assert_eq!(page.lang_dir().0, "ps");
    let message = Msg::new("message-too-short").number("min", 10);
    assert_eq!(
        page.field_error("message"),
        Some(locale("ps").msg(&message))
    );
}

/// A refused form and the thank-you page in each language, with `?lang=`
/// kept through the post.
async fn refused_and_thanked_in_each_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    for tag in LANGS {
        let l = locale(tag);
        let path = format!("{FORM}?lang={tag}");
        let res = app
            .submit_form(&path, &[("message", "short"), ("contact", "not@an@email")])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = Page::of(res).await;
        assert_eq!(page.lang_dir(), (tag.to_owned(), l.dir().to_owned()));
        let summary = page.error_summary();
        assert_eq!(summary.first(), Some(&l.t("form-refused-invalid")), "{tag}");
        let short = l.msg(&Msg::new("message-too-short").number("min", 10));
        assert_eq!(page.field_error("message").as_ref(), Some(&short), "{tag}");
        assert!(summary.contains(&short), "{tag}: {short}");
        let problem = tipdesk::domain::EmailAddress::parse("not@an@email").unwrap_err();
        let email = l.msg(
            &Msg::new("contact-invalid-email")
                .text("contact", "not@an@email")
                .key("problem", problem.key()),
        );
        assert_eq!(page.field_error("contact").as_ref(), Some(&email), "{tag}");
        assert!(summary.contains(&email), "{tag}: {email}");
        assert_eq!(
            page.attr("form[method=post]", "action"),
            Some(path.clone()),
            "still {tag}"
        );

        let res = app
            .submit_form(
                &path,
                &[("message", "The minister was not in Kabul that day.")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let page = Page::of(res).await;
        assert_eq!(page.lang_dir(), (tag.to_owned(), l.dir().to_owned()));
        assert_eq!(page.heading(), l.t("thanks-heading"), "{tag}");
        assert!(page.has_text("main a", &l.t("thanks-another")), "{tag}");
        // The reference stays left to right, whole, inside any page.
        assert_eq!(
            page.attr("strong.reference", "dir").as_deref(),
            Some("ltr"),
            "{tag}"
        );
        assert!(
            page.text("strong.reference").unwrap().starts_with("TD-"),
            "{tag}"
        );
    }
    assert_eq!(app.tips().len(), 4);
}

async fn the_default_locale_setting_applies_when_nothing_else_chooses(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.i18n.default_locale = "fa".into()).await;
    let page = app.get(FORM).await.text().await.unwrap();
    assert_in(&page, "fa");
    let page = get_with(&app, FORM, "ru").await.text().await.unwrap();
    assert_in(&page, "ru");
}

async fn a_json_422_in_persian_keeps_its_code_and_field_keys(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let body = serde_json::json!({"message": "short", "contact": "reader@example.org", "kind": 7});
    let send = |lang: &'static str| {
        app.client
            .post(app.url("/api/v1/articles/csto-extremist-groups-afghanistan/tips"))
            .header("accept-language", lang)
            .json(&body)
            .send()
    };
    let en: serde_json::Value = send("en").await.unwrap().json().await.unwrap();
    let res = send("fa-IR").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.headers()["content-language"], "fa");
    let fa: serde_json::Value = res.json().await.unwrap();
    assert_eq!(fa["error"], "validation_failed");
    assert_eq!(fa["error"], en["error"]);
    let keys = |v: &serde_json::Value| {
        v["fields"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&fa), keys(&en));
    assert_eq!(keys(&fa), ["kind"]);
    let persian = locale("fa");
    assert_eq!(fa["message"], persian.t("api-validation-failed"));
    assert_eq!(
        fa["fields"]["kind"],
        persian.msg(&Msg::new("api-not-a-string").key("field", "kind"))
    );
    assert_ne!(fa["message"], en["message"]);

    // Field messages from the rules, in Persian, under the same keys.
    let body = serde_json::json!({"message": "short", "contact": "reader@example.org"});
    let res = app
        .client
        .post(app.url("/api/v1/articles/csto-extremist-groups-afghanistan/tips?lang=fa"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let fa: serde_json::Value = res.json().await.unwrap();
    assert_eq!(keys(&fa), ["consent", "message"]);
    assert_eq!(fa["fields"]["consent"], persian.t("consent-needed"));
    assert_eq!(
        fa["fields"]["message"],
        persian.msg(&Msg::new("message-too-short").number("min", 10))
    );
    assert!(fa["fields"]["message"].as_str().unwrap().contains("۱۰"));

    // And the answer to an accepted tip.
    let res = app
        .client
        .post(app.url("/api/v1/articles/csto-extremist-groups-afghanistan/tips"))
        .header("accept-language", "ps")
        .json(&serde_json::json!({"message": "The minister was not in Kabul that day."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let ok: serde_json::Value = res.json().await.unwrap();
    assert_eq!(ok["message"], locale("ps").t("api-accepted"));
}

async fn error_pages_speak_the_readers_language(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.per_client_burst = std::num::NonZeroU32::new(1).unwrap();
        s.limits.per_client_per_minute = std::num::NonZeroU32::new(1).unwrap();
    })
    .await;
    // 404, with links to the same address in the other languages.
    let res = app.get("/no/such/page?lang=ps").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = Page::of(res).await;
    let ps = locale("ps");
    assert_eq!(page.lang_dir(), ("ps".into(), "rtl".into()));
    assert_eq!(page.text("p.notice").as_ref(), Some(&ps.t("error-no-page")));
    assert_eq!(
        page.heading(),
        ps.msg(&Msg::new("error-title").number("status", 404))
    );
    assert_eq!(
        page.attr("nav.languages a[hreflang=fa]", "href").as_deref(),
        Some("/no/such/page?lang=fa")
    );
    assert_eq!(
        page.attr("p.small code", "dir").as_deref(),
        Some("ltr"),
        "the request id stays left to right"
    );

    // An unknown article, by the browser's language.
    let res = get_with(&app, "/articles/no-such-article/tip", "ru-RU").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = Page::of(res).await;
    assert_eq!(
        page.text("p.notice").as_ref(),
        Some(&locale("ru").t("error-no-article"))
    );

    // 413 and 429 from the form.
    let huge = "x".repeat(app.settings.server.max_body_bytes + 10);
    let res = app
        .client
        .post(app.url(&format!("{FORM}?lang=fa")))
        .form(&[("message", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = Page::of(res).await;
    assert_eq!(
        page.text("p.notice").as_ref(),
        Some(&locale("fa").t("error-form-too-large"))
    );
    assert_eq!(page.lang_dir().1, "rtl");

    let mut limited = None;
    for _ in 0..3 {
        let res = app
            .client
            .post(app.url(FORM))
            .header("accept-language", "ru")
            .form(&[("message", "The minister was not in Kabul that day.")])
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(Page::of(res).await);
            break;
        }
    }
    let page = limited.expect("the third tip in a row is held back");
    let ru = locale("ru");
    assert_eq!(page.heading(), ru.t("slow-down-title"));
    assert!(
        page.has_text("p.notice", "секунд"),
        "with the wait in Russian"
    );
    let json = app
        .client
        .post(app.url("/api/v1/articles/csto-extremist-groups-afghanistan/tips?lang=ru"))
        .json(&serde_json::json!({"message": "The minister was not in Kabul that day."}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Слишком много сообщений"));
}

/// Each of the three reader pages (the form, the refused form, the
/// thank-you page) in each language, by each rule that can choose it: the
/// URL, the article's own language and the browser.
async fn every_reader_page_in_every_language_by_every_rule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    app.import_articles(
        LANGS
            .iter()
            .map(|tag| tipdesk::articles::ArticleRecord {
                language: Some((*tag).into()),
                ..article(
                    &format!("story-{tag}"),
                    &format!("Story {tag}"),
                    "International",
                )
            })
            .collect(),
    );
    for tag in LANGS {
        let dir = locale(tag).dir();
        // (form address, Accept-Language) per rule; the article without a
        // language of its own is the demo one.
        let rules = [
            ("url", format!("{FORM}?lang={tag}"), "de"),
            ("article", format!("/articles/story-{tag}/tip"), "de"),
            ("browser", FORM.to_owned(), tag),
        ];
        for (rule, path, accept) in rules {
            let page = get_with(&app, &path, accept).await.text().await.unwrap();
            assert_eq!(
                html_lang_dir(&page),
                (tag.to_owned(), dir.to_owned()),
                "{rule}: form"
            );
            let token = field(&page, "form_token").unwrap();
            let action = Page::parse(&page)
                .attr("form[method=post]", "action")
                .unwrap();
            for (message, status, heading) in [
                ("short", StatusCode::UNPROCESSABLE_ENTITY, "form-heading"),
                (
                    "The minister was not in Kabul that day.",
                    StatusCode::OK,
                    "thanks-heading",
                ),
            ] {
                let res = app
                    .client
                    .post(app.url(&action))
                    .header("accept-language", accept)
                    .form(&[("message", message), ("form_token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), status, "{tag} by {rule}");
                let page = Page::of(res).await;
                assert_eq!(
                    page.lang_dir(),
                    (tag.to_owned(), dir.to_owned()),
                    "{tag} by {rule}: {heading}"
                );
                assert_eq!(page.heading(), locale(tag).t(heading), "{tag} by {rule}");
            }
        }
    }
}

crate::both_backends!(
    every_reader_page_in_every_language_by_every_rule,
    the_form_is_in_each_language_by_lang_with_its_direction,
    the_browser_chooses_when_the_url_does_not,
    an_articles_own_language_comes_after_the_url_and_before_the_browser,
    refused_and_thanked_in_each_language,
    the_default_locale_setting_applies_when_nothing_else_chooses,
    a_json_422_in_persian_keeps_its_code_and_field_keys,
    error_pages_speak_the_readers_language,
);
