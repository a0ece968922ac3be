//! Removing what a photo says about whoever took it — EXIF (location,
//! camera serial, owner, timestamps), XMP, IPTC and comments — without
//! decoding or re-encoding a single pixel: the container's metadata
//! segments are dropped and the compressed image data is kept byte for
//! byte. The containers are read and written by `img-parts` (JPEG, PNG,
//! WebP), the one EXIF value we keep, the orientation, is read by
//! `kamadak-exif`; nothing here parses a segment by hand.
//!
//! The orientation is kept because without it a phone's portrait photo
//! shows on its side: a photo with an orientation other than 1 gets a new
//! EXIF block holding that one tag and nothing else.
//!
//! GIF: comments, application extensions (XMP travels in one, as do
//! makers' own) and plain-text extensions go; the `gif` crate (image-rs)
//! reads the frames without decoding them (their LZW data as it is) and
//! writes them back with the global palette, each frame's timing and
//! transparency and the loop count (NETSCAPE2.0), nothing else.
//!
//! JPEG beyond its first image: `img-parts` keeps everything after the
//! first scan header as one opaque run (the scans, the end-of-image
//! marker, and whatever follows it). Phones put a second JPEG there (MPF:
//! depth maps, motion photos), with EXIF and XMP of its own, and tools
//! append XMP or a video after the end of the image. [`first_image`] walks
//! that run by its markers (ITU T.81 B.1.1: 0xFF 0x00 is stuffing, RSTn
//! carry no length, every other marker a length) to the first image's end
//! and drops the rest, and any APPn or COM segment between progressive
//! scans. This one walk is written here because no crate exposes it:
//! `img-parts` deliberately treats the run as opaque.
//!
//! HEIC/HEIF: its EXIF and XMP are items of the `meta` box, overwritten
//! in place by [`super::heif`] (no offset moves, no pixel is touched);
//! a HEIF file laid out in a way that module cannot vouch for (an image
//! sequence, a maker's own boxes) is [`StripError::Unsupported`], taken
//! only when the reader keeps its metadata.
//!
//! The photo and its cleaned copy are each held in a memory mapping of
//! their own ([`super::mapped`]: the heap would keep them resident after
//! they are freed); `img-parts` reads the photo where it lies and writes
//! the copy from slices of it. A GIF's frames are the one exception: the
//! `gif` crate reads them into vectors of its own.

use std::io::{self, Write};
use std::ops::Range;

use img_parts::jpeg::{markers, Jpeg, JpegSegment};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF};

use super::mapped::Mapped;
use crate::domain::FileType;

/// Why a photo's metadata could not be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StripError {
    /// The container does not parse, or not to the last byte (a damaged
    /// or truncated photo, or data where none belongs).
    #[error("the image's structure is damaged")]
    Damaged,
    /// The EXIF block is there but unreadable: its orientation cannot be
    /// kept, and a photo shown the wrong way up misleads the desk.
    #[error("the image's EXIF block is damaged")]
    BadExif,
    /// A HEIF file laid out in a way whose metadata tipdesk cannot
    /// remove safely (see `attachments::heif`).
    #[error("the image's metadata cannot be removed safely")]
    Unsupported,
    /// The kernel had no memory to map for the photo or its cleaned copy
    /// (`ENOMEM`): not the photo's fault.
    #[error("no memory could be mapped for the image")]
    NoMemory,
}

impl From<io::Error> for StripError {
    /// [`StripError::NoMemory`] for a mapping refused, otherwise
    /// [`StripError::Damaged`]: the cleaned copy could not be written out
    /// of what was read.
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::OutOfMemory {
            Self::NoMemory
        } else {
            Self::Damaged
        }
    }
}

/// Whether tipdesk removes metadata from files of `file_type`.
pub fn strippable(file_type: FileType) -> bool {
    matches!(
        file_type,
        FileType::Jpeg | FileType::Png | FileType::Webp | FileType::Gif | FileType::Heif
    )
}

