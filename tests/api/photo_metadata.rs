//! What a photo says about its sender, per container (issue 17): PNG
//! (eXIf, tEXt, iTXt with XMP), WebP (EXIF and XMP chunks), GIF (comment
//! and XMP application extensions) and JPEG beyond its first image (XMP
//! after the end of the image, a second MPF image with EXIF and XMP of
//! its own) lose it by default and keep it, byte for byte, with
//! `keep_metadata`; so does HEIC (EXIF and XMP items overwritten in
//! place, the picture decoding to the same pixels); a HEIF laid out in a
//! way tipdesk cannot clean safely is refused by name unless the reader
//! keeps its metadata.

use img_parts::{Bytes, ImageEXIF};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const API: &str = "/api/v1/articles/csto-extremist-groups-afghanistan/tips";

/// The phone photo of the fuzzing seeds: EXIF with GPS (and an
/// orientation of 6), XMP naming its owner "Mina", a comment.
fn phone_jpeg() -> Vec<u8> {
    include_bytes!("../../fuzz/corpus/photo_metadata/jpeg_with_gps")[1..].to_vec()
}

/// Its EXIF block (TIFF, as img-parts holds it): GPS and orientation.
fn gps_exif() -> Bytes {
    img_parts::jpeg::Jpeg::from_bytes(phone_jpeg().into())
        .unwrap()
        .exif()
        .unwrap()
}

const XMP: &[u8] = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>Owner Mina, serial 8812</x:xmpmeta>";

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A PNG with eXIf (GPS), tEXt (Author) and iTXt carrying XMP.
fn png() -> Vec<u8> {
    let seed = include_bytes!("../../fuzz/corpus/photo_metadata/png_with_author")[1..].to_vec();
    let mut png = img_parts::png::Png::from_bytes(seed.into()).unwrap();
    let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    itxt.extend_from_slice(XMP);
    png.chunks_mut().insert(
        1,
        img_parts::png::PngChunk::new(*b"iTXt", Bytes::from(itxt)),
    );
    png.set_exif(Some(gps_exif()));
    png.encoder().bytes().to_vec()
}

/// A 1x1 lossless WebP with EXIF (GPS) and XMP chunks (VP8X form).
fn webp() -> Vec<u8> {
    use img_parts::riff::{RiffChunk, RiffContent};
    let plain = b"RIFF\x1A\x00\x00\x00WEBPVP8L\x0D\x00\x00\x00\x2F\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xFE\x07\x00";
    let mut webp = img_parts::webp::WebP::from_bytes(Bytes::from_static(plain)).unwrap();
    webp.chunks_mut().push(RiffChunk::new(
        img_parts::webp::CHUNK_XMP,
        RiffContent::Data(Bytes::from_static(XMP)),
    ));
    webp.set_exif(Some(gps_exif()));
    webp.encoder().bytes().to_vec()
}

