//! Security headers on every response (errors included) and CORS for the
//! JSON API only for the newsroom's origins.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const ALLOWED: &str = "https://www.newsroom.example";

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn every_response_carries_the_security_headers(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.embed.allowed_origins = vec![ALLOWED.into()];
        s.limits.per_client_burst = std::num::NonZeroU32::new(1).unwrap();
        s.limits.per_client_per_minute = std::num::NonZeroU32::new(1).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    let message = json!({"message": "A tip that is long enough to be accepted."});
    let accepted = app.post_json(DEMO_ARTICLE, &message).await;
    assert_eq!(accepted.status(), StatusCode::CREATED);
    let limited = app.post_json(DEMO_ARTICLE, &message).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let mut responses = vec![
        (
            "page",
            app.get(&format!("/articles/{DEMO_ARTICLE}/tip")).await,
        ),
        ("landing", app.get("/").await),
        ("404", app.get("/nowhere").await),
        ("css", app.get("/static/tipdesk.css").await),
        ("healthz", app.get("/healthz").await),
        ("desk login", app.get("/desk/login").await),
        ("desk redirect", app.get("/desk/tips").await),
        (
            "413",
            app.post_form(
                &format!("/articles/{DEMO_ARTICLE}/tip"),
                &[("message", &"x".repeat(300_000))],
            )
            .await,
        ),
    ];
    responses.push(("201", accepted));
    responses.push(("429", limited));
    for (what, res) in &responses {
        let csp =
            header(res, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{what}: {csp}"
        );
        assert!(
            !csp.contains("script-src"),
            "{what}: no script allowed at all"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert_eq!(
            header(res, "x-frame-options").as_deref(),
            Some("DENY"),
            "{what}"
        );
        assert_eq!(
            header(res, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            header(res, "referrer-policy").as_deref(),
            Some("no-referrer"),
            "{what}"
        );
        assert_eq!(
            header(res, "cross-origin-opener-policy").as_deref(),
            Some("same-origin"),
            "{what}"
        );
        assert!(header(res, "server").is_none(), "{what}: no server banner");
        assert!(
            header(res, "strict-transport-security").is_none(),
            "{what}: no HSTS over http"
        );
    }
    for what in ["desk login", "desk redirect"] {
        let res = &responses.iter().find(|(w, _)| *w == what).unwrap().1;
        assert_eq!(
            header(res, "cache-control").as_deref(),
            Some("no-store"),
            "{what}"
        );
    }

    // The embed may be framed by the newsroom, and only by it.
    let embed = app
        .get(&format!("/embed/articles/{DEMO_ARTICLE}/tip"))
        .await;
    let csp = header(&embed, "content-security-policy").unwrap();
    assert!(csp.contains(&format!("frame-ancestors {ALLOWED}")), "{csp}");
    assert!(header(&embed, "x-frame-options").is_none());
}

async fn hsts_is_sent_when_served_over_https(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.server.public_url_given = Some("https://tips.newsroom.example".parse().unwrap());
    })
    .await;
    let res = app.get("/").await;
    assert_eq!(
        header(&res, "strict-transport-security").as_deref(),
        Some("max-age=31536000; includeSubDomains")
    );
    // And the session cookie gets its __Host- name and Secure.
    let password = add_user(&app, "admin@example.org", "admin", &[]);
    let desk = DeskClient::new(&app);
    let res = desk.login("admin@example.org", &password).await;
    let cookie = header(&res, "set-cookie").unwrap();
    assert!(cookie.starts_with("__Host-tipdesk_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
}

async fn cors_answers_only_the_newsrooms_origins(backend: Backend) {
    let app =
        TestApp::spawn_with(backend, |s| s.embed.allowed_origins = vec![ALLOWED.into()]).await;
    app.leave_jobs_unsent();
    let api = app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips"));
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, &api)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight(ALLOWED).await.unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(&ok, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    assert_eq!(
        header(&ok, "access-control-allow-methods").as_deref(),
        Some("POST")
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert!(header(&other, "access-control-allow-origin").is_none());

    let body = json!({"message": "A tip from the newsroom's own front end."});
    let res = app
        .client
        .post(&api)
        .header("origin", ALLOWED)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    let res = app
        .client
        .post(&api)
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(header(&res, "access-control-allow-origin").is_none());
    // Pages never get CORS.
    let page = app
        .client
        .get(app.url("/"))
        .header("origin", ALLOWED)
        .send()
        .await
        .unwrap();
    assert!(header(&page, "access-control-allow-origin").is_none());
}

crate::both_backends!(
    every_response_carries_the_security_headers,
    hsts_is_sent_when_served_over_https,
    cors_answers_only_the_newsrooms_origins,
);