/// How many times a photo's size [`strip`] holds at its peak, the photo
/// given included: the photo and its cleaned copy (JPEG, PNG, WebP, HEIF:
/// the containers are read in place, the copy written once; both mapped),
/// and for a GIF its frames besides (read out before they are written
/// back, on the heap).
pub fn peak_copies(file_type: FileType) -> u64 {
    match file_type {
        FileType::Gif => 3,
        _ => 2,
    }
}

/// `content` without its identifying metadata, in a mapping of its own
/// ([`super::mapped`]), or `None` for a type whose metadata tipdesk does
/// not remove (documents). Takes the photo, so that it is not copied to be
/// read ([`peak_copies`]), and lets go of it before it returns.
///
/// # Errors
/// [`StripError`] when the photo cannot be read well enough to strip it,
/// or [`StripError::NoMemory`].
pub fn strip(file_type: FileType, content: Bytes) -> Result<Option<Mapped>, StripError> {
    let out = match file_type {
        FileType::Jpeg => strip_jpeg(content)?,
        FileType::Png => strip_png(content)?,
        FileType::Webp => strip_webp(content)?,
        FileType::Gif => strip_gif(&content)?,
        FileType::Heif => super::heif::strip(&content)?,
        _ => return Ok(None),
    };
    // What an EXIF reader still finds must be the orientation at most.
    // EXIF where `img-parts` sees image data (a second JPEG inside the
    // first's scan, found by fuzzing) would pass through untouched: such
    // a photo is refused as damaged, never sent on with it.
    if let Ok(exif) = exif::Reader::new().read_from_container(&mut io::Cursor::new(&out[..])) {
        let fields = exif.fields().count();
        if fields > 1 || exif.fields().any(|f| f.tag != exif::Tag::Orientation) {
            return Err(StripError::Damaged);
        }
    }
    Ok(Some(out))
}

/// JPEG application segments kept: APP0 (JFIF), APP2 carrying an ICC
/// colour profile, APP14 (Adobe: how to decode the colours). Everything
/// else — APP1 (EXIF, XMP), APP13 (IPTC), other makers' segments, COM —
/// goes.
fn keep_jpeg_segment(marker: u8, contents: &[u8]) -> bool {
    match marker {
        markers::APP0 | markers::APP14 => true,
        markers::APP2 => contents.starts_with(b"ICC_PROFILE\0"),
        m if (markers::APP0..=markers::APP15).contains(&m) || m == markers::COM => false,
        _ => true,
    }
}

/// Parses `bytes` with `parse` and checks that writing the result back
/// gives `bytes` exactly: a file the crate did not understand to the
/// last byte (stray data between segments, after the end) would
/// otherwise lose that data silently. Only what is understood is cleaned.
/// The parsed image refers to `bytes` (no copy), and the check compares
/// as it writes ([`Same`]), so neither holds a second copy of the photo.
fn understood<T>(
    bytes: &Bytes,
    parse: impl Fn(Bytes) -> img_parts::Result<T>,
    encode: impl Fn(T, &mut Same<'_>) -> io::Result<u64>,
) -> Result<T, StripError> {
    let image = parse(bytes.clone()).map_err(|_| StripError::Damaged)?;
    let again = parse(bytes.clone()).map_err(|_| StripError::Damaged)?;
    let mut same = Same {
        expected: bytes,
        at: 0,
    };
    match encode(again, &mut same) {
        Ok(_) if same.at == bytes.len() => Ok(image),
        _ => Err(StripError::Damaged),
    }
}

/// A writer that fails as soon as what is written differs from
/// `expected` (or runs past it); `at` is how much matched.
struct Same<'a> {
    expected: &'a [u8],
    at: usize,
}

