//! Exporting what the queue's filters select, as CSV or JSON
//! (`GET /desk/tips/export.csv`, `/desk/tips/export.json`).
//!
//! The export is streamed: tips are read in keyset pages of
//! [`PAGE`] (newest first, each page one range of `tips.id`), each page
//! encoded on a blocking thread and handed to the response body before
//! the next is read, so memory stays at one page however many tips there
//! are. The next page is read only when the client has taken the last
//! one (the body is pulled, not pushed), so a slow client holds no more.
//!
//! CSV is written by the `csv` crate (quoting per RFC 4180), UTF-8 with a
//! byte-order mark (without it Excel reads the file in the system's code
//! page and shows Persian as mojibake), every cell neutralized against
//! formula injection as OWASP's "CSV Injection" page advises (see
//! [`neutralize`]). JSON is one array of objects, written by serde_json.
//!
//! Every export is in the audit trail twice, under one `export:<id>`
//! target: `tip.export` with the filter, format and whether contacts were
//! included, written before the first row leaves (an export cut short by
//! a crash is still recorded), and `tip.export.done` with the filter and
//! the number of tips sent, complete or interrupted (the client left or
//! a query failed).

use std::borrow::Cow;
use std::sync::Arc;

use actix_web::web::Bytes;
use futures_util::Stream;

use super::{ExportRow, Filters};
use crate::audit::{self, Actor};
use crate::db::{DbError, Pool};
use crate::privacy::SealingKeys;

/// Tips read and encoded at a time. A message is at most 10,000
/// characters, so a page is at most a few megabytes of text; smaller
/// pages cost a query each (about a millisecond at a million tips).
pub const PAGE: i64 = 500;

/// The two formats, by the address's extension (deserialized from it:
/// `csv`, `json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// The response's `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// The columns, in order (CSV's header, JSON's keys); then
/// [`QUOTE_COLUMN`], [`CONTACT_COLUMNS`] with contacts, and [`CASE_COLUMN`]
/// (added last, so earlier files' columns keep their places).
pub const COLUMNS: [&str; 12] = [
    "reference",
    "article_id",
    "article_title",
    "desk",
    "kind",
    "status",
    "assignee",
    "labels",
    "language",
    "received",
    "first_read",
    "message",
];
/// Columns after [`COLUMNS`]: the quoted passage, always.
pub const QUOTE_COLUMN: &str = "quote";
/// Columns added by `include_contact=1`.
pub const CONTACT_COLUMNS: [&str; 3] = ["reader_name", "contact_kind", "contact"];
/// The last column, always: the reference of the oldest tip of the tip's
/// case (duplicates as one case, `crate::triage::cases`), so a spreadsheet
/// can group a case's tips; empty (JSON: `null`) for a tip alone.
pub const CASE_COLUMN: &str = "case";

/// A spreadsheet cell that cannot start a formula: one starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP,
/// "CSV Injection": spreadsheets read such a cell as a formula, and the
/// apostrophe makes them show it as text). Everything else is unchanged.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A moment as the export writes it: RFC 3339 in UTC, to the second.
fn moment(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One tip, opened: what a row of the export says.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Record {
    pub reference: String,
    pub article_id: String,
    pub article_title: String,
    pub desk: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub assignee: Option<String>,
    pub labels: Vec<String>,
    pub language: Option<String>,
    /// RFC 3339, UTC.
    pub received: String,
    /// RFC 3339, UTC; `None`: nobody at the desk has opened it.
    pub first_read: Option<String>,
    pub message: String,
    pub quote: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ReaderContact>,
    /// The reference of the oldest tip of its case; `None`: a tip alone.
    pub case: Option<String>,
}

/// The reader's name and contact, opened (`include_contact=1`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReaderContact {
    pub reader_name: Option<String>,
    pub contact_kind: Option<String>,
    pub contact: Option<String>,
}

