//! An editor's round on the verification desk in a real browser: signing
//! in, finding a tip, revealing the reader's contact, moving the tip into
//! review, noting it and signing out, with each step in the audit trail.

use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;

use crate::driver::Browser;
use crate::helpers::*;

const EDITOR: &str = "editor@example.org";
const CONTACT: &str = "source@example.org";
const READER: &str = "Mina Rahimi";
const CORRECTION: &str =
    "Correction: the mayor resigned on Tuesday, not Wednesday. I was at the council meeting.";
// "The Kabul bridge has been closed since Monday; the report's map is wrong."
const PERSIAN: &str = "پل کابل از دوشنبه بسته است؛ نقشهٔ گزارش اشتباه است.";
const PERSIAN_WORD: &str = "دوشنبه";
const NOTE: &str =
    "Called the council press office: minutes confirm Tuesday. نقشه را هم بررسی کنید.";

/// Sends a tip through the public API; returns the reference it was given.
async fn send_tip(app: &TestApp, body: serde_json::Value) -> String {
    let res = app.post_json(DEMO_ARTICLE, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: serde_json::Value = res.json().await.expect("JSON answer");
    body["reference"].as_str().expect("a reference").to_owned()
}

/// The references of the tips the queue lists, top to bottom.
async fn listed(browser: &Browser) -> Vec<String> {
    let rows = browser
        .client()
        .find_all(Locator::Css("tr[data-tip]"))
        .await
        .expect("queue rows");
    let mut references = Vec::new();
    for row in rows {
        let link = row.find(Locator::Css("a")).await.expect("a row's link");
        references.push(link.text().await.expect("a row's reference"));
    }
    references
}

/// Picks the option showing `label` in the `<select>` at `css`.
async fn choose(browser: &Browser, css: &str, label: &str) {
    browser
        .find(css)
        .await
        .select_by_label(label)
        .await
        .unwrap_or_else(|e| panic!("could not choose {label:?} in `{css}`: {e}"));
}

/// Clicks the button or link at `css`, after checking it says `label`, and
/// waits for the page it leads to.
async fn press(browser: &Browser, css: &str, label: &str) {
    assert_eq!(browser.text_of(css).await, label, "the button at `{css}`");
    browser.click_and_wait(css).await;
}

#[tokio::test]
async fn an_editor_signs_in_reviews_a_tip_and_signs_out() {
    let app = TestApp::spawn_with(Backend::Sqlite, |_| {}).await;
    app.leave_jobs_unsent();
    let correction = send_tip(
        &app,
        json!({
            "kind": "correction",
            "message": CORRECTION,
            "name": READER,
            "contact": CONTACT,
            "consent": true,
        }),
    )
    .await;
    let persian = send_tip(&app, json!({"message": PERSIAN})).await;
    let password = add_user(&app, EDITOR, "editor", &["default"]);
    let browser = Browser::start().await;

    // The desk is closed to strangers: its address leads to the login.
    browser.goto(&app.url("/desk/tips")).await;
    assert_eq!(browser.path().await, "/desk/login");
    assert_eq!(browser.title().await, "Sign in — tipdesk");
    assert_eq!(browser.text_of("h1").await, "Verification desk");
    assert!(
        !browser.exists("tr[data-tip]").await,
        "no tips before login"
    );
    browser.screenshot("desk-login").await;

    browser.fill("#email", EDITOR).await;
    browser.fill("#password", &password).await;
    press(&browser, "form.login button[type=submit]", "Sign in").await;
    // Fails today, a product bug: the desk's pages set
    // `<meta name="referrer" content="no-referrer">`, so the browser sends
    // `Origin: null` with every form POST (Fetch standard), and
    // `auth::session::same_site` refuses that as another site's request
    // (403). No one can sign in, and no desk form would work either.
    assert_eq!(
        browser.path().await,
        "/desk/tips",
        "signing in leads back to the queue; the page says: {:?}",
        browser.text_of("main").await
    );
    assert_eq!(browser.text_of("h1").await, "Tips");
    assert_eq!(browser.text_of(".deskbar .who").await, "editor (editor)");
    let mut queue = listed(&browser).await;
    queue.sort();
    let mut both = vec![correction.clone(), persian.clone()];
    both.sort();
    assert_eq!(queue, both, "the editor's desk has both tips");
    assert_eq!(
        browser.text_of("a[data-status=new] .n").await,
        "2",
        "two new tips"
    );
    browser.screenshot("desk-queue").await;

    // Searching in Persian finds the Persian tip alone.
    browser.fill("input[name=q]", PERSIAN_WORD).await;
    press(&browser, "form.filters button[type=submit]", "Filter").await;
    assert_eq!(listed(&browser).await, vec![persian.clone()]);
    assert_eq!(
        browser.value_of("input[name=q]").await,
        PERSIAN_WORD,
        "the search box keeps what was typed"
    );

    // Corrections of any text: only the English one.
    browser
        .find("input[name=q]")
        .await
        .clear()
        .await
        .expect("clear the search box");
    choose(&browser, "select[name=kind]", "Correction").await;
    press(&browser, "form.filters button[type=submit]", "Filter").await;
    assert_eq!(listed(&browser).await, vec![correction.clone()]);
    assert_eq!(browser.value_of("select[name=kind]").await, "correction");
    assert!(
        browser.exists("tr[data-tip].unread .dot").await,
        "not opened yet: marked unread"
    );
    let id = browser
        .attr_of("tr[data-tip]", "data-tip")
        .await
        .expect("the row names its tip");
    browser.screenshot("desk-queue-filtered").await;

    // The tip: its message and reader, but the contact stays hidden
    // until asked for, not merely out of sight.
    let link = format!("tr[data-tip='{id}'] a");
    assert_eq!(browser.text_of(&link).await, correction);
    browser.click_and_wait(&link).await;
    let tip_path = format!("/desk/tips/{id}");
    assert_eq!(browser.path().await, tip_path);
    assert!(browser.text_of("h1").await.starts_with(&correction));
    assert_eq!(browser.text_of("h1 .badge.status").await, "New");
    assert_eq!(browser.text_of(".message").await, CORRECTION);
    let facts = browser.text_of("dl.facts").await;
    assert!(facts.contains("Correction"), "the kind is shown: {facts}");
    let body = browser.text_of("main").await;
    assert!(body.contains(READER), "the reader's name is shown");
    assert!(body.contains("Agreed to be contacted."));
    let source = browser.client().source().await.expect("page source");
    assert!(!source.contains(CONTACT), "the contact is not in the page");
    assert!(!browser.exists("#contact-value").await);

    press(&browser, "#show-contact", "Show contact").await;
    assert_eq!(browser.text_of("#contact-value").await, CONTACT);
    assert!(browser.text_of("p.contact").await.contains("(email)"));
    browser.screenshot("desk-tip-contact").await;

    // Into review.
    choose(&browser, "select[name=status]", "In review").await;
    assert_eq!(browser.value_of("select[name=status]").await, "in_review");
    press(
        &browser,
        "form[action$='/status'] button[type=submit]",
        "Change status",
    )
    .await;
    assert_eq!(browser.path().await, tip_path, "back on the tip");
    assert_eq!(browser.text_of("h1 .badge.status").await, "In review");
    let history = browser.text_of("ol.history").await;
    assert!(
        history.contains("editor") && history.contains("changed the status from New to In review"),
        "the history tells who changed what: {history}"
    );
    assert!(
        !browser.exists("#contact-value").await,
        "the contact is shown once, not for the rest of the session"
    );

    // A note, mixing English and Persian.
    browser.fill("textarea[name=body]", NOTE).await;
    press(
        &browser,
        "form[action$='/notes'] button[type=submit]",
        "Add note",
    )
    .await;
    assert_eq!(browser.path().await, tip_path);
    assert_eq!(
        browser.text_of("ol.history li:last-child .note").await,
        NOTE
    );
    assert!(browser
        .text_of("ol.history li:last-child")
        .await
        .contains("editor"));
    assert_eq!(
        browser.value_of("textarea[name=body]").await,
        "",
        "the note box is empty again"
    );
    browser.screenshot("desk-tip").await;

    // Back in the queue, the tip is read and counted in review.
    press(&browser, "main.desk a[href='/desk/tips']", "← All tips").await;
    assert_eq!(browser.path().await, "/desk/tips");
    assert!(!browser.exists(&format!("tr[data-tip='{id}'].unread")).await);
    assert_eq!(browser.text_of("a[data-status=in_review] .n").await, "1");
    assert_eq!(browser.text_of("a[data-status=new] .n").await, "1");

    // Signing out ends the session: the desk is closed again.
    press(&browser, ".deskbar form.logout button", "Log out").await;
    assert_eq!(browser.path().await, "/desk/login");
    assert_eq!(browser.text_of("h1").await, "Verification desk");
    assert!(!browser.exists(".deskbar").await, "no desk header");
    browser.goto(&app.url("/desk/tips")).await;
    assert_eq!(browser.path().await, "/desk/login");
    browser.goto(&app.url(&tip_path)).await;
    assert_eq!(browser.path().await, "/desk/login");
    assert!(!browser.exists(".message").await);
    browser.close().await;

    // The audit trail holds each step, in order, and none of the reader's
    // or the editor's words.
    let entries = app
        .pool
        .with(|c| tipdesk::audit::list(c, None, 100).map_err(tipdesk::db::DbError::from))
        .expect("read the audit trail");
    let mine: Vec<(&str, &str, &str)> = entries
        .iter()
        .rev()
        .filter(|e| e.actor == EDITOR)
        .map(|e| (e.action.as_str(), e.target.as_str(), e.details.as_str()))
        .collect();
    let tip_target = format!("tip:{id}");
    let actions: Vec<&str> = mine.iter().map(|(a, ..)| *a).collect();
    assert_eq!(
        actions,
        [
            "login",
            "tip.contact_revealed",
            "tip.status",
            "tip.note",
            "logout"
        ],
        "{mine:?}"
    );
    assert!(
        mine[1..4].iter().all(|(_, t, _)| *t == tip_target),
        "{mine:?}"
    );
    assert_eq!(mine[2].2, "new -> in_review");
    for e in &entries {
        assert!(
            !e.details.contains(CONTACT) && !e.details.contains(NOTE),
            "an audit entry quotes private text: {:?}",
            e.details
        );
    }
}
