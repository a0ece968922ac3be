//! A reader comes back with their receipt, in a real browser: a Persian
//! reader sends a tip, keeps the receipt the thank-you page shows, reads
//! the desk's question in Persian a while later and answers it. The pages
//! are photographed at desktop and phone width, in Persian and English
//! (`target/screenshots/follow-up-*.png`), the desk's side too.

use std::time::Duration;

use serde_json::Value;
use tipdesk::i18n::{self, Msg};

use crate::driver::{Browser, HostPage};
use crate::helpers::*;

const FORM: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const SUBMIT: &str = "main form button[type=submit]";
// "The ministry's notice about the convoy was on the board on Tuesday."
const TIP: &str = "اطلاعیه وزارت درباره کاروان روز سه‌شنبه روی تابلو بود.";
// "Where exactly did you see this notice? If you have a photo, tell us."
const QUESTION: &str = "این اطلاعیه را دقیقاً کجا دیدید؟ اگر عکسی دارید، به ما بگویید.";
// "On the board by the ministry's side door; I have a photo."
const ANSWER: &str = "روی تابلوی کنار در فرعی وزارت؛ عکسش را دارم.";

/// Photographs the page at desktop and phone width as
/// `follow-up-NAME-desktop` and `-phone`, checking that a reader's page
/// does not stick out sideways on the phone. (The desk's queue is a wide
/// table, made for a desk's screen.)
async fn photograph(browser: &Browser, name: &str) {
    for (size, width, height) in [("desktop", 1200, 900), ("phone", 390, 844)] {
        browser.resize(width, height).await;
        if !name.starts_with("desk-") {
            browser
                .assert_no_sideways_scroll(&format!("follow-up-{name}-{size}"))
                .await;
        }
        let path = browser
            .screenshot(&format!("follow-up-{name}-{size}"))
            .await;
        assert!(std::fs::metadata(&path).unwrap().len() > 10_000);
    }
    browser.resize(1200, 900).await;
}

/// Whether the thank-you page shows the receipt on one line at `width`
/// (a receipt broken over two lines reads out of order on a right-to-left
/// page: the fifth group starts the next line on the right).
async fn receipt_on_one_line(browser: &Browser, width: u32) -> bool {
    browser.resize(width, 844).await;
    let lines = browser
        .client()
        .execute(
            "return document.querySelector('#receipt').getClientRects().length;",
            vec![],
        )
        .await
        .unwrap();
    let fits = browser.sideways_scroll().await == 0;
    browser.resize(1200, 900).await;
    lines.as_i64() == Some(1) && fits
}

/// The element's box: (left, right) in CSS pixels.
async fn edges(browser: &Browser, css: &str) -> (f64, f64) {
    let found = browser
        .client()
        .execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.right];",
            vec![Value::String(css.to_owned())],
        )
        .await
        .unwrap();
    let pair = found.as_array().unwrap();
    (pair[0].as_f64().unwrap(), pair[1].as_f64().unwrap())
}

fn persian_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32('۰' as u32 + d).unwrap(),
            None => c,
        })
        .collect()
}

