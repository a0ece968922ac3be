//! Reading a `multipart/form-data` body (RFC 7578) as the tip form and
//! the API send it: text fields as parts, files as `attachments` parts.
//! The parsing of the format itself is `actix-multipart`'s; what is ours
//! is deciding, part by part, what a part may be, and holding the limits
//! while the bytes arrive (a file over its limit is not kept, however
//! much of it the client sends).
//!
//! Files are never held whole: each piece is sealed and spooled as it
//! arrives (`super::Incoming`); see the module note of `attachments` on
//! memory.
//!
//! A refused file does not stop the reading: the text parts after it are
//! still read, so the form can be shown again with everything the reader
//! wrote.
//!
//! The body reaches `actix-multipart` through [`Guarded`], which holds
//! two rules that crate does not. Its parser buffers a part's headers (and
//! the preamble) until their end, however long, searching the whole buffer
//! again at every piece: a header that never ends held memory and a core
//! until the body deadline. And a body that ends after a part's closing
//! line break, without the close delimiter, left it waiting for bytes that
//! could never come (the request was never answered; the body deadline,
//! already met, did not end it). So at most [`MAX_OVERHEAD`] bytes of a
//! body may be other than the parts' contents, and a body whose stream
//! ends before its close delimiter (RFC 2046 §5.1.1) is cut short.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderMap, CONTENT_TYPE};
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};

use super::name::{self, FileName};
use super::{check, AttachmentError, Incoming, Received, Upload};
use crate::config::AttachmentSettings;

/// The form field that carries files.
pub const FILE_FIELD: &str = "attachments";
/// The form field that chooses whether photos keep their metadata:
/// `on`, `true`, `yes` or `1` keeps it, `off`, `false`, `no` or `0`
/// removes it; when it is not sent, [`Limits::keep_by_default`] decides.
pub const KEEP_FIELD: &str = "keep_metadata";

/// What a multipart body held: its text fields in order, and the files,
/// or why they were refused.
#[derive(Debug)]
pub struct Posted {
    pub text: Vec<(String, String)>,
    pub files: Result<Vec<Upload>, AttachmentError>,
    /// Whether any file was chosen at all (refused or not): the form
    /// tells the reader to choose files again only then.
    pub had_files: bool,
}

impl Posted {
    /// The text fields as an `application/x-www-form-urlencoded` body, to
    /// be read by the same code as a form sent without files.
    pub fn urlencoded(&self) -> Vec<u8> {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.text {
            s.append_pair(k, v);
        }
        s.finish().into_bytes()
    }
}

/// Why a multipart body could not be read at all (400). Each names the
/// part: by its field name when it has one, else by its place (1, 2, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartError {
    /// The body is not multipart as declared, or ends before its last
    /// boundary (a truncated upload).
    Malformed { part: usize },
    /// A part without a `Content-Disposition` name.
    NoName { part: usize },
    /// A text field sent as a file.
    FileInTextField { field: String },
    /// An `attachments` part without a file name (text, not a file).
    TextInFileField,
    /// A text field that is not UTF-8.
    NotUtf8 { field: String },
    /// Text fields larger together than the form's body limit.
    TextTooLarge { field: String },
    /// A file could not be held until the tip is stored: the temporary
    /// file's storage failed (a full disk). Not the sender's fault: 503.
    Storage,
}

impl PartError {
    fn from_multipart(e: &MultipartError, part: usize) -> Self {
        // `Guarded`'s refusal (overhead past its bound) arrives as a
        // `Payload` error: a damaged form.
        match e {
            MultipartError::ContentDispositionMissing
            | MultipartError::ContentDispositionNameMissing => Self::NoName { part },
            _ => Self::Malformed { part },
        }
    }

