//! Text in every script (issue 11): one Unicode policy for search, input,
//! login, mail and imports. Text is stored exactly as written and compared
//! folded; what a reader sees is what counts and what is cut.

use std::time::Duration;

use crate::helpers::*;
use crate::process::Running;
use crate::smtp::SmtpServer;
use reqwest::StatusCode;
use serde_json::json;

async fn admin(app: &TestApp) -> DeskClient {
    signed_in(app, "admin@example.org", "admin", &[]).await
}

/// Sends a tip through the API; returns its id in the database.
async fn tip(app: &TestApp, body: serde_json::Value) -> i64 {
    created(app.post_json(DEMO_ARTICLE, &body).await).await;
    app.jobs().last().unwrap().tip_id
}

/// The ids of the tips the queue shows for `q`.
async fn search(desk: &DeskClient, q: &str) -> Vec<i64> {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let page = desk
        .get(&format!("/desk/tips?q={q}"))
        .await
        .text()
        .await
        .unwrap();
    let mut ids: Vec<i64> = page
        .split("data-tip=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

async fn search_matches_folded_text_in_every_script(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let texts = [
        ("ru", "Вчера в Москве прошла встреча в МИД."),
        ("de", "Der Bericht ist öffentlich, sagt man in der Straße."),
        ("fr", "Le cafe\u{301} du port était fermé lundi."),
        ("el", "Ο φιλόσοφος μίλησε στη Βουλή χθες."),
        ("tr", "DİYARBAKIR valiliği bir açıklama yaptı."),
        ("tr2", "Istanbul'da trafik yoğundu bugün."),
        ("ar", "الوضع في كابل هادئ اليوم."),
        ("fa", "گزارش ۱۷ درگیری در هرات تأیید شد."),
        ("marks", "كِتَابٌ جديد عن الحرب، می\u{200C}خواهم بخوانم."),
        ("ascii", "Bridge 17 has been closed since Monday."),
    ];
    let mut id = std::collections::HashMap::new();
    for (key, message) in texts {
        id.insert(key, tip(&app, json!({ "message": message })).await);
    }
    // Stored exactly as written.
    let stored: Vec<String> = app.tips().into_iter().map(|t| t.message).collect();
    assert_eq!(stored, texts.map(|(_, m)| m.to_owned()));

    let cases: &[(&str, &[&str])] = &[
        ("Москве", &["ru"]),
        ("москве", &["ru"]),
        ("МОСКВЕ", &["ru"]),
        ("МИД", &["ru"]),
        ("мид", &["ru"]),
        ("ÖFFENTLICH", &["de"]),
        ("STRASSE", &["de"]),
        ("straße", &["de"]),
        ("café", &["fr"]),
        ("CAFÉ", &["fr"]),
        // Final sigma is sigma; accents outside Arabic script count.
        ("ΦΙΛΌΣΟΦΟΣ", &["el"]),
        ("φιλόσοφοσ", &["el"]),
        ("ΦΙΛΟΣΟΦΟΣ", &[]),
        // Full case folding: İ is i + U+0307, I is i, ı stays ı.
        ("DİYARBAKIR", &["tr"]),
        ("di\u{307}yarbakir", &["tr"]),
        ("diyarbakır", &[]),
        ("ISTANBUL", &["tr2"]),
        ("istanbul", &["tr2"]),
        // Arabic kaf and yeh are the Persian letters.
        ("کابل", &["ar"]),
        ("فی کابل", &["ar"]),
        ("كابل", &["ar"]),
        // Digits of any script are ASCII digits.
        ("17", &["fa", "ascii"]),
        ("۱۷", &["fa", "ascii"]),
        ("١٧", &["fa", "ascii"]),
        ("१७", &["fa", "ascii"]),
        ("۱۷ درگیری", &["fa"]),
        ("17 درگیری", &["fa"]),
        // Hamza on alef, harakat, tatweel and ZWNJ are ignored.
        ("تایید", &["fa"]),
        ("کتاب", &["marks"]),
        ("كـتـاب", &["marks"]),
        ("میخواهم", &["marks"]),
        ("می\u{200C}خواهم", &["marks"]),
        // Still a substring search: no match is invented.
        ("Moscow", &[]),
        ("москва", &[]),
    ];
    let admin = admin(&app).await;
    let check = |when: &'static str| {
        let (admin, id) = (&admin, &id);
        async move {
            for (q, keys) in cases {
                let mut want: Vec<i64> = keys.iter().map(|k| id[k]).collect();
                want.sort_unstable();
                assert_eq!(search(admin, q).await, want, "{when}: q={q}");
            }
        }
    };
    check("before indexing").await;
    // Through SQLite's trigram index as well, once it has the tips.
    app.catch_up_search_index();
    check("indexed").await;
}

async fn tips_stored_before_folding_are_folded_at_start_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let admin = admin(&app).await;
    // As a tip from before the folded copy existed: no `search_text`.
    let now = "2026-11-27 12:00:00";
    app.execute_sql(&format!(
        "INSERT INTO tips (reference, article_id, desk, kind, message, consent, status, client_hash, created_at, updated_at) \
         VALUES ('TD-OLD0-0000-0001', '{DEMO_ARTICLE}', 'default', 'other', 'Вчера в Москве прошла встреча.', FALSE, 'new', '', '{now}', '{now}')"
    ));
    let old = app.count_sql("SELECT max(id) AS n FROM tips");
    assert_eq!(search(&admin, "москве").await, Vec::<i64>::new());
    // Starting tipdesk (here: opening the database, which migrates) folds it.
    tipdesk::db::Pool::connect(&app.settings.database).unwrap();
    assert_eq!(search(&admin, "МОСКВЕ").await, vec![old]);
    app.catch_up_search_index();
    assert_eq!(search(&admin, "МОСКВЕ").await, vec![old]);

    // Folded under other rules (an older tipdesk): folded again.
    let new = tip(
        &app,
        json!({"message": "Ο φιλόσοφος μίλησε στη Βουλή χθες."}),
    )
    .await;
    app.catch_up_search_index();
    app.execute_sql("UPDATE tips SET search_text = 'stale'");
    app.execute_sql("UPDATE search_folding SET version = 0");
    assert_eq!(search(&admin, "ΦΙΛΌΣΟΦΟΣ").await, Vec::<i64>::new());
    tipdesk::db::Pool::connect(&app.settings.database).unwrap();
    assert_eq!(search(&admin, "ΦΙΛΌΣΟΦΟΣ").await, vec![new]);
    assert_eq!(search(&admin, "москве").await, vec![old]);
    app.catch_up_search_index();
    assert_eq!(search(&admin, "ΦΙΛΌΣΟΦΟΣ").await, vec![new]);
    assert_eq!(search(&admin, "stale").await, Vec::<i64>::new());
}

