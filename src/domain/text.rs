//! Free text from readers. Any script is welcome; what is refused is what no
//! person types on purpose (control characters) and what is too long. Text
//! made only of invisible characters counts as empty, and minimum lengths
//! count what a reader sees (see [`super::graphemes`]).

use super::graphemes::{is_blank, visible_len};
use super::Sensitive;

use crate::i18n::Msg;

/// Checks a reader's text without changing it. `multiline` allows line
/// breaks and tabs; everything else in Unicode's control range is refused
/// because it corrupts displays and logs and is never part of real prose.
/// `field` is the field's key (`message`, `quote`, `name`, `contact`,
/// `note`), which the messages name in each language.
pub(crate) fn check_text(
    raw: &str,
    field: &'static str,
    max_chars: usize,
    multiline: bool,
) -> Result<(), Msg> {
    let count = raw.chars().count();
    if count > max_chars {
        return Err(Msg::new("text-too-long")
            .key("field", field)
            .number("count", count)
            .number("max", max_chars));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if let Some(bad) = raw.chars().find(|&c| c.is_control() && !allowed(c)) {
        return Err(if matches!(bad, '\n' | '\r') {
            Msg::new("text-line-break").key("field", field)
        } else {
            Msg::new("text-control-character")
                .key("field", field)
                .text("code", format!("U+{:04X}", bad as u32))
        });
    }
    Ok(())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        // Readers' words stay out of logs, even by accident through `{:?}`.
        #[derive(Clone, PartialEq, Eq, Debug)]
        pub struct $name(Sensitive<String>);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0.into_inner()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// What the reader knows: the body of a tip.
    TipMessage
);
text_type!(
    /// The passage of the article a correction is about.
    Quote
);
text_type!(
    /// How the reader would like to be addressed.
    ReaderName
);

impl TipMessage {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(raw: &str) -> Result<Self, Msg> {
        let meaningful = visible_len(raw);
        if meaningful == 0 {
            return Err(Msg::new("message-missing"));
        }
        if meaningful < Self::MIN_CHARS {
            return Err(Msg::new("message-too-short").number("min", Self::MIN_CHARS));
        }
        check_text(raw, "message", Self::MAX_CHARS, true)?;
        Ok(Self(raw.to_owned().into()))
    }
}

impl Quote {
    pub const MAX_CHARS: usize = 2_000;

    /// `None` when the reader left the field blank.
    pub fn parse(raw: &str) -> Result<Option<Self>, Msg> {
        if is_blank(raw) {
            return Ok(None);
        }
        check_text(raw, "quote", Self::MAX_CHARS, true)?;
        Ok(Some(Self(raw.to_owned().into())))
    }
}

impl ReaderName {
    pub const MAX_CHARS: usize = 200;

    /// `None` when the reader left the field blank.
    pub fn parse(raw: &str) -> Result<Option<Self>, Msg> {
        if is_blank(raw) {
            return Ok(None);
        }
        check_text(raw, "name", Self::MAX_CHARS, false)?;
        Ok(Some(Self(raw.to_owned().into())))
    }
}
