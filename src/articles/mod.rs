//! Articles readers can send tips about. The newsroom's CMS owns them;
//! tipdesk keeps the ID, title, link and section (which picks the desk).

mod cache;
mod import;

pub use cache::ArticleCache;
pub use import::{import_file, parse_file, ImportError};

pub mod cms;
pub mod feeds;
pub mod routes;
pub mod signed;

use diesel::prelude::*;
use serde::Deserialize;
use url::Url;

use crate::db::schema::articles;
use crate::db::{Conn, DbError};
use crate::domain::graphemes::is_blank;
use crate::domain::ArticleId;
use crate::i18n::Msg;

/// A message per wrong field, keyed by the field's public name.
pub type FieldErrors = std::collections::BTreeMap<&'static str, Msg>;

/// An article as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct Article {
    pub id: String,
    pub title: String,
    pub url: String,
    pub section: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// The article's own language (a BCP 47 tag such as `fa`), if the CMS
    /// gave one: its form speaks it unless the reader picks another.
    pub language: Option<String>,
    /// When the CMS retired it (`DELETE /api/v1/articles/{id}`): its form
    /// then answers 410 and takes no tips; its tips stay.
    pub retired_at: Option<chrono::NaiveDateTime>,
}

impl Article {
    /// Whether `new` says nothing this row does not say already.
    pub fn matches(&self, new: &NewArticle) -> bool {
        self.title == new.title
            && self.url == new.url.as_str()
            && self.section == new.section
            && self.language == new.language
    }

    /// Retired by the CMS: no new tips.
    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }
}

/// A valid article record, ready to upsert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArticle {
    pub id: ArticleId,
    pub title: String,
    pub url: Url,
    pub section: String,
    /// A well-formed language tag in canonical form, e.g. `fa` or `ps-AF`.
    pub language: Option<String>,
}

/// An article record as it arrives from a CSV row or JSON object.
#[derive(Debug, Clone, Deserialize)]
pub struct ArticleRecord {
    pub id: String,
    pub title: String,
    pub url: String,
    pub section: String,
    /// Optional: a `language` column (CSV) or key (JSON).
    #[serde(default)]
    pub language: Option<String>,
}

impl ArticleRecord {
    /// Checks every field, as `tipdesk articles import` does; the message
    /// names the first field that is wrong (in English: for a terminal).
    pub fn parse(self) -> Result<NewArticle, String> {
        // The ID's own reason is the most specific (`...only of dots`).
        if let Err(why) = ArticleId::parse(self.id.trim()) {
            return Err(format!("id: {why}"));
        }
        self.check(&[]).map_err(|problems| {
            let en = crate::i18n::catalog().source();
            problems
                .iter()
                .next()
                .map(|(field, msg)| {
                    // No bidi isolates in a terminal's line.
                    let text: String = en
                        .msg(msg)
                        .chars()
                        .filter(|c| !matches!(c, '\u{2068}' | '\u{2069}'))
                        .collect();
                    format!("{field}: {text}")
                })
                .unwrap_or_default()
        })
    }

    /// Checks every field at once: the ID (see [`ArticleId`]), a title of
    /// 1 to 500 characters and a section of 1 to 100, both on one line
    /// without control characters, an http(s) URL on one of
    /// `allowed_hosts` (lower-case host names; empty: any host), and a
    /// well-formed BCP 47 language tag if any. Every wrong field is named,
    /// with what to change.
    pub fn check(self, allowed_hosts: &[String]) -> Result<NewArticle, FieldErrors> {
        let mut errors = FieldErrors::new();
        let id = ArticleId::parse(self.id.trim())
            .map_err(|_| errors.insert("id", Msg::new("article-id-invalid")))
            .ok();
        let title = self.title.trim();
        if is_blank(title) || title.chars().count() > 500 || title.chars().any(char::is_control) {
            errors.insert(
                "title",
                Msg::new("article-title-invalid").number("max", 500),
            );
        }
        let url = match Url::parse(self.url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        {
            None => {
                errors.insert("url", Msg::new("article-url-invalid"));
                None
            }
            Some(u) if !host_allowed(&u, allowed_hosts) => {
                let host = u.host_str().unwrap_or_default().to_owned();
                errors.insert("url", Msg::new("article-url-host").text("host", host));
                None
            }
            Some(u) => Some(u),
        };
        let section = self.section.trim();
        if is_blank(section)
            || section.chars().count() > 100
            || section.chars().any(char::is_control)
        {
            errors.insert(
                "section",
                Msg::new("article-section-invalid").number("max", 100),
            );
        }
        // Any well-formed tag is kept, shipped language or not: one that
        // tipdesk does not speak (yet) falls back like a browser's would.
        let language = match self.language.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(tag) => match tag.parse::<unic_langid::LanguageIdentifier>() {
                Ok(tag) => Some(tag.to_string()),
                Err(_) => {
                    let shown: String = tag.chars().take(40).collect();
                    errors.insert(
                        "language",
                        Msg::new("article-language-invalid").text("tag", shown),
                    );
                    None
                }
            },
        };
        match (id, url) {
            (Some(id), Some(url)) if errors.is_empty() => Ok(NewArticle {
                id,
                title: title.to_owned(),
                url,
                section: section.to_owned(),
                language,
            }),
            _ => Err(errors),
        }
    }
}

/// Whether `url`'s host is one of `allowed` (`articles.allowed_hosts`,
/// lower-case); an empty list allows any.
fn host_allowed(url: &Url, allowed: &[String]) -> bool {
    allowed.is_empty()
        || url
            .host_str()
            .is_some_and(|h| allowed.iter().any(|a| a.eq_ignore_ascii_case(h)))
}

