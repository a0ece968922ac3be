//! The desk's frame: where `/desk` takes each role, the staff error page
//! in the desk's layout, and the icon every page names.

use crate::helpers::*;
use reqwest::StatusCode;

async fn the_desk_sends_ops_to_the_queue_and_everyone_else_to_the_tips(backend: Backend) {
    let app = newsroom(backend).await;
    for (role, desks, home) in [
        ("editor", &["default"][..], "/desk/tips"),
        ("viewer", &["default"][..], "/desk/tips"),
        ("admin", &[][..], "/desk/tips"),
        ("ops", &[][..], "/ops/queue"),
    ] {
        let desk = signed_in(&app, &format!("{role}@example.org"), role, desks).await;
        let res = desk.get("/desk").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{role}");
        assert_eq!(location(&res), home, "{role} starts at {home}");
        let page = desk.get(home).await;
        assert_eq!(page.status(), StatusCode::OK, "{role} may open {home}");
        let page = Page::of(page).await;
        assert_eq!(
            page.count(r#"header.deskbar nav a[href="/desk/tips"]"#),
            usize::from(role != "ops"),
            "{role}: a Tips link only for those who read tips"
        );
        assert_eq!(
            page.count(r#"a[href="/desk/tips"]"#),
            usize::from(role != "ops"),
            "{role}: nowhere else either"
        );
    }
}

async fn staff_error_pages_wear_the_desk_layout(backend: Backend) {
    let app = newsroom(backend).await;
    let desk = signed_in(&app, "editor@example.org", "editor", &["default"]).await;
    for path in [
        "/desk/tips/999999",
        "/desk/no-such-page",
        "/ops/no-such-page",
    ] {
        let res = desk.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let page = Page::of(res).await;
        assert_eq!(page.count("header.deskbar"), 1, "{path}: {}", page.source());
        assert_eq!(page.count("footer.site"), 0, "{path}: no reader footer");
        assert_eq!(
            page.text(r#"header.deskbar nav a[href="/desk"]"#)
                .as_deref(),
            Some("Back to the desk"),
            "{path}"
        );
    }
    // A reader's 404 stays the reader's.
    let res = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    let page = Page::of(res).await;
    assert_eq!(page.count("footer.site"), 1);
    assert_eq!(page.count(".deskbar"), 0);
    assert!(!page.source().contains("deskbar"));
}

async fn every_page_names_an_icon_that_is_there(backend: Backend) {
    let app = newsroom(backend).await;
    for path in ["/favicon.svg", "/favicon.ico"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-type"], "image/svg+xml", "{path}");
        assert!(res.text().await.unwrap().starts_with("<svg"), "{path}");
    }
    let desk = DeskClient::new(&app);
    for path in [
        "/",
        "/articles/csto-extremist-groups-afghanistan/tip",
        "/embed/articles/csto-extremist-groups-afghanistan/tip",
        "/no-such-page",
        "/desk/login",
    ] {
        let page = Page::of(desk.get(path).await).await;
        assert_eq!(page.count("head link[rel=icon]"), 1, "{path}");
        assert_eq!(
            page.attr("head link[rel=icon]", "href").as_deref(),
            Some("/favicon.svg"),
            "{path}"
        );
        assert_eq!(
            page.attr("head link[rel=icon]", "type").as_deref(),
            Some("image/svg+xml"),
            "{path}"
        );
    }
}

async fn the_landing_page_says_where_the_desk_is_and_how_to_make_its_first_account(
    backend: Backend,
) {
    let app = newsroom(backend).await;
    let html = |app: &TestApp| {
        let url = app.url("/");
        let client = app.client.clone();
        async move { Page::of(client.get(url).send().await.unwrap()).await }
    };
    let desk_link = |page: &Page| {
        (
            page.text(r#"main a[href="/desk"]"#),
            page.attr(r#"main a[href="/desk"]"#, "dir"),
        )
    };
    let first = html(&app).await;
    assert_eq!(
        desk_link(&first),
        (Some("/desk".into()), Some("ltr".into()))
    );
    assert!(
        first
            .text("p#first-account code.command")
            .is_some_and(|c| c.contains("user add --email you@newsroom.example")),
        "{}",
        first.source()
    );
    add_user(&app, "first@example.org", "admin", &[]);
    let later = html(&app).await;
    assert_eq!(
        desk_link(&later),
        (Some("/desk".into()), Some("ltr".into()))
    );
    assert!(
        !later.source().contains("first-account"),
        "only before the first account"
    );
}

crate::both_backends!(
    the_desk_sends_ops_to_the_queue_and_everyone_else_to_the_tips,
    staff_error_pages_wear_the_desk_layout,
    every_page_names_an_icon_that_is_there,
    the_landing_page_says_where_the_desk_is_and_how_to_make_its_first_account,
);
