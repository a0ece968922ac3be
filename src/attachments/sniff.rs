//! What a file is, told by its bytes: magic numbers through the `infer`
//! crate (kept up by others, covering every container format we take),
//! plus the two kinds it cannot tell, plain text and CSV, and the one
//! trick it does not look for, polyglots.
//!
//! A file is told as it streams in ([`Sniffer`]), never held whole: the
//! magic numbers are looked for in its first [`HEAD`] bytes (every format
//! we take puts them in the first few kilobytes; an office document's
//! entries are found within its first entries), while the checks that
//! need every byte — text is UTF-8 without control characters, CSV is
//! records of one width, a PDF carries no ZIP — run on each piece as it
//! passes, keeping only a few bytes across pieces. [`file_type`] and
//! [`is_polyglot`] say the same of a whole file in memory.
//!
//! An office document is a ZIP archive; `infer` tells which by the names
//! of the entries it finds in the head, which an archive whose first
//! entries are large (a picture before the text) does not show. What
//! `infer` calls a plain ZIP is therefore looked up by the names in its
//! central directory, at the archive's end: the last [`ZIP_TAIL`] bytes of
//! a file that starts as a ZIP are kept while it arrives, and the `zip`
//! crate reads the directory from them ([`office_by_entries`]).

use std::io::Read;

use crate::domain::FileType;

/// Bytes from a file's start in which its magic numbers are looked for
/// (kept in memory while it is received: one MiB per file at most).
pub const HEAD: usize = 1024 * 1024;

/// Bytes from the end of a file that starts as a ZIP archive kept while
/// it is received (one MiB per such file at most): its central directory
/// (an entry's record is 46 bytes and its name) and end record.
pub const ZIP_TAIL: usize = 1024 * 1024;

/// Where a ZIP-based document must hold no PDF header: PDF readers look
/// for one this far into a file.
const PDF_HEADER_REACH: usize = 1024;

/// Bytes from a file's end within which a ZIP archive's end record lies,
/// if the file ends with one: the record (22 bytes) and its comment (at
/// most 65,535), APPNOTE.TXT §4.3.16. Archive tools open a file by it.
pub const ZIP_END_REACH: usize = 22 + 65_535;

/// The type of `content`, or `None` for one tipdesk does not take.
pub fn file_type(content: &[u8]) -> Option<FileType> {
    if let Some(t) = infer::get(content) {
        let tail = &content[content.len().saturating_sub(ZIP_TAIL)..];
        let head = &content[..content.len().min(HEAD)];
        return by_infer(t.extension(), head, tail, content.len() as u64);
    }
    text_type(content)
}

/// The type `infer` found as `extension` in the file's `head`, or, for
/// what it calls a plain ZIP, the office document its entries say it is.
fn by_infer(extension: &str, head: &[u8], tail: &[u8], len: u64) -> Option<FileType> {
    match extension {
        "zip" => office_by_entries(head, tail, len),
        other => known(other),
    }
}

/// The office document a ZIP archive of `len` bytes is, by the names of
/// its entries (ECMA-376 Part 2: `[Content_Types].xml` and the main
/// part's folder; OpenDocument 1.3 Part 2 §3.3: the `mimetype` entry,
/// first and stored, so within `head`), read by the `zip` crate from its
/// first bytes (`head`) and last (`tail`); `None` for any other archive,
/// or one whose directory is not within `tail`.
pub fn office_by_entries(head: &[u8], tail: &[u8], len: u64) -> Option<FileType> {
    let mut zip = zip::ZipArchive::new(Sparse::new(head, tail, len)).ok()?;
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    let under = |folder: &str| names.iter().any(|n| n.starts_with(folder));
    if has("[Content_Types].xml") {
        return if under("word/") {
            Some(FileType::Docx)
        } else if under("xl/") {
            Some(FileType::Xlsx)
        } else if under("ppt/") {
            Some(FileType::Pptx)
        } else {
            None
        };
    }
    let mut mimetype = String::new();
    zip.by_name("mimetype")
        .ok()?
        .take(128)
        .read_to_string(&mut mimetype)
        .ok()?;
    match mimetype.trim() {
        "application/vnd.oasis.opendocument.text" => Some(FileType::Odt),
        "application/vnd.oasis.opendocument.spreadsheet" => Some(FileType::Ods),
        _ => None,
    }
}

