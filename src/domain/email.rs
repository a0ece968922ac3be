//! Email addresses in any script: readers' contacts, desk addresses, staff
//! logins.
//!
//! The rule is RFC 5321's (SMTP) widened by RFC 6531 (SMTPUTF8): a local
//! part is a dot-atom (no leading, trailing or doubled dot) or a quoted
//! string, and may hold any Unicode letter; a domain is a host name whose
//! labels may be internationalized (IDNA, checked with UTS #46 strict rules
//! by the `idna` crate: no empty label, no trailing dot, no label over 63
//! octets). So `почта@пример.рф` and `desk@bücher.example` are addresses,
//! `.reader@example.org` and `a..b@example.org` are not. An invisible
//! character or a space anywhere (a zero-width space pasted along, say;
//! quoted local parts may hold spaces by RFC, but no reader types one) makes an
//! address that cannot be typed back, so it is refused too. The local part
//! is checked by the `email_address` crate (which lettre uses as well);
//! domain literals (`user@[192.0.2.1]`) are refused: no reader or desk
//! needs one.

use std::fmt;

use super::graphemes::is_invisible;
use super::Sensitive;

/// An address that passed [`EmailAddress::parse`], kept as written.
/// A reader's address stays out of logs, even through `{:?}`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EmailAddress {
    raw: Sensitive<String>,
    at: usize,
    /// The domain in ASCII (A-labels, punycode where needed).
    ascii_domain: Sensitive<String>,
}

/// RFC 5321 §4.5.3.1: a path is at most 256 octets with its brackets.
const MAX_LEN: usize = 254;

/// What is wrong with an address. Shown in English to operators
/// (`Display`), and by [`EmailProblem::key`] in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    Invisible,
    NoAt,
    EmptyLocal,
    BadLocal,
    EmptyDomain,
    DomainLiteral,
    BadDomain,
    TooLong,
}

impl EmailProblem {
    /// The key the catalogs' `contact-invalid-email` selects on.
    pub fn key(self) -> &'static str {
        match self {
            Self::Invisible => "invisible",
            Self::NoAt => "no-at",
            Self::EmptyLocal => "empty-local",
            Self::BadLocal => "bad-local",
            Self::EmptyDomain => "empty-domain",
            Self::DomainLiteral => "domain-literal",
            Self::BadDomain => "bad-domain",
            Self::TooLong => "too-long",
        }
    }
}

impl fmt::Display for EmailProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Invisible => "it contains an invisible character or a space",
            Self::NoAt => "it has no @",
            Self::EmptyLocal => "nothing comes before the @",
            Self::BadLocal => "the part before the @ may not start or end with a dot, hold two dots in a row, or contain characters such as @ , ; < > ( ) [ ]",
            Self::EmptyDomain => "nothing comes after the @",
            Self::DomainLiteral => "the part after the @ must be a domain name",
            Self::BadDomain => "the part after the @ is not a valid domain name",
            Self::TooLong => "it is too long",
        })
    }
}

impl EmailAddress {
    /// Checks `raw` (not trimmed: the caller decides about surrounding
    /// space). The error says what is wrong, for a message to a person.
    pub fn parse(raw: &str) -> Result<Self, EmailProblem> {
        if raw.chars().any(is_invisible) {
            return Err(EmailProblem::Invisible);
        }
        let (local, domain) = raw.rsplit_once('@').ok_or(EmailProblem::NoAt)?;
        if local.is_empty() {
            return Err(EmailProblem::EmptyLocal);
        }
        if !email_address::EmailAddress::is_valid_local_part(local) {
            return Err(EmailProblem::BadLocal);
        }
        if domain.is_empty() {
            return Err(EmailProblem::EmptyDomain);
        }
        if domain.starts_with('[') {
            return Err(EmailProblem::DomainLiteral);
        }
        let ascii_domain =
            idna::domain_to_ascii_strict(domain).map_err(|_| EmailProblem::BadDomain)?;
        if local.len() + 1 + ascii_domain.len() > MAX_LEN {
            return Err(EmailProblem::TooLong);
        }
        Ok(Self {
            raw: raw.to_owned().into(),
            at: local.len(),
            ascii_domain: ascii_domain.into(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn local_part(&self) -> &str {
        &self.raw[..self.at]
    }

    /// The domain as DNS and SMTP without SMTPUTF8 know it (`bücher.example`
    /// becomes `xn--bcher-kva.example`).
    pub fn ascii_domain(&self) -> &str {
        &self.ascii_domain
    }

    /// True when the local part is not ASCII: such an address can only be
    /// mailed through a server that offers SMTPUTF8 (RFC 6531). A Unicode
    /// domain alone does not need it, since it is sent as punycode.
    pub fn needs_smtputf8(&self) -> bool {
        !self.local_part().is_ascii()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn internationalized_addresses_are_valid() {
        let a = EmailAddress::parse("почта@пример.рф").unwrap();
        assert_eq!(a.ascii_domain(), "xn--e1afmkfd.xn--p1ai");
        assert!(a.needs_smtputf8());
        let b = EmailAddress::parse("desk@bücher.example").unwrap();
        assert_eq!(b.ascii_domain(), "xn--bcher-kva.example");
        assert!(!b.needs_smtputf8());
        assert!(EmailAddress::parse("用户@例子.广告").is_ok());
        assert!(EmailAddress::parse("first.last+tag@example.org").is_ok());
        assert!(EmailAddress::parse("\"odd..quoted@part\"@example.org").is_ok());
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            ".reader@example.org",
            "reader.@example.org",
            "a..b@example.org",
            "reader@example.org.",
            "reader@example..org",
            "reader@.example.org",
            "reader@",
            "@example.org",
            "reader@exa_mple.org",
            "reader@-example.org",
            "rea\u{200B}der@example.org",
            "reader@exam\u{00AD}ple.org",
            "reader@example.org\u{200D}",
            "re ader@example.org",
            "reader@[192.0.2.1]",
            "no-at-sign",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
