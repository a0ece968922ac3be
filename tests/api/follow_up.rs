//! The reader's follow-up (`src/follow_up/`): the receipt shown once and
//! accepted however it is typed, wrong receipts indistinguishable and
//! throttled across instances, the conversation between the desk and the
//! reader, the desk's unread marker, badge and email, and what is never
//! kept in clear.

use std::time::{Duration, Instant};

use crate::helpers::*;
use crate::smtp::SmtpServer;
use reqwest::StatusCode;
use serde_json::{json, Value};

const TIP: &str = "The ministry's notice about the convoy was posted on Tuesday.";

/// A tip sent through the JSON API: (its id, its reference, its receipt).
async fn tip_with_receipt(app: &TestApp, body: Value) -> (i64, String, String) {
    let res = app.post_json(DEMO_ARTICLE, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        res.headers()["cache-control"],
        "no-store",
        "the answer carries the receipt"
    );
    let v: Value = res.json().await.unwrap();
    let id = app.jobs().last().unwrap().tip_id;
    (
        id,
        v["reference"].as_str().unwrap().to_owned(),
        v["receipt"].as_str().unwrap().to_owned(),
    )
}

/// `POST /follow-up` with `receipt`, as the page's form does.
async fn open_page(app: &TestApp, receipt: &str) -> reqwest::Response {
    app.post_form("/follow-up", &[("receipt", receipt)]).await
}

async fn read_json(app: &TestApp, receipt: &str) -> reqwest::Response {
    app.open_receipt(&app.client, receipt).await
}

async fn write_json(app: &TestApp, receipt: &str, message: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/follow-up/messages"))
        .json(&json!({ "receipt": receipt, "message": message }))
        .send()
        .await
        .unwrap()
}

/// Another instance of `app` (its settings, its database, a port of its
/// own), started now: what a second server, or a restart, would be.
fn another_instance(app: &TestApp) -> (String, actix_web::dev::ServerHandle) {
    let other = tipdesk::app::Application::build(app.settings.clone()).unwrap();
    let url = format!("http://127.0.0.1:{}", other.port());
    let handle = other.handle();
    tokio::spawn(other.run());
    (url, handle)
}

/// An editor's message to the reader of tip `id`.
async fn desk_writes(editor: &DeskClient, id: i64, text: &str) -> reqwest::Response {
    editor
        .post(&format!("/desk/tips/{id}/messages"), &[("message", text)])
        .await
}

/// `digits` written in another script's digits, from its zero.
fn in_digits(receipt: &str, zero: char) -> String {
    receipt
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero as u32 + d).unwrap(),
            None => c,
        })
        .collect()
}

/// The receipt a thank-you page shows.
fn shown_receipt(page: &str) -> String {
    Page::parse(page)
        .text("bdi#receipt")
        .expect("the receipt is shown")
}

/// An app whose wrong receipts are answered after `ms`.
async fn app_answering_after(backend: Backend, ms: u64) -> TestApp {
    TestApp::spawn_with(backend, move |s| {
        s.follow_up.wrong_receipt_answer = Duration::from_millis(ms)
    })
    .await
}

async fn the_receipt_is_shown_once_and_opens_the_tip(backend: Backend) {
    let app = app_answering_after(backend, 10).await;
    app.leave_jobs_unsent();
    // From the page: the thank-you page shows it, and links to the follow-up.
    let res = app
        .submit_form(
            &format!("/articles/{DEMO_ARTICLE}/tip"),
            &[("message", TIP)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let thanks = res.text().await.unwrap();
    let receipt = shown_receipt(&thanks);
    assert!(
        regex_like_receipt(&receipt),
        "five groups of four digits: {receipt}"
    );
    let thanks = Page::parse(&thanks);
    assert_eq!(
        thanks.attr(".receipt-box a", "href").as_deref(),
        Some("/follow-up"),
        "links to the follow-up"
    );
    assert!(thanks.has_text(".receipt-box strong", "the only time it is shown"));
    let reference = app.tips()[0].reference.clone();

    // The follow-up form has one field, and nothing of any receipt.
    let form = app.get("/follow-up").await;
    assert_eq!(form.status(), StatusCode::OK);
    assert_eq!(form.headers()["cache-control"], "no-store");
    let form = Page::of(form).await;
    assert_eq!(
        form.attrs("input, textarea, select", "name"),
        ["receipt"],
        "one field: {}",
        form.source()
    );
    assert_eq!(
        form.attr("form[method=post]", "autocomplete").as_deref(),
        Some("off"),
        "the browser keeps no history of it"
    );
    assert_eq!(
        form.attr("#receipt", "autocomplete").as_deref(),
        Some("off")
    );

    // The receipt opens the tip: reference, article, status, no messages.
    let res = open_page(&app, &receipt).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = Page::of(res).await;
    assert_eq!(page.text("#reference"), Some(reference.clone()));
    assert!(page.has_text("dl.facts a", "CSTO Chief Warns"));
    assert_eq!(
        page.attr("#status", "data-status").as_deref(),
        Some("received")
    );
    assert_eq!(page.count("#no-messages"), 1);
    assert!(
        !page.all_text().contains(TIP) && !page.source().contains(TIP),
        "the tip's own text is not shown again"
    );

    // From the API: the receipt in the 201, and the reader's view in JSON.
    let (_, json_reference, json_receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    assert!(regex_like_receipt(&json_receipt));
    assert_ne!(json_receipt, receipt, "every tip has its own receipt");
    let res = read_json(&app, &json_receipt).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["reference"], json_reference.as_str());
    assert_eq!(view["article"]["id"], DEMO_ARTICLE);
    assert_eq!(view["status"], "received");
    assert_eq!(view["published_url"], Value::Null);
    assert_eq!(view["messages"], json!([]));
    // The first receipt still opens the first tip, not the second.
    let view: Value = read_json(&app, &receipt).await.json().await.unwrap();
    assert_eq!(view["reference"], reference.as_str());

    // The desk never sees it, and the database keeps only a hash of it.
    let desk = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    let id = app.jobs()[0].tip_id;
    let desk_page = Page::of(desk.get(&format!("/desk/tips/{id}")).await).await;
    for shown in [desk_page.all_text().as_str(), desk_page.source()] {
        assert!(!shown.contains(&receipt) && !shown.contains(&digits(&receipt)));
    }
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM tip_receipts"),
        2,
        "one receipt per tip"
    );
}

fn digits(receipt: &str) -> String {
    receipt.chars().filter(char::is_ascii_digit).collect()
}

fn regex_like_receipt(r: &str) -> bool {
    let groups: Vec<&str> = r.split(' ').collect();
    groups.len() == 5
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_digit()))
}

