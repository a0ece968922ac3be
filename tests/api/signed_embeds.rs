//! Embeds that carry their article, signed by the CMS with
//! `articles.embed_signing_key`: the first view creates or updates the
//! article; nothing unsigned, tampered or signed for another article does.

use reqwest::StatusCode;
use secrecy::SecretString;
use tipdesk::articles::signed::{sign, Descriptor};

use crate::helpers::*;

const KEY: &str = "embed-signing-key-embed-signing-key-0001";
const TOKEN: &str = "cms-token-cms-token-cms-token-000002";

async fn app_with_key(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.articles.embed_signing_key = Some(SecretString::from(KEY));
        s.articles.api_tokens = vec![TOKEN.to_owned().into()];
        s.articles.allowed_hosts = vec!["news.example".into()];
        add_desk(s, "sport", "Sport", "sport@example.org");
    })
    .await
}

fn derby() -> Descriptor {
    Descriptor::new(
        "Derby ends in a draw",
        "https://news.example/sport/derby",
        "Sport",
        "",
    )
}

/// The embed's address for `id` carrying `d` and the signature `sig`.
fn embed_path(id: &str, d: &Descriptor, sig: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("compact", "1")
        .append_pair("title", &d.title)
        .append_pair("url", &d.url)
        .append_pair("section", &d.section)
        .append_pair("language", &d.language)
        .append_pair("sig", sig)
        .finish();
    format!("/embed/articles/{id}/tip?{query}")
}

fn signed(id: &str, d: &Descriptor) -> String {
    embed_path(id, d, &sign(&SecretString::from(KEY), id, d))
}

/// The title the form for `id` shows, or its status when there is none.
async fn form_title(app: &TestApp, path: &str) -> Result<String, StatusCode> {
    let res = app.get(path).await;
    if res.status() != StatusCode::OK {
        return Err(res.status());
    }
    let page = Page::parse(&res.text().await.unwrap());
    Ok(page.text("title").unwrap())
}

async fn a_signed_embed_creates_its_article_and_routes_by_its_section(backend: Backend) {
    let app = app_with_key(backend).await;
    let title = form_title(&app, &signed("derby-live", &derby()))
        .await
        .unwrap();
    assert!(title.contains("Derby ends in a draw"), "{title}");
    // The article is stored: the plain form and the API know it now.
    let plain = form_title(&app, "/articles/derby-live/tip").await.unwrap();
    assert!(plain.contains("Derby ends in a draw"));
    send_tip(
        &app,
        "derby-live",
        serde_json::json!({"message": "The second goal was offside."}),
    )
    .await;
    assert_eq!(app.jobs().last().unwrap().recipient, "sport@example.org");
    app.worker().drain().await.unwrap();

    // The CMS edits the title: the next signed view carries it.
    let mut edited = derby();
    edited.title = "Derby ends in a draw after a late goal".into();
    edited.language = "fa".into();
    let res = app.get(&signed("derby-live", &edited)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert_eq!(
        Page::parse(&html).text("p.article a").as_deref(),
        Some("Derby ends in a draw after a late goal")
    );
    assert_eq!(html_lang_dir(&html).0, "fa");
}

async fn tampered_replayed_and_unsigned_descriptors_change_nothing(backend: Backend) {
    let app = app_with_key(backend).await;
    let good = sign(&SecretString::from(KEY), "derby-live", &derby());

    // A reader edits the title, or the section (to reach another desk).
    let mut tampered = derby();
    tampered.title = "Derby cancelled".into();
    let path = embed_path("derby-live", &tampered, &good);
    assert_eq!(form_title(&app, &path).await, Err(StatusCode::NOT_FOUND));
    // The signature of one article does not open another.
    let path = embed_path("derby-other", &derby(), &good);
    assert_eq!(form_title(&app, &path).await, Err(StatusCode::NOT_FOUND));
    // No signature, a malformed one, or none of the descriptor at all.
    for sig in ["", "not-a-signature", &"0".repeat(64)] {
        let path = embed_path("derby-live", &derby(), sig);
        assert_eq!(
            form_title(&app, &path).await,
            Err(StatusCode::NOT_FOUND),
            "{sig:?}"
        );
    }
    assert_eq!(
        form_title(&app, "/embed/articles/derby-live/tip").await,
        Err(StatusCode::NOT_FOUND)
    );
    // Signed, but for a host the newsroom does not publish on.
    let mut elsewhere = derby();
    elsewhere.url = "https://elsewhere.example/derby".into();
    assert_eq!(
        form_title(&app, &signed("derby-live", &elsewhere)).await,
        Err(StatusCode::NOT_FOUND)
    );

    // Once the article exists, a tampered descriptor leaves it as it is.
    assert!(form_title(&app, &signed("derby-live", &derby()))
        .await
        .is_ok());
    let mut moved = derby();
    moved.section = "International".into();
    let path = embed_path("derby-live", &moved, &good);
    assert!(form_title(&app, &path)
        .await
        .unwrap()
        .contains("Derby ends in a draw"));
    let path = embed_path("derby-live", &tampered, &good);
    assert!(!form_title(&app, &path).await.unwrap().contains("cancelled"));
    let stored = app
        .pool
        .with(|c| {
            tipdesk::articles::find(c, &tipdesk::domain::ArticleId::parse("derby-live").unwrap())
        })
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.section.as_str()),
        ("Derby ends in a draw", "Sport")
    );

    // A retired article stays retired, whatever its old embeds carry.
    let res = app
        .client
        .delete(app.url("/api/v1/articles/derby-live"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        form_title(&app, &signed("derby-live", &derby())).await,
        Err(StatusCode::GONE)
    );
}

/// Without `articles.embed_signing_key`, descriptors are not read at all.
async fn without_a_key_descriptors_are_ignored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(
        form_title(&app, &signed("derby-live", &derby())).await,
        Err(StatusCode::NOT_FOUND)
    );
}

crate::both_backends!(
    a_signed_embed_creates_its_article_and_routes_by_its_section,
    tampered_replayed_and_unsigned_descriptors_change_nothing,
    without_a_key_descriptors_are_ignored,
);
