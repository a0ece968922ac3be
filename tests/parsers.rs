#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! Property tests for the parsers at the edge: whatever they accept comes
//! back exactly as given; whatever breaks a rule is refused, never altered.

use proptest::prelude::*;
use tipdesk::domain::{ArticleId, Contact, Quote, ReaderName, TipKind, TipMessage};
use tipdesk::submission::TipInput;

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

proptest! {
    #[test]
    fn valid_article_ids_round_trip(id in "[A-Za-z0-9._-]{1,128}") {
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
        body in "[^\\p{Cc}]{10,2000}".prop_filter("meaningful", |s| s.trim().chars().count() >= 10),
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
        text in "[^\\p{Cc}]{1,150}".prop_filter("not blank", |s| !s.trim().is_empty()),
    ) {
        let name = ReaderName::parse(&text).unwrap().unwrap();
        prop_assert_eq!(name.as_str(), text.as_str());
        let with_break = format!("{text}\nsecond line");
        prop_assert!(ReaderName::parse(&with_break).is_err());
        // A contact is either accepted exactly or refused with a reason.
        match Contact::parse(&text) {
            Ok(Some(c)) => prop_assert_eq!(c.as_str(), text.as_str()),
            Ok(None) => prop_assert!(false, "non-blank contact parsed as empty"),
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }

    #[test]
    fn emails_are_recognised_and_kept(local in "[a-z0-9._]{1,20}", domain in "[a-z]{1,20}\\.(org|com|af|ru)") {
        prop_assume!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
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
            message: message.clone(),
            quote: quote.clone(),
            name: name.clone(),
            contact: contact.clone(),
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