    /// What the person is told (the API and the page say the same).
    pub fn message(&self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            Self::Malformed { part } => {
                Msg::new("multipart-malformed").number("part", *part as u64)
            }
            Self::NoName { part } => Msg::new("multipart-no-name").number("part", *part as u64),
            Self::FileInTextField { field } => {
                Msg::new("multipart-file-in-text-field").text("field", field)
            }
            Self::TextInFileField => Msg::new("multipart-text-in-file-field"),
            Self::NotUtf8 { field } => Msg::new("multipart-not-utf8").text("field", field),
            Self::TextTooLarge { field } => {
                Msg::new("multipart-text-too-large").text("field", field)
            }
            Self::Storage => Msg::new("error-storage-unavailable"),
        }
    }

    fn storage(e: &std::io::Error) -> Self {
        tracing::error!(error = %e, "an attachment could not be spooled");
        Self::Storage
    }
}

/// How much may arrive.
pub struct Limits<'a> {
    pub files: &'a AttachmentSettings,
    /// Bytes of all text fields together (`server.max_body_bytes`).
    pub text_bytes: usize,
    /// Whether photos keep their metadata when `keep_metadata` is not
    /// sent: false for the API (removing it is the default); true for the
    /// HTML form, whose ticked "Remove location and camera details" box
    /// sends `keep_metadata=off` and sends nothing once unticked.
    pub keep_by_default: bool,
}

/// Reads every part of the `multipart/form-data` body `payload`, sent
/// with the request headers `headers` (their `Content-Type` names the
/// boundary), through [`Guarded`].
///
/// # Errors
/// [`PartError`] when the body cannot be read as a form; a refused file
/// is not an error here but [`Posted::files`].
pub async fn read<S>(
    headers: &HeaderMap,
    payload: S,
    limits: &Limits<'_>,
) -> Result<Posted, PartError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin + 'static,
{
    let content = Tally::default();
    let guarded = Guarded::new(payload, boundary(headers).as_deref(), content.clone());
    read_parts(Multipart::new(headers, guarded), limits, &content).await
}

async fn read_parts(
    mut body: Multipart,
    limits: &Limits<'_>,
    content: &Tally,
) -> Result<Posted, PartError> {
    let mut text = Vec::new();
    let mut text_bytes = 0usize;
    let mut files = Vec::new();
    let mut refused: Option<AttachmentError> = None;
    let mut had_files = false;
    let mut total = 0u64;
    let mut part = 0usize;
    while let Some(field) = body.next().await {
        part += 1;
        let mut field = field.map_err(|e| PartError::from_multipart(&e, part))?;
        let field_name = field.name().unwrap_or_default().to_owned();
        // A part named "" is as unnamed as one without `name`: no field
        // of the form is called that.
        if field_name.is_empty() {
            return Err(PartError::NoName { part });
        }
        // `filename*` (RFC 8187) where a client sent one, else `filename`.
        let filename = field.content_disposition().and_then(|cd| {
            cd.get_filename_ext()
                .and_then(extended_value)
                .or_else(|| cd.get_filename().map(str::to_owned))
        });
        match (field_name == FILE_FIELD, filename) {
            (true, Some(filename)) => {
                // A file input left empty sends a part with an empty name
                // and no bytes.
                let received =
                    read_file(&mut field, part, limits, content, &mut total, &filename).await?;
                let received = match received {
                    Ok(r) if filename.is_empty() && r.sealed.size == 0 => continue,
                    Ok(r) => r,
                    Err(e) => {
                        had_files = true;
                        refused.get_or_insert(e);
                        continue;
                    }
                };
                had_files = true;
                if refused.is_some() {
                    continue;
                }
                if files.len() >= limits.files.max_files as usize {
                    refused = Some(AttachmentError::TooMany {
                        limit: limits.files.max_files,
                    });
                    continue;
                }
                let checked = FileName::parse(&filename)
                    .map_err(|_| AttachmentError::BadName {
                        file: name::quoted(&filename),
                    })
                    .and_then(|name| check(limits.files, name, received));
                match checked {
                    Ok(upload) => files.push(upload),
                    Err(e) => refused = Some(e),
                }
            }
            (true, None) => return Err(PartError::TextInFileField),
            (false, Some(_)) => return Err(PartError::FileInTextField { field: field_name }),
            (false, None) => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| PartError::from_multipart(&e, part))?;
                    content.add(chunk.len());
                    text_bytes += chunk.len();
                    if text_bytes > limits.text_bytes {
                        return Err(PartError::TextTooLarge { field: field_name });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(bytes).map_err(|_| PartError::NotUtf8 {
                    field: field_name.clone(),
                })?;
                text.push((field_name, value));
            }
        }
    }
    let keep = text
        .iter()
        .find(|(k, _)| k == KEEP_FIELD)
        .map_or(limits.keep_by_default, |(_, v)| {
            !matches!(v.trim(), "off" | "false" | "no" | "0")
        });
    // The choice may come after the files (parts arrive in any order), so
    // it is applied once everything is read.
    let files = match refused {
        Some(e) => Err(e),
        None => {
            let mut chosen = Vec::with_capacity(files.len());
            let mut refused = None;
            for f in files {
                let chosen_for = super::apply_metadata_choice_in_turn(f, keep).await;
                match chosen_for.map_err(|e| PartError::storage(&e))? {
                    Ok(f) => chosen.push(f),
                    Err(e) => {
                        refused = Some(e);
                        break;
                    }
                }
            }
            refused.map_or(Ok(chosen), Err)
        }
    };
    Ok(Posted {
        text,
        files,
        had_files,
    })
}

