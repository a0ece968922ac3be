//! The language a tip is written in, as the desk sees it: detected once,
//! when the tip is stored, and kept with it (`tips.language`), so the queue
//! can show it and filter on it (`language=`) without reading messages.
//!
//! Detection is `whatlang`'s (trigram profiles of 70 languages, no model
//! to load). It names languages by ISO 639-3 code; tipdesk keeps a BCP 47
//! language subtag instead (RFC 5646 §2.2.1: the shortest ISO 639 code, so
//! "fa" and "ru", as the desk's own languages are named), mapped with
//! CLDR's language aliases through ICU (`pes` → `fa`, `rus` → `ru`).
//!
//! whatlang has no Pashto: a Pashto tip shows as Persian, Urdu or Arabic
//! (its script's neighbours), or as unknown.

use std::sync::LazyLock;

use crate::i18n::Msg;

/// How sure whatlang must be (0 to 1) before a language is recorded.
/// Its confidence is the margin between the two likeliest languages, so a
/// plain one-line tip scores low: "Our school was not closed, it moved to
/// the mosque." is English at 0.20, "Во втором абзаце неправильно
/// написана фамилия министра." Russian at 0.42 — whatlang's own
/// "reliable" bar (0.9) would leave both unknown. Below 0.15 its guesses
/// were mostly wrong ("Typo: teh bridge": Afrikaans, 0.07; Pashto:
/// Urdu, 0.05). Close neighbours stay a risk above it (one short Russian
/// sentence came out Bulgarian at 0.20); the desk sees the text beside the
/// label.
const MIN_CONFIDENCE: f64 = 0.15;

/// A BCP 47 language subtag, lowercase: `"fa"`, `"ru"`, `"en"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Language(String);

/// Every language detection can give, by subtag, with its own name for
/// itself (whatlang's), sorted by subtag.
static KNOWN: LazyLock<Vec<(Language, &'static str)>> = LazyLock::new(|| {
    let mut all: Vec<(Language, &'static str)> = whatlang::Lang::all()
        .iter()
        .filter_map(|l| Some((Language::canonical(l.code())?, l.name())))
        .collect();
    all.sort();
    all.dedup_by(|a, b| a.0 == b.0);
    all
});

impl Language {
    /// The language of `text`, when the detector is fairly sure of it.
    pub fn detect(text: &str) -> Option<Self> {
        let info = whatlang::detect(text)?;
        if info.confidence() < MIN_CONFIDENCE {
            return None;
        }
        Self::canonical(info.lang().code())
    }

    /// A language as a desk member names it in a filter: any BCP 47 tag
    /// or ISO 639 code (`fa`, `fa-IR`, `pes`, `FA`), reduced to its
    /// language subtag under CLDR's aliases.
    ///
    /// # Errors
    /// `filter-bad-language` when `tag` is no language tag.
    pub fn parse(tag: &str) -> Result<Self, Msg> {
        Self::canonical(tag).ok_or_else(|| Msg::new("filter-bad-language").text("value", tag))
    }

    /// A value read back from `tips.language`, written by [`Self::detect`].
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    fn canonical(tag: &str) -> Option<Self> {
        static CANONICALIZER: icu_locale::LocaleCanonicalizer =
            icu_locale::LocaleCanonicalizer::new_extended();
        let mut locale = icu_locale_core::Locale::try_from_str(tag).ok()?;
        CANONICALIZER.canonicalize(&mut locale);
        let language = locale.id.language;
        (!language.is_unknown()).then(|| Self(language.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The language's name in itself ("فارسی", "Русский"), as language
    /// pickers show it; the subtag when detection does not know it.
    pub fn autonym(&self) -> &str {
        KNOWN
            .iter()
            .find(|(l, _)| l == self)
            .map_or(self.as_str(), |(_, name)| name)
    }

    /// Every language [`Self::detect`] can give, sorted by subtag.
    pub fn known() -> &'static [(Language, &'static str)] {
        &KNOWN
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(text: &str) -> Option<String> {
        Language::detect(text).map(|l| l.0)
    }

    #[test]
    fn tips_in_the_desks_languages_are_named_by_their_short_subtag() {
        assert_eq!(
            detected("The minister's name is misspelled in the second paragraph.").as_deref(),
            Some("en")
        );
        assert_eq!(
            detected("در پاراگراف دوم نام وزیر اشتباه نوشته شده است.").as_deref(),
            Some("fa")
        );
        assert_eq!(
            detected("Во втором абзаце неправильно написана фамилия министра.").as_deref(),
            Some("ru")
        );
        assert_eq!(
            detected("Our school was not closed, it moved to the mosque.").as_deref(),
            Some("en")
        );
    }

    #[test]
    fn text_with_no_language_or_a_poor_guess_is_unknown() {
        assert_eq!(detected("Typo: teh bridge"), None, "Afrikaans at 0.07");
        assert_eq!(detected("1234 5678 !!!"), None);
        assert_eq!(detected(""), None);
    }

    #[test]
    fn filter_values_reduce_to_the_language_subtag() {
        for tag in ["fa", "FA", "fa-IR", "pes", "fas"] {
            assert_eq!(
                Language::parse(tag).map(|l| l.0),
                Ok("fa".to_owned()),
                "{tag}"
            );
        }
        assert_eq!(Language::parse("rus").map(|l| l.0), Ok("ru".to_owned()));
        assert!(Language::parse("not a language").is_err());
        assert!(Language::parse("").is_err());
    }

    #[test]
    fn every_detectable_language_has_a_name_and_one_subtag() {
        let known = Language::known();
        assert!(known.len() > 60, "{}", known.len());
        assert!(known
            .iter()
            .any(|(l, n)| l.as_str() == "fa" && *n == "فارسی"));
        assert!(known.iter().all(|(l, _)| l.as_str().len() <= 3));
        assert_eq!(Language::from_stored("ru".into()).autonym(), "Русский");
        assert_eq!(Language::from_stored("xx".into()).autonym(), "xx");
    }
}
