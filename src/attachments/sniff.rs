//! What a file is, told by its bytes: magic numbers through the `infer`
//! crate (kept up by others, covering every container format we take),
//! plus the two kinds it cannot tell, plain text and CSV, and the one
//! trick it does not look for, polyglots.

use crate::domain::FileType;

/// The type of `content`, or `None` for one tipdesk does not take.
pub fn file_type(content: &[u8]) -> Option<FileType> {
    if let Some(t) = infer::get(content) {
        return match t.extension() {
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
        };
    }
    text_type(content)
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
/// kind: a PDF carrying a ZIP archive (readers open either), or a ZIP-based
/// document whose first kilobyte holds a PDF header (PDF readers look that
/// far). Such a file is one thing to the desk's viewer and another to
/// whatever opens it next.
pub fn is_polyglot(file_type: FileType, content: &[u8]) -> bool {
    let has = |needle: &[u8], hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    match file_type {
        FileType::Pdf => has(b"PK\x03\x04", content) || has(b"PK\x05\x06", content),
        FileType::Docx | FileType::Xlsx | FileType::Pptx | FileType::Odt | FileType::Ods => {
            has(b"%PDF-", &content[..content.len().min(1024)])
        }
        _ => false,
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
}
