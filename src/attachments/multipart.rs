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

use actix_multipart::{Field, Multipart, MultipartError};
use futures_util::StreamExt;

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

/// Reads every part of `body`.
///
/// # Errors
/// [`PartError`] when the body cannot be read as a form; a refused file
/// is not an error here but [`Posted::files`].
pub async fn read(mut body: Multipart, limits: &Limits<'_>) -> Result<Posted, PartError> {
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
        // `filename*` (RFC 8187) where a client sent one, else `filename`.
        let filename = field.content_disposition().and_then(|cd| {
            cd.get_filename_ext()
                .and_then(|ext| String::from_utf8(ext.value.clone()).ok())
                .or_else(|| cd.get_filename().map(str::to_owned))
        });
        match (field_name == FILE_FIELD, filename) {
            (true, Some(filename)) => {
                // A file input left empty sends a part with an empty name
                // and no bytes.
                let received = read_file(&mut field, part, limits, &mut total, &filename).await?;
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
                let left = limits.text_bytes.saturating_sub(text_bytes);
                let bytes = match field.bytes(left).await {
                    Ok(Ok(b)) => b,
                    Ok(Err(e)) => return Err(PartError::from_multipart(&e, part)),
                    Err(_) => return Err(PartError::TextTooLarge { field: field_name }),
                };
                text_bytes += bytes.len();
                let value = String::from_utf8(bytes.to_vec()).map_err(|_| PartError::NotUtf8 {
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

/// One file, sealed and spooled as it arrives, or the limit it broke
/// (its remaining bytes are read and dropped, so the parts after it can be
/// read).
async fn read_file(
    field: &mut Field,
    part: usize,
    limits: &Limits<'_>,
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