#[tokio::test]
async fn a_reader_comes_back_reads_the_desks_persian_question_and_answers_it() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.limits.min_fill_seconds = 1).await;
    app.leave_jobs_unsent();
    let fa = i18n::catalog().get("fa").unwrap();
    let browser = Browser::start().await;
    browser.resize(1200, 900).await;

    // The tip, in Persian; the thank-you page shows the receipt once.
    browser.goto(&app.url(&format!("{FORM}?lang=fa"))).await;
    browser.fill("#message", TIP).await;
    tokio::time::sleep(Duration::from_millis(1250)).await;
    browser.click_and_wait(SUBMIT).await;
    assert_eq!(browser.text_of("h1").await, fa.t("thanks-heading"));
    assert_eq!(
        browser.text_of("#receipt-heading").await,
        fa.t("thanks-receipt-heading")
    );
    let receipt = browser.text_of("#receipt").await;
    assert_eq!(receipt.len(), 24, "five groups of four: {receipt:?}");
    assert_eq!(browser.css_of("#receipt", "direction").await, "ltr");
    photograph(&browser, "fa-thanks").await;
    for width in [390, 320] {
        assert!(receipt_on_one_line(&browser, width).await, "{width}px");
    }
    // The link to come back keeps the reader's language.
    assert_eq!(
        browser.attr_of(".receipt-box a", "href").await.as_deref(),
        Some("/follow-up?lang=fa")
    );

    // Later, the desk asks a question, in Persian.
    let editor = signed_in(&app, "nargis@example.org", "editor", &["default"]).await;
    let id = app.jobs()[0].tip_id;
    let res = editor
        .post(
            &format!("/desk/tips/{id}/messages"),
            &[("message", QUESTION)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);

    // The reader comes back: the receipt form, then the tip.
    browser.goto(&app.url("/follow-up?lang=fa")).await;
    assert_eq!(browser.attr_of("html", "dir").await.as_deref(), Some("rtl"));
    assert_eq!(browser.text_of("h1").await, fa.t("follow-up-heading"));
    assert_eq!(browser.css_of("#receipt", "direction").await, "ltr");
    assert_eq!(
        browser.text_of("#receipt-hint").await,
        "۲۰ رقم. فاصله و خط تیره اهمیتی ندارد."
    );
    assert_eq!(
        browser.attr_of("#receipt", "autocomplete").await.as_deref(),
        Some("off")
    );
    photograph(&browser, "fa-open").await;
    // Typed on a Persian keyboard, spaces and all.
    browser.fill("#receipt", &persian_digits(&receipt)).await;
    browser.click_and_wait(SUBMIT).await;
    assert_eq!(browser.text_of("h1").await, fa.t("follow-up-tip-heading"));
    let answered = fa.msg(&Msg::new("follow-up-status").key("status", "answered"));
    assert_eq!(browser.text_of("#status").await, answered);
    assert_eq!(browser.text_of(".from-desk .text").await, QUESTION);
    assert!(browser
        .text_of(".from-desk .who")
        .await
        .starts_with(&fa.t("follow-up-from-desk")));
    assert!(
        !browser.text_of("main").await.contains("nargis"),
        "no staff name"
    );
    assert_eq!(browser.css_of(".reference", "direction").await, "ltr");
    // A time reads left to right inside the right-to-left page: the year
    // first (leftmost), "UTC" last.
    let order = browser
        .client()
        .execute(
            "const t = document.querySelector('.from-desk .who bdi').firstChild; \
             const at = (i) => { const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1); return r.getBoundingClientRect().left; }; \
             return [at(0), at(t.length - 1)];",
            vec![],
        )
        .await
        .unwrap();
    let order = order.as_array().unwrap();
    assert!(
        order[0].as_f64().unwrap() < order[1].as_f64().unwrap(),
        "the year is left of UTC: {order:?}"
    );
    // Mirrored: the desk's message hugs the right, where Persian starts.
    let (_, main_right) = edges(&browser, "ol.conversation").await;
    let (desk_left, desk_right) = edges(&browser, ".from-desk").await;
    let (main_left, _) = edges(&browser, "ol.conversation").await;
    assert!(
        (main_right - desk_right).abs() < 2.0 && desk_left > main_left + 20.0,
        "the desk's message sits on the right: {desk_left}..{desk_right} in {main_left}..{main_right}"
    );
    photograph(&browser, "fa-question").await;

    // The answer.
    browser.fill("#message", ANSWER).await;
    browser.send_reply(&fa.t("follow-up-sent")).await;
    assert_eq!(browser.text_of(".from-reader .text").await, ANSWER);
    assert_eq!(
        browser.value_of("#message").await,
        "",
        "the box is empty again"
    );
    photograph(&browser, "fa-answered").await;

    // Leave: back to the empty receipt form, in Persian.
    browser.click_and_wait("#leave").await;
    let url = browser.current_url().await;
    assert_eq!((url.path(), url.query()), ("/follow-up", Some("lang=fa")));
    assert_eq!(browser.value_of("#receipt").await, "");

    // The desk has the answer, and the tip is unread with the badge.
    let page = Page::of(editor.get(&format!("/desk/tips/{id}")).await).await;
    assert_eq!(
        page.texts("ol.conversation li.from-reader div.text"),
        [ANSWER]
    );

    // The same pages in English, for the record.
    browser.goto(&app.url("/follow-up")).await;
    photograph(&browser, "en-open").await;
    browser.fill("#receipt", &receipt).await;
    browser.click_and_wait(SUBMIT).await;
    assert_eq!(browser.attr_of("html", "lang").await.as_deref(), Some("en"));
    photograph(&browser, "en-conversation").await;
    // A wrong receipt, in Persian.
    browser.goto(&app.url("/follow-up?lang=fa")).await;
    browser.fill("#receipt", "۱۲۳۴ ۵۶۷۸ ۹۰۱۲ ۳۴۵۶ ۷۸۹۰").await;
    browser.click_and_wait(SUBMIT).await;
    assert_eq!(
        browser.text_of("#follow-up-notice").await,
        fa.t("follow-up-wrong")
    );
    photograph(&browser, "fa-wrong").await;

    // The desk's side: the conversation apart from the notes, in English
    // and in Persian.
    let password = add_user(&app, "sam@example.org", "editor", &["default"]);
    browser.goto(&app.url("/desk/login")).await;
    browser.fill("#email", "sam@example.org").await;
    browser.fill("#password", &password).await;
    browser
        .click_and_wait("form.login button[type=submit]")
        .await;
    browser.goto(&app.url("/desk/tips")).await;
    assert!(browser.exists(".badge.replied").await, "reader replied");
    photograph(&browser, "desk-en-queue").await;
    browser.goto(&app.url(&format!("/desk/tips/{id}"))).await;
    let shown = browser
        .client()
        .execute(
            "return document.querySelectorAll('section.to-reader li').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        shown.as_i64(),
        Some(2),
        "both messages, apart from the notes"
    );
    photograph(&browser, "desk-en-tip").await;
    browser.switch_desk_language("fa").await;
    browser.goto(&app.url(&format!("/desk/tips/{id}"))).await;
    let fa_desk = fa.t("tip-conversation");
    assert_eq!(browser.text_of("#conversation-heading").await, fa_desk);
    photograph(&browser, "desk-fa-tip").await;
    browser.close().await;
}

