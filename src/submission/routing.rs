//! Which desk a tip goes to: the desk whose `sections` list the article's
//! section, else the desk keyed `default` (configuration guarantees one).
//! Section names are compared folded (`domain::folding`), so
//! `МЕЖДУНАРОДНЫЕ` is `Международные` and `بين‌الملل` is `بین‌الملل`.

use std::collections::BTreeMap;

use crate::config::DeskSettings;
use crate::domain::folding::fold;

/// The key and settings of the desk that owns `section`.
pub fn desk_for_section<'a>(
    desks: &'a BTreeMap<String, DeskSettings>,
    section: &str,
) -> (&'a str, &'a DeskSettings) {
    let section = fold(section);
    desks
        .iter()
        .find(|(key, desk)| {
            key.as_str() != "default" && desk.sections.iter().any(|s| fold(s) == section)
        })
        .or_else(|| desks.get_key_value("default"))
        .map(|(k, d)| (k.as_str(), d))
        // Settings refuse a configuration without a default desk.
        .unwrap_or_else(|| unreachable!("validated settings have a default desk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_routing_falls_back_to_the_default_desk() {
        let desk = |sections: &[&str]| DeskSettings {
            name: "A desk".into(),
            emails: vec!["desk@example.org".into()],
            sections: sections.iter().map(|s| (*s).to_owned()).collect(),
            excerpt_chars: 0,
            locale: None,
            first_look_hours: std::num::NonZeroU32::new(24).expect("24"),
        };
        let desks = BTreeMap::from([
            ("default".to_owned(), desk(&[])),
            ("world".to_owned(), desk(&["International"])),
        ]);
        assert_eq!(desk_for_section(&desks, "international").0, "world");
        assert_eq!(desk_for_section(&desks, "МЕЖДУНАРОДНЫЕ").0, "default");
        assert_eq!(desk_for_section(&desks, "Sport").0, "default");
    }
}
