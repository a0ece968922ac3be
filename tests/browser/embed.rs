//! `/embed.js` on a newsroom's article (another local origin): one script
//! tag makes the compact form's frame, whose height follows the form —
//! when the error summary appears, and on the thank-you page. Heights come
//! only from tipdesk's origin; a site not in `embed.allowed_origins` gets
//! no form. Photographed as `embed-script-*.png`.

use crate::driver::{Browser, HostPage};
use crate::helpers::*;

const SUBMIT: &str = "form button[type=submit]";

/// The frame's height on the host page, in CSS pixels.
async fn frame_height(browser: &Browser) -> f64 {
    browser
        .js("return document.querySelector('iframe.tipdesk-embed').getBoundingClientRect().height;")
        .await
        .as_f64()
        .unwrap()
}

/// Waits until the frame is as tall as the form inside it (the frame's
/// content, measured inside), and returns that height.
async fn frame_fits_content(browser: &Browser, what: &str) -> f64 {
    let mut last = (0.0, 0.0);
    for _ in 0..100 {
        browser.enter_frame("iframe.tipdesk-embed").await;
        let content = browser
            .js("return Math.ceil(document.documentElement.getBoundingClientRect().height);")
            .await
            .as_f64()
            .unwrap();
        let inner_scroll = browser.js("return document.documentElement.scrollHeight - document.documentElement.clientHeight;",
        )
        .await
        .as_i64()
        .unwrap();
        browser.leave_frame().await;
        let frame = frame_height(browser).await;
        if (frame - content).abs() < 1.0 && inner_scroll == 0 {
            return frame;
        }
        last = (frame, content);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "{what}: the frame ({}) never took the form's height ({})",
        last.0, last.1
    );
}

fn article(app: &TestApp) -> String {
    format!(
        r#"<!doctype html><html lang="en"><meta charset="utf-8"><title>Article</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<main><h1>The article</h1><p>Know more about this story?</p>
<script src="{}" data-article="{DEMO_ARTICLE}" async></script>
<p id="after">The end of the article.</p></main>"#,
        app.url("/embed.js")
    )
}

#[tokio::test]
async fn embed_js_sizes_the_compact_form_to_its_content() {
    let slot = HostPage::bind().await;
    let origin = slot.origin();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.embed.allowed_origins = vec![origin];
    })
    .await;
    app.leave_jobs_unsent();
    let host = slot.serve(article(&app)).await;
    let browser = Browser::start().await;
    browser.resize(390, 844).await;
    browser.goto(host.url()).await;

    assert!(
        browser.exists("iframe.tipdesk-embed").await,
        "the frame is made"
    );
    let src = browser
        .attr_of("iframe.tipdesk-embed", "src")
        .await
        .unwrap();
    assert_eq!(
        src,
        app.url(&format!("/embed/articles/{DEMO_ARTICLE}/tip?compact=1"))
    );
    let empty = frame_fits_content(&browser, "the empty form").await;

    // Compact: no visible heading or article title inside.
    browser.enter_frame("iframe.tipdesk-embed").await;
    browser.find("#message").await;
    for css in ["h1", "p.article"] {
        let width = browser
            .js(&format!(
                "return document.querySelector('{css}').getBoundingClientRect().width;"
            ))
            .await;
        assert!(width.as_f64().unwrap() <= 1.0, "{css} is hidden: {width}");
    }
    browser.fill("#message", "Short").await;
    browser.fill("#contact", "reader@").await;
    browser.click_and_wait(SUBMIT).await;
    assert!(browser.exists(".error-summary").await);
    assert!(
        browser
            .attr_of("form", "action")
            .await
            .unwrap()
            .contains("compact=1"),
        "the refused form stays compact"
    );
    assert!(browser.attr_of("h1", "class").await.as_deref() == Some("visually-hidden"));
    browser.leave_frame().await;
    let refused = frame_fits_content(&browser, "the refused form").await;
    assert!(
        refused > empty + 100.0,
        "the frame grew with the errors: {empty} -> {refused}"
    );
    browser.screenshot("embed-script-refused-phone").await;

    // A message from anyone but tipdesk is ignored.
    browser
        .js("window.postMessage({type: 'tipdesk:height', height: 5}, '*'); return true;")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        frame_height(&browser).await,
        refused,
        "a forged height is ignored"
    );

    browser.enter_frame("iframe.tipdesk-embed").await;
    browser
        .fill(
            "#message",
            "The photo caption names the wrong province: it is Takhar.",
        )
        .await;
    browser.fill("#contact", "").await;
    browser.click_and_wait(SUBMIT).await;
    assert!(browser.exists(".reference").await, "thanked");
    browser.leave_frame().await;
    frame_fits_content(&browser, "the thank-you page").await;
    browser.screenshot("embed-script-thanks-phone").await;
    assert_eq!(app.tips().len(), 1);
    browser.close().await;
}

