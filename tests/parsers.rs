#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! Property tests for the parsers at the edge: whatever they accept comes
//! back exactly as given; whatever breaks a rule is refused, never altered.

use proptest::prelude::*;
use tipdesk::domain::graphemes::{is_blank, visible_len};
use tipdesk::domain::{ArticleId, Contact, Quote, ReaderName, TipKind, TipMessage};
use tipdesk::submission::TipInput;

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

proptest! {
    #[test]
    fn valid_article_ids_round_trip(
        id in "[A-Za-z0-9._-]{1,128}".prop_filter("not only dots", |s| !s.bytes().all(|b| b == b'.')),
    ) {
        let parsed = ArticleId::parse(&id).unwrap();
        prop_assert_eq!(parsed.as_str(), id.as_str());
    }

    #[test]
    fn article_ids_with_other_characters_are_refused(
        prefix in "[a-z0-9]{0,20}",
        bad in any::<char>().prop_filter("not an ID character", |c| !is_id_char(*c)),
        suffix in "[a-z0-9]{0,20}",
    ) {
        let id = format!("{prefix}{bad}{suffix}");
        prop_assert!(ArticleId::parse(&id).is_err());
    }

    #[test]
    fn overlong_article_ids_are_refused(id in "[a-z]{129,300}") {
        prop_assert!(ArticleId::parse(&id).is_err());
    }

    #[test]
    fn any_text_without_controls_round_trips_in_a_message(
        body in "[^\\p{Cc}]{10,2000}".prop_filter("meaningful", |s| visible_len(s) >= 10),
        breaks in prop::collection::vec(prop::sample::select(vec!["\n", "\r\n", "\t"]), 0..4),
    ) {
        let text = format!("{body}{}", breaks.concat());
        let parsed = TipMessage::parse(&text).unwrap();
        prop_assert_eq!(parsed.as_str(), text.as_str());
    }

    #[test]
    fn control_characters_are_refused_not_stripped(
        before in "[a-zA-Zа-я ]{10,50}",
        control in prop::sample::select(vec!['\u{0}', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}']),
        after in "[a-z ]{0,20}",
    ) {
        let text = format!("{before}{control}{after}");
        prop_assert!(TipMessage::parse(&text).is_err());
        prop_assert!(Quote::parse(&text).is_err());
        prop_assert!(ReaderName::parse(&text).is_err());
        prop_assert!(Contact::parse(&text).is_err());
    }

    #[test]
    fn names_and_contacts_are_single_lines_kept_as_written(
        text in "[^\\p{Cc}]{1,150}".prop_filter("not blank", |s| !is_blank(s)),
    ) {
        let name = ReaderName::parse(&text).unwrap().unwrap();
        prop_assert_eq!(name.as_str(), text.as_str());
        let with_break = format!("{text}\nsecond line");
        prop_assert!(ReaderName::parse(&with_break).is_err());
        // A contact is either accepted exactly or refused with a reason.
        match Contact::parse(&text) {
            Ok(Some(c)) => prop_assert_eq!(c.as_str(), text.as_str()),
            Ok(None) => prop_assert!(false, "non-blank contact parsed as empty"),
            Err(e) => prop_assert!(!tipdesk::i18n::catalog().source().msg(&e).is_empty()),
        }
    }

    #[test]
    fn emails_are_recognised_and_kept(
        // Dots only between characters, as in a valid address; generated
        // rather than filtered, so any number of cases runs.
        local in "[a-z0-9_]{1,8}(\\.[a-z0-9_]{1,8}){0,2}",
        domain in "[a-z]{1,20}\\.(org|com|af|ru)",
    ) {
        let email = format!("{local}@{domain}");
        let c = Contact::parse(&email).unwrap().unwrap();
        prop_assert_eq!(c.kind(), "email");
        prop_assert_eq!(c.as_str(), email.as_str());
    }

    #[test]
    fn the_whole_input_parser_never_panics_and_never_alters(
        kind in prop::option::of(prop::sample::select(vec!["new_information", "correction", "other", "bogus", ""])),
        message in prop::option::of(any::<String>()),
        quote in prop::option::of(any::<String>()),
        name in prop::option::of(any::<String>()),
        contact in prop::option::of(any::<String>()),
        consent in prop::option::of(prop::sample::select(vec!["on", "true", "off", ""])),
    ) {
        let input = TipInput {
            kind: kind.map(str::to_owned),
            message: message.clone().into(),
            quote: quote.clone().into(),
            name: name.clone().into(),
            contact: contact.clone().into(),
            consent: consent.map(str::to_owned),
        };
        if let Ok(tip) = input.parse() {
            prop_assert_eq!(Some(tip.message.as_str()), message.as_deref());
            if let Some(q) = tip.quote { prop_assert_eq!(Some(q.as_str()), quote.as_deref()); }
            if let Some(n) = tip.name { prop_assert_eq!(Some(n.as_str()), name.as_deref()); }
            if let Some(c) = &tip.contact {
                prop_assert_eq!(Some(c.as_str()), contact.as_deref());
                prop_assert!(tip.consent, "a kept contact always has consent");
            }
        }
    }
}

#[test]
fn tip_kinds_parse_their_wire_names_only() {
    for kind in TipKind::ALL {
        assert_eq!(TipKind::parse(kind.as_str()), Ok(kind));
    }
    assert!(TipKind::parse("Correction").is_err());
    assert!(TipKind::parse("").is_err());
}

// ---------------------------------------------------------------------------
// Proptest at scale: the JSON body reader and the article import, fed
// arbitrary trees and files. The case counts are modest so the suite stays
// quick; `PROPTEST_CASES=100000 cargo test --test parsers` runs them long.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use tipdesk::articles::{parse_file, ImportError, NewArticle};

/// `PROPTEST_CASES` when set, else `default`. (`ProptestConfig::with_cases`
/// alone would ignore the variable.)
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

const TIP_FIELDS: [&str; 6] = ["kind", "message", "quote", "name", "contact", "consent"];

/// Text as readers and attackers send it: anything, printable text, and
/// values that mean something to the parsers.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[^\\p{Cc}]{0,40}",
        1 => "[ \\t\\r\\n\\u{a0}\\u{3000}]{0,12}",
        3 => prop::sample::select(vec![
            "", " ", "new_information", "correction", "other", "Correction",
            "The convoy left Kunduz on Tuesday, not Monday.", "short",
            "reader@example.org", "a@b@c", "@source on Signal", "+93 70 123 4567",
            "on", "true", "1", "\u{0}", "x\r\nBcc: evil@example.org", "<script>alert(1)</script>",
            "😀😀😀😀😀😀😀😀😀😀", "\u{202e}\u{200b}\u{feff}",
        ])
        .prop_map(str::to_owned),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(TIP_FIELDS.to_vec()).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// An object that mostly looks like a tip: its fields, values mostly of
/// the right type.
fn tip_object() -> impl Strategy<Value = Value> {
    let member = prop_oneof![
        4 => text().prop_map(Value::from),
        2 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => json_value(),
    ];
    prop::collection::vec((key(), member), 0..8)
        .prop_map(|members| Value::Object(members.into_iter().collect()))
}

/// A tip with a plausible message and the other fields anything textual,
/// so the field rules behind the reader see many near-valid tips.
fn tip_like() -> impl Strategy<Value = Value> {
    let maybe = || prop::option::of(text());
    (
        maybe(),
        "[a-zA-Zа-яا-ی ]{10,60}",
        maybe(),
        maybe(),
        maybe(),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(kind, message, quote, name, contact, consent)| {
            let mut map = serde_json::Map::new();
            map.insert("message".into(), message.into());
            for (field, value) in [
                ("kind", kind),
                ("quote", quote),
                ("name", name),
                ("contact", contact),
            ] {
                if let Some(v) = value {
                    map.insert(field.into(), v.into());
                }
            }
            if let Some(c) = consent {
                map.insert("consent".into(), c.into());
            }
            Value::Object(map)
        })
}

/// The fields `from_json` must refuse for their type.
fn wrongly_typed(value: &Value) -> BTreeSet<&'static str> {
    let Value::Object(map) = value else {
        return BTreeSet::from(["body"]);
    };
    TIP_FIELDS
        .into_iter()
        .filter(|f| match map.get(*f) {
            None | Some(Value::Null) => false,
            Some(Value::String(_)) => *f == "consent",
            Some(Value::Bool(_)) => *f != "consent",
            Some(_) => true,
        })
        .collect()
}

