#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! The OpenAPI document (`src/submission/openapi.json`) says what the
//! parsers enforce, so schemathesis and newsrooms' own validators neither
//! refuse a tip tipdesk would take nor send one it must refuse.
//!
//! Each field's pattern is built here from the parsers' own predicates
//! (`is_invisible`, `char::is_control`) over every code point and compared
//! with the document; then the patterns, compiled as a validator would
//! compile them, are held against the parsers on the cases schemathesis
//! found and on generated text. The one rule a pattern cannot state — a
//! message's ten characters are counted as a reader sees them, in grapheme
//! clusters (a letter with its combining accent is one) — is the
//! document's stated gap: matching text of such characters may still be
//! answered 422, and `schemathesis.toml` allows that answer.

use proptest::prelude::*;
use regex_lite::Regex;
use serde_json::Value;
use tipdesk::domain::graphemes::{is_invisible, visible_len};
use tipdesk::domain::{Contact, Quote, ReaderName, TipMessage};

const DOC: &str = include_str!("../src/submission/openapi.json");

fn doc() -> Value {
    serde_json::from_str(DOC).unwrap()
}

/// A regex character class's body for the code points where `keep` holds:
/// `\uXXXX` escapes for the BMP, the characters themselves beyond it (no
/// escape for them is read alike by ECMA-262, Python and Rust).
fn class(keep: impl Fn(char) -> bool) -> String {
    let mut ranges: Vec<(char, char)> = Vec::new();
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        if !keep(c) {
            continue;
        }
        match ranges.last_mut() {
            Some((_, hi)) if *hi as u32 + 1 == c as u32 => *hi = c,
            _ => ranges.push((c, c)),
        }
    }
    let one = |c: char| {
        if (c as u32) < 0x10000 {
            format!("\\u{:04X}", c as u32)
        } else {
            c.to_string()
        }
    };
    ranges
        .into_iter()
        .map(|(lo, hi)| match hi as u32 - lo as u32 {
            0 => one(lo),
            1 => format!("{}{}", one(lo), one(hi)),
            _ => format!("{}-{}", one(lo), one(hi)),
        })
        .collect()
}

fn bmp(c: char) -> bool {
    (c as u32) < 0x10000
}

/// Control characters a multi-line field refuses (`check_text`).
fn bad_in_text(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

struct Patterns {
    message: String,
    blank: String,
    text: String,
    line: String,
}

/// Built once: each class walks every code point.
fn expected() -> &'static Patterns {
    static PATTERNS: std::sync::OnceLock<Patterns> = std::sync::OnceLock::new();
    PATTERNS.get_or_init(build)
}

fn build() -> Patterns {
    let invisible = class(is_invisible);
    Patterns {
        // The message's classes stop at the BMP: schemathesis rewrites a
        // pattern it pins to `maxLength` with Python's `\U` escapes, which
        // its own ECMA-262 check then refuses. The few invisible characters
        // beyond (tag characters, some format controls) are counted by the
        // pattern, not by tipdesk: the document says so.
        message: format!(
            "^(?:[{}]*[^{}]){{{}}}[^{}]*$",
            class(|c| bmp(c) && is_invisible(c) && !bad_in_text(c)),
            class(|c| bmp(c) && is_invisible(c)),
            TipMessage::MIN_CHARS,
            class(bad_in_text),
        ),
        blank: format!("^[{invisible}]*$"),
        text: format!("^[^{}]*$", class(bad_in_text)),
        line: format!("^[^{}]*$", class(char::is_control)),
    }
}

fn schemas(doc: &Value) -> &Value {
    &doc["components"]["schemas"]
}

/// A blank-or-checked field's two branches: (blank pattern, rule pattern, maxLength).
fn branches(field: &Value) -> (&str, &str, u64) {
    let any = field["anyOf"].as_array().unwrap();
    assert_eq!(any.len(), 2, "blank, or within the rules: {field:#}");
    (
        any[0]["pattern"].as_str().unwrap(),
        any[1]["pattern"].as_str().unwrap(),
        any[1]["maxLength"].as_u64().unwrap(),
    )
}

#[test]
fn every_text_rule_in_the_document_is_the_parsers_rule() {
    let doc = doc();
    let want = expected();
    let tip = &schemas(&doc)["TipRequest"]["properties"];
    let reply = &schemas(&doc)["FollowUpMessageRequest"]["properties"];
    for message in [&tip["message"], &reply["message"]] {
        assert_eq!(message["pattern"], want.message.as_str());
        assert_eq!(message["minLength"], TipMessage::MIN_CHARS);
        assert_eq!(message["maxLength"], TipMessage::MAX_CHARS);
    }
    for (field, rule, max) in [
        ("quote", &want.text, Quote::MAX_CHARS),
        ("name", &want.line, ReaderName::MAX_CHARS),
        ("contact", &want.line, Contact::MAX_CHARS),
    ] {
        let (blank, checked, max_len) = branches(&tip[field]);
        assert_eq!(blank, want.blank, "{field}: a blank value counts as none");
        assert_eq!(checked, rule.as_str(), "{field}");
        assert_eq!(max_len, max as u64, "{field}");
    }
    // A blank contact needs no consent: the same "blank" as the parser's.
    let consent_free = &schemas(&doc)["TipRequest"]["anyOf"][1]["properties"]["contact"];
    assert_eq!(consent_free["pattern"], want.blank.as_str());
}

