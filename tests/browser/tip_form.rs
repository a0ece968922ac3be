//! A reader sends a tip from the form in a real browser: as a page of its
//! own, after correcting what the form refused, and from the embed inside
//! an article's iframe.

use crate::driver::{Browser, HostPage};
use crate::helpers::*;
use crate::{spawn_app, take_time_to_write};

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const EMBED: &str = "/embed/articles/csto-extremist-groups-afghanistan/tip";
const TITLE: &str = "CSTO Chief Warns of Multiple Extremist Groups Active in Afghanistan";
const SUBMIT: &str = "form button[type=submit]";

/// `TD-` and three groups of four from the reference alphabet.
fn is_reference(s: &str) -> bool {
    const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 4
        && groups[0] == "TD"
        && groups[1..]
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| ALPHABET.contains(c)))
}

/// The thank-you page is shown; returns the reference it gives.
async fn thank_you_reference(browser: &Browser) -> String {
    let heading = browser.text_of("h1").await;
    if heading != "Thank you" {
        let notice = if browser.exists("#form-notice").await {
            browser.text_of("#form-notice").await
        } else {
            "none".to_owned()
        };
        panic!("expected the thank-you page, got {heading:?} (notice: {notice})");
    }
    assert!(
        browser
            .text_of("[role=status]")
            .await
            .contains(&format!("{TITLE} has your tip")),
        "the thank-you page names the article"
    );
    let reference = browser.text_of(".reference").await;
    assert!(
        is_reference(&reference),
        "{reference:?} is not a TD-XXXX-XXXX-XXXX reference"
    );
    reference
}

#[tokio::test]
async fn a_reader_sends_a_correction_in_persian_and_english() {
    let app = spawn_app().await;
    app.leave_jobs_unsent();
    let browser = Browser::start().await;
    // Persian with a zero-width non-joiner (in می‌دانم), and English.
    let message =
        "وزیر آن روز در کابل نبود — the minister was not in Kabul that day. می‌دانم، آنجا بودم.";
    let quote = "the minister met CSTO officials in Kabul on Monday";

    browser.goto(&app.url(PAGE)).await;
    assert_eq!(browser.text_of("h1").await, "Know more about this story?");
    assert_eq!(browser.text_of("p.article").await, TITLE);
    assert!(
        browser.exists("header.site").await,
        "a page has the site header"
    );
    assert!(
        browser
            .is_checked("input[name=kind][value=new_information]")
            .await,
        "new information is chosen until the reader picks something else"
    );

    browser.click("input[name=kind][value=correction]").await;
    browser.fill("#message", message).await;
    browser.fill("#quote", quote).await;
    assert!(
        browser
            .is_checked("input[name=kind][value=correction]")
            .await
    );
    assert!(
        !browser
            .is_checked("input[name=kind][value=new_information]")
            .await
    );
    assert_eq!(browser.value_of("#message").await, message);
    // dir="auto": text that starts in Persian runs right to left.
    assert_eq!(browser.css_of("#message", "direction").await, "rtl");
    assert_eq!(browser.css_of("#quote", "direction").await, "ltr");
    browser.screenshot("tip-form-filled").await;

    take_time_to_write(&app).await;
    browser.click_and_wait(SUBMIT).await;
    let reference = thank_you_reference(&browser).await;
    assert_eq!(browser.path().await, PAGE);
    browser.screenshot("tip-thank-you").await;

    let tips = app.tips();
    assert_eq!(tips.len(), 1, "exactly one tip is stored");
    let tip = &tips[0];
    assert_eq!(
        tip.reference, reference,
        "the page shows the stored reference"
    );
    assert_eq!(tip.message.as_bytes(), message.as_bytes(), "byte for byte");
    assert_eq!(tip.kind, "correction");
    assert_eq!(tip.quote.as_deref(), Some(quote));
    assert_eq!(tip.article_id, DEMO_ARTICLE);
    assert_eq!(tip.contact, None);
    assert_eq!(tip.name, None);
    assert!(!tip.consent);
    browser.close().await;
}

#[tokio::test]
async fn a_refused_form_keeps_the_text_and_says_what_to_fix() {
    let app = spawn_app().await;
    app.leave_jobs_unsent();
    let browser = Browser::start().await;
    let contact = "reader@example.org";

    browser.goto(&app.url(PAGE)).await;
    browser.fill("#message", "Too short").await;
    browser.fill("#contact", contact).await;
    take_time_to_write(&app).await;
    browser.click_and_wait(SUBMIT).await;

    // Back on the form, not thanked, with a message at each wrong field.
    assert_eq!(browser.text_of("h1").await, "Know more about this story?");
    assert!(browser.exists("#form-notice").await);
    assert!(
        browser
            .text_of("#message-error")
            .await
            .contains("at least 10 characters"),
        "the message field says how long a tip must be"
    );
    assert!(browser
        .text_of("#consent-error")
        .await
        .contains("Tick this box"));
    assert!(
        !browser.exists("#contact-error").await,
        "the contact is fine"
    );
    // What the reader typed is still there.
    assert_eq!(browser.value_of("#message").await, "Too short");
    assert_eq!(browser.value_of("#contact").await, contact);
    assert!(!browser.is_checked("input[name=consent]").await);
    browser.screenshot("tip-form-refused").await;
    assert!(app.tips().is_empty(), "nothing is stored");

    let message = "Too short, I know: the convoy left Kunduz on Tuesday, not Monday.";
    browser.fill("#message", message).await;
    browser.click("input[name=consent]").await;
    take_time_to_write(&app).await;
    browser.click_and_wait(SUBMIT).await;
    let reference = thank_you_reference(&browser).await;

    let tips = app.tips();
    assert_eq!(tips.len(), 1);
    assert_eq!(tips[0].reference, reference);
    assert_eq!(tips[0].message, message);
    assert_eq!(tips[0].contact.as_deref(), Some(contact));
    assert!(tips[0].consent);
    browser.close().await;
}

