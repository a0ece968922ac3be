//! A reader sends a tip: the form as a page, embedded and as JSON; every
//! way input can be wrong; the anti-abuse checks; and what is stored.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const EMBED: &str = "/embed/articles/csto-extremist-groups-afghanistan/tip";
const MESSAGE: &str = "The convoy mentioned in paragraph 3 left Kunduz on Tuesday, not Monday.";

async fn the_form_page_names_the_article_and_has_every_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [PAGE, EMBED] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let page = Page::of(res).await;
        assert_eq!(
            page.text("p.article a").as_deref(),
            Some("CSTO Chief Warns of Multiple Extremist Groups Active in Afghanistan")
        );
        let form = "form[method=post]";
        for field in [
            "kind",
            "message",
            "quote",
            "name",
            "contact",
            "consent",
            "form_token",
        ] {
            assert!(
                page.count(&format!("{form} [name=\"{field}\"]")) > 0,
                "{path} lacks {field}"
            );
        }
        assert_eq!(
            page.attr(form, "action").as_deref(),
            Some(path),
            "{path} posts to itself"
        );
    }
    // The embed is minimal: no site header or footer around the form.
    let embed = Page::of(app.get(EMBED).await).await;
    assert_eq!(embed.count("header, footer.site"), 0);
    assert!(!embed.source().contains("<header"));
    let page = Page::of(app.get(PAGE).await).await;
    assert_eq!(page.count("header.site"), 1);
}

async fn the_landing_page_links_to_the_demo_article(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = Page::of(app.get("/").await).await;
    assert!(page
        .attrs("ul.articles a", "href")
        .contains(&PAGE.to_owned()));
}

