//! HEIC/HEIF photos cleaned in place: their EXIF and XMP are overwritten
//! where they lie, and nothing else in the file moves.
//!
//! HEIF (ISO/IEC 23008-12) is an ISO-BMFF file whose `meta` box lists
//! items (`iinf`): the coded image or its tiles (`hvc1`), derived images
//! (`grid`), and metadata — EXIF is an item of type `Exif`, XMP an item of
//! type `mime` with the content type `application/rdf+xml`. Where each
//! item's bytes lie is in `iloc`: extents in the file (usually in `mdat`)
//! or in the `meta` box's own `idat`. The orientation is not EXIF's here:
//! it is the `irot` and `imir` properties of the image (ISO/IEC 23008-12
//! §6.5.10–12), which sit in `iprp` and are left as they are.
//!
//! Removing the metadata items would mean rewriting `iinf`, `iloc`,
//! `iref`, `ipma` and every offset into `mdat`; overwriting their bytes
//! changes no offset or size, so the image items' data, properties and
//! references stay byte for byte what the phone wrote. What is written:
//! - each `Exif` item: its 4-byte `exif_tiff_header_offset` set to 0, then
//!   a TIFF block with an empty IFD0 — or one holding only the EXIF
//!   orientation when the old block had one other than 1, so that a
//!   viewer that (wrongly) applies it on top of `irot` shows the photo as
//!   it did before — and zeros to the end of the item;
//! - each `mime` item: an empty XMP packet padded with spaces when it is
//!   XMP (`application/rdf+xml`), spaces otherwise;
//! - every byte of an `mdat` box that no item points to: zeros (an editor
//!   that moved the metadata may have left the old bytes behind, unlisted
//!   but readable).
//!
//! What is refused as [`StripError::Unsupported`] (the reader is told to
//! untick the box or send JPEG): a file with top-level boxes other than
//! `ftyp`, `meta`, `mdat`, `free` and `skip` (an image sequence's `moov`
//! carries tracks and their own metadata; a `uuid` box, a maker's
//! anything); `meta` children beyond those of HEIF's item structure; a
//! user description property (`udes`: name, description, tags); items of a
//! type that could carry metadata in a form not cleaned here (a `jpeg`
//! item carries its own EXIF segments; `uri ` items); metadata built from
//! other items' data (`iloc` construction method 2); metadata whose bytes
//! overlap an image's.
//!
//! The boxes are read by `heifer-isobmff` (box headers, `iinf`, `iloc`
//! with all its versions and field sizes, `idat`): no crate writes HEIF
//! metadata without re-encoding or re-laying the file, so the overwriting
//! — the walk over each item's extents — is written here.
//!
//! Import cycle with `crate::attachments::strip`: one stripper in two
//! files; `strip` hands HEIF here, and this module answers in its error
//! type and writes its orientation-only EXIF block.

use heifer_isobmff::boxes::ConstructionMethod;
use heifer_isobmff::{BoxIter, HeifFile, Item};

use super::mapped::Mapped;
use super::strip::{orientation, orientation_only, StripError};

/// Top-level boxes a HEIF photo may have (ISO/IEC 23008-12 §10.2, and
/// padding).
const TOP_LEVEL: [&[u8; 4]; 5] = [b"ftyp", b"meta", b"mdat", b"free", b"skip"];

/// `meta` children of HEIF's item structure (ISO/IEC 14496-12 §8.11).
const META: [&[u8; 4]; 11] = [
    b"hdlr", b"dinf", b"pitm", b"iinf", b"iloc", b"iref", b"iprp", b"idat", b"grpl", b"free",
    b"skip",
];

/// Item types whose data is a picture tipdesk leaves untouched: coded
/// images (HEVC, AV1, uncompressed) and derived ones (grid, overlay,
/// identity, tone-map gain map).
const IMAGES: [&[u8; 4]; 8] = [
    b"hvc1", b"hev1", b"av01", b"unci", b"grid", b"iovl", b"iden", b"tmap",
];

