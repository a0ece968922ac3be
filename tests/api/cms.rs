//! `PUT`/`DELETE /api/v1/articles/{id}`: the newsroom's CMS keeps
//! tipdesk's articles up to date, with a bearer token from
//! `articles.api_tokens`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const OLD_TOKEN: &str = "old-cms-token-old-cms-token-000001";
const TOKEN: &str = "cms-token-cms-token-cms-token-000002";

/// An app whose CMS may call with either token (mid-rotation), with a
/// Sport desk, articles on news.example only.
async fn app_with_cms(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.articles.api_tokens = vec![OLD_TOKEN.to_owned().into(), TOKEN.to_owned().into()];
        s.articles.allowed_hosts = vec!["news.example".into()];
        add_desk(s, "sport", "Sport", "sport@example.org");
    })
    .await
}

async fn put(app: &TestApp, id: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = app
        .client
        .put(app.url(&format!("/api/v1/articles/{id}")))
        .json(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.expect("PUT")
}

async fn delete(app: &TestApp, id: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .delete(app.url(&format!("/api/v1/articles/{id}")));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.expect("DELETE")
}

fn derby(section: &str) -> Value {
    json!({
        "title": "Derby ends in a draw",
        "url": "https://news.example/sport/derby",
        "section": section,
        "language": "fa",
    })
}

async fn the_cms_adds_updates_and_retires_an_article(backend: Backend) {
    let app = app_with_cms(backend).await;

    let res = put(&app, "derby", Some(TOKEN), &derby("International")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"id": "derby", "result": "added"}));
    let page = app.get("/articles/derby/tip").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert_eq!(
        Page::parse(&page).text("p.article a").as_deref(),
        Some("Derby ends in a draw")
    );
    assert_eq!(html_lang_dir(&page).0, "fa", "the article's language");

    // The same again changes nothing; a new section is an update, and
    // the next tip goes to the section's desk (the old token still works
    // while the newsroom rotates).
    let res = put(&app, "derby", Some(TOKEN), &derby("International")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["result"], "unchanged");
    let res = put(&app, "derby", Some(OLD_TOKEN), &derby("Sport")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["result"], "updated");
    send_tip(
        &app,
        "derby",
        json!({"message": "The derby was played on Sunday."}),
    )
    .await;
    assert_eq!(app.jobs().last().unwrap().recipient, "sport@example.org");
    app.worker().drain().await.unwrap();

    // Retired: the form and the API answer 410; the tip stays.
    assert_eq!(
        delete(&app, "derby", Some(TOKEN)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&app, "derby", Some(TOKEN)).await.status(),
        StatusCode::NO_CONTENT
    );
    let en = tipdesk::i18n::catalog().get("en").unwrap();
    let res = app.get("/articles/derby/tip?lang=en").await;
    assert_eq!(res.status(), StatusCode::GONE);
    let page = Page::parse(&res.text().await.unwrap());
    assert!(page
        .text(".notice")
        .unwrap()
        .contains(&en.t("error-article-retired")));
    let res = app
        .post_json(
            "derby",
            &json!({"message": "Another thing about the derby."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "gone");
    let res = app
        .post_form(
            "/embed/articles/derby/tip",
            &[("message", "And one more thing, via the form.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert_eq!(app.tips().len(), 1, "the tip sent before is kept");
    // A retired article leaves the landing page's list.
    let landing = app.get("/").await.text().await.unwrap();
    assert!(!landing.contains("Derby ends in a draw"));

    // Only the CMS brings it back.
    let res = put(&app, "derby", Some(TOKEN), &derby("Sport")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["result"], "updated");
    assert_eq!(
        app.get("/articles/derby/tip").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        delete(&app, "never-known", Some(TOKEN)).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The 410 page says why in whichever language the reader reads.
async fn a_retired_articles_form_says_so_in_every_language(backend: Backend) {
    let app = app_with_cms(backend).await;
    assert_eq!(
        put(&app, "derby", Some(TOKEN), &derby("Sport"))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        delete(&app, "derby", Some(TOKEN)).await.status(),
        StatusCode::NO_CONTENT
    );
    for locale in tipdesk::i18n::catalog().all() {
        let res = app
            .get(&format!("/articles/derby/tip?lang={}", locale.tag()))
            .await;
        assert_eq!(res.status(), StatusCode::GONE, "{}", locale.tag());
        let html = res.text().await.unwrap();
        assert_eq!(html_lang_dir(&html).0, locale.tag());
        let page = Page::parse(&html);
        assert!(
            page.text(".notice")
                .unwrap()
                .contains(&locale.t("error-article-retired")),
            "{}: {html}",
            locale.tag()
        );
    }
}

async fn wrong_and_missing_tokens_are_refused(backend: Backend) {
    let app = app_with_cms(backend).await;
    let wrong = "cms-token-cms-token-cms-token-000003";
    for token in [None, Some(wrong), Some("")] {
        let res = put(&app, "derby", token, &derby("Sport")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
        assert!(body["message"].as_str().unwrap().contains("Bearer"));
    }
    // Another scheme with the right token is not a bearer token.
    let res = app
        .client
        .put(app.url("/api/v1/articles/derby"))
        .basic_auth("cms", Some(TOKEN))
        .json(&derby("Sport"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/articles/derby/tip").await.status(),
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        put(&app, "derby", Some(TOKEN), &derby("Sport"))
            .await
            .status(),
        StatusCode::CREATED
    );
    for token in [None, Some(wrong)] {
        assert_eq!(
            delete(&app, "derby", token).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.get("/articles/derby/tip").await.status(),
        StatusCode::OK
    );

    // With no tokens configured, nobody gets in.
    let closed = TestApp::spawn(backend).await;
    let res = put(&closed, "derby", Some(TOKEN), &derby("Sport")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn bad_fields_are_answered_with_a_field_map(backend: Backend) {
    let app = app_with_cms(backend).await;
    let fields = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v["fields"].as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let cases = [
        (
            "derby",
            json!({"title": "Two\nlines", "url": "ftp://news.example/x", "section": " ", "language": "not a tag"}),
            vec!["language", "section", "title", "url"],
        ),
        (
            "derby",
            json!({"title": "Fine", "url": "https://elsewhere.example/derby", "section": "Sport"}),
            vec!["url"],
        ),
        (
            "derby",
            json!({"title": 7, "language": 3}),
            vec!["language", "section", "title", "url"],
        ),
        ("derby", json!(["not", "an", "object"]), vec!["body"]),
        ("bad%20id", derby("Sport"), vec!["id"]),
    ];
    for (id, body, expected) in cases {
        let res = put(&app, id, Some(TOKEN), &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["error"], "validation_failed");
        assert_eq!(fields(&answer), expected, "{body}");
    }
    let res = put(
        &app,
        "derby",
        Some(TOKEN),
        &json!({"title": "Fine", "url": "https://elsewhere.example/derby", "section": "Sport"}),
    )
    .await;
    let answer: Value = res.json().await.unwrap();
    let message = answer["fields"]["url"].as_str().unwrap();
    assert!(
        message.contains("elsewhere.example") && message.contains("articles.allowed_hosts"),
        "{message}"
    );
    assert_eq!(
        app.get("/articles/derby/tip").await.status(),
        StatusCode::NOT_FOUND
    );
}

crate::both_backends!(
    the_cms_adds_updates_and_retires_an_article,
    a_retired_articles_form_says_so_in_every_language,
    wrong_and_missing_tokens_are_refused,
    bad_fields_are_answered_with_a_field_map,
);
