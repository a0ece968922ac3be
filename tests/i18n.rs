#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! The message catalogs under `locales/`: every shipped language complete
//! and consistent with the source language, every message formatting
//! cleanly, and the languages being exactly the folders there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast;
use tipdesk::i18n::{self, Audience, Catalog, Msg};

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("locales")
}

/// `tag -> file -> text`, read from disk.
fn sources() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for dir in std::fs::read_dir(locales_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let tag = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut files = BTreeMap::new();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|x| x == "ftl") {
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                files.insert(name, std::fs::read_to_string(&f).unwrap());
            }
        }
        out.insert(tag, files);
    }
    out
}

/// Every message (and `message.attribute`) of a file with the variables
/// it uses.
fn messages(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = fluent_syntax::parser::parse(text).unwrap_or_else(|(_, e)| panic!("{e:?}"));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        if let ast::Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            if let Some(p) = &m.value {
                pattern_vars(p, &mut vars);
            }
            out.insert(m.id.name.to_owned(), vars);
            for a in &m.attributes {
                let mut vars = BTreeSet::new();
                pattern_vars(&a.value, &mut vars);
                out.insert(format!("{}.{}", m.id.name, a.id.name), vars);
            }
        }
    }
    out
}

fn pattern_vars(p: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
    for e in &p.elements {
        if let ast::PatternElement::Placeable { expression } = e {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars(e: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            for v in variants {
                pattern_vars(&v.value, vars);
            }
        }
        ast::Expression::Inline(i) => inline_vars(i, vars),
    }
}

fn inline_vars(i: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                inline_vars(a, vars);
            }
            for a in &arguments.named {
                inline_vars(&a.value, vars);
            }
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        _ => {}
    }
}

