//! `tipdesk articles import`: CSV and JSON, all or nothing, with line
//! numbers for what is wrong; and imported articles served safely.

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::*;
use reqwest::StatusCode;

fn import(app: &TestApp, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tipdesk"))
        .args(["articles", "import"])
        .arg(file)
        .env_remove("TIPDESK_CONFIG")
        .env("TIPDESK_DATABASE__URL", app.db.url_string())
        .env("TIPDESK_SECURITY__SECRET_KEY", SECRET)
        .output()
        .expect("run tipdesk")
}

fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// The article's form page, if the article is known.
async fn form_of(app: &TestApp, id: &str) -> Option<Page> {
    let res = app.get(&format!("/articles/{id}/tip")).await;
    if res.status() == StatusCode::NOT_FOUND {
        return None;
    }
    let page = Page::of(res).await;
    (page.count("a[target=_top]") > 0).then_some(page)
}

/// The title the article's form page links to.
async fn title_of(app: &TestApp, id: &str) -> Option<String> {
    form_of(app, id).await?.text("p.article a")
}

async fn a_csv_file_is_upserted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        &dir,
        "articles.csv",
        "id,title,url,section\n\
         kabul-2026-11-27,\"Flooding in Kabul, dozens displaced\",https://news.example/kabul,International\n\
         budget.vote_2,Budget vote delayed,https://news.example/budget,Politics\n",
    );
    let out = import(&app, &csv);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 2"));
    let title = title_of(&app, "kabul-2026-11-27").await.expect("imported");
    assert_eq!(title, "Flooding in Kabul, dozens displaced");

    // Importing again updates in place.
    let csv = write(
        &dir,
        "again.csv",
        "id,title,url,section\nbudget.vote_2,Budget vote held after all,https://news.example/budget,Politics\n",
    );
    assert!(import(&app, &csv).status.success());
    let page = form_of(&app, "budget.vote_2").await.expect("still there");
    assert_eq!(
        page.text("p.article a").as_deref(),
        Some("Budget vote held after all")
    );
    assert!(!page.source().contains("Budget vote delayed"));
}

async fn a_json_file_is_upserted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let json = write(
        &dir,
        "articles.json",
        r#"[{"id": "herat-quake", "title": "Aftershocks in Herat", "url": "https://news.example/herat", "section": "International"}]"#,
    );
    let out = import(&app, &json);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        title_of(&app, "herat-quake").await.as_deref(),
        Some("Aftershocks in Herat")
    );
}

async fn a_malformed_row_names_its_line_and_nothing_is_imported(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "bad-id.csv",
            "id,title,url,section\nfine-1,Fine,https://news.example/1,Politics\nbad id!,Bad,https://news.example/2,Politics\n",
            "line 3",
        ),
        (
            "bad-url.csv",
            "id,title,url,section\nfine-1,Fine,https://news.example/1,Politics\nfine-2,Fine,https://news.example/2,Politics\nfine-3,Fine,not-a-url,Politics\n",
            "line 4",
        ),
        (
            "short-row.csv",
            "id,title,url,section\nfine-1,Fine,https://news.example/1\n",
            "line 2",
        ),
        ("no-header.csv", "fine-1,Fine,https://news.example/1,Politics\n", "line 1"),
        (
            "bad.json",
            "[\n  {\"id\": \"fine-1\", \"title\": \"Fine\", \"url\": \"https://news.example/1\", \"section\": \"P\"},\n  {\"id\": \"no/slashes\", \"title\": \"Bad\", \"url\": \"https://news.example/2\", \"section\": \"P\"}\n]",
            "line 3",
        ),
        ("broken.json", "[\n{\"id\": \"fine-1\",\n", "line"),
    ];
    for (name, content, says) in cases {
        let out = import(&app, &write(&dir, name, content));
        assert!(!out.status.success(), "{name} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{name}: {stderr}");
        assert!(
            title_of(&app, "fine-1").await.is_none(),
            "{name}: nothing imported"
        );
    }
}