/// An empty XMP packet (XMP part 1, §7.3), then spaces.
const EMPTY_XMP: &[u8] = b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";

/// A TIFF block with an empty IFD0 and no next IFD (TIFF 6.0 §2).
const EMPTY_TIFF: &[u8] = b"MM\0\x2A\0\0\0\x08\0\0\0\0\0\0";

/// A byte range of the file.
type Range = std::ops::Range<usize>;

/// `content` with its EXIF and XMP overwritten in place (see the module
/// doc), in a mapping of its own ([`super::mapped`]); the result has the
/// same length as `content`.
///
/// # Errors
/// [`StripError::Damaged`] when the boxes do not parse or an item points
/// outside the file; [`StripError::Unsupported`] for a layout this module
/// does not clean (see the module doc); [`StripError::NoMemory`].
pub fn strip(content: &[u8]) -> Result<Mapped, StripError> {
    let damaged = |_| StripError::Damaged;
    let mut mdat = Vec::new();
    let mut idat = None;
    for b in BoxIter::new(content) {
        let b = b.map_err(damaged)?;
        let kind = &b.header.box_type.0;
        if !TOP_LEVEL.contains(&kind) {
            return Err(StripError::Unsupported);
        }
        let start = b.offset + header_len(&b)?;
        let range = start..start + b.content.len();
        match kind {
            b"mdat" => mdat.push(range),
            b"meta" => idat = meta_children(b.content, start)?.or(idat),
            _ => {}
        }
    }
    let file = HeifFile::parse(content).map_err(damaged)?;

    let mut out = Mapped::copy_of(content)?;
    let mut images = Vec::new();
    let mut metadata = Vec::new();
    for item in &file.items {
        let kind = &item.item_type.0;
        if IMAGES.contains(&kind) {
            images.extend(ranges(item, content.len(), idat.as_ref())?);
        } else if kind == b"Exif" || kind == b"mime" {
            let ranges = ranges(item, content.len(), idat.as_ref())?;
            let fill = if kind == b"Exif" {
                exif_fill(&file, item)
            } else if item.content_type.as_deref() == Some("application/rdf+xml") {
                EMPTY_XMP.to_vec()
            } else {
                Vec::new()
            };
            let pad = if kind == b"Exif" { 0 } else { b' ' };
            overwrite(&mut out, &ranges, &fill, pad);
            metadata.extend(ranges);
        } else {
            return Err(StripError::Unsupported);
        }
    }
    // Metadata written over an image's bytes would damage the picture: a
    // crafted file, not a phone's.
    for m in &metadata {
        if images.iter().any(|i| i.start < m.end && m.start < i.end) {
            return Err(StripError::Damaged);
        }
    }
    let listed: Vec<Range> = images.into_iter().chain(metadata).collect();
    for range in mdat {
        zero_unlisted(&mut out, range, &listed);
    }
    // What comes out must still be a HEIF file with the same items.
    let again = HeifFile::parse(&out).map_err(damaged)?;
    if again.items != file.items {
        return Err(StripError::Damaged);
    }
    Ok(out)
}

/// The length of a box's header (8, 16 with a 64-bit size, 16 more for
/// a `uuid`).
fn header_len(b: &heifer_isobmff::RawBox<'_>) -> Result<usize, StripError> {
    usize::try_from(b.header.header_size).map_err(|_| StripError::Damaged)
}

/// Checks the children of the `meta` box whose content starts at `start`
/// in the file, and returns where its `idat` content lies, if it has one.
fn meta_children(meta: &[u8], start: usize) -> Result<Option<Range>, StripError> {
    // `meta` is a full box: version and flags first.
    let children = meta.get(4..).ok_or(StripError::Damaged)?;
    let start = start + 4;
    let mut idat = None;
    for b in BoxIter::new(children) {
        let b = b.map_err(|_| StripError::Damaged)?;
        let kind = &b.header.box_type.0;
        if !META.contains(&kind) {
            return Err(StripError::Unsupported);
        }
        let at = start + b.offset + header_len(&b)?;
        match kind {
            b"idat" => idat = Some(at..at + b.content.len()),
            b"iprp" => properties(b.content)?,
            _ => {}
        }
    }
    Ok(idat)
}