/// A `filename*` value as text: RFC 8187 §3.2.1 has every recipient read
/// UTF-8 and ISO-8859-1 (whose bytes are the first 256 code points);
/// `None` for another charset, or bytes that are not UTF-8 when said to
/// be (then `filename`, if sent, is read instead).
fn extended_value(ext: &actix_web::http::header::ExtendedValue) -> Option<String> {
    use actix_web::http::header::Charset;
    match &ext.charset {
        Charset::Iso_8859_1 => Some(ext.value.iter().map(|&b| char::from(b)).collect()),
        Charset::Ext(c) if c.eq_ignore_ascii_case("iso-8859-1") => {
            Some(ext.value.iter().map(|&b| char::from(b)).collect())
        }
        _ => String::from_utf8(ext.value.clone()).ok(),
    }
}

/// One file, sealed and spooled as it arrives, or the limit it broke
/// (its remaining bytes are read and dropped, so the parts after it can be
/// read).
async fn read_file(
    field: &mut Field,
    part: usize,
    limits: &Limits<'_>,
    content: &Tally,
    total: &mut u64,
    filename: &str,
) -> Result<Result<Received, AttachmentError>, PartError> {
    let max_file = limits.files.max_file_bytes.get();
    let max_total = limits.files.max_total_bytes.get();
    let mut incoming = Some(Incoming::new());
    let mut over: Option<AttachmentError> = None;
    let mut size = 0u64;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| PartError::from_multipart(&e, part))?;
        content.add(chunk.len());
        if over.is_some() {
            continue;
        }
        size += chunk.len() as u64;
        if size > max_file {
            over = Some(AttachmentError::FileTooLarge {
                file: name::quoted(filename),
                limit: max_file,
            });
        } else if *total + size > max_total {
            over = Some(AttachmentError::TotalTooLarge {
                file: name::quoted(filename),
                limit: max_total,
            });
        } else if let Some(incoming) = &mut incoming {
            // Writing a sealed segment to the spool may touch the disk,
            // but only its page cache (an unnamed file, never synced):
            // microseconds, like the hashing and sealing beside it.
            incoming.push(&chunk).map_err(|e| PartError::storage(&e))?;
        }
        if over.is_some() {
            incoming = None;
        }
    }
    if let Some(over) = over {
        return Ok(Err(over));
    }
    *total += size;
    let incoming = incoming.unwrap_or_default();
    Ok(Ok(incoming.finish().map_err(|e| PartError::storage(&e))?))
}

/// Bytes of a body that may be other than its parts' contents: the
/// preamble, boundaries and part headers. A browser's form with five files
/// spends about 2 KiB on them; the bound leaves room for the pieces that
/// `actix-multipart` has taken from the body but not yet handed on (it
/// takes every piece that has arrived, and actix holds a few dozen KiB of
/// a body at a time). It also bounds the number of parts (each takes 40
/// bytes or more).
pub const MAX_OVERHEAD: u64 = 1024 * 1024;

