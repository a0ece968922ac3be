//! Every page, in every language it is offered in, checked by axe-core
//! (WCAG 2.2 A and AA and axe's best practices) in a real Chromium: reader
//! pages in each reader language, desk and ops pages in each desk
//! language. The bar is zero findings of any impact.
//!
//! One browser visits every page of a test: starting Chromium costs more
//! than checking a page. Findings are gathered over all pages and reported
//! together, so one run shows everything to fix.

use serde_json::json;
use tipdesk::i18n::{self, Audience};

use crate::driver::Browser;
use crate::helpers::*;

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const EMBED: &str = "/embed/articles/csto-extremist-groups-afghanistan/tip";
const SUBMIT: &str = "form button[type=submit]";

/// axe-core's findings over many pages.
#[derive(Default)]
struct Findings {
    pages: usize,
    found: Vec<String>,
}

impl Findings {
    /// Checks the page the browser shows, which must be in the language
    /// `tag`; `what` names it in the report.
    async fn check(&mut self, browser: &Browser, tag: &str, what: &str) {
        assert_eq!(
            browser.attr_of("html", "lang").await.as_deref(),
            Some(tag),
            "{what} is not in {tag}"
        );
        self.pages += 1;
        for f in browser.axe().await {
            self.found.push(format!("{tag} {what}: {f}"));
        }
    }

    fn assert_none(&self) {
        assert!(
            self.found.is_empty(),
            "axe-core found {} problem(s) on {} pages:\n{}",
            self.found.len(),
            self.pages,
            self.found.join("\n")
        );
    }
}

/// Sets a form field's value at once (for text too long to type).
async fn set_value(browser: &Browser, css: &str, value: &str) {
    browser
        .client()
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("could not set `{css}`: {e}"));
}