impl Write for Same<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let end = self.at + buf.len();
        if self.expected.get(self.at..end) != Some(buf) {
            return Err(io::Error::other("differs"));
        }
        self.at = end;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn strip_jpeg(bytes: Bytes) -> Result<Mapped, StripError> {
    let mut jpeg = understood(&bytes, Jpeg::from_bytes, |i, w| i.encoder().write_to(w))?;
    let orientation = orientation(jpeg.exif())?;
    jpeg.segments_mut()
        .retain(|s| keep_jpeg_segment(s.marker(), s.contents()));
    // The scan segment carries the rest of the file: keep only the first
    // image's scans, up to its end. Understood to the last byte, the file
    // ends with them: they are its last bytes, read in place.
    let segments = jpeg.segments_mut();
    if let Some(scan) = segments.iter_mut().find(|s| s.has_entropy()) {
        let scans_len = scan.len_with_entropy() - scan.len();
        let scans = bytes.slice(bytes.len() - scans_len..);
        let kept = match first_image(&scans).ok_or(StripError::Damaged)?.as_slice() {
            [whole] => scans.slice(whole.clone()),
            parts => Mapped::written(|w| {
                parts
                    .iter()
                    .try_for_each(|part| w.write_all(&scans[part.clone()]))
            })?
            .into_bytes(),
        };
        *scan = JpegSegment::new_with_entropy(scan.marker(), scan.contents().clone(), kept);
    }
    jpeg.set_exif(orientation.map(orientation_only));
    Ok(Mapped::written(|w| {
        jpeg.clone().encoder().write_to(w).map(drop)
    })?)
}

/// The first image's scan data of a JPEG, from just after its first scan
/// header up to and including its end-of-image marker, without any APPn
/// or COM segment met on the way: the ranges of `scans` it is made of, in
/// order (one when there is no such segment); `None` when the image never
/// ends (a truncated file) or a new image starts inside it (ITU T.81
/// B.1.1).
pub fn first_image(scans: &[u8]) -> Option<Vec<Range<usize>>> {
    let mut kept = Vec::new();
    let (mut i, mut from) = (0usize, 0usize);
    while i + 1 < scans.len() {
        if scans[i] != 0xFF {
            i += 1;
            continue;
        }
        match scans[i + 1] {
            // Stuffing, restart markers, TEM: no length.
            0x00 | 0xD0..=0xD7 | 0x01 => i += 2,
            // A fill byte before a marker.
            0xFF => i += 1,
            markers::EOI => {
                kept.push(from..i + 2);
                return Some(kept);
            }
            markers::SOI => return None,
            marker => {
                let len = usize::from(u16::from_be_bytes([*scans.get(i + 2)?, *scans.get(i + 3)?]));
                let end = (i + 2)
                    .checked_add(len)
                    .filter(|&e| len >= 2 && e <= scans.len())?;
                if (markers::APP0..=markers::APP15).contains(&marker) || marker == markers::COM {
                    if from < i {
                        kept.push(from..i);
                    }
                    from = end;
                }
                i = end;
            }
        }
    }
    None
}

fn strip_png(bytes: Bytes) -> Result<Mapped, StripError> {
    let mut png = understood(&bytes, Png::from_bytes, |i, w| i.encoder().write_to(w))?;
    let orientation = orientation(png.exif())?;
    // eXIf, the text chunks (XMP travels in iTXt) and the time of last
    // change; colour and pixels stay.
    for kind in [*b"eXIf", *b"tEXt", *b"zTXt", *b"iTXt", *b"tIME"] {
        png.remove_chunks_by_type(kind);
    }
    png.set_exif(orientation.map(orientation_only));
    Ok(Mapped::written(|w| {
        png.clone().encoder().write_to(w).map(drop)
    })?)
}

fn strip_webp(bytes: Bytes) -> Result<Mapped, StripError> {
    let mut webp = understood(&bytes, WebP::from_bytes, |i, w| i.encoder().write_to(w))?;
    let orientation = orientation(webp.exif())?;
    webp.remove_chunks_by_id(img_parts::webp::CHUNK_XMP);
    // Also rewrites the VP8X flags to what is left.
    webp.set_exif(orientation.map(orientation_only));
    Ok(Mapped::written(|w| {
        webp.clone().encoder().write_to(w).map(drop)
    })?)
}

