//! What every route shares at the HTTP level (issue 12): `HEAD` wherever
//! `GET` is answered, `Cache-Control: no-store` on whatever echoes a reader
//! or names a tip, a 400 page naming a query parameter that cannot be
//! read, a bound on the time a body may take, and CORS that lets a
//! newsroom's script read `Retry-After`.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tipdesk::i18n::{self, Msg};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Sends `request` as written on a fresh connection and returns all the
/// server sent until it closed the connection (or `wait` passed), and
/// whether it closed it.
async fn raw(app: &TestApp, request: &[u8], wait: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    read_until_closed(&mut stream, wait).await
}

async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

async fn every_get_route_answers_head(backend: Backend) {
    let app = newsroom(backend).await;
    let desk = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    let paths = [
        "/",
        "/healthz",
        "/readyz",
        "/static/tipdesk.css",
        "/favicon.svg",
        "/favicon.ico",
        "/embed.js",
        "/embed-frame.js",
        "/api/v1/openapi.json",
        &format!("/articles/{DEMO_ARTICLE}/tip"),
        &format!("/embed/articles/{DEMO_ARTICLE}/tip"),
        "/articles/no-such-article/tip",
        "/follow-up",
        "/embed/follow-up",
        "/desk",
        "/desk/login",
        "/desk/tips",
        "/desk/tips?status=new",
        "/desk/tips/999999",
        "/nowhere",
        // POST only: HEAD is refused as GET is.
        "/follow-up/messages",
    ];
    // Headers that are the same on every answer to the same address.
    const SAME: [&str; 7] = [
        "content-type",
        "content-length",
        "cache-control",
        "content-security-policy",
        "x-frame-options",
        "location",
        "access-control-allow-origin",
    ];
    for path in paths {
        let get = desk.get(path).await;
        let head = desk
            .client
            .head(format!("{}{path}", desk.base))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        for name in SAME {
            assert_eq!(
                header(&head, name),
                header(&get, name),
                "HEAD {path}: {name}"
            );
        }
    }
    for (path, status) in [
        ("/healthz", StatusCode::OK),
        ("/", StatusCode::OK),
        ("/static/tipdesk.css", StatusCode::OK),
        ("/desk/tips", StatusCode::SEE_OTHER),
        ("/nowhere", StatusCode::NOT_FOUND),
        ("/follow-up/messages", StatusCode::METHOD_NOT_ALLOWED),
    ] {
        let res = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), status, "HEAD {path} without a session");
    }
    // On the wire: the headers (with the GET's length) and not one byte
    // of body.
    let css_length = app
        .get("/static/tipdesk.css")
        .await
        .bytes()
        .await
        .unwrap()
        .len();
    let (answer, _) = raw(
        &app,
        b"HEAD /static/tipdesk.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(10),
    )
    .await;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {css_length}")),
        "{head}"
    );
    assert_eq!(body, "", "HEAD has no body");
}

