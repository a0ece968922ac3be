//! Files a reader sends with a tip: checked (count, size, type by
//! content), encrypted under a key of their own, and stored in the
//! database with the tip, in the tip's own transaction.
//!
//! Why the database, in chunks, rather than a directory or an object
//! store: every instance behind the load balancer must read every file,
//! and only the database is shared by all of them today; a file written in
//! the tip's transaction can never outlive or miss its tip, whatever
//! crashes when (a directory written beside a transaction can); backups,
//! retention and `purge` (`ON DELETE CASCADE`) need nothing new. Each
//! chunk row is one STREAM segment ([`cipher::SEGMENT`], 64 KiB), so no
//! row is large for either engine.
//!
//! At rest: the content is XChaCha20-Poly1305 STREAM under the file's own
//! key ([`cipher`]); the key, the file's name and its SHA-256 are sealed
//! with the privacy key ring (`privacy::SealingKeys`), bound to the tip's
//! reference and the file's place (`{reference}#{n}`). The SHA-256 is
//! sealed too: in clear, it would let whoever holds a copy of the
//! database confirm that a known document was sent. The type and size
//! stay in clear (the store budget and the tip page need them).

pub mod cipher;
pub mod heif;
pub mod mapped;
pub mod multipart;
pub mod name;
pub mod sniff;
pub mod spool;
pub mod strip;

use std::io;

use actix_web::http::StatusCode;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::AttachmentSettings;
use crate::db::schema::{attachment_chunks, attachments, tips};
use crate::db::Conn;
use crate::domain::{FileType, TipId};
use crate::i18n::Msg;
use crate::privacy::{PrivacyError, SealingKeys};
use cipher::{FileKey, Sealer};
use mapped::Mapped;
pub use name::FileName;
use spool::Spool;

/// Bytes in a mebibyte, for limits said to people.
const MIB: u64 = 1024 * 1024;

/// What was done to a file's metadata (EXIF, XMP, IPTC, comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metadata {
    /// Removed from a photo, pixels untouched.
    Removed,
    /// A photo whose metadata the reader chose to keep.
    Kept,
    /// A document, stored exactly as sent (its metadata is its own).
    AsSent,
}

impl Metadata {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Removed => "removed",
            Self::Kept => "kept",
            Self::AsSent => "as_sent",
        }
    }

    fn from_stored(s: &str) -> Self {
        match s {
            "removed" => Self::Removed,
            "kept" => Self::Kept,
            _ => Self::AsSent,
        }
    }
}

/// A file as received and checked: a name fit to show, its type told by
/// its content, and its content sealed ([`Sealed`]), never in clear.
#[derive(Debug)]
pub struct Upload {
    pub name: FileName,
    pub file_type: FileType,
    pub metadata: Metadata,
    sealed: Sealed,
}

impl Upload {
    /// Bytes as they will be stored (after any metadata was removed).
    pub fn size(&self) -> u64 {
        self.sealed.size
    }

    /// The content's SHA-256, in hex.
    pub fn sha256(&self) -> &str {
        &self.sealed.sha256
    }
}