/// A GIF rebuilt from its screen size, global palette, loop count and
/// frames (their compressed data untouched: position, palette, timing,
/// disposal, transparency, interlacing kept); comments and application
/// and plain-text extensions stay behind, and so do the background colour
/// index and pixel aspect ratio of the screen (browsers ignore both).
fn strip_gif(content: &[u8]) -> Result<Mapped, StripError> {
    fn damaged<E>(_: E) -> StripError {
        StripError::Damaged
    }
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    let mut decoder = options.read_info(content).map_err(damaged)?;
    let palette = decoder.global_palette().unwrap_or_default().to_vec();
    let (width, height) = (decoder.width(), decoder.height());
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().map_err(damaged)? {
        frames.push(frame.clone());
    }
    if frames.is_empty() {
        return Err(StripError::Damaged);
    }
    // The loop count is known only once the blocks before the frames
    // are read; it is written before them, where browsers look for it.
    let repeat = decoder.repeat();
    Ok(Mapped::written(|w| {
        let mut encoder =
            gif::Encoder::new(w, width, height, &palette).map_err(io::Error::other)?;
        encoder.set_repeat(repeat).map_err(io::Error::other)?;
        for frame in &frames {
            encoder
                .write_lzw_pre_encoded_frame(frame)
                .map_err(io::Error::other)?;
        }
        encoder.into_inner().map(drop)
    })?)
}

/// The EXIF orientation (TIFF tag 0x0112) when it is not the default 1.
pub(super) fn orientation(exif: Option<Bytes>) -> Result<Option<u16>, StripError> {
    let Some(exif) = exif else {
        return Ok(None);
    };
    let exif = exif::Reader::new()
        .read_raw(exif.to_vec())
        .map_err(|_| StripError::BadExif)?;
    let value = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0));
    Ok(value
        .and_then(|v| u16::try_from(v).ok())
        .filter(|v| (2..=8).contains(v)))
}