/// A two-frame GIF, looping, with a comment and an XMP application
/// extension.
fn gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [0, 0, 0, 255, 255, 255];
        let mut encoder = gif::Encoder::new(&mut out, 2, 2, &palette).unwrap();
        encoder.set_repeat(gif::Repeat::Infinite).unwrap();
        encoder
            .write_raw_extension(gif::AnyExtension(0xFE), &[b"camera serial 8812"])
            .unwrap();
        encoder
            .write_raw_extension(gif::AnyExtension(0xFF), &[b"XMP DataXMP", XMP])
            .unwrap();
        for pixels in [[0u8, 1, 1, 0], [1, 0, 0, 1]] {
            let mut frame = gif::Frame::from_indexed_pixels(2, 2, pixels.to_vec(), None);
            frame.delay = 50;
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

/// Each frame's pixels and delay, and the loop count.
fn gif_frames(bytes: &[u8]) -> (Vec<(Vec<u8>, u16)>, gif::Repeat) {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(bytes).unwrap();
    let mut frames = Vec::new();
    while let Some(f) = decoder.read_next_frame().unwrap() {
        frames.push((f.buffer.to_vec(), f.delay));
    }
    (frames, decoder.repeat())
}

/// The phone photo as a motion photo: a second JPEG (MPF) with EXIF and
/// XMP of its own after the first image's end, then XMP appended.
fn motion_jpeg() -> Vec<u8> {
    let first = phone_jpeg();
    let mut second = b"\xFF\xD8\xFF\xE1\x00\x30Exif\0\0".to_vec();
    second.extend_from_slice(b"MM\0\x2A\0\0\0\x08\0\0\0\0\0\0"); // an empty IFD
    second.extend_from_slice(&[0u8; 24]);
    let mut app1 = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    app1.extend_from_slice(XMP);
    second.extend_from_slice(&[0xFF, 0xE1]);
    second.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    second.extend_from_slice(&app1);
    second.extend_from_slice(b"\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00\x55\xFF\xD9");
    let mut all = first;
    all.extend_from_slice(&second);
    all.extend_from_slice(b"<x:xmpmeta>GPS 36.72N 68.86E</x:xmpmeta>");
    all
}

async fn send(app: &TestApp, name: &str, file: Vec<u8>, keep: bool) -> reqwest::Response {
    let mut fields = vec![("message", DESK_MESSAGE)];
    if keep {
        fields.push(("keep_metadata", "on"));
    }
    app.post_multipart(API, &fields, &[(name, file)]).await
}

/// The stored copy of the last tip's first file.
async fn stored(app: &TestApp, editor: &DeskClient) -> Vec<u8> {
    let tip = app.jobs().last().unwrap().tip_id;
    let res = editor.get(&format!("/desk/tips/{tip}/attachments/1")).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap().to_vec()
}

fn has_gps(bytes: &[u8]) -> bool {
    exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .is_ok_and(|e| {
            e.get_field(exif::Tag::GPSLatitudeRef, exif::In::PRIMARY)
                .is_some()
        })
}

async fn png_webp_gif_and_motion_jpeg_lose_their_metadata_unless_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let editor = signed_in(&app, "ed@example.org", "editor", &["default"]).await;
    let cases: [(&str, Vec<u8>); 4] = [
        ("photo.png", png()),
        ("photo.webp", webp()),
        ("loop.gif", gif()),
        ("motion.jpg", motion_jpeg()),
    ];
    for (name, file) in cases {
        assert!(contains(&file, b"Mina"), "{name}: the fixture carries XMP");
        let res = send(&app, name, file.clone(), false).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{name}: {}",
            res.text().await.unwrap()
        );
        let clean = stored(&app, &editor).await;
        assert!(!contains(&clean, b"Mina"), "{name}: XMP or text left");
        assert!(!contains(&clean, b"8812"), "{name}: the serial left");
        assert!(
            !contains(&clean, b"36.72N"),
            "{name}: data after the image left"
        );
        assert!(!has_gps(&clean), "{name}: GPS left");
        match name {
            "photo.png" => {
                let png = img_parts::png::Png::from_bytes(clean.clone().into()).unwrap();
                for kind in [*b"eXIf", *b"tEXt", *b"iTXt"] {
                    assert!(png.chunk_by_type(kind).is_none() || kind == *b"eXIf");
                }
                assert!(png.chunk_by_type(*b"IDAT").is_some(), "pixels kept");
            }
            "photo.webp" => {
                let webp = img_parts::webp::WebP::from_bytes(clean.clone().into()).unwrap();
                assert!(!webp.has_chunk(img_parts::webp::CHUNK_XMP));
                assert!(webp.has_chunk(*b"VP8L"), "pixels kept");
            }
            "loop.gif" => assert_eq!(gif_frames(&clean), gif_frames(&file), "frames kept"),
            _ => {
                assert!(clean.ends_with(b"\xFF\xD9"), "ends with the first image");
                assert!(contains(&clean, b"\x12\x34\x56\x78pixels"), "pixels kept");
            }
        }
        let res = send(&app, name, file.clone(), true).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(
            stored(&app, &editor).await,
            file,
            "{name}: kept byte for byte"
        );
    }
}

/// A HEIC photo as libheif writes a phone's (tests/data/heic/make.py):
/// EXIF with the maker, model, owner, body serial, GPS and orientation 6
/// (and an `irot` property for the same turn), XMP naming the owner.
fn phone_heic() -> Vec<u8> {
    include_bytes!("../data/heic/phone_gps.heic").to_vec()
}