/// A file's content sealed under its own key, with what was learnt of the
/// clear bytes on the way: their number and SHA-256.
pub struct Sealed {
    key: FileKey,
    spool: Spool,
    size: u64,
    sha256: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Sealed {
    /// The whole content in clear, read back from the spool into a
    /// mapping of its own ([`mapped`]): only for a photo about to be
    /// stripped ([`STRIP_BUDGET_MIB`]).
    fn open_all(&self) -> io::Result<Mapped> {
        let mut opener = self.key.opener();
        let last = self.spool.segments();
        let mut content = Mapped::zeroed(usize::try_from(self.size).map_err(io::Error::other)?)?;
        let mut at = 0;
        self.spool.read_batches(1, |i, batch| {
            for segment in batch {
                let clear = opener
                    .open(segment, i + 1 == last)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                content
                    .get_mut(at..at + clear.len())
                    .ok_or_else(|| io::Error::other("more content than its size"))?
                    .copy_from_slice(&clear);
                at += clear.len();
            }
            Ok::<_, io::Error>(())
        })?;
        if at != content.len() {
            return Err(io::Error::other("less content than its size"));
        }
        Ok(content)
    }

    /// `content` sealed under a fresh key (a stripped photo), a segment at
    /// a time: each is sealed and spooled before the next is read, so no
    /// sealed copy of the whole builds up in memory beside it.
    fn whole(content: &[u8]) -> io::Result<Self> {
        let mut incoming = Incoming::new();
        for piece in content.chunks(cipher::SEGMENT) {
            incoming.push(piece)?;
        }
        Ok(incoming.finish()?.sealed)
    }
}

/// One file being received: each piece is hashed, sniffed and sealed as
/// it arrives; what is kept is at most one segment in clear (the sealer's)
/// and the sniffer's head ([`sniff::HEAD`]).
pub struct Incoming {
    key: FileKey,
    sealer: Sealer,
    hasher: Sha256,
    sniffer: sniff::Sniffer,
    spool: Spool,
    size: u64,
}

impl Default for Incoming {
    fn default() -> Self {
        Self::new()
    }
}

/// A file wholly received: sealed, and what its bytes turned out to be.
pub struct Received {
    sealed: Sealed,
    sniffed: sniff::Sniffed,
}

impl Incoming {
    pub fn new() -> Self {
        let key = FileKey::generate();
        Self {
            sealer: key.sealer(),
            key,
            hasher: Sha256::new(),
            sniffer: sniff::Sniffer::new(),
            spool: Spool::new(),
            size: 0,
        }
    }

    /// Bytes received so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Takes the next piece of the file.
    ///
    /// # Errors
    /// The spool could not be written (a full disk).
    pub fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.size += bytes.len() as u64;
        self.hasher.update(bytes);
        self.sniffer.push(bytes);
        for segment in self.sealer.push(bytes) {
            self.spool.push(&segment)?;
        }
        Ok(())
    }

    /// The file, once every piece has been pushed.
    ///
    /// # Errors
    /// The spool could not be written.
    pub fn finish(mut self) -> io::Result<Received> {
        self.spool.push(&self.sealer.finish())?;
        Ok(Received {
            sealed: Sealed {
                key: self.key,
                spool: self.spool,
                size: self.size,
                sha256: hex::encode(self.hasher.finalize()),
            },
            sniffed: self.sniffer.finish(),
        })
    }
}

/// Why the files sent with a tip were refused. Each names the file (as
/// far as a name can be shown) and, for a limit, the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentError {
    /// More files than `max_files` (413).
    TooMany { limit: u32 },
    /// One file over `max_file_bytes` (413).
    FileTooLarge { file: String, limit: u64 },
    /// The files together over `max_total_bytes`; `file` is the one that
    /// went past it (413).
    TotalTooLarge { file: String, limit: u64 },
    /// A file of 0 bytes (422).
    Empty { file: String },
    /// A name that is a path, too long, or has control characters (422).
    BadName { file: String },
    /// A type not in `allowed_types`, or none tipdesk knows (422).
    TypeRefused { file: String },
    /// A file that is two kinds at once (422; `sniff::is_polyglot`).
    Polyglot { file: String },
    /// A photo whose metadata was to be removed but which (or whose EXIF
    /// block) is damaged (422; `strip::StripError`).
    Damaged { file: String },
    /// A photo whose metadata was to be removed, laid out in a way whose
    /// metadata tipdesk cannot remove safely (a HEIC/HEIF image sequence
    /// or maker's layout, 422; `strip::StripError::Unsupported`).
    MetadataStays { file: String },
    /// The store-wide budget `max_store_bytes` is spent (503).
    StoreFull,
}

