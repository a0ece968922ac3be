//! A reader attaches two photos to a Persian tip in a real browser (no
//! script of ours: the form is a plain multipart form), and an editor of
//! the desk finds them on the tip page and downloads them.

use crate::driver::Browser;
use crate::helpers::*;

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip?lang=fa";
// "The passport photo in the report is fake; I have the original."
const PERSIAN: &str = "عکس گذرنامه در گزارش جعلی است؛ نسخهٔ اصلی را دارم.";
const EDITOR: &str = "editor@example.org";

/// A JPEG as far as its structure goes (JFIF, a frame header, a scan),
/// `len` bytes of `fill` as its image data telling two apart.
fn photo(fill: u8, len: usize) -> Vec<u8> {
    let mut j = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec();
    j.extend_from_slice(b"\xFF\xC0\x00\x0B\x08\x00\x01\x00\x01\x01\x01\x11\x00");
    j.extend_from_slice(b"\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00");
    j.extend(std::iter::repeat_n(fill, len));
    j.extend_from_slice(b"\xFF\xD9");
    j
}

#[tokio::test]
async fn a_reader_attaches_two_photos_to_a_persian_tip_and_the_editor_downloads_them() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.limits.min_fill_seconds = 1).await;
    app.leave_jobs_unsent();
    let dir = tempfile::tempdir().unwrap();
    let photos = [
        ("گذرنامه-۱.jpg", photo(1, 3000)),
        ("passport-2.jpg", photo(2, 5000)),
    ];
    let mut paths = Vec::new();
    for (name, bytes) in &photos {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path.display().to_string());
    }

    let browser = Browser::start().await;
    browser.goto(&app.url(PAGE)).await;
    browser.fill("#message", PERSIAN).await;
    // WebDriver chooses several files for one input with one path a line.
    browser
        .find("#attachments")
        .await
        .send_keys(&paths.join("\n"))
        .await
        .expect("choose the photos");
    browser.screenshot("attachments-form-fa").await;
    browser.resize(390, 844).await;
    browser.screenshot("attachments-form-fa-phone").await;
    browser.resize(1280, 900).await;
    tokio::time::sleep(std::time::Duration::from_millis(1250)).await;
    browser.click_and_wait("form button[type=submit]").await;
    assert!(
        browser.exists(".reference").await,
        "the thank-you page: {}",
        browser.text_of("main").await
    );
    let tip = app.jobs()[0].tip_id;

    let password = add_user(&app, EDITOR, "editor", &["default"]);
    browser.goto(&app.url("/desk/login")).await;
    browser.fill("#email", EDITOR).await;
    browser.fill("#password", &password).await;
    browser
        .click_and_wait("form.login button[type=submit]")
        .await;
    browser.goto(&app.url(&format!("/desk/tips/{tip}"))).await;
    assert_eq!(browser.text_of("#file-1 .file-name").await, photos[0].0);
    assert_eq!(browser.text_of("#file-2 .file-name").await, photos[1].0);
    assert_eq!(browser.text_of("#file-1 .file-type").await, "jpeg");
    browser.screenshot("attachments-desk-tip").await;

    let cookies = browser
        .client()
        .get_all_cookies()
        .await
        .expect("the session's cookies")
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    for (i, (name, bytes)) in photos.iter().enumerate() {
        let n = i + 1;
        let href = browser
            .attr_of(&format!("#file-{n} a"), "href")
            .await
            .expect("a download link");
        // The page's CSP lets no script fetch, so the download is made
        // as the browser would make it: with the editor's session cookie.
        let res = reqwest::Client::new()
            .get(app.url(&href))
            .header(reqwest::header::COOKIE, &cookies)
            .send()
            .await
            .expect("download");
        assert_eq!(res.status(), reqwest::StatusCode::OK, "{name}");
        let disposition = res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        let downloaded = res.bytes().await.unwrap().to_vec();
        assert_eq!(&downloaded, bytes, "{name} downloads byte for byte");
    }
    browser.close().await;
}

