//! Hostile input over HTTP: naughty strings in every field, malformed
//! UTF-8, control characters, markup that must come out escaped, JSON of
//! every wrong shape. Whatever arrives, the answer is a 2xx or a 4xx that
//! says what to fix — never a 5xx — and what is stored is exactly what was
//! sent.

use std::collections::{BTreeSet, HashMap};

use futures_util::stream::{self, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Map, Value};

use crate::helpers::*;

const PAGE: &str = "/articles/csto-extremist-groups-afghanistan/tip";
const API: &str = "/api/v1/articles/csto-extremist-groups-afghanistan/tips";
const MESSAGE: &str = "The convoy left Kunduz on Tuesday, not Monday.";
/// Put before a naughty string sent as the message, so it is long enough
/// even when the string is all whitespace.
const PREFIX: &str = "Naughty tip text: ";
/// Requests in flight at once: enough to keep the server busy, well within
/// its connection pool.
const IN_FLIGHT: usize = 8;

/// The naughty strings: the Big List of Naughty Strings (the
/// `naughty-strings` crate), tipdesk's own additions
/// (tests/data/naughty-strings.txt), and what a line-based file cannot
/// hold (line breaks, header injection). Each once, in that order.
fn naughty_strings() -> Vec<String> {
    let file = include_str!("../data/naughty-strings.txt");
    let mut all: Vec<String> = naughty_strings::BLNS
        .iter()
        .copied()
        .chain(
            file.lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#')),
        )
        .map(str::to_owned)
        .collect();
    all.extend(
        [
            "Subject: x\r\nBcc: a@b",
            "x\r\nBcc: evil@example.org",
            "reader@example.org\r\nBcc: evil@example.org",
            "reader@example.org\nBcc: evil@example.org",
            "\r\nBcc: evil@example.org",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n<script>alert(1)</script>",
            "line one\nline two",
            "line one\rline two",
            "\n",
            "\r\n",
            "\r\n\r\n\r\n",
            "trailing CRLF\r\n",
            "tab\tand\nnewline",
            "\u{2028}\n\u{2029}",
            "first\n\u{202E}second",
            "</textarea>\n<script>alert(1)</script>",
        ]
        .map(str::to_owned),
    );
    let mut seen = std::collections::HashSet::new();
    all.retain(|s| seen.insert(s.clone()));
    assert!(all.len() >= 900, "the list is complete");
    all
}

fn single_line(s: &str) -> bool {
    !s.contains(['\n', '\r'])
}

/// What the text rules refuse: control characters, except line breaks
/// and tabs where several lines are allowed.
fn has_refused_control(s: &str, multiline: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// Left empty: nothing in it shows (white space, zero-width and other
/// invisible characters only; see `domain::graphemes`).
fn blank(s: &str) -> bool {
    tipdesk::domain::graphemes::is_blank(s)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// One naughty string in one field of an otherwise valid tip.
struct Case {
    field: &'static str,
    text: String,
}

impl Case {
    fn body(&self) -> Value {
        let mut body = Map::new();
        if self.field == "message" {
            body.insert("message".into(), format!("{PREFIX}{}", self.text).into());
        } else {
            body.insert("message".into(), MESSAGE.into());
            body.insert(self.field.into(), self.text.clone().into());
        }
        if self.field == "contact" {
            body.insert("consent".into(), true.into());
        }
        Value::Object(body)
    }

    /// What the rules say: `Some(accepted?)`, or `None` where it depends
    /// on more than the text rules (whether an email address is valid).
    fn expected(&self) -> Option<bool> {
        let t = self.text.as_str();
        let fits =
            |max: usize, multiline: bool| !has_refused_control(t, multiline) && chars(t) <= max;
        match self.field {
            "message" => Some(fits(10_000 - chars(PREFIX), true)),
            "quote" => Some(blank(t) || fits(2_000, true)),
            "name" => Some(blank(t) || fits(200, false)),
            _ if blank(t) => Some(true),
            _ if !fits(254, false) => Some(false),
            _ => None,
        }
    }

    /// The stored value this case must produce, when accepted.
    fn stored<'a>(&self, tip: &'a StoredTip) -> Option<&'a str> {
        match self.field {
            "message" => Some(tip.message.as_str()),
            "quote" => tip.quote.as_deref(),
            "name" => tip.name.as_deref(),
            _ => tip.contact.as_deref(),
        }
    }

    fn sent(&self) -> Option<String> {
        match self.field {
            "message" => Some(format!("{PREFIX}{}", self.text)),
            _ if blank(&self.text) => None,
            _ => Some(self.text.clone()),
        }
    }
}

/// Posts `body` (raw bytes) as JSON to the demo article's API.
async fn post_raw(
    app: &TestApp,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url(API))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST")
}

/// Asserts a 422 whose field map names exactly `fields`, each with a message.
fn assert_fields(status: StatusCode, answer: &Value, fields: &[&str], what: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {answer}");
    assert_eq!(answer["error"], "validation_failed", "{what}");
    assert!(answer["request_id"].is_string(), "{what}");
    let map = answer["fields"].as_object().expect("a fields map");
    let got: BTreeSet<&str> = map.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = fields.iter().copied().collect();
    assert_eq!(got, want, "{what}: {answer}");
    for field in fields {
        assert!(
            !map[*field].as_str().unwrap_or("").is_empty(),
            "{what}: an empty message for {field}"
        );
    }
}

