//! The catalogs: one Fluent bundle per language folder of `locales/`,
//! parsed once, and [`Locale`], a cheap handle to one of them.

use std::path::Path;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use icu_decimal::input::Decimal;
use icu_decimal::DecimalFormatter;
use intl_memoizer::concurrent::IntlLangMemoizer;
use intl_memoizer::Memoizable;
use unic_langid::{CharacterDirection, LanguageIdentifier};

use super::msg::{Arg, Msg};

/// Every folder of `locales/` with its `.ftl` files, as `build.rs` found them.
const EMBEDDED: &[(&str, &[(&str, &str)])] = include!(concat!(env!("OUT_DIR"), "/locales.rs"));

/// The language every other is checked against (`tests/i18n.rs`), and the
/// fallback for a message a catalog should have had.
pub const SOURCE: &str = "en";

/// Files every language has: the shared terms and the reader's pages.
pub const READER_FILES: [&str; 2] = ["main.ftl", "reader.ftl"];

/// The desk's pages and email. A language with this file is offered on
/// the desk; one without it serves readers only.
pub const DESK_FILE: &str = "desk.ftl";

/// Why a catalog cannot be used, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("locales/{tag}/{file}: {problem}")]
pub struct CatalogError {
    pub tag: String,
    pub file: String,
    pub problem: String,
}

/// Left-to-right or right-to-left, for `<html dir>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    /// The value of HTML's `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

pub(super) struct LocaleData {
    pub(super) tag: String,
    pub(super) id: LanguageIdentifier,
    bundle: FluentBundle<FluentResource>,
    name: String,
    dir: Direction,
    pub(super) desk: bool,
    digits: Option<DecimalFormatter>,
}

/// All languages tipdesk speaks.
pub struct Catalog {
    pub(super) locales: Vec<LocaleData>,
    source: usize,
}

static BUILT_IN: LazyLock<Result<Catalog, CatalogError>> = LazyLock::new(|| {
    Catalog::from_sources(EMBEDDED.iter().map(|(tag, files)| {
        let files = files
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()));
        ((*tag).to_owned(), files.collect())
    }))
});

/// Checks the built-in catalogs; called once at start-up so that a broken
/// file stops tipdesk there, with the file named.
pub fn check() -> Result<&'static Catalog, &'static CatalogError> {
    BUILT_IN.as_ref()
}

/// The built-in catalogs (compiled in from `locales/`).
pub fn catalog() -> &'static Catalog {
    match check() {
        Ok(c) => c,
        // `Application::build` and the command line call `check` before
        // anything else and stop on an error, and `tests/i18n.rs` fails on
        // one, so a running tipdesk never gets here.
        Err(e) => panic!("the built-in message catalogs are broken: {e}"),
    }
}

impl Catalog {
    /// Reads `dir/<tag>/*.ftl` (a copy of `locales/`, say) at run time.
    pub fn from_dir(dir: &Path) -> Result<Self, CatalogError> {
        let problem = |tag: &str, e: std::io::Error| CatalogError {
            tag: tag.to_owned(),
            file: String::new(),
            problem: e.to_string(),
        };
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| problem("", e))? {
            let entry = entry.map_err(|e| problem("", e))?;
            if !entry.path().is_dir() {
                continue;
            }
            let tag = entry.file_name().to_string_lossy().into_owned();
            let mut files = Vec::new();
            for f in std::fs::read_dir(entry.path()).map_err(|e| problem(&tag, e))? {
                let path = f.map_err(|e| problem(&tag, e))?.path();
                if path.extension().is_some_and(|x| x == "ftl") {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let text = std::fs::read_to_string(&path).map_err(|e| problem(&tag, e))?;
                    files.push((name, text));
                }
            }
            files.sort();
            sources.push((tag, files));
        }
        sources.sort_by(|a, b| a.0.cmp(&b.0));
        Self::from_sources(sources)
    }

    /// Builds the bundles from `(tag, [(file name, text)])`. Every language
    /// needs [`READER_FILES`], a canonical tag as its folder name and a
    /// `language-name` message; the source language must be there.
    pub fn from_sources(
        sources: impl IntoIterator<Item = (String, Vec<(String, String)>)>,
    ) -> Result<Self, CatalogError> {
        let mut locales = Vec::new();
        for (tag, files) in sources {
            locales.push(LocaleData::build(tag, files)?);
        }
        let source = locales
            .iter()
            .position(|l| l.tag == SOURCE)
            .ok_or_else(|| CatalogError {
                tag: SOURCE.into(),
                file: String::new(),
                problem: "the source language's folder is missing".into(),
            })?;
        Ok(Self { locales, source })
    }

    /// Makes a catalog live as long as the program, as [`Locale`] needs
    /// (for catalogs read at run time; the built-in one is static).
    pub fn leak(self) -> &'static Self {
        Box::leak(Box::new(self))
    }

    /// The source language ([`SOURCE`]).
    pub fn source(&'static self) -> Locale {
        Locale {
            catalog: self,
            index: self.source,
        }
    }

    /// Every language, in tag order.
    pub fn all(&'static self) -> impl Iterator<Item = Locale> {
        (0..self.locales.len()).map(move |index| Locale {
            catalog: self,
            index,
        })
    }

    /// The language whose folder is exactly `tag`.
    pub fn get(&'static self, tag: &str) -> Option<Locale> {
        self.all().find(|l| l.tag() == tag)
    }
}