/// Refuses a user description property (`udes`, ISO/IEC 23008-12
/// §6.5.20: a name, a description and tags in the writer's words).
fn properties(iprp: &[u8]) -> Result<(), StripError> {
    for b in BoxIter::new(iprp) {
        let b = b.map_err(|_| StripError::Damaged)?;
        if b.header.box_type.0 == *b"ipco" {
            for p in BoxIter::new(b.content) {
                if p.map_err(|_| StripError::Damaged)?.header.box_type.0 == *b"udes" {
                    return Err(StripError::Unsupported);
                }
            }
        }
    }
    Ok(())
}

/// Where `item`'s bytes lie in the file, extent by extent; none for an
/// item without data.
fn ranges(item: &Item, len: usize, idat: Option<&Range>) -> Result<Vec<Range>, StripError> {
    let Some(location) = &item.location else {
        return Ok(Vec::new());
    };
    let source = match location.construction_method {
        ConstructionMethod::File => 0..len,
        ConstructionMethod::Idat => idat.cloned().ok_or(StripError::Damaged)?,
        // Built from other items' data: those items are cleaned or kept
        // in their own right, but a metadata item built this way is not
        // one this module can vouch for.
        ConstructionMethod::Item if IMAGES.contains(&&item.item_type.0) => return Ok(Vec::new()),
        ConstructionMethod::Item => return Err(StripError::Unsupported),
    };
    location
        .extents
        .iter()
        .map(|e| {
            let offset = usize::try_from(e.offset).map_err(|_| StripError::Damaged)?;
            let start = source
                .start
                .checked_add(offset)
                .filter(|&s| s <= source.end)
                .ok_or(StripError::Damaged)?;
            // A length of 0: to the end of the file or of `idat`.
            let end = match e.length {
                0 => source.end,
                n => usize::try_from(n)
                    .ok()
                    .and_then(|n| start.checked_add(n))
                    .filter(|&end| end <= source.end)
                    .ok_or(StripError::Damaged)?,
            };
            Ok(start..end)
        })
        .collect()
}

/// What an `Exif` item is overwritten with: its offset field (0), then a
/// TIFF block holding the old orientation, if any, or nothing.
fn exif_fill(file: &HeifFile<'_>, item: &Item) -> Vec<u8> {
    // An unreadable old block: HEIF's orientation is `irot`/`imir`, so
    // nothing of it is needed.
    let old = file.item_data(item.id).ok().and_then(|data| {
        let offset = usize::try_from(u32::from_be_bytes(data.get(..4)?.try_into().ok()?)).ok()?;
        let tiff = data.get(offset.checked_add(4)?..)?;
        let tiff = tiff.strip_prefix(b"Exif\0\0").unwrap_or(tiff);
        orientation(Some(img_parts::Bytes::copy_from_slice(tiff))).ok()?
    });
    let mut fill = vec![0u8; 4];
    match old {
        Some(o) => fill.extend_from_slice(&orientation_only(o)),
        None => fill.extend_from_slice(EMPTY_TIFF),
    }
    fill
}

/// Writes `fill` across `ranges` (taken as one run, in order), then
/// `pad` to their end; an item too short for `fill` is all `pad`.
fn overwrite(out: &mut [u8], ranges: &[Range], fill: &[u8], pad: u8) {
    let room: usize = ranges.iter().map(std::iter::ExactSizeIterator::len).sum();
    let fill = if fill.len() <= room { fill } else { &[] };
    let mut next = fill.iter().copied();
    for range in ranges {
        for byte in &mut out[range.clone()] {
            *byte = next.next().unwrap_or(pad);
        }
    }
}