#[tokio::test]
async fn embed_js_on_a_site_not_allowed_gets_no_form() {
    let app = TestApp::spawn(Backend::Sqlite).await; // no allowed origins
    let host = HostPage::serve(article(&app)).await;
    let browser = Browser::start().await;
    browser.goto(host.url()).await;
    assert!(browser.exists("iframe.tipdesk-embed").await);
    browser.enter_frame("iframe.tipdesk-embed").await;
    assert!(
        !browser.exists("textarea[name=message]").await,
        "the browser refuses to show the form in a frame of a site not allowed"
    );
    browser.leave_frame().await;
    assert_eq!(frame_height(&browser).await, 720.0, "no height came");
    browser.close().await;
}

/// README's `integrity` value is the served script's SHA-384, and the
/// script may be fetched by other sites (needed with `crossorigin`).
#[tokio::test]
async fn readme_gives_embed_js_its_subresource_integrity_hash() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let res = app.client.get(app.url("/embed.js")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=604800"));
    let body = res.bytes().await.unwrap();
    let hash = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&body))
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&format!("integrity=\"{hash}\"")),
        "README's embed snippet must carry integrity=\"{hash}\""
    );
}

/// A signed `/embed.js` tag on the article's very first view: the frame
/// carries the descriptor, the article is made, and the form shows its
/// title to a reader in the browser.
#[tokio::test]
async fn embed_js_carries_a_signed_article_to_its_first_view() {
    use tipdesk::articles::signed::{sign, Descriptor};
    const KEY: &str = "embed-signing-key-embed-signing-key-0001";
    let slot = HostPage::bind().await;
    let origin = slot.origin();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.embed.allowed_origins = vec![origin];
        s.articles.embed_signing_key = Some(KEY.to_owned().into());
    })
    .await;
    let d = Descriptor::new(
        "Derby ends in a draw",
        "https://news.example/sport/derby?from=feed&lang=en",
        "Sport",
        "en",
    );
    let sig = sign(&KEY.to_owned().into(), "derby-live", &d);
    let page = format!(
        r#"<!doctype html><html lang="en"><meta charset="utf-8"><title>Article</title>
<main><h1>The article</h1>
<script src="{}" data-article="derby-live" data-article-title="{}" data-article-url="{}"
        data-article-section="{}" data-article-language="{}" data-sig="{sig}" async></script>
</main>"#,
        app.url("/embed.js"),
        d.title,
        d.url.replace('&', "&amp;"),
        d.section,
        d.language,
    );
    let host = slot.serve(page).await;
    let browser = Browser::start().await;
    browser.goto(host.url()).await;
    assert!(browser.exists("iframe.tipdesk-embed").await);
    browser.enter_frame("iframe.tipdesk-embed").await;
    assert!(
        browser.exists("textarea[name=message]").await,
        "the form of the article the embed brought"
    );
    let title = browser.js("return document.title;").await;
    assert!(
        title.as_str().unwrap().contains("Derby ends in a draw"),
        "{title}"
    );
    browser.leave_frame().await;
    browser.close().await;
    let id = tipdesk::domain::ArticleId::parse("derby-live").unwrap();
    let stored = app
        .pool
        .with(|c| tipdesk::articles::find(c, &id))
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.url, d.url,
        "the URL arrived whole, its query included"
    );
}