#[tokio::test]
async fn every_reader_page_in_every_language_passes_axe() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        // The smallest body allowed, so a long tip meets the 413 page.
        s.server.max_body_bytes = 1024;
    })
    .await;
    app.leave_jobs_unsent();
    // A second app that lets a client send one tip a minute: the 429 page.
    // It also allows one wrong receipt an hour: the follow-up's 429.
    let strict = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.limits.per_client_burst = std::num::NonZeroU32::new(1).unwrap();
        s.limits.per_client_per_minute = std::num::NonZeroU32::new(1).unwrap();
        s.follow_up.failures_per_hour = std::num::NonZeroU32::new(1).unwrap();
        s.follow_up.wrong_receipt_answer = std::time::Duration::ZERO;
    })
    .await;
    strict.leave_jobs_unsent();
    let browser = Browser::start().await;
    let mut findings = Findings::default();

    // The strict app's one tip a minute, spent before the pages below.
    browser.goto(&strict.url(PAGE)).await;
    browser
        .fill("#message", "Spending the one tip a minute.")
        .await;
    browser.click_and_wait(SUBMIT).await;

    for l in i18n::catalog().offered(Audience::Reader) {
        let tag = l.tag();
        let at = |path: &str| app.url(&format!("{path}?lang={tag}"));

        browser.goto(&at("/")).await;
        findings.check(&browser, tag, "landing page").await;

        browser.goto(&at(PAGE)).await;
        findings.check(&browser, tag, "form").await;

        // Refused: too short, a contact that is no address, no consent.
        browser.fill("#message", "Short").await;
        browser.fill("#contact", "reader@").await;
        browser.click_and_wait(SUBMIT).await;
        assert!(browser.exists("#message-error").await, "{tag}: refused");
        findings.check(&browser, tag, "refused form").await;

        browser
            .fill("#message", "The convoy left Kunduz on Tuesday, not Monday.")
            .await;
        browser.fill("#contact", "").await;
        browser.click_and_wait(SUBMIT).await;
        assert!(browser.exists(".reference").await, "{tag}: thanked");
        findings.check(&browser, tag, "thank-you page").await;
        let receipt = browser.text_of("#receipt").await;

        // The follow-up: the receipt form, the tip, a refused and a sent
        // message, a wrong and a missing receipt, and in the embed.
        browser.goto(&at("/follow-up")).await;
        findings.check(&browser, tag, "follow-up form").await;
        browser.fill("#receipt", &receipt).await;
        browser.click_and_wait(SUBMIT).await;
        assert!(browser.exists("#reference").await, "{tag}: opened");
        findings.check(&browser, tag, "follow-up tip").await;
        browser.fill("#message", "Short").await;
        browser
            .click_and_wait("form.reply button[type=submit]")
            .await;
        assert!(
            browser.exists("#message-error").await,
            "{tag}: refused reply"
        );
        findings
            .check(&browser, tag, "follow-up refused message")
            .await;
        browser
            .fill("#message", "It was on the board by the side door.")
            .await;
        browser
            .click_and_wait("form.reply button[type=submit]")
            .await;
        assert!(browser.exists("#follow-up-notice").await, "{tag}: sent");
        findings
            .check(&browser, tag, "follow-up conversation")
            .await;
        browser.goto(&at("/follow-up")).await;
        browser.fill("#receipt", "1234 5678").await;
        browser.click_and_wait(SUBMIT).await;
        findings
            .check(&browser, tag, "follow-up wrong receipt")
            .await;
        browser.click_and_wait(SUBMIT).await;
        assert!(browser.exists("#receipt-error").await, "{tag}: missing");
        findings
            .check(&browser, tag, "follow-up missing receipt")
            .await;
        browser.goto(&at("/embed/follow-up")).await;
        findings.check(&browser, tag, "follow-up embed").await;
        browser.fill("#receipt", &receipt).await;
        browser.click_and_wait(SUBMIT).await;
        findings.check(&browser, tag, "follow-up embed tip").await;
        // A message whose receipt no longer opens a tip: the words come
        // back in the receipt form.
        app.execute_sql("DELETE FROM tip_receipts");
        browser
            .fill("#message", "It was on the board by the side door.")
            .await;
        browser
            .click_and_wait("form.reply button[type=submit]")
            .await;
        assert!(browser.exists("#unsent").await, "{tag}: given back");
        findings
            .check(&browser, tag, "follow-up message given back")
            .await;

        browser.goto(&at(EMBED)).await;
        findings.check(&browser, tag, "embed").await;
        browser
            .goto(&app.url(&format!("{EMBED}?compact=1&lang={tag}")))
            .await;
        findings.check(&browser, tag, "compact embed").await;
        browser.fill("#message", "Short").await;
        browser.click_and_wait(SUBMIT).await;
        findings.check(&browser, tag, "refused embed").await;

        browser.goto(&at("/no/such/page")).await;
        findings.check(&browser, tag, "404 page").await;

        browser.goto(&at("/articles/no-such-article/tip")).await;
        findings.check(&browser, tag, "404 article page").await;

        // 413: more than server.max_body_bytes.
        browser.goto(&at(PAGE)).await;
        set_value(
            &browser,
            "#message",
            &"The convoy left on Tuesday. ".repeat(60),
        )
        .await;
        browser.click_and_wait(SUBMIT).await;
        findings.check(&browser, tag, "413 page").await;

        // 429 on the strict app.
        browser
            .goto(&strict.url(&format!("{PAGE}?lang={tag}")))
            .await;
        browser
            .fill("#message", "The convoy left Kunduz on Tuesday, not Monday.")
            .await;
        browser.click_and_wait(SUBMIT).await;
        findings.check(&browser, tag, "429 page").await;

        // The follow-up's 429: the strict app's one wrong receipt an hour
        // is spent by the first language.
        for _ in 0..2 {
            browser
                .goto(&strict.url(&format!("/follow-up?lang={tag}")))
                .await;
            browser.fill("#receipt", "1234 5678").await;
            browser.click_and_wait(SUBMIT).await;
        }
        assert!(
            browser.text_of("#follow-up-notice").await.len() > 10,
            "{tag}: throttled"
        );
        findings.check(&browser, tag, "follow-up 429 page").await;
    }

    // 503: storage refuses every write (as a full disk does); the form
    // comes back with the reader's text.
    app.execute_sql(
        "CREATE TRIGGER full_disk BEFORE INSERT ON tips \
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
    );
    for l in i18n::catalog().offered(Audience::Reader) {
        let tag = l.tag();
        browser.goto(&app.url(&format!("{PAGE}?lang={tag}"))).await;
        browser
            .fill("#message", "The convoy left Kunduz on Tuesday, not Monday.")
            .await;
        browser.click_and_wait(SUBMIT).await;
        assert_eq!(
            browser.text_of("#form-notice").await,
            l.t("form-refused-storage"),
            "{tag}: refused for the disk"
        );
        findings.check(&browser, tag, "503 form").await;
    }
    browser.close().await;
    findings.assert_none();
}