/// Zeros the bytes of `mdat` (the range of its content) that no range of
/// `listed` covers.
fn zero_unlisted(out: &mut [u8], mdat: Range, listed: &[Range]) {
    let mut inside: Vec<Range> = listed
        .iter()
        .map(|r| r.start.max(mdat.start)..r.end.min(mdat.end))
        .filter(|r| r.start < r.end)
        .collect();
    inside.sort_by_key(|r| r.start);
    let mut at = mdat.start;
    for r in inside {
        if r.start > at {
            out[at..r.start].fill(0);
        }
        at = at.max(r.end);
    }
    if at < mdat.end {
        out[at..mdat.end].fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tests/data/heic/make.py: EXIF with GPS, owner, serial and
    /// orientation 6 (`irot` too), XMP naming the owner.
    const PHONE: &[u8] = include_bytes!("../../tests/data/heic/phone_gps.heic");

    fn has(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn exif_and_xmp_are_overwritten_and_the_image_is_left_byte_for_byte() {
        assert!(has(PHONE, b"Mina") && has(PHONE, b"SN-8812"));
        let out = strip(PHONE).unwrap();
        assert_eq!(out.len(), PHONE.len());
        assert!(!has(&out, b"Mina") && !has(&out, b"SN-8812") && !has(&out, b"iPhone"));
        let (before, after) = (
            HeifFile::parse(PHONE).unwrap(),
            HeifFile::parse(&out).unwrap(),
        );
        assert_eq!(before.properties, after.properties, "irot and all kept");
        let mut images = 0;
        for item in before
            .items
            .iter()
            .filter(|i| IMAGES.contains(&&i.item_type.0))
        {
            assert_eq!(before.item_data(item.id), after.item_data(item.id));
            images += 1;
        }
        assert!(images > 0);
        let primary = after.primary_id;
        let exif = after.exif(primary).unwrap().unwrap();
        let exif = exif::Reader::new().read_raw(exif).unwrap();
        let fields: Vec<_> = exif
            .fields()
            .map(|f| (f.tag, f.value.get_uint(0)))
            .collect();
        assert_eq!(fields, [(exif::Tag::Orientation, Some(6))]);
        let xmp = after.xmp(primary).unwrap().unwrap();
        assert!(xmp.starts_with(EMPTY_XMP) && xmp[EMPTY_XMP.len()..].iter().all(|&b| b == b' '));
    }

    #[test]
    fn layouts_it_cannot_vouch_for_are_unsupported_and_broken_ones_damaged() {
        for extra in [
            &b"\0\0\0\x10moovGPS 36.72N"[..],
            b"\0\0\0\x18uuid0123456789abcdef",
        ] {
            let mut file = PHONE.to_vec();
            file.extend_from_slice(extra);
            assert_eq!(strip(&file), Err(StripError::Unsupported));
        }
        assert_eq!(strip(&PHONE[..PHONE.len() / 2]), Err(StripError::Damaged));
        assert_eq!(
            strip(b"\0\0\0\x10ftypheic\0\0\0\0"),
            Err(StripError::Damaged)
        );
    }

    #[test]
    fn a_fill_runs_across_extents_and_unlisted_mdat_bytes_are_zeroed() {
        let mut out = *b"abcdefghij";
        overwrite(&mut out, &[1..3, 6..9], b"XYZ", b'.');
        assert_eq!(&out, b"aXYdefZ..j");
        // Too little room: all padding.
        overwrite(&mut out, std::slice::from_ref(&(0..2)), b"XYZ", b'_');
        assert_eq!(&out, b"__YdefZ..j");
        let mut mdat = *b"0123456789";
        zero_unlisted(&mut mdat, 1..9, &[2..4, 3..5, 7..12]);
        assert_eq!(&mdat, b"0\x00234\x00\x00789");
    }
}