impl AttachmentError {
    /// The HTTP status: 413 for limits, 503 for a full store, 422 for
    /// files that cannot be taken at all.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooMany { .. } | Self::FileTooLarge { .. } | Self::TotalTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::StoreFull => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooMany { .. } => "too_many_attachments",
            Self::FileTooLarge { .. } | Self::TotalTooLarge { .. } => "attachment_too_large",
            Self::Empty { .. } => "attachment_empty",
            Self::BadName { .. } => "attachment_bad_name",
            Self::TypeRefused { .. } | Self::Polyglot { .. } => "attachment_type_refused",
            Self::Damaged { .. } => "attachment_damaged",
            Self::MetadataStays { .. } => "attachment_metadata_not_removable",
            Self::StoreFull => "attachments_unavailable",
        }
    }

    /// What the reader is told, in their language.
    pub fn message(&self) -> Msg {
        match self {
            Self::TooMany { limit } => {
                Msg::new("attachment-too-many").number("limit", u64::from(*limit))
            }
            Self::FileTooLarge { file, limit } => {
                size_limit(Msg::new("attachment-too-large").text("file", file), *limit)
            }
            Self::TotalTooLarge { file, limit } => size_limit(
                Msg::new("attachment-total-too-large").text("file", file),
                *limit,
            ),
            Self::Empty { file } => Msg::new("attachment-empty").text("file", file),
            Self::BadName { file } => Msg::new("attachment-bad-name").text("file", file),
            Self::TypeRefused { file } => Msg::new("attachment-type-refused").text("file", file),
            Self::Polyglot { file } => Msg::new("attachment-polyglot").text("file", file),
            Self::Damaged { file } => Msg::new("attachment-damaged").text("file", file),
            Self::MetadataStays { file } => {
                Msg::new("attachment-metadata-not-removable").text("file", file)
            }
            Self::StoreFull => Msg::new("attachment-store-full"),
        }
    }
}

/// Adds a size limit of `bytes` to `msg` as people can act on it: the
/// number `limit` and the key `unit` the catalogs' messages select
/// on — whole MB (MiB) from 1 MiB, else whole KB (KiB) from
/// 1 KiB, else bytes. Rounded down, so a file of the size shown fits
/// (a limit of 1,500 bytes is "1 KB", never "2 KB" nor "1 MB").
pub fn size_limit(msg: Msg, bytes: u64) -> Msg {
    const KIB: u64 = 1024;
    let (amount, unit) = if bytes >= MIB {
        (bytes / MIB, "mb")
    } else if bytes >= KIB {
        (bytes / KIB, "kb")
    } else {
        (bytes, "bytes")
    };
    msg.number("limit", amount).key("unit", unit)
}

/// Checks one file once wholly received: not empty, a type tipdesk
/// takes and `settings` allows, not two types at once.
///
/// # Errors
/// The first [`AttachmentError`] that applies, naming `name`.
pub fn check(
    settings: &AttachmentSettings,
    name: FileName,
    received: Received,
) -> Result<Upload, AttachmentError> {
    let file = name::quoted(name.as_str());
    if received.sealed.size == 0 {
        return Err(AttachmentError::Empty { file });
    }
    let file_type = received
        .sniffed
        .file_type
        .filter(|t| settings.allowed_types.contains(t))
        .ok_or_else(|| AttachmentError::TypeRefused { file: file.clone() })?;
    if received.sniffed.polyglot {
        return Err(AttachmentError::Polyglot { file });
    }
    Ok(Upload {
        name,
        file_type,
        metadata: Metadata::AsSent,
        sealed: received.sealed,
    })
}

