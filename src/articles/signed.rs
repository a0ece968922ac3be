//! Articles described by the embed itself: the CMS signs the article's
//! `title`, `url`, `section` and `language` with `articles.embed_signing_key`
//! and puts them, with the signature `sig`, on the embed's address
//! (`/embed/articles/{id}/tip?title=...&sig=...`, or `data-article-*`
//! attributes that `/embed.js` passes on). The first view of a validly
//! signed embed creates or updates the article, so a story is open to
//! tips the moment it is published, with no step in between (Coral's
//! embed creates its stories the same way).
//!
//! A reader must not be able to invent articles, titles or sections (a
//! section picks the desk that is told), so:
//! - the signature is HMAC-SHA256 (RFC 2104, FIPS 180-4) over a canonical
//!   form that binds the article ID too: a signature for one article does
//!   not open another ([`canonical`]);
//! - it is checked in constant time (`hmac`'s `verify_slice`);
//! - a descriptor without a valid signature is ignored: an unknown article
//!   is 404 as always, and a known one is never changed;
//! - the fields are length-limited here, before anything else reads them,
//!   and then checked like an imported article's (no control characters,
//!   an http(s) URL on one of `articles.allowed_hosts`).
//!
//! The query is read with `form_urlencoded` (the WHATWG URL standard's
//! parser); only the rules above are tipdesk's own.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::ArticleRecord;
use crate::domain::ArticleId;

/// The longest value each descriptor field may have, in bytes of the
/// decoded query: above the article rules' own limits (500 characters of
/// title, 100 of section, in up to 4 bytes each), far below a URL's.
const MAX_BYTES: [(&str, usize); 5] = [
    ("title", 2000),
    ("url", 2048),
    ("section", 400),
    ("language", 64),
    // 64 hex digits, or 43 base64url characters (44 with padding).
    ("sig", 128),
];

/// The descriptor as the query carries it, before its signature is
/// checked: nothing in it is trusted yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Descriptor {
    pub title: String,
    pub url: String,
    pub section: String,
    /// Empty: none.
    pub language: String,
    sig: Vec<u8>,
}

/// Why a query's descriptor was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptorError {
    #[error("`{0}` is given more than once")]
    Repeated(&'static str),
    #[error("`{0}` is too long")]
    TooLong(&'static str),
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("`sig` is neither 64 hex digits nor base64url")]
    BadSignature,
}

/// The descriptor on an embed's query string (`lang`, `compact` and any
/// other parameters are left alone). `Ok(None)`: the query carries no
/// descriptor at all (no `sig` and none of its fields).
pub fn parse_query(query: &str) -> Result<Option<Descriptor>, DescriptorError> {
    let mut found: [Option<String>; 5] = Default::default();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let Some(i) = MAX_BYTES.iter().position(|(name, _)| *name == key) else {
            continue;
        };
        let (name, max) = MAX_BYTES[i];
        if found[i].is_some() {
            return Err(DescriptorError::Repeated(name));
        }
        if value.len() > max {
            return Err(DescriptorError::TooLong(name));
        }
        found[i] = Some(value.into_owned());
    }
    if found.iter().all(Option::is_none) {
        return Ok(None);
    }
    let [title, url, section, language, sig] = found;
    let sig = sig.ok_or(DescriptorError::Missing("sig"))?;
    Ok(Some(Descriptor {
        title: title.ok_or(DescriptorError::Missing("title"))?,
        url: url.ok_or(DescriptorError::Missing("url"))?,
        section: section.ok_or(DescriptorError::Missing("section"))?,
        language: language.unwrap_or_default(),
        sig: decode_sig(&sig).ok_or(DescriptorError::BadSignature)?,
    }))
}

/// 64 hex digits (either case), or base64url with or without padding.
fn decode_sig(sig: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let bytes = if sig.len() == 64 && sig.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(sig).ok()?
    } else {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig.trim_end_matches('='))
            .ok()?
    };
    (bytes.len() == 32).then_some(bytes)
}

/// What is signed: the lines `tipdesk-article-v1`, the article ID, the
/// title, the URL, the section and the language (empty for none), joined
/// by `\n`, each exactly as the query carries it (UTF-8). A field with a
/// line break is refused by the article rules, so no two accepted
/// descriptors share a canonical form.
pub fn canonical(id: &str, d: &Descriptor) -> String {
    [
        "tipdesk-article-v1",
        id,
        &d.title,
        &d.url,
        &d.section,
        &d.language,
    ]
    .join("\n")
}