async fn a_tip_sent_from_the_page_is_stored_with_its_notification(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let res = app
        .submit_form(
            PAGE,
            &[
                ("kind", "correction"),
                ("message", MESSAGE),
                ("quote", "left Kunduz on Monday"),
                ("name", "A reader"),
                ("contact", "reader@example.org"),
                ("consent", "on"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    let tips = app.tips();
    assert_eq!(tips.len(), 1);
    let tip = &tips[0];
    assert_eq!(
        page.text("strong.reference").as_ref(),
        Some(&tip.reference),
        "the thank-you page shows the reference"
    );
    assert!(tip.reference.starts_with("TD-"));
    assert_eq!(tip.article_id, DEMO_ARTICLE);
    assert_eq!(tip.kind, "correction");
    assert_eq!(tip.message, MESSAGE);
    assert_eq!(tip.quote.as_deref(), Some("left Kunduz on Monday"));
    assert_eq!(tip.name.as_deref(), Some("A reader"));
    assert_eq!(tip.contact.as_deref(), Some("reader@example.org"));
    assert!(tip.consent);
    assert_eq!(tip.desk, "default");
    // A keyed hash, never the address.
    assert_eq!(tip.client_hash.len(), 32);
    assert!(!tip.client_hash.contains("127.0.0.1"));
    assert_eq!(
        app.outbox(),
        vec![(
            tip.reference.clone(),
            "default".into(),
            "desk@localhost".into(),
            "pending".into()
        )]
    );
}

async fn a_tip_sent_from_the_embed_gets_the_minimal_thank_you(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let res = app.submit_form(EMBED, &[("message", MESSAGE)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    assert_eq!(page.count("header, footer.site"), 0);
    assert!(!page.source().contains("<header"));
    let tips = app.tips();
    assert_eq!(tips.len(), 1);
    assert_eq!(
        page.text("strong.reference").as_ref(),
        Some(&tips[0].reference)
    );
    assert_eq!(
        tips[0].kind, "new_information",
        "kind defaults to new information"
    );
    assert!(!tips[0].consent);
}

async fn a_tip_sent_as_json_answers_201_with_its_reference(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"kind": "new_information", "message": MESSAGE, "contact": "@source_on_signal", "consent": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: serde_json::Value = res.json().await.unwrap();
    let tips = app.tips();
    assert_eq!(tips.len(), 1);
    assert_eq!(body["reference"], tips[0].reference.as_str());
    assert_eq!(tips[0].contact.as_deref(), Some("@source_on_signal"));
    assert_eq!(app.outbox().len(), 1);
}

async fn desks_are_chosen_by_section_with_one_job_per_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.desks.insert(
            "international".into(),
            tipdesk::config::DeskSettings {
                name: "International".into(),
                emails: vec!["intl@example.org".into(), "night-editor@example.org".into()],
                sections: vec!["International".into()],
                excerpt_chars: 0,
                locale: None,
                first_look_hours: std::num::NonZeroU32::new(24).expect("24"),
            },
        );
    })
    .await;
    app.leave_jobs_unsent();
    let res = app
        .post_json(DEMO_ARTICLE, &json!({"message": MESSAGE}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let jobs = app.outbox();
    let recipients: Vec<&str> = jobs.iter().map(|j| j.2.as_str()).collect();
    assert_eq!(recipients, ["intl@example.org", "night-editor@example.org"]);
    assert!(jobs
        .iter()
        .all(|j| j.1 == "international" && j.3 == "pending"));
    assert_eq!(app.tips()[0].desk, "international");
}

async fn text_in_any_script_round_trips_exactly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let samples = [
        // Persian, with a zero-width non-joiner inside the word.
        "این گزارش درست نیست؛ نشست در می‌خانه برگزار نشد و وزیر آن روز در کابل بود.",
        // Pashto.
        "دا خبر سم نه دی، کاروان د سه شنبې په ورځ کندز پرېښود.",
        // Russian.
        "Колонна вышла из Кундуза во вторник, а не в понедельник.",
        // Emoji with skin tone and ZWJ sequences, and CRLF line breaks.
        "Photos attached 👍🏽 from the 👩‍👩‍👧 family\r\nSecond line\r\n\ttabbed",
        // Leading and trailing space are the reader's, too.
        "  spaced out on purpose, keep it  ",
    ];
    for (i, text) in samples.iter().enumerate() {
        let name = format!("Имя {i} نام");
        let res = app
            .submit_form(PAGE, &[("message", text), ("quote", text), ("name", &name)])
            .await;
        assert_eq!(res.status(), StatusCode::OK, "form, sample {i}");
        let res = app
            .post_json(DEMO_ARTICLE, &json!({"message": text, "name": name}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "json, sample {i}");
    }
    let tips = app.tips();
    assert_eq!(tips.len(), samples.len() * 2);
    for (i, text) in samples.iter().enumerate() {
        let form = &tips[i * 2];
        let json = &tips[i * 2 + 1];
        assert_eq!(form.message, *text);
        assert_eq!(form.quote.as_deref(), Some(*text));
        assert_eq!(json.message, *text);
        assert_eq!(json.name.as_deref(), Some(format!("Имя {i} نام").as_str()));
    }
}

async fn wrong_fields_come_back_with_the_input_kept_and_a_message_each(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let typed = "Too short";
    let res = app
        .submit_form(
            PAGE,
            &[
                ("kind", "gossip"),
                ("message", typed),
                ("name", "Line\nbreak"),
                ("contact", "someone@invalid@example"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    let page = Page::parse(&body);
    for field in ["kind", "message", "name", "contact"] {
        assert!(page.field_error(field).is_some(), "message at {field}");
    }
    assert!(page
        .field_error("message")
        .unwrap()
        .contains("at least 10 characters"));
    assert!(page
        .field_error("contact")
        .unwrap()
        .contains("not a valid email address"));
    assert!(page.summary_says("at least 10 characters"));
    assert!(page.summary_says("not a valid email address"));
    assert_eq!(
        textarea(&body, "message").as_deref(),
        Some(typed),
        "input kept"
    );
    assert_eq!(
        field(&body, "contact").as_deref(),
        Some("someone@invalid@example")
    );
    assert!(app.tips().is_empty());
    assert!(app.outbox().is_empty());
}

/// Sends the form with `fields` and checks it comes back refused (422),
/// saying `says`, with the message kept and nothing stored; returns the page.
async fn refused_with_input_kept(app: &TestApp, fields: &[(&str, &str)], says: &str) -> String {
    let res = app.submit_form(PAGE, fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(Page::parse(&body).summary_says(says), "{says}: {body}");
    assert_eq!(textarea(&body, "message").as_deref(), Some(MESSAGE));
    assert!(app.tips().is_empty());
    body
}

async fn a_contact_without_consent_is_refused_at_the_consent_box(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fields = [("message", MESSAGE), ("contact", "+93 70 123 4567")];
    let says = "Tick this box so we may contact you";
    let body = refused_with_input_kept(&app, &fields, says).await;
    let at_the_box = Page::parse(&body).field_error("consent");
    assert!(at_the_box.is_some_and(|e| e.starts_with(says)), "{body}");
}

async fn json_bad_input_gets_a_map_of_field_to_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (json!({}), vec!["message"]),
        (json!({"message": "   "}), vec!["message"]),
        (json!({"message": "x".repeat(10_001)}), vec!["message"]),
        (
            json!({"message": "bell \u{7} inside a message"}),
            vec!["message"],
        ),
        (json!({"message": MESSAGE, "kind": "rumour"}), vec!["kind"]),
        (
            json!({"message": MESSAGE, "contact": "a@b@c", "consent": true}),
            vec!["contact"],
        ),
        (
            json!({"message": MESSAGE, "contact": "reader@example.org"}),
            vec!["consent"],
        ),
        // Both at once: the reader should not be sent back twice.
        (
            json!({"message": MESSAGE, "contact": "reader@"}),
            vec!["consent", "contact"],
        ),
        (
            json!({"message": 42, "consent": "yes", "name": ["x"]}),
            vec!["consent", "message", "name"],
        ),
        (json!(["not", "an", "object"]), vec!["body"]),
    ];
    for (body, fields) in cases {
        let res = app.post_json(DEMO_ARTICLE, &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(answer["error"], "validation_failed");
        let got: Vec<&str> = answer["fields"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(got, fields, "{body}");
        for field in fields {
            assert!(!answer["fields"][field].as_str().unwrap().is_empty());
        }
    }
    assert!(app.tips().is_empty());
}

async fn unknown_articles_are_404_with_a_clear_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/articles/no-such-story/tip",
        "/embed/articles/no-such-story/tip",
        "/articles/bad%20id!/tip",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            Page::of(res)
                .await
                .has_text("p.notice", "could not find this article"),
            "{path}"
        );
    }
    let res = app
        .post_form("/articles/no-such-story/tip", &[("message", MESSAGE)])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post_json("no-such-story", &json!({"message": MESSAGE}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(answer["error"], "not_found");
    assert!(answer["request_id"].is_string());
    let res = app
        .post_json(&"x".repeat(129), &json!({"message": MESSAGE}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn oversized_wrongly_typed_and_malformed_bodies_get_4xx(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let huge = "x".repeat(300_000);
    let res = app.post_form(PAGE, &[("message", huge.as_str())]).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(Page::of(res).await.has_text("p.notice", "too large"));
    let res = app.post_json(DEMO_ARTICLE, &json!({"message": huge})).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // JSON sent to the HTML form, and a form sent to the JSON API.
    let res = app
        .client
        .post(app.url(PAGE))
        .json(&json!({"message": MESSAGE}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let api = app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips"));
    let res = app
        .client
        .post(&api)
        .form(&[("message", MESSAGE)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let answer: serde_json::Value = res.json().await.unwrap();
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("application/json"));

    for broken in ["{\"message\": ", "not json", "{\"message\": \"\\ud800\"}"] {
        let res = app
            .client
            .post(&api)
            .header("content-type", "application/json")
            .body(broken)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{broken}");
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(answer["error"], "bad_request");
    }

    // Malformed UTF-8 in a form body.
    let res = app
        .client
        .post(app.url(PAGE))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("message=%FF%FE%FDbroken")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(app.tips().is_empty());
}

async fn forty_tips_in_a_row_from_one_client_meet_429(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.per_client_per_minute = std::num::NonZeroU32::new(6).unwrap();
        s.limits.per_client_burst = std::num::NonZeroU32::new(5).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    let mut accepted = 0;
    let mut limited = 0;
    for _ in 0..40 {
        let res = app
            .post_json(DEMO_ARTICLE, &json!({"message": MESSAGE}))
            .await;
        match res.status() {
            StatusCode::CREATED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let wait: u64 = res.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=60).contains(&wait));
                let answer: serde_json::Value = res.json().await.unwrap();
                assert_eq!(answer["error"], "rate_limited");
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted, 5, "the burst is let through");
    assert_eq!(limited, 35);
    assert_eq!(app.tips().len(), 5);

    // The HTML form shares the bucket and says how long to wait.
    let res = app.post_form(PAGE, &[("message", MESSAGE)]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert!(Page::of(res).await.has_text("p.notice", "Please wait"));
}

async fn the_honeypot_refuses_with_the_input_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fields = [("message", MESSAGE), ("website", "http://spam.example")];
    let body = refused_with_input_kept(&app, &fields, "should stay empty").await;
    let page = Page::parse(&body);
    assert_eq!(
        page.field("website").as_deref(),
        Some(""),
        "the honeypot comes back empty"
    );
    assert!(!body.contains("spam.example"), "nor anywhere else");
}

async fn the_form_token_refuses_fast_forged_and_stale_posts(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.min_fill_seconds = 2).await;
    app.leave_jobs_unsent();
    let token = app.form_token(PAGE).await;

    // Sent at once: refused, input kept, a fresh token in the new form.
    let res = app
        .post_form(PAGE, &[("message", MESSAGE), ("form_token", &token)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(Page::parse(&body).summary_says("faster than a person"));
    assert_eq!(textarea(&body, "message").as_deref(), Some(MESSAGE));

    // No token, a forged one, one for another article, one a day old.
    let keys = tipdesk::secrets::HmacKeys::from_secret(SECRET.as_bytes());
    let (article, other) = (DEMO_ARTICLE, "another-story");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let stale = tipdesk::web::form_token::issue_at(&keys, article, now - 25 * 3600);
    let moved = tipdesk::web::form_token::issue_at(&keys, other, now - 60);
    let forged = format!("{}.AAAAAAAAAAAAAAAAAAAAAA", now - 60);
    for (token, says) in [
        (None, "could not be verified"),
        (Some(forged.as_str()), "could not be verified"),
        (Some(moved.as_str()), "could not be verified"),
        (Some(stale.as_str()), "more than a day ago"),
    ] {
        let mut fields = vec![("message", MESSAGE)];
        if let Some(t) = token {
            fields.push(("form_token", t));
        }
        let res = app.post_form(PAGE, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{token:?}");
        assert!(Page::of(res).await.summary_says(says), "{token:?}");
    }
    assert!(app.tips().is_empty());

    // The first token, once a person's few seconds have passed, is fine.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = app
        .post_form(PAGE, &[("message", MESSAGE), ("form_token", &token)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.tips().len(), 1);
}

async fn a_quick_fix_after_a_refusal_is_not_held_back_as_too_fast(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.min_fill_seconds = 2).await;
    app.leave_jobs_unsent();
    let token = app.form_token(PAGE).await;
    // Sent too fast and with a wrong field: both are reported at once.
    let res = app
        .post_form(
            PAGE,
            &[
                ("message", MESSAGE),
                ("contact", "a@example.org"),
                ("form_token", &token),
            ],
        )
        .await;
    let body = res.text().await.unwrap();
    let page = Page::parse(&body);
    assert!(page.summary_says("faster than a person"));
    assert!(page.field_error("consent").is_some());
    assert_eq!(
        field(&body, "form_token").unwrap(),
        token,
        "original time kept"
    );

    // The reader took their time; the form comes back for the consent box...
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = app
        .post_form(
            PAGE,
            &[
                ("message", MESSAGE),
                ("contact", "a@example.org"),
                ("form_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = field(&res.text().await.unwrap(), "form_token").unwrap();
    // ...and ticking it and resending at once is accepted.
    let res = app
        .post_form(
            PAGE,
            &[
                ("message", MESSAGE),
                ("contact", "a@example.org"),
                ("consent", "on"),
                ("form_token", &again),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.tips().len(), 1);
}

async fn identical_resubmissions_store_one_tip_and_get_the_first_answer(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.duplicate_window = std::time::Duration::from_secs(600);
        s.server.proxies.header = Some("x-forwarded-for".parse().unwrap());
    })
    .await;
    app.leave_jobs_unsent();
    let body = json!({"message": MESSAGE, "name": "Same reader", "contact": "same@example.org", "consent": true});
    let send = |ip: &'static str, key: &'static str, body: serde_json::Value| {
        app.client
            .post(app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips")))
            .header("x-forwarded-for", ip)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    const KEY: &str = "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"";
    // Ten at once with one Idempotency-Key, as a retrying client would.
    let answers =
        futures_util::future::join_all((0..10).map(|_| send("203.0.113.5", KEY, body.clone())))
            .await;
    let mut references = std::collections::HashSet::new();
    let mut receipts = Vec::new();
    for res in answers {
        let res = res.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: serde_json::Value = res.json().await.unwrap();
        references.insert(v["reference"].as_str().unwrap().to_owned());
        receipts.push(v["receipt"].as_str().unwrap().to_owned());
    }
    assert_eq!(references.len(), 1, "every resend got the first answer");
    // A receipt cannot be shown twice (only its hash is kept): each resend
    // got one of its own, and each opens the one tip.
    let reference = references.iter().next().unwrap().clone();
    for receipt in &receipts {
        let res = app
            .client
            .post(app.url("/api/v1/follow-up"))
            .header("x-forwarded-for", "203.0.113.5")
            .json(&json!({ "receipt": receipt }))
            .send()
            .await
            .unwrap();
        let view: serde_json::Value = res.json().await.unwrap();
        assert_eq!(view["reference"], reference.as_str());
    }
    assert_eq!(app.tips().len(), 1);
    assert_eq!(app.outbox().len(), 1, "the desk is told once");

    // The same form posted twice (a double click on Send): one tip, and
    // the second answer's receipt works.
    let token = app.form_token(PAGE).await;
    let form = [
        ("message", "A different tip, sent from the page twice."),
        ("form_token", token.as_str()),
    ];
    let mut pages = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url(PAGE))
            .header("x-forwarded-for", "203.0.113.5")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        pages.push(res.text().await.unwrap());
    }
    let (form_reference, _) = thanks_page_answer(&pages[0]);
    let (again, receipt) = thanks_page_answer(&pages[1]);
    assert_eq!(form_reference, again);
    assert_eq!(app.tips().len(), 2);
    assert_eq!(
        follow_up_reference(&app, "203.0.113.5", &receipt).await,
        form_reference
    );

    // Another sender, another key, or another text is another tip.
    assert_eq!(
        send("198.51.100.1", KEY, body.clone())
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        send("203.0.113.5", "another-key", body.clone())
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    let mut changed = body.clone();
    changed["message"] = json!("The convoy left on Wednesday, I was wrong before.");
    assert_eq!(
        send("203.0.113.5", KEY, changed).await.unwrap().status(),
        StatusCode::CREATED
    );
    assert_eq!(app.tips().len(), 5);

    // A key that is not one is refused, in words a developer can act on.
    for bad in ["", "\"\"", "with space", &"k".repeat(256)] {
        let res = send(
            "203.0.113.5",
            Box::leak(bad.to_owned().into_boxed_str()),
            body.clone(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(v["error"], "bad_idempotency_key");
        assert!(
            v["message"].as_str().unwrap().contains("Idempotency-Key"),
            "{v}"
        );
    }
    assert_eq!(app.tips().len(), 5);
}

/// The reference and receipt a thank-you page shows.
fn thanks_page_answer(page: &str) -> (String, String) {
    let page = Page::parse(page);
    let reference = page
        .text("strong.reference")
        .expect("a reference on the thank-you page");
    let receipt = page
        .text("bdi#receipt")
        .expect("a receipt on the thank-you page");
    (reference, receipt.trim().to_owned())
}

/// The reference of the tip `receipt` opens, asked from `ip`.
async fn follow_up_reference(app: &TestApp, ip: &str, receipt: &str) -> String {
    let view: serde_json::Value = app
        .client
        .post(app.url("/api/v1/follow-up"))
        .header("x-forwarded-for", ip)
        .json(&json!({ "receipt": receipt }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    view["reference"]
        .as_str()
        .expect("the receipt opens a tip")
        .to_owned()
}

/// Two people behind one address (carrier-grade NAT, a Tor exit, a
/// newsroom's server posting for all its readers) who send the same words
/// within the duplicate window each get a tip and a conversation of their
/// own: a receipt for the other's tip would show them the desk's messages.
async fn two_readers_behind_one_address_get_tips_of_their_own(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.duplicate_window = std::time::Duration::from_secs(600);
        s.server.proxies.header = Some("x-forwarded-for".parse().unwrap());
        s.follow_up.wrong_receipt_answer = std::time::Duration::ZERO;
    })
    .await;
    app.leave_jobs_unsent();
    const NAT: &str = "203.0.113.77";
    let body = json!({"message": MESSAGE});
    let mut json_receipts = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips")))
            .header("x-forwarded-for", NAT)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: serde_json::Value = res.json().await.unwrap();
        json_receipts.push(v["receipt"].as_str().unwrap().to_owned());
    }
    // Each on their own page (and the embed) with the same words.
    let mut form_receipts = Vec::new();
    for path in [PAGE, PAGE, EMBED] {
        let token = app.form_token(path).await;
        let res = app
            .client
            .post(app.url(path))
            .header("x-forwarded-for", NAT)
            .form(&[("message", MESSAGE), ("form_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        form_receipts.push(thanks_page_answer(&res.text().await.unwrap()).1);
    }
    assert_eq!(app.tips().len(), 5, "five readers, five tips");
    let mut references = std::collections::HashSet::new();
    for receipt in json_receipts.iter().chain(&form_receipts) {
        references.insert(follow_up_reference(&app, NAT, receipt).await);
    }
    assert_eq!(references.len(), 5, "each receipt opens its own tip");

    // What the first reader writes is not in the second one's conversation.
    let res = app
        .client
        .post(app.url("/api/v1/follow-up/messages"))
        .header("x-forwarded-for", NAT)
        .json(&json!({"receipt": json_receipts[0], "message": "MARKER: only the first reader wrote this."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let second: serde_json::Value = app
        .client
        .post(app.url("/api/v1/follow-up"))
        .header("x-forwarded-for", NAT)
        .json(&json!({ "receipt": json_receipts[1] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["messages"], json!([]), "{second}");
}

async fn a_failed_outbox_write_leaves_no_tip_behind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Make the outbox refuse writes, as a full disk or a crash mid-way would.
    match backend {
        Backend::Sqlite => app.execute_sql(
            "CREATE TRIGGER outbox_refuses BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END;",
        ),
        Backend::Postgres => app.execute_sql(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER outbox_refuses BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse();",
        ),
    }
    let res = app
        .post_json(DEMO_ARTICLE, &json!({"message": MESSAGE}))
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(answer["error"], "internal_error");
    assert!(
        !answer["message"].as_str().unwrap().contains("outbox"),
        "no internals shown"
    );
    assert!(answer["request_id"].is_string());
    assert!(
        app.tips().is_empty(),
        "the tip was rolled back with its job"
    );
    assert!(app.outbox().is_empty());
}

async fn unknown_paths_are_404_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app.get("/nowhere").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers().contains_key("x-request-id"));
    assert!(Page::of(res)
        .await
        .has_text("p.notice", "no page at this address"));
}

async fn tips_committed_together_fail_alone(backend: Backend) {
    use tipdesk::db::DbError;
    use tipdesk::domain::{Receipt, TipReference};
    use tipdesk::submission::writer::{TipWriter, Work};
    use tipdesk::submission::Stored;

    let app = TestApp::spawn(backend).await;
    let writer = TipWriter::start(
        app.pool.clone(),
        std::sync::Arc::new(tipdesk::ops::Metrics::new()),
        tipdesk::triage::search::index_pending,
    )
    .unwrap();
    // Each job writes article rows, all or none; one repeats an id, which
    // the database refuses.
    let job = |ids: &'static [&'static str], pause: u64| -> Work {
        Box::new(move |conn, _group| {
            std::thread::sleep(std::time::Duration::from_millis(pause));
            conn.write(|conn| {
                use diesel::connection::SimpleConnection;
                for id in ids {
                    let now = "2026-11-27 12:00:00";
                    let sql = format!(
                        "INSERT INTO articles (id, title, url, section, created_at, updated_at) \
                         VALUES ('{id}', 't', 'https://news.example/{id}', 'International', '{now}', '{now}')"
                    );
                    tipdesk::db_run!(conn, |conn| conn.batch_execute(&sql))?;
                }
                Ok::<_, DbError>(Stored {
                    reference: TipReference::generate(),
                    receipt: Receipt::generate(),
                })
            })
        })
    };
    writer.write(job(&["batch-first"], 0)).await.unwrap();
    // One job per writer thread (one on SQLite, several on PostgreSQL)
    // keeps them all busy while the next three queue up, so they are
    // stored in one transaction.
    let mut busy = Vec::new();
    for _ in 0..writer.writers() {
        busy.push(tokio::spawn({
            let w = writer.clone();
            let work = job(&[], 300);
            async move { w.write(work).await }
        }));
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (a, b, c) = tokio::join!(
        writer.write(job(&["batch-a"], 0)),
        writer.write(job(&["batch-b", "batch-first"], 0)),
        writer.write(job(&["batch-c"], 0)),
    );
    for busy in busy {
        assert!(busy.await.unwrap().is_ok());
    }
    assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
    assert!(b.is_err(), "the repeated id is refused");
    let stored = |id: &str| {
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM articles WHERE id = '{id}'"
        ))
    };
    for id in ["batch-first", "batch-a", "batch-c"] {
        assert_eq!(stored(id), 1, "{id} is stored");
    }
    assert_eq!(stored("batch-b"), 0, "the refused job left nothing behind");
}

async fn many_readers_at_once_are_all_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let answers = futures_util::future::join_all((0..200).map(|i| {
        let app = &app;
        async move {
            let res = app
                .post_json(
                    DEMO_ARTICLE,
                    &json!({"message": format!("Reader number {i} saw the convoy leave.")}),
                )
                .await;
            assert_eq!(res.status(), StatusCode::CREATED);
            res.json::<serde_json::Value>().await.unwrap()["reference"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    }))
    .await;
    let distinct: std::collections::HashSet<&String> = answers.iter().collect();
    assert_eq!(distinct.len(), 200);
    let stored: std::collections::HashSet<String> =
        app.tips().into_iter().map(|t| t.reference).collect();
    assert!(
        answers.iter().all(|r| stored.contains(r)),
        "every answered tip is stored"
    );
    assert_eq!(app.jobs().len(), 200, "with its notification");
}

crate::both_backends!(
    tips_committed_together_fail_alone,
    a_tip_for_an_article_retired_meanwhile_is_refused_with_410,
    many_readers_at_once_are_all_stored,
    the_form_page_names_the_article_and_has_every_field,
    the_landing_page_links_to_the_demo_article,
    a_tip_sent_from_the_page_is_stored_with_its_notification,
    a_tip_sent_from_the_embed_gets_the_minimal_thank_you,
    a_tip_sent_as_json_answers_201_with_its_reference,
    desks_are_chosen_by_section_with_one_job_per_address,
    text_in_any_script_round_trips_exactly,
    wrong_fields_come_back_with_the_input_kept_and_a_message_each,
    a_contact_without_consent_is_refused_at_the_consent_box,
    json_bad_input_gets_a_map_of_field_to_message,
    unknown_articles_are_404_with_a_clear_message,
    oversized_wrongly_typed_and_malformed_bodies_get_4xx,
    forty_tips_in_a_row_from_one_client_meet_429,
    the_honeypot_refuses_with_the_input_kept,
    the_form_token_refuses_fast_forged_and_stale_posts,
    a_quick_fix_after_a_refusal_is_not_held_back_as_too_fast,
    identical_resubmissions_store_one_tip_and_get_the_first_answer,
    two_readers_behind_one_address_get_tips_of_their_own,
    a_failed_outbox_write_leaves_no_tip_behind,
    unknown_paths_are_404_pages,
);

/// PostgreSQL: a resend is looked up through the partial index of
/// fingerprints (`WHERE fingerprint <> ''`) under a prepared statement's
/// generic plan too, which the server switches to after five executions
/// (forced here from the first with `plan_cache_mode`). A lookup whose
/// terms do not prove the index's predicate scans every tip instead.
async fn resends_are_looked_up_by_index_under_a_generic_plan() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        if let tipdesk::config::DatabaseUrl::Postgres(url) = &mut s.database.url {
            let sep = if url.contains('?') { '&' } else { '?' };
            url.push_str(&format!(
                "{sep}options=-c%20plan_cache_mode%3Dforce_generic_plan"
            ));
        }
    })
    .await;
    app.leave_jobs_unsent();
    for i in 0..3 {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips")))
            .header("idempotency-key", format!("\"generic-plan-{i}\""))
            .json(&json!({ "message": format!("{MESSAGE} #{i}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM tips WHERE fingerprint <> ''"),
        3
    );
    // Index scans as the server counts them; a backend reports its
    // counts within a second or two of going idle.
    let used = "SELECT coalesce(sum(idx_scan), 0)::bigint AS n FROM pg_stat_user_indexes \
                WHERE indexrelname = 'tips_fingerprint'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut scans = app.count_sql(used);
    while scans < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        scans = app.count_sql(used);
    }
    assert!(scans >= 3, "3 resend lookups, {scans} index scans");
}

crate::postgres_only!(postgres_plans: resends_are_looked_up_by_index_under_a_generic_plan);

/// A tip whose article the CMS retired after the request's check read it
/// (here: from the form page's cache, seconds old) is refused with 410
/// when it reaches the writer, which reads the article again with the
/// tip: as the JSON API's one-statement group on PostgreSQL, and as the
/// form's careful path.
async fn a_tip_for_an_article_retired_meanwhile_is_refused_with_410(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    // Both requests read the article, which keeps it in memory.
    let token = app.form_token(PAGE).await;
    let first = app
        .post_json(DEMO_ARTICLE, &json!({"message": MESSAGE}))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    // Retired behind this instance's back (another instance's CMS call).
    app.execute_sql(&format!(
        "UPDATE articles SET retired_at = '2026-11-30 12:00:00' WHERE id = '{DEMO_ARTICLE}'"
    ));
    let json = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": "Sent after the retirement."}),
        )
        .await;
    assert_eq!(json.status(), StatusCode::GONE);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["error"], "gone", "{body}");
    let form = app
        .post_form(
            PAGE,
            &[
                ("kind", "correction"),
                ("message", "Sent from the form after the retirement."),
                ("form_token", &token),
            ],
        )
        .await;
    assert_eq!(form.status(), StatusCode::GONE);
    assert_eq!(app.tips().len(), 1, "only the tip from before is stored");
    assert_eq!(app.outbox().len(), 1, "with its job alone");
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM tip_receipts"),
        1,
        "and its receipt alone"
    );
}

/// PostgreSQL stores a group's JSON tips in one statement (`submission::pg`)
/// and a tip sent with an `Idempotency-Key` the careful way (a lock and a
/// look-up first). Both ways store the same row: every column of `tips`,
/// the sealed name and contact, the job and the receipt, as the database
/// holds them. A column added to `tips` is compared here without a change.
async fn a_tip_stored_in_its_groups_statement_is_stored_as_one_stored_alone() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.leave_jobs_unsent();
    let body = json!({
        "kind": "correction",
        "message": "The dam at Kajaki was inspected on 12 May, not 12 June.",
        "quote": "inspected in June",
        "name": "Reader",
        "contact": "+93 70 000 0000",
        "consent": true,
    });
    let grouped = app.post_json(DEMO_ARTICLE, &body).await;
    assert_eq!(grouped.status(), StatusCode::CREATED);
    let grouped: serde_json::Value = grouped.json().await.unwrap();
    let alone = app
        .client
        .post(app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips")))
        .header("idempotency-key", "\"stored-alone\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(alone.status(), StatusCode::CREATED);
    let alone: serde_json::Value = alone.json().await.unwrap();
    let (g, a) = (
        grouped["reference"].as_str().unwrap(),
        alone["reference"].as_str().unwrap(),
    );
    // What differs by nature: identity, time, the resend fingerprint (only
    // a tip with a key has one), the sealed values (a fresh nonce each;
    // opened below) and the case (the second joins the first's).
    let rest = "ARRAY['id', 'reference', 'created_at', 'updated_at', 'fingerprint', \
                'reader_name', 'contact', 'case_id']";
    assert_eq!(
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM tips g, tips a \
             WHERE g.reference = '{g}' AND a.reference = '{a}' \
             AND to_jsonb(g) - {rest} = to_jsonb(a) - {rest} \
             AND g.case_id IS NULL AND a.case_id = g.id \
             AND g.search_text <> '' AND g.language = 'en' AND g.case_sketch IS NOT NULL"
        )),
        1,
        "the same columns, the second in the first's case"
    );
    let tips = app.tips();
    assert_eq!(tips.len(), 2);
    for tip in &tips {
        assert_eq!(tip.name.as_deref(), Some("Reader"));
        assert_eq!(tip.contact.as_deref(), Some("+93 70 000 0000"));
    }
    let job = "ARRAY['id', 'tip_id', 'message_id', 'created_at', 'updated_at', 'next_attempt_at']";
    assert_eq!(
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM outbox g, outbox a, tips tg, tips ta \
             WHERE g.tip_id = tg.id AND a.tip_id = ta.id \
             AND tg.reference = '{g}' AND ta.reference = '{a}' \
             AND to_jsonb(g) - {job} = to_jsonb(a) - {job}"
        )),
        1,
        "one job each, alike"
    );
    for (reference, answer) in [(g, &grouped), (a, &alone)] {
        let res = app
            .open_receipt(&reqwest::Client::new(), answer["receipt"].as_str().unwrap())
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{reference}'s receipt opens it"
        );
        assert!(res.text().await.unwrap().contains(reference));
    }
}

/// A tip the database refuses inside a group's one statement: the
/// statement is rolled back whole, and the writer stores the group's tips
/// again one by one, so the others are stored and the refused one leaves
/// nothing. The writer threads are first kept busy (a trigger holds tips
/// marked `Hold:`), so that the three tips sent next wait together and
/// are taken as one group.
async fn a_tip_refused_in_its_groups_statement_leaves_the_others_stored() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.leave_jobs_unsent();
    app.execute_sql(
        "CREATE FUNCTION hold_tip() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.message LIKE 'Hold:%' THEN PERFORM pg_sleep(0.4); END IF; RETURN NEW; END $$; \
         CREATE TRIGGER hold_tip BEFORE INSERT ON tips FOR EACH ROW EXECUTE FUNCTION hold_tip(); \
         ALTER TABLE tips ADD CONSTRAINT refuse_tip CHECK (message NOT LIKE 'Refuse:%');",
    );
    let post = |message: String| {
        let app = &app;
        async move {
            app.post_json(DEMO_ARTICLE, &json!({ "message": message }))
                .await
        }
    };
    let held = futures_util::future::join_all(
        (0..tipdesk::submission::writer::PG_WRITERS)
            .map(|i| post(format!("Hold: this tip keeps writer number {i} busy."))),
    );
    let group = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        tokio::join!(
            post("Stored: the first of the group.".into()),
            post("Refuse: the database takes no such tip.".into()),
            post("Stored: the last of the group.".into()),
        )
    };
    let (held, (first, refused, last)) = tokio::join!(held, group);
    for res in held.iter().chain([&first, &last]) {
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert!(refused.status().is_server_error(), "{}", refused.status());
    let stored = app.tips();
    let n = tipdesk::submission::writer::PG_WRITERS as usize + 2;
    assert_eq!(stored.len(), n, "all but the refused one");
    assert!(stored.iter().all(|t| !t.message.starts_with("Refuse:")));
    assert_eq!(
        app.outbox().len(),
        n,
        "a job per stored tip, none for the refused one"
    );
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM tip_receipts") as usize,
        n,
        "a receipt per stored tip"
    );
}

crate::postgres_only!(
    postgres_group_statement: a_tip_stored_in_its_groups_statement_is_stored_as_one_stored_alone,
    a_tip_refused_in_its_groups_statement_leaves_the_others_stored
);