#[tokio::test]
async fn every_desk_and_ops_page_in_every_desk_language_passes_axe() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.leave_jobs_unsent();
    let mut receipts = Vec::new();
    for body in [
        json!({
            "kind": "correction",
            "message": "Correction: the mayor resigned on Tuesday, not Wednesday.",
            "quote": "The mayor resigned on Wednesday.",
            "name": "Mina Rahimi",
            "contact": "source@example.org",
            "consent": true,
        }),
        json!({"message": "پل کابل از دوشنبه بسته است؛ نقشهٔ گزارش اشتباه است."}),
        // The same, in Arabic letters: tip 3 joins tip 2's case (issue 18).
        json!({"message": "پل كابل از دوشنبه بسته است، نقشهٔ گزارش اشتباه است"}),
    ] {
        let res = app.post_json(DEMO_ARTICLE, &body).await;
        assert_eq!(res.status().as_u16(), 201);
        let answer: serde_json::Value = res.json().await.unwrap();
        receipts.push(answer["receipt"].as_str().unwrap().to_owned());
    }
    // A conversation with the reader of the first tip, both ways.
    let editor = signed_in(&app, "writer@example.org", "editor", &["default"]).await;
    editor
        .post(
            "/desk/tips/1/messages",
            &[("message", "Which council meeting was it?")],
        )
        .await;
    let res = app
        .client
        .post(app.url("/api/v1/follow-up/messages"))
        .json(&json!({"receipt": receipts[0], "message": "The one on Tuesday evening."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    // A dead and a retrying job for the ops page's table.
    app.execute_sql(
        "UPDATE outbox SET state = 'dead', attempts = 5, \
         last_error = '550 5.1.1 mailbox unavailable' WHERE id = 1; \
         UPDATE outbox SET state = 'retrying', attempts = 2, \
         last_error = '451 4.3.0 try again later' WHERE id = 2;",
    );
    let browser = Browser::start().await;
    let mut findings = Findings::default();

    for l in i18n::catalog().offered(Audience::Desk) {
        let tag = l.tag();
        browser
            .goto(&app.url(&format!("/desk/login?lang={tag}")))
            .await;
        findings.check(&browser, tag, "login").await;

        // The second step of a login with an authenticator app.
        let second = format!("totp-{tag}@example.org");
        let second_password = add_user(&app, &second, "viewer", &["default"]);
        let out = app.cli(&["user", "totp", "enable", &second]);
        assert!(out.status.success(), "{out:?}");
        browser.fill("#email", &second).await;
        browser.fill("#password", &second_password).await;
        browser
            .click_and_wait("form.login button[type=submit]")
            .await;
        findings.check(&browser, tag, "second factor").await;
        browser.fill("#code", "12345").await; // too short to be right
        browser
            .click_and_wait("form.login button[type=submit]")
            .await;
        findings.check(&browser, tag, "second factor refused").await;
        browser
            .goto(&app.url(&format!("/desk/login?lang={tag}")))
            .await;

        let email = format!("admin-{tag}@example.org");
        let password = add_user(&app, &email, "admin", &[]);
        browser.fill("#email", &email).await;
        browser.fill("#password", "not the password").await;
        browser
            .click_and_wait("form.login button[type=submit]")
            .await;
        findings.check(&browser, tag, "login refused").await;
        browser.fill("#password", &password).await;
        browser
            .click_and_wait("form.login button[type=submit]")
            .await;
        assert_eq!(browser.path().await, "/desk/tips", "{tag}: signed in");
        if tag != "en" {
            browser
                .client()
                .execute(
                    "document.querySelector('form.language select').value = arguments[0];",
                    vec![json!(tag)],
                )
                .await
                .unwrap();
            browser
                .click_and_wait("form.language button[type=submit]")
                .await;
        }
        assert_eq!(browser.attr_of("html", "lang").await.as_deref(), Some(tag));
        findings.check(&browser, tag, "queue").await;

        browser
            .goto(&app.url("/desk/tips?q=nothing+like+this"))
            .await;
        findings.check(&browser, tag, "empty queue").await;

        browser.goto(&app.url("/desk/tips?from=yesterday")).await;
        findings.check(&browser, tag, "queue, refused filter").await;

        browser.goto(&app.url("/desk/tips/1")).await;
        findings.check(&browser, tag, "tip").await;
        browser.click_and_wait("#show-contact").await;
        findings.check(&browser, tag, "tip with contact").await;

        browser.goto(&app.url("/desk/cases/3")).await;
        findings.check(&browser, tag, "case").await;

        browser.goto(&app.url("/desk/audit")).await;
        findings.check(&browser, tag, "audit trail").await;

        browser.goto(&app.url("/ops/queue")).await;
        findings.check(&browser, tag, "ops queue").await;

        browser.goto(&app.url("/desk/tips/999999")).await;
        findings.check(&browser, tag, "404 for staff").await;

        browser.goto(&app.url("/desk/tips")).await;
        browser.click_and_wait(".deskbar form.logout button").await;
    }
    browser.close().await;
    findings.assert_none();
}

/// The attribute `name` of every element matching `css`, in page order.
async fn attrs(browser: &Browser, css: &str, name: &str) -> Vec<String> {
    let v = browser
        .client()
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.getAttribute(arguments[1]) || '');",
            vec![json!(css), json!(name)],
        )
        .await
        .unwrap_or_else(|e| panic!("could not list `{css}`: {e}"));
    serde_json::from_value(v).unwrap()
}