#[tokio::test]
async fn a_refused_form_gives_back_a_leading_line_break_byte_for_byte() {
    let app = spawn_app().await;
    app.leave_jobs_unsent();
    let browser = Browser::start().await;
    // Starts with a line break: HTML drops one right after <textarea>.
    let message = "\nThe convoy left Kunduz on Tuesday — کاروان سه‌شنبه رفت.";

    browser.goto(&app.url(PAGE)).await;
    browser.fill("#message", message).await;
    browser.fill("#contact", "a..b@example.org").await;
    browser.click("input[name=consent]").await;
    take_time_to_write(&app).await;
    browser.click_and_wait(SUBMIT).await;
    assert!(
        browser.exists("#contact-error").await,
        "refused for the contact"
    );
    assert_eq!(
        browser.value_of("#message").await,
        message,
        "the text comes back as typed"
    );
    browser.screenshot("tip-form-leading-break-refused").await;
    browser.resize(390, 844).await;
    browser
        .screenshot("tip-form-leading-break-refused-phone")
        .await;
    browser.resize(1200, 900).await;

    browser.fill("#contact", "reader@example.org").await;
    take_time_to_write(&app).await;
    browser.click_and_wait(SUBMIT).await;
    thank_you_reference(&browser).await;
    // Browsers send line breaks as CR LF.
    assert_eq!(app.tips()[0].message, message.replace('\n', "\r\n"));
    browser.close().await;
}

#[tokio::test]
async fn the_embed_works_inside_an_article_iframe_without_the_site_around_it() {
    // A newsroom's article with the embed in it, on another origin that
    // tipdesk is told to allow.
    let slot = HostPage::bind().await;
    let origin = slot.origin();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.limits.min_fill_seconds = 1;
        s.embed.allowed_origins = vec![origin];
    })
    .await;
    app.leave_jobs_unsent();
    let browser = Browser::start().await;
    let host = slot
        .serve(format!(
            r#"<!doctype html><meta charset="utf-8"><title>Article</title>
<h1>The article</h1>
<iframe id="tips" src="{}" width="420" height="820"></iframe>"#,
            app.url(EMBED)
        ))
        .await;

    browser.goto(host.url()).await;
    browser.enter_frame("iframe#tips").await;
    assert_eq!(browser.text_of("h1").await, "Know more about this story?");
    assert!(
        !browser.exists("header.site").await,
        "no site header in the embed"
    );
    assert!(
        !browser.exists("footer.site").await,
        "no site footer in the embed"
    );
    browser
        .fill(
            "#message",
            "The photo caption names the wrong province: it is Takhar.",
        )
        .await;
    take_time_to_write(&app).await;
    browser.click_and_wait(SUBMIT).await;

    let reference = thank_you_reference(&browser).await;
    assert!(
        !browser.exists("header.site").await,
        "the thanks stay minimal"
    );
    assert_eq!(browser.path().await, EMBED);
    assert_eq!(
        browser.attr_of("a[href$='/tip']", "href").await.as_deref(),
        Some(EMBED),
        "the link to send another tip stays in the embed"
    );
    browser.leave_frame().await;
    assert_eq!(
        browser.text_of("h1").await,
        "The article",
        "sending the tip did not take the reader away from the article"
    );
    browser.screenshot("tip-embed-thank-you").await;

    let tips = app.tips();
    assert_eq!(tips.len(), 1);
    assert_eq!(tips[0].reference, reference);
    assert_eq!(tips[0].kind, "new_information");
    browser.close().await;
}

#[tokio::test]
async fn a_site_that_is_not_allowed_cannot_frame_the_form() {
    let app = spawn_app().await; // embed.allowed_origins is empty
    let browser = Browser::start().await;
    let host = HostPage::serve(format!(
        r#"<!doctype html><meta charset="utf-8"><title>Elsewhere</title>
<h1>Someone else's page</h1>
<iframe id="tips" src="{}" width="420" height="820"></iframe>"#,
        app.url(EMBED)
    ))
    .await;
    browser.goto(host.url()).await;
    assert_eq!(browser.text_of("h1").await, "Someone else's page");
    browser.enter_frame("iframe#tips").await;
    assert!(
        !browser.exists("textarea[name=message]").await,
        "the browser must refuse to show the form in a frame of a site not in embed.allowed_origins"
    );
    browser.close().await;
}