/// The article with this ID, if tipdesk knows it.
pub fn find(conn: &mut Conn<'_>, id: &ArticleId) -> Result<Option<Article>, DbError> {
    Ok(crate::db_run!(conn, |conn| articles::table
        .find(id.as_str())
        .select(Article::as_select())
        .first(conn)
        .optional())?)
}

/// The most recently added articles, for the landing page.
pub fn latest(conn: &mut Conn<'_>, limit: i64) -> Result<Vec<Article>, DbError> {
    Ok(crate::db_run!(conn, |conn| articles::table
        .filter(articles::retired_at.is_null())
        .order((articles::created_at.desc(), articles::id))
        .limit(limit)
        .select(Article::as_select())
        .load(conn))?)
}

/// Inserts or updates `batch` in one transaction: all of it or nothing.
pub fn upsert_all(conn: &mut Conn<'_>, batch: &[NewArticle]) -> Result<usize, DbError> {
    let now = crate::db::now();
    Ok(conn.write(|conn| {
        for a in batch {
            write_row(conn, a, now, None)?;
        }
        Ok::<_, diesel::result::Error>(batch.len())
    })?)
}

/// The article's row as `a` has it, for [`write_row`].
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = articles)]
struct ArticleRow<'a> {
    title: &'a str,
    url: &'a str,
    section: &'a str,
    /// A language dropped from the article is dropped from its row.
    #[diesel(treat_none_as_null = true)]
    language: Option<&'a str>,
    updated_at: chrono::NaiveDateTime,
    /// `None` keeps what is stored; `Some(None)` brings a retired article
    /// back (diesel's changeset skips a `None`).
    retired_at: Option<Option<chrono::NaiveDateTime>>,
}

/// Inserts `a`, or updates the stored article with its fields (and with
/// `retired_at` when given): the one upsert the import and [`save`] share.
fn write_row(
    conn: &mut Conn<'_>,
    a: &NewArticle,
    now: chrono::NaiveDateTime,
    retired_at: Option<Option<chrono::NaiveDateTime>>,
) -> QueryResult<usize> {
    let row = ArticleRow {
        title: &a.title,
        url: a.url.as_str(),
        section: &a.section,
        language: a.language.as_deref(),
        updated_at: now,
        retired_at,
    };
    crate::db_run!(conn, |conn| diesel::insert_into(articles::table)
        .values((
            articles::id.eq(a.id.as_str()),
            articles::created_at.eq(now),
            &row,
        ))
        .on_conflict(articles::id)
        .do_update()
        .set(&row)
        .execute(conn))
}

/// What saving one article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Added,
    Updated,
    /// Known already with these very fields: nothing written.
    Unchanged,
}

impl Saved {
    /// Its name in metrics and the `sync` report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
        }
    }
}

/// Whether saving brings back an article the CMS retired. Only the CMS
/// itself does (`PUT`): a feed or an old signed embed still carrying a
/// retired article must not undo its retirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revive {
    Yes,
    No,
}

/// Inserts or updates one article in its own transaction.
pub fn save(conn: &mut Conn<'_>, a: &NewArticle, revive: Revive) -> Result<Saved, DbError> {
    let now = crate::db::now();
    Ok(conn.write(|conn| {
        let before: Option<Article> = crate::db_run!(conn, |conn| articles::table
            .find(a.id.as_str())
            .select(Article::as_select())
            .first(conn)
            .optional())?;
        let saved = match &before {
            None => Saved::Added,
            Some(b) if b.matches(a) && (revive == Revive::No || b.retired_at.is_none()) => {
                return Ok(Saved::Unchanged)
            }
            Some(_) => Saved::Updated,
        };
        let retired_at = match (&before, revive) {
            (Some(b), Revive::No) => b.retired_at,
            _ => None,
        };
        write_row(conn, a, now, Some(retired_at))?;
        Ok::<_, diesel::result::Error>(saved)
    })?)
}

/// Retires the article: its form answers 410 from now on; its tips stay.
/// Retiring it again keeps the first time. `false`: no such article.
pub fn retire(conn: &mut Conn<'_>, id: &ArticleId) -> Result<bool, DbError> {
    let now = crate::db::now();
    Ok(conn.write(|conn| {
        let known: i64 = crate::db_run!(conn, |conn| articles::table
            .filter(articles::id.eq(id.as_str()))
            .count()
            .get_result(conn))?;
        crate::db_run!(conn, |conn| diesel::update(
            articles::table
                .filter(articles::id.eq(id.as_str()))
                .filter(articles::retired_at.is_null())
        )
        .set(articles::retired_at.eq(Some(now)))
        .execute(conn))?;
        Ok::<_, diesel::result::Error>(known > 0)
    })?)
}

/// Adds the sample story when the database has no articles, so a newcomer
/// has a form to open.
pub fn seed_demo(conn: &mut Conn<'_>) -> Result<Option<ArticleId>, DbError> {
    let count: i64 = crate::db_run!(conn, |conn| articles::table.count().get_result(conn))?;
    if count > 0 {
        return Ok(None);
    }
    let demo = ArticleRecord {
        id: "csto-extremist-groups-afghanistan".into(),
        title: "CSTO Chief Warns of Multiple Extremist Groups Active in Afghanistan".into(),
        url: "https://news.example/international/csto-extremist-groups-afghanistan".into(),
        section: "International".into(),
        language: None,
    }
    .parse()
    .map_err(|_| DbError::Query(diesel::result::Error::NotFound))?;
    let id = demo.id.clone();
    upsert_all(conn, &[demo])?;
    Ok(Some(id))
}