/// An EXIF block (TIFF, big-endian, as `img-parts` wants it: without the
/// `Exif\0\0` prefix) with one entry, the orientation (TIFF 6.0 §8,
/// EXIF 2.32 §4.6.4).
pub(super) fn orientation_only(orientation: u16) -> Bytes {
    let mut b = Vec::with_capacity(26);
    b.extend_from_slice(b"MM\0\x2A"); // big-endian TIFF
    b.extend_from_slice(&8u32.to_be_bytes()); // IFD0 right after the header
    b.extend_from_slice(&1u16.to_be_bytes()); // one entry
    b.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    b.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    b.extend_from_slice(&1u32.to_be_bytes()); // one value
    b.extend_from_slice(&orientation.to_be_bytes());
    b.extend_from_slice(&[0, 0]); // the value field's padding
    b.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    Bytes::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG segment: marker, length, body.
    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
        s.extend_from_slice(body);
        s
    }

    /// The scan data of [`phone_jpeg`], end-of-image marker included.
    const SCANS: &[u8] = b"\x12\x34\x56\x78pixels\xFF\xD9";

    /// A tiny JPEG as a phone writes one: EXIF with an orientation of 6
    /// and a GPS position, an XMP packet naming its owner, a comment with
    /// the camera's serial.
    pub(crate) fn phone_jpeg() -> Vec<u8> {
        phone_jpeg_scanned(SCANS)
    }

    /// [`phone_jpeg`] with other scan data.
    fn phone_jpeg_scanned(scans: &[u8]) -> Vec<u8> {
        let mut exif = b"Exif\0\0MM\0\x2A\0\0\0\x08\0\x02".to_vec();
        exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        exif.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38, 0, 0, 0, 0]);
        exif.extend_from_slice(&[
            0, 1, 0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0,
        ]);
        let mut j = b"\xFF\xD8".to_vec();
        j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        j.extend(segment(0xE1, &exif));
        j.extend(segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>Owner Mina</x:xmpmeta>",
        ));
        j.extend(segment(0xFE, b"camera serial 8812"));
        j.extend(segment(0xC0, b"\x08\0\x01\0\x01\x01\x01\x11\0"));
        j.extend(segment(0xDA, b"\x01\x01\0\0\x3F\0"));
        j.extend_from_slice(scans);
        j
    }

    /// What [`phone_jpeg`] is once cleaned, written out by hand: the JFIF
    /// segment, an EXIF block with the orientation alone where the EXIF
    /// was, the frame and scan headers, the scans.
    fn phone_jpeg_cleaned() -> Vec<u8> {
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(b"MM\0\x2A\0\0\0\x08\0\x01");
        exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
        let mut j = b"\xFF\xD8".to_vec();
        j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        j.extend(segment(0xE1, &exif));
        j.extend(segment(0xC0, b"\x08\0\x01\0\x01\x01\x01\x11\0"));
        j.extend(segment(0xDA, b"\x01\x01\0\0\x3F\0"));
        j.extend_from_slice(SCANS);
        j
    }

    #[test]
    fn the_cleaned_photo_is_exactly_the_one_written_by_hand() {
        let out = strip(FileType::Jpeg, phone_jpeg().into()).unwrap().unwrap();
        assert_eq!(&out[..], phone_jpeg_cleaned());
    }

    #[test]
    fn a_comment_and_xmp_between_the_scans_go_and_the_scans_are_kept_around_them() {
        let mut scans = b"\x12\x34".to_vec();
        scans.extend(segment(0xFE, b"camera serial 8812"));
        scans.extend_from_slice(b"\x56\x78");
        scans.extend(segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0Owner Mina"));
        scans.extend_from_slice(b"pixels\xFF\xD9");
        assert_eq!(first_image(&scans).map(|parts| parts.len()), Some(3));
        let out = strip(FileType::Jpeg, phone_jpeg_scanned(&scans).into())
            .unwrap()
            .unwrap();
        assert_eq!(&out[..], phone_jpeg_cleaned());
    }

    fn exif_of(jpeg: &[u8]) -> exif::Exif {
        exif::Reader::new()
            .read_from_container(&mut io::Cursor::new(jpeg))
            .unwrap()
    }

    fn has(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn location_owner_and_serial_go_the_pixels_and_orientation_stay() {
        let src = phone_jpeg();
        let before = exif_of(&src);
        assert!(before
            .get_field(exif::Tag::GPSLatitudeRef, exif::In::PRIMARY)
            .is_some());
        let out = strip(FileType::Jpeg, src.into()).unwrap().unwrap();
        assert!(!has(&out, b"Mina") && !has(&out, b"serial"));
        assert!(
            has(&out, b"\x12\x34\x56\x78pixels"),
            "the image data is untouched"
        );
        let after = exif_of(&out);
        assert!(after
            .get_field(exif::Tag::GPSLatitudeRef, exif::In::PRIMARY)
            .is_none());
        let orientation = after.get_field(exif::Tag::Orientation, exif::In::PRIMARY);
        assert_eq!(orientation.and_then(|f| f.value.get_uint(0)), Some(6));
        assert_eq!(after.fields().len(), 1, "only the orientation is left");
    }

    #[test]
    fn a_damaged_photo_or_exif_block_is_refused_and_documents_are_left_alone() {
        let mut src = phone_jpeg();
        let tiff = src.windows(4).position(|w| w == b"MM\0\x2A").unwrap();
        src[tiff + 3] = 0x99;
        assert_eq!(strip(FileType::Jpeg, src.into()), Err(StripError::BadExif));
        assert_eq!(
            strip(FileType::Jpeg, Bytes::from_static(b"\xFF\xD8\xFF")),
            Err(StripError::Damaged)
        );
        assert_eq!(
            strip(FileType::Pdf, Bytes::from_static(b"%PDF-1.4")),
            Ok(None)
        );
        // Bytes the parser would skip are not silently dropped.
        let mut stray = phone_jpeg();
        stray.splice(2..2, [1u8; 64]);
        assert_eq!(
            strip(FileType::Jpeg, stray.into()),
            Err(StripError::Damaged)
        );
    }
}