/// The picture a HEIC file shows: width, height and RGBA pixels, with its
/// `irot`/`imir` applied.
fn decoded(heic: &[u8]) -> (u32, u32, Vec<u8>) {
    let image = heifer::decode(heic).unwrap();
    (image.width, image.height, image.to_rgba8())
}

/// HEIC: the EXIF item keeps only the orientation, the XMP item is an
/// empty packet, nothing moves, and the picture decodes to the very same
/// pixels, turned as before; kept, the file is stored byte for byte.
async fn a_heic_photo_loses_its_location_in_place_unless_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let editor = signed_in(&app, "ed@example.org", "editor", &["default"]).await;
    let heic = phone_heic();
    assert!(has_gps(&heic), "the fixture carries GPS");
    assert!(contains(&heic, b"Owner Mina") && contains(&heic, b"SN-8812"));

    created(send(&app, "IMG_0042.HEIC", heic.clone(), false).await).await;
    let clean = stored(&app, &editor).await;
    assert!(!has_gps(&clean), "GPS left");
    for left in [&b"Mina"[..], b"SN-8812", b"iPhone", b"Apple"] {
        assert!(
            !contains(&clean, left),
            "{} left",
            String::from_utf8_lossy(left)
        );
    }
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(&clean))
        .unwrap();
    let fields: Vec<_> = exif
        .fields()
        .map(|f| (f.tag, f.value.get_uint(0)))
        .collect();
    assert_eq!(fields, [(exif::Tag::Orientation, Some(6))]);
    assert_eq!(clean.len(), heic.len(), "nothing moved");
    let (width, height, pixels) = decoded(&clean);
    assert_eq!((width, height), (48, 64), "turned by its irot, as before");
    assert_eq!((width, height, pixels), decoded(&heic), "the same picture");
    let tip = app.jobs().last().unwrap().tip_id;
    let page = Page::of(editor.get(&format!("/desk/tips/{tip}")).await).await;
    assert!(page
        .text("#file-1 .file-metadata")
        .unwrap()
        .starts_with("Removed"));

    let res = send(&app, "IMG_0042.HEIC", heic.clone(), true).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(stored(&app, &editor).await, heic, "kept byte for byte");
}

/// A HEIF whose layout tipdesk cannot vouch for (here an image
/// sequence's `moov` box, whose tracks carry metadata of their own) is
/// refused by name while the reader asks for its metadata to be removed,
/// and taken as sent, marked kept, once they untick the box.
async fn a_heif_tipdesk_cannot_clean_is_refused_by_name_unless_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.leave_jobs_unsent();
    let mut heic = phone_heic();
    heic.extend_from_slice(b"\0\0\0\x10moovGPS 36.72N");
    let res = send(&app, "IMG_0043.HEIC", heic.clone(), false).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "attachment_metadata_not_removable");
    let message = body["fields"]["attachments"].as_str().unwrap();
    assert!(message.contains("IMG_0043.HEIC"), "{message}");
    assert!(message.contains("untick"), "{message}");
    assert!(app.tips().is_empty(), "nothing half-stored");

    let res = send(&app, "IMG_0043.HEIC", heic.clone(), true).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let editor = signed_in(&app, "ed@example.org", "editor", &["default"]).await;
    assert_eq!(stored(&app, &editor).await, heic);
    let tip = app.jobs()[0].tip_id;
    let page = Page::of(editor.get(&format!("/desk/tips/{tip}")).await).await;
    assert!(page
        .text("#file-1 .file-metadata")
        .unwrap()
        .starts_with("Kept"));

    // The form says what happens to HEIC before anything is sent.
    let form = Page::of(
        app.get("/articles/csto-extremist-groups-afghanistan/tip")
            .await,
    )
    .await;
    assert!(form.text("#attachments-heif").unwrap().contains("HEIC"));
}

crate::both_backends!(
    png_webp_gif_and_motion_jpeg_lose_their_metadata_unless_kept,
    a_heic_photo_loses_its_location_in_place_unless_kept,
    a_heif_tipdesk_cannot_clean_is_refused_by_name_unless_kept,
);
