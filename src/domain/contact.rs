use super::email::EmailAddress;
use super::graphemes::is_blank;
use super::text::check_text;
use super::Sensitive;
use crate::i18n::Msg;

/// A way to reach the reader: an email address, a phone number or a
/// messenger handle (anything else a person writes down, e.g. "@source on
/// Signal"). Kept exactly as written.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Contact {
    Email(Sensitive<String>),
    Phone(Sensitive<String>),
    Handle(Sensitive<String>),
}

impl Contact {
    pub const MAX_CHARS: usize = 254;

    /// `None` when the reader left the field blank.
    pub fn parse(raw: &str) -> Result<Option<Self>, Msg> {
        if is_blank(raw) {
            return Ok(None);
        }
        let trimmed = raw.trim();
        check_text(raw, "contact", Self::MAX_CHARS, false)?;
        // "@handle" is a messenger name; "x@y" is meant as an email.
        if trimmed.contains('@')
            && !trimmed.starts_with('@')
            && !trimmed.contains(char::is_whitespace)
        {
            if let Err(why) = EmailAddress::parse(trimmed) {
                return Err(Msg::new("contact-invalid-email")
                    .text("contact", trimmed)
                    .key("problem", why.key()));
            }
            return Ok(Some(Self::Email(raw.to_owned().into())));
        }
        let phone_chars = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        if trimmed.chars().all(phone_chars) && (7..=20).contains(&digits) {
            return Ok(Some(Self::Phone(raw.to_owned().into())));
        }
        Ok(Some(Self::Handle(raw.to_owned().into())))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Email(s) | Self::Phone(s) | Self::Handle(s) => s,
        }
    }

    /// Stored beside the value so the desk knows how to reach out.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Phone(_) => "phone",
            Self::Handle(_) => "handle",
        }
    }
}
