//! Privacy at rest: a copy of the database shows no reader's name or
//! contact, and the keys that protect them can rotate.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const NAME: &str = "Wazhma Karimi-Marker";
const CONTACT: &str = "wazhma.marker@example.org";

fn key(id: &str) -> String {
    use base64::Engine;
    format!(
        "{id}:{}",
        base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
    )
}

async fn send(app: &TestApp) {
    let res = app
        .post_json(DEMO_ARTICLE, &json!({"message": "The minister's convoy left on Tuesday.", "name": NAME, "contact": CONTACT, "consent": true}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

async fn a_copy_of_the_database_shows_no_name_or_contact(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    send(&app).await;
    let raw = &app.raw_tips()[0];
    for value in [
        raw.name.as_deref().unwrap(),
        raw.contact.as_deref().unwrap(),
    ] {
        assert!(value.starts_with("enc1:"), "{value}");
        assert!(!value.contains("Wazhma") && !value.contains("marker"));
    }
    if let tipdesk::config::DatabaseUrl::Sqlite(path) = &app.db.url {
        // The bytes on disk, write-ahead log included.
        let mut bytes = std::fs::read(path).unwrap();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("Wazhma") && !text.contains("wazhma.marker"),
            "clear text on disk"
        );
        assert!(
            text.contains("convoy left on Tuesday"),
            "the check reads the right file"
        );
    }
    // The desk still sees them, decrypted.
    assert_eq!(app.tips()[0].name.as_deref(), Some(NAME));
    let desk = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let id = app.jobs()[0].tip_id;
    let page = Page::of(desk.get(&format!("/desk/tips/{id}")).await).await;
    assert!(
        page.has_text("main p span[dir=auto]", NAME),
        "{}",
        page.source()
    );
    let shown = Page::of(desk.post(&format!("/desk/tips/{id}/contact"), &[]).await).await;
    assert_eq!(shown.text("#contact-value").as_deref(), Some(CONTACT));

    // The generated key ring is owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.db_dir().join("encryption.keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

async fn rotating_a_generated_key_reencrypts_everything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    send(&app).await;
    send(&app).await;
    let before = app.raw_tips()[0].contact.clone().unwrap();
    let (text, new_id) = app.rotate_keys();
    assert!(text.contains("re-encrypted 2 record(s)"), "{text}");
    for raw in app.raw_tips() {
        assert!(raw.contact.unwrap().starts_with(&format!("enc1:{new_id}:")));
    }
    assert!(!before.starts_with(&format!("enc1:{new_id}:")));
    let tips = app.tips();
    assert!(tips
        .iter()
        .all(|t| t.contact.as_deref() == Some(CONTACT) && t.name.as_deref() == Some(NAME)));
    // Nothing left to do the second time.
    let again = String::from_utf8_lossy(&app.cli(&["keys", "rotate"]).stdout).into_owned();
    assert!(
        again.contains("re-encrypted 2 record(s)"),
        "a new key again: {again}"
    );
}

async fn configured_keys_rotate_through_the_configuration(backend: Backend) {
    let (k1, k2) = (key("k1"), key("k2"));
    let first = k1.clone();
    let app = TestApp::spawn_with(backend, move |s| {
        s.privacy.encryption_keys = Some(first.into())
    })
    .await;
    app.leave_jobs_unsent();
    send(&app).await;
    assert!(app.raw_tips()[0]
        .name
        .as_deref()
        .unwrap()
        .starts_with("enc1:k1:"));
    let rotate = |keys: String| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tipdesk"))
            .args(["keys", "rotate"])
            .env_remove("TIPDESK_CONFIG")
            .env("TIPDESK_DATABASE__URL", app.db.url_string())
            .env("TIPDESK_PRIVACY__ENCRYPTION_KEYS", keys)
            .output()
            .unwrap()
    };
    // Dropping the old key before re-encrypting would lose data: refused.
    let lost = rotate(k2.clone());
    assert!(!lost.status.success());
    assert!(String::from_utf8_lossy(&lost.stderr)
        .contains("sealed with key `k1`, which is not in the key ring"));
    let ok = rotate(format!("{k2}, {k1}"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(app.raw_tips()[0]
        .name
        .as_deref()
        .unwrap()
        .starts_with("enc1:k2:"));
    // A malformed key stops start-up with the key named.
    let bad = app.cli(&["queue", "status"]);
    assert!(bad.status.success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tipdesk"))
        .args(["queue", "status"])
        .env("TIPDESK_PRIVACY__ENCRYPTION_KEYS", "k1:short")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("privacy.encryption_keys"));
}

crate::both_backends!(
    a_copy_of_the_database_shows_no_name_or_contact,
    rotating_a_generated_key_reencrypts_everything,
    configured_keys_rotate_through_the_configuration,
);
