//! Entry points for coverage-guided fuzzing: one function per parser of
//! outside input, each taking arbitrary bytes. A target must return for
//! every input; a panic is a bug (an `unwrap` on reader input, an overflow,
//! a broken invariant asserted here).
//!
//! [`TARGETS`] is the one list: `fuzz/` (cargo-fuzz, libFuzzer) runs each
//! entry for a bounded time in `.ci/run`, and `tests/fuzz_corpus.rs` replays
//! every committed input under `fuzz/corpus/<name>/` and
//! `fuzz/regressions/<name>/` in the normal `cargo test`. Adding a parser
//! is one line here plus a seed file or two in `fuzz/corpus/<name>/`.

use std::net::IpAddr;
use std::path::Path;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::submission::routes::ReaderForm;
use crate::submission::TipInput;
use crate::web::client::{parse_trusted, ProxyTrust};
use crate::web::json::UniqueJson;

/// A named fuzz target.
pub struct Target {
    /// The folder name under `fuzz/corpus/` and `fuzz/regressions/`.
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every parser of outside input.
pub const TARGETS: &[Target] = &[
    Target {
        name: "form_body",
        run: form_body,
    },
    Target {
        name: "json_tip",
        run: json_tip,
    },
    Target {
        name: "article_import_csv",
        run: article_import_csv,
    },
    Target {
        name: "article_import_json",
        run: article_import_json,
    },
    Target {
        name: "client_address",
        run: client_address,
    },
    Target {
        name: "receipt",
        run: receipt,
    },
    Target {
        name: "queue_language",
        run: queue_language,
    },
    Target {
        name: "embed_descriptor",
        run: embed_descriptor,
    },
    Target {
        name: "multipart_form",
        run: multipart_form,
    },
    Target {
        name: "file_type_in_pieces",
        run: file_type_in_pieces,
    },
    Target {
        name: "photo_metadata",
        run: photo_metadata,
    },
    Target {
        name: "heif_metadata",
        run: heif_metadata,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|t| t.name == name).map(|t| t.run)
}

/// What the form body and the JSON tip both lead to: the field checks.
fn check_tip(input: &TipInput) {
    if let Ok(tip) = input.parse() {
        assert!(
            !tip.message.as_str().trim().is_empty(),
            "an empty message was accepted"
        );
        assert!(
            tip.contact.is_some() || !tip.consent,
            "consent without a contact"
        );
    }
}

/// The reader's urlencoded form, as `POST /articles/{id}/tip` reads it.
fn form_body(data: &[u8]) {
    if !crate::web::form::decodes_as_utf8(data) {
        return; // refused with a 400 before any parsing
    }
    match ReaderForm::parse(data) {
        Ok(ReaderForm::Read(post)) | Ok(ReaderForm::Duplicate { first: post, .. }) => {
            check_tip(&post.into_parts().0)
        }
        Err(_) => {}
    }
}

/// The JSON tip, as `POST /api/v1/articles/{id}/tips` reads it.
fn json_tip(data: &[u8]) {
    if let Ok(UniqueJson(value)) = serde_json::from_slice::<UniqueJson>(data) {
        if let Ok(input) = TipInput::from_json(&value) {
            check_tip(&input);
        }
    }
}

fn article_import_csv(data: &[u8]) {
    let _ = crate::articles::parse_file(Path::new("articles.csv"), data);
}

fn article_import_json(data: &[u8]) {
    let _ = crate::articles::parse_file(Path::new("articles.json"), data);
}

/// The client-address header. The first byte picks the peer (trusted or
/// not) and the header (`X-Forwarded-For` or `Forwarded`); the rest is
/// header lines separated by `\n`.
fn client_address(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let peers: [IpAddr; 4] = [
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from([10, 0, 0, 1]),
        IpAddr::from([203, 0, 113, 1]),
        IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1]),
    ];
    let peer = peers[usize::from(choice >> 1) % peers.len()];
    let name = if choice & 1 == 0 {
        HeaderName::from_static("x-forwarded-for")
    } else {
        HeaderName::from_static("forwarded")
    };
    let trust = ProxyTrust {
        header: Some(name.clone()),
        trusted: ["127.0.0.0/8", "10.0.0.0/8", "::1"]
            .iter()
            .filter_map(|t| parse_trusted(t).ok())
            .collect(),
    };
    let mut headers = HeaderMap::new();
    for line in rest.split(|&b| b == b'\n') {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(name.clone(), v);
        }
    }
    let client = trust.client_ip(Some(peer), &headers);
    let peer_trusted = trust.trusted.iter().any(|n| n.contains(&peer));
    if !peer_trusted || headers.is_empty() {
        assert_eq!(client, Some(peer), "only a trusted proxy's header counts");
    }
    assert!(client.is_some(), "a known peer always yields a client");
}