/// Photographs the page at desktop and phone (390 px) width as
/// `attachments-NAME-desktop` and `-phone`, checking that it does not
/// stick out sideways on the phone.
async fn photograph(browser: &Browser, name: &str) {
    for (size, width, height) in [("desktop", 1200, 900), ("phone", 390, 844)] {
        browser.resize(width, height).await;
        let name = format!("attachments-{name}-{size}");
        browser.assert_no_sideways_scroll(&name).await;
        browser.screenshot(&name).await;
    }
    browser.resize(1200, 900).await;
}

/// Writes `text` to the desk and chooses the file at `path` in the
/// reply's own file field, as a reader does (not sent yet).
async fn write_with(browser: &Browser, text: &str, path: &str) {
    browser.fill("#message", text).await;
    browser
        .find("#attachments")
        .await
        .send_keys(path)
        .await
        .expect("choose the file");
}

/// The follow-up page's file field, in each reader language: the files
/// sent with the tip are listed (name, size, what was done to them), a
/// reply carries a photo chosen in the page's own file field, and a reply
/// whose receipt is then refused asks for the files again. Each step is
/// photographed at desktop and phone width.
#[tokio::test]
async fn a_reader_adds_a_photo_to_a_reply_in_every_language() {
    use tipdesk::i18n::{self, Msg};
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.limits.min_fill_seconds = 1;
        s.follow_up.failures_per_hour = std::num::NonZeroU32::new(1).unwrap();
        s.follow_up.wrong_receipt_answer = std::time::Duration::ZERO;
    })
    .await;
    app.leave_jobs_unsent();
    let dir = tempfile::tempdir().unwrap();
    let notice = dir.path().join("notice.jpg");
    std::fs::write(&notice, photo(3, 4000)).unwrap();
    let notice = notice.display().to_string();
    let browser = Browser::start().await;
    browser.resize(1200, 900).await;
    for tag in ["en", "fa", "ps", "ru"] {
        let l = i18n::catalog().get(tag).unwrap();
        let files = [("passport.jpg", photo(1, 2500))];
        let api = "/api/v1/articles/csto-extremist-groups-afghanistan/tips";
        let res = app
            .post_multipart(api, &[("message", DESK_MESSAGE)], &files)
            .await;
        let sent: serde_json::Value = created(res).await.json().await.unwrap();
        let receipt = sent["receipt"].as_str().unwrap().to_owned();

        browser
            .goto(&app.url(&format!("/follow-up?lang={tag}")))
            .await;
        browser.fill("#receipt", &receipt).await;
        browser
            .click_and_wait("main form button[type=submit]")
            .await;
        assert_eq!(
            browser.text_of("#tip-files .file-name").await,
            "passport.jpg"
        );
        // 2,500 bytes of image data and 45 of structure: 3 kB.
        let size = l.msg(&Msg::new("follow-up-file-size").number("kb", 3));
        assert_eq!(browser.text_of("#tip-files .file-size").await, size);
        assert_eq!(
            browser.text_of("#tip-files .file-metadata").await,
            l.t("follow-up-file-removed")
        );
        assert!(
            !browser.exists("#tip-files a").await,
            "no download for readers"
        );
        write_with(
            &browser,
            "Here is the notice, photographed on Tuesday.",
            &notice,
        )
        .await;
        photograph(&browser, &format!("reply-{tag}")).await;
        browser.send_reply(&l.t("follow-up-sent")).await;
        assert_eq!(
            browser.text_of(".from-reader .file-name").await,
            "notice.jpg"
        );
        photograph(&browser, &format!("reply-sent-{tag}")).await;

        // Someone on the same connection uses up its wrong receipts; the
        // reader's next message, with a file, is refused and given back,
        // with a word that the file must be chosen again.
        let guess = app.open_receipt(&app.client, "1111 2222 3333 4444 5555");
        assert_eq!(guess.await.status().as_u16(), 404);
        write_with(&browser, "And the second page of the notice.", &notice).await;
        browser
            .click_and_wait("form.reply button[type=submit]")
            .await;
        assert_eq!(browser.text_of("h1").await, l.t("follow-up-heading"));
        assert_eq!(
            browser.text_of("#files-again").await,
            l.t("follow-up-files-again")
        );
        photograph(&browser, &format!("reply-refused-{tag}")).await;
        app.execute_sql("DELETE FROM receipt_failures");
    }
    browser.close().await;
}