/// A reader's tip, the desk's question and the reader's answer in `tag`.
struct Exchange {
    tag: &'static str,
    tip: &'static str,
    question: &'static str,
    answer: &'static str,
    later: &'static str,
}

const IN_OTHER_LANGUAGES: [Exchange; 2] = [
    Exchange {
        tag: "ps",
        // "The ministry's notice about the convoy was on the board on Tuesday."
        tip: "د کاروان په اړه د وزارت اعلامیه د سه شنبې په ورځ په تخته کې وه.",
        // "Where exactly did you see this notice?"
        question: "دا اعلامیه مو دقیقاً چېرته ولیده؟",
        // "On the board by the ministry's side door."
        answer: "د وزارت د څنګ دروازې تر څنګ په تخته کې.",
        // "It had the deputy minister's signature on it."
        later: "په هغې د مرستیال وزیر لاسلیک و.",
    },
    Exchange {
        tag: "ru",
        tip: "Объявление министерства о колонне висело на доске во вторник.",
        question: "Где именно вы видели это объявление?",
        answer: "На доске у бокового входа в министерство.",
        later: "На нём была подпись заместителя министра.",
    },
];

/// The reader's pages in Pashto and Russian, as a reader goes through them:
/// the thank-you page with the receipt, the receipt form, the tip with the
/// desk's question, the answer sent, a message whose receipt was refused
/// (given back, then carried into the box and sent), and a wrong receipt —
/// each photographed at desktop and phone width, none scrolling sideways.
#[tokio::test]
async fn the_follow_up_reads_and_fits_in_pashto_and_russian_too() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.limits.min_fill_seconds = 1;
        s.follow_up.failures_per_hour = std::num::NonZeroU32::new(1).unwrap();
        s.follow_up.wrong_receipt_answer = Duration::ZERO;
    })
    .await;
    app.leave_jobs_unsent();
    let editor = signed_in(&app, "nargis@example.org", "editor", &["default"]).await;
    let browser = Browser::start().await;
    browser.resize(1200, 900).await;
    for x in &IN_OTHER_LANGUAGES {
        let l = i18n::catalog().get(x.tag).unwrap();
        browser
            .goto(&app.url(&format!("{FORM}?lang={}", x.tag)))
            .await;
        browser.fill("#message", x.tip).await;
        tokio::time::sleep(Duration::from_millis(1250)).await;
        browser.click_and_wait(SUBMIT).await;
        assert_eq!(browser.text_of("h1").await, l.t("thanks-heading"));
        let receipt = browser.text_of("#receipt").await;
        assert_eq!(receipt.len(), 24, "{}: {receipt:?}", x.tag);
        photograph(&browser, &format!("{}-thanks", x.tag)).await;
        assert!(receipt_on_one_line(&browser, 320).await, "{}", x.tag);

        // The newest job is this tip's email.
        let id = app.jobs().last().unwrap().tip_id;
        let res = editor
            .post(
                &format!("/desk/tips/{id}/messages"),
                &[("message", x.question)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);

        let open = app.url(&format!("/follow-up?lang={}", x.tag));
        browser.goto(&open).await;
        assert_eq!(browser.text_of("h1").await, l.t("follow-up-heading"));
        photograph(&browser, &format!("{}-open", x.tag)).await;
        browser.fill("#receipt", &receipt).await;
        browser.click_and_wait(SUBMIT).await;
        assert_eq!(browser.text_of("h1").await, l.t("follow-up-tip-heading"));
        let answered = l.msg(&Msg::new("follow-up-status").key("status", "answered"));
        assert_eq!(browser.text_of("#status").await, answered);
        assert_eq!(browser.text_of(".from-desk .text").await, x.question);
        photograph(&browser, &format!("{}-question", x.tag)).await;
        browser.fill("#message", x.answer).await;
        browser.send_reply(&l.t("follow-up-sent")).await;
        assert_eq!(browser.text_of(".from-reader .text").await, x.answer);
        photograph(&browser, &format!("{}-answered", x.tag)).await;

        // Someone on the same connection uses up its wrong receipts; the
        // reader's next message is refused, and given back.
        let guess = app
            .client
            .post(app.url("/api/v1/follow-up"))
            .json(&serde_json::json!({"receipt": "1111 2222 3333 4444 5555"}))
            .send()
            .await
            .unwrap();
        assert_eq!(guess.status().as_u16(), 404);
        browser.fill("#message", x.later).await;
        browser
            .click_and_wait("form.reply button[type=submit]")
            .await;
        assert_eq!(browser.text_of("h1").await, l.t("follow-up-heading"));
        assert_eq!(browser.value_of("#unsent").await, x.later);
        assert_eq!(browser.value_of("#receipt").await, "");
        photograph(&browser, &format!("{}-unsent", x.tag)).await;
        // The hour passes; the receipt again, and the words are in the box.
        app.execute_sql("DELETE FROM receipt_failures");
        browser.fill("#receipt", &receipt).await;
        browser.click_and_wait(SUBMIT).await;
        assert_eq!(browser.value_of("#message").await, x.later);
        assert!(!browser.exists("#follow-up-notice").await, "not sent yet");
        browser.send_reply(&l.t("follow-up-sent")).await;
        assert_eq!(browser.text_of("main").await.matches(x.later).count(), 1);

        // A wrong receipt.
        browser.goto(&open).await;
        browser.fill("#receipt", "9999 8888 7777 6666 5555").await;
        browser.click_and_wait(SUBMIT).await;
        assert_eq!(
            browser.text_of("#follow-up-notice").await,
            l.t("follow-up-wrong")
        );
        photograph(&browser, &format!("{}-wrong", x.tag)).await;
        app.execute_sql("DELETE FROM receipt_failures");
    }
    browser.close().await;
}

