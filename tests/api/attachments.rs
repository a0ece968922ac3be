//! Files sent with a tip (issue 17): taken over the API and the form as
//! `multipart/form-data`, refused by name past a limit or for a type,
//! encrypted at rest, listed on the tip page and downloaded by the desk.

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{
    created, newsroom, signed_in, DeskClient, Page, TestApp, DEMO_ARTICLE, DESK_MESSAGE,
};
use crate::smtp::SmtpServer;

const API: &str = "/api/v1/articles/csto-extremist-groups-afghanistan/tips";
const FORM: &str = "/articles/csto-extremist-groups-afghanistan/tip";

/// A small PDF whose text is `marker` (bytes a reader would send).
fn pdf(marker: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// The start of a JPEG (SOI, a JFIF APP0 segment): enough for its type.
fn jpeg() -> Vec<u8> {
    let mut j = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec();
    j.extend_from_slice(b"\xFF\xD9");
    j
}

fn tip_fields() -> Vec<(&'static str, &'static str)> {
    vec![("kind", "correction"), ("message", DESK_MESSAGE)]
}

async fn json(res: reqwest::Response) -> Value {
    res.json().await.expect("JSON body")
}

async fn a_pdf_round_trips_byte_for_byte(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let file = pdf("bridge-plan-7f3a");
    created(
        app.post_multipart(API, &tip_fields(), &[("план моста.pdf", file.clone())])
            .await,
    )
    .await;
    let tip = app.jobs()[0].tip_id;

    let editor = signed_in(&app, "ed@example.org", "editor", &["international"]).await;
    let page = tip_page(&editor, tip).await;
    assert_eq!(
        page.text("#file-1 .file-name").as_deref(),
        Some("план моста.pdf")
    );
    assert_eq!(page.text("#file-1 .file-type").as_deref(), Some("pdf"));
    let sha = hex_sha256(&file);
    assert_eq!(
        page.text("#file-1 .file-sha256").as_deref(),
        Some(sha.as_str())
    );
    assert!(page
        .text("#file-1 .file-size")
        .unwrap()
        .contains(&file.len().to_string()));
    assert!(page
        .text("#file-1 .file-metadata")
        .unwrap()
        .contains("as sent"));

    let res = editor.get(&format!("/desk/tips/{tip}/attachments/1")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(h["content-type"], "application/pdf");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(
        disposition.contains(
            "filename*=UTF-8''%D0%BF%D0%BB%D0%B0%D0%BD%20%D0%BC%D0%BE%D1%81%D1%82%D0%B0.pdf"
        ),
        "{disposition}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.split(';').any(|d| d.trim() == "sandbox"), "{csp}");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(res.bytes().await.unwrap().to_vec(), file);
    assert_eq!(
        app.count_sql(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'tip.attachment_downloaded'"
        ),
        1,
        "the download is in the audit trail"
    );
    assert_eq!(
        editor
            .get(&format!("/desk/tips/{tip}/attachments/2"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// The desk's page of tip `tip`, as `editor` reads it.
async fn tip_page(editor: &DeskClient, tip: impl std::fmt::Display) -> Page {
    Page::parse(
        &editor
            .get(&format!("/desk/tips/{tip}"))
            .await
            .text()
            .await
            .unwrap(),
    )
}

/// The bytes of tip `tip`'s first file, downloaded by `editor`.
async fn first_file(editor: &DeskClient, tip: impl std::fmt::Display) -> Vec<u8> {
    editor
        .get(&format!("/desk/tips/{tip}/attachments/1"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

async fn staff_of_another_desk_get_404(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let res = app
        .post_multipart(API, &tip_fields(), &[("a.pdf", pdf("x"))])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let tip = app.jobs()[0].tip_id;
    let sport = signed_in(&app, "viewer@example.org", "viewer", &["default"]).await;
    let res = sport.get(&format!("/desk/tips/{tip}/attachments/1")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let own = signed_in(&app, "v2@example.org", "viewer", &["international"]).await;
    let res = own.get(&format!("/desk/tips/{tip}/attachments/1")).await;
    assert_eq!(res.status(), StatusCode::OK, "viewers of the desk download");
}

/// Files sent, and the status, code and name the refusal must carry.
type Refusal<'a> = (Vec<(&'a str, Vec<u8>)>, StatusCode, &'a str, &'a str);

/// Each refusal: its status, its code, and the file it names.
async fn limits_and_types_are_refused_by_name(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.attachments.max_files = 2;
        s.attachments.max_file_bytes = std::num::NonZeroU64::new(1000).unwrap();
        s.attachments.max_total_bytes = std::num::NonZeroU64::new(1500).unwrap();
        s.attachments.allowed_types.retain(|t| t.as_str() != "gif");
    })
    .await;
    let small = pdf("s");
    let cases: Vec<Refusal> = vec![
        (
            vec![
                ("a.pdf", small.clone()),
                ("b.pdf", small.clone()),
                ("c.pdf", small.clone()),
            ],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_attachments",
            "2",
        ),
        (
            vec![("big.pdf", [pdf("b"), vec![b' '; 1200]].concat())],
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
            "big.pdf",
        ),
        (
            vec![
                ("one.pdf", [pdf("1"), vec![b' '; 800]].concat()),
                ("two.pdf", [pdf("2"), vec![b' '; 800]].concat()),
            ],
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
            "two.pdf",
        ),
        (
            vec![("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "attachment_type_refused",
            "setup.pdf",
        ),
        (
            vec![("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "attachment_type_refused",
            "anim.gif",
        ),
        (
            vec![("both.pdf", [pdf("p"), b"PK\x03\x04zip".to_vec()].concat())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "attachment_type_refused",
            "both.pdf",
        ),
        (
            vec![("empty.pdf", Vec::new())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "attachment_empty",
            "empty.pdf",
        ),
        (
            vec![("../../etc/passwd.pdf", small.clone())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "attachment_bad_name",
            "passwd.pdf",
        ),
    ];
    let long = format!("{}.pdf", "ن".repeat(1000));
    let mut cases = cases;
    cases.push((
        vec![(long.as_str(), small.clone())],
        StatusCode::UNPROCESSABLE_ENTITY,
        "attachment_bad_name",
        "نننن",
    ));
    for (files, status, code, named) in &cases {
        let res = app.post_multipart(API, &tip_fields(), files).await;
        let st = res.status();
        let body = json(res).await;
        assert_eq!(st, *status, "{code} {named} {body}");
        assert_eq!(body["error"], *code, "{body}");
        let said = body["fields"]["attachments"].as_str().unwrap();
        assert!(said.contains(named), "{said} names {named}");
    }
    assert!(app.tips().is_empty(), "nothing half-stored");
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM attachments"), 0);
}

/// One part of a hand-written `multipart/form-data` body whose boundary
/// is `XyZ` (RFC 7578): for bodies no client library would send.
fn raw_part(headers: &str, body: &str) -> String {
    format!("--XyZ\r\n{headers}\r\n\r\n{body}\r\n")
}

/// A tip's `kind` and `message` parts, as [`raw_part`]s.
fn raw_tip_parts() -> String {
    let kind = raw_part(
        "Content-Disposition: form-data; name=\"kind\"",
        "correction",
    );
    let message = raw_part(
        "Content-Disposition: form-data; name=\"message\"",
        DESK_MESSAGE,
    );
    format!("{kind}{message}")
}

/// Bodies no browser sends: each a 4xx naming the part, nothing stored.
async fn broken_bodies_name_the_part(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ct = "multipart/form-data; boundary=XyZ";
    let part = raw_part;
    let kind = part(
        "Content-Disposition: form-data; name=\"kind\"",
        "correction",
    );
    let message = part(
        "Content-Disposition: form-data; name=\"message\"",
        DESK_MESSAGE,
    );
    let cases: Vec<(String, u16, &str)> = vec![
        // Cut off in the middle of a file.
        (
            format!("{kind}{message}--XyZ\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 cut"),
            400,
            "part 3",
        ),
        (
            format!("{kind}{}{message}--XyZ--\r\n", part("Content-Disposition: form-data", "x")),
            400,
            "Part 2",
        ),
        (
            format!("{kind}{message}{message}--XyZ--\r\n"),
            400,
            "message",
        ),
        // A control character in a header is no header at all.
        (
            format!("{kind}{message}{}--XyZ--\r\n", part("Content-Disposition: form-data; name=\"attachments\"; filename=\"bell\u{7}.pdf\"", "%PDF-1.4")),
            400,
            "part 3",
        ),
        // Encoded (RFC 8187), it reaches the name's own check.
        (
            format!("{kind}{message}{}--XyZ--\r\n", part("Content-Disposition: form-data; name=\"attachments\"; filename*=UTF-8''bell%07.pdf", "%PDF-1.4")),
            422,
            "bell\u{FFFD}.pdf",
        ),
        (
            format!("{kind}{}--XyZ--\r\n", part("Content-Disposition: form-data; name=\"message\"; filename=\"m.txt\"", "text")),
            400,
            "message",
        ),
    ];
    for (body, status, named) in cases {
        let res = app.post_raw(API, ct, body.into_bytes()).await;
        assert_eq!(res.status().as_u16(), status, "{named}");
        let body = json(res).await;
        let said = body["message"].as_str().unwrap();
        assert!(said.contains(named), "{said} names {named}");
    }
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &serde_json::json!({"kind": "correction", "message": DESK_MESSAGE, "attachments": ["a.pdf"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(res).await;
    assert!(body["fields"]["attachments"].is_string(), "{body}");
    assert!(app.tips().is_empty(), "nothing half-stored");
}

/// The page refuses a file past its limit with the reader's words kept
/// and a plea to choose the files again.
async fn the_page_keeps_the_words_and_asks_for_the_files_again(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.attachments.max_file_bytes = std::num::NonZeroU64::new(100).unwrap();
    })
    .await;
    let page = app.get(FORM).await.text().await.unwrap();
    let form = Page::parse(&page);
    assert_eq!(
        form.attr("form[method=post]", "enctype").as_deref(),
        Some("multipart/form-data")
    );
    assert_eq!(
        form.attr("#attachments", "name").as_deref(),
        Some("attachments")
    );
    assert!(form.attr("#attachments", "multiple").is_some());
    // Ticked, the box removes photos' metadata; unticked it sends nothing
    // and the page keeps it.
    assert_eq!(
        form.attr("#strip-metadata", "name").as_deref(),
        Some("keep_metadata")
    );
    assert_eq!(
        form.attr("#strip-metadata", "value").as_deref(),
        Some("off")
    );
    assert!(form.attr("#strip-metadata", "checked").is_some());
    assert!(form
        .text("label:has(#strip-metadata)")
        .unwrap()
        .contains("Remove location and camera details from photos (recommended)"));
    let token = crate::helpers::field(&page, "form_token").unwrap();
    let mut text = tip_fields();
    text.push(("form_token", &token));
    text.push(("name", "Zarghuna"));
    let res = app
        .post_multipart(
            FORM,
            &text,
            &[("scan.pdf", [pdf("s"), vec![b' '; 200]].concat())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = res.text().await.unwrap();
    let page = Page::parse(&html);
    assert_eq!(
        crate::helpers::textarea(&html, "message").as_deref(),
        Some(DESK_MESSAGE)
    );
    assert_eq!(page.attr("#name", "value").as_deref(), Some("Zarghuna"));
    let error = page.text("#attachments-error").unwrap();
    assert!(
        error.contains("scan.pdf") && error.contains("larger than 100 bytes,"),
        "{error}"
    );
    // The hint says the same limit, not "1 MB".
    assert!(
        page.text("#attachments-hint")
            .unwrap()
            .contains("100 bytes each"),
        "{:?}",
        page.text("#attachments-hint")
    );
    // The error box says the file's problem once: in its list, not again
    // as the notice above it.
    let summary = page.text(".error-summary").unwrap();
    assert_eq!(summary.matches("scan.pdf").count(), 1, "{summary}");
    assert_eq!(page.count(".error-summary li"), 1, "{summary}");
    assert!(
        page.count("#attachments-again") == 1,
        "asks for the files again"
    );
    assert!(app.tips().is_empty());

    // The same form with a file that fits is taken.
    let res = app
        .post_multipart(FORM, &text, &[("scan.pdf", pdf("s"))])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM attachments"), 1);
    app.leave_jobs_unsent();
}

/// Neither a file's bytes nor its name are anywhere in clear: not in any
/// column, not in any file of the data folder (SQLite's database, its
/// journal, the key ring).
async fn nothing_of_a_file_is_stored_in_clear(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let marker = "QX-known-document-4411";
    let name = "QX-secret-name-9902.pdf";
    let res = app
        .post_multipart(API, &tip_fields(), &[(name, pdf(marker))])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let hash = hex_sha256(&pdf(marker));
    for needle in [marker, name, hash.as_str()] {
        assert_eq!(
            app.count_sql(&format!(
                "SELECT count(*) AS n FROM attachments WHERE name LIKE '%{needle}%' OR sha256 LIKE '%{needle}%' OR file_key LIKE '%{needle}%'"
            )),
            0,
            "{needle} in a column"
        );
    }
    let chunks: Vec<Vec<u8>> = app
        .pool
        .with(|conn| {
            use diesel::prelude::*;
            use tipdesk::db::schema::attachment_chunks as c;
            Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| c::table
                .select(c::data)
                .load(conn))?)
        })
        .unwrap();
    assert!(!chunks.is_empty());
    for chunk in &chunks {
        assert!(
            !contains(chunk, marker.as_bytes()),
            "content in clear in a chunk"
        );
    }
    for entry in walk(&app.db_dir()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        for needle in [marker, name] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{needle} in {}",
                entry.display()
            );
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The desk's email counts the files and never names them.
async fn the_email_counts_the_files(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| crate::helpers::smtp_to(s, &smtp.url())).await;
    let res = app
        .post_multipart(
            API,
            &tip_fields(),
            &[("first-photo.jpg", jpeg()), ("second-scan.pdf", pdf("x"))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.worker().drain().await.unwrap();
    let mail = smtp.accepted();
    assert_eq!(mail.len(), 1);
    let body = mail[0].body_text();
    assert!(body.contains("2 files came with this tip"), "{body}");
    for name in ["first-photo", "second-scan"] {
        assert!(!mail[0].data.contains(name), "{name} named in the email");
    }
}

/// Past the store-wide budget files get 503; a tip without files is
/// still taken.
async fn over_the_store_budget_files_wait_and_text_goes_through(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.attachments.max_store_bytes = 150).await;
    app.leave_jobs_unsent();
    let first = app
        .post_multipart(API, &tip_fields(), &[("a.pdf", pdf("a"))])
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let second = app
        .post_multipart(API, &tip_fields(), &[("b.pdf", pdf("b"))])
        .await;
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(second).await["error"], "attachments_unavailable");
    let text_only = app.post_multipart(API, &tip_fields(), &[]).await;
    assert_eq!(text_only.status(), StatusCode::CREATED);
    assert_eq!(app.tips().len(), 2);
}

/// `tipdesk keys rotate` re-seals each file's key, name and hash, and
/// leaves the encrypted content as it was: the file still opens, with
/// the new ring.
async fn rotating_keys_reseals_files_without_rewriting_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let file = pdf("rotate-me");
    let res = app
        .post_multipart(API, &tip_fields(), &[("scan.pdf", file.clone())])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let chunks = |app: &TestApp| -> Vec<Vec<u8>> {
        app.pool
            .with(|conn| {
                use diesel::prelude::*;
                use tipdesk::db::schema::attachment_chunks as c;
                Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(conn, |conn| c::table
                    .order(c::seq)
                    .select(c::data)
                    .load(conn))?)
            })
            .unwrap()
    };
    let before = chunks(&app);
    let out = app.cli(&["keys", "rotate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("re-encrypted 1 record(s)"), "{text}");
    assert_eq!(chunks(&app), before, "the content is not rewritten");
    let ring = app.sealing_keys();
    let current = format!("enc1:{}:", ring.current_id());
    assert_eq!(
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM attachments WHERE name LIKE '{current}%' AND file_key LIKE '{current}%' AND sha256 LIKE '{current}%'"
        )),
        1
    );
    let tip = app.jobs()[0].tip_id;
    let reference = app.tips()[0].reference.clone();
    let (listed, content) = app
        .pool
        .with(|conn| {
            Ok::<_, tipdesk::db::DbError>(
                tipdesk::attachments::read(
                    conn,
                    &ring,
                    tip.to_string().parse().unwrap(),
                    &reference,
                    1,
                )
                .unwrap(),
            )
        })
        .unwrap()
        .unwrap();
    assert_eq!(listed.name.as_str(), "scan.pdf");
    assert_eq!(content, file);
}

/// `purge` removes a tip's files, and every chunk of them, with the tip.
async fn purge_removes_files_with_their_tips(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let big = [pdf("big"), vec![b' '; 3 * 64 * 1024]].concat();
    let res = app
        .post_multipart(API, &tip_fields(), &[("a.pdf", big), ("b.pdf", pdf("b"))])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM attachment_chunks"),
        5
    );
    app.execute_sql("UPDATE tips SET status = 'spam', updated_at = '2020-01-01 00:00:00'");
    let out = app.cli(&["purge"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(app.tips().is_empty());
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM attachments"), 0);
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM attachment_chunks"),
        0
    );
}

/// A phone's photo: EXIF with GPS and an orientation of 6, XMP naming
/// its owner, a comment with the camera's serial (the fuzzing seed, less
/// its first byte, which picks the format there).
fn phone_photo() -> Vec<u8> {
    include_bytes!("../../fuzz/corpus/photo_metadata/jpeg_with_gps")[1..].to_vec()
}

fn exif_of(jpeg: &[u8]) -> exif::Exif {
    exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(jpeg))
        .expect("an EXIF block")
}

/// A photo keeps its location only when the reader asks; either way the
/// desk is told which.
async fn a_photos_location_is_removed_unless_the_reader_keeps_it(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let photo = phone_photo();
    assert!(exif_of(&photo)
        .get_field(exif::Tag::GPSLatitudeRef, exif::In::PRIMARY)
        .is_some());
    let res = app
        .post_multipart(API, &tip_fields(), &[("IMG_0042.jpg", photo.clone())])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let mut kept = tip_fields();
    kept.push(("keep_metadata", "on"));
    let res = app
        .post_multipart(API, &kept, &[("IMG_0043.jpg", photo.clone())])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let editor = signed_in(&app, "ed@example.org", "editor", &["international"]).await;
    let jobs = app.jobs();
    let (stripped_tip, kept_tip) = (jobs[0].tip_id, jobs[1].tip_id);

    let stripped = first_file(&editor, stripped_tip).await;
    let exif = exif_of(&stripped);
    assert!(exif
        .get_field(exif::Tag::GPSLatitudeRef, exif::In::PRIMARY)
        .is_none());
    let orientation = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY);
    assert_eq!(orientation.and_then(|f| f.value.get_uint(0)), Some(6));
    for gone in [&b"Mina"[..], b"serial 8812"] {
        assert!(!contains(&stripped, gone), "metadata left in the photo");
    }
    assert!(
        contains(&stripped, b"\x12\x34\x56\x78pixels"),
        "pixels untouched"
    );
    assert!(tip_page(&editor, stripped_tip)
        .await
        .text("#file-1 .file-metadata")
        .unwrap()
        .starts_with("Removed"));

    let as_sent = first_file(&editor, kept_tip).await;
    assert_eq!(as_sent, photo, "kept byte for byte when the reader asked");
    assert!(tip_page(&editor, kept_tip)
        .await
        .text("#file-1 .file-metadata")
        .unwrap()
        .starts_with("Kept"));
}

/// A photo whose EXIF block is damaged cannot have its metadata removed:
/// 422 naming it; kept as it is when the reader asks.
async fn a_photo_with_a_damaged_exif_block_is_refused_by_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let mut photo = phone_photo();
    let tiff = photo.windows(4).position(|w| w == b"MM\0\x2A").unwrap();
    photo[tiff + 3] = 0x99;
    let res = app
        .post_multipart(API, &tip_fields(), &[("broken.jpg", photo.clone())])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(res).await;
    assert_eq!(body["error"], "attachment_damaged");
    assert!(body["fields"]["attachments"]
        .as_str()
        .unwrap()
        .contains("broken.jpg"));
    assert!(app.tips().is_empty(), "nothing half-stored");
    let mut kept = tip_fields();
    kept.push(("keep_metadata", "true"));
    let res = app
        .post_multipart(API, &kept, &[("broken.jpg", photo)])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// Bodies built to hold the server rather than to be read: each is
/// answered 400 naming the part, at once, with nothing stored. A body
/// that ends (its `Content-Length` all sent) after a part's closing line
/// break but without the close delimiter left actix-multipart waiting for
/// bytes that could never come: the request was never answered and the
/// body deadline, already met, did not end it. A part's headers, or the
/// preamble, that never end were buffered whole and searched again for
/// their end at every piece, for as long as the body deadline allowed.
async fn bodies_that_never_close_or_never_end_a_header_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let ct = "multipart/form-data; boundary=XyZ";
    let part = raw_part;
    let start = raw_tip_parts();
    let file = "--XyZ\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 x\r\n";
    let endless_header = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"quote\"\r\nX-Pad: {}",
        "a".repeat(4 << 20)
    );
    let many_parts: String = (0..40_000)
        .map(|i| {
            part(
                &format!("Content-Disposition: form-data; name=\"f{i}\""),
                "",
            )
        })
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "no close delimiter after a file",
            format!("{start}{file}").into_bytes(),
            "part 3",
        ),
        (
            "no close delimiter after text",
            start.clone().into_bytes(),
            "part 2",
        ),
        (
            "a header that never ends",
            format!("{start}{endless_header}\r\n\r\nx\r\n--XyZ--\r\n").into_bytes(),
            "part 3",
        ),
        (
            "a preamble that never ends",
            format!("{}{start}--XyZ--\r\n", "p".repeat(4 << 20)).into_bytes(),
            "part 1",
        ),
        (
            "forty thousand parts",
            format!("{start}{many_parts}--XyZ--\r\n").into_bytes(),
            "part",
        ),
    ];
    for (what, body, named) in cases {
        // A hang is this test's failure, not its wait: the answer comes
        // at once when it comes at all.
        let res = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            app.post_raw(API, ct, body),
        )
        .await
        .unwrap_or_else(|_| panic!("{what}: never answered"));
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{what}");
        let body = json(res).await;
        assert_eq!(body["error"], "bad_multipart", "{what}: {body}");
        let said = body["message"].as_str().unwrap();
        assert!(said.contains(named), "{what}: {said} names {named}");
    }
    assert!(app.tips().is_empty(), "nothing half-stored");
    // A form as browsers send it still goes through.
    created(
        app.post_multipart(API, &tip_fields(), &[("a.pdf", pdf("ok"))])
            .await,
    )
    .await;
}

/// Names and parts at the edges: invisible characters that make one name
/// look like another or break its line are refused like control
/// characters, while the joiners Persian and emoji are written with are
/// kept; a name sent as ISO-8859-1 (RFC 8187 allows it) is read as such;
/// a part whose name is empty is a part without a name.
async fn invisible_characters_in_names_and_unnamed_parts(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let ct = "multipart/form-data; boundary=XyZ";
    let part = raw_part;
    let start = raw_tip_parts();
    let pdf_text = String::from_utf8(pdf("n")).unwrap();
    for hidden in [
        "\u{2028}",
        "\u{2029}",
        "\u{200B}",
        "\u{FEFF}",
        "\u{E0041}",
        "\u{00AD}",
    ] {
        let name = format!("invoice{hidden}.pdf");
        let res = app
            .post_multipart(API, &tip_fields(), &[(name.as_str(), pdf("x"))])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{hidden:?}");
        let body = json(res).await;
        assert_eq!(body["error"], "attachment_bad_name", "{hidden:?} {body}");
    }
    let res = app
        .post_raw(
            API,
            ct,
            format!(
                "{start}{}--XyZ--\r\n",
                part("Content-Disposition: form-data; name=\"\"", "x")
            )
            .into_bytes(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let said = json(res).await["message"].as_str().unwrap().to_owned();
    assert!(said.contains("Part 3"), "{said}");
    let latin1 = part(
        "Content-Disposition: form-data; name=\"attachments\"; filename*=ISO-8859-1''caf%E9.pdf",
        &pdf_text,
    );
    created(
        app.post_raw(API, ct, format!("{start}{latin1}--XyZ--\r\n").into_bytes())
            .await,
    )
    .await;
    // Persian writes with the zero-width non-joiner, emoji with the joiner.
    created(
        app.post_multipart(
            API,
            &tip_fields(),
            &[("نامه‌ها.pdf", pdf("fa")), ("👩\u{200D}💻.pdf", pdf("e"))],
        )
        .await,
    )
    .await;
    let editor = signed_in(&app, "ed@example.org", "editor", &["international"]).await;
    let jobs = app.jobs();
    assert_eq!(jobs.len(), 2, "only the two tips were stored");
    let page = tip_page(&editor, jobs[0].tip_id).await;
    assert_eq!(page.text("#file-1 .file-name").as_deref(), Some("café.pdf"));
    let page = tip_page(&editor, jobs[1].tip_id).await;
    assert_eq!(
        page.text("#file-1 .file-name").as_deref(),
        Some("نامه‌ها.pdf")
    );
    assert_eq!(
        page.text("#file-2 .file-name").as_deref(),
        Some("👩\u{200D}💻.pdf")
    );
}

/// A digest (several tips within `notify.digest_window`) says, at each
/// tip's link, how many files came with it, and names none of them: a
/// flood is when evidence arrives, and the digest was silent about it.
async fn a_digest_counts_each_tips_files(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| {
        crate::helpers::smtp_to(s, &smtp.url());
        s.notify.digest_window = std::time::Duration::from_secs(1);
    })
    .await;
    let worker = app.worker();
    created(app.post_multipart(API, &tip_fields(), &[]).await).await;
    assert_eq!(worker.drain().await.unwrap().emails_sent, 1);
    let mut fields = tip_fields();
    fields[1].1 = "The photo in the article was taken in 2019, I was there.";
    created(
        app.post_multipart(
            API,
            &fields,
            &[("first-photo.jpg", jpeg()), ("second-scan.pdf", pdf("x"))],
        )
        .await,
    )
    .await;
    fields[1].1 = "The minister's name is spelled wrongly in the second line.";
    created(app.post_multipart(API, &fields, &[]).await).await;
    // The window's end, then the digest.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(worker.drain().await.unwrap().emails_sent, 1);
    let mail = smtp.accepted();
    assert_eq!(mail.len(), 2);
    let body = mail[1].body_text();
    let jobs = app.jobs();
    let with_files = format!("/desk/tips/{} (2 files)", jobs[1].tip_id);
    assert!(body.contains(&with_files), "{with_files} in {body}");
    let without = format!("/desk/tips/{}", jobs[2].tip_id);
    assert!(
        body.lines().any(|l| l.trim_end().ends_with(&without)),
        "{without} alone in {body}"
    );
    for name in ["first-photo", "second-scan"] {
        assert!(!mail[1].data.contains(name), "{name} named in the email");
    }
}

/// A ZIP archive whose end is a ZIP archive's end record: what archive
/// tools look for at a file's end to open it.
fn zip_archive() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file("payload.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, b"opened by an archive tool").unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

/// A photo (or any file that is not itself an archive) with a ZIP
/// archive appended is two kinds at once, as a PDF carrying one is: an
/// image viewer shows the picture, an archive tool opens the archive. It
/// was refused only as a PDF; a photo kept as taken went through.
async fn a_file_with_a_zip_archive_appended_is_refused_as_two_kinds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let zip = zip_archive();
    let png = include_bytes!("../../fuzz/corpus/photo_metadata/png_with_author")[1..].to_vec();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("photo.jpg", [jpeg(), zip.clone()].concat()),
        ("photo.png", [png.clone(), zip.clone()].concat()),
        (
            "anim.gif",
            [b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), zip.clone()].concat(),
        ),
    ];
    for keep in ["on", "off"] {
        for (name, bytes) in &cases {
            let mut fields = tip_fields();
            fields.push(("keep_metadata", keep));
            let res = app
                .post_multipart(API, &fields, &[(*name, bytes.clone())])
                .await;
            let status = res.status();
            let body = json(res).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} keep={keep} {body}"
            );
            assert_eq!(body["error"], "attachment_type_refused", "{name} {body}");
            let said = body["fields"]["attachments"].as_str().unwrap();
            assert!(said.contains("two kinds"), "{said}");
        }
    }
    assert!(app.tips().is_empty(), "nothing half-stored");
    // The photo alone goes through.
    let mut kept = tip_fields();
    kept.push(("keep_metadata", "on"));
    created(app.post_multipart(API, &kept, &[("photo.png", png)]).await).await;
}

both_backends!(
    a_photos_location_is_removed_unless_the_reader_keeps_it,
    a_photo_with_a_damaged_exif_block_is_refused_by_name,
    purge_removes_files_with_their_tips,
    rotating_keys_reseals_files_without_rewriting_them,
    a_pdf_round_trips_byte_for_byte,
    staff_of_another_desk_get_404,
    limits_and_types_are_refused_by_name,
    broken_bodies_name_the_part,
    bodies_that_never_close_or_never_end_a_header_are_refused,
    invisible_characters_in_names_and_unnamed_parts,
    a_file_with_a_zip_archive_appended_is_refused_as_two_kinds,
    the_page_keeps_the_words_and_asks_for_the_files_again,
    nothing_of_a_file_is_stored_in_clear,
    the_email_counts_the_files,
    a_digest_counts_each_tips_files,
    over_the_store_budget_files_wait_and_text_goes_through,
);

use crate::helpers::Backend;
