//! Search folding: the one form in which tipdesk compares text.
//!
//! Text is stored exactly as a reader wrote it; the desk's text filter
//! compares [`fold`]ed copies of the stored text and of the query, so both
//! sides get the same treatment on both engines (neither engine's
//! `lower()` is used: SQLite's folds ASCII only, PostgreSQL's depends on the
//! database's collation). A match is an exact substring of the folded text.
//!
//! What folding does, in order (each step from a library's Unicode data,
//! except the two lists below):
//!
//! 1. **Compatibility normalization and full case folding**: Unicode's
//!    compatibility caseless match (The Unicode Standard, §3.13, D146:
//!    `NFKD(toCasefold(NFKD(toCasefold(NFD(X)))))`), with ICU4X's
//!    normalizer and full (not Turkic) case folding. So `é` typed as one
//!    character or as `e` + U+0301 is the same, `Москве` matches `москве`,
//!    `ÖFFENTLICH` matches `öffentlich`, `ß` matches `ss` (`STRASSE` finds
//!    `Straße`), Greek final sigma `ς` matches `σ`, and full-width or
//!    mathematical letters and digits match plain ones.
//!    *Turkish dotted and dotless i*: full case folding maps `I` to `i`,
//!    `İ` (U+0130) to `i` + U+0307 COMBINING DOT ABOVE, and leaves `ı`
//!    (U+0131) as it is. So `DİYARBAKIR`, `Diyarbakır` and `diyarbakir`
//!    fold to three different strings; a search for `İstanbul` finds
//!    `İSTANBUL` and `i̇stanbul`, and one for `istanbul` finds `ISTANBUL` and
//!    `Istanbul`. Turkic folding (`I` → `ı`) would be right for Turkish and
//!    wrong for every other Latin-script language in the same database, so
//!    tipdesk keeps the language-neutral default.
//! 2. **Invisible characters are dropped**: every `Default_Ignorable_Code_Point`
//!    (zero-width joiner and non-joiner, zero-width space, soft hyphen,
//!    bidi marks, variation selectors, Hangul fillers...). So Persian
//!    `می‌خواهم` with its ZWNJ matches `میخواهم`.
//! 3. **Arabic-script marks are dropped**: every nonspacing mark (`Mn`)
//!    whose script extensions include Arabic — harakat, shadda, sukun,
//!    superscript alef, Quranic marks, and the hamza and madda that Unicode
//!    writes as combining marks. So `كِتَاب` matches `كتاب`, and `أ`, `إ`,
//!    `آ` match `ا` (as Arabic search engines treat them; Lucene's
//!    `ArabicNormalizer`, after Larkey et al., "Improving Stemming for
//!    Arabic Information Retrieval", 2002). The tatweel U+0640 (kashida),
//!    which only stretches a word, is dropped too.
//! 4. **Persian and Arabic letter variants are one letter**: Arabic kaf
//!    `ك` is Persian keheh `ک`; Arabic yeh `ي` and alef maksura `ى` are
//!    Persian yeh `ی`; teh marbuta `ة`, heh with yeh above `ۀ`, heh goal
//!    `ہ` and their hamza forms are heh `ه`. Readers type whichever their
//!    keyboard gives: `كابل` and `کابل` are the same city.
//! 5. **Decimal digits of every script are ASCII digits**: any character of
//!    general category `Nd` becomes `0`–`9`. So Persian `۱۷`, Arabic-Indic
//!    `١٧` and Devanagari `१७` all match `17`.
//! 6. The result is composed again (NFC), so it is as compact as the
//!    original for the trigram indexes.
//!
//! Written by hand, and why: the letter variants of step 4 are a search
//! convention for Persian and Arabic (Lucene's `PersianNormalizer` and
//! `ArabicNormalizer` make the same mappings), not a relation Unicode
//! records as case or compatibility, so no Unicode data table has them; and
//! the tatweel is the one Arabic-only character that is neither a mark nor
//! ignorable. The digit value of step 5 comes from Unicode's guarantee that
//! each script's `Nd` digits are encoded as a contiguous run 0–9 (Unicode
//! Stability Policy, "Numeric_Type=Decimal"); ICU4X gives the `Nd` data but
//! not the value.
//!
//! [`FOLD_VERSION`] names these rules: stored folded copies made under
//! other rules are folded again at start-up (see `crate::db::search_text`).

use std::borrow::Cow;

use icu_casemap::CaseMapper;
use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, Script};
use icu_properties::script::ScriptWithExtensions;
use icu_properties::{CodePointMapData, CodePointSetData};

/// Changes whenever [`fold`] would give a different answer for some text.
pub const FOLD_VERSION: i32 = 1;

/// The folded form of `text`, as the desk's search compares it (see the
/// module documentation for the rules). Idempotent: `fold(fold(x)) ==
/// fold(x)`.
pub fn fold(text: &str) -> String {
    // ASCII is its own normal form, has no ignorable characters, marks or
    // non-ASCII digits, and folds case as ASCII lower-casing: the common
    // case, done without the Unicode passes (a million tips are folded at
    // once when the rules change).
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    fold_unicode(text)
}