/// A file of `len` bytes of which only the first (`head`) and the last
/// (`tail`) are at hand, read and sought as the whole: reading anywhere
/// else fails, so the `zip` crate can use what it needs of the two or
/// give up, never guess.
struct Sparse<'a> {
    head: &'a [u8],
    tail: &'a [u8],
    len: u64,
    at: u64,
}

impl<'a> Sparse<'a> {
    fn new(head: &'a [u8], tail: &'a [u8], len: u64) -> Self {
        Self {
            head,
            tail,
            len,
            at: 0,
        }
    }
}

impl std::io::Read for Sparse<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let tail_start = self.len - self.tail.len() as u64;
        let available = if self.at < self.head.len() as u64 {
            &self.head[usize::try_from(self.at).unwrap_or(usize::MAX)..]
        } else if self.at >= tail_start {
            let from = usize::try_from(self.at - tail_start).unwrap_or(usize::MAX);
            self.tail.get(from..).unwrap_or_default()
        } else {
            return Err(std::io::Error::other("not within the head or the tail"));
        };
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.at += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Sparse<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let at = match to {
            std::io::SeekFrom::Start(n) => Some(n),
            std::io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.at.checked_add_signed(d),
        };
        self.at = at.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.at)
    }
}

/// The type tipdesk takes that `infer` calls by `extension`.
fn known(extension: &str) -> Option<FileType> {
    match extension {
        "jpg" => Some(FileType::Jpeg),
        "png" => Some(FileType::Png),
        "webp" => Some(FileType::Webp),
        "heif" => Some(FileType::Heif),
        "gif" => Some(FileType::Gif),
        "pdf" => Some(FileType::Pdf),
        "docx" => Some(FileType::Docx),
        "xlsx" => Some(FileType::Xlsx),
        "pptx" => Some(FileType::Pptx),
        "odt" => Some(FileType::Odt),
        "ods" => Some(FileType::Ods),
        "mp3" => Some(FileType::Mp3),
        "m4a" => Some(FileType::M4a),
        // Ogg with Opus inside is still an Ogg file.
        "ogg" | "opus" => Some(FileType::Ogg),
        "wav" => Some(FileType::Wav),
        "mp4" => Some(FileType::Mp4),
        "mov" => Some(FileType::Mov),
        "webm" => Some(FileType::Webm),
        _ => None,
    }
}

/// UTF-8 without control characters other than tab and line ends is
/// text; text that parses as RFC 4180 records of one width (two columns
/// or more, two rows or more) is CSV.
fn text_type(content: &[u8]) -> Option<FileType> {
    let text = std::str::from_utf8(content).ok()?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut rows = 0usize;
    let mut width = 0usize;
    for record in reader.records() {
        let Ok(record) = record else {
            return Some(FileType::Text);
        };
        width = record.len();
        rows += 1;
    }
    Some(if rows >= 2 && width >= 2 {
        FileType::Csv
    } else {
        FileType::Text
    })
}

/// Whether `content`, taken as `file_type`, is also a file of another
/// kind: a PDF carrying a ZIP archive (readers open either), a ZIP-based
/// document whose first kilobyte holds a PDF header (PDF readers look that
/// far), or any other file that ends as a ZIP archive ends
/// ([`ends_as_zip`]: a photo, a recording or a text with an archive
/// appended, which an archive tool opens). Such a file is one thing to the
/// desk's viewer and another to whatever opens it next.
pub fn is_polyglot(file_type: FileType, content: &[u8]) -> bool {
    let has = |needle: &[u8], hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    match file_type {
        FileType::Pdf => has(b"PK\x03\x04", content) || has(b"PK\x05\x06", content),
        FileType::Docx | FileType::Xlsx | FileType::Pptx | FileType::Odt | FileType::Ods => {
            has(b"%PDF-", &content[..content.len().min(PDF_HEADER_REACH)])
        }
        _ => ends_as_zip(&content[content.len().saturating_sub(ZIP_END_REACH)..]),
    }
}

/// Whether `end`, a file's last bytes (at most [`ZIP_END_REACH`] of
/// them), holds a ZIP archive's end record whose comment runs exactly to
/// the file's end: where archive tools look for one. A stray signature
/// in compressed data almost never has a comment length that fits too.
pub fn ends_as_zip(end: &[u8]) -> bool {
    const SIGNATURE: &[u8] = b"PK\x05\x06";
    (0..end.len().saturating_sub(21)).rev().any(|at| {
        end[at..].starts_with(SIGNATURE) && {
            let comment = usize::from(u16::from_le_bytes([end[at + 20], end[at + 21]]));
            at + 22 + comment == end.len()
        }
    })
}