/// What every imported article must be, whatever the file said.
fn check_article(a: &NewArticle) -> Result<(), TestCaseError> {
    prop_assert_eq!(ArticleId::parse(a.id.as_str()), Ok(a.id.clone()));
    prop_assert!(matches!(a.url.scheme(), "http" | "https"), "{}", a.url);
    for (what, s, max) in [("title", &a.title, 500), ("section", &a.section, 100)] {
        prop_assert!(!is_blank(s) && s.trim() == s.as_str(), "{what}: {s:?}");
        prop_assert!(s.chars().count() <= max, "{what}: too long");
        prop_assert!(!s.chars().any(char::is_control), "{what}: {s:?}");
    }
    Ok(())
}

/// An independent statement of the import rules: the article a row
/// must become, or `None` when the row must be refused.
fn expected_article(id: &str, title: &str, url: &str, section: &str) -> Option<NewArticle> {
    let id = ArticleId::parse(id.trim()).ok()?;
    let (title, section) = (title.trim(), section.trim());
    let line = |s: &str, max: usize| {
        !is_blank(s) && s.chars().count() <= max && !s.chars().any(char::is_control)
    };
    if !line(title, 500) || !line(section, 100) {
        return None;
    }
    let url = url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))?;
    Some(NewArticle {
        id,
        title: title.to_owned(),
        url,
        section: section.to_owned(),
        language: None,
    })
}

