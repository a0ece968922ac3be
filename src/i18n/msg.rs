//! [`Msg`]: what to say, not how — a message id from the catalogs and its
//! arguments. Domain code returns these; the web edge renders them in the
//! reader's or staff member's language ([`super::Locale::msg`]).

use std::fmt;

/// One argument of a message.
#[derive(Clone, PartialEq, Eq)]
pub enum Arg {
    /// A count or limit: shown in the language's digits, and what plural
    /// variants (`[one]`, `[few]`, `[many]`…) select on.
    Number(i64),
    /// Text from outside the catalog (an address, a title): isolated with
    /// U+2068/U+2069 so a right-to-left word cannot reorder the sentence
    /// around it (Unicode bidi, UAX #9 §2.7).
    Text(String),
    /// Text from the same catalog (a status's name in the same language):
    /// nothing to isolate.
    Localized(String),
    /// A fixed key a message selects on, such as a field name
    /// (`{ $field -> [message] … }`): passed as is, never shown.
    Key(&'static str),
}

// A reader's words can be an argument (their contact in "is not a valid
// email address"): never in a log.
impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(s) => write!(f, "Text([{} chars redacted])", s.chars().count()),
            Self::Localized(s) => write!(f, "{s}"),
            Self::Key(k) => write!(f, "{k}"),
        }
    }
}

/// A message id and its named arguments, e.g.
/// `Msg::new("message-too-short").number("min", 10)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    id: &'static str,
    args: Vec<(&'static str, Arg)>,
}

impl Msg {
    /// A message without arguments (or whose arguments follow).
    pub fn new(id: &'static str) -> Self {
        Self {
            id,
            args: Vec::new(),
        }
    }

    /// Adds a number argument.
    pub fn number(mut self, name: &'static str, value: impl TryInto<i64>) -> Self {
        let n = value.try_into().unwrap_or(i64::MAX);
        self.args.push((name, Arg::Number(n)));
        self
    }

    /// Adds a text argument (isolated when shown; see [`Arg::Text`]).
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, Arg::Text(value.into())));
        self
    }

    /// Adds text already in the message's language (see [`Arg::Localized`]).
    pub fn localized(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, Arg::Localized(value.into())));
        self
    }

    /// Adds a key the message selects on (see [`Arg::Key`]).
    pub fn key(mut self, name: &'static str, value: &'static str) -> Self {
        self.args.push((name, Arg::Key(value)));
        self
    }

    /// The message's id in the catalogs.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The arguments, in the order they were added.
    pub fn args(&self) -> &[(&'static str, Arg)] {
        &self.args
    }
}