/// A receipt as a reader types it at `/follow-up` (any text): read as
/// twenty ASCII digits, or refused; what is read is shown in five groups
/// of four that read back as the same receipt.
fn receipt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // refused with a 400 before any parsing
    };
    if let Some(r) = crate::domain::Receipt::parse(text) {
        assert_eq!(r.digits().len(), crate::domain::Receipt::DIGITS);
        assert!(r.digits().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(crate::domain::Receipt::parse(&r.grouped()), Some(r));
    }
}

/// The queue's `language=` filter, and what the queue makes of a stored
/// message: its detected language and its preview.
fn queue_language(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // a query string is decoded to UTF-8 first
    };
    if let Ok(l) = crate::domain::Language::parse(text) {
        assert_eq!(crate::domain::Language::parse(l.as_str()), Ok(l.clone()));
        assert!(!l.autonym().is_empty());
    }
    if let Some(l) = crate::domain::Language::detect(text) {
        assert!(crate::domain::Language::known()
            .iter()
            .any(|(k, _)| *k == l));
    }
    let preview = crate::triage::preview(text);
    assert!(
        crate::domain::graphemes::visible_len(&preview) <= crate::triage::PREVIEW_GRAPHEMES,
        "a preview is at most {} grapheme clusters",
        crate::triage::PREVIEW_GRAPHEMES
    );
}

/// A signed embed's query (`?title=...&url=...&section=...&sig=...`), as
/// the form's `GET` reads it; the first line is the article ID the address
/// names. A descriptor read is within its length limits; signed again with
/// the right key it verifies for its own article only, with its fields
/// intact; and its fields then go through the article rules.
fn embed_descriptor(data: &[u8]) {
    use crate::articles::signed::{parse_query, sign};
    let Ok(text) = std::str::from_utf8(data) else {
        return; // an address is UTF-8 once percent-decoded; actix refuses the rest
    };
    let (id, query) = text.split_once('\n').unwrap_or(("a-1", text));
    let Ok(id) = crate::domain::ArticleId::parse(id) else {
        return; // 404 before the query is read
    };
    let Ok(Some(d)) = parse_query(query) else {
        return;
    };
    assert!(d.title.len() <= 2000 && d.url.len() <= 2048 && d.section.len() <= 400);
    let key = secrecy::SecretString::from("fuzzing-key-fuzzing-key-fuzzing-key-01");
    let resigned = format!(
        "{}&sig={}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("title", &d.title)
            .append_pair("url", &d.url)
            .append_pair("section", &d.section)
            .append_pair("language", &d.language)
            .finish(),
        sign(&key, id.as_str(), &d)
    );
    let Ok(Some(again)) = parse_query(&resigned) else {
        panic!("a descriptor written back does not read again");
    };
    // Another ID: one character more, or the last one changed at 128.
    let mut other = id.as_str().to_owned();
    if other.len() == crate::domain::ArticleId::MAX_LEN {
        let last = if other.ends_with('x') { "y" } else { "x" };
        other.replace_range(other.len() - 1.., last);
    } else {
        other.push('x');
    }
    if let Ok(other) = crate::domain::ArticleId::parse(&other) {
        assert!(
            again.clone().verify(&key, &other).is_none(),
            "verified for another article"
        );
    }
    let Some(record) = again.verify(&key, &id) else {
        panic!("its own signature does not verify");
    };
    assert_eq!(
        (record.title.as_str(), record.url.as_str()),
        (d.title.as_str(), d.url.as_str())
    );
    let _ = record.check(&["news.example".to_owned()]);
}