/// What a whole file turned out to be ([`Sniffer::finish`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// As [`file_type`] of the whole file.
    pub file_type: Option<FileType>,
    /// As [`is_polyglot`] of the whole file, taken as `file_type`.
    pub polyglot: bool,
}

/// Tells a file's type as its bytes arrive, in pieces of any size,
/// keeping [`HEAD`] bytes, the last [`ZIP_END_REACH`] (to twice that) and
/// a few more: the same answer as
/// [`file_type`] and [`is_polyglot`] of the whole (`infer` finds every
/// type we take within the head; `csv-core` reads CSV fed in pieces, as
/// `csv` does from a reader).
pub struct Sniffer {
    head: Vec<u8>,
    /// Bytes received so far.
    len: u64,
    /// The last [`ZIP_TAIL`] bytes (to twice that, trimmed in bulk) of a
    /// file whose head is a ZIP archive's.
    zip_tail: Vec<u8>,
    /// The last bytes seen, so that a ZIP signature split across two
    /// pieces is still found.
    tail: Vec<u8>,
    /// The last [`ZIP_END_REACH`] bytes (to twice that, trimmed in bulk):
    /// where an appended archive's end record would be.
    end: Vec<u8>,
    zip_signature: bool,
    /// `None` once the file cannot be text.
    text: Option<TextSniffer>,
}

/// Whether the bytes so far can be text, and how they read as CSV.
struct TextSniffer {
    /// The bytes of a character split across pieces (three at most).
    partial: Vec<u8>,
    started: bool,
    csv: csv_core::Reader,
    fields: usize,
    width: Option<usize>,
    rows: usize,
    /// A record of another width than the first: text, not CSV.
    ragged: bool,
}

impl Default for Sniffer {
    fn default() -> Self {
        Self::new()
    }
}

impl Sniffer {
    pub fn new() -> Self {
        Self {
            head: Vec::new(),
            len: 0,
            zip_tail: Vec::new(),
            tail: Vec::new(),
            end: Vec::new(),
            zip_signature: false,
            text: Some(TextSniffer {
                partial: Vec::new(),
                started: false,
                csv: csv_core::Reader::new(),
                fields: 0,
                width: None,
                rows: 0,
                ragged: false,
            }),
        }
    }

    /// Takes the next piece of the file.
    pub fn push(&mut self, bytes: &[u8]) {
        let room = HEAD.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.len += bytes.len() as u64;
        if self.head.starts_with(b"PK\x03\x04") {
            // The kept bytes stay one run up to the end: a piece longer
            // than the tail replaces it.
            if bytes.len() >= ZIP_TAIL {
                self.zip_tail.clear();
            }
            let piece = &bytes[bytes.len().saturating_sub(ZIP_TAIL)..];
            self.zip_tail.extend_from_slice(piece);
            if self.zip_tail.len() > 2 * ZIP_TAIL {
                self.zip_tail.drain(..self.zip_tail.len() - ZIP_TAIL);
            }
        }
        if !self.zip_signature {
            let mut edge = self.tail.clone();
            edge.extend_from_slice(&bytes[..bytes.len().min(3)]);
            self.zip_signature = has_zip_signature(&edge) || has_zip_signature(bytes);
        }
        if bytes.len() >= ZIP_END_REACH {
            self.end.clear();
        }
        self.end
            .extend_from_slice(&bytes[bytes.len().saturating_sub(ZIP_END_REACH)..]);
        if self.end.len() > 2 * ZIP_END_REACH {
            self.end.drain(..self.end.len() - ZIP_END_REACH);
        }
        self.tail
            .extend_from_slice(&bytes[bytes.len().saturating_sub(3)..]);
        self.tail.drain(..self.tail.len().saturating_sub(3));
        if let Some(text) = &mut self.text {
            if !text.push(bytes) {
                self.text = None;
            }
        }
    }

    /// What the file is, once every byte has been pushed.
    pub fn finish(self) -> Sniffed {
        let tail = &self.zip_tail[self.zip_tail.len().saturating_sub(ZIP_TAIL)..];
        let file_type = match infer::get(&self.head) {
            Some(t) => by_infer(t.extension(), &self.head, tail, self.len),
            None => self.text.and_then(TextSniffer::finish),
        };
        let end = &self.end[self.end.len().saturating_sub(ZIP_END_REACH)..];
        let polyglot = match file_type {
            Some(FileType::Pdf) => self.zip_signature,
            Some(
                t @ (FileType::Docx
                | FileType::Xlsx
                | FileType::Pptx
                | FileType::Odt
                | FileType::Ods),
            ) => is_polyglot(t, &self.head),
            Some(_) => ends_as_zip(end),
            None => false,
        };
        Sniffed {
            file_type,
            polyglot,
        }
    }
}

