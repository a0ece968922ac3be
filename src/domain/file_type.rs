//! The kinds of file a reader may attach, told by their content.

use std::fmt;

/// A type of file tipdesk takes, decided from the bytes (magic numbers,
/// `attachments::sniff`), never from the name or the declared type. The
/// names (`as_str`) are what `attachments.allowed_types` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Jpeg,
    Png,
    Webp,
    /// HEIC and HEIF (phones' photos).
    Heif,
    Gif,
    Pdf,
    /// UTF-8 text.
    Text,
    /// UTF-8 text that reads as a table (RFC 4180).
    Csv,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Mp3,
    M4a,
    Ogg,
    Wav,
    Mp4,
    Mov,
    Webm,
}

impl FileType {
    /// Every type tipdesk knows: `attachments.allowed_types`' default.
    pub const ALL: [Self; 20] = [
        Self::Jpeg,
        Self::Png,
        Self::Webp,
        Self::Heif,
        Self::Gif,
        Self::Pdf,
        Self::Text,
        Self::Csv,
        Self::Docx,
        Self::Xlsx,
        Self::Pptx,
        Self::Odt,
        Self::Ods,
        Self::Mp3,
        Self::M4a,
        Self::Ogg,
        Self::Wav,
        Self::Mp4,
        Self::Mov,
        Self::Webm,
    ];

    /// The name in configuration and in the database, e.g. `"jpeg"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Heif => "heif",
            Self::Gif => "gif",
            Self::Pdf => "pdf",
            Self::Text => "text",
            Self::Csv => "csv",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Pptx => "pptx",
            Self::Odt => "odt",
            Self::Ods => "ods",
            Self::Mp3 => "mp3",
            Self::M4a => "m4a",
            Self::Ogg => "ogg",
            Self::Wav => "wav",
            Self::Mp4 => "mp4",
            Self::Mov => "mov",
            Self::Webm => "webm",
        }
    }

    /// The type named `name` (as [`Self::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The media type a download is labelled with (IANA registry).
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Heif => "image/heif",
            Self::Gif => "image/gif",
            Self::Pdf => "application/pdf",
            Self::Text => "text/plain; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Self::Mp3 => "audio/mpeg",
            Self::M4a => "audio/mp4",
            Self::Ogg => "audio/ogg",
            Self::Wav => "audio/wav",
            Self::Mp4 => "video/mp4",
            Self::Mov => "video/quicktime",
            Self::Webm => "video/webm",
        }
    }

    /// Photos, whose metadata (EXIF, XMP, IPTC) can be removed without
    /// touching the pixels.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            Self::Jpeg | Self::Png | Self::Webp | Self::Heif | Self::Gif
        )
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_type() {
        for t in FileType::ALL {
            assert_eq!(FileType::parse(t.as_str()), Some(t));
        }
        assert_eq!(FileType::parse("exe"), None);
    }
}