/// The reference a thank-you page shows.
fn reference_in(page: &str) -> Option<String> {
    Page::parse(page).text("strong.reference")
}

async fn every_naughty_string_in_every_field_is_stored_exactly_or_refused_by_name(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let strings = naughty_strings();
    let cases: Vec<Case> = strings
        .iter()
        .flat_map(|s| {
            ["message", "quote", "name", "contact"]
                .into_iter()
                .filter(move |f| *f != "name" || single_line(s))
                .map(move |field| Case {
                    field,
                    text: s.clone(),
                })
        })
        .collect();

    let answers: Vec<(usize, StatusCode, Value)> = stream::iter(cases.iter().enumerate())
        .map(|(i, case)| {
            let app = &app;
            async move {
                let res = app.post_json(DEMO_ARTICLE, &case.body()).await;
                let status = res.status();
                let body = res.text().await.expect("a body");
                let answer = serde_json::from_str(&body)
                    .unwrap_or_else(|e| panic!("{status}, not JSON ({e}): {body}"));
                (i, status, answer)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;

    let mut accepted: HashMap<String, usize> = HashMap::new();
    // Per string: which fields were refused, to hold the HTML form to the same rules.
    let mut refused: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for (i, status, answer) in &answers {
        let case = &cases[*i];
        let what = format!("{} = {:?}", case.field, case.text);
        assert!(!status.is_server_error(), "{what}: {status} {answer}");
        match *status {
            StatusCode::CREATED => {
                assert_ne!(case.expected(), Some(false), "{what} should be refused");
                let reference = answer["reference"].as_str().expect("a reference");
                accepted.insert(reference.to_owned(), *i);
            }
            _ => {
                assert_fields(*status, answer, &[case.field], &what);
                assert_ne!(case.expected(), Some(true), "{what} should be accepted");
                refused
                    .entry(case.text.as_str())
                    .or_default()
                    .insert(case.field);
            }
        }
    }

    // Everything accepted was stored exactly as sent, byte for byte.
    let tips = app.tips();
    assert_eq!(tips.len(), accepted.len(), "nothing refused was stored");
    for tip in &tips {
        let case = &cases[accepted[&tip.reference]];
        let what = format!("{} = {:?}", case.field, case.text);
        assert_eq!(case.stored(tip), case.sent().as_deref(), "{what}");
        if case.field != "message" {
            assert_eq!(tip.message, MESSAGE, "{what}");
        }
        assert_eq!(tip.consent, tip.contact.is_some(), "{what}");
    }

    // A sample through the HTML form: the same rules, and the input is
    // shown again exactly (and escaped) when refused.
    let sample = strings
        .iter()
        .enumerate()
        .filter(|(i, s)| i % 25 == 0 || (s.contains("<script") && i % 3 == 0))
        .map(|(_, s)| s);
    let before = app.tips().len();
    let mut form_accepted = Vec::new();
    for s in sample {
        let message = format!("{PREFIX}{s}");
        let name = if single_line(s) {
            s.as_str()
        } else {
            "A reader"
        };
        let res = app
            .submit_form(
                PAGE,
                &[
                    ("message", message.as_str()),
                    ("quote", s),
                    ("name", name),
                    ("contact", s),
                    ("consent", "on"),
                ],
            )
            .await;
        let status = res.status();
        let page = res.text().await.unwrap();
        let json_refused = refused.get(s.as_str()).cloned().unwrap_or_default();
        let form_refused: BTreeSet<&str> = ["message", "quote", "name", "contact"]
            .into_iter()
            .filter(|f| Page::parse(&page).field_error(f).is_some())
            .collect();
        assert_eq!(form_refused, json_refused, "form and JSON agree on {s:?}");
        if json_refused.is_empty() {
            assert_eq!(status, StatusCode::OK, "{s:?}");
            form_accepted.push((reference_in(&page).expect("a reference"), s));
            continue;
        }
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{s:?}");
        assert_eq!(textarea(&page, "message"), Some(as_read(&message)));
        assert_eq!(textarea(&page, "quote"), Some(as_read(s)));
        let kept = |name: &str| field(&page, name);
        assert_eq!(kept("name"), Some(as_read(name)), "{s:?}");
        assert_eq!(kept("contact"), Some(as_read(s)), "{s:?}");
        // Escaping is about the source: the raw string is nowhere in it.
        if s.contains('<') && s.len() > 1 {
            assert!(!page.contains(s.as_str()), "{s:?} is shown unescaped");
        }
    }
    let tips = app.tips();
    assert_eq!(tips.len(), before + form_accepted.len());
    for (reference, s) in form_accepted {
        let tip = tips.iter().find(|t| t.reference == reference).unwrap();
        assert_eq!(tip.message, format!("{PREFIX}{s}"));
        assert_eq!(tip.quote.as_deref(), (!blank(s)).then_some(s.as_str()));
        assert_eq!(tip.contact.as_deref(), (!blank(s)).then_some(s.as_str()));
    }
}

async fn malformed_utf8_is_refused_with_400_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let json_bodies: &[&[u8]] = &[
        b"{\"message\":\"\xC0\xAF an overlong slash in a tip\"}",
        b"{\"message\":\"\xE0\x80\xAF an overlong slash, three bytes\"}",
        b"{\"message\":\"\xF0\x80\x80\xAF an overlong slash, four bytes\"}",
        b"{\"message\":\"\xC1\xBF an overlong tilde, two bytes long\"}",
        b"{\"message\":\"\xED\xA0\x80 a UTF-16 surrogate as UTF-8 bytes\"}",
        b"{\"message\":\"\xED\xA0\xBD\xED\xB8\x80 CESU-8, not UTF-8\"}",
        b"{\"message\":\"\xF4\x90\x80\x80 above U+10FFFF, not Unicode\"}",
        b"{\"message\":\"\xF8\x88\x80\x80\x80 a five-byte sequence\"}",
        b"{\"message\":\"\xFF\xFE bytes that never occur in UTF-8\"}",
        b"{\"message\":\"\x80 a continuation byte on its own\"}",
        b"{\"message\":\"a sequence cut off at the end \xE2\x82\"}",
        b"{\"message\":\"Latin-1 caf\xE9 is not UTF-8 text at all\"}",
        b"{\"message\":\"valid text that is long enough\",\"name\":\"\xC3\"}",
        b"{\"message\":\"valid text that is long enough\",\"contact\":\"a\xC0\xAF@example.org\",\"consent\":true}",
        b"{\"\xC0\xAFmessage\":\"valid text that is long enough\"}",
        b"{\"message\":\"valid text that is long enough\"}\xFF",
        b"{\"message\":\"\\ud800 an unpaired high surrogate escape\"}",
        b"{\"message\":\"\\udc00 an unpaired low surrogate escape\"}",
        b"{\"message\":\"\\ud800\\u0041 a high surrogate before a letter\"}",
        b"{\"message\":\"valid text that is long enough\",\"quote\":\"\\udfff\"}",
    ];
    for body in json_bodies {
        let res = post_raw(&app, "application/json", body.to_vec()).await;
        let what = String::from_utf8_lossy(body);
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{what}");
        let answer: Value = res.json().await.expect("a JSON error");
        assert_eq!(answer["error"], "bad_request", "{what}");
        assert!(answer["request_id"].is_string(), "{what}");
    }
    // UTF-16, with and without a byte-order mark.
    let text = "{\"message\":\"valid text that is long enough\"}";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let res = post_raw(&app, "application/json", utf16.clone()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post_raw(
        &app,
        "application/json",
        [&[0xFF, 0xFE][..], &utf16].concat(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let form_bodies: &[&[u8]] = &[
        b"message=%C0%AF+an+overlong+slash+in+a+tip",
        b"message=%E0%80%AF+an+overlong+slash%2C+three+bytes",
        b"message=%F0%80%80%AF+an+overlong+slash%2C+four+bytes",
        b"message=%ED%A0%80+a+UTF-16+surrogate+as+UTF-8+bytes",
        b"message=%F4%90%80%80+above+U%2B10FFFF%2C+not+Unicode",
        b"message=%F8%88%80%80%80+a+five-byte+sequence",
        b"message=%FF%FE+bytes+that+never+occur",
        b"message=%80+a+continuation+byte+on+its+own",
        b"message=a+sequence+cut+off+at+the+end+%E2%82",
        b"message=Latin-1+caf%E9+is+not+UTF-8",
        b"message=valid+text+that+is+long+enough&name=%C3",
        b"message=valid+text+that+is+long+enough&contact=%C0%AF%40example.org&consent=on",
        b"message=valid+text+that+is+long+enough&%C0%AF=x",
        b"message=raw+bytes+\xC0\xAF+not+percent-encoded",
        b"message=raw+Latin-1+caf\xE9",
    ];
    for path in [
        PAGE,
        "/embed/articles/csto-extremist-groups-afghanistan/tip",
    ] {
        let token = app.form_token(path).await;
        for body in form_bodies {
            let body = [*body, b"&form_token=", token.as_bytes()].concat();
            let what = String::from_utf8_lossy(&body).into_owned();
            let res = app
                .client
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}: {what}");
            assert!(
                Page::of(res)
                    .await
                    .has_text("[role=alert]", "not valid UTF-8"),
                "{path}: {what}"
            );
        }
    }
    assert!(app.tips().is_empty());
    assert!(app.outbox().is_empty());

    // Valid UTF-8 at the edges of the ranges is text like any other.
    let res = app
        .submit_form(
            PAGE,
            &[(
                "message",
                "edges: \u{7FF} \u{800} \u{FFFD} \u{10000} \u{10FFFF} ok",
            )],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = post_raw(
        &app,
        "application/json",
        "{\"message\":\"a surrogate pair \\ud83d\\ude00 and \\udbff\\udfff\"}",
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let tips = app.tips();
    assert_eq!(
        tips[0].message,
        "edges: \u{7FF} \u{800} \u{FFFD} \u{10000} \u{10FFFF} ok"
    );
    assert_eq!(tips[1].message, "a surrogate pair 😀 and \u{10FFFF}");
}

async fn control_characters_are_refused_in_every_field_by_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let controls = [
        '\0', '\u{1}', '\u{7}', '\u{8}', '\u{b}', '\u{c}', '\u{e}', '\u{1b}', '\u{1f}', '\u{7f}',
        '\u{80}', '\u{85}', '\u{9b}', '\u{9f}',
    ];
    let mut cases: Vec<(Value, &str, char)> = Vec::new();
    for c in controls {
        let text = format!("Text with {c} inside it");
        cases.push((json!({"message": text}), "message", c));
        cases.push((json!({"message": MESSAGE, "quote": text}), "quote", c));
        cases.push((json!({"message": MESSAGE, "name": text}), "name", c));
        let contact = format!("reader{c}@example.org");
        cases.push((
            json!({"message": MESSAGE, "contact": contact, "consent": true}),
            "contact",
            c,
        ));
        cases.push((
            json!({"message": MESSAGE, "contact": text, "consent": true}),
            "contact",
            c,
        ));
        cases.push((
            json!({"message": MESSAGE, "kind": format!("correction{c}")}),
            "kind",
            c,
        ));
    }
    // Line breaks and tabs end a single-line field.
    for c in ['\n', '\r', '\t'] {
        let text = format!("Text with {c} inside it");
        cases.push((json!({"message": MESSAGE, "name": text}), "name", c));
        cases.push((
            json!({"message": MESSAGE, "contact": text, "consent": true}),
            "contact",
            c,
        ));
    }
    for (body, field, c) in &cases {
        let res = app.post_json(DEMO_ARTICLE, body).await;
        let status = res.status();
        let answer: Value = res.json().await.unwrap();
        assert_fields(status, &answer, &[*field], &format!("{body}"));
        if *field != "kind" {
            let says = answer["fields"][field].as_str().unwrap();
            let named = if matches!(c, '\n' | '\r') {
                "a line break".to_owned()
            } else {
                format!("U+{:04X}", *c as u32)
            };
            assert!(says.contains(&named), "{body}: {says}");
        }
    }

    // Header injection through the reader's name or contact: refused, since
    // both are single lines.
    for hostile in [
        "x\r\nBcc: evil@example.org",
        "reader@example.org\r\nBcc: evil@example.org",
        "reader@example.org\nBcc: evil@example.org",
        "reader@example.org\rBcc: evil@example.org",
        "\r\nBcc: evil@example.org",
        "reader@example.org\r\n",
        "Subject: x\r\n\r\nbody",
    ] {
        for field in ["name", "contact"] {
            let mut body = json!({"message": MESSAGE, "consent": true});
            body[field] = hostile.into();
            let res = app.post_json(DEMO_ARTICLE, &body).await;
            let status = res.status();
            let answer: Value = res.json().await.unwrap();
            assert_fields(status, &answer, &[field], &format!("{body}"));
            assert!(answer["fields"][field]
                .as_str()
                .unwrap()
                .contains("line break"));
        }
    }

    // In the message and the quote, line breaks and tabs are the reader's.
    let text = "First line\r\nsecond line\n\tindented\rold Mac line";
    let res = app
        .post_json(DEMO_ARTICLE, &json!({"message": text, "quote": text}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // The form: every field wrong at once, each says so, the input is kept.
    let res = app
        .submit_form(
            PAGE,
            &[
                ("kind", "other\u{0}"),
                ("message", "Text with \u{1b}[31m an escape sequence"),
                ("quote", "Quote with \u{7f} delete"),
                ("name", "x\r\nBcc: evil@example.org"),
                ("contact", "reader@example.org\r\nBcc: evil@example.org"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    let parsed = Page::parse(&page);
    for field in ["kind", "message", "quote", "name", "contact"] {
        assert!(parsed.field_error(field).is_some(), "{field}");
    }
    assert_eq!(
        textarea(&page, "message").as_deref(),
        Some("Text with \u{1b}[31m an escape sequence")
    );
    let tips = app.tips();
    assert_eq!(tips.len(), 1, "only the tip with line breaks in its text");
    assert_eq!(tips[0].message, text);
    assert_eq!(tips[0].quote.as_deref(), Some(text));
}

async fn markup_in_a_tip_comes_out_escaped_on_every_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let script = "<script>alert(1)</script>";
    let img = "\"><img src=x onerror=alert(1)>";
    let attr = "' onmouseover='alert(1)' x='";
    let entity = "&#60;script&#62; &lt;b&gt; &amp;";
    let message = format!("{script} then {img} then {attr} then {entity}");
    let quote = format!("{img}{script}");
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({
                "kind": "correction",
                "message": message,
                "quote": quote,
                "name": script,
                "contact": img,
                "consent": true,
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = app.jobs().last().unwrap().tip_id;
    let stored = &app.tips()[0];
    assert_eq!(stored.message, message);
    assert_eq!(stored.contact.as_deref(), Some(img));

    let password = add_user(&app, "admin@example.org", "admin", &[]);
    let desk = DeskClient::new(&app);
    assert_eq!(
        desk.login("admin@example.org", &password).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = desk.get(&format!("/desk/tips/{id}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = Page::of(page).await;
    let shown = desk.post(&format!("/desk/tips/{id}/contact"), &[]).await;
    assert_eq!(shown.status(), StatusCode::OK);
    let shown = Page::of(shown).await;
    // Escaping is about the source: no raw markup in it. What a browser
    // reads back is the text exactly as sent (entities too, undecoded).
    let no_markup = "main script, main img, main [onmouseover], main [onerror]";
    for (what, page) in [("tip page", &page), ("contact shown", &shown)] {
        for raw in [script, img, "<img", "<script>alert", attr] {
            assert!(!page.source().contains(raw), "{what} has raw {raw:?}");
        }
        assert_eq!(page.count(no_markup), 0, "{what}");
        assert_eq!(page.text("div.message").as_ref(), Some(&message), "{what}");
        assert_eq!(
            page.text("blockquote.quoted").as_ref(),
            Some(&quote),
            "{what}"
        );
        assert!(page.has_text("main p span[dir=auto]", script), "{what}");
    }
    assert_eq!(
        shown.text("#contact-value").as_deref(),
        Some(img),
        "the contact, escaped"
    );

    // The queue echoes the search box; that is escaped too.
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", img)
        .append_pair("article", script)
        .finish();
    let queue = desk.get(&format!("/desk/tips?{query}")).await;
    assert!(!queue.status().is_server_error());
    let queue = Page::of(queue).await;
    assert!(!queue.source().contains(img) && !queue.source().contains(script));
    assert_eq!(queue.count(no_markup), 0);
    assert_eq!(queue.field("q").as_deref(), Some(img));
    assert_eq!(queue.field("article").as_deref(), Some(script));

    // The form shown again after a refusal keeps the markup as text.
    let res = app
        .submit_form(
            PAGE,
            &[
                ("message", message.as_str()),
                ("quote", &quote),
                ("name", img),
                ("contact", "a@b@c"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let form = Page::of(res).await;
    for raw in [script, img, "<img", "<script>alert", attr] {
        assert!(!form.source().contains(raw), "the form has raw {raw:?}");
    }
    assert_eq!(form.count(no_markup), 0);
    assert_eq!(form.field("message").as_ref(), Some(&message));
    assert_eq!(form.field("name").as_deref(), Some(img));
    assert_eq!(app.tips().len(), 1);
}

async fn json_of_every_wrong_shape_gets_a_4xx(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let wrong = [
        json!([]),
        json!(["a tip that is long enough"]),
        json!(0),
        json!(1),
        json!(-1.5),
        json!(1e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!({}),
        json!({"message": "a tip that is long enough"}),
        json!(true),
        json!(false),
    ];
    let mut requests: Vec<(Value, Vec<&str>)> = Vec::new();
    for field in ["kind", "message", "quote", "name", "contact"] {
        for value in &wrong {
            let mut body = json!({"message": MESSAGE});
            body[field] = value.clone();
            requests.push((body, vec![field]));
        }
    }
    for value in wrong
        .iter()
        .cloned()
        .chain(["true", "on", "yes", "1", ""].map(Value::from))
        .filter(|v| !v.is_boolean())
    {
        requests.push((
            json!({"message": MESSAGE, "contact": "@reader", "consent": value}),
            vec!["consent"],
        ));
    }
    // Every field wrong at once: every field named.
    requests.push((
        json!({"kind": 1, "message": [], "quote": {}, "name": false, "contact": 2.5, "consent": "true"}),
        vec!["kind", "message", "quote", "name", "contact", "consent"],
    ));
    // Not an object at all.
    for top in [
        json!([]),
        json!([{"message": MESSAGE}]),
        json!("message"),
        json!(42),
        json!(true),
        json!(null),
    ] {
        requests.push((top, vec!["body"]));
    }
    // Deeply nested: as the message, and as the whole body.
    let mut deep = json!(MESSAGE);
    for _ in 0..100 {
        deep = json!({ "message": deep });
    }
    requests.push((json!({"message": deep.clone()}), vec!["message"]));
    requests.push((deep, vec!["message"]));
    let mut deep_array = json!(MESSAGE);
    for _ in 0..100 {
        deep_array = json!([deep_array]);
    }
    requests.push((deep_array.clone(), vec!["body"]));
    requests.push((
        json!({"message": MESSAGE, "name": deep_array}),
        vec!["name"],
    ));

    for (body, fields) in &requests {
        let res = app.post_json(DEMO_ARTICLE, body).await;
        let status = res.status();
        let answer: Value = res.json().await.unwrap();
        let what = body.to_string();
        assert_fields(status, &answer, fields, &what[..what.len().min(200)]);
    }
    assert!(app.tips().is_empty());

    // `null` is the same as leaving a field out.
    for field in ["kind", "quote", "name", "contact", "consent"] {
        let mut body = json!({"message": MESSAGE});
        body[field] = Value::Null;
        let res = app.post_json(DEMO_ARTICLE, &body).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{body}");
    }
    let res = app.post_json(DEMO_ARTICLE, &json!({"message": null})).await;
    assert_fields(
        res.status(),
        &res.json().await.unwrap(),
        &["message"],
        "null message",
    );
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": MESSAGE, "contact": "@reader", "consent": null}),
        )
        .await;
    assert_fields(
        res.status(),
        &res.json().await.unwrap(),
        &["consent"],
        "null consent",
    );
    assert_eq!(app.tips().len(), 5);

    // Bodies that are not JSON, or not JSON the parser will take.
    let deeper_than_the_parser_goes = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let nested_objects = format!(
        "{}\"{MESSAGE}\"{}",
        "{\"message\":".repeat(200),
        "}".repeat(200)
    );
    for body in [
        String::new(),
        " ".into(),
        "\u{feff}{\"message\":\"a byte-order mark before the object\"}".into(),
        "{\"message\":".into(),
        "{\"message\":\"unterminated".into(),
        "{'message':'single quotes'}".into(),
        "{message:\"bare key\"}".into(),
        "{\"message\":\"trailing comma is not JSON\",}".into(),
        "{\"message\":\"two objects\"}{\"message\":\"in one body\"}".into(),
        "{\"message\":NaN}".into(),
        "{\"message\":Infinity}".into(),
        "{\"message\":1e400}".into(),
        "{\"message\":-}".into(),
        "{\"message\":\"a raw \u{1} control in a JSON string\"}".into(),
        "{\"message\":\"an invalid escape \\x41\"}".into(),
        "{\"message\":\"a short escape \\u41\"}".into(),
        "null garbage".into(),
        "/* comment */ {}".into(),
        deeper_than_the_parser_goes,
        nested_objects,
    ] {
        let res = post_raw(&app, "application/json", body.clone()).await;
        let status = res.status();
        let what = &body[..body.len().min(80)];
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["error"], "bad_request", "{what}");
    }

    // Duplicate keys, at any depth: refused by name, nothing stored.
    let before = app.tips().len();
    for (body, key) in [
        (
            format!("{{\"message\":5,\"message\":\"{MESSAGE}\"}}"),
            "message",
        ),
        (
            format!("{{\"message\":\"{MESSAGE}\",\"message\":5}}"),
            "message",
        ),
        (
            format!("{{\"message\":\"{MESSAGE}\",\"kind\":\"other\",\"kind\":\"correction\"}}"),
            "kind",
        ),
        (
            format!("{{\"message\":\"{MESSAGE}\",\"x\":[{{\"a\":1,\"a\":2}}]}}"),
            "a",
        ),
    ] {
        let res = post_raw(&app, "application/json", body.clone()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["error"], "bad_request", "{body}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("duplicate key `{key}`")),
            "{body}: {message}"
        );
    }
    assert_eq!(app.tips().len(), before, "no tip from an ambiguous body");

    // Unknown members are ignored, however many or strange.
    let mut crowded = Map::new();
    for i in 0..2_000 {
        crowded.insert(format!("extra{i}"), json!([i, {"x": null}]));
    }
    crowded.insert("\u{0}".into(), json!(1));
    crowded.insert("__proto__".into(), json!({"admin": true}));
    crowded.insert("message".into(), json!(MESSAGE));
    let res = app.post_json(DEMO_ARTICLE, &Value::Object(crowded)).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Content types: JSON ones are read as JSON, multipart as multipart
    // (a JSON body under that type is no multipart body: 400, naming the
    // part), anything else is a 415.
    let body = json!({"message": MESSAGE}).to_string();
    for (content_type, expected) in [
        ("application/json; charset=utf-8", StatusCode::CREATED),
        ("application/JSON", StatusCode::CREATED),
        ("application/merge-patch+json", StatusCode::CREATED),
        ("text/plain", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ("multipart/form-data; boundary=x", StatusCode::BAD_REQUEST),
        ("application/jsonx", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("json", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("%%%; ;;", StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let res = post_raw(&app, content_type, body.clone()).await;
        assert_eq!(res.status(), expected, "{content_type}");
    }
    let res = app
        .client
        .post(app.url(API))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "no content type"
    );
}

async fn a_form_field_sent_twice_is_refused_by_name_and_the_text_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = format!("/articles/{DEMO_ARTICLE}/tip");
    let token = app.form_token(&page).await;
    let first = "What I wrote first: the bridge closed at noon, not at ten.";
    let body = serde_urlencoded::to_string([
        ("message", first),
        ("name", "Ahmad Zia"),
        ("contact", "+93 70 123 4567"),
        ("consent", "on"),
        (
            "message",
            "A second message field, added by something in between.",
        ),
        ("form_token", token.as_str()),
    ])
    .unwrap();
    let res = app
        .client
        .post(app.url(&page))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    // The field's name is isolated (U+2068…U+2069) inside the sentence.
    assert!(
        Page::parse(&html)
            .error_summary()
            .iter()
            .any(|p| p.contains("field “\u{2068}message\u{2069}” twice")),
        "{html}"
    );
    assert_eq!(textarea(&html, "message").as_deref(), Some(first));
    let input = |name: &str| field(&html, name);
    assert_eq!(input("name").as_deref(), Some("Ahmad Zia"));
    assert_eq!(input("contact").as_deref(), Some("+93 70 123 4567"));
    assert!(
        app.tips().is_empty(),
        "nothing stored from an ambiguous form"
    );

    // A desk form likewise, by name (here the login form's email).
    let res = app
        .client
        .post(app.url("/desk/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a%40example.org&password=x&email=b%40example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = Page::of(res).await;
    assert!(
        page.has_text("p.notice", "field “\u{2068}email\u{2069}” more than once"),
        "{}",
        page.source()
    );
}

async fn lengths_are_counted_in_characters_at_every_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let n = |c: &str, count: usize| c.repeat(count);
    // Four-byte characters: a limit in bytes would refuse these.
    let limits = [
        ("message", 10_000, "😀"),
        ("quote", 2_000, "𠜎"),
        ("name", 200, "ش"),
        ("contact", 254, "ж"),
    ];
    for (field, max, unit) in limits {
        for (count, ok) in [(max, true), (max + 1, false)] {
            let mut body = json!({"message": MESSAGE, "consent": true});
            body[field] = n(unit, count).into();
            let res = app.post_json(DEMO_ARTICLE, &body).await;
            let status = res.status();
            if ok {
                assert_eq!(status, StatusCode::CREATED, "{field} × {count}");
            } else {
                let answer: Value = res.json().await.unwrap();
                assert_fields(status, &answer, &[field], &format!("{field} × {count}"));
                assert!(answer["fields"][field]
                    .as_str()
                    .unwrap()
                    // In English, with English digit grouping: "10,001".
                    .contains(&format!(
                        "{} characters",
                        tipdesk::i18n::catalog().source().number(count as i64)
                    )));
            }
        }
    }
    // Decomposed characters count each code point, as sent.
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": MESSAGE, "name": n("e\u{301}", 101)}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The minimum counts what is left once the ends are trimmed.
    for (text, ok) in [
        ("\u{3000}  123456789  \u{3000}", false),
        ("\n\n\t123456789\r\n", false),
        ("\u{a0}1234567890\u{a0}", true),
        ("😀😀😀😀😀😀😀😀😀😀", true),
        ("😀😀😀😀😀😀😀😀😀", false),
    ] {
        let res = app.post_json(DEMO_ARTICLE, &json!({"message": text})).await;
        let expected = if ok {
            StatusCode::CREATED
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(res.status(), expected, "{text:?}");
    }

    // The largest valid tip fits the body limit in both encodings, even
    // in characters that take twelve bytes each once form-encoded.
    let (message, quote, name, contact) =
        (n("😀", 10_000), n("𠜎", 2_000), n("🇦", 200), n("👍", 254));
    let res = app
        .submit_form(
            PAGE,
            &[
                ("kind", "correction"),
                ("message", &message),
                ("quote", &quote),
                ("name", &name),
                ("contact", &contact),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": message, "quote": quote, "name": name, "contact": contact, "consent": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let tips = app.tips();
    for tip in &tips[tips.len() - 2..] {
        assert_eq!(tip.message, message);
        assert_eq!(tip.quote.as_deref(), Some(quote.as_str()));
        assert_eq!(tip.name.as_deref(), Some(name.as_str()));
        assert_eq!(tip.contact.as_deref(), Some(contact.as_str()));
    }

    // Far past the limit: 413, in both, and nothing stored.
    let before = app.tips().len();
    let huge = n("x", 300_000);
    let res = app.post_json(DEMO_ARTICLE, &json!({"message": huge})).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = app.post_form(PAGE, &[("message", &huge)]).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.tips().len(), before);
}

/// An app with one tip and a signed-in admin: the tip's id, the admin's
/// client and password.
async fn desk_with_a_tip(app: &TestApp) -> (i64, DeskClient, String) {
    let res = app
        .post_json(DEMO_ARTICLE, &json!({"message": MESSAGE}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = app.jobs().last().unwrap().tip_id;
    let password = add_user(app, "admin@example.org", "admin", &[]);
    let desk = DeskClient::new(app);
    assert_eq!(
        desk.login("admin@example.org", &password).await.status(),
        StatusCode::SEE_OTHER
    );
    (id, desk, password)
}

/// GETs `/desk/tips?FIELD=VALUE` for every pair; returns those answered
/// with a 5xx.
async fn queue_5xx(desk: &DeskClient, values: &[String], fields: &[&str]) -> Vec<String> {
    let mut paths = Vec::new();
    for value in values {
        for field in fields {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(field, value)
                .finish();
            paths.push(format!("/desk/tips?{query}"));
        }
    }
    stream::iter(paths)
        .map(|path| async move {
            let status = desk.get(&path).await.status();
            status
                .is_server_error()
                .then(|| format!("GET {path} -> {status}"))
        })
        .buffer_unordered(IN_FLIGHT)
        .filter_map(|failed| async move { failed })
        .collect()
        .await
}

const QUEUE_FIELDS: [&str; 9] = [
    "q", "article", "desk", "kind", "status", "assignee", "from", "to", "before",
];

async fn desk_filters_notes_labels_and_login_take_hostile_text_without_a_5xx(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let (id, desk, password) = desk_with_a_tip(&app).await;

    let mut values: Vec<String> = naughty_strings().into_iter().step_by(12).collect();
    values.extend(
        [
            "%",
            "_",
            "\\",
            "%_\\%",
            "' OR 1=1 --",
            "+262143-12-31",
            "0000-01-01",
            "9999-12-31",
            "2026-02-30",
            "99999999999999999999",
            "-9223372036854775808",
        ]
        .map(str::to_owned),
    );
    values.push("ж".repeat(2_000));
    // Every 5xx, from every part, is listed at the end.
    let mut failed = queue_5xx(&desk, &values, &QUEUE_FIELDS).await;

    // Notes and labels on a tip.
    for value in values.iter().step_by(3) {
        for (path, field) in [("notes", "body"), ("labels", "labels")] {
            let res = desk
                .post(
                    &format!("/desk/tips/{id}/{path}"),
                    &[(field, value.as_str())],
                )
                .await;
            if res.status().is_server_error() {
                failed.push(format!("POST {path} {field}={value:?} -> {}", res.status()));
            }
        }
    }

    // The login form (each attempt costs a password hash: a few only).
    let long = "ж".repeat(2_000);
    for value in [
        "%",
        "' OR 1=1 --",
        "<script>",
        "\u{202e}admin@example.org",
        &long,
    ] {
        let anon = DeskClient::new(&app);
        for (email, pass) in [(value, "whatever"), ("admin@example.org", value)] {
            let res = anon.login(email, pass).await;
            if res.status().is_server_error() {
                failed.push(format!(
                    "POST /desk/login email={email:?} password={pass:?} -> {}",
                    res.status()
                ));
            }
        }
    }

    // Where to go after a login: only ever a desk page, whatever `next` says.
    for next in [
        "/desk/\r\nSet-Cookie: session=evil",
        "/desk/\nLocation: https://evil.example",
        "/desk/\u{0}",
        "/desk/\u{7f}",
        "/desk/tips?q=ü",
        "https://evil.example/desk/",
        "//evil.example/desk/",
        "/\\evil.example/desk/",
        "/desk/../../\\evil.example",
    ] {
        let anon = DeskClient::new(&app);
        let page = anon.get("/desk/login").await.text().await.unwrap();
        let csrf = field(&page, "csrf_token").unwrap();
        let res = anon
            .client
            .post(app.url("/desk/login"))
            .form(&[
                ("email", "admin@example.org"),
                ("password", password.as_str()),
                ("csrf_token", csrf.as_str()),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
        let local = location
            .as_deref()
            .is_none_or(|l| l.starts_with("/desk/") && !l.contains(['\r', '\n', '\\']));
        if status.is_server_error() || !local {
            failed.push(format!(
                "POST /desk/login next={next:?} -> {status} {location:?}"
            ));
        }
    }
    assert!(failed.is_empty(), "5xx for: {failed:#?}");
}

/// PostgreSQL refuses NUL in text and dates before 4713 BC: the desk must
/// turn those away itself rather than pass them on and fail.
async fn nul_bytes_and_ancient_dates_in_desk_input_are_not_a_5xx(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let (_, desk, _) = desk_with_a_tip(&app).await;
    let values = ["\u{0}", "a\u{0}b", "-4714-01-01", "-262143-01-01"].map(str::to_owned);
    let mut failed = queue_5xx(&desk, &values, &QUEUE_FIELDS).await;
    for email in ["\u{0}", "a\u{0}b@example.org"] {
        let res = DeskClient::new(&app).login(email, "whatever").await;
        if res.status().is_server_error() {
            failed.push(format!(
                "POST /desk/login email={email:?} -> {}",
                res.status()
            ));
        }
    }
    assert!(failed.is_empty(), "5xx for: {failed:#?}");
}

async fn the_openapi_document_is_served_and_states_the_parsers_limits(backend: Backend) {
    use tipdesk::domain::{ArticleId, Contact, Quote, ReaderName, TipKind, TipMessage};

    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let tips = &doc["paths"]["/api/v1/articles/{article_id}/tips"];
    let op = &tips["post"];
    assert!(op.is_object(), "the tips operation is described");
    assert!(doc["paths"]["/api/v1/openapi.json"]["get"].is_object());

    // What it says matches what the parsers enforce.
    let param = &tips["parameters"][0]["schema"];
    assert_eq!(param["maxLength"], ArticleId::MAX_LEN);
    assert_eq!(param["pattern"], "^[A-Za-z0-9._-]{1,128}$");
    let tip = &doc["components"]["schemas"]["TipRequest"]["properties"];
    let kinds: Vec<&str> = tip["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // Every kind, and "" (which, like null, means the default).
    let mut want = TipKind::ALL.map(TipKind::as_str).to_vec();
    want.push("");
    assert_eq!(kinds, want);
    assert_eq!(tip["message"]["minLength"], TipMessage::MIN_CHARS);
    assert_eq!(tip["message"]["maxLength"], TipMessage::MAX_CHARS);
    // Optional fields: blank (counts as none, any length), or within limits.
    assert_eq!(tip["quote"]["anyOf"][1]["maxLength"], Quote::MAX_CHARS);
    assert_eq!(tip["name"]["anyOf"][1]["maxLength"], ReaderName::MAX_CHARS);
    assert_eq!(tip["contact"]["anyOf"][1]["maxLength"], Contact::MAX_CHARS);

    // Every answer the API gives is documented, with the documented body.
    let codes: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let answers = [
        app.post_json(DEMO_ARTICLE, &json!({"message": MESSAGE}))
            .await,
        post_raw(&app, "application/json", "{").await,
        app.post_json("no-such-story", &json!({"message": MESSAGE}))
            .await,
        app.post_json(DEMO_ARTICLE, &json!({"message": "x".repeat(300_000)}))
            .await,
        post_raw(&app, "text/plain", "{}").await,
        app.post_json(DEMO_ARTICLE, &json!({"message": "short"}))
            .await,
    ];
    for res in answers {
        let status = res.status().as_str().to_owned();
        assert!(
            op["responses"][&status].is_object(),
            "{status} is documented"
        );
        assert!(res.headers().contains_key("x-request-id"));
        let body: Value = res.json().await.unwrap();
        if status == "201" {
            assert!(body["reference"].is_string() && body["message"].is_string());
        } else {
            assert!(codes.contains(&body["error"].as_str().unwrap()), "{body}");
            assert!(body["message"].is_string() && body["request_id"].is_string());
        }
    }
    for status in ["429", "503"] {
        assert!(op["responses"][status]["headers"]["Retry-After"].is_object());
    }
    // A browser's preflight from an origin not allowed: refused, as documented.
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(API))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(tips["options"]["responses"]["403"].is_object());
}

crate::both_backends!(
    every_naughty_string_in_every_field_is_stored_exactly_or_refused_by_name,
    malformed_utf8_is_refused_with_400_and_nothing_is_stored,
    control_characters_are_refused_in_every_field_by_name,
    markup_in_a_tip_comes_out_escaped_on_every_page,
    json_of_every_wrong_shape_gets_a_4xx,
    a_form_field_sent_twice_is_refused_by_name_and_the_text_kept,
    lengths_are_counted_in_characters_at_every_limit,
    desk_filters_notes_labels_and_login_take_hostile_text_without_a_5xx,
    nul_bytes_and_ancient_dates_in_desk_input_are_not_a_5xx,
    the_openapi_document_is_served_and_states_the_parsers_limits,
);