impl Record {
    /// `row` with its `labels` and `case` (see [`CASE_COLUMN`]); with
    /// `ring`, its name and contact opened (a value that cannot be opened
    /// reads `unreadable`, and is logged).
    pub fn new(
        row: ExportRow,
        labels: Vec<String>,
        case: Option<String>,
        ring: Option<&SealingKeys>,
        unreadable: &str,
    ) -> Self {
        let contact = ring.map(|ring| {
            let open = |field: &str, sealed: Option<String>| {
                sealed.map(|s| {
                    ring.open(field, &row.reference, &s).unwrap_or_else(|e| {
                        tracing::error!(error = %e, field, "cannot open a sealed reader field for an export");
                        unreadable.to_owned()
                    })
                })
            };
            ReaderContact {
                reader_name: open("name", row.reader_name.clone()),
                contact_kind: row.contact_kind.clone(),
                contact: open("contact", row.contact.clone()),
            }
        });
        Self {
            reference: row.reference,
            article_id: row.article_id,
            article_title: row.article_title,
            desk: row.desk,
            kind: row.kind.as_str(),
            status: row.status.as_str(),
            assignee: row.assignee,
            labels,
            language: row.language,
            received: moment(row.created_at),
            first_read: row.first_read_at.map(moment),
            message: row.message,
            quote: row.quote,
            contact,
            case,
        }
    }

    fn cells(&self) -> Vec<String> {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut cells = vec![
            self.reference.clone(),
            self.article_id.clone(),
            self.article_title.clone(),
            self.desk.clone(),
            self.kind.to_owned(),
            self.status.to_owned(),
            o(&self.assignee),
            self.labels.join(", "),
            o(&self.language),
            self.received.clone(),
            o(&self.first_read),
            self.message.clone(),
            o(&self.quote),
        ];
        if let Some(c) = &self.contact {
            cells.extend([o(&c.reader_name), o(&c.contact_kind), o(&c.contact)]);
        }
        cells.push(o(&self.case));
        cells
    }
}

/// Why a page could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot encode the export: {0}")]
    Encode(String),
}

/// The start of the file: CSV's byte-order mark and header, or JSON's `[`.
pub fn head(format: Format, with_contact: bool) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Csv => {
            let mut header: Vec<&str> = COLUMNS.to_vec();
            header.push(QUOTE_COLUMN);
            if with_contact {
                header.extend(CONTACT_COLUMNS);
            }
            header.push(CASE_COLUMN);
            let mut out = "\u{feff}".as_bytes().to_vec();
            out.extend(csv_rows(std::iter::once(
                header.into_iter().map(str::to_owned).collect(),
            ))?);
            Ok(out)
        }
        Format::Json => Ok(b"[".to_vec()),
    }
}

/// The end of the file.
pub fn tail(format: Format, any_rows: bool) -> Vec<u8> {
    match (format, any_rows) {
        (Format::Csv, _) => Vec::new(),
        (Format::Json, true) => b"\n]\n".to_vec(),
        (Format::Json, false) => b"]\n".to_vec(),
    }
}

/// Records, encoded; `first` says no record has been written before
/// (JSON's commas).
pub fn encode(format: Format, records: &[Record], first: bool) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Csv => csv_rows(records.iter().map(|r| {
            r.cells()
                .iter()
                .map(|c| neutralize(c).into_owned())
                .collect()
        })),
        Format::Json => {
            let mut out = Vec::new();
            for (i, r) in records.iter().enumerate() {
                out.extend_from_slice(if first && i == 0 { b"\n" } else { b",\n" });
                serde_json::to_writer(&mut out, r)
                    .map_err(|e| ExportError::Encode(e.to_string()))?;
            }
            Ok(out)
        }
    }
}

