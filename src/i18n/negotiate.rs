//! Choosing a language: a tag (`?lang=fa-AF`, an article's language, a
//! staff member's setting) or a browser's `Accept-Language`, matched to the
//! languages the catalog has with fluent-langneg (RFC 4647 lookup with
//! likely subtags: `fa-AF` and `fa-IR` find `fa`). Each tag is first
//! canonicalized by CLDR's aliases (ICU4X): Windows in Afghanistan asks for
//! Dari as `prs-AF`, which CLDR names `fa-AF`; `pus` is `ps`.

use std::str::FromStr;

use actix_web::http::header::{LanguageTag, Preference, Quality, QualityItem};
use fluent_langneg::{negotiate_languages, NegotiationStrategy};
use unic_langid::LanguageIdentifier;

use super::catalog::{Catalog, Locale};

/// Who will read the page: readers are offered every language; staff only
/// those with the desk's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Reader,
    Desk,
}

impl Catalog {
    /// The languages offered to `audience`, in tag order.
    pub fn offered(&'static self, audience: Audience) -> impl Iterator<Item = Locale> {
        self.all()
            .filter(move |l| audience == Audience::Reader || l.has_desk())
    }

    /// The offered language that best serves someone asking for `tag`;
    /// `None` when nothing fits (or `tag` is not a language tag).
    pub fn find(&'static self, tag: &str, audience: Audience) -> Option<Locale> {
        let wanted = LanguageIdentifier::from_str(tag.trim()).ok()?;
        self.best(&[wanted], audience)
    }

    /// The offered language that best serves an `Accept-Language` header:
    /// its ranges in order of weight (RFC 9110 §12.5.4; `q=0` means "not
    /// this one", `*` adds nothing), each matched in turn.
    pub fn from_accept_language(&'static self, header: &str, audience: Audience) -> Option<Locale> {
        self.best(&ranked(header), audience)
    }

    fn best(&'static self, wanted: &[LanguageIdentifier], audience: Audience) -> Option<Locale> {
        let wanted: Vec<LanguageIdentifier> = wanted.iter().map(canonical).collect();
        let wanted = wanted.as_slice();
        let offered: Vec<Locale> = self.offered(audience).collect();
        let ids: Vec<&LanguageIdentifier> = offered.iter().map(|l| l.langid()).collect();
        let chosen = negotiate_languages(wanted, &ids, None, NegotiationStrategy::Lookup);
        let first = **chosen.first()?;
        offered.into_iter().find(|l| l.langid() == first)
    }
}

/// `id` with CLDR's language aliases applied (`prs` → `fa-AF`), or as it
/// was when it has none.
fn canonical(id: &LanguageIdentifier) -> LanguageIdentifier {
    static CANONICALIZER: icu_locale::LocaleCanonicalizer =
        icu_locale::LocaleCanonicalizer::new_extended();
    let Ok(mut locale) = icu_locale_core::Locale::try_from_str(&id.to_string()) else {
        return id.clone();
    };
    CANONICALIZER.canonicalize(&mut locale);
    LanguageIdentifier::from_str(&locale.id.to_string()).unwrap_or_else(|_| id.clone())
}

/// The language ranges of an `Accept-Language` value, best first. An entry
/// that does not parse is skipped, not the whole header; among equal
/// weights the sender's order stands.
pub fn ranked(header: &str) -> Vec<LanguageIdentifier> {
    let mut items: Vec<(Quality, LanguageTag)> = header
        .split(',')
        .filter_map(|item| QualityItem::<Preference<LanguageTag>>::from_str(item.trim()).ok())
        .filter(|q| q.quality > Quality::ZERO)
        .filter_map(|q| match q.item {
            Preference::Specific(tag) => Some((q.quality, tag)),
            Preference::Any => None,
        })
        .collect();
    items.sort_by_key(|(q, _)| std::cmp::Reverse(*q));
    items
        .into_iter()
        .filter_map(|(_, tag)| LanguageIdentifier::from_str(tag.as_str()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(header: &str) -> Vec<String> {
        ranked(header).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn weights_order_the_ranges_and_zero_excludes() {
        assert_eq!(tags("ru;q=0.5, fa-AF, en;q=0.8"), ["fa-AF", "en", "ru"]);
        assert_eq!(tags("fa;q=0, ps"), ["ps"]);
        assert_eq!(tags("*;q=0.5, ps;q=0.4"), ["ps"]);
        assert_eq!(
            tags("en, fa"),
            ["en", "fa"],
            "equal weights keep their order"
        );
        assert_eq!(tags("@@, fa;q=0.3"), ["fa"], "a bad entry is skipped");
        assert!(tags("").is_empty());
    }
}