/// The embed, inside a newsroom's article on a phone: the tip, its receipt,
/// and the way back to it all stay in the frame, on a site other than
/// tipdesk's (where a browser keeps no cookie for the frame; the receipt
/// needs none).
#[tokio::test]
async fn the_follow_up_works_inside_the_newsrooms_frame_on_a_phone() {
    let slot = HostPage::bind().await;
    // Another site than the app's 127.0.0.1: `localhost`, same port.
    let origin = slot.origin().replace("127.0.0.1", "localhost");
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.limits.min_fill_seconds = 1;
        s.embed.allowed_origins = vec![origin.clone()];
    })
    .await;
    app.leave_jobs_unsent();
    let ru = i18n::catalog().get("ru").unwrap();
    let host = slot
        .serve(format!(
            r#"<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Article</title><h1>The article</h1>
<iframe id="tips" src="{}" style="width: 100%; height: 1500px; border: 0"></iframe>"#,
            app.url("/embed/articles/csto-extremist-groups-afghanistan/tip?lang=ru")
        ))
        .await;
    let browser = Browser::start().await;
    browser.resize(390, 844).await;
    browser
        .goto(&host.url().replace("127.0.0.1", "localhost"))
        .await;
    browser.enter_frame("iframe#tips").await;
    browser.fill("#message", IN_OTHER_LANGUAGES[1].tip).await;
    tokio::time::sleep(Duration::from_millis(1250)).await;
    browser.click_and_wait(SUBMIT).await;
    let receipt = browser.text_of("#receipt").await;
    assert_eq!(receipt.len(), 24, "{receipt:?}");
    browser.click_and_wait(".receipt-box a").await;
    assert_eq!(browser.path().await, "/embed/follow-up");
    assert_eq!(browser.text_of("h1").await, ru.t("follow-up-heading"));
    browser.fill("#receipt", &receipt).await;
    browser.click_and_wait(SUBMIT).await;
    assert_eq!(browser.text_of("h1").await, ru.t("follow-up-tip-heading"));
    browser.fill("#message", IN_OTHER_LANGUAGES[1].answer).await;
    browser.send_reply(&ru.t("follow-up-sent")).await;
    assert!(
        !browser.exists("header.site").await,
        "the embed stays minimal"
    );
    browser.leave_frame().await;
    assert_eq!(
        browser.text_of("h1").await,
        "The article",
        "the reader never left the article"
    );
    assert_eq!(
        browser.sideways_scroll().await,
        0,
        "the article fits the phone"
    );
    browser.screenshot("follow-up-embed-ru-phone").await;
    browser.close().await;
}
