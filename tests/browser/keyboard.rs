//! Without a mouse (WCAG 2.1.1, 2.4.7): a reader fills in and sends the
//! form with Tab, the arrow keys, Space and Enter, fixing what the form
//! refused through the error summary's links; an editor signs in, opens a
//! tip and changes its status. At every stop of the focus, tipdesk's own
//! focus ring is drawn (checked by `Browser::tab_to`).

use fantoccini::key::Key;
use serde_json::json;
use tipdesk::i18n::{self, Audience};

use crate::driver::Browser;
use crate::helpers::*;

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const SUBMIT: &str = "form button[type=submit]";

fn key(k: Key) -> String {
    char::from(k).to_string()
}

#[tokio::test]
async fn a_reader_sends_a_tip_with_the_keyboard_alone() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.leave_jobs_unsent();
    let browser = Browser::start().await;
    for (n, l) in i18n::catalog().offered(Audience::Reader).enumerate() {
        let tag = l.tag();
        browser.goto(&app.url(&format!("{PAGE}?lang={tag}"))).await;

        // The kind: Tab reaches the chosen radio, an arrow picks the next.
        browser.tab_to("#kind-new_information", 20).await;
        browser.keys(&key(Key::Down)).await;
        assert!(browser.is_checked("#kind-correction").await, "{tag}: kind");
        browser.tab_to("#message", 3).await;
        browser.keys("Short").await;
        // Past the quote, the files and the keep-metadata box, and the name.
        browser.tab_to("#contact", 5).await;
        browser.keys("reader@example.org").await;
        browser.tab_to(SUBMIT, 4).await;
        browser.keys_and_wait(&key(Key::Enter)).await;

        // Refused: the focus is on the summary; its first link leads to
        // the message, which is rewritten; then the consent box.
        assert!(
            browser.focused_is(".error-summary").await,
            "{tag}: the summary has the focus, not {}",
            browser.focused().await
        );
        browser.tab_to(".error-summary a[href='#message']", 2).await;
        browser.keys(&key(Key::Enter)).await;
        assert!(
            browser.focused_is("#message").await,
            "{tag}: at the message"
        );
        browser
            .keys(&format!(
                "{}a{}The convoy left Kunduz on Tuesday, not Monday.",
                key(Key::Control),
                key(Key::Null)
            ))
            .await;
        browser.tab_to("#consent", 6).await;
        browser.keys(" ").await;
        assert!(browser.is_checked("#consent").await, "{tag}: consent");
        browser.tab_to(SUBMIT, 2).await;
        browser.keys_and_wait(&key(Key::Enter)).await;

        assert!(browser.exists(".reference").await, "{tag}: thanked");
        let tips = app.tips();
        assert_eq!(tips.len(), n + 1, "{tag}: one tip more");
        let tip = tips.last().unwrap();
        assert_eq!(tip.kind, "correction");
        assert_eq!(
            tip.message,
            "The convoy left Kunduz on Tuesday, not Monday."
        );
        assert_eq!(tip.contact.as_deref(), Some("reader@example.org"));
        assert!(tip.consent);
    }
    browser.close().await;
}

