//! `tipdesk articles import FILE`: CSV (`id,title,url,section`, and
//! optionally `language`) or a JSON array of such objects. A file is
//! imported whole or not at all.
//!
//! Files come from spreadsheets as often as from scripts: a UTF-8
//! byte-order mark is skipped, and a bad row is reported with the physical
//! line it starts on, whatever the line endings (`\n`, `\r\n` or a lone
//! `\r`, each one line break) and however many line breaks quoted cells
//! hold before it.

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
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
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
                "the header must name the columns id,title,url,section (and optionally language) (found: {})",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        });
    }
    // The csv crate counts `\n` only, and places a record after a `\r\n`
    // on the line before; lines are counted here from its byte offsets.
    let line_of = |p: Option<&csv::Position>| p.map_or(0, |p| physical_line(bytes, p.byte()));
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Row {
            line: line_of(e.position()),
            problem: match e.kind() {
                csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields".into(),
                csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
                _ => e.to_string(),
            },
        })?;
        let line = line_of(record.position());
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
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ImportError::Format(format!(
            "line {}: not valid UTF-8",
            physical_line(bytes, e.valid_up_to() as u64)
        ))
    })?;
    // Each article as the slice of the file it came from, so a bad one is
    // reported at the line where its object starts.
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).map_err(|e| {
        ImportError::Format(format!(
            "line {}: not a JSON array of articles: {e}",
            e.line()
        ))
    })?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = item.get().as_ptr() as usize - text.as_ptr() as usize;
            let line = physical_line(bytes, at as u64);
            let record: ArticleRecord = serde_json::from_str(item.get()).map_err(|e| {
                ImportError::Format(format!("line {line}: article {} of the array: {e}", i + 1))
            })?;
            record.parse().map_err(|problem| ImportError::Row {
                line,
                problem: format!("article {} of the array: {problem}", i + 1),
            })
        })
        .collect()
}

/// The line (from 1) that the byte at `offset` starts; line breaks are
/// `\r\n`, `\n` and a lone `\r`.
fn physical_line(bytes: &[u8], offset: u64) -> u64 {
    let mut at = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    // A position may point at the `\n` of the `\r\n` before a row.
    if at > 0 && bytes.get(at) == Some(&b'\n') && bytes[at - 1] == b'\r' {
        at += 1;
    }
    let before = &bytes[..at];
    let lf = before.iter().filter(|&&b| b == b'\n').count();
    let lone_cr = before
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::physical_line;

    #[test]
    fn lines_are_counted_whatever_the_line_endings() {
        let unix = b"a\nb\nc";
        let windows = b"a\r\nb\r\nc";
        let mac = b"a\rb\rc";
        assert_eq!(physical_line(unix, 4), 3);
        assert_eq!(physical_line(windows, 6), 3);
        // The `\n` of a `\r\n` belongs to the line it ends.
        assert_eq!(physical_line(windows, 2), 2);
        assert_eq!(physical_line(windows, 1), 1);
        assert_eq!(physical_line(mac, 4), 3);
    }
}