/// Applies the reader's choice about a checked file's metadata: a photo
/// loses its EXIF, XMP, IPTC and comments (`strip`) unless `keep`;
/// documents stay as sent; a photo whose metadata tipdesk cannot remove
/// (a HEIF layout `attachments::heif` does not clean) is taken only when
/// the reader keeps it. A stripped photo is sealed anew, under a new key
/// (its size and SHA-256 are the stripped file's).
///
/// # Errors
/// `Ok(Err(`[`AttachmentError::Damaged`]`))` for a photo too damaged to
/// strip; `Ok(Err(`[`AttachmentError::MetadataStays`]`))` for a HEIC/HEIF
/// photo whose metadata was to be removed but cannot be; `Err` when the sealed copy could
/// not be read back or the new one written (the temporary file's storage
/// failed), or no memory could be mapped for the photo.
pub fn apply_metadata_choice(
    mut upload: Upload,
    keep: bool,
) -> io::Result<Result<Upload, AttachmentError>> {
    if !strip::strippable(upload.file_type) {
        upload.metadata = Metadata::AsSent;
        return Ok(Ok(upload));
    }
    if keep {
        upload.metadata = Metadata::Kept;
        return Ok(Ok(upload));
    }
    let content = upload.sealed.open_all()?.into_bytes();
    match strip::strip(upload.file_type, content) {
        Ok(Some(stripped)) => {
            upload.sealed = Sealed::whole(&stripped)?;
            upload.metadata = Metadata::Removed;
            Ok(Ok(upload))
        }
        Ok(None) => Ok(Ok(upload)),
        Err(strip::StripError::NoMemory) => Err(io::ErrorKind::OutOfMemory.into()),
        Err(strip::StripError::Unsupported) => Ok(Err(AttachmentError::MetadataStays {
            file: name::quoted(upload.name.as_str()),
        })),
        Err(_) => Ok(Err(AttachmentError::Damaged {
            file: name::quoted(upload.name.as_str()),
        })),
    }
}

/// Mebibytes of photos in memory being cleaned at once, in the whole
/// process: each photo counts [`strip::peak_copies`] times its size. With
/// the 20 MiB default `max_file_bytes` one large photo is cleaned at a
/// time (a JPEG's 40 MiB), or several small ones; a photo larger than the
/// budget alone takes all of it. Both copies are mappings of their own
/// ([`mapped`]), returned to the kernel when the photo is done, so ten
/// 20 MiB photos at once stay under 150 MB of RSS (BENCHMARKS.md, row 9c).
pub const STRIP_BUDGET_MIB: u32 = 48;

/// The budget of [`STRIP_BUDGET_MIB`], one permit a MiB.
static STRIPPING: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(STRIP_BUDGET_MIB as usize);

/// [`apply_metadata_choice`], once the photo's share of the memory budget
/// for cleaning ([`STRIP_BUDGET_MIB`]) is free: a reader whose photo
/// would go past it waits for the photos before theirs, never fails.
/// Files that are not cleaned (documents, a photo kept as taken) wait for
/// nothing.
///
/// # Errors
/// As [`apply_metadata_choice`].
pub async fn apply_metadata_choice_in_turn(
    upload: Upload,
    keep: bool,
) -> io::Result<Result<Upload, AttachmentError>> {
    let _permit = if strip::strippable(upload.file_type) && !keep {
        let bytes = upload
            .size()
            .saturating_mul(strip::peak_copies(upload.file_type));
        let mib = u32::try_from(bytes.div_ceil(MIB)).unwrap_or(u32::MAX);
        // Never closed, so a permit always comes.
        STRIPPING
            .acquire_many(mib.clamp(1, STRIP_BUDGET_MIB))
            .await
            .ok()
    } else {
        None
    };
    apply_metadata_choice(upload, keep)
}

/// A checked file ready to store in the tip's transaction: its content
/// is already sealed, segment by segment, as it arrived.
pub struct Prepared {
    name: FileName,
    file_type: FileType,
    size: i64,
    sha256: String,
    metadata: Metadata,
    key: FileKey,
    spool: Spool,
}

impl Prepared {
    pub fn new(upload: Upload) -> Self {
        let Sealed {
            key,
            spool,
            size,
            sha256,
        } = upload.sealed;
        Self {
            size: i64::try_from(size).unwrap_or(i64::MAX),
            sha256,
            name: upload.name,
            file_type: upload.file_type,
            metadata: upload.metadata,
            key,
            spool,
        }
    }

    /// Bytes as sent.
    pub fn size(&self) -> i64 {
        self.size
    }