#[tokio::test]
async fn an_editor_opens_a_tip_and_changes_its_status_with_the_keyboard_alone() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.leave_jobs_unsent();
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": "The bridge in Kabul has been closed since Monday."}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let email = "keys@example.org";
    let password = add_user(&app, email, "editor", &["default"]);
    let browser = Browser::start().await;

    browser.goto(&app.url("/desk/login")).await;
    browser.tab_to("#email", 10).await;
    browser.keys(email).await;
    browser.tab_to("#password", 2).await;
    browser.keys(&password).await;
    browser.keys_and_wait(&key(Key::Enter)).await;
    assert_eq!(browser.path().await, "/desk/tips", "signed in");

    // Past the filters, then the row's own checkbox (the bulk form).
    browser.tab_to("tr[data-tip] a", 45).await;
    browser.keys_and_wait(&key(Key::Enter)).await;
    assert_eq!(browser.path().await, "/desk/tips/1", "the tip is open");

    browser.tab_to("select[name=status]", 40).await;
    browser.keys(&key(Key::Down)).await;
    let chosen = browser.value_of("select[name=status]").await;
    assert_eq!(chosen, "in_review", "the first step after new");
    browser.tab_to("form[action$='/status'] button", 3).await;
    browser.keys_and_wait(&key(Key::Enter)).await;
    assert_eq!(
        app.count_sql("SELECT COUNT(*) AS n FROM tips WHERE status = 'in_review'"),
        1,
        "the status changed"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_queue_and_a_tip_answer_shortcuts_but_never_while_typing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.leave_jobs_unsent();
    for message in [
        "The bridge in Kabul has been closed since Monday.",
        "The mayor's name is misspelled in the caption.",
        "The photo shows the old bridge, not the new one.",
    ] {
        let res = app
            .post_json(DEMO_ARTICLE, &json!({ "message": message }))
            .await;
        assert_eq!(res.status().as_u16(), 201);
    }
    let email = "shortcuts@example.org";
    let password = add_user(&app, email, "editor", &["default"]);
    let browser = Browser::start().await;
    browser.goto(&app.url("/desk/login")).await;
    browser.fill("#email", email).await;
    browser.fill("#password", &password).await;
    browser
        .click_and_wait("form.login button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/desk/tips");

    // Typed into a field, the letters stay letters.
    browser.fill("input[name=q]", "jjx?").await;
    assert_eq!(browser.value_of("input[name=q]").await, "jjx?");
    assert!(
        !browser.exists("tr.current").await,
        "no row chosen while typing"
    );
    assert!(!browser.exists("input[name=ids]:checked").await);
    assert!(!browser.exists("dialog#shortcuts[open]").await);

    browser.click("h1").await;
    browser.keys("j").await;
    assert!(
        browser
            .focused_is("tr[data-tip]:nth-child(1) td.ref a")
            .await
    );
    browser.keys("j").await;
    assert!(
        browser
            .focused_is("tr[data-tip]:nth-child(2) td.ref a")
            .await
    );
    assert!(browser.exists("tr[data-tip]:nth-child(2).current").await);
    browser.keys("x").await;
    assert!(
        browser
            .is_checked("tr[data-tip]:nth-child(2) input[name=ids]")
            .await
    );
    assert!(
        !browser
            .is_checked("tr[data-tip]:nth-child(1) input[name=ids]")
            .await
    );
    browser.keys("k").await;
    assert!(
        browser
            .focused_is("tr[data-tip]:nth-child(1) td.ref a")
            .await
    );

    browser.keys("?").await;
    assert!(
        browser.exists("dialog#shortcuts[open]").await,
        "? shows the list"
    );
    assert_eq!(
        browser.text_of("#shortcuts-title").await,
        "Keyboard shortcuts"
    );
    browser.screenshot("desk-shortcuts").await;
    browser.keys(&key(Key::Escape)).await;
    assert!(!browser.exists("dialog#shortcuts[open]").await);

    browser.click("h1").await;
    browser.keys("s").await;
    assert!(browser.focused_is("form.bulk select[name=status]").await);

    browser.click("h1").await;
    browser.keys("j").await;
    let id = browser
        .attr_of("tr.current", "data-tip")
        .await
        .expect("the chosen row names its tip");
    browser.keys_and_wait("o").await;
    assert_eq!(
        browser.path().await,
        format!("/desk/tips/{id}"),
        "o opens it"
    );

    // On the tip: n goes to the note, where s and a are just letters.
    browser.keys("n").await;
    assert!(browser.focused_is("textarea#note").await);
    browser.keys("sa").await;
    assert!(browser.focused_is("textarea#note").await);
    assert_eq!(browser.value_of("textarea#note").await, "sa");
    browser.click("h1").await;
    browser.keys("a").await;
    assert!(
        browser
            .focused_is("form[action$='/assign'] select[name=assignee]")
            .await
    );
    browser.close().await;
}
