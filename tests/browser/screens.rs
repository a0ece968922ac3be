//! Every screen: reader pages at 320 px (WCAG 1.4.10's reflow width, and
//! what a 1280 px screen shows at 400 % zoom; 200 % is 640 px) in every
//! language, and the desk at a phone's 390 px — the queue as cards, the
//! tip and the ops page — without a sideways scroll. Photographed into
//! `target/screenshots/` (`screens-*.png`): CI keeps them.

use serde_json::json;
use tipdesk::i18n::{self, Audience};

use crate::driver::Browser;
use crate::helpers::*;

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const SUBMIT: &str = "form button[type=submit]";

/// Checks that the page fits `width` and photographs it.
async fn fits(browser: &Browser, width: u32, name: &str) {
    browser.resize(width, 800).await;
    browser
        .assert_no_sideways_scroll(&format!("screens-{name}"))
        .await;
    browser.screenshot(&format!("screens-{name}")).await;
}

#[tokio::test]
async fn reader_pages_fit_320_px_in_every_language() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.leave_jobs_unsent();
    let browser = Browser::start().await;
    for l in i18n::catalog().offered(Audience::Reader) {
        let tag = l.tag();
        browser.resize(1200, 900).await;
        browser.goto(&app.url(&format!("/?lang={tag}"))).await;
        fits(&browser, 320, &format!("landing-{tag}-320")).await;
        browser.goto(&app.url(&format!("{PAGE}?lang={tag}"))).await;
        fits(&browser, 320, &format!("form-{tag}-320")).await;
        browser.fill("#message", "Short").await;
        browser
            .fill(
                "#contact",
                "a-very-long-address-without-any-break@example.org",
            )
            .await;
        browser.click_and_wait(SUBMIT).await;
        fits(&browser, 320, &format!("form-refused-{tag}-320")).await;
        browser
            .fill("#message", "The convoy left Kunduz on Tuesday, not Monday.")
            .await;
        browser.fill("#contact", "").await;
        browser.click_and_wait(SUBMIT).await;
        assert!(browser.exists(".reference").await, "{tag}: thanked");
        fits(&browser, 320, &format!("thanks-{tag}-320")).await;
        browser
            .goto(&app.url(&format!("/no/such/page?lang={tag}")))
            .await;
        fits(&browser, 320, &format!("404-{tag}-320")).await;
    }
    browser.close().await;
}