fn fold_unicode(text: &str) -> String {
    let nfd = DecomposingNormalizerBorrowed::new_nfd();
    let nfkd = DecomposingNormalizerBorrowed::new_nfkd();
    let case = CaseMapper::new();
    // Letter variants first on composed text, where `ۀ` is one character
    // (decomposed, it is U+06D5 AE + hamza, and AE is a letter of its own
    // in Kurdish).
    let composed = ComposingNormalizerBorrowed::new_nfkc().normalize(text);
    let variants: String = composed.chars().map(letter_variant).collect();
    // Compatibility caseless match, D146: NFKD(fold(NFKD(fold(NFD(X))))).
    let once = nfkd
        .normalize(&case.fold_string(&nfd.normalize(&variants)))
        .into_owned();
    let twice = nfkd.normalize(&case.fold_string(&once)).into_owned();

    let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    let category = CodePointMapData::<GeneralCategory>::new();
    let scripts = ScriptWithExtensions::new();
    let kept: String = twice
        .chars()
        .filter(|&c| !ignorable.contains(c) && c != TATWEEL)
        .filter(|&c| {
            !(category.get(c) == GeneralCategory::NonspacingMark
                && scripts.has_script(c, Script::Arabic))
        })
        // Again after the marks are gone: `ئ` is `ي` + hamza.
        .map(letter_variant)
        .map(|c| match category.get(c) {
            GeneralCategory::DecimalNumber => ascii_digit(c),
            _ => c,
        })
        .collect();
    match ComposingNormalizerBorrowed::new_nfc().normalize(&kept) {
        Cow::Borrowed(_) => kept,
        Cow::Owned(s) => s,
    }
}

const TATWEEL: char = '\u{0640}';

/// Persian and Arabic spellings of one letter, to the Persian form.
fn letter_variant(c: char) -> char {
    match c {
        // ARABIC LETTER KAF → KEHEH
        '\u{0643}' => '\u{06A9}',
        // ARABIC LETTER YEH, ALEF MAKSURA → FARSI YEH
        '\u{064A}' | '\u{0649}' => '\u{06CC}',
        // TEH MARBUTA, HEH WITH YEH ABOVE, HEH GOAL, HEH GOAL WITH HAMZA
        // ABOVE, TEH MARBUTA GOAL → HEH
        '\u{0629}' | '\u{06C0}' | '\u{06C1}' | '\u{06C2}' | '\u{06C3}' => '\u{0647}',
        other => other,
    }
}

/// The value of `c` if it is a decimal digit of any script (category
/// `Nd`: ASCII, Persian `۷`, Arabic-Indic `٧`, Devanagari `७`, fullwidth
/// `７`...), by the same rule as folding's step 5.
pub fn digit_value(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    if CodePointMapData::<GeneralCategory>::new().get(c) != GeneralCategory::DecimalNumber {
        return None;
    }
    ascii_digit(c)
        .to_digit(10)
        .and_then(|d| u8::try_from(d).ok())
}

/// The ASCII digit with the value of `c`, a character of category `Nd`:
/// its distance from the start of its run of digits (every run of `Nd`
/// characters is a whole number of 0–9 sequences, each starting at 0).
fn ascii_digit(c: char) -> char {
    let category = CodePointMapData::<GeneralCategory>::new();
    let mut start = c as u32;
    while start > 0 && category.get32(start - 1) == GeneralCategory::DecimalNumber {
        start -= 1;
    }
    let value = (c as u32 - start) % 10;
    char::from_digit(value, 10).unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_and_normalization() {
        assert_eq!(fold("Вчера в Москве"), "вчера в москве");
        assert_eq!(fold("МИД"), "мид");
        assert_eq!(fold("ÖFFENTLICH"), "öffentlich");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("ΣΟΦΟΣ σοφος"), "σοφοσ σοφοσ");
        assert_eq!(fold("Cafe\u{301}"), fold("Café"));
        assert_eq!(fold("ﬁle ＡＢＣ"), "file abc");
    }

    #[test]
    fn turkish_i_follows_full_case_folding() {
        assert_eq!(fold("I"), "i");
        assert_eq!(fold("İ"), "i\u{307}");
        assert_eq!(fold("ı"), "ı");
        assert_ne!(fold("DİYARBAKIR"), fold("diyarbakır"));
    }

    #[test]
    fn persian_and_arabic() {
        assert_eq!(fold("كابل"), fold("کابل"));
        assert_eq!(fold("علي"), "علی");
        assert_eq!(fold("مصطفى"), "مصطفی");
        assert_eq!(fold("مدرسة"), "مدرسه");
        assert_eq!(fold("خانۀ"), "خانه");
        assert_eq!(fold("خانهٔ"), "خانه");
        assert_eq!(fold("كِتَابٌ"), fold("کتاب"));
        assert_eq!(fold("كـــتاب"), fold("کتاب"));
        assert_eq!(fold("أحمد إبراهيم آمنة"), "احمد ابراهیم امنه");
        assert_eq!(fold("می\u{200C}خواهم"), "میخواهم");
        // Kurdish AE stays a letter of its own.
        assert_eq!(fold("\u{06D5}"), "\u{06D5}");
        // Presentation forms are the letters they show.
        assert_eq!(fold("\u{FEDB}"), "\u{06A9}");
    }

    #[test]
    fn digits_of_every_script() {
        assert_eq!(fold("۱۷ درگیری"), "17 درگیری");
        assert_eq!(fold("١٧"), "17");
        assert_eq!(fold("१७"), "17");
        assert_eq!(fold("০১২৩৪৫৬৭৮৯"), "0123456789");
        assert_eq!(fold("𝟗𝟘"), "90");
    }

    #[test]
    fn ascii_takes_the_short_way_to_the_same_answer() {
        let all: String = (0u8..128).map(char::from).collect();
        assert_eq!(fold(&all), super::fold_unicode(&all));
        for text in ["Bridge 17 CLOSED", "50% of snake_case", "\t\r\n\u{7f}\u{0}"] {
            assert_eq!(fold(text), super::fold_unicode(text), "{text:?}");
        }
    }

    #[test]
    fn invisible_characters_are_dropped() {
        assert_eq!(fold("a\u{200B}b\u{200D}c\u{00AD}d\u{FE0F}"), "abcd");
        assert_eq!(fold("\u{200B}\u{200B}"), "");
    }
}