#[test]
fn every_language_has_exactly_the_source_languages_messages_and_variables() {
    let all = sources();
    let source = &all[i18n::SOURCE];
    assert!(
        all.len() >= 4,
        "en, fa, ps and ru at least: {:?}",
        all.keys()
    );
    let mut problems = Vec::new();
    for (tag, files) in &all {
        for needed in i18n::READER_FILES {
            if !files.contains_key(needed) {
                problems.push(format!("{tag}: {needed} is missing"));
            }
        }
        for (name, text) in files {
            let Some(source_text) = source.get(name) else {
                problems.push(format!(
                    "{tag}/{name}: the source language has no such file"
                ));
                continue;
            };
            let want = messages(source_text);
            let have = messages(text);
            for (id, vars) in &want {
                match have.get(id) {
                    None => problems.push(format!("{tag}/{name}: lacks `{id}`")),
                    Some(v) if v != vars => problems.push(format!(
                        "{tag}/{name}: `{id}` uses {v:?}, the source language {vars:?}"
                    )),
                    Some(_) => {}
                }
            }
            for id in have.keys().filter(|id| !want.contains_key(*id)) {
                problems.push(format!(
                    "{tag}/{name}: has `{id}`, which the source language lacks"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_notices_a_missing_message_an_extra_one_and_other_variables() {
    // The comparison above, on a language made wrong on purpose: the test
    // would fail for each of these.
    let en = messages("a = A { $n }\nb = B\n");
    let xx = messages("a = A { $count }\nc = C\n");
    assert_ne!(en.get("a"), xx.get("a"), "other variables");
    assert!(!xx.contains_key("b"), "a missing message");
    assert!(!en.contains_key("c"), "an extra message");
}

/// Formats every message of every language with arguments of the right
/// names, through fluent-bundle itself, and collects its errors (a message
/// or term referenced but not defined, a variable misspelt).
#[test]
fn every_message_formats_without_errors_in_every_language() {
    use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
    let mut problems = Vec::new();
    for (tag, files) in sources() {
        let mut bundle = FluentBundle::new(vec![tag.parse().unwrap()]);
        let mut ids = BTreeMap::new();
        for (name, text) in &files {
            ids.extend(messages(text));
            let res = FluentResource::try_new(text.clone())
                .unwrap_or_else(|(_, e)| panic!("{tag}/{name}: {e:?}"));
            if let Err(e) = bundle.add_resource(res) {
                problems.push(format!("{tag}/{name}: {e:?}"));
            }
        }
        for (id, vars) in ids {
            let (message, attribute) = match id.split_once('.') {
                Some((m, a)) => (m.to_owned(), Some(a.to_owned())),
                None => (id.clone(), None),
            };
            let msg = bundle.get_message(&message).unwrap();
            let pattern = match &attribute {
                Some(a) => msg.get_attribute(a).unwrap().value(),
                None => msg.value().unwrap(),
            };
            for sample in [1, 3, 5, 21] {
                let mut args = FluentArgs::new();
                for v in &vars {
                    args.set(v.clone(), FluentValue::from(sample));
                }
                let mut errors = Vec::new();
                bundle.format_pattern(pattern, Some(&args), &mut errors);
                if !errors.is_empty() {
                    problems.push(format!("{tag}: `{id}`: {errors:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_languages_are_the_folders_of_locales() {
    let tags: Vec<&str> = i18n::catalog().all().map(|l| l.tag()).collect();
    let folders: Vec<String> = sources().into_keys().collect();
    assert_eq!(tags, folders);
    for l in i18n::catalog().all() {
        assert!(!l.name().is_empty());
    }
}

#[test]
fn adding_a_language_is_adding_its_folder() {
    // A copy of locales/ with one more language, German: its files are
    // the English ones with another name. Nothing else changes.
    let dir = tempfile::tempdir().unwrap();
    for (tag, files) in sources() {
        std::fs::create_dir(dir.path().join(&tag)).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(&tag).join(name), text).unwrap();
        }
    }
    let de = dir.path().join("de");
    std::fs::create_dir(&de).unwrap();
    for entry in std::fs::read_dir(dir.path().join("en")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("language-name = English", "language-name = Deutsch");
        std::fs::write(de.join(path.file_name().unwrap()), text).unwrap();
    }
    let catalog = Catalog::from_dir(dir.path()).unwrap().leak();
    let german = catalog
        .find("de-AT", Audience::Reader)
        .expect("de-AT finds de");
    assert_eq!(german.tag(), "de");
    assert_eq!(german.name(), "Deutsch");
    assert_eq!(german.dir(), "ltr");
    let offered: Vec<&str> = catalog.offered(Audience::Reader).map(|l| l.tag()).collect();
    assert!(offered.contains(&"de"), "{offered:?}");
    assert_eq!(
        catalog
            .from_accept_language("de-CH;q=0.9, fa;q=0.5", Audience::Reader)
            .unwrap()
            .tag(),
        "de"
    );

    // A folder that is not a language is refused with its name.
    std::fs::create_dir(dir.path().join("Not_A_Tag")).unwrap();
    let err = Catalog::from_dir(dir.path()).err().unwrap().to_string();
    assert!(err.contains("Not_A_Tag"), "{err}");
}

#[test]
fn persian_and_pashto_run_right_to_left_in_their_own_digits() {
    let c = i18n::catalog();
    let (fa, ps, ru, en) = (
        c.get("fa").unwrap(),
        c.get("ps").unwrap(),
        c.get("ru").unwrap(),
        c.get("en").unwrap(),
    );
    assert_eq!(
        (fa.dir(), ps.dir(), ru.dir(), en.dir()),
        ("rtl", "rtl", "ltr", "ltr")
    );
    assert_eq!(fa.number(10_000), "۱۰٬۰۰۰");
    assert_eq!(ps.number(2_000), "۲٬۰۰۰");
    assert_eq!(en.number(10_000), "10,000");
    assert_eq!(ru.number(10_000), "10\u{a0}000");
    // In a message too: Fluent's own formatting would write ASCII digits.
    let short = Msg::new("message-too-short").number("min", 10);
    assert!(fa.msg(&short).contains("۱۰ حرف"), "{}", fa.msg(&short));
    assert!(en.msg(&short).contains("at least 10 characters"));
}

#[test]
fn russian_counts_take_the_right_plural_form() {
    let ru = i18n::catalog().get("ru").unwrap();
    let wait = |n: i64| ru.msg(&Msg::new("api-rate-limited").number("seconds", n));
    assert!(wait(1).ends_with("через 1 секунду."), "{}", wait(1));
    assert!(wait(3).ends_with("через 3 секунды."), "{}", wait(3));
    assert!(wait(5).ends_with("через 5 секунд."), "{}", wait(5));
    assert!(wait(21).ends_with("через 21 секунду."), "{}", wait(21));
    let chars = |n: i64| ru.msg(&Msg::new("message-too-short").number("min", n));
    assert!(chars(1).contains("хотя бы 1 символ,"), "{}", chars(1));
    assert!(chars(3).contains("хотя бы 3 символа,"), "{}", chars(3));
    assert!(chars(5).contains("хотя бы 5 символов,"), "{}", chars(5));
    assert!(chars(21).contains("хотя бы 21 символ,"), "{}", chars(21));
}

#[test]
fn text_arguments_are_isolated_and_keys_select() {
    let fa = i18n::catalog().get("fa").unwrap();
    let m = Msg::new("contact-invalid-email")
        .text("contact", "a@b@c")
        .key("problem", "bad-local");
    assert!(
        fa.msg(&m).contains("«\u{2068}a@b@c\u{2069}»"),
        "{}",
        fa.msg(&m)
    );
    let long = Msg::new("text-too-long")
        .key("field", "quote")
        .number("count", 2001)
        .number("max", 2000);
    assert!(fa.msg(&long).starts_with("بخش نقل‌شده"), "{}", fa.msg(&long));
}

#[test]
fn tags_find_the_nearest_language_and_unknown_ones_nothing() {
    let c = i18n::catalog();
    let find = |t: &str| c.find(t, Audience::Reader).map(|l| l.tag());
    assert_eq!(find("fa-AF"), Some("fa"));
    assert_eq!(find("fa-IR"), Some("fa"));
    assert_eq!(find("PS-af"), Some("ps"));
    assert_eq!(find("ru-RU"), Some("ru"));
    assert_eq!(find("en-GB"), Some("en"));
    // CLDR's aliases: Dari as Windows names it, Pashto's three-letter code.
    assert_eq!(find("prs-AF"), Some("fa"));
    assert_eq!(find("pus"), Some("ps"));
    assert_eq!(find("de"), None);
    assert_eq!(find("<script>"), None);
    let accept = |h: &str| c.from_accept_language(h, Audience::Reader).map(|l| l.tag());
    assert_eq!(accept("de-DE, ru;q=0.4, fa-AF;q=0.8"), Some("fa"));
    assert_eq!(accept("fa;q=0, ps;q=0.1"), Some("ps"));
    assert_eq!(accept("de, *;q=0.5"), None);
}

/// Every message id the code and templates ask for exists in the source
/// language (a typo would otherwise show the id to a reader).
#[test]
fn every_message_id_in_the_code_exists() {
    let en = i18n::catalog().source();
    let known: BTreeSet<String> = sources()
        .remove(i18n::SOURCE)
        .unwrap()
        .values()
        .flat_map(|t| messages(t).into_keys())
        .collect();
    let mut missing = Vec::new();
    let mut seen = 0;
    for root in ["src", "templates"] {
        for path in walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(root)) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for call in ["Msg::new(\"", ".t(\"", ".around(\""] {
                for (at, _) in text.match_indices(call) {
                    let rest = &text[at + call.len()..];
                    let id = &rest[..rest.find('"').unwrap()];
                    if id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
                    {
                        seen += 1;
                        if !known.contains(id) {
                            missing.push(format!("{}: `{id}`", path.display()));
                        }
                    }
                }
            }
        }
    }
    assert!(seen > 0, "the scan found the calls");
    assert!(
        missing.is_empty(),
        "not in locales/en:\n{}",
        missing.join("\n")
    );
    assert_eq!(en.t("form-heading"), "Know more about this story?");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