const TOO_SHORT: &str = "Please write at least 10 characters so the desk can follow up.";
const EMPTY: &str = "Please tell us what you know.";

async fn invisible_text_counts_as_empty(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let refused = |message: String| {
        let app = &app;
        async move {
            let res = app
                .post_json(DEMO_ARTICLE, &json!({ "message": message }))
                .await;
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{message:?}"
            );
            let body: serde_json::Value = res.json().await.unwrap();
            body["fields"]["message"].as_str().unwrap().to_owned()
        }
    };
    for invisible in [
        "\u{200B}".repeat(10),
        "\u{3164}".repeat(12),
        "\u{2800}".repeat(12),
        "\u{115F}\u{1160}\u{FFA0}\u{FEFF}\u{2060}\u{00AD}\u{200D}\u{200C}\u{180E}\u{034F}".into(),
        "\u{00A0}\u{2003}\u{3000}\u{2028}\u{2029}\u{205F}\u{202F}\n\t \u{200E}\u{200F}".into(),
    ] {
        assert_eq!(refused(invisible).await, EMPTY);
    }
    // Minimum lengths count what a reader sees.
    assert_eq!(
        refused(format!("a{}", "\u{200B}".repeat(20))).await,
        TOO_SHORT
    );
    assert_eq!(refused("👨‍👩‍👧‍👦".repeat(9)).await, TOO_SHORT);
    assert_eq!(refused("e\u{301}".repeat(9)).await, TOO_SHORT);
    tip(&app, json!({ "message": "🇦🇫".repeat(10) })).await;
    tip(&app, json!({ "message": "e\u{301}".repeat(10) })).await;

    // An invisible name, quote or contact is one left empty.
    tip(
        &app,
        json!({
            "message": "The convoy left on Tuesday, not Monday.",
            "name": "\u{3164}\u{200B}",
            "quote": "\u{2800}\u{2800}",
            "contact": "\u{200B}",
        }),
    )
    .await;
    let last = app.tips().pop().unwrap();
    assert_eq!((last.name, last.quote, last.contact), (None, None, None));

    // The form says the same, on the page.
    let res = app
        .submit_form(
            &format!("/articles/{DEMO_ARTICLE}/tip"),
            &[("message", &"\u{200B}".repeat(10))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::of(res).await;
    assert_eq!(page.field_error("message").as_deref(), Some(EMPTY));
    assert!(page.error_summary().iter().any(|p| p == EMPTY));

    // So does the desk, for a note and labels.
    let id = app.jobs().last().unwrap().tip_id;
    let admin = admin(&app).await;
    let res = admin
        .post(
            &format!("/desk/tips/{id}/notes"),
            &[("body", "\u{200B}\u{3164}")],
        )
        .await;
    let page = Page::of(admin.get(&format!("/desk/tips/{id}")).await).await;
    assert!(
        res.status() == StatusCode::UNPROCESSABLE_ENTITY
            || page.has_text("p.notice", "Write a note first."),
        "{}",
        res.status()
    );
    assert!(
        !page.all_text().contains("noted:") && !page.source().contains("noted:"),
        "no invisible note was recorded"
    );
    admin
        .post(
            &format!("/desk/tips/{id}/labels"),
            &[("labels", "urgent, \u{200B}, \u{3164}")],
        )
        .await;
    // And a staff member's name, through `tipdesk user add`.
    let out = app.cli(&[
        "user",
        "add",
        "--email",
        "ghost@example.org",
        "--name",
        "\u{200B}\u{3164}",
        "--role",
        "admin",
    ]);
    assert!(!out.status.success(), "an invisible staff name is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("a name is 1 to 200 characters"));
    let labels: Vec<String> = app
        .pool
        .with(|c| {
            Ok::<_, tipdesk::db::DbError>(tipdesk::triage::labels(c, tipdesk::domain::TipId(id))?)
        })
        .unwrap();
    assert_eq!(labels, vec!["urgent".to_owned()]);
}

async fn internationalized_contact_emails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    for contact in ["почта@пример.рф", "用户@例子.广告", "reader@bücher.example"]
    {
        tip(
            &app,
            json!({"message": "The convoy left on Tuesday, not Monday.", "contact": contact, "consent": true}),
        )
        .await;
        let stored = app.tips().pop().unwrap();
        assert_eq!(stored.contact.as_deref(), Some(contact), "kept as written");
        let kind = app.count_sql(&format!(
            "SELECT count(*) AS n FROM tips WHERE reference = '{}' AND contact_kind = 'email'",
            stored.reference
        ));
        assert_eq!(kind, 1, "{contact} is an email");
    }
    for contact in [
        ".reader@example.org",
        "reader.@example.org",
        "a..b@example.org",
        "reader@example.org.",
        "reader@example..org",
        "rea\u{200B}der@example.org",
        "reader@exam\u{00AD}ple.org",
        "почта@пример..рф",
    ] {
        let res = app
            .post_json(
                DEMO_ARTICLE,
                &json!({"message": "The convoy left on Tuesday, not Monday.", "contact": contact, "consent": true}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{contact:?}"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        let says = body["fields"]["contact"].as_str().unwrap();
        assert!(
            says.contains("is not a valid email address"),
            "{contact:?}: {says}"
        );
    }
}

/// An app mailing its default desk at an IDN domain and at a Unicode
/// local part through `smtp`, after one tip has been delivered.
async fn tip_to_international_desk_addresses(backend: Backend, smtp: &SmtpServer) -> TestApp {
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.digest_window = Duration::ZERO;
        s.desks.get_mut("default").unwrap().emails =
            vec!["desk@bücher.example".into(), "почта@пример.рф".into()];
    })
    .await;
    tip(
        &app,
        json!({"message": "The convoy left on Tuesday, not Monday."}),
    )
    .await;
    app.worker().drain().await.unwrap();
    app
}

async fn desk_addresses_with_international_domains(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.without_smtputf8();
    let app = tip_to_international_desk_addresses(backend, &smtp).await;

    // The IDN domain goes out as punycode, and needs nothing more.
    let mail = smtp.accepted();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["desk@xn--bcher-kva.example".to_owned()]);
    // The Unicode local part cannot: dead at once, with the reason.
    let jobs = app.jobs();
    let dead = jobs
        .iter()
        .find(|j| j.recipient == "почта@пример.рф")
        .unwrap();
    assert_eq!((dead.state.as_str(), dead.attempts), ("dead", 1));
    let reason = dead.last_error.clone().unwrap();
    assert!(reason.contains("SMTPUTF8"), "{reason}");
    let ops = signed_in(&app, "ops@example.org", "ops", &[]).await;
    let page = Page::of(ops.get("/ops/queue").await).await;
    assert!(
        page.has_text("td.error-text", "SMTPUTF8"),
        "the reason is on /ops/queue"
    );

    // A server that offers SMTPUTF8 takes both.
    let utf8 = SmtpServer::start().await;
    let app = tip_to_international_desk_addresses(backend, &utf8).await;
    let mut to: Vec<String> = utf8.accepted().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            "desk@xn--bcher-kva.example".to_owned(),
            "почта@xn--e1afmkfd.xn--p1ai".to_owned()
        ]
    );
    assert!(app.jobs().iter().all(|j| j.state == "sent"));
}

