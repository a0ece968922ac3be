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
//! whatlang has no Pashto, which it would call Persian, Urdu or Arabic
//! (its script's neighbours) or unknown; Pashto is told apart by the
//! letters only it writes ([`writes_pashto`]).

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

/// Pashto's own name for itself, as language pickers show it.
const PASHTO: (&str, &str) = ("ps", "پښتو");

/// Letters of the Arabic script that Pashto writes and Persian, Dari,
/// Urdu and Arabic do not, by their names in the Unicode Character
/// Database (Arabic block, U+0600–U+06FF; The Unicode Standard, §9.2
/// "Arabic", lists them among the letters added for Pashto).
const PASHTO_LETTERS: [char; 11] = [
    '\u{067C}', // ټ ARABIC LETTER TEH WITH RING
    '\u{0681}', // ځ ARABIC LETTER HAH WITH HAMZA ABOVE
    '\u{0685}', // څ ARABIC LETTER HAH WITH THREE DOTS ABOVE
    '\u{0689}', // ډ ARABIC LETTER DAL WITH RING
    '\u{0693}', // ړ ARABIC LETTER REH WITH RING
    '\u{0696}', // ږ ARABIC LETTER REH WITH DOT BELOW AND DOT ABOVE
    '\u{069A}', // ښ ARABIC LETTER SEEN WITH DOT BELOW AND DOT ABOVE
    '\u{06AB}', // ګ ARABIC LETTER KAF WITH RING
    '\u{06BC}', // ڼ ARABIC LETTER NOON WITH RING
    '\u{06CD}', // ۍ ARABIC LETTER YEH WITH TAIL
    '\u{06D0}', // ې ARABIC LETTER E
];

/// Whether Arabic-script `text` is Pashto, by its letters: at least one in
/// fifty of its Arabic letters (and at least one) is one only Pashto
/// writes ([`PASHTO_LETTERS`]).
///
/// Hand-written because no well-kept Rust detector knows Pashto (checked
/// November 2026: whatlang 0.18's 70 languages, lingua 1.7's 75 and
/// whichlang's 16 all leave it out), so whatlang's trigrams call it a
/// neighbour. The letters settle it: Pashto writes them in most
/// sentences (ې alone in nearly every one), and the others never. The
/// share keeps a Persian tip that quotes one Pashto name in Pashto spelling
/// Persian. A short Pashto sentence without any of them stays whatever
/// whatlang says.
fn writes_pashto(text: &str) -> bool {
    let (mut letters, mut pashto) = (0usize, 0usize);
    for c in text.chars() {
        if ('\u{0600}'..='\u{06FF}').contains(&c) && c.is_alphabetic() {
            letters += 1;
            pashto += usize::from(PASHTO_LETTERS.contains(&c));
        }
    }
    pashto > 0 && pashto * 50 >= letters
}

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
    all.push((Language(PASHTO.0.to_owned()), PASHTO.1));
    all.sort();
    all.dedup_by(|a, b| a.0 == b.0);
    all
});

impl Language {
    /// The language of `text`, when the detector is fairly sure of it.
    pub fn detect(text: &str) -> Option<Self> {
        let info = whatlang::detect(text)?;
        if info.script() == whatlang::Script::Arabic && writes_pashto(text) {
            return Some(Self(PASHTO.0.to_owned()));
        }
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
    fn pashto_is_told_from_persian_by_the_letters_only_it_writes() {
        // "Our school was not closed, it was moved to the mosque."
        let pashto = "زموږ ښوونځی نه دی تړل شوی، جومات ته لېږدول شوی دی.";
        assert_eq!(detected(pashto).as_deref(), Some("ps"));
        assert_ne!(
            whatlang::detect(pashto).map(|i| i.lang().code()),
            Some("pus"),
            "whatlang still has no Pashto: this function can go when it does"
        );
        // "The minister's name is written wrong in the second paragraph."
        assert_eq!(
            detected("د وزیر نوم په دویم پراګراف کې غلط لیکل شوی دی.").as_deref(),
            Some("ps")
        );
        // Persian, with a Pashto name in Pashto spelling once: Persian.
        assert_eq!(
            detected("در پاراگراف دوم نام وزیر اشتباه نوشته شده است.").as_deref(),
            Some("fa")
        );
        assert_eq!(
            detected(
                "خبرنگار نوشته که وزیر آن روز در کابل بود، اما او برای دیدار با مردم \
                 به ګردیز رفته بود و تا شب در آنجا ماند."
            )
            .as_deref(),
            Some("fa")
        );
        let ps = Language::from_stored("ps".into());
        assert_eq!(ps.autonym(), "پښتو");
        assert!(Language::known().iter().any(|(l, _)| *l == ps));
        assert_eq!(Language::parse("pus"), Ok(ps), "ISO 639-3 in a filter");
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