#[tokio::test]
async fn the_desk_fits_a_phone_with_the_queue_as_cards() {
    // A feed nothing answers at: the ops page shows it failing, with its
    // error, and must still fit a phone.
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.articles.feeds = vec!["http://127.0.0.1:9/newsroom/feeds/world-and-politics.xml"
            .parse()
            .unwrap()];
    })
    .await;
    app.leave_jobs_unsent();
    let body = json!({
        "kind": "correction",
        "message": "Correction: the mayor resigned on Tuesday, not Wednesday.",
        "quote": "The mayor resigned on Wednesday, the council said in a statement.",
        "name": "Mina Rahimi",
        "contact": "source@example.org",
        "consent": true,
    });
    let res = app.post_json(DEMO_ARTICLE, &body).await;
    assert_eq!(res.status().as_u16(), 201);
    // With two files: the queue's "files attached" badge in each language.
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let res = app
        .post_multipart(
            &format!("/api/v1/articles/{DEMO_ARTICLE}/tips"),
            &[(
                "message",
                "پل کابل از دوشنبه بسته است؛ نقشهٔ گزارش اشتباه است.",
            )],
            &[("map.pdf", pdf.to_vec()), ("notice.pdf", pdf.to_vec())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    // A second reader tells the first one's correction again: one case
    // (issue 18), shown once in the queue with "+1 similar".
    let again = json!({"message": "CORRECTION — the mayor resigned on Tuesday; not Wednesday!"});
    let res = app.post_json(DEMO_ARTICLE, &again).await;
    assert_eq!(res.status().as_u16(), 201);
    app.execute_sql(
        "UPDATE outbox SET state = 'dead', attempts = 5, \
         last_error = '550 5.1.1 mailbox unavailable: the recipient does not exist here' WHERE id = 1;",
    );
    let browser = Browser::start().await;
    for l in i18n::catalog().offered(Audience::Desk) {
        let tag = l.tag();
        let email = format!("phone-{tag}@example.org");
        let password = add_user(&app, &email, "admin", &[]);
        app.cli(&["user", "set-locale", &email, tag]);
        browser.resize(1200, 900).await;
        browser.goto(&app.url("/desk/login")).await;
        browser.fill("#email", &email).await;
        browser.fill("#password", &password).await;
        browser
            .click_and_wait("form.login button[type=submit]")
            .await;
        assert_eq!(browser.path().await, "/desk/tips", "{tag}: signed in");
        assert!(browser.exists(".badge.files").await, "{tag}: files badge");
        browser
            .screenshot(&format!("screens-desk-queue-{tag}-desktop"))
            .await;

        for width in [390, 320] {
            browser.resize(width, 800).await;
            assert_eq!(
                browser.sideways_scroll().await,
                0,
                "{tag}: the queue scrolls sideways at {width} px"
            );
            // Cards: each tip a box of its own, as wide as the page allows.
            assert_eq!(browser.css_of("tr[data-tip]", "display").await, "block");
            let bar = browser.js("return [document.querySelector('.deskbar').getBoundingClientRect().width, document.documentElement.clientWidth];",
            )
            .await;
            assert_eq!(
                bar[0].as_f64(),
                bar[1].as_f64(),
                "{tag}: the bar spans the screen"
            );
        }
        browser.resize(390, 844).await;
        browser
            .assert_accessible(&format!("the {tag} queue as cards"))
            .await;
        browser
            .screenshot(&format!("screens-desk-queue-{tag}-phone"))
            .await;

        // The case of tips 1 and 3, side by side (one column on a phone).
        browser.resize(1200, 900).await;
        browser.goto(&app.url("/desk/tips")).await;
        assert!(
            browser.exists("tr[data-tip=\"3\"] a.badge.case").await,
            "{tag}: case badge"
        );
        browser.goto(&app.url("/desk/cases/3")).await;
        browser
            .screenshot(&format!("screens-desk-case-{tag}-desktop"))
            .await;
        fits(&browser, 390, &format!("desk-case-{tag}-phone")).await;
        browser
            .assert_accessible(&format!("the {tag} case page on a phone"))
            .await;

        browser.goto(&app.url("/desk/tips/1")).await;
        fits(&browser, 390, &format!("desk-tip-{tag}-phone")).await;
        let h = browser
            .js(
                "return [parseFloat(getComputedStyle(document.querySelector('h1')).fontSize), \
             parseFloat(getComputedStyle(document.querySelector('h2')).fontSize)];",
            )
            .await;
        assert!(
            h[1].as_f64() < h[0].as_f64(),
            "{tag}: a section heading is smaller than the title: {h}"
        );
        // The quotation's bar is on the side where the page's text starts.
        let (start, end) = if l.dir() == "rtl" {
            ("right", "left")
        } else {
            ("left", "right")
        };
        assert_eq!(
            browser
                .css_of("blockquote.quoted", &format!("border-{start}-width"))
                .await,
            "4px",
            "{tag}: the quote's bar on the {start}"
        );
        assert_eq!(
            browser
                .css_of("blockquote.quoted", &format!("border-{end}-width"))
                .await,
            "0px"
        );
        // The reference in the title stays whole.
        let lines = browser
            .js("return document.querySelector('h1 .reference').getClientRects().length;")
            .await;
        assert_eq!(lines, json!(1), "{tag}: the reference is on one line");

        browser.goto(&app.url("/ops/queue")).await;
        fits(&browser, 390, &format!("ops-{tag}-phone")).await;
        browser
            .assert_accessible(&format!("the {tag} ops page on a phone"))
            .await;
        browser.resize(1200, 900).await;
        browser
            .screenshot(&format!("screens-ops-{tag}-desktop"))
            .await;

        // The desks' figures (issue 18): tables and a chart per desk.
        browser.goto(&app.url("/desk/stats")).await;
        fits(&browser, 390, &format!("desk-stats-{tag}-phone")).await;
        browser
            .assert_accessible(&format!("the {tag} desk figures on a phone"))
            .await;
        browser.resize(1200, 900).await;
        browser
            .screenshot(&format!("screens-desk-stats-{tag}-desktop"))
            .await;

        browser.goto(&app.url("/desk/tips")).await;
        browser.click_and_wait(".deskbar form.logout button").await;
    }
    browser.close().await;
}
