//! Languages. Every text a reader or staff member reads comes from Project
//! Fluent catalogs, one folder per language under `locales/<tag>/`
//! (`main.ftl` with the language's name and shared terms, `reader.ftl`,
//! and `desk.ftl` for a language the desk is offered in). `build.rs` finds
//! the folders and the files are compiled in: adding a language is adding
//! its folder, nothing else.
//!
//! Fluent (fluent-bundle, as in Firefox) does plural rules and variables;
//! fluent-langneg matches tags (`fa-AF` → `fa`); ICU4X writes numbers in
//! each language's digits (Fluent alone writes ASCII digits everywhere);
//! unic-langid knows which languages run right to left.
//!
//! We use fluent-bundle directly rather than fluent-templates: its loader
//! negotiates the language again on every message looked up (a form page
//! looks up about thirty) and panics or answers "Unknown localization" on
//! a formatting problem, where we want the language chosen once per
//! request ([`request`]), a broken file to stop start-up with its name
//! ([`check`]), and the parsed catalogs for the completeness test
//! (`tests/i18n.rs`). What is left to write here is the embedding (a
//! dozen lines of `build.rs`) and the lookup.

mod catalog;
mod msg;
mod negotiate;
pub mod request;

pub use catalog::{
    catalog, check, Catalog, CatalogError, Direction, Locale, DESK_FILE, READER_FILES, SOURCE,
};
pub use msg::{Arg, Msg};
pub use negotiate::{ranked, Audience};
pub use request::{current, LanguageLink};