/// Reads `data` as a `multipart/form-data` body with boundary
/// `fuzzBOUNDARY`, within small limits (3 files, 4 KiB each); `None` if
/// the reading had to wait (it never should: everything is in memory).
fn read_multipart(
    data: &[u8],
) -> Option<Result<crate::attachments::multipart::Posted, crate::attachments::multipart::PartError>>
{
    use futures_util::FutureExt;
    let mut headers = HeaderMap::new();
    headers.insert(
        actix_web::http::header::CONTENT_TYPE,
        HeaderValue::from_static("multipart/form-data; boundary=fuzzBOUNDARY"),
    );
    let body = actix_web::web::Bytes::copy_from_slice(data);
    let stream = futures_util::stream::iter([Ok::<_, actix_web::error::PayloadError>(body)]);
    let settings = crate::config::AttachmentSettings {
        max_files: 3,
        max_file_bytes: std::num::NonZeroU64::MIN.saturating_add(4095),
        max_total_bytes: std::num::NonZeroU64::MIN.saturating_add(8191),
        max_store_bytes: 0,
        allowed_types: crate::domain::FileType::ALL.to_vec(),
    };
    let limits = crate::attachments::multipart::Limits {
        files: &settings,
        text_bytes: 4096,
        keep_by_default: false,
    };
    crate::attachments::multipart::read(&headers, stream, &limits).now_or_never()
}

/// A `multipart/form-data` body, as the form and the API read it: parts,
/// their headers, file names, limits. Every file that comes through must
/// have passed its checks.
fn multipart_form(data: &[u8]) {
    let Some(Ok(posted)) = read_multipart(data) else {
        return;
    };
    if let Ok(files) = &posted.files {
        assert!(files.len() <= 3, "more files than max_files");
        for f in files {
            assert!(f.size() > 0, "an empty file was taken");
            assert!(f.size() <= 4096, "a file over max_file_bytes was taken");
        }
    }
}

/// A file's type told as it streams in (`attachments::sniff::Sniffer`),
/// in pieces of the size the first byte gives: the same answer as for the
/// whole file at once, or a file would be taken or refused by the way the
/// network cut it.
fn file_type_in_pieces(data: &[u8]) {
    use crate::attachments::sniff;
    let Some((&piece, content)) = data.split_first() else {
        return;
    };
    let mut sniffer = sniff::Sniffer::new();
    for p in content.chunks(usize::from(piece).max(1)) {
        sniffer.push(p);
    }
    let sniffed = sniffer.finish();
    let whole = sniff::file_type(content);
    assert_eq!(sniffed.file_type, whole, "told otherwise in pieces");
    assert_eq!(
        sniffed.polyglot,
        whole.is_some_and(|t| sniff::is_polyglot(t, content)),
        "a polyglot told otherwise in pieces"
    );
}

/// A photo's metadata removal; the first byte picks JPEG, PNG, WebP or
/// GIF.
/// Whatever comes out carries no EXIF but the orientation.
fn photo_metadata(data: &[u8]) {
    use crate::domain::FileType;
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let kind =
        [FileType::Jpeg, FileType::Png, FileType::Webp, FileType::Gif][usize::from(choice % 4)];
    if let Ok(Some(out)) = crate::attachments::strip::strip(kind, rest.to_vec().into()) {
        if let Ok(exif) =
            exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&out[..]))
        {
            assert!(
                exif.fields().len() <= 1,
                "EXIF beyond the orientation was left"
            );
        }
    }
}

/// A HEIC/HEIF photo's EXIF and XMP overwritten in place
/// (`attachments::heif`): whatever comes out is as long as what went in
/// (nothing moved) and carries no EXIF but the orientation.
fn heif_metadata(data: &[u8]) {
    use crate::domain::FileType;
    if let Ok(Some(out)) = crate::attachments::strip::strip(FileType::Heif, data.to_vec().into()) {
        assert_eq!(out.len(), data.len(), "something moved");
        if let Ok(exif) =
            exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&out[..]))
        {
            assert!(
                exif.fields().all(|f| f.tag == exif::Tag::Orientation),
                "EXIF beyond the orientation was left"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    /// The multipart target really reads a body (rather than giving up
    /// at the first wait): its first seed yields its text and its file.
    #[test]
    fn the_multipart_target_reads_its_seed() {
        let seed = include_bytes!("../fuzz/corpus/multipart_form/tip_with_pdf");
        let posted = super::read_multipart(seed)
            .expect("read without waiting")
            .expect("a readable body");
        assert_eq!(posted.text[0].0, "message");
        assert_eq!(posted.files.expect("the file is taken").len(), 1);
    }
}