async fn answers_that_echo_a_reader_or_name_a_tip_are_never_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let form = format!("/articles/{DEMO_ARTICLE}/tip");
    let embed = format!("/embed/articles/{DEMO_ARTICLE}/tip");
    let message = "The bridge in the photo was closed on Monday, not Tuesday.";
    let mut answers = Vec::new();
    for path in [&form, &embed] {
        // Refused (no consent): the form again, with the name and contact.
        let refused = app
            .submit_form(
                path,
                &[
                    ("message", message),
                    ("name", "Nargis Reader"),
                    ("contact", "nargis@example.org"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        answers.push((format!("refused form at {path}"), refused));
        let duplicate = app
            .post_form(path, &[("message", message), ("message", "again")])
            .await;
        assert_eq!(duplicate.status(), StatusCode::BAD_REQUEST, "{path}");
        answers.push((format!("a field sent twice at {path}"), duplicate));
        let thanks = app
            .submit_form(
                path,
                &[
                    ("message", message),
                    ("consent", "yes"),
                    ("kind", "correction"),
                ],
            )
            .await;
        assert_eq!(thanks.status(), StatusCode::OK, "{path}");
        answers.push((format!("thank-you page at {path}"), thanks));
    }
    let created = app
        .post_json(DEMO_ARTICLE, &json!({ "message": message }))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        header(&created, "cache-control").as_deref(),
        Some("no-store"),
        "API 201"
    );
    let receipt = created.json::<serde_json::Value>().await.unwrap()["receipt"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips"));
    let invalid = app
        .post_json(DEMO_ARTICLE, &json!({ "message": "x", "name": "Nargis" }))
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    answers.push(("API 422".into(), invalid));
    let wrong_type = app
        .client
        .post(&api)
        .header("content-type", "application/json")
        .body(r#"{"message": "my words", "message": "my words again"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
    answers.push(("API 400".into(), wrong_type));
    for (path, fields) in [
        ("/follow-up", vec![("receipt", receipt.as_str())]),
        ("/embed/follow-up", vec![("receipt", receipt.as_str())]),
        (
            "/follow-up",
            vec![("receipt", "0000 0000 0000 0000"), ("message", message)],
        ),
        (
            "/follow-up/messages",
            vec![
                ("receipt", receipt.as_str()),
                ("message", "One more detail."),
            ],
        ),
    ] {
        let res = app.post_form(path, &fields).await;
        answers.push((format!("POST {path} ({})", res.status()), res));
    }
    for (path, body) in [
        ("/api/v1/follow-up", json!({ "receipt": receipt })),
        (
            "/api/v1/follow-up",
            json!({ "receipt": "0000 0000 0000 0000" }),
        ),
        (
            "/api/v1/follow-up/messages",
            json!({ "receipt": receipt, "message": "And one more." }),
        ),
    ] {
        let res = app
            .client
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        answers.push((format!("POST {path} ({})", res.status()), res));
    }
    for (what, res) in &answers {
        assert_eq!(
            header(res, "cache-control").as_deref(),
            Some("no-store"),
            "{what}"
        );
    }
    // A blank form names no reader and no tip: caches may keep it.
    let blank = app.get(&form).await;
    assert_ne!(header(&blank, "cache-control").as_deref(), Some("no-store"));
    app.leave_jobs_unsent();
}

/// The 400 page for a query parameter that cannot be read, in the desk's
/// layout and the staff member's language, naming the parameter.
async fn assert_names_parameter(desk: &DeskClient, path: &str, tag: &str, msg: Msg) {
    let res = desk.get(path).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some("text/html; charset=utf-8"),
        "{path}"
    );
    let html = res.text().await.unwrap();
    let page = Page::parse(&html);
    assert_eq!(html_lang_dir(&html).0, tag, "{path}");
    assert!(
        page.count("header.deskbar") == 1,
        "{path}: the desk's layout: {html}"
    );
    let expected = i18n::catalog().get(tag).unwrap().msg(&msg);
    assert_eq!(
        page.text("p.notice").as_deref(),
        Some(expected.as_str()),
        "{path}"
    );
}

async fn a_query_parameter_that_cannot_be_read_is_named_on_the_desks_page(backend: Backend) {
    let app = newsroom(backend).await;
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let unreadable = |p: &str| Msg::new("error-query-unreadable").text("parameter", p);
    let repeated = |p: &str| Msg::new("error-query-repeated").text("parameter", p);
    for (path, msg) in [
        ("/desk/tips?before=abc", unreadable("before")),
        ("/desk/tips?status=new&status=closed", repeated("status")),
        ("/desk/tips?q=bridge&%71=tunnel", repeated("q")),
        ("/desk/audit?before=yesterday", unreadable("before")),
        (
            "/desk/login?next=/desk/tips&next=/desk/audit",
            repeated("next"),
        ),
    ] {
        assert_names_parameter(&admin, path, "en", msg).await;
    }
    let res = admin.post("/desk/locale", &[("locale", "fa")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_names_parameter(&admin, "/desk/tips?before=abc", "fa", unreadable("before")).await;
    assert_names_parameter(
        &admin,
        "/desk/tips?status=new&status=new",
        "fa",
        repeated("status"),
    )
    .await;
    // Without a session, the sign-in page comes first, as for any desk page.
    let res = app.get("/desk/tips?before=abc").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// The slow requests of issue 12, each on a connection of its own.
const SLOW: [(&str, &str); 4] = [
    (
        "shorter than its Content-Length",
        "POST /articles/{A}/tip HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nmessage=only",
    ),
    (
        "chunked, never ending",
        "POST /articles/{A}/tip HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nmessa\r\n",
    ),
    (
        "JSON shorter than its Content-Length",
        "POST /api/v1/articles/{A}/tips HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"message\": ",
    ),
    (
        "follow-up, trickled",
        "POST /follow-up HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\nreceipt=",
    ),
];

async fn a_body_that_never_finishes_gets_408_and_the_connection_closed(backend: Backend) {
    const LIMIT: u64 = 2;
    let app = TestApp::spawn_with(backend, |s| {
        s.server.body_timeout = Duration::from_secs(LIMIT);
    })
    .await;
    let bound = Duration::from_secs(LIMIT + 3);
    for (what, request) in SLOW {
        let request = request.replace("{A}", DEMO_ARTICLE);
        let started = Instant::now();
        let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
            .await
            .unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let trickle = what.contains("trickled");
        let (answer, closed) = if trickle {
            // A byte every 300 ms, for ever: never done, never idle.
            let (mut answer, mut closed) = (String::new(), false);
            while !closed && started.elapsed() < bound {
                let wait = if stream.write_all(b"1").await.is_err() {
                    // Closed while we wrote: read what was said before.
                    Duration::from_secs(1)
                } else {
                    Duration::from_millis(300)
                };
                let (more, now_closed) = read_until_closed(&mut stream, wait).await;
                answer.push_str(&more);
                closed = now_closed;
            }
            (answer, closed)
        } else {
            read_until_closed(&mut stream, bound).await
        };
        let took = started.elapsed();
        assert!(answer.starts_with("HTTP/1.1 408"), "{what}: {answer}");
        assert!(closed, "{what}: the connection is closed");
        assert!(
            took >= Duration::from_secs(LIMIT) && took < bound,
            "{what}: answered after {took:?}"
        );
        let lower = answer.to_ascii_lowercase();
        assert!(lower.contains("connection: close"), "{what}: {answer}");
        if what.starts_with("JSON") {
            assert!(
                answer.contains(r#""error":"body_timeout""#),
                "{what}: {answer}"
            );
        } else {
            assert!(
                lower.contains("content-type: text/html"),
                "{what}: {answer}"
            );
        }
    }
    // The one worker (tests run one) is free again, and nothing was stored.
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(app.tips().is_empty());
    // A body that arrives in time, even in pieces, is taken as ever.
    let body = "message=The+bridge+was+closed+on+Monday.&consent=yes&kind=correction";
    let token = app
        .form_token(&format!("/articles/{DEMO_ARTICLE}/tip"))
        .await;
    let body = format!("{body}&form_token={token}");
    let head = format!(
        "POST /articles/{DEMO_ARTICLE}/tip HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    let (answer, _) = read_until_closed(&mut stream, bound).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(app.tips().len(), 1);
    app.leave_jobs_unsent();
}

async fn a_newsrooms_script_may_read_retry_after(backend: Backend) {
    const ORIGIN: &str = "https://www.newsroom.example";
    let app = TestApp::spawn_with(backend, |s| {
        s.embed.allowed_origins = vec![ORIGIN.into()];
        s.limits.per_client_burst = std::num::NonZeroU32::new(1).unwrap();
        s.limits.per_client_per_minute = std::num::NonZeroU32::new(1).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    let api = app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips"));
    // The preflight allows the header that marks a resend.
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, &api)
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    let allowed = header(&preflight, "access-control-allow-headers").unwrap();
    assert!(allowed.contains("idempotency-key"), "{allowed}");
    let send = || {
        app.client
            .post(&api)
            .header("origin", ORIGIN)
            .header("idempotency-key", "k-1")
            .json(&json!({ "message": "A tip from the newsroom's own front end." }))
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::CREATED);
    let limited = send().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&limited, "retry-after").is_some());
    let exposed = header(&limited, "access-control-expose-headers").unwrap_or_default();
    assert!(
        exposed
            .split(',')
            .any(|h| h.trim().eq_ignore_ascii_case("retry-after")),
        "{exposed:?}"
    );
}

crate::both_backends!(
    every_get_route_answers_head,
    answers_that_echo_a_reader_or_name_a_tip_are_never_stored,
    a_query_parameter_that_cannot_be_read_is_named_on_the_desks_page,
    a_body_that_never_finishes_gets_408_and_the_connection_closed,
    a_newsrooms_script_may_read_retry_after,
);
