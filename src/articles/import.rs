//! `tipdesk articles import FILE`: CSV (`id,title,url,section`) or a JSON
//! array of such objects. A file is imported whole or not at all.

use std::path::Path;

use super::{upsert_all, ArticleRecord, NewArticle};
use crate::db::{Conn, DbError};

/// Why a file was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("line {line}: {problem}")]
    Row { line: u64, problem: String },
    #[error("{0}")]
    Format(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Parses and upserts `path`; returns how many articles were written.
pub fn import_file(conn: &mut Conn<'_>, path: &Path) -> Result<usize, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let batch = parse_file(path, &bytes)?;
    Ok(upsert_all(conn, &batch)?)
}

/// Parses a whole file, by extension (`.json`, else CSV), checking every row.
pub fn parse_file(path: &Path, bytes: &[u8]) -> Result<Vec<NewArticle>, ImportError> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        parse_json(bytes)
    } else {
        parse_csv(bytes)
    }
}

fn parse_csv(bytes: &[u8]) -> Result<Vec<NewArticle>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Row {
            line: 1,
            problem: e.to_string(),
        })?
        .clone();
    let wanted = ["id", "title", "url", "section"];
    if wanted.iter().any(|w| !headers.iter().any(|h| h == *w)) {
        return Err(ImportError::Row {
            line: 1,
            problem: format!(
                "the header must name the columns id,title,url,section (found: {})",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        });
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Row {
            line: e.position().map_or(0, |p| p.line()),
            problem: match e.kind() {
                csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields".into(),
                csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
                _ => e.to_string(),
            },
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let row: ArticleRecord =
            record
                .deserialize(Some(&headers))
                .map_err(|e| ImportError::Row {
                    line,
                    problem: e.to_string(),
                })?;
        out.push(
            row.parse()
                .map_err(|problem| ImportError::Row { line, problem })?,
        );
    }
    Ok(out)
}

fn parse_json(bytes: &[u8]) -> Result<Vec<NewArticle>, ImportError> {
    let values: Vec<serde_json::Value> = serde_json::from_slice(bytes).map_err(|e| {
        ImportError::Format(format!(
            "line {}: not a JSON array of articles: {e}",
            e.line()
        ))
    })?;
    let text = String::from_utf8_lossy(bytes);
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let record: ArticleRecord = serde_json::from_value(v)
                .map_err(|e| ImportError::Format(format!("article {} of the array: {e}", i + 1)))?;
            let id = record.id.clone();
            record.parse().map_err(|problem| ImportError::Row {
                line: line_of_json_id(&text, &id).unwrap_or(0),
                problem: format!("article {} of the array: {problem}", i + 1),
            })
        })
        .collect()
}

// serde_json reports positions only for syntax errors; for a bad field we
// point at the line where the object's id appears, which is what a person
// looks for in the file.
fn line_of_json_id(text: &str, id: &str) -> Option<u64> {
    let needle = serde_json::to_string(id).ok()?;
    let at = text.find(&needle)?;
    Some(text[..at].matches('\n').count() as u64 + 1)
}