async fn hostile_titles_are_escaped_on_the_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        &dir,
        "hostile.csv",
        "id,title,url,section\nxss,\"<script>alert('x')</script> & \"\"quotes\"\"\",https://news.example/x?a=1&b=\"\"2\"\",Politics\n",
    );
    assert!(import(&app, &csv).status.success());
    let page = Page::of(app.get("/articles/xss/tip").await).await;
    // Escaping is about the source; a browser reads the title as sent.
    assert!(!page.source().contains("<script>alert"));
    assert_eq!(page.count("body script"), 0);
    assert_eq!(
        page.text("p.article a").as_deref(),
        Some("<script>alert('x')</script> & \"quotes\"")
    );
    assert_eq!(
        page.attr("p.article a", "href").as_deref(),
        // The CSV field is unquoted, so its quotes are the URL's own,
        // percent-encoded.
        Some("https://news.example/x?a=1&b=%22%222%22%22")
    );
}

async fn a_reimported_article_routes_tips_at_once_and_shows_its_title_within_seconds(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |s| {
        add_desk(s, "sport", "Sport", "sport@example.org")
    })
    .await;
    app.leave_jobs_unsent();
    let dir = tempfile::tempdir().unwrap();
    let first = write(
        &dir,
        "first.csv",
        "id,title,url,section
derby,Derby postponed,https://news.example/derby,International
",
    );
    assert!(import(&app, &first).status.success());
    let title = title_of(&app, "derby").await.expect("imported");
    assert_eq!(title, "Derby postponed");

    let moved = write(
        &dir,
        "moved.csv",
        "id,title,url,section
derby,Derby played after all,https://news.example/derby,Sport
",
    );
    assert!(import(&app, &moved).status.success());
    // A tip is routed by the article as it is now...
    let res = app
        .post_json(
            "derby",
            &serde_json::json!({"message": "The derby was played on Sunday."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(app.jobs().last().unwrap().recipient, "sport@example.org");
    // ...while the form page, served from memory, catches up within seconds.
    let cached = title_of(&app, "derby").await.unwrap();
    assert_eq!(cached, "Derby postponed", "served from the cache");
    tokio::time::sleep(std::time::Duration::from_millis(5200)).await;
    let fresh = title_of(&app, "derby").await.unwrap();
    assert_eq!(fresh, "Derby played after all");
}

/// The article's language (optional `language` column or key) decides the
/// form's language; a malformed tag is refused with its line.
async fn an_articles_language_is_imported_from_csv_and_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        &dir,
        "articles.csv",
        "id,title,url,section,language\n\
         herat-ps,د هرات زلزله,https://news.example/ps/herat,International,ps\n\
         herat-en,Herat earthquake,https://news.example/herat,International,\n",
    );
    let out = import(&app, &csv);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = write(
        &dir,
        "articles.json",
        r#"[{"id": "kabul-fa", "title": "کابل", "url": "https://news.example/fa/kabul", "section": "International", "language": "fa_AF"}]"#,
    );
    let out = import(&app, &json);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lang = |page: &str| html_lang_dir(page).0;
    let page = app
        .get("/articles/herat-ps/tip")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(lang(&page), "ps");
    let page = app
        .get("/articles/herat-en/tip")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(lang(&page), "en", "no language: the default");
    let page = app
        .get("/articles/kabul-fa/tip")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(lang(&page), "fa", "fa_AF is stored as fa-AF and finds fa");

    let bad = write(
        &dir,
        "bad.csv",
        "id,title,url,section,language\n\
         fine-1,Fine,https://news.example/1,Politics,fa\n\
         fine-2,Fine,https://news.example/2,Politics,not a tag\n",
    );
    let out = import(&app, &bad);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("language"),
        "{stderr}"
    );
    assert_eq!(
        app.get("/articles/fine-1/tip").await.status(),
        StatusCode::NOT_FOUND
    );
}

crate::both_backends!(
    an_articles_language_is_imported_from_csv_and_json,
    a_reimported_article_routes_tips_at_once_and_shows_its_title_within_seconds,
    a_csv_file_is_upserted,
    a_json_file_is_upserted,
    a_malformed_row_names_its_line_and_nothing_is_imported,
    hostile_titles_are_escaped_on_the_form,
);
