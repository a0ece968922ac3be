//! Owner-only files (issue 12): whatever umask tipdesk starts with, its
//! data directory is `0700` and every file in it `0600` — the SQLite
//! database with its `-wal` and `-shm`, the site secret, the sealing keys
//! and the desk's `.eml` mail.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::json;

use crate::helpers::*;

/// Every folder and file under `dir` (itself included) with its mode.
fn modes(dir: &Path) -> Vec<(String, bool, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        out.push((
            path.display().to_string(),
            meta.is_dir(),
            meta.permissions().mode() & 0o777,
        ));
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        }
    }
    out
}

async fn data_files_are_owner_only_whatever_the_umask(backend: Backend) {
    // The widest umask there is: without tipdesk's own, every file would
    // be readable (and writable) by every account on the machine.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0));
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data");
    // An older install's database, left readable by all: narrowed at start.
    let db_file = data.join("tipdesk.db");
    let app = TestApp::spawn_with(backend, |s| {
        s.storage.data_dir = data.clone();
        s.mail.transport = tipdesk::config::MailTransport::File(data.join("mail"));
        // Generated into the data directory, not given.
        s.security.secret_key = None;
        s.privacy.encryption_keys = None;
        if backend == Backend::Sqlite {
            std::fs::create_dir_all(&data).unwrap();
            std::fs::write(&db_file, b"").unwrap();
            std::fs::set_permissions(&db_file, std::fs::Permissions::from_mode(0o666)).unwrap();
            s.database.url = tipdesk::config::DatabaseUrl::Sqlite(db_file.clone());
        }
    })
    .await;
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": "The bridge was closed on Monday.", "contact": "r@example.org", "consent": true}),
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    app.worker().drain().await.unwrap();

    let found = modes(&data);
    let names: Vec<&str> = found.iter().map(|(p, _, _)| p.as_str()).collect();
    let has = |suffix: &str| names.iter().any(|p| p.ends_with(suffix));
    assert!(
        has("secret.key") && has("encryption.keys") && has(".eml"),
        "{names:?}"
    );
    if backend == Backend::Sqlite {
        assert!(
            has("tipdesk.db") && has("tipdesk.db-wal") && has("tipdesk.db-shm"),
            "{names:?}"
        );
    }
    for (path, is_dir, mode) in &found {
        let want = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{path} is {mode:o}, not {want:o}");
    }
}

crate::both_backends!(data_files_are_owner_only_whatever_the_umask);
