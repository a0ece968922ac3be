//! Articles readers can send tips about. The newsroom's CMS owns them;
//! tipdesk keeps the ID, title, link and section (which picks the desk).

mod cache;
mod import;

pub use cache::ArticleCache;
pub use import::{import_file, parse_file, ImportError};

use diesel::prelude::*;
use serde::Deserialize;
use url::Url;

use crate::db::schema::articles;
use crate::db::{Conn, DbError};
use crate::domain::graphemes::is_blank;
use crate::domain::ArticleId;

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
    /// Checks every field; the message names the field that is wrong.
    pub fn parse(self) -> Result<NewArticle, String> {
        let id = ArticleId::parse(self.id.trim()).map_err(|e| format!("id: {e}"))?;
        let title = self.title.trim();
        if is_blank(title) || title.chars().count() > 500 {
            return Err("title: must be 1 to 500 characters".into());
        }
        if title.chars().any(char::is_control) {
            return Err("title: must not contain control characters or line breaks".into());
        }
        let url = Url::parse(self.url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| format!("url: `{}` is not an http(s) URL", self.url.trim()))?;
        let section = self.section.trim();
        if is_blank(section)
            || section.chars().count() > 100
            || section.chars().any(char::is_control)
        {
            return Err("section: must be 1 to 100 characters on one line".into());
        }
        // Any well-formed tag is kept, shipped language or not: one that
        // tipdesk does not speak (yet) falls back like a browser's would.
        let language = match self.language.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(tag) => Some(
                tag.parse::<unic_langid::LanguageIdentifier>()
                    .map_err(|_| {
                        format!("language: `{tag}` is not a language tag such as fa, ps or en-GB")
                    })?
                    .to_string(),
            ),
        };
        Ok(NewArticle {
            id,
            title: title.to_owned(),
            url,
            section: section.to_owned(),
            language,
        })
    }
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
            crate::db_run!(conn, |conn| diesel::insert_into(articles::table)
                .values((
                    articles::id.eq(a.id.as_str()),
                    articles::title.eq(&a.title),
                    articles::url.eq(a.url.as_str()),
                    articles::section.eq(&a.section),
                    articles::language.eq(&a.language),
                    articles::created_at.eq(now),
                    articles::updated_at.eq(now),
                ))
                .on_conflict(articles::id)
                .do_update()
                .set((
                    articles::title.eq(&a.title),
                    articles::url.eq(a.url.as_str()),
                    articles::section.eq(&a.section),
                    articles::language.eq(&a.language),
                    articles::updated_at.eq(now),
                ))
                .execute(conn))?;
        }
        Ok::<_, diesel::result::Error>(batch.len())
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
