//! Readers in their own language, in a real browser: a Persian reader
//! completes the form right to left, and every language's form is
//! photographed at desktop and phone width (`target/screenshots/`).

use serde_json::Value;
use tipdesk::i18n::{self, Msg};

use crate::driver::Browser;
use crate::helpers::*;
use crate::{spawn_app, take_time_to_write};

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const SUBMIT: &str = "form button[type=submit]";

/// The element's box on the page: (left, right) in CSS pixels.
async fn edges(browser: &Browser, css: &str) -> (f64, f64) {
    measure(browser, css, "el.getBoundingClientRect()").await
}

/// Where the element's text is: (left, right) in CSS pixels.
async fn text_edges(browser: &Browser, css: &str) -> (f64, f64) {
    let range = "(() => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect(); })()";
    measure(browser, css, range).await
}

async fn measure(browser: &Browser, css: &str, rect: &str) -> (f64, f64) {
    let found = browser
        .client()
        .execute(
            &format!(
                "const el = document.querySelector(arguments[0]); const r = {rect}; return [r.left, r.right];"
            ),
            vec![Value::String(css.to_owned())],
        )
        .await
        .unwrap_or_else(|e| panic!("the box of `{css}`: {e}"));
    let pair = found.as_array().expect("two numbers");
    (pair[0].as_f64().unwrap(), pair[1].as_f64().unwrap())
}

async fn px(browser: &Browser, css: &str, property: &str) -> f64 {
    let v = browser.css_of(css, property).await;
    v.trim_end_matches("px").parse().unwrap_or(0.0)
}

#[tokio::test]
async fn a_persian_reader_completes_the_form_right_to_left() {
    let app = spawn_app().await;
    app.leave_jobs_unsent();
    let browser = Browser::start().await;
    let fa = i18n::catalog().get("fa").unwrap();

    browser.goto(&app.url(&format!("{PAGE}?lang=fa"))).await;
    assert_eq!(browser.attr_of("html", "lang").await.as_deref(), Some("fa"));
    assert_eq!(browser.css_of("body", "direction").await, "rtl");
    assert_eq!(browser.text_of("h1").await, fa.t("form-heading"));
    assert_eq!(
        browser.text_of("label[for=message]").await,
        format!("{} {}", fa.t("form-message-label"), fa.t("form-required"))
    );
    assert_eq!(browser.text_of(SUBMIT).await, fa.t("form-submit"));

    // Mirrored: the send button and the quoted passage's bar sit on the
    // right, where Persian text starts.
    let (form_left, form_right) = edges(&browser, "form").await;
    let (button_left, button_right) = edges(&browser, SUBMIT).await;
    assert!(
        (form_right - button_right).abs() < 2.0 && button_left > form_left + 50.0,
        "the button hugs the right edge: form {form_left}..{form_right}, button {button_left}..{button_right}"
    );
    assert_eq!(px(&browser, ".quote-bar", "border-right-width").await, 4.0);
    assert_eq!(px(&browser, ".quote-bar", "border-left-width").await, 0.0);
    let (_, bar_right) = edges(&browser, ".quote-bar").await;
    assert!(
        (form_right - bar_right).abs() < 2.0,
        "the bar is at the right edge"
    );
    let (label_left, label_right) = text_edges(&browser, "label[for=message]").await;
    assert!(
        label_right > form_right - 2.0 && label_left > form_left + 200.0,
        "a label's text starts on the right: {label_left}..{label_right}"
    );

    // A first try: too short, and a contact without the consent ticked.
    browser.fill("#message", "کوتاه است").await;
    browser.fill("#contact", "reader@example.org").await;
    take_time_to_write(&app).await;
    browser.click_and_wait(SUBMIT).await;
    assert_eq!(browser.attr_of("html", "lang").await.as_deref(), Some("fa"));
    assert_eq!(
        browser.text_of("#form-notice").await,
        fa.t("form-refused-invalid")
    );
    assert_eq!(
        browser.text_of("#message-error").await,
        fa.msg(&Msg::new("message-too-short").number("min", 10))
    );
    assert!(
        browser.text_of("#message-error").await.contains("۱۰"),
        "Persian digits"
    );
    assert_eq!(
        browser.text_of("#consent-error").await,
        fa.t("consent-needed")
    );
    assert_eq!(browser.value_of("#message").await, "کوتاه است");
    assert_eq!(
        px(&browser, ".notice", "border-right-width").await,
        4.0,
        "the notice's bar is on the right too"
    );
    browser.screenshot("languages-fa-refused-desktop").await;

    // Fixed and sent.
    let message = "وزیر آن روز در کابل نبود؛ من آنجا بودم و می‌دانم.";
    browser.fill("#message", message).await;
    browser.click("input[name=consent]").await;
    take_time_to_write(&app).await;
    browser.click_and_wait(SUBMIT).await;
    assert_eq!(browser.text_of("h1").await, fa.t("thanks-heading"));
    assert_eq!(browser.attr_of("html", "dir").await.as_deref(), Some("rtl"));
    let reference = browser.text_of(".reference").await;
    assert!(
        reference.starts_with("TD-") && reference.len() == 17,
        "{reference:?}"
    );
    assert_eq!(browser.css_of(".reference", "direction").await, "ltr");
    assert!(browser
        .text_of("[role=status]")
        .await
        .starts_with("گزارش شما به میز راستی‌آزمایی"));
    browser.screenshot("languages-fa-thanks-desktop").await;

    let tips = app.tips();
    assert_eq!(tips.len(), 1);
    assert_eq!(tips[0].reference, reference);
    assert_eq!(tips[0].message, message);
    assert!(tips[0].consent);
    browser.close().await;
}