    /// The content's SHA-256, in hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// Chunk rows inserted by one statement (and sealed segments in memory at
/// once while a file is stored or read): 8 × 64 KiB.
pub const CHUNKS_AT_ONCE: usize = 8;

/// A failure while a spool is copied into the database.
struct Unsent(diesel::result::Error);

impl From<io::Error> for Unsent {
    fn from(e: io::Error) -> Self {
        Self(diesel::result::Error::SerializationError(Box::new(e)))
    }
}

/// What the sealed columns of file `n` of the tip `reference` are bound to.
fn binding(reference: &str, n: i32) -> String {
    format!("{reference}#{n}")
}

#[derive(Insertable)]
#[diesel(table_name = attachments)]
struct NewAttachment<'a> {
    tip_id: TipId,
    n: i32,
    name: String,
    file_key: String,
    sha256: String,
    file_type: &'a str,
    size: i64,
    metadata: &'a str,
    created_at: chrono::NaiveDateTime,
    message_seq: Option<i32>,
}

/// Stores `files` as attachments 1, 2, ... of the tip `tip_id` (whose
/// reference is `reference`), on `conn` inside the caller's transaction.
pub fn store(
    conn: &mut Conn<'_>,
    keys: &SealingKeys,
    tip_id: TipId,
    reference: &str,
    files: &[Prepared],
) -> QueryResult<()> {
    store_from(conn, keys, tip_id, reference, 1, None, files)
}

/// Stores `files` sent with the reader's follow-up message at place
/// `message_seq` of tip `tip_id`'s conversation, numbered on after the
/// tip's files so far (one numbering per tip: a reply's file downloads
/// from the same `/desk/tips/{id}/attachments/{n}`, under the same
/// permissions and audit). The caller holds the tip's row lock in its
/// transaction (`follow_up::conversation`), so the numbers are its own.
pub fn store_for_message(
    conn: &mut Conn<'_>,
    keys: &SealingKeys,
    tip_id: TipId,
    reference: &str,
    message_seq: i32,
    files: &[Prepared],
) -> QueryResult<()> {
    let last: Option<i32> = crate::db_run!(conn, |conn| attachments::table
        .filter(attachments::tip_id.eq(tip_id))
        .select(diesel::dsl::max(attachments::n))
        .first(conn))?;
    let first = last.unwrap_or(0) + 1;
    store_from(
        conn,
        keys,
        tip_id,
        reference,
        first,
        Some(message_seq),
        files,
    )?;
    // The queue's "files attached" badge counts a reply's files too; the
    // tip's row is locked by the caller already.
    if !files.is_empty() {
        let added = i32::try_from(files.len()).unwrap_or(i32::MAX);
        crate::db_run!(conn, |conn| diesel::update(tips::table.find(tip_id))
            .set(tips::attachment_count.eq(tips::attachment_count + added))
            .execute(conn))?;
    }
    Ok(())
}

fn store_from(
    conn: &mut Conn<'_>,
    keys: &SealingKeys,
    tip_id: TipId,
    reference: &str,
    first: i32,
    message_seq: Option<i32>,
    files: &[Prepared],
) -> QueryResult<()> {
    let now = crate::db::now();
    for (i, file) in files.iter().enumerate() {
        let n = first.saturating_add(i32::try_from(i).unwrap_or(i32::MAX));
        let bound = binding(reference, n);
        let row = NewAttachment {
            tip_id,
            n,
            name: keys.seal("attachment-name", &bound, file.name.as_str()),
            file_key: keys.seal("attachment-key", &bound, &file.key.export()),
            sha256: keys.seal("attachment-sha256", &bound, &file.sha256),
            file_type: file.file_type.as_str(),
            size: file.size,
            metadata: file.metadata.as_str(),
            created_at: now,
            message_seq,
        };
        let id: i64 = crate::db_run!(conn, |conn| diesel::insert_into(attachments::table)
            .values(&row)
            .returning(attachments::id)
            .get_result(conn))?;
        // The spool is read anew each time: a transaction retried (a
        // reference that collided) stores the same segments again. An I/O
        // failure reading it fails the transaction like a value that
        // could not be sent to the database.
        let stored = file.spool.read_batches(CHUNKS_AT_ONCE, |first, batch| {
            let rows: Vec<_> = batch
                .iter()
                .zip(first..)
                .map(|(data, seq)| {
                    (
                        attachment_chunks::attachment_id.eq(id),
                        attachment_chunks::seq.eq(i32::try_from(seq).unwrap_or(i32::MAX)),
                        attachment_chunks::data.eq(data),
                    )
                })
                .collect();
            crate::db_run!(conn, |conn| diesel::insert_into(attachment_chunks::table)
                .values(&rows)
                .execute(conn))
            .map(drop)
            .map_err(Unsent)
        });
        stored.map_err(|Unsent(e)| e)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    total: i64,
}

/// Bytes of all stored files (as sent): what `max_store_bytes` limits.
/// In SQL, cast on both engines: diesel's `sum` of a BIGINT is NUMERIC on
/// PostgreSQL, which would need a decimal type for one figure.
pub fn stored_bytes(conn: &mut Conn<'_>) -> QueryResult<i64> {
    let q = diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS total FROM attachments",
    );
    let row: Total = crate::db_run!(conn, |conn| q.get_result(conn))?;
    Ok(row.total)
}