/// A cell of an import file: mostly plausible, sometimes hostile.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9._-]{1,20}",
        1 => " ?[a-z]{1,10} ?",
        2 => "https?://[a-z]{1,10}\\.example/[a-z0-9/._-]{0,12}",
        2 => "[^\\p{Cc}]{0,30}",
        1 => any::<String>(),
        2 => prop::sample::select(vec![
            "", " ", "International", "javascript:alert(1)", "ftp://files.example/a",
            "http://", "http://[::1]:8080/x", "https://exa mple.org/", "HTTPS://NEWS.EXAMPLE/A",
            "mailto:desk@example.org", "x\r\ny", "a\nb", "\u{0}", "\"", ",", "\"\"\"", "😀",
            "id", "\u{feff}id", "../../etc/passwd", "=cmd|' /C calc'!A0",
        ])
        .prop_map(str::to_owned),
        1 => Just("a".repeat(129)),
        1 => Just("é".repeat(501)),
    ]
}

/// An article's four values, each mostly valid and now and then hostile,
/// so that whole valid files are common and broken ones too.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    title: String,
    url: String,
    section: String,
    notes: String,
}

fn row() -> impl Strategy<Value = Row> {
    let id = prop_oneof![
        6 => "[A-Za-z0-9._-]{1,20}",
        1 => " [a-z0-9]{1,10} ",
        1 => cell(),
    ];
    let url = prop_oneof![
        6 => "https?://[a-z]{1,10}\\.example/[a-z0-9/._-]{0,12}",
        1 => Just(" https://news.example/a?b=c#d ".to_owned()),
        1 => cell(),
    ];
    let line = || prop_oneof![6 => "[^\\p{Cc}]{1,30}", 1 => cell()];
    (id, line(), url, line(), cell()).prop_map(|(id, title, url, section, notes)| Row {
        id,
        title,
        url,
        section,
        notes,
    })
}

impl Row {
    /// The value under a header name, as the header spells it.
    fn under(&self, name: &str) -> String {
        match name.trim().to_lowercase().as_str() {
            "id" => self.id.clone(),
            "title" => self.title.clone(),
            "url" => self.url.clone(),
            "section" => self.section.clone(),
            _ => self.notes.clone(),
        }
    }

    fn expected(&self) -> Option<NewArticle> {
        expected_article(&self.id, &self.title, &self.url, &self.section)
    }
}

/// A header: the four columns in any order, perhaps padded, perhaps with
/// an extra one, perhaps with one missing or misspelt.
fn header() -> impl Strategy<Value = Vec<String>> {
    (
        Just(vec!["id", "title", "url", "section"]).prop_shuffle(),
        0..8usize,
        any::<bool>(),
    )
        .prop_map(|(names, twist, extra)| {
            let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
            match twist {
                0 => names[0] = format!(" {} ", names[0]),
                1 => names[1] = names[1].to_uppercase(),
                2 => {
                    names.pop();
                }
                _ => {}
            }
            if extra {
                names.push("notes".into());
            }
            names
        })
}