/// Bytes of parts' contents handed on so far (text and files, counted as
/// they arrive), shared between [`read`] and its [`Guarded`] body.
#[derive(Clone, Default)]
struct Tally(Rc<Cell<u64>>);

impl Tally {
    fn add(&self, n: usize) {
        self.0.set(self.0.get().saturating_add(n as u64));
    }

    fn get(&self) -> u64 {
        self.0.get()
    }
}

/// The boundary named by the request's `Content-Type`, if any.
fn boundary(headers: &HeaderMap) -> Option<String> {
    let mime: actix_web::mime::Mime = headers.get(CONTENT_TYPE)?.to_str().ok()?.parse().ok()?;
    Some(
        mime.get_param(actix_web::mime::BOUNDARY)?
            .as_str()
            .to_owned(),
    )
}

/// A multipart body on its way to `actix-multipart`, failing (see the
/// module's note) once more than [`MAX_OVERHEAD`] bytes of it have been
/// taken beyond the contents handed on; a body that ends before its close
/// delimiter `\r\n--{boundary}--` ends in bytes that can never close it,
/// so the parser finds it incomplete instead of waiting for more.
pub struct Guarded<S> {
    inner: S,
    /// Bytes taken from `inner`.
    taken: u64,
    content: Tally,
    /// `\r\n--{boundary}--`; `None` when there is no boundary to look for
    /// (the body is refused by `actix-multipart` then).
    delimiter: Option<Vec<u8>>,
    /// The last bytes taken, fewer than the delimiter's length, so a
    /// delimiter split across two pieces is found.
    carry: Vec<u8>,
    closed: bool,
    done: bool,
}

impl<S> Guarded<S> {
    fn new(inner: S, boundary: Option<&str>, content: Tally) -> Self {
        let delimiter = boundary.map(|b| format!("\r\n--{b}--").into_bytes());
        Self {
            inner,
            taken: 0,
            content,
            closed: delimiter.is_none(),
            delimiter,
            // A body may open with its close delimiter (no parts at all),
            // with no line break before it.
            carry: b"\r\n".to_vec(),
            done: false,
        }
    }

    fn look_for_close(&mut self, piece: &[u8]) {
        let Some(delimiter) = &self.delimiter else {
            return;
        };
        if self.closed {
            return;
        }
        let keep = delimiter.len() - 1;
        let mut edge = std::mem::take(&mut self.carry);
        edge.extend_from_slice(&piece[..piece.len().min(keep)]);
        self.closed = memchr::memmem::find(&edge, delimiter).is_some()
            || memchr::memmem::find(piece, delimiter).is_some();
        if piece.len() >= keep {
            self.carry = piece[piece.len() - keep..].to_vec();
        } else {
            edge.drain(..edge.len().saturating_sub(keep));
            self.carry = edge;
        }
    }
}

impl<S> Stream for Guarded<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(piece))) => {
                // What was taken before this piece and not handed on is
                // overhead (or a piece still in `actix-multipart`'s buffer).
                if self.taken.saturating_sub(self.content.get()) > MAX_OVERHEAD {
                    self.done = true;
                    return Poll::Ready(Some(Err(PayloadError::Overflow)));
                }
                self.taken = self.taken.saturating_add(piece.len() as u64);
                self.look_for_close(&piece);
                Poll::Ready(Some(Ok(piece)))
            }
            Poll::Ready(None) => {
                self.done = true;
                match (&self.delimiter, self.closed) {
                    (Some(delimiter), false) => {
                        // Cut short. An error here would reach the parser
                        // before the parts still in its buffer, naming the
                        // wrong part; these bytes (NUL, in no boundary or
                        // header) let it read on to where the body ends
                        // and find it incomplete there, never closed.
                        let pad = vec![0u8; delimiter.len() + 8];
                        Poll::Ready(Some(Ok(Bytes::from(pad))))
                    }
                    _ => Poll::Ready(None),
                }
            }
            other => other,
        }
    }
}