async fn persian_digits_spaces_and_dashes_open_it_too(backend: Backend) {
    let app = app_answering_after(backend, 10).await;
    app.leave_jobs_unsent();
    let (_, reference, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    let bare = digits(&receipt);
    let dashed = receipt.replace(' ', "-");
    for typed in [
        in_digits(&receipt, '۰'),
        in_digits(&dashed, '٠'),
        format!("  {bare}  "),
        dashed.clone(),
        format!("\u{200F}{}\u{200F}", in_digits(&dashed, '۰')),
    ] {
        let res = open_page(&app, &typed).await;
        assert_eq!(res.status(), StatusCode::OK, "{typed}");
        assert_eq!(
            Page::of(res).await.text("#reference").as_ref(),
            Some(&reference),
            "{typed}"
        );
        let view: Value = read_json(&app, &typed).await.json().await.unwrap();
        assert_eq!(view["reference"], reference.as_str(), "{typed}");
    }
    // Persian pages read it too, and keep it left to right.
    let res = app
        .post_form(
            "/follow-up?lang=fa",
            &[("receipt", &in_digits(&receipt, '۰'))],
        )
        .await;
    let page = Page::of(res).await;
    assert_eq!(page.lang_dir(), ("fa".into(), "rtl".into()));
    assert_eq!(page.text("bdi#reference"), Some(reference));
    assert_eq!(page.attr("bdi#reference", "dir").as_deref(), Some("ltr"));
    assert!(page.has_text("h1", "گزارش شما"));
}

/// The parts of an answer that depend on nothing but the request's time.
fn without_request_id(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("request_id");
    v
}

async fn wrong_receipts_are_indistinguishable_and_throttled(backend: Backend) {
    const ANSWER_MS: u64 = 250;
    let app = app_answering_after(backend, ANSWER_MS).await;
    app.leave_jobs_unsent();
    let (_, _, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    // A receipt whose tip is gone (as retention removes it).
    let (gone_id, _, gone) = tip_with_receipt(&app, json!({"message": format!("{TIP} (2)")})).await;
    app.execute_sql(&format!("DELETE FROM tips WHERE id = {gone_id}"));
    let mut unknown = digits(&receipt);
    let last = unknown.pop().unwrap();
    unknown.push(if last == '9' { '0' } else { '9' });
    let wrong = [
        unknown.clone(),                       // one digit off
        gone.clone(),                          // its tip was deleted
        digits(&receipt)[..19].to_owned(),     // a digit short
        format!("{receipt}7"),                 // a digit too many
        "1234 5678 90ab cdef 1234".to_owned(), // not digits
    ];
    // Pages: the same status and the same body, whatever was wrong.
    let mut pages = Vec::new();
    for w in &wrong {
        let started = Instant::now();
        let res = open_page(&app, w).await;
        // Held back to the configured answer time (a floor, not a speed).
        assert!(started.elapsed() >= Duration::from_millis(ANSWER_MS), "{w}");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{w}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        pages.push(res.text().await.unwrap());
    }
    assert!(pages.iter().all(|p| *p == pages[0]), "pages differ");
    assert!(!pages[0].contains(&receipt[..4]), "nothing typed is echoed");

    // Wrong receipts so far: 5 of the hour's 10. The API: the same again.
    let mut answers = Vec::new();
    for w in &wrong {
        let started = Instant::now();
        let res = read_json(&app, w).await;
        assert!(started.elapsed() >= Duration::from_millis(ANSWER_MS), "{w}");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{w}");
        answers.push(without_request_id(res.json().await.unwrap()));
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0]["error"], "receipt_not_found");

    // Ten wrong in the hour: the eleventh attempt is refused, even with the
    // right receipt, and on another instance on the same database too.
    let res = read_json(&app, &receipt).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3000..=3600).contains(&wait), "about an hour: {wait}");
    let (other_url, handle) = another_instance(&app);
    let res = app
        .client
        .post(format!("{other_url}/follow-up"))
        .form(&[("receipt", receipt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "across instances"
    );
    assert!(res.headers().contains_key("retry-after"));
    drop(handle.stop(false));

    // Another client (another loopback address) is not held back.
    let elsewhere = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let res = app.open_receipt(&elsewhere, &receipt).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Counted for ops: the metric, and the queue page.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("tipdesk_receipt_failures_total 10"),
        "{metrics}"
    );
}