impl LocaleData {
    fn build(tag: String, files: Vec<(String, String)>) -> Result<Self, CatalogError> {
        let fail = |file: &str, problem: String| CatalogError {
            tag: tag.clone(),
            file: file.to_owned(),
            problem,
        };
        let id: LanguageIdentifier = tag
            .parse()
            .ok()
            .filter(|id: &LanguageIdentifier| id.to_string() == tag)
            .ok_or_else(|| {
                fail(
                    "",
                    "the folder's name must be a language tag in canonical form, such as `fa` or `pt-BR`"
                        .into(),
                )
            })?;
        for needed in READER_FILES {
            if !files.iter().any(|(name, _)| name == needed) {
                return Err(fail(needed, "missing".into()));
            }
        }
        let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
        // Text arguments are isolated by `Locale::msg` itself; numbers need
        // no isolation, and without it messages stay plain to search.
        bundle.set_use_isolating(false);
        bundle.set_formatter(Some(format_number));
        for (name, text) in &files {
            let resource = FluentResource::try_new(text.clone()).map_err(|(_, errors)| {
                let first = errors.first().map_or_else(String::new, |e| {
                    let line = text[..e.pos.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: {}", e.kind)
                });
                fail(name, format!("not valid Fluent syntax: {first}"))
            })?;
            bundle.add_resource(resource).map_err(|errors| {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                fail(name, list.join("; "))
            })?;
        }
        let name = bundle
            .get_message("language-name")
            .and_then(|m| m.value())
            .map(|p| bundle.format_pattern(p, None, &mut Vec::new()).into_owned())
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                fail(
                    "main.ftl",
                    "needs `language-name`, the language's name in itself".into(),
                )
            })?;
        let dir = match id.character_direction() {
            CharacterDirection::RTL => Direction::Rtl,
            _ => Direction::Ltr,
        };
        Ok(Self {
            desk: files.iter().any(|(n, _)| n == DESK_FILE),
            digits: decimal_formatter(&id),
            tag,
            id,
            bundle,
            name,
            dir,
        })
    }
}

/// One of the catalog's languages. Copy it freely; every page and error
/// carries one.
#[derive(Clone, Copy)]
pub struct Locale {
    catalog: &'static Catalog,
    index: usize,
}

impl PartialEq for Locale {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.catalog, other.catalog) && self.index == other.index
    }
}

impl Eq for Locale {}

impl std::fmt::Debug for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Locale({})", self.tag())
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

