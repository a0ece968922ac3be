//! What a reader sees of a text: user-perceived characters (Unicode's
//! extended grapheme clusters, UAX #29, from `unicode-segmentation`) and
//! whether any of them shows at all.
//!
//! Lengths that a person is asked to reach ("at least 10 characters") count
//! grapheme clusters, so a flag or an `e` with a combining accent is one;
//! and text is only ever cut between grapheme clusters, so a cut never
//! leaves half a flag, half a family emoji or an accent without its letter.

use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, WhiteSpace};
use icu_properties::{CodePointMapData, CodePointSetData};
use unicode_segmentation::UnicodeSegmentation;

/// True for a character that shows nothing by itself: white space of any
/// kind (`White_Space`), control and format characters (`Cc`, `Cf`, line
/// and paragraph separators), anything `Default_Ignorable_Code_Point`
/// (zero-width joiners, variation selectors, the Hangul fillers U+115F,
/// U+1160, U+3164, U+FFA0...), and U+2800 BRAILLE PATTERN BLANK — listed by
/// hand, as it is an ordinary symbol (`So`) to Unicode that renders as an
/// empty cell, and is a favourite of "invisible" text generators.
pub fn is_invisible(c: char) -> bool {
    use GeneralCategory as Gc;
    CodePointSetData::new::<WhiteSpace>().contains(c)
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
        || matches!(
            CodePointMapData::<GeneralCategory>::new().get(c),
            Gc::Control
                | Gc::Format
                | Gc::SpaceSeparator
                | Gc::LineSeparator
                | Gc::ParagraphSeparator
        )
        || c == '\u{2800}'
}

/// How many user-perceived characters of `text` show something: grapheme
/// clusters made only of invisible characters (see [`is_invisible`]) are
/// not counted.
pub fn visible_len(text: &str) -> usize {
    text.graphemes(true)
        .filter(|g| !g.chars().all(is_invisible))
        .count()
}

/// True when nothing in `text` would show: empty, or only invisible
/// characters. Such a field counts as left empty.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(is_invisible)
}

/// The first `n` grapheme clusters of `text` (all of it when shorter).
pub fn prefix(text: &str, n: usize) -> &str {
    text.grapheme_indices(true)
        .nth(n)
        .map_or(text, |(at, _)| &text[..at])
}

/// `text` cut to at most `max` grapheme clusters, with an ellipsis (`…`,
/// itself one of the `max`) when something was cut off.
pub fn cut(text: &str, max: usize) -> String {
    if prefix(text, max).len() == text.len() {
        return text.to_owned();
    }
    format!("{}…", prefix(text, max.saturating_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_text_is_blank() {
        assert!(is_blank(&"\u{200B}".repeat(10)));
        assert!(is_blank(
            "\u{3164}\u{115F}\u{2800}\u{FEFF}\u{00A0}\u{3000}\u{2028}\t"
        ));
        assert!(!is_blank("\u{200B}a"));
        assert!(!is_blank("ی"));
        assert_eq!(visible_len("\u{200B}a\u{200B}"), 1);
    }

    #[test]
    fn lengths_count_what_a_reader_sees() {
        assert_eq!(visible_len("🇦🇫"), 1);
        assert_eq!(visible_len("👨‍👩‍👧‍👦"), 1);
        assert_eq!(visible_len("e\u{301}"), 1);
        assert_eq!(visible_len("می‌خواهم"), 7);
    }

    #[test]
    fn cuts_fall_between_grapheme_clusters() {
        assert_eq!(prefix("e\u{301}🇦🇫x", 2), "e\u{301}🇦🇫");
        assert_eq!(prefix("ab", 5), "ab");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("ab🇦🇫🇮🇷", 3), "ab…");
        assert_eq!(cut("a👨‍👩‍👧‍👦b", 3), "a👨‍👩‍👧‍👦b");
        assert_eq!(cut("a👨‍👩‍👧‍👦bc", 3), "a👨‍👩‍👧‍👦…");
        assert_eq!(cut("ce\u{301}te", 3), "ce\u{301}…");
    }
}