/// [`stored_bytes`] as a pool task's work.
pub fn stored_bytes_db(conn: &mut Conn<'_>) -> Result<i64, crate::db::DbError> {
    Ok(stored_bytes(conn)?)
}

/// One stored file as the desk sees it listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub n: i32,
    pub name: FileName,
    pub file_type: FileType,
    pub size: i64,
    pub sha256: String,
    pub metadata: Metadata,
    /// The place in the conversation of the reader's message this file
    /// came with; `None` for a file sent with the tip.
    pub message_seq: Option<i32>,
}

type Row = (
    i64,
    i32,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<i32>,
);

fn listed(
    keys: &SealingKeys,
    reference: &str,
    row: Row,
) -> Result<(i64, Listed, FileKey), PrivacyError> {
    let (id, n, name, key, sha256, file_type, size, metadata, message_seq) = row;
    let bound = binding(reference, n);
    let key = FileKey::import(&keys.open("attachment-key", &bound, &key)?)
        .map_err(|_| PrivacyError::Damaged)?;
    Ok((
        id,
        Listed {
            n,
            name: FileName::from_stored(keys.open("attachment-name", &bound, &name)?),
            file_type: FileType::parse(&file_type).ok_or(PrivacyError::Damaged)?,
            size,
            sha256: keys.open("attachment-sha256", &bound, &sha256)?,
            metadata: Metadata::from_stored(&metadata),
            message_seq,
        },
        key,
    ))
}

/// A tip's file rows (a handful: `max_files`), in order; the one asked
/// for is picked out here, as a boxed query is tied to one engine.
fn rows(conn: &mut Conn<'_>, tip_id: TipId, n: Option<i32>) -> QueryResult<Vec<Row>> {
    let rows: Vec<Row> = crate::db_run!(conn, |conn| attachments::table
        .filter(attachments::tip_id.eq(tip_id))
        .order(attachments::n)
        .select((
            attachments::id,
            attachments::n,
            attachments::name,
            attachments::file_key,
            attachments::sha256,
            attachments::file_type,
            attachments::size,
            attachments::metadata,
            attachments::message_seq,
        ))
        .load(conn))?;
    Ok(rows
        .into_iter()
        .filter(|r| n.is_none_or(|n| r.1 == n))
        .collect())
}