/// A CSV file as a spreadsheet may save it: perhaps with a byte-order
/// mark, with `\n` or `\r\n` line ends. Also gives the physical line each
/// row starts on, counted here (`\r\n`, `\n` and a lone `\r` are one line
/// break each).
fn csv_bytes(
    header: &[String],
    rows: &[Vec<String>],
    bom: bool,
    crlf: bool,
) -> (Vec<u8>, Vec<u64>) {
    let terminator = if crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let start = if bom {
        "\u{feff}".as_bytes().to_vec()
    } else {
        Vec::new()
    };
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(terminator)
        .from_writer(start);
    w.write_record(header).unwrap();
    let mut starts = Vec::new();
    for row in rows {
        w.flush().unwrap();
        starts.push(w.get_ref().len());
        w.write_record(row).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    let lines = starts
        .iter()
        .map(|&start| {
            let before = &bytes[..start];
            let breaks = before
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .count();
            breaks as u64 + 1
        })
        .collect();
    (bytes, lines)
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn the_json_reader_never_panics_and_names_exactly_the_wrong_fields(
        value in prop_oneof![json_value(), tip_object(), tip_like()],
    ) {
        match TipInput::from_json(&value) {
            Err(errors) => {
                let named: BTreeSet<&str> = errors.keys().copied().collect();
                prop_assert_eq!(named, wrongly_typed(&value));
                let en = tipdesk::i18n::catalog().source();
                prop_assert!(errors.values().all(|m| !en.msg(m).is_empty()));
            }
            Ok(input) => {
                prop_assert!(wrongly_typed(&value).is_empty());
                let map = value.as_object().unwrap();
                let string = |f: &str| map.get(f).and_then(Value::as_str).map(str::to_owned);
                prop_assert_eq!(&input.kind, &string("kind"));
                prop_assert_eq!(&*input.message, &string("message"));
                prop_assert_eq!(&*input.quote, &string("quote"));
                prop_assert_eq!(&*input.name, &string("name"));
                prop_assert_eq!(&*input.contact, &string("contact"));
                let consent = map.get("consent").and_then(Value::as_bool);
                prop_assert_eq!(input.consent_given(), consent == Some(true));
                // And the field rules take whatever came through.
                match input.parse() {
                    Ok(tip) => {
                        prop_assert_eq!(Some(tip.message.as_str()), input.message.as_deref());
                        prop_assert_eq!(tip.consent, tip.contact.is_some());
                    }
                    Err(errors) => {
                        prop_assert!(!errors.is_empty());
                        prop_assert!(errors.keys().all(|k| TIP_FIELDS.contains(k)));
                    }
                }
            }
        }
    }

    #[test]
    fn the_import_never_panics_on_any_bytes(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            "id,title,url,section\n[^\\u{0}]{0,200}".prop_map(String::into_bytes),
            "\\[\\{[^\\u{0}]{0,200}".prop_map(String::into_bytes),
        ],
        name in prop::sample::select(vec!["a.csv", "a.json", "A.JSON", "articles", "a.txt"]),
    ) {
        if let Ok(batch) = parse_file(Path::new(name), &bytes) {
            for article in &batch {
                check_article(article)?;
            }
        }
    }

    #[test]
    fn a_csv_import_takes_every_valid_file_whole_and_refuses_the_rest(
        header in header(),
        rows in prop::collection::vec(row(), 0..6),
        bom in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| header.iter().map(|h| r.under(h)).collect())
            .collect();
        let (bytes, lines) = csv_bytes(&header, &cells, bom, crlf);
        let complete = ["id", "title", "url", "section"]
            .iter()
            .all(|w| header.iter().any(|h| h.trim() == *w));
        let expected: Vec<Option<NewArticle>> = rows.iter().map(Row::expected).collect();
        match parse_file(Path::new("articles.csv"), &bytes) {
            Ok(batch) => {
                prop_assert!(complete);
                prop_assert_eq!(batch.len(), rows.len());
                for (article, want) in batch.iter().zip(&expected) {
                    check_article(article)?;
                    prop_assert_eq!(Some(article), want.as_ref());
                }
            }
            Err(ImportError::Row { line, problem }) => {
                prop_assert!(!problem.is_empty());
                if !complete {
                    prop_assert_eq!(line, 1);
                } else {
                    let first_bad = expected.iter().position(Option::is_none);
                    prop_assert!(first_bad.is_some(), "a valid file was refused: line {line}: {problem}");
                    // The physical line the bad row starts on, whatever
                    // the line ends and the line breaks in quoted cells.
                    prop_assert_eq!(line, lines[first_bad.unwrap()], "{}", problem);
                }
            }
            Err(other) => prop_assert!(false, "unexpected error: {other}"),
        }
    }

    #[test]
    fn a_json_import_takes_every_valid_file_whole_and_refuses_the_rest(
        items in prop::collection::vec(
            prop_oneof![
                8 => (row(), any::<bool>()).prop_map(|(r, extra)| {
                    let mut o = serde_json::json!({"id": r.id, "title": r.title, "url": r.url, "section": r.section});
                    if extra {
                        o["notes"] = serde_json::json!([r.notes, {"x": null}]);
                    }
                    o
                }),
                1 => tip_object(),
                1 => json_value(),
            ],
            0..6,
        ),
        layout in 0..3u8,
        bom in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let value = Value::Array(items.clone());
        let mut bytes = if bom { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        match layout {
            0 => bytes.extend(serde_json::to_vec(&value).unwrap()),
            1 => bytes.extend(serde_json::to_vec_pretty(&value).unwrap()),
            // One article a line: article i is on line i + 2.
            _ => {
                let end = if crlf { "\r\n" } else { "\n" };
                let lines: Vec<String> = items.iter().map(|i| serde_json::to_string(i).unwrap()).collect();
                bytes.extend(format!("[{end}{}{end}]", lines.join(&format!(",{end}"))).into_bytes());
            }
        }
        let expected: Vec<Option<NewArticle>> = items
            .iter()
            .map(|item| {
                let s = |f: &str| item.get(f).and_then(Value::as_str);
                expected_article(s("id")?, s("title")?, s("url")?, s("section")?)
            })
            .collect();
        match parse_file(Path::new("articles.json"), &bytes) {
            Ok(batch) => {
                prop_assert_eq!(batch.len(), items.len());
                for (article, want) in batch.iter().zip(&expected) {
                    check_article(article)?;
                    prop_assert_eq!(Some(article), want.as_ref());
                }
            }
            Err(e) => {
                prop_assert!(expected.iter().any(Option::is_none), "a valid file was refused: {e}");
                if let ImportError::Row { line, .. } = e {
                    prop_assert!(line >= 1, "a bad article is pointed at by its line");
                    let first_bad = expected.iter().position(Option::is_none).unwrap();
                    match layout {
                        0 => prop_assert_eq!(line, 1),
                        1 => {}
                        _ => prop_assert_eq!(line, first_bad as u64 + 2),
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Text in every script (issue 11): search folding, invisible text, lengths
// and cuts in grapheme clusters, internationalized email, dot-only IDs.

use tipdesk::domain::folding::fold;
use tipdesk::domain::graphemes::{cut, prefix};
use tipdesk::domain::EmailAddress;
use unicode_segmentation::UnicodeSegmentation;

/// Letters whose case folding is the same whichever case they are typed
/// in (dotless ı is left out on purpose: full case folding keeps it apart
/// from I and i, see `domain::folding`).
const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzäöüßéèçñАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюяΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρστυφχψωςابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیكيىةۀ۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789 ";

/// The zero of every script's decimal digits that the tests name.
const ZEROS: [char; 8] = ['0', '٠', '۰', '०', '০', '๐', '၀', '０'];

/// Invisible characters of every kind the rules name.
const INVISIBLE: [char; 20] = [
    ' ', '\t', '\n', '\u{a0}', '\u{2003}', '\u{3000}', '\u{2028}', '\u{200b}', '\u{200c}',
    '\u{200d}', '\u{200e}', '\u{2060}', '\u{feff}', '\u{ad}', '\u{34f}', '\u{115f}', '\u{1160}',
    '\u{3164}', '\u{ffa0}', '\u{2800}',
];

fn words() -> impl Strategy<Value = String> {
    let letters: Vec<char> = LETTERS.chars().collect();
    prop::collection::vec(prop::sample::select(letters), 0..40)
        .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn folding_is_idempotent_and_blind_to_case_and_normal_form(text in words(), any_text in any::<String>()) {
        prop_assert_eq!(fold(&fold(&any_text)), fold(&any_text));
        let f = fold(&text);
        prop_assert_eq!(fold(&text.to_uppercase()), f.clone());
        prop_assert_eq!(fold(&text.to_lowercase()), f.clone());
        let nfd: String = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd().normalize(&text).into_owned();
        prop_assert_eq!(fold(&nfd), f.clone());
        // Arabic and Persian spellings of kaf and yeh are one.
        let persian = text.replace('ك', "ک").replace(['ي', 'ى'], "ی");
        prop_assert_eq!(fold(&persian), f);
    }

    #[test]
    fn a_folded_phrase_is_found_in_the_folded_text_around_it(
        before in words(), phrase in words(), after in words(),
    ) {
        // What the desk's filter does: substring of folded text.
        let text = format!("{before} {phrase} {after}");
        prop_assert!(fold(&text).contains(&fold(&phrase)));
        prop_assert!(fold(&text).contains(&fold(&phrase.to_uppercase())));
    }

    #[test]
    fn decimal_digits_of_every_script_fold_to_ascii(
        zero in prop::sample::select(ZEROS.to_vec()),
        digits in prop::collection::vec(0u32..10, 1..12),
    ) {
        let native: String = digits.iter().map(|d| char::from_u32(zero as u32 + d).unwrap()).collect();
        let ascii: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
        prop_assert_eq!(fold(&native), ascii);
    }

    #[test]
    fn invisible_text_is_empty_in_every_field(
        chars in prop::collection::vec(prop::sample::select(INVISIBLE.to_vec()), 1..40),
    ) {
        let text: String = chars.into_iter().collect();
        prop_assert!(is_blank(&text));
        prop_assert_eq!(TipMessage::parse(&text).unwrap_err(), tipdesk::i18n::Msg::new("message-missing"));
        prop_assert!(Quote::parse(&text).map_or(true, |q| q.is_none()));
        prop_assert!(ReaderName::parse(&text).map_or(true, |n| n.is_none()));
        prop_assert!(Contact::parse(&text).map_or(true, |c| c.is_none()));
        prop_assert!(is_blank(&fold(&text)));
    }

    #[test]
    fn minimum_lengths_count_what_a_reader_sees(
        cluster in prop::sample::select(vec!["a", "é", "e\u{301}", "🇦🇫", "👨‍👩‍👧‍👦", "ی", "क्ष", "👍🏽"]),
        n in 1usize..20,
        padding in prop::collection::vec(prop::sample::select(INVISIBLE.to_vec()), 0..10),
    ) {
        let pad: String = padding.into_iter().collect();
        let text = format!("{pad}{}{pad}", cluster.repeat(n));
        prop_assert_eq!(visible_len(&text), n);
        prop_assert_eq!(TipMessage::parse(&text).is_ok(), n >= TipMessage::MIN_CHARS);
    }

    #[test]
    fn cuts_fall_between_grapheme_clusters(text in any::<String>(), max in 1usize..30) {
        let clusters: Vec<&str> = text.graphemes(true).collect();
        let p = prefix(&text, max);
        prop_assert_eq!(p, clusters[..max.min(clusters.len())].concat());
        let c = cut(&text, max);
        if clusters.len() <= max {
            prop_assert_eq!(c, text);
        } else {
            prop_assert_eq!(c, format!("{}…", clusters[..max - 1].concat()));
        }
    }

    #[test]
    fn internationalized_emails_are_valid_and_broken_ones_are_not(
        // Letters of several scripts (no combining marks: a label may not
        // start with one, IDNA refuses it rightly).
        local in "[a-zA-Z0-9_а-яА-ЯёЁ\\u{627}-\\u{64a}\\u{4e00}-\\u{4e20}]{1,8}(\\.[a-z0-9а-я]{1,8}){0,2}",
        // A right-to-left domain's labels are right-to-left too (IDNA's
        // Bidi rule, RFC 5893, refuses `0.ایران`).
        (labels, tld) in prop_oneof![
            (
                prop::collection::vec("[a-z0-9а-яёü]{1,10}", 1..3),
                prop::sample::select(vec!["org", "рф", "af", "example"]),
            ),
            (
                prop::collection::vec("[\\u{627}-\\u{64a}]{1,10}", 1..3),
                Just("ایران"),
            ),
        ],
        flaw in 0..6u8,
        invisible in prop::sample::select(INVISIBLE.to_vec()),
    ) {
        let domain = format!("{}.{tld}", labels.join("."));
        let good = format!("{local}@{domain}");
        let parsed = EmailAddress::parse(&good);
        prop_assert!(parsed.is_ok(), "{good}: {parsed:?}");
        prop_assert!(parsed.unwrap().ascii_domain().is_ascii());
        let bad = match flaw {
            0 => format!(".{good}"),
            1 => format!("{local}.@{domain}"),
            2 => format!("{local}..x@{domain}"),
            3 => format!("{good}."),
            4 => format!("{local}@{}..{tld}", labels.join(".")),
            _ => format!("{local}{invisible}@{domain}"),
        };
        prop_assert!(EmailAddress::parse(&bad).is_err(), "{bad}");
        // (A contact with a space in it is a messenger handle, not an email.)
        if !bad.contains(char::is_whitespace) || bad.contains('\n') {
            prop_assert!(Contact::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn article_ids_made_only_of_dots_are_refused(n in 1usize..129) {
        prop_assert!(ArticleId::parse(&".".repeat(n)).is_err());
        let id = format!("{}a", ".".repeat(n.min(127)));
        prop_assert!(ArticleId::parse(&id).is_ok());
    }
}

// The receipt (`domain::receipt`): twenty digits, read however a reader
// types or pastes them, and nothing else.

use tipdesk::domain::Receipt;

/// What may stand between a receipt's digits: spaces of every kind, dashes
/// of every kind, and the invisible marks a copy from a right-to-left page
/// brings along.
const RECEIPT_SEPARATORS: [&str; 12] = [
    " ", "  ", "-", "\u{a0}", "\u{2009}", "\u{2013}", "\u{2014}", "\u{2212}", "\u{200f}",
    "\u{200e}", "\u{2066}", "\t",
];

fn receipt_digits() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(0u32..10, Receipt::DIGITS)
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn a_receipt_is_read_in_any_script_with_any_separators(
        digits in receipt_digits(),
        zero in prop::sample::select(ZEROS.to_vec()),
        seps in prop::collection::vec(prop::sample::select(RECEIPT_SEPARATORS.to_vec()), Receipt::DIGITS + 1),
        // Each gap between digits gets a separator or none.
        gaps in prop::collection::vec(any::<bool>(), Receipt::DIGITS + 1),
    ) {
        let ascii: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
        let mut typed = String::new();
        for (i, d) in digits.iter().enumerate() {
            if gaps[i] {
                typed.push_str(seps[i]);
            }
            typed.push(char::from_u32(zero as u32 + d).unwrap());
        }
        if gaps[Receipt::DIGITS] {
            typed.push_str(seps[Receipt::DIGITS]);
        }
        let read = Receipt::parse(&typed);
        prop_assert!(read.is_some(), "{typed:?}");
        let read = read.unwrap();
        prop_assert_eq!(read.digits(), ascii.as_str());
        // Shown in five groups of four, which read back as the same.
        let shown = read.grouped();
        prop_assert_eq!(shown.split(' ').map(str::len).collect::<Vec<_>>(), vec![4; 5]);
        prop_assert_eq!(Receipt::parse(&shown), Some(read));
    }

    #[test]
    fn another_count_of_digits_is_no_receipt(
        n in (0usize..60).prop_filter("not twenty", |n| *n != Receipt::DIGITS),
        zero in prop::sample::select(ZEROS.to_vec()),
    ) {
        let typed: String = (0..n).map(|i| char::from_u32(zero as u32 + (i % 10) as u32).unwrap()).collect();
        prop_assert!(Receipt::parse(&typed).is_none(), "{typed:?}");
    }

    #[test]
    fn anything_but_digits_and_separators_is_no_receipt(
        digits in receipt_digits(),
        at in 0usize..=Receipt::DIGITS,
        other in any::<char>().prop_filter("neither digit nor separator", |c| {
            tipdesk::domain::folding::digit_value(*c).is_none()
                && !c.is_whitespace()
                && !RECEIPT_SEPARATORS.iter().any(|s| s.contains(*c))
                && !tipdesk::domain::graphemes::is_invisible(*c)
                && *c != '\u{2212}'
                && icu_properties::CodePointMapData::<icu_properties::props::GeneralCategory>::new().get(*c)
                    != icu_properties::props::GeneralCategory::DashPunctuation
        }),
    ) {
        let mut typed: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
        typed.insert(at, other);
        prop_assert!(Receipt::parse(&typed).is_none(), "{typed:?}");
    }

    #[test]
    fn the_receipt_parser_takes_anything_without_a_panic(text in any::<String>()) {
        if let Some(r) = Receipt::parse(&text) {
            prop_assert_eq!(r.digits().len(), Receipt::DIGITS);
            prop_assert!(r.digits().bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
