use std::fmt;

/// A CMS article identifier: 1 to 128 ASCII letters, digits, `-`, `_`, `.`,
/// not only dots (`.`, `..` and `...` would be path steps in a URL, RFC 3986
/// §5.2.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArticleId(String);

impl ArticleId {
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("An article ID cannot be empty.".into());
        }
        if raw.len() > Self::MAX_LEN {
            return Err(format!(
                "An article ID has at most {} characters.",
                Self::MAX_LEN
            ));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err("An article ID may contain only letters, digits, '-', '_' and '.'.".into());
        }
        // `.` and `..` are path steps: a browser turns `/articles/../tip`
        // into `/tip` before asking.
        if raw.bytes().all(|b| b == b'.') {
            return Err("An article ID cannot be made only of dots.".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ArticleId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