#[tokio::test]
async fn each_languages_form_is_photographed_at_desktop_and_phone_width() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    for l in i18n::catalog().offered(i18n::Audience::Reader) {
        let tag = l.tag();
        for (size, width, height) in [("desktop", 1200, 900), ("phone", 390, 844)] {
            browser
                .client()
                .set_window_size(width, height)
                .await
                .unwrap();
            browser.goto(&app.url(&format!("{PAGE}?lang={tag}"))).await;
            assert_eq!(
                browser.attr_of("html", "dir").await.as_deref(),
                Some(l.dir())
            );
            assert_eq!(browser.text_of("h1").await, l.t("form-heading"));
            // Nothing sticks out sideways on a phone.
            let overflow = browser
                .client()
                .execute(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(
                overflow.as_i64(),
                Some(0),
                "{tag} at {width}px scrolls sideways"
            );
            let path = browser
                .screenshot(&format!("languages-form-{tag}-{size}"))
                .await;
            assert!(std::fs::metadata(&path).unwrap().len() > 10_000);
        }
    }
    browser.close().await;
}

#[tokio::test]
async fn a_persian_editor_switches_the_desk_to_persian_and_it_mirrors() {
    let app = spawn_app().await;
    app.leave_jobs_unsent();
    for message in [
        "پل کابل از دوشنبه بسته است؛ نقشه گزارش اشتباه است.",
        "The convoy left Kunduz on Tuesday, not Monday.",
    ] {
        let res = app
            .post_json(
                DEMO_ARTICLE,
                &serde_json::json!({"message": message, "kind": "correction"}),
            )
            .await;
        assert_eq!(res.status().as_u16(), 201);
    }
    let password = add_user(&app, "nargis@example.org", "editor", &["default"]);
    let browser = Browser::start().await;
    browser.goto(&app.url("/desk/login")).await;
    browser.fill("#email", "nargis@example.org").await;
    browser.fill("#password", &password).await;
    browser
        .click_and_wait("form.login button[type=submit]")
        .await;
    assert_eq!(browser.attr_of("html", "lang").await.as_deref(), Some("en"));

    // The switch in the desk's bar.
    let fa = i18n::catalog().get("fa").unwrap();
    browser.switch_desk_language("fa").await;
    assert_eq!(browser.attr_of("html", "dir").await.as_deref(), Some("rtl"));
    assert_eq!(browser.text_of("h1").await, fa.t("queue-title"));
    // Mirrored: the table's first column (the unread dot) is on the right.
    let (_, table_right) = edges(&browser, "table.queue").await;
    let (_, first_right) = edges(&browser, "table.queue th:first-child").await;
    assert!(
        (table_right - first_right).abs() < 2.0,
        "{table_right} vs {first_right}"
    );
    assert_eq!(
        browser.css_of("table.queue th", "text-align").await,
        "start"
    );
    browser.screenshot("languages-desk-fa-queue-desktop").await;

    browser.click_and_wait("td.ref a").await;
    assert_eq!(browser.text_of("h2").await, fa.t("tip-message"));
    assert_eq!(browser.css_of(".reference", "direction").await, "ltr");
    browser.screenshot("languages-desk-fa-tip-desktop").await;
    browser.close().await;
}