impl Locale {
    fn data(self) -> &'static LocaleData {
        &self.catalog.locales[self.index]
    }

    pub(super) fn langid(self) -> &'static LanguageIdentifier {
        &self.data().id
    }

    /// The language tag, e.g. `fa`: for `<html lang>` and `?lang=`.
    pub fn tag(self) -> &'static str {
        &self.data().tag
    }

    /// The language's name in itself, e.g. `فارسی`.
    pub fn name(self) -> &'static str {
        &self.data().name
    }

    /// Its writing direction (from CLDR's layout data, via unic-langid).
    pub fn direction(self) -> Direction {
        self.data().dir
    }

    /// `rtl` or `ltr`, for `<html dir>`.
    pub fn dir(self) -> &'static str {
        self.direction().as_str()
    }

    /// Whether the desk's pages and email exist in this language.
    pub fn has_desk(self) -> bool {
        self.data().desk
    }

    /// The message `id` without arguments.
    pub fn t(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `msg` with its arguments.
    pub fn msg(self, msg: &Msg) -> String {
        let mut args = FluentArgs::with_capacity(msg.args().len());
        for (name, arg) in msg.args() {
            let value = match arg {
                Arg::Number(n) => FluentValue::from(*n),
                Arg::Text(s) => FluentValue::from(format!("\u{2068}{s}\u{2069}")),
                Arg::Localized(s) => FluentValue::from(s.as_str()),
                Arg::Key(k) => FluentValue::from(*k),
            };
            args.set(*name, value);
        }
        self.format(msg.id(), Some(&args))
    }

    /// `n` in the language's digits and grouping (CLDR, via ICU4X):
    /// `1,000` in English, `۱٬۰۰۰` in Persian, `1 000` in Russian.
    pub fn number(self, n: i64) -> String {
        match &self.data().digits {
            Some(f) => f.format(&Decimal::from(n)).to_string(),
            None => n.to_string(),
        }
    }

    /// Splits message `id` around its text argument `name` (given
    /// `value`), so a template can put markup — a link, a `<bdi>` — where
    /// the language puts the argument: `(before, after)`.
    pub fn around(self, id: &'static str, name: &'static str) -> (String, String) {
        // A private-use character no catalog contains marks the spot.
        const MARK: &str = "\u{E000}";
        let text = self.format(
            id,
            Some(&FluentArgs::from_iter([(name, FluentValue::from(MARK))])),
        );
        match text.split_once(MARK) {
            Some((a, b)) => (a.to_owned(), b.to_owned()),
            None => (text, String::new()),
        }
    }

    fn format(self, id: &str, args: Option<&FluentArgs>) -> String {
        let own = self.data();
        let (data, message) = match own.bundle.get_message(id) {
            Some(m) => (own, m),
            None => {
                // tests/i18n.rs keeps every language complete; should one
                // slip through, the reader still gets the source language.
                tracing::error!(locale = %own.tag, id, "message missing from the catalog");
                let source = &self.catalog.locales[self.catalog.source];
                match source.bundle.get_message(id) {
                    Some(m) => (source, m),
                    None => return id.to_owned(),
                }
            }
        };
        let Some(pattern) = message.value() else {
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text = data.bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
            tracing::error!(locale = %data.tag, id, ?errors, "message formatted with errors");
        }
        text.into_owned()
    }
}

fn decimal_formatter(id: &LanguageIdentifier) -> Option<DecimalFormatter> {
    let locale: icu_locale_core::Locale = id.to_string().parse().ok()?;
    DecimalFormatter::try_new((&locale).into(), Default::default()).ok()
}

/// A bundle's numbers in its language's digits: Fluent's own formatting
/// writes ASCII digits for every language, so a Persian sentence would
/// carry `10` where a reader expects `۱۰`.
struct Digits(DecimalFormatter);

impl Memoizable for Digits {
    type Args = ();
    type Error = ();

    fn construct(lang: LanguageIdentifier, _: ()) -> Result<Self, ()> {
        decimal_formatter(&lang).map(Digits).ok_or(())
    }
}

fn format_number(value: &FluentValue, intls: &IntlLangMemoizer) -> Option<String> {
    let FluentValue::Number(n) = value else {
        return None;
    };
    // Whole numbers only (counts and limits); anything else keeps
    // Fluent's own formatting.
    let whole = n.value.is_finite() && n.value.fract() == 0.0 && n.value.abs() < 1e15;
    if !whole || n.options.minimum_fraction_digits.is_some() {
        return None;
    }
    let d = Decimal::from(n.value as i64);
    intls
        .with_try_get::<Digits, _, _>((), |f| f.0.format(&d).to_string())
        .ok()
}