/// Why a stored file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Sealed(#[from] PrivacyError),
    #[error(transparent)]
    Content(#[from] cipher::Damaged),
    #[error(transparent)]
    Pool(#[from] crate::db::DbError),
}

/// The files of the tip `tip_id` (reference `reference`), in order.
///
/// # Errors
/// [`ReadError`] when the database fails or a sealed value does not open.
pub fn list(
    conn: &mut Conn<'_>,
    keys: &SealingKeys,
    tip_id: TipId,
    reference: &str,
) -> Result<Vec<Listed>, ReadError> {
    rows(conn, tip_id, None)?
        .into_iter()
        .map(|r| Ok(listed(keys, reference, r)?.1))
        .collect()
}

/// A stored file opened for reading: what the desk sees of it, and what
/// reads its content ([`segments`]).
pub struct Stored {
    pub file: Listed,
    id: i64,
    key: FileKey,
}

impl Stored {
    /// How many segments (chunk rows) its content is: one per
    /// [`cipher::SEGMENT`] bytes, and one for an empty file.
    pub fn segments(&self) -> usize {
        usize::try_from(self.file.size)
            .unwrap_or(0)
            .div_ceil(cipher::SEGMENT)
            .max(1)
    }

    /// The decryptor for its segments, in order.
    pub fn opener(&self) -> cipher::Opener {
        self.key.opener()
    }
}

/// File `n` of the tip `tip_id` (reference `reference`), opened for
/// reading; `None` when the tip has no such file. Its content is read by
/// [`segments`], a few at a time.
///
/// # Errors
/// [`ReadError`] when the database fails or a sealed value does not open
/// (damaged, or moved from another tip).
pub fn open(
    conn: &mut Conn<'_>,
    keys: &SealingKeys,
    tip_id: TipId,
    reference: &str,
    n: i32,
) -> Result<Option<Stored>, ReadError> {
    let Some(row) = rows(conn, tip_id, Some(n))?.pop() else {
        return Ok(None);
    };
    let (id, file, key) = listed(keys, reference, row)?;
    Ok(Some(Stored { file, id, key }))
}

/// Up to [`CHUNKS_AT_ONCE`] sealed segments of `file` from position
/// `from` on, in order; fewer (or none) past its end, or when the file has
/// been purged meanwhile. The caller opens them with
/// [`Stored::opener`], which fails on any missing one.
///
/// # Errors
/// A database failure.
pub fn segments(conn: &mut Conn<'_>, file: &Stored, from: usize) -> QueryResult<Vec<Vec<u8>>> {
    let id = file.id;
    let from = i32::try_from(from).unwrap_or(i32::MAX);
    crate::db_run!(conn, |conn| attachment_chunks::table
        .filter(attachment_chunks::attachment_id.eq(id))
        .filter(attachment_chunks::seq.ge(from))
        .order(attachment_chunks::seq)
        .limit(CHUNKS_AT_ONCE as i64)
        .select(attachment_chunks::data)
        .load(conn))
}

/// File `n` of the tip `tip_id` with its whole content decrypted, in
/// memory: for tests and tools; the desk's download streams
/// ([`open`], [`segments`]).
///
/// # Errors
/// As [`open`], and [`ReadError::Content`] when the content does not
/// open (damaged or cut short).
pub fn read(
    conn: &mut Conn<'_>,
    keys: &SealingKeys,
    tip_id: TipId,
    reference: &str,
    n: i32,
) -> Result<Option<(Listed, Vec<u8>)>, ReadError> {
    let Some(stored) = open(conn, keys, tip_id, reference, n)? else {
        return Ok(None);
    };
    let mut opener = stored.opener();
    let mut content = Vec::with_capacity(usize::try_from(stored.file.size).unwrap_or(0));
    let last = stored.segments();
    let mut next = 0;
    while next < last {
        let batch = segments(conn, &stored, next)?;
        if batch.is_empty() {
            return Err(cipher::Damaged.into());
        }
        for segment in batch {
            content.extend(opener.open(&segment, next + 1 == last)?);
            next += 1;
        }
    }
    Ok(Some((stored.file, content)))
}

/// Re-seals every file's key, name and hash not sealed with the current
/// key of `ring` (`tipdesk keys rotate`), in batches each in a
/// transaction of its own; the content is never rewritten: its key is
/// what the ring protects. Returns how many files changed.
///
/// # Errors
/// A database failure, or a sealed value no key of `ring` opens.
pub fn reseal_all(conn: &mut Conn<'_>, ring: &SealingKeys) -> anyhow::Result<usize> {
    use crate::db::schema::tips;
    let mut after = 0i64;
    let mut changed = 0usize;
    loop {
        type Sealed = (i64, String, i32, String, String, String);
        let batch: Vec<Sealed> = crate::db_run!(conn, |conn| attachments::table
            .inner_join(tips::table)
            .filter(attachments::id.gt(after))
            .order(attachments::id)
            .limit(500)
            .select((
                attachments::id,
                tips::reference,
                attachments::n,
                attachments::name,
                attachments::file_key,
                attachments::sha256,
            ))
            .load(conn))?;
        let Some(last) = batch.last() else {
            return Ok(changed);
        };
        after = last.0;
        let mut updates = Vec::new();
        for (id, reference, n, name, key, sha256) in batch {
            if [&name, &key, &sha256].iter().all(|v| ring.is_current(v)) {
                continue;
            }
            let bound = binding(&reference, n);
            let reseal = |field: &str, v: &str| -> Result<String, PrivacyError> {
                Ok(ring.seal(field, &bound, &ring.open(field, &bound, v)?))
            };
            updates.push((
                id,
                reseal("attachment-name", &name)?,
                reseal("attachment-key", &key)?,
                reseal("attachment-sha256", &sha256)?,
            ));
        }
        changed += updates.len();
        conn.write(|conn| {
            for (id, name, key, sha256) in &updates {
                crate::db_run!(conn, |conn| diesel::update(attachments::table.find(id))
                    .set((
                        attachments::name.eq(name),
                        attachments::file_key.eq(key),
                        attachments::sha256.eq(sha256),
                    ))
                    .execute(conn))?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    /// The phone photo of the fuzzing seeds (EXIF with GPS), received.
    fn photo(file_type: FileType) -> Upload {
        let jpeg = &include_bytes!("../../fuzz/corpus/photo_metadata/jpeg_with_gps")[1..];
        let mut incoming = Incoming::new();
        incoming.push(jpeg).unwrap();
        Upload {
            name: FileName::parse("photo.jpg").unwrap(),
            file_type,
            metadata: Metadata::AsSent,
            sealed: incoming.finish().unwrap().sealed,
        }
    }

    #[test]
    fn a_photo_waits_for_its_share_of_the_memory_budget_and_nothing_else_does() {
        let held = STRIPPING.try_acquire_many(STRIP_BUDGET_MIB).unwrap();
        let mut waiting = Box::pin(apply_metadata_choice_in_turn(photo(FileType::Jpeg), false));
        assert!(waiting.as_mut().now_or_never().is_none(), "waits its turn");
        // Kept as taken, or not a photo: nothing to clean, no wait.
        let kept = apply_metadata_choice_in_turn(photo(FileType::Jpeg), true).now_or_never();
        assert_eq!(kept.unwrap().unwrap().unwrap().metadata, Metadata::Kept);
        let document = apply_metadata_choice_in_turn(photo(FileType::Pdf), false).now_or_never();
        assert_eq!(
            document.unwrap().unwrap().unwrap().metadata,
            Metadata::AsSent
        );
        drop(held);
        let cleaned = waiting.now_or_never().expect("its turn came");
        assert_eq!(cleaned.unwrap().unwrap().metadata, Metadata::Removed);
        assert_eq!(STRIPPING.available_permits(), STRIP_BUDGET_MIB as usize);
    }
}

#[cfg(test)]
mod size_limit_tests {
    use super::*;
    use crate::i18n::Arg;

    fn shown(bytes: u64) -> (i64, &'static str) {
        let msg = size_limit(Msg::new("attachment-too-large"), bytes);
        match msg.args() {
            [("limit", Arg::Number(n)), ("unit", Arg::Key(u))] => (*n, *u),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn limits_are_shown_in_a_unit_people_can_act_on() {
        assert_eq!(shown(20 * MIB), (20, "mb"));
        assert_eq!(shown(MIB), (1, "mb"));
        assert_eq!(
            shown(MIB + MIB / 2),
            (1, "mb"),
            "rounded down: a 1 MB file fits"
        );
        assert_eq!(shown(MIB - 1), (1023, "kb"));
        assert_eq!(shown(2048), (2, "kb"));
        assert_eq!(shown(1000), (1000, "bytes"));
        assert_eq!(shown(1), (1, "bytes"));
    }
}