fn has_zip_signature(bytes: &[u8]) -> bool {
    bytes
        .windows(4)
        .any(|w| w == b"PK\x03\x04" || w == b"PK\x05\x06")
}

impl TextSniffer {
    /// Reads `bytes` on; false once they cannot be text.
    fn push(&mut self, bytes: &[u8]) -> bool {
        let mut joined = std::mem::take(&mut self.partial);
        joined.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&joined) {
            Ok(text) => text,
            // A character cut at the end of this piece: its first bytes
            // wait for the next.
            Err(e) if e.error_len().is_none() => {
                self.partial = joined[e.valid_up_to()..].to_vec();
                std::str::from_utf8(&joined[..e.valid_up_to()]).unwrap_or_default()
            }
            Err(_) => return false,
        };
        let mut text = valid;
        if !self.started && !text.is_empty() {
            self.started = true;
            text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return false;
        }
        if !text.is_empty() {
            self.read_csv(text.as_bytes(), false);
        }
        true
    }

    /// Counts records and their widths in `input`; an empty `input` (with
    /// `end`, the only time one is given) says the file has ended.
    fn read_csv(&mut self, mut input: &[u8], end: bool) {
        debug_assert_eq!(end, input.is_empty());
        let mut scratch = [0u8; 1024];
        loop {
            // csv-core takes an empty input for the end of the file.
            if input.is_empty() && !end {
                return;
            }
            let (result, read, _) = self.csv.read_field(input, &mut scratch);
            input = &input[read..];
            match result {
                // All of `input` read (with `end`, csv-core answers Field
                // or End instead).
                csv_core::ReadFieldResult::InputEmpty => return,
                csv_core::ReadFieldResult::OutputFull => {}
                csv_core::ReadFieldResult::Field { record_end } => {
                    self.fields += 1;
                    if record_end {
                        self.rows += 1;
                        match self.width {
                            None => self.width = Some(self.fields),
                            Some(w) if w != self.fields => self.ragged = true,
                            Some(_) => {}
                        }
                        self.fields = 0;
                    }
                }
                csv_core::ReadFieldResult::End => return,
            }
        }
    }

    fn finish(mut self) -> Option<FileType> {
        if !self.partial.is_empty() {
            return None;
        }
        self.read_csv(&[], true);
        Some(
            if !self.ragged && self.rows >= 2 && self.width.unwrap_or(0) >= 2 {
                FileType::Csv
            } else {
                FileType::Text
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(
            file_type(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"),
            Some(FileType::Jpeg)
        );
        assert_eq!(file_type(b"%PDF-1.7\n%%EOF\n"), Some(FileType::Pdf));
        assert_eq!(file_type("سلام\nhello".as_bytes()), Some(FileType::Text));
        assert_eq!(file_type(b"a,b\n1,2\n"), Some(FileType::Csv));
        assert_eq!(file_type(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(file_type(b"\x00\x01binary"), None);
    }

    #[test]
    fn a_pdf_that_is_also_a_zip_is_a_polyglot() {
        let mut pdf = b"%PDF-1.4\n1 0 obj\n".to_vec();
        assert!(!is_polyglot(FileType::Pdf, &pdf));
        pdf.extend_from_slice(b"PK\x03\x04zip inside");
        assert!(is_polyglot(FileType::Pdf, &pdf));
    }

    #[test]
    fn a_file_that_ends_as_a_zip_archive_is_a_polyglot() {
        let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9";
        // An end record with a 3-byte comment that runs to the end.
        let mut end = b"PK\x05\x06".to_vec();
        end.extend_from_slice(&[0; 16]);
        end.extend_from_slice(&3u16.to_le_bytes());
        end.extend_from_slice(b"abc");
        let appended = [jpeg.as_slice(), &end].concat();
        assert!(is_polyglot(FileType::Jpeg, &appended));
        assert!(sniffed_in_pieces(&appended, 7).polyglot);
        // The signature alone, its comment length not reaching the end:
        // bytes that happen to look like it.
        let stray = [jpeg.as_slice(), &end, b"more"].concat();
        assert!(!is_polyglot(FileType::Jpeg, &stray));
        assert!(!is_polyglot(FileType::Jpeg, jpeg));
        // An office document ends as every ZIP archive does.
        let docx = office(10, "word/document.xml");
        assert_eq!(sniffed_whole(&docx).file_type, Some(FileType::Docx));
        assert!(!sniffed_whole(&docx).polyglot);
    }

    fn sniffed_in_pieces(content: &[u8], piece: usize) -> Sniffed {
        let mut sniffer = Sniffer::new();
        for p in content.chunks(piece.max(1)) {
            sniffer.push(p);
        }
        sniffer.finish()
    }

    fn sniffed_whole(content: &[u8]) -> Sniffed {
        let file_type = file_type(content);
        Sniffed {
            file_type,
            polyglot: file_type.is_some_and(|t| is_polyglot(t, content)),
        }
    }

    #[test]
    fn files_told_in_pieces_are_told_as_whole_files() {
        let samples: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a,b\n1,2\n".to_vec(),
            b"a,b\n1,2".to_vec(),
            b"a,b\n\n1,2\n\n".to_vec(),
            b"a,b\n1,2,3\n".to_vec(),
            b"\"a\nb\",c\r\nd,e\r\n".to_vec(),
            "\u{FEFF}x,y\nz,w\n".as_bytes().to_vec(),
            "سلام,دنیا\nیک,دو\n".as_bytes().to_vec(),
            b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec(),
            b"%PDF-1.4\nPK\x03\x04".to_vec(),
            [
                b"%PDF-1.4\n".to_vec(),
                vec![b' '; 3 * 1024 * 1024],
                b"PK\x05\x06".to_vec(),
            ]
            .concat(),
            b"text\x01with control".to_vec(),
            b"caf\xC3".to_vec(),
        ];
        for content in &samples {
            for piece in [1, 2, 3, 5, 4096, usize::MAX] {
                assert_eq!(
                    sniffed_in_pieces(content, piece),
                    sniffed_whole(content),
                    "{:?} in pieces of {piece}",
                    String::from_utf8_lossy(&content[..content.len().min(40)])
                );
            }
        }
    }

    /// An OOXML package (ECMA-376 Part 2) whose first entry, a thumbnail
    /// of `first` bytes, is stored before its content types and `main`
    /// part, as some writers lay them out.
    fn office(first: usize, main: &str) -> Vec<u8> {
        use std::io::Write;
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("docProps/thumbnail.jpeg", stored).unwrap();
        let picture: Vec<u8> = (0..first).map(|i| (i * 7 % 251) as u8).collect();
        zip.write_all(&picture).unwrap();
        zip.start_file("[Content_Types].xml", stored).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
        zip.start_file(main, stored).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><document/>")
            .unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn office_documents_are_told_however_large_their_first_entry() {
        for (main, expected) in [
            ("word/document.xml", FileType::Docx),
            ("xl/workbook.xml", FileType::Xlsx),
            ("ppt/presentation.xml", FileType::Pptx),
        ] {
            for first in [10, HEAD + 1, 3 * HEAD] {
                let file = office(first, main);
                if first > HEAD {
                    let seen = infer::get(&file[..HEAD]).map(|t| t.extension());
                    assert_eq!(seen, Some("zip"), "infer alone cannot tell");
                }
                assert_eq!(
                    file_type(&file),
                    Some(expected),
                    "{main} after {first} bytes"
                );
                for piece in [1000, 64 * 1024, usize::MAX] {
                    let sniffed = sniffed_in_pieces(&file, piece);
                    assert_eq!(sniffed, sniffed_whole(&file), "{main}, pieces of {piece}");
                }
            }
        }
        // Any other archive is still refused.
        let mut other = office(HEAD + 1, "docs/readme.xml");
        assert_eq!(file_type(&other), None);
        // A directory the tail does not reach is not guessed at.
        let cut = other.len() - 100;
        other.truncate(cut);
        assert_eq!(file_type(&other), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_in_any_pieces_are_told_as_the_whole(
            content in proptest::collection::vec(proptest::sample::select(
                vec![b'a', b',', b'\n', b'\r', b'"', b' ', 0xD8, 0xB3, 0xEF, 0xBB, 0xBF, b'P', b'K', 3, 4, 0]
            ), 0..64),
            piece in 1usize..9,
        ) {
            proptest::prop_assert_eq!(sniffed_in_pieces(&content, piece), sniffed_whole(&content));
        }
    }
}