#[test]
fn lang_is_any_string_on_every_operation() {
    // An unknown, malformed or overlong `lang` falls back, never errors
    // (issue 14), so the document may not bound it.
    let doc = doc();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "lang" {
                    seen += 1;
                    assert_eq!(
                        p["schema"],
                        serde_json::json!({"type": "string"}),
                        "{method} {path}"
                    );
                }
            }
        }
    }
    assert_eq!(seen, 3, "tips, follow-up, follow-up messages");
}

/// The patterns as a validator compiles them (message, blank, text, line).
fn compiled() -> &'static (Regex, Regex, Regex, Regex) {
    static COMPILED: std::sync::OnceLock<(Regex, Regex, Regex, Regex)> = std::sync::OnceLock::new();
    COMPILED.get_or_init(|| {
        let p = expected();
        let re = |s: &str| Regex::new(s).unwrap();
        (re(&p.message), re(&p.blank), re(&p.text), re(&p.line))
    })
}

#[test]
fn the_patterns_agree_with_the_parsers_on_what_schemathesis_found() {
    let (message, blank, text, line) = compiled();
    // ST202: white space and format characters around a few letters
    // passed `minLength` but not the parser.
    let spaced = "\u{2007}\r\u{2000}\u{2003}\u{2007}\n\n\u{2028}\u{1680}\tab\u{200B}c\u{FEFF}d";
    assert!(TipMessage::parse(spaced).is_err());
    assert!(!message.is_match(spaced));
    let padded = format!("\u{2007}\r\n{}\u{2028}\u{3000}", "abcde\u{200B}fghij");
    assert!(TipMessage::parse(&padded).is_ok());
    assert!(message.is_match(&padded));
    // Invisible from start to end (the BOM, Hangul fillers, Braille blank).
    let hollow = "\u{FEFF}\u{3164}\u{2800}\u{115F}".repeat(5);
    assert!(TipMessage::parse(&hollow).is_err());
    assert!(!message.is_match(&hollow));
    // Blank optional fields count as none, whatever they are made of.
    for none in [
        "",
        "   ",
        "\u{0}\u{1F}",
        &" ".repeat(3000),
        "\u{200B}\u{3000}\n",
    ] {
        assert!(blank.is_match(none));
        assert_eq!(Quote::parse(none), Ok(None));
        assert_eq!(ReaderName::parse(none), Ok(None));
        assert_eq!(Contact::parse(none), Ok(None));
    }
    // Non-blank: control characters are refused, line breaks only in text.
    for bad in ["a\u{0}", "a\u{85}", "a\u{1B}[31m"] {
        assert!(!blank.is_match(bad) && !text.is_match(bad) && !line.is_match(bad));
        assert!(Quote::parse(bad).is_err());
        assert!(ReaderName::parse(bad).is_err());
    }
    assert!(text.is_match("a\nb\tc") && Quote::parse("a\nb\tc").is_ok());
    assert!(!line.is_match("a\nb") && ReaderName::parse("a\nb").is_err());
}

/// Characters that each make a grapheme cluster of their own: visible
/// letters and symbols, invisible spaces and format characters, controls.
/// Marks that join a letter are left out: that is the stated gap, as are
/// invisible characters beyond the BMP for a message.
fn solo(astral_invisible: bool) -> impl Strategy<Value = char> {
    let astral = if astral_invisible { '\u{E0001}' } else { 'q' };
    prop::sample::select(vec![
        astral, 'a', 'Z', '7', '.', '@', 'ی', 'ب', 'ж', '中', '😀', '\u{2800}', '\u{3164}',
        '\u{115F}', ' ', '\u{A0}', '\u{2007}', '\u{3000}', '\u{2028}', '\u{200B}', '\u{FEFF}',
        '\t', '\n', '\r', '\u{0}', '\u{0B}', '\u{1B}', '\u{7F}', '\u{85}', '\u{9F}',
    ])
}

proptest! {
    #[test]
    fn a_message_is_accepted_exactly_when_it_matches(chars in prop::collection::vec(solo(false), 0..40)) {
        let text: String = chars.into_iter().collect();
        let (message, ..) = compiled();
        prop_assert_eq!(TipMessage::parse(&text).is_ok(), message.is_match(&text), "{:?}", text);
    }

    #[test]
    fn optional_fields_are_accepted_exactly_when_they_match(chars in prop::collection::vec(solo(true), 0..12)) {
        let text: String = chars.into_iter().collect();
        let (_, blank, text_re, line) = compiled();
        let blank_or = |re: &Regex| blank.is_match(&text) || re.is_match(&text);
        prop_assert_eq!(Quote::parse(&text).is_ok(), blank_or(text_re), "{:?}", text);
        prop_assert_eq!(ReaderName::parse(&text).is_ok(), blank_or(line), "{:?}", text);
        // A contact may also be refused as an invalid email address, which
        // no pattern states; it is never refused when the document refuses.
        if Contact::parse(&text).is_ok() {
            prop_assert!(blank_or(line), "{:?}", text);
        }
    }

    #[test]
    fn whatever_the_parser_accepts_the_document_allows(text in "\\PC{0,30}|[\\s\\p{Mn}\\p{Cf}a-z]{0,30}") {
        // Any text at all, combining marks included: the pattern never
        // refuses a message the parser takes (it may allow one the parser
        // counts shorter, and says so).
        let (message, ..) = compiled();
        if TipMessage::parse(&text).is_ok() {
            prop_assert!(message.is_match(&text), "{:?}", text);
            prop_assert!(visible_len(&text) >= TipMessage::MIN_CHARS);
        }
    }
}
