//! Files with a reader's follow-up message (issue 17): over the API and
//! the page (a multipart form, no JavaScript), under a tip's limits,
//! checks and stripping, stored in the message's transaction, shown to
//! the desk with the message and downloaded as a tip's files are.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::smtp::SmtpServer;

const MESSAGES: &str = "/api/v1/follow-up/messages";
const REPLY: &str = "Here is the notice itself, photographed on Tuesday.";

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\n%%EOF\n").into_bytes()
}

/// A phone's photo: EXIF with GPS and an orientation of 6, XMP naming its
/// owner ("Mina"), a comment with the camera's serial.
fn phone_photo() -> Vec<u8> {
    include_bytes!("../../fuzz/corpus/photo_metadata/jpeg_with_gps")[1..].to_vec()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn has_gps(jpeg: &[u8]) -> bool {
    exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(jpeg))
        .is_ok_and(|e| {
            e.get_field(exif::Tag::GPSLatitudeRef, exif::In::PRIMARY)
                .is_some()
        })
}

/// A text tip sent through the JSON API: (its id, its receipt).
async fn tip_with_receipt(app: &TestApp) -> (i64, String) {
    let res = app
        .post_json(
            DEMO_ARTICLE,
            &json!({"message": "The ministry's notice about the convoy was posted on Tuesday."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    let id = app.jobs().last().unwrap().tip_id;
    (id, v["receipt"].as_str().unwrap().to_owned())
}

async fn reader_view(app: &TestApp, receipt: &str) -> Value {
    let res = app.open_receipt(&app.client, receipt).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn stored_files(app: &TestApp) -> i64 {
    app.count_sql("SELECT count(*) AS n FROM attachments")
}

/// A reply over the API carries a photo (its location removed) and a PDF
/// (as sent); the reader sees them with their message, the desk sees them
/// with the message on the tip page, downloads them (audited) at the
/// tip's own numbering, and staff of another desk get 404.
async fn a_replys_files_reach_the_desk_with_the_reply(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let (tip, receipt) = tip_with_receipt(&app).await;
    let photo = phone_photo();
    assert!(has_gps(&photo));
    let scan = pdf("notice-scan-51c2");
    let files = [("notice.jpg", photo.clone()), ("scan.pdf", scan.clone())];
    let fields = [("receipt", receipt.as_str()), ("message", REPLY)];
    created(app.post_multipart(MESSAGES, &fields, &files).await).await;

    let view = reader_view(&app, &receipt).await;
    let files = &view["messages"][0]["attachments"];
    assert_eq!(files[0]["name"], "notice.jpg");
    assert_eq!(files[0]["type"], "jpeg");
    assert_eq!(files[0]["metadata"], "removed");
    assert_eq!(files[1]["name"], "scan.pdf");
    assert_eq!(files[1]["metadata"], "as_sent");
    assert_eq!(files[1]["size"], scan.len());

    let editor = signed_in(&app, "ed@example.org", "editor", &["international"]).await;
    let page = Page::of(editor.get(&format!("/desk/tips/{tip}")).await).await;
    assert_eq!(
        page.count("#files-heading"),
        0,
        "the tip itself had no files"
    );
    assert_eq!(
        page.text(".conversation li.from-reader #file-1 .file-name")
            .as_deref(),
        Some("notice.jpg")
    );
    assert!(page
        .text(".conversation li.from-reader #file-1 .file-metadata")
        .unwrap()
        .starts_with("Removed"));
    assert_eq!(
        page.text(".conversation li.from-reader #file-2 .file-name")
            .as_deref(),
        Some("scan.pdf")
    );

    let res = editor.get(&format!("/desk/tips/{tip}/attachments/1")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let cleaned = res.bytes().await.unwrap().to_vec();
    assert!(!has_gps(&cleaned), "the location went");
    assert!(!contains(&cleaned, b"Mina"), "the owner went");
    let res = editor.get(&format!("/desk/tips/{tip}/attachments/2")).await;
    assert_eq!(res.bytes().await.unwrap().to_vec(), scan, "byte for byte");
    let downloads = app
        .pool
        .with(|c| tipdesk::audit::list(c, None, 50).map_err(tipdesk::db::DbError::from))
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "tip.attachment_downloaded")
        .count();
    assert_eq!(downloads, 2, "every download is audited");

    let other = signed_in(&app, "sport@example.org", "viewer", &["default"]).await;
    let res = other.get(&format!("/desk/tips/{tip}/attachments/1")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A photo kept as the reader chose: byte for byte, and said so.
    let res = app
        .post_multipart(
            MESSAGES,
            &[
                ("receipt", &receipt),
                (
                    "message",
                    "And the same photo with its details, as you asked.",
                ),
                ("keep_metadata", "on"),
            ],
            &[("original.jpg", photo.clone())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let view = reader_view(&app, &receipt).await;
    assert_eq!(view["messages"][1]["attachments"][0]["metadata"], "kept");
    let res = editor.get(&format!("/desk/tips/{tip}/attachments/3")).await;
    assert_eq!(res.bytes().await.unwrap().to_vec(), photo);
}

/// A reply's files are held to a tip's limits and checks; refused files
/// refuse the whole message (nothing half-stored), a JSON body cannot
/// carry files, and past the store's budget files get 503 while words
/// alone still go through.
async fn a_replys_files_are_refused_as_a_tips_and_nothing_is_half_stored(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.attachments.max_files = 1;
        s.attachments.max_store_bytes = 600;
    })
    .await;
    app.leave_jobs_unsent();
    let (_, receipt) = tip_with_receipt(&app).await;
    let text = [("receipt", receipt.as_str()), ("message", REPLY)];

    let res = app
        .post_multipart(MESSAGES, &text, &[("a.pdf", pdf("a")), ("b.pdf", pdf("b"))])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_many_attachments");
    let res = app
        .post_multipart(MESSAGES, &text, &[("run.exe", b"MZ\x90\0binary".to_vec())])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "attachment_type_refused");
    assert!(body["fields"]["attachments"]
        .as_str()
        .unwrap()
        .contains("run.exe"));
    let res = app
        .client
        .post(app.url(MESSAGES))
        .json(&json!({"receipt": receipt, "message": REPLY, "attachments": ["a.pdf"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["attachments"].is_string(), "{body}");
    let view = reader_view(&app, &receipt).await;
    assert_eq!(
        view["messages"].as_array().unwrap().len(),
        0,
        "no message stored"
    );
    assert_eq!(stored_files(&app), 0, "no file stored");

    let big = format!("%PDF-1.4\n% {}\n%%EOF\n", "z".repeat(700)).into_bytes();
    let res = app
        .post_multipart(MESSAGES, &text, &[("big.pdf", big)])
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "attachments_unavailable");
    let res = app.post_multipart(MESSAGES, &text, &[]).await;
    assert_eq!(res.status(), StatusCode::CREATED, "words alone go through");
    assert_eq!(stored_files(&app), 0);
}

/// The follow-up page sends files with a plain form (no JavaScript):
/// multipart, the "remove location" box ticked by default; the reader
/// sees what was done to each file. A refused file gives the words back
/// and asks for the files again, in the reader's language.
async fn the_follow_up_page_sends_files_without_javascript(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.attachments.max_file_bytes = std::num::NonZeroU64::new(2_000).unwrap();
    })
    .await;
    app.leave_jobs_unsent();
    let (tip, receipt) = tip_with_receipt(&app).await;
    let page = Page::of(app.post_form("/follow-up", &[("receipt", &receipt)]).await).await;
    assert_eq!(
        page.attr("form.reply", "enctype").as_deref(),
        Some("multipart/form-data")
    );
    assert_eq!(
        page.attr("form.reply input#attachments", "type").as_deref(),
        Some("file")
    );
    assert_eq!(
        page.attr("form.reply input#strip-metadata", "name")
            .as_deref(),
        Some("keep_metadata")
    );
    assert!(page
        .attr("form.reply input#strip-metadata", "checked")
        .is_some());

    // What the browser sends with the box ticked.
    let res = app
        .post_multipart(
            "/follow-up/messages",
            &[
                ("receipt", &receipt),
                ("message", REPLY),
                ("keep_metadata", "off"),
            ],
            &[("IMG_0042.jpg", phone_photo())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Page::of(res).await;
    assert!(page.text("#follow-up-notice").is_some());
    assert_eq!(
        page.text(".conversation .from-reader .file-name")
            .as_deref(),
        Some("IMG_0042.jpg")
    );
    assert_eq!(
        page.text(".conversation .from-reader .file-metadata")
            .as_deref(),
        Some("location and camera details removed")
    );
    let editor = signed_in(&app, "ed@example.org", "editor", &["default"]).await;
    let photo = editor
        .get(&format!("/desk/tips/{tip}/attachments/1"))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(!has_gps(&photo));

    // Too large, in Persian: the words come back, the files must be chosen again.
    let big = format!("%PDF-1.4\n% {}\n%%EOF\n", "z".repeat(3_000)).into_bytes();
    let words = "این هم عکس اعلامیه که روز سه‌شنبه گرفتم.";
    let res = app
        .post_multipart(
            "/follow-up/messages?lang=fa",
            &[
                ("receipt", &receipt),
                ("message", words),
                ("keep_metadata", "off"),
            ],
            &[("اعلامیه.pdf", big)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = Page::of(res).await;
    assert_eq!(textarea(page.source(), "message").as_deref(), Some(words));
    assert!(
        page.text("#attachments-again").is_some(),
        "asks for the files again"
    );
    let error = page.text("#attachments-error").unwrap();
    assert!(error.contains("اعلامیه.pdf"), "{error}");
    assert_eq!(
        page.attr("input#attachments", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(stored_files(&app), 1, "the refused file was not kept");
}

/// The reader sees the files they sent with the tip itself too: on the
/// API (`attachments` beside the messages) and on the page (name, size,
/// what was done to each), with no way to download them.
async fn the_reader_sees_the_files_sent_with_the_tip(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let files = [
        ("notice.jpg", phone_photo()),
        ("scan.pdf", pdf("tip-scan-0c1d")),
    ];
    let text = [("message", DESK_MESSAGE)];
    let api = format!("/api/v1/articles/{DEMO_ARTICLE}/tips");
    let sent: Value = created(app.post_multipart(&api, &text, &files).await)
        .await
        .json()
        .await
        .unwrap();
    let receipt = sent["receipt"].as_str().unwrap();

    let view = reader_view(&app, receipt).await;
    let listed = view["attachments"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{view}");
    assert_eq!(listed[0]["name"], "notice.jpg");
    assert_eq!(listed[0]["type"], "jpeg");
    assert_eq!(listed[0]["metadata"], "removed");
    assert_eq!(listed[1]["name"], "scan.pdf");
    assert_eq!(listed[1]["metadata"], "as_sent");
    assert_eq!(listed[1]["size"], files[1].1.len());
    assert!(view["messages"][0].get("attachments").is_none());

    let page = Page::of(app.post_form("/follow-up", &[("receipt", receipt)]).await).await;
    assert_eq!(
        page.texts("#tip-files .file-name"),
        ["notice.jpg", "scan.pdf"]
    );
    // A few dozen bytes: 1 kB, as readers are told sizes.
    assert_eq!(page.texts("#tip-files .file-size")[1], "1 kB");
    assert_eq!(
        page.texts("#tip-files .file-metadata"),
        [
            "location and camera details removed",
            "stored exactly as you sent it"
        ]
    );
    assert_eq!(page.count("#tip-files a"), 0, "nothing to download");
}

/// A reply with files whose receipt is refused: the receipt form comes
/// back with the words kept and a note that the files must be chosen
/// again (browsers do not keep them), in the reader's language.
async fn a_refused_receipt_asks_for_the_files_again(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let wrong = "9999 8888 7777 6666 5555";
    let text = [("receipt", wrong), ("message", REPLY)];
    let files = [("scan.pdf", pdf("refused"))];
    let page = Page::of(
        app.post_multipart("/follow-up/messages", &text, &files)
            .await,
    )
    .await;
    assert_eq!(page.text("#unsent").as_deref(), Some(REPLY));
    assert!(page
        .text("#files-again")
        .unwrap()
        .starts_with("The files you chose were not sent"));
    let persian = app
        .post_multipart("/follow-up/messages?lang=fa", &text, &files)
        .await;
    let persian = Page::of(persian).await;
    assert!(persian
        .text("#files-again")
        .unwrap()
        .starts_with("فایل‌هایی که انتخاب کرده بودید"));
    // Without files, no such note.
    let page = Page::of(app.post_multipart("/follow-up/messages", &text, &[]).await).await;
    assert!(page.text("#files-again").is_none());
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM attachments"), 0);
}

/// The desk's email about a reply says how many files came with that
/// message (not the tip's, not earlier replies'), never their names, and
/// says nothing of files when none came.
async fn the_reply_email_counts_the_messages_files(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |s| {
        crate::helpers::smtp_to(s, &smtp.url());
        s.notify.digest_window = std::time::Duration::ZERO;
    })
    .await;
    let (_, receipt) = tip_with_receipt(&app).await;
    let fields = [("receipt", receipt.as_str()), ("message", REPLY)];
    let files = [("notice-9a.jpg", phone_photo())];
    created(app.post_multipart(MESSAGES, &fields, &files).await).await;
    let files = [("scan-4f.pdf", pdf("a")), ("scan-5e.pdf", pdf("b"))];
    created(app.post_multipart(MESSAGES, &fields, &files).await).await;
    let words = [
        ("receipt", receipt.as_str()),
        ("message", "One more thing, no files."),
    ];
    created(app.post_multipart(MESSAGES, &words, &[]).await).await;
    app.worker().drain().await.unwrap();
    let mail = smtp.accepted();
    assert_eq!(mail.len(), 4, "the tip and three replies");
    let bodies: Vec<String> = mail.iter().map(|m| m.body_text()).collect();
    let with = |needle: &str| bodies.iter().filter(|b| b.contains(needle)).count();
    assert_eq!(with("One file came with this message"), 1, "{bodies:#?}");
    assert_eq!(with("2 files came with this message"), 1, "{bodies:#?}");
    assert_eq!(with("came with this message"), 2, "{bodies:#?}");
    for m in &mail {
        for name in ["notice-9a", "scan-4f", "scan-5e"] {
            assert!(!m.data.contains(name), "{name} named in the email");
        }
    }
    // The HTML part says it too.
    assert_eq!(with("<p>One file came with this message"), 1, "{bodies:#?}");
}

crate::both_backends!(
    the_reply_email_counts_the_messages_files,
    a_replys_files_reach_the_desk_with_the_reply,
    the_reader_sees_the_files_sent_with_the_tip,
    a_refused_receipt_asks_for_the_files_again,
    a_replys_files_are_refused_as_a_tips_and_nothing_is_half_stored,
    the_follow_up_page_sends_files_without_javascript,
);