fn csv_rows(rows: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>, ExportError> {
    // CRLF line ends, as RFC 4180 and spreadsheets expect.
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        w.write_record(&row)
            .map_err(|e| ExportError::Encode(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| ExportError::Encode(e.to_string()))
}

/// An export to stream: what to select, for whom, and how to write it.
pub struct Export {
    pub pool: Pool,
    pub format: Format,
    /// The desks the person sees; `None`: all.
    pub scope: Option<Vec<String>>,
    pub filters: Filters,
    /// The key ring, when names and contacts are included.
    pub ring: Option<Arc<SealingKeys>>,
    /// What an unopenable sealed value reads, in the person's language.
    pub unreadable: String,
    pub actor: Actor,
    /// The filter as the queue's address shows it, for the audit trail.
    pub described: String,
}

impl Export {
    fn details(&self) -> String {
        format!(
            "{}; contact: {}; filter: {}",
            self.format.extension(),
            if self.ring.is_some() { "yes" } else { "no" },
            self.described
        )
    }

    /// Narrows the text filter (`search::narrow`), records `tip.export`
    /// and returns the body: the file, page by page.
    pub async fn start(
        mut self,
    ) -> Result<impl Stream<Item = Result<Bytes, ExportError>> + 'static, DbError> {
        let target = format!("export:{}", hex::encode(rand::random::<[u8; 6]>()));
        let details = self.details();
        let mut filters = std::mem::take(&mut self.filters);
        filters.before = None;
        let (actor, t) = (self.actor.clone(), target.clone());
        let filters = self
            .pool
            .query(move |conn| {
                super::search::narrow(conn, &mut filters)?;
                conn.write(|conn| audit::record(conn, &actor, "tip.export", &t, &details))?;
                Ok(filters)
            })
            .await?;
        self.filters = filters;
        let state = Streaming {
            export: Arc::new(self),
            target,
            before: None,
            sent: 0,
            step: Step::Head,
            finished: false,
        };
        Ok(futures_util::stream::unfold(state, |mut st| async move {
            let chunk = st.next_chunk().await?;
            Some((chunk, st))
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Head,
    Rows,
    Done,
}

/// The stream's state; dropped early (the client left), it records the
/// export as interrupted.
struct Streaming {
    export: Arc<Export>,
    target: String,
    /// The keyset cursor: the next page is older than this tip.
    before: Option<crate::domain::TipId>,
    sent: u64,
    step: Step,
    finished: bool,
}

impl Streaming {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, ExportError>> {
        match self.step {
            Step::Done => None,
            Step::Head => {
                self.step = Step::Rows;
                let with_contact = self.export.ring.is_some();
                Some(head(self.export.format, with_contact).map(Bytes::from))
            }
            Step::Rows => {
                let e = self.export.clone();
                let first = self.sent == 0;
                let before = self.before;
                let page = e
                    .pool
                    .clone()
                    .run(move |conn| {
                        let mut f = e.filters.clone();
                        f.before = before;
                        let rows = super::export_page(
                            conn,
                            e.scope.as_deref(),
                            &f,
                            e.ring.is_some(),
                            PAGE,
                        )
                        .map_err(DbError::from)?;
                        let last = rows.last().map(|(r, ..)| r.id);
                        let records: Vec<Record> = rows
                            .into_iter()
                            .map(|(r, l, case)| {
                                Record::new(r, l, case, e.ring.as_deref(), &e.unreadable)
                            })
                            .collect();
                        let bytes = encode(e.format, &records, first)?;
                        Ok::<_, ExportError>((last, records.len(), bytes))
                    })
                    .await;
                match page {
                    Err(err) => {
                        tracing::error!(error = %err, target = %self.target, "an export failed part way");
                        self.step = Step::Done;
                        Some(Err(err))
                    }
                    Ok((Some(last), n, bytes)) => {
                        self.sent += n as u64;
                        self.before = Some(last);
                        Some(Ok(Bytes::from(bytes)))
                    }
                    Ok((None, _, _)) => {
                        self.step = Step::Done;
                        let tail = tail(self.export.format, self.sent > 0);
                        match self.record_done(true).await {
                            Ok(()) => Some(Ok(Bytes::from(tail))),
                            Err(err) => {
                                tracing::error!(error = %err, "an export's end could not be audited");
                                Some(Err(err.into()))
                            }
                        }
                    }
                }
            }
        }
    }

    fn done_details(export: &Export, sent: u64, complete: bool) -> String {
        format!(
            "{sent} tips, {}; {}",
            if complete { "complete" } else { "interrupted" },
            export.details()
        )
    }

    async fn record_done(&mut self, complete: bool) -> Result<(), DbError> {
        self.finished = true;
        let details = Self::done_details(&self.export, self.sent, complete);
        let (actor, target) = (self.export.actor.clone(), self.target.clone());
        self.export
            .pool
            .query(move |conn| {
                conn.write(|conn| audit::record(conn, &actor, "tip.export.done", &target, &details))
            })
            .await
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // The body was dropped before its end: the client left, or a
        // page failed. Recorded off the async thread.
        let details = Self::done_details(&self.export, self.sent, false);
        let (pool, actor, target) = (
            self.export.pool.clone(),
            self.export.actor.clone(),
            self.target.clone(),
        );
        let record = move || {
            let r = pool.with(|conn| {
                conn.write(|conn| audit::record(conn, &actor, "tip.export.done", &target, &details))
                    .map_err(DbError::from)
            });
            if let Err(e) = r {
                tracing::error!(error = %e, "an interrupted export could not be audited");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn_blocking(record);
            }
            Err(_) => record(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_a_formula_are_neutralized() {
        for cell in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["", "a=1", "1-2", " =1", "وزیر", "'=1"] {
            assert_eq!(neutralize(cell), cell, "{cell:?}");
        }
    }
}