async fn serve_warns_about_desk_addresses_that_need_smtputf8(backend: Backend) {
    let db = crate::testdb::TestDb::create(backend);
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("desks.toml");
    std::fs::write(
        &config,
        "[desks.default]\nname = \"Default\"\nemails = [\"почта@пример.рф\", \"desk@bücher.example\"]\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Running::start(
        std::process::Command::new(env!("CARGO_BIN_EXE_tipdesk"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env_remove("TIPDESK_CONFIG")
            .env_remove("RUST_LOG")
            .env("TIPDESK_SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("TIPDESK_DATABASE__URL", db.url_string())
            .env("TIPDESK_STORAGE__DATA_DIR", data.path()),
    );
    let mut output = String::new();
    for _ in 0..200 {
        output = child.output();
        if output.contains("listening") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let warnings: Vec<&str> = output.lines().filter(|l| l.contains("SMTPUTF8")).collect();
    assert_eq!(warnings.len(), 1, "{output}");
    assert!(warnings[0].contains("почта@пример.рф"), "{output}");
}

async fn passwords_match_composed_or_decomposed(backend: Backend) {
    use secrecy::SecretString;
    let app = TestApp::spawn(backend).await;
    let composed = "Bärenstärke über alles";
    let decomposed = "Ba\u{308}renst\u{e4}rke u\u{308}ber alles";
    let add = |email: &str, phc: &str| {
        let user = tipdesk::auth::users::NewUser::parse(&app.settings, email, "Sam", "admin", &[])
            .unwrap();
        app.pool
            .with(|c| tipdesk::auth::users::add(c, &user, phc, &tipdesk::audit::Actor::cli()))
            .unwrap();
    };
    let hash = tipdesk::auth::password::hash(&SecretString::from(composed.to_owned())).unwrap();
    add("sam@example.org", &hash);
    let desk = DeskClient::new(&app);
    assert_eq!(
        desk.login("sam@example.org", decomposed).await.status(),
        StatusCode::SEE_OTHER,
        "typed decomposed, set composed"
    );

    // A hash from before normalization (of the bytes as typed) still
    // works, and is replaced by one of the normalized password.
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let params = argon2::Params::new(19_456, 2, 1, None).unwrap();
    let old = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(decomposed.as_bytes(), &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
    add("kim@example.org", &old);
    let stored = || {
        app.pool
            .with(|c| {
                Ok::<_, tipdesk::db::DbError>(tipdesk::auth::users::find(c, "kim@example.org")?)
            })
            .unwrap()
            .unwrap()
            .1
    };
    let desk = DeskClient::new(&app);
    assert_eq!(
        desk.login("kim@example.org", decomposed).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_ne!(stored(), old, "re-hashed at the login");
    let desk = DeskClient::new(&app);
    assert_eq!(
        desk.login("kim@example.org", composed).await.status(),
        StatusCode::SEE_OTHER,
        "and now the composed form works too"
    );
    let desk = DeskClient::new(&app);
    assert_eq!(
        desk.login("kim@example.org", "Barenstarke uber alles")
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "accents still count"
    );
}

async fn excerpts_are_cut_between_grapheme_clusters(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.digest_window = Duration::ZERO;
        s.desks.get_mut("default").unwrap().excerpt_chars = 10;
    })
    .await;
    for (message, excerpt) in [
        ("Flags: 🇦🇫🇮🇷🇷🇺 and more text", "Flags: 🇦🇫🇮🇷🇷🇺…"),
        ("Family: 👨‍👩‍👧‍👦👨‍👩‍👧‍👦 and more", "Family: 👨‍👩‍👧‍👦👨‍👩‍👧‍👦…"),
        ("Ten: abcde\u{301}fg", "Ten: abcde\u{301}…"),
    ] {
        tip(&app, json!({ "message": message })).await;
        app.worker().drain().await.unwrap();
        let body = smtp.accepted().pop().unwrap().body_text();
        let got = body
            .split("Excerpt (this desk opted in):\r\n")
            .nth(1)
            .and_then(|rest| rest.split("\r\n").next())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(got, excerpt, "{body}");
    }
}

async fn the_form_gives_back_a_leading_line_break(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for message in [
        "\nThe first line was empty on purpose.",
        "\r\n\r\nTwo empty lines, then the tip.",
    ] {
        // Refused for its contact, so the form comes back with the text.
        let res = app
            .submit_form(
                &format!("/articles/{DEMO_ARTICLE}/tip"),
                &[
                    ("message", message),
                    ("quote", message),
                    ("contact", "a..b@example.org"),
                    ("consent", "on"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = res.text().await.unwrap();
        assert_eq!(textarea(&page, "message"), Some(as_read(message)));
        assert_eq!(textarea(&page, "quote"), Some(as_read(message)));
    }
}

async fn article_ids_made_of_dots_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    for id in [".", "..", "..."] {
        let path = dir.path().join("dots.csv");
        std::fs::write(
            &path,
            format!("id,title,url,section\nfine-1,Fine,https://news.example/1,P\n{id},Dots,https://news.example/2,P\n"),
        )
        .unwrap();
        let out = app.cli(&["articles", "import", path.to_str().unwrap()]);
        assert!(!out.status.success(), "{id} must be refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("line 3") && stderr.contains("only of dots"),
            "{id}: {stderr}"
        );
    }
    // And wherever an article ID is read: the API answers 404 for one.
    let res = app
        .post_json(
            "...",
            &json!({"message": "The convoy left on Tuesday, not Monday."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn imports_from_spreadsheets_are_read_and_lines_counted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let import = |name: &str, content: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        app.cli(&["articles", "import", path.to_str().unwrap()])
    };
    let bom = "\u{FEFF}";
    // A byte-order mark in either format.
    let out = import(
        "bom.csv",
        format!("{bom}id,title,url,section\r\nbom-csv,Kabul,https://news.example/1,P\r\n")
            .as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = import(
        "bom.json",
        format!("{bom}[{{\"id\": \"bom-json\", \"title\": \"Herat\", \"url\": \"https://news.example/2\", \"section\": \"P\"}}]").as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The physical line of a bad row, whatever the line endings and the
    // line breaks inside quoted cells before it.
    for (name, content, line) in [
        ("crlf.csv", "id,title,url,section\r\nbad id!,T,https://news.example/1,P\r\n", "line 2:"),
        (
            "crlf-later.csv",
            "id,title,url,section\r\nok-1,T,https://news.example/1,P\r\nok-2,T,https://news.example/2,P\r\nbad id!,T,https://news.example/3,P\r\n",
            "line 4:",
        ),
        (
            "quoted.csv",
            "id,title,url,section,notes\r\nok-1,T,https://news.example/1,P,\"Two\r\nlines\"\r\nok-2,T,https://news.example/2,P,\"Three\nmore\nlines\"\r\nbad id!,T,https://news.example/3,P,\r\n",
            "line 7:",
        ),
        (
            "short.csv",
            "\u{FEFF}id,title,url,section\r\nok-1,T,https://news.example/1,P\r\nok-2,T\r\n",
            "line 3:",
        ),
        ("cr.csv", "id,title,url,section\rok-1,T,https://news.example/1,P\rbad id!,T,https://news.example/3,P\r", "line 3:"),
        (
            "crlf.json",
            "\u{FEFF}[\r\n  {\"id\": \"ok-1\", \"title\": \"bad id!\", \"url\": \"https://news.example/1\", \"section\": \"P\"},\r\n  {\"id\": \"bad id!\", \"title\": \"T\", \"url\": \"https://news.example/2\", \"section\": \"P\"}\r\n]",
            "line 3:",
        ),
        ("blank.csv", "id,title,url,section\nok-1,\u{200B}\u{3164},https://news.example/1,P\n", "line 2: title"),
    ] {
        let out = import(name, content.as_bytes());
        assert!(!out.status.success(), "{name} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(line), "{name}: want {line} in {stderr}");
    }
}

async fn digests_count_articles_by_id(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| {
        smtp_to(s, &smtp.url());
        s.notify.digest_window = Duration::from_secs(2);
    })
    .await;
    app.import_articles(
        ["live-kabul", "live-herat"]
            .iter()
            .map(|id| article(id, "Live updates", "International"))
            .collect(),
    );
    let worker = app.worker();
    tip(
        &app,
        json!({"message": "The convoy left on Tuesday, not Monday."}),
    )
    .await;
    assert_eq!(worker.drain().await.unwrap().emails_sent, 1);
    for (i, article) in ["live-kabul", "live-herat", "live-kabul"]
        .iter()
        .enumerate()
    {
        let res = app
            .post_json(
                article,
                &json!({"message": format!("The convoy left on Tuesday #{i}")}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    worker.drain().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(worker.drain().await.unwrap().emails_sent, 1);
    let digest = smtp.accepted().pop().unwrap();
    assert_eq!(
        digest.header("Subject").unwrap(),
        "3 new tips on 2 articles"
    );
    let body = digest.body_text();
    assert!(body.contains("Live updates [live-kabul] (2)"), "{body}");
    assert!(body.contains("Live updates [live-herat] (1)"), "{body}");
}

crate::both_backends!(
    search_matches_folded_text_in_every_script,
    tips_stored_before_folding_are_folded_at_start_up,
    invisible_text_counts_as_empty,
    internationalized_contact_emails,
    desk_addresses_with_international_domains,
    serve_warns_about_desk_addresses_that_need_smtputf8,
    passwords_match_composed_or_decomposed,
    excerpts_are_cut_between_grapheme_clusters,
    the_form_gives_back_a_leading_line_break,
    article_ids_made_of_dots_are_refused,
    imports_from_spreadsheets_are_read_and_lines_counted,
    digests_count_articles_by_id,
);