async fn a_surge_of_wrong_receipts_shows_on_the_ops_page(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.follow_up.wrong_receipt_answer = Duration::ZERO;
        s.follow_up.failure_surge_per_10min = 4;
    })
    .await;
    let ops = signed_in(&app, "ops@example.org", "ops", &[]).await;
    let quiet = Page::of(ops.get("/ops/queue").await).await;
    assert_eq!(quiet.count("#receipt-surge"), 0);
    // Five clients, one wrong receipt each: no client is throttled, but
    // together they are a surge.
    for i in 2..7 {
        let client = reqwest::Client::builder()
            .local_address(Some(format!("127.0.0.{i}").parse().unwrap()))
            .build()
            .unwrap();
        let res = app.open_receipt(&client, "0000 0000 0000 0000 0000").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let page = Page::of(ops.get("/ops/queue").await).await;
    assert_eq!(page.count("p.notice#receipt-surge"), 1, "{}", page.source());
    assert!(
        page.has_text("#receipt-failures", "5 in the last ten minutes"),
        "{}",
        page.source()
    );
}

async fn reader_and_desk_exchange_three_messages_each_way(backend: Backend) {
    let app = app_answering_after(backend, 10).await;
    app.leave_jobs_unsent();
    let (id, reference, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    let editor = signed_in(&app, "sam.editor@example.org", "editor", &["default"]).await;
    // Things the reader must never see.
    editor
        .post(
            &format!("/desk/tips/{id}/notes"),
            &[("body", "INTERNAL-NOTE-XYZ")],
        )
        .await;
    editor
        .post(
            &format!("/desk/tips/{id}/labels"),
            &[("labels", "LABEL-XYZ")],
        )
        .await;
    for round in 1..=3 {
        let question = format!("Question {round} from the desk: where did you see it?");
        let res = desk_writes(&editor, id, &question).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "round {round}");
        let view: Value = read_json(&app, &receipt).await.json().await.unwrap();
        assert_eq!(view["status"], "answered", "the reader has mail");
        let last = view["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["from"], "desk");
        assert_eq!(last["text"], question.as_str());
        let answer = format!("Answer {round} from the reader: on the notice board.");
        if round == 2 {
            // Once from the page, the way a browser sends it.
            let res = app
                .post_form(
                    "/follow-up/messages",
                    &[("receipt", receipt.as_str()), ("message", answer.as_str())],
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK);
            let page = Page::of(res).await;
            assert_eq!(page.count("#follow-up-notice"), 1, "sent");
            assert_eq!(
                page.texts("ol.conversation li.from-reader div.text").last(),
                Some(&answer)
            );
        } else {
            let res = write_json(&app, &receipt, &answer).await;
            assert_eq!(res.status(), StatusCode::CREATED, "round {round}");
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["reference"], reference.as_str());
        }
    }
    let view: Value = read_json(&app, &receipt).await.json().await.unwrap();
    let messages = view["messages"].as_array().unwrap();
    let from: Vec<&str> = messages
        .iter()
        .map(|m| m["from"].as_str().unwrap())
        .collect();
    assert_eq!(from, ["desk", "reader", "desk", "reader", "desk", "reader"]);
    assert!(messages[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Question 1"));
    assert!(messages[5]["text"]
        .as_str()
        .unwrap()
        .starts_with("Answer 3"));
    let at = |i: usize| messages[i]["at"].as_str().unwrap().to_owned();
    assert!(
        at(0).ends_with('Z') && at(0) <= at(5),
        "RFC 3339, oldest first"
    );
    assert_eq!(view["status"], "received", "the reader wrote last");

    // The reader's page: the conversation, and nothing of the desk's inside.
    let page = Page::of(open_page(&app, &receipt).await).await;
    for hidden in ["INTERNAL-NOTE-XYZ", "LABEL-XYZ", "sam.editor", "Sam"] {
        assert!(
            !page.all_text().contains(hidden) && !page.source().contains(hidden),
            "{hidden} shown to the reader"
        );
        assert!(!view.to_string().contains(hidden), "{hidden} in the JSON");
    }
    assert_eq!(page.count("ol.conversation li.from-desk"), 3);
    assert_eq!(page.count("ol.conversation li.from-reader"), 3);

    // The desk's page: all six, who wrote each, apart from the notes; the
    // history says who and when, not what.
    let desk_page = Page::of(editor.get(&format!("/desk/tips/{id}")).await).await;
    assert!(desk_page.has_text(
        "ol.conversation li.from-reader div.text",
        "Answer 3 from the reader"
    ));
    let who = desk_page.texts("ol.conversation li.from-desk p.who");
    assert_eq!(who.len(), 3);
    assert!(
        who.iter().all(|w| w.contains("sam.editor, to the reader")),
        "{who:?}"
    );
    assert_eq!(
        desk_page.texts("ol.conversation li.from-desk p.who bdi:first-of-type"),
        ["sam.editor"; 3]
    );
    let history = desk_page.texts("ol.history li");
    let said = |what: &str| history.iter().filter(|e| e.contains(what)).count();
    assert_eq!(said("wrote to the reader"), 3);
    assert_eq!(said("wrote to the desk"), 3);
    let history = desk_page.text("ol.history").unwrap();
    assert!(!history.contains("Question 1") && !history.contains("Answer 1"));
    // The audit trail: who and when, never the words.
    let audited = app
        .pool
        .with(|c| tipdesk::audit::list(c, None, 50).map_err(tipdesk::db::DbError::from))
        .unwrap();
    let to_reader: Vec<_> = audited
        .iter()
        .filter(|e| e.action == "tip.message_to_reader")
        .collect();
    assert_eq!(to_reader.len(), 3);
    assert!(to_reader
        .iter()
        .all(|e| e.actor == "sam.editor@example.org" && !e.details.contains("Question")));
}

/// An app mailing the desk through `smtp` one email per tip (no digests),
/// answering wrong receipts at once.
async fn mailing_at_once(backend: Backend, smtp: &SmtpServer) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.digest_window = Duration::ZERO;
        s.follow_up.wrong_receipt_answer = Duration::ZERO;
    })
    .await
}