/// The signature of `canonical(id, d)` under `key`, as hex: what the CMS
/// computes (used by tests and by `README`'s example's check).
pub fn sign(key: &SecretString, id: &str, d: &Descriptor) -> String {
    let mut mac = mac(key);
    mac.update(canonical(id, d).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn mac(key: &SecretString) -> Hmac<Sha256> {
    // HMAC takes a key of any length (RFC 2104 §3).
    <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

impl Descriptor {
    /// A descriptor to sign (tests, and the CMS side of the README).
    pub fn new(title: &str, url: &str, section: &str, language: &str) -> Self {
        Self {
            title: title.into(),
            url: url.into(),
            section: section.into(),
            language: language.into(),
            sig: Vec::new(),
        }
    }

    /// The article record, if `sig` is `key`'s signature of this
    /// descriptor for article `id` (checked in constant time).
    pub fn verify(self, key: &SecretString, id: &ArticleId) -> Option<ArticleRecord> {
        let mut mac = mac(key);
        mac.update(canonical(id.as_str(), &self).as_bytes());
        mac.verify_slice(&self.sig).ok()?;
        Some(ArticleRecord {
            id: id.as_str().to_owned(),
            title: self.title,
            url: self.url,
            section: self.section,
            language: (!self.language.is_empty()).then_some(self.language),
        })
    }
}

/// The article a signed embed describes, when `query` carries a
/// descriptor validly signed for `id` whose fields pass the article rules
/// (see the module's doc). `None` otherwise, and always when no
/// `articles.embed_signing_key` is set; why a descriptor was ignored is
/// logged (the article ID and the reason, nothing of the fields).
pub fn described(
    settings: &crate::config::ArticleSettings,
    id: &ArticleId,
    query: &str,
) -> Option<super::NewArticle> {
    let key = settings.embed_signing_key.as_ref()?;
    let ignored = |reason: &dyn std::fmt::Display| {
        tracing::info!(article = %id, %reason, "signed embed descriptor ignored");
    };
    let descriptor = match parse_query(query) {
        Ok(Some(d)) => d,
        Ok(None) => return None,
        Err(e) => {
            ignored(&e);
            return None;
        }
    };
    let Some(record) = descriptor.verify(key, id) else {
        ignored(&"the signature does not match");
        return None;
    };
    match record.check(&settings.allowed_hosts) {
        Ok(article) => Some(article),
        Err(fields) => {
            let names: Vec<&str> = fields.keys().copied().collect();
            ignored(&format_args!(
                "signed, but these fields break the rules: {}",
                names.join(", ")
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretString {
        SecretString::from("embed-signing-key-embed-signing-key-01")
    }

    fn signed_query(id: &str, d: &Descriptor) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("compact", "1")
            .append_pair("title", &d.title)
            .append_pair("url", &d.url)
            .append_pair("section", &d.section)
            .append_pair("language", &d.language)
            .append_pair("sig", &sign(&key(), id, d))
            .finish()
    }

    #[test]
    fn a_signed_descriptor_verifies_for_its_own_article_only() {
        let d = Descriptor::new(
            "Flood in Kabul",
            "https://news.example/kabul",
            "World",
            "fa",
        );
        let id = ArticleId::parse("kabul-flood").unwrap();
        let other = ArticleId::parse("kabul-flood-2").unwrap();
        let parsed = parse_query(&signed_query("kabul-flood", &d))
            .unwrap()
            .unwrap();
        let record = parsed.clone().verify(&key(), &id).expect("valid");
        assert_eq!(record.title, "Flood in Kabul");
        assert_eq!(record.language.as_deref(), Some("fa"));
        assert!(parsed.clone().verify(&key(), &other).is_none(), "replayed");
        let mut tampered = parsed;
        tampered.section = "Politics".into();
        assert!(tampered.verify(&key(), &id).is_none(), "tampered");
    }

    #[test]
    fn signatures_are_read_as_hex_or_base64url() {
        use base64::Engine as _;
        let d = Descriptor::new("T", "https://news.example/t", "S", "");
        let id = ArticleId::parse("t").unwrap();
        let hex_sig = sign(&key(), "t", &d);
        let b64 =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hex::decode(&hex_sig).unwrap());
        for sig in [hex_sig.to_uppercase(), b64.clone(), format!("{b64}=")] {
            let q = format!("title=T&url=https%3A%2F%2Fnews.example%2Ft&section=S&sig={sig}");
            let parsed = parse_query(&q).unwrap().unwrap();
            assert!(parsed.verify(&key(), &id).is_some(), "{sig}");
        }
    }

    #[test]
    fn malformed_queries_are_refused_and_plain_ones_ignored() {
        assert_eq!(parse_query("compact=1&lang=fa"), Ok(None));
        assert_eq!(parse_query(""), Ok(None));
        assert_eq!(
            parse_query("title=a&url=b&section=c"),
            Err(DescriptorError::Missing("sig"))
        );
        assert_eq!(
            parse_query("title=a&title=b&sig=00"),
            Err(DescriptorError::Repeated("title"))
        );
        let long = "x".repeat(2001);
        assert_eq!(
            parse_query(&format!("title={long}&url=b&section=c&sig=00")),
            Err(DescriptorError::TooLong("title"))
        );
        assert_eq!(
            parse_query("title=a&url=b&section=c&sig=zz"),
            Err(DescriptorError::BadSignature)
        );
    }
}
