//! A file's name as the reader's device gave it: shown to the desk and
//! offered when an editor downloads the file, never used to decide
//! anything (the type comes from the content) and never a path.

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::GeneralCategory;
use icu_properties::CodePointMapData;

/// Characters a name may have at most: file systems allow 255 bytes, and
/// a longer "name" is not one a device produced.
pub const MAX_CHARS: usize = 255;

/// A file name that is safe to show and to offer as a download's name:
/// no path, no control characters, no bidirectional overrides (which
/// make `cod.exe` look like `exe.doc`, Unicode TR 36 §2.4), no other
/// invisible formatting character or line break ([`is_hidden`]), in NFC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong,
    /// A `/`, a `\` or a name of `.` or `..`: a path, not a name.
    Path,
    /// Control characters, bidirectional or other invisible formatting
    /// characters, or line and paragraph separators ([`is_hidden`]).
    Control,
}

/// Whether `c` is not to be in a name: a control character (Cc), a format
/// character (Cf: bidirectional controls, zero-width space, byte-order
/// mark, soft hyphen, tag characters — invisible, so one name can pass for
/// another), or a line or paragraph separator (Zl, Zp: a line break in
/// what is shown as one line). The zero-width non-joiner and joiner, also
/// Cf, are kept: Persian is written with the first (`نامه‌ها`), emoji
/// sequences with the second.
pub fn is_hidden(c: char) -> bool {
    use GeneralCategory as Gc;
    if matches!(c, '\u{200C}' | '\u{200D}') {
        return false;
    }
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        Gc::Control | Gc::Format | Gc::LineSeparator | Gc::ParagraphSeparator
    )
}

impl FileName {
    /// Checks a name from a multipart part's `filename`.
    ///
    /// # Errors
    /// The [`NameProblem`] found first.
    pub fn parse(raw: &str) -> Result<Self, NameProblem> {
        let name = ComposingNormalizerBorrowed::new_nfc().normalize(raw.trim());
        if name.is_empty() {
            return Err(NameProblem::Empty);
        }
        if name.chars().count() > MAX_CHARS {
            return Err(NameProblem::TooLong);
        }
        if name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(NameProblem::Path);
        }
        if name.chars().any(is_hidden) {
            return Err(NameProblem::Control);
        }
        Ok(Self(name.into_owned()))
    }

    /// A name already checked (read back from storage).
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `raw` made fit to quote in a message about it: the characters a name
/// may not have ([`is_hidden`]) replaced, at most 60 characters.
pub fn quoted(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| if is_hidden(c) { '\u{FFFD}' } else { c })
        .take(60)
        .collect();
    if raw.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_are_kept_in_nfc() {
        assert_eq!(
            FileName::parse(" گذرنامه.jpg ").unwrap().as_str(),
            "گذرنامه.jpg"
        );
        assert_eq!(
            FileName::parse("Cafe\u{301}.pdf").unwrap().as_str(),
            "Café.pdf"
        );
    }

    #[test]
    fn paths_controls_and_long_names_are_refused() {
        assert_eq!(FileName::parse("../etc/passwd"), Err(NameProblem::Path));
        assert_eq!(FileName::parse("C:\\x.pdf"), Err(NameProblem::Path));
        assert_eq!(FileName::parse(".."), Err(NameProblem::Path));
        assert_eq!(FileName::parse("a\u{7}b.pdf"), Err(NameProblem::Control));
        assert_eq!(
            FileName::parse("cod\u{202E}fdp.exe"),
            Err(NameProblem::Control)
        );
        assert_eq!(
            FileName::parse(&"a".repeat(1000)),
            Err(NameProblem::TooLong)
        );
        assert_eq!(FileName::parse("  "), Err(NameProblem::Empty));
        assert_eq!(quoted(&"a".repeat(1000)).chars().count(), 61);
        assert_eq!(quoted("a\u{0}b"), "a\u{FFFD}b");
    }
}