async fn a_reply_marks_the_tip_unread_and_mails_the_desk_without_its_text(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = mailing_at_once(backend, &smtp).await;
    let (id, _, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    assert_eq!(
        app.worker().drain().await.unwrap().emails_sent,
        1,
        "the tip's email"
    );
    let editor = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    let viewer = signed_in(&app, "viewer@example.org", "viewer", &["default"]).await;
    for who in [&editor, &viewer] {
        who.get(&format!("/desk/tips/{id}")).await; // read
    }
    // (unread dot, reader-replied badge) in the tip's row of the queue.
    let marks = |page: Page| {
        let row = format!("table.queue tr[data-tip=\"{id}\"]");
        assert_eq!(page.count(&row), 1);
        (
            page.count(&format!("{row} span.dot")),
            page.count(&format!("{row} .badge.replied")),
        )
    };
    let queue = Page::of(editor.get("/desk/tips").await).await;
    assert_eq!(marks(queue), (0, 0), "read, no badge");

    const REPLY: &str = "MARKER-REPLY the notice was signed by the deputy minister.";
    let res = write_json(&app, &receipt, REPLY).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Unread again for everyone who may see it, with the badge.
    for who in [&editor, &viewer] {
        let queue = Page::of(who.get("/desk/tips").await).await;
        assert_eq!(marks(queue), (1, 1), "unread again, reader replied");
    }
    // The desk's email: a link to the tip, no text, no receipt.
    assert_eq!(app.worker().drain().await.unwrap().emails_sent, 1);
    let mail = smtp.accepted();
    let m = mail.last().unwrap();
    let subject = m.header("Subject").unwrap();
    assert!(
        subject.starts_with("A reader wrote back: CSTO Chief Warns"),
        "{subject}"
    );
    let body = m.body_text();
    assert!(body.contains(&format!("/desk/tips/{id}")), "{body}");
    for secret in [
        "MARKER",
        "deputy minister",
        "notice about the convoy",
        &digits(&receipt),
        &receipt[..9],
    ] {
        assert!(
            !m.data.contains(secret) && !body.contains(secret),
            "{secret} in the email"
        );
    }
    // Answering takes the badge away.
    desk_writes(&editor, id, "Thank you!").await;
    let queue = Page::of(editor.get("/desk/tips").await).await;
    assert_eq!(marks(queue).1, 0, "no badge");
}

async fn the_same_words_twice_in_a_moment_are_kept_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.duplicate_window = Duration::from_secs(600);
        s.follow_up.wrong_receipt_answer = Duration::ZERO;
    })
    .await;
    app.leave_jobs_unsent();
    let (_, _, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    let count = || app.count_sql("SELECT count(*) AS n FROM tip_messages");
    const WORDS: &str = "Sent twice by a double click on Send.";
    for _ in 0..2 {
        let res = app
            .post_form(
                "/follow-up/messages",
                &[("receipt", receipt.as_str()), ("message", WORDS)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(count(), 1);
    assert_eq!(
        app.outbox().len(),
        2,
        "the tip's email and one for the reply"
    );
    // Other words are another message.
    assert_eq!(
        write_json(&app, &receipt, "And a second thought, later.")
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(count(), 2);
}

async fn a_reply_and_a_new_tip_share_one_digest(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.digest_window = Duration::from_secs(300);
        s.follow_up.wrong_receipt_answer = Duration::ZERO;
    })
    .await;
    let (id, _, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    assert_eq!(
        write_json(&app, &receipt, "MARKER-REPLY in a digest, please.")
            .await
            .status(),
        StatusCode::CREATED
    );
    // Both wait for the address: one email, a digest.
    assert_eq!(app.worker().drain().await.unwrap().emails_sent, 1);
    let mail = smtp.accepted();
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0].header("Subject").unwrap(),
        "1 new tip and 1 reader reply on 1 article"
    );
    let body = mail[0].body_text();
    assert!(
        body.contains(&format!("/desk/tips/{id} (the reader wrote back)")),
        "{body}"
    );
    assert!(!body.contains("MARKER"));
}

async fn viewers_cannot_write_to_the_reader(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let (id, _, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    let viewer = signed_in(&app, "viewer@example.org", "viewer", &["international"]).await;
    let page = Page::of(viewer.get(&format!("/desk/tips/{id}")).await).await;
    assert_eq!(
        page.count("[name=message], form[action$=\"/messages\"]"),
        0,
        "no form for a viewer"
    );
    let res = desk_writes(&viewer, id, "Hello reader").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // An editor of another desk does not even see the tip.
    let other = signed_in(&app, "sport@example.org", "editor", &["default"]).await;
    let res = desk_writes(&other, id, "Hello reader").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Without the session's CSRF token: refused too.
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let res = editor
        .client
        .post(format!("{}/desk/tips/{id}/messages", editor.base))
        .form(&[("message", "Hello reader")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let view: Value = read_json(&app, &receipt).await.json().await.unwrap();
    assert_eq!(view["messages"], json!([]), "nothing reached the reader");
    // A blank message is refused with the reason, on the tip's page.
    let res = desk_writes(&editor, id, "\u{200B} ").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::of(res)
        .await
        .has_text("p.notice", "Write a message first."));
}

async fn a_published_correction_shows_on_the_readers_view(backend: Backend) {
    let app = app_answering_after(backend, 10).await;
    app.leave_jobs_unsent();
    let (id, _, receipt) =
        tip_with_receipt(&app, json!({"kind": "correction", "message": TIP})).await;
    let (other, _, _) = tip_with_receipt(&app, json!({"message": format!("{TIP} (new)")})).await;
    let editor = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    let step = |tip: i64, status: &'static str, url: &'static str| {
        let editor = &editor;
        async move {
            editor
                .post(
                    &format!("/desk/tips/{tip}/status"),
                    &[("status", status), ("published_url", url)],
                )
                .await
        }
    };
    assert_eq!(
        step(id, "in_review", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let view: Value = read_json(&app, &receipt).await.json().await.unwrap();
    assert_eq!(view["status"], "being_checked");
    // An address only with a correction moving to actioned or closed.
    let res = step(id, "verified", "https://news.example/corrections/1").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        step(id, "verified", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let res = step(id, "closed", "javascript:alert(1)").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::of(res)
        .await
        .has_text("p.notice", "full http:// or https:// URL"));
    step(other, "in_review", "").await;
    step(other, "verified", "").await;
    let res = step(other, "closed", "https://news.example/corrections/1").await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not a correction"
    );
    let res = step(id, "closed", "https://news.example/corrections/1").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let view: Value = read_json(&app, &receipt).await.json().await.unwrap();
    assert_eq!(view["status"], "published");
    assert_eq!(view["published_url"], "https://news.example/corrections/1");
    let page = Page::of(open_page(&app, &receipt).await).await;
    assert_eq!(
        page.attr("p#published a", "href").as_deref(),
        Some("https://news.example/corrections/1")
    );
    // Spam reads as received.
    let (spam, _, spam_receipt) =
        tip_with_receipt(&app, json!({"message": format!("{TIP} (spam)")})).await;
    step(spam, "spam", "").await;
    let view: Value = read_json(&app, &spam_receipt).await.json().await.unwrap();
    assert_eq!(view["status"], "received");
}

async fn the_database_and_mail_hold_no_receipt_or_message_in_clear(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = mailing_at_once(backend, &smtp).await;
    let (id, _, receipt) =
        tip_with_receipt(&app, json!({"message": "MarkerTip the convoy's notice."})).await;
    let editor = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    desk_writes(&editor, id, "MarkerDeskQuestion where exactly?").await;
    write_json(
        &app,
        &receipt,
        "MarkerReaderAnswer on the board by the door.",
    )
    .await;
    app.worker().drain().await.unwrap();

    let needles = [
        digits(&receipt),
        receipt.clone(),
        "MarkerDeskQuestion".to_owned(),
        "MarkerReaderAnswer".to_owned(),
    ];
    let stored = database_text(&app);
    assert!(
        stored.contains("MarkerTip"),
        "the check reads the right data"
    );
    for n in &needles {
        assert!(!stored.contains(n.as_str()), "{n} in the database in clear");
    }
    for m in smtp.accepted() {
        for n in &needles {
            assert!(!m.data.contains(n.as_str()), "{n} in an email");
        }
    }
    // Still readable by those who should read it.
    let view: Value = read_json(&app, &receipt).await.json().await.unwrap();
    assert_eq!(
        view["messages"][0]["text"],
        "MarkerDeskQuestion where exactly?"
    );
}

/// Everything the database holds, as a backup would: the SQLite file with
/// its write-ahead log, or a `pg_dump` of the PostgreSQL database.
fn database_text(app: &TestApp) -> String {
    match &app.db.url {
        tipdesk::config::DatabaseUrl::Sqlite(path) => {
            let mut bytes = std::fs::read(path).unwrap();
            bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
            String::from_utf8_lossy(&bytes).into_owned()
        }
        tipdesk::config::DatabaseUrl::Postgres(url) => {
            let out = std::process::Command::new("pg_dump")
                .arg("--data-only")
                .arg(url)
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    }
}

async fn retention_removes_the_conversation_with_its_tip(backend: Backend) {
    let app = app_answering_after(backend, 10).await;
    let (id, _, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    let editor = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    desk_writes(&editor, id, "Is this spam?").await;
    write_json(&app, &receipt, "No, it is not spam at all, I promise.").await;
    editor
        .post(&format!("/desk/tips/{id}/status"), &[("status", "spam")])
        .await;
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM tip_messages"), 2);
    // Long ago, as far as retention is concerned.
    app.execute_sql(&format!(
        "UPDATE tips SET updated_at = '2020-01-01 00:00:00' WHERE id = {id}"
    ));
    let out = app.cli(&["purge"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for table in ["tips", "tip_messages", "tip_receipts"] {
        assert_eq!(
            app.count_sql(&format!("SELECT count(*) AS n FROM {table}")),
            0,
            "{table}"
        );
    }
    assert_eq!(
        read_json(&app, &receipt).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn rotating_keys_reseals_the_conversation(backend: Backend) {
    let app = app_answering_after(backend, 10).await;
    app.leave_jobs_unsent();
    let (id, _, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    let editor = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    desk_writes(&editor, id, "Which notice board?").await;
    write_json(&app, &receipt, "The one at the ministry's side door.").await;
    let bodies = || -> Vec<String> {
        app.pool
            .with(|conn| {
                use diesel::prelude::*;
                use tipdesk::db::schema::tip_messages;
                Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| tip_messages::table
                    .order(tip_messages::seq)
                    .select(tip_messages::body)
                    .load(conn))?)
            })
            .unwrap()
    };
    let before = bodies();
    assert!(before.iter().all(|b| b.starts_with("enc1:")));
    let (text, key) = app.rotate_keys();
    assert!(text.contains("re-encrypted 2 record(s)"), "{text}");
    let after = bodies();
    assert!(
        after.iter().all(|b| b.starts_with(&format!("enc1:{key}:"))),
        "{after:?}"
    );
    assert_ne!(before, after);
    // The reader (an app with the new key ring) still reads it all.
    let (restarted, handle) = another_instance(&app);
    let view: Value = app
        .client
        .post(format!("{restarted}/api/v1/follow-up"))
        .json(&json!({ "receipt": receipt }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    drop(handle.stop(false));
    assert_eq!(view["messages"][0]["text"], "Which notice board?");
    assert_eq!(
        view["messages"][1]["text"],
        "The one at the ministry's side door."
    );
}

async fn the_embed_and_the_refusals_speak_the_readers_language(backend: Backend) {
    let app = app_answering_after(backend, 10).await;
    app.leave_jobs_unsent();
    let (_, reference, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    let res = app.get("/embed/follow-up?lang=ps").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get("x-frame-options").is_none(),
        "an embed may be framed"
    );
    let page = Page::of(res).await;
    assert_eq!(
        page.attr("form[method=post]", "action").as_deref(),
        Some("/embed/follow-up?lang=ps"),
        "{}",
        page.source()
    );
    let res = app
        .post_form("/embed/follow-up?lang=ps", &[("receipt", &receipt)])
        .await;
    let page = Page::of(res).await;
    assert_eq!(page.text("#reference"), Some(reference));
    assert_eq!(
        page.attr("form.reply", "action").as_deref(),
        Some("/embed/follow-up/messages?lang=ps")
    );
    // Blank: asked to enter it, nothing counted. Wrong: in Russian here.
    let res = app.post_form("/follow-up", &[("receipt", " ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Page::of(res).await.field_error("receipt").as_deref(),
        Some("Please enter your receipt.")
    );
    let res = app
        .post_form(
            "/follow-up?lang=ru",
            &[("receipt", "1111 2222 3333 4444 5555")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(Page::of(res)
        .await
        .has_text("#follow-up-notice", "Этот код не открывает"));
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM receipt_failures"),
        1
    );
    // A refused message keeps its words.
    let res = app
        .post_form(
            "/follow-up/messages",
            &[("receipt", &receipt), ("message", "short")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::of(res).await;
    assert_eq!(page.field("message").as_deref(), Some("short"));
    assert!(page
        .field_error("message")
        .is_some_and(|e| e.contains("at least 10 characters")));
}

async fn every_follow_up_page_is_whole_in_every_language(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.follow_up.wrong_receipt_answer = Duration::ZERO;
        s.follow_up.failures_per_hour = std::num::NonZeroU32::new(4).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    let (id, _, receipt) =
        tip_with_receipt(&app, json!({"kind": "correction", "message": TIP})).await;
    let editor = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    desk_writes(&editor, id, "A question?").await;
    for tag in ["in_review", "verified", "closed"] {
        editor
            .post(
                &format!("/desk/tips/{id}/status"),
                &[
                    ("status", tag),
                    (
                        "published_url",
                        if tag == "closed" {
                            "https://news.example/c"
                        } else {
                            ""
                        },
                    ),
                ],
            )
            .await;
    }
    let mut pages = Vec::new();
    for tag in ["en", "fa", "ps", "ru"] {
        let thanks = app
            .submit_form(
                &format!("/articles/{DEMO_ARTICLE}/tip?lang={tag}"),
                &[("message", TIP)],
            )
            .await;
        pages.push((tag, "thanks", thanks.text().await.unwrap()));
        pages.push((
            tag,
            "form",
            app.get(&format!("/follow-up?lang={tag}"))
                .await
                .text()
                .await
                .unwrap(),
        ));
        let path = format!("/follow-up?lang={tag}");
        pages.push((
            tag,
            "tip",
            app.post_form(&path, &[("receipt", &receipt)])
                .await
                .text()
                .await
                .unwrap(),
        ));
        let refused = app
            .post_form(
                &format!("/follow-up/messages?lang={tag}"),
                &[("receipt", &receipt), ("message", "short")],
            )
            .await;
        pages.push((tag, "refused", refused.text().await.unwrap()));
    }
    // Wrong receipts, then throttled, in each language (4 an hour here).
    for tag in ["en", "fa", "ps", "ru"] {
        let path = format!("/follow-up?lang={tag}");
        pages.push((
            tag,
            "wrong",
            app.post_form(&path, &[("receipt", "1111")])
                .await
                .text()
                .await
                .unwrap(),
        ));
    }
    for tag in ["en", "fa", "ps", "ru"] {
        let path = format!("/follow-up?lang={tag}");
        let res = app.post_form(&path, &[("receipt", "1111")]).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        pages.push((tag, "throttled", res.text().await.unwrap()));
    }
    for (tag, what, page) in &pages {
        let parsed = Page::parse(page);
        assert_eq!(parsed.lang_dir().0, *tag, "{tag} {what}");
        // Every variable of every message got its value: nowhere on the
        // page, read or in the source, is a placeholder or a message id.
        let read = parsed.all_text();
        for shown in [read.as_str(), page.as_str()] {
            assert!(
                !shown.contains("{$") && !shown.contains("{ $"),
                "{tag} {what}: {page}"
            );
        }
        let source = page.replace("id=\"follow-up-notice\"", "");
        for shown in [read.as_str(), source.as_str()] {
            assert!(
                !shown.contains("follow-up-") && !shown.contains("thanks-receipt"),
                "{tag} {what}: a message id shown"
            );
        }
    }
    // Persian and Pashto: the tip's page carries the status and the
    // correction's link.
    let fa_tip = &pages
        .iter()
        .find(|(t, w, _)| *t == "fa" && *w == "tip")
        .unwrap()
        .2;
    let fa_tip = Page::parse(fa_tip);
    assert!(fa_tip.has_text("#status", "منتشر شد"));
    assert_eq!(
        fa_tip.attr("p#published a", "href").as_deref(),
        Some("https://news.example/c")
    );
    let ps_throttled = &pages
        .iter()
        .find(|(t, w, _)| *t == "ps" && *w == "throttled")
        .unwrap()
        .2;
    assert!(
        Page::parse(ps_throttled).has_text("p.notice", "۶۰ دقیقې"),
        "{ps_throttled}"
    );
}

async fn every_answer_of_the_follow_up_api_is_in_the_openapi_document(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.follow_up.wrong_receipt_answer = Duration::ZERO;
        s.follow_up.failures_per_hour = std::num::NonZeroU32::new(1).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    let (_, _, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let raw = |path: &'static str, content_type: &'static str, body: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url(path))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    const READ: &str = "/api/v1/follow-up";
    const WRITE: &str = "/api/v1/follow-up/messages";
    let ok = json!({"receipt": receipt}).to_string();
    let answers = vec![
        (READ, raw(READ, "application/json", ok.clone()).await),
        (
            WRITE,
            raw(
                WRITE,
                "application/json",
                json!({"receipt": receipt, "message": TIP}).to_string(),
            )
            .await,
        ),
        (READ, raw(READ, "application/json", "{".into()).await),
        (WRITE, raw(WRITE, "text/plain", ok.clone()).await),
        (
            READ,
            raw(
                READ,
                "application/json",
                format!("{{\"receipt\": \"{}\"}}", "1".repeat(300_000)),
            )
            .await,
        ),
        (READ, raw(READ, "application/json", "[1, 2]".into()).await),
        (
            WRITE,
            raw(
                WRITE,
                "application/json",
                json!({"receipt": 12}).to_string(),
            )
            .await,
        ),
        (READ, raw(READ, "application/json", "{}".into()).await),
        (
            WRITE,
            raw(
                WRITE,
                "application/json",
                json!({"receipt": receipt, "message": "short"}).to_string(),
            )
            .await,
        ),
        (
            READ,
            raw(READ, "application/json", json!({"receipt": ""}).to_string()).await,
        ),
        // The hour's one wrong receipt is used up: throttled.
        (
            WRITE,
            raw(
                WRITE,
                "application/json",
                json!({"receipt": receipt, "message": TIP}).to_string(),
            )
            .await,
        ),
    ];
    let codes: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (path, res) in answers {
        let status = res.status().as_str().to_owned();
        seen.insert(status.clone());
        let op = &doc["paths"][path]["post"];
        assert!(
            op["responses"][&status].is_object(),
            "{path}: {status} is documented"
        );
        assert!(res.headers().contains_key("x-request-id"));
        let body: Value = res.json().await.unwrap();
        match status.as_str() {
            "200" => {
                let schema = &doc["components"]["schemas"]["ReaderTip"];
                for key in schema["required"].as_array().unwrap() {
                    assert!(body.get(key.as_str().unwrap()).is_some(), "{key} in {body}");
                }
                // Optional members (`attachments`) may be absent; none
                // may be undocumented.
                for key in body.as_object().unwrap().keys() {
                    assert!(
                        schema["properties"].get(key).is_some(),
                        "{key} is undocumented: {body}"
                    );
                }
            }
            "201" => assert!(body["reference"].is_string() && body["message"].is_string()),
            _ => {
                assert!(codes.contains(&body["error"].as_str().unwrap()), "{body}");
                assert!(body["message"].is_string() && body["request_id"].is_string());
                if status == "422" {
                    let documented = &doc["components"]["schemas"]["ValidationError"]["allOf"][1]
                        ["properties"]["fields"]["properties"];
                    for field in body["fields"].as_object().unwrap().keys() {
                        assert!(documented[field].is_object(), "field {field} is documented");
                    }
                }
            }
        }
    }
    let all: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(
        all,
        ["200", "201", "400", "404", "413", "415", "422", "429"]
    );
}

async fn logs_never_carry_a_receipt_or_a_message_even_at_trace_level(backend: Backend) {
    let db = crate::testdb::TestDb::create(backend);
    let data = tempfile::tempdir().unwrap();
    let env = |cmd: &mut std::process::Command| {
        cmd.env_remove("TIPDESK_CONFIG")
            .env("TIPDESK_DATABASE__URL", db.url_string())
            .env("TIPDESK_STORAGE__DATA_DIR", data.path())
            .env("TIPDESK_FOLLOW_UP__WRONG_RECEIPT_ANSWER_MS", "0");
    };
    // A desk account, as an admin makes one.
    let mut add = std::process::Command::new(env!("CARGO_BIN_EXE_tipdesk"));
    env(&mut add);
    let out = add
        .args(["user", "add", "--email", "ed@example.org", "--name", "Ed"])
        .args(["--role", "editor", "--desk", "default", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let stdin = child.stdin.as_mut().unwrap();
            stdin.write_all(b"a long enough password for Ed\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (mut child, base) = crate::process::serve(|cmd| {
        env(cmd);
        cmd.env("TIPDESK_LIMITS__MIN_FILL_SECONDS", "0")
            .env("TIPDESK_LOG__LEVEL", "trace")
            .env("TIPDESK_LOG__FORMAT", "json")
    })
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/api/v1/articles/{DEMO_ARTICLE}/tips"))
        .json(&json!({"message": "MarkerTip about the convoy's notice."}))
        .send()
        .await
        .unwrap();
    let receipt = res.json::<Value>().await.unwrap()["receipt"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = client
        .post(format!("{base}/follow-up"))
        .form(&[("receipt", receipt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let res = client
        .post(format!("{base}/api/v1/follow-up/messages"))
        .json(&json!({"receipt": in_digits(&receipt, '۰'), "message": "MarkerReply from the reader, by the door."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    client
        .post(format!("{base}/follow-up/messages"))
        .form(&[("receipt", receipt.as_str()), ("message", "MarkerShort")])
        .send()
        .await
        .unwrap();
    client
        .post(format!("{base}/api/v1/follow-up"))
        .json(&json!({"receipt": "9876 5432 1098 7654 3210"}))
        .send()
        .await
        .unwrap();
    // The desk writes back.
    let desk = DeskClient {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: base.clone(),
    };
    let res = desk
        .login("ed@example.org", "a long enough password for Ed")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = desk
        .post(
            "/desk/tips/1/messages",
            &[("message", "MarkerDesk which door?")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill();
    let logs = child.output();
    assert!(
        logs.contains("a reader wrote to the desk"),
        "the logs were captured:\n{logs}"
    );
    assert!(logs.contains("wrong receipt"), "{logs}");
    let digits = digits(&receipt);
    assert_not_logged(
        &logs,
        &[
            "Marker",
            digits.as_str(),
            &digits[..8],
            &receipt[..9],
            "9876 5432",
            "98765432",
        ],
    );
}

/// A message the reader wrote is never lost to a refusal of its receipt:
/// throttled (someone else on a shared connection guessed) or its tip
/// gone, the page gives the words back, and the receipt form carries them
/// to the tip's box when the reader opens it again. Nothing is sent that
/// the reader did not send.
async fn a_refused_reply_gives_the_reader_their_words_back(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.follow_up.wrong_receipt_answer = Duration::ZERO;
        s.follow_up.failures_per_hour = std::num::NonZeroU32::new(1).unwrap();
    })
    .await;
    let (_, reference, receipt) = tip_with_receipt(&app, json!({"message": TIP})).await;
    const WORDS: &str = "It was the deputy minister's <signature>, & the stamp.";
    // The reader's words and receipt, sent to `path` as the page does.
    let send_words = |path: &'static str| {
        let (app, receipt) = (&app, receipt.clone());
        async move {
            app.post_form(path, &[("receipt", receipt.as_str()), ("message", WORDS)])
                .await
        }
    };
    // The connection's one wrong receipt of the hour is used up.
    assert_eq!(
        read_json(&app, "1111 2222 3333 4444 5555").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = send_words("/follow-up/messages?lang=fa").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = Page::of(res).await;
    assert_eq!(
        page.text("textarea#unsent").as_deref(),
        Some(WORDS),
        "{}",
        page.source()
    );
    assert_eq!(page.field("message").as_deref(), Some(WORDS));
    assert_eq!(page.lang_dir().0, "fa");
    for shown in [page.all_text().as_str(), page.source()] {
        assert!(
            !shown.contains(&receipt) && !shown.contains(&digits(&receipt)),
            "the receipt is not given back"
        );
    }
    assert_eq!(page.field("receipt").as_deref(), Some(""));
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM tip_messages"), 0);

    // The hour passes; the reader types the receipt into the form that
    // kept their words: the tip opens with them in the box, not yet sent.
    app.execute_sql("DELETE FROM receipt_failures");
    let res = send_words("/follow-up?lang=fa").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    assert_eq!(page.text("#reference").as_ref(), Some(&reference));
    assert_eq!(page.field("message").as_deref(), Some(WORDS));
    assert_eq!(page.count("#follow-up-notice"), 0, "nothing sent yet");
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM tip_messages"), 0);
    // Without kept words, the box is empty as ever.
    let page = open_page(&app, &receipt).await.text().await.unwrap();
    assert_eq!(textarea(&page, "message").as_deref(), Some(""));

    // A tip removed meanwhile: the same refusal as any wrong receipt, and
    // the words given back all the same.
    app.execute_sql("DELETE FROM tips");
    let res = send_words("/follow-up/messages").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = Page::of(res).await;
    assert_eq!(page.field("message").as_deref(), Some(WORDS));
    assert_eq!(page.count("p.notice#follow-up-notice"), 1);
}

crate::both_backends!(
    a_refused_reply_gives_the_reader_their_words_back,
    the_receipt_is_shown_once_and_opens_the_tip,
    persian_digits_spaces_and_dashes_open_it_too,
    wrong_receipts_are_indistinguishable_and_throttled,
    a_surge_of_wrong_receipts_shows_on_the_ops_page,
    reader_and_desk_exchange_three_messages_each_way,
    a_reply_marks_the_tip_unread_and_mails_the_desk_without_its_text,
    the_same_words_twice_in_a_moment_are_kept_once,
    a_reply_and_a_new_tip_share_one_digest,
    viewers_cannot_write_to_the_reader,
    a_published_correction_shows_on_the_readers_view,
    the_database_and_mail_hold_no_receipt_or_message_in_clear,
    retention_removes_the_conversation_with_its_tip,
    rotating_keys_reseals_the_conversation,
    the_embed_and_the_refusals_speak_the_readers_language,
    logs_never_carry_a_receipt_or_a_message_even_at_trace_level,
    every_answer_of_the_follow_up_api_is_in_the_openapi_document,
    every_follow_up_page_is_whole_in_every_language,
);