/// GOV.UK's error pattern (WCAG 3.3.1, 3.3.3, 4.1.2): a refused form
/// says "Error" first in its title, in the reader's language; the focus is
/// on a summary at the top that lists every problem at once (the missing
/// consent tick too, though the contact is also wrong) as links to the
/// fields; each wrong field is marked invalid, described by its message
/// and outlined, the name and contact boxes like the others.
#[tokio::test]
async fn a_refused_form_says_error_first_and_leads_to_every_problem() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = Browser::start().await;
    for l in i18n::catalog().offered(Audience::Reader) {
        let tag = l.tag();
        browser.goto(&app.url(&format!("{PAGE}?lang={tag}"))).await;
        let title = browser.title().await;
        assert!(
            !browser.exists(".error-summary").await,
            "{tag}: no errors yet"
        );

        browser.fill("#message", "Short").await;
        set_value(&browser, "#name", "Mina\u{7}").await; // a control character
        browser.fill("#contact", "reader@").await;
        browser.click_and_wait(SUBMIT).await;

        assert_eq!(
            browser.title().await,
            l.msg(&tipdesk::i18n::Msg::new("error-title-prefix").localized("title", &title)),
            "{tag}: the title says Error first"
        );
        assert!(
            browser.focused_is(".error-summary").await,
            "{tag}: the focus is on the summary, not on {}",
            browser.focused().await
        );
        assert_eq!(
            browser.text_of(".error-summary h2").await,
            l.t("error-summary-heading")
        );
        let fields = ["message", "name", "contact", "consent"];
        assert_eq!(
            attrs(&browser, ".error-summary li a", "href").await,
            fields.map(|f| format!("#{f}")),
            "{tag}: every problem at once, in the order of the page"
        );
        for f in fields {
            assert_eq!(
                browser
                    .text_of(&format!(".error-summary a[href='#{f}']"))
                    .await,
                browser.text_of(&format!("#{f}-error")).await,
                "{tag}: the summary words {f}'s problem as the field does"
            );
            let css = format!("#{f}");
            assert_eq!(
                browser.attr_of(&css, "aria-invalid").await.as_deref(),
                Some("true"),
                "{tag}: {f} is marked invalid"
            );
            assert_eq!(
                browser.attr_of(&css, "aria-describedby").await,
                Some(format!("{f}-error")),
                "{tag}: {f} is described by its message"
            );
        }
        assert_eq!(
            browser.text_of("#consent-error").await,
            l.t("consent-needed")
        );
        for f in ["message", "name", "contact"] {
            let css = format!("#{f}");
            assert_eq!(
                (
                    browser.css_of(&css, "border-top-color").await,
                    browser.css_of(&css, "border-top-width").await
                ),
                ("rgba(179, 38, 30, 1)".to_owned(), "2px".to_owned()),
                "{tag}: {f} is outlined in red"
            );
        }
        assert_eq!(browser.attr_of("#quote", "aria-invalid").await, None);
        assert_eq!(
            browser.css_of("#quote", "border-top-width").await,
            "1px",
            "{tag}: a right field stays plain"
        );
        if tag == "en" || tag == "fa" {
            for (size, width, height) in [("desktop", 1200, 900), ("phone", 390, 844)] {
                browser.resize(width, height).await;
                browser
                    .screenshot(&format!("form-refused-{tag}-{size}"))
                    .await;
            }
            browser.resize(1200, 900).await;
        }

        // A link of the summary takes the reader to the field itself.
        browser.click(".error-summary a[href='#consent']").await;
        assert!(
            browser.focused_is("#consent").await,
            "{tag}: the link focuses the consent box, not {}",
            browser.focused().await
        );
    }
    browser.close().await;
}
