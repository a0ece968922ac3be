//! One wrapper for what must never reach a log: a reader's words and
//! contact, key material. `{:?}` shows `[redacted]` (lemmy's
//! `SensitiveString` is the model); everything else is the value's own,
//! through `Deref`.

use std::fmt;
use std::ops::Deref;

/// A value whose `Debug` is `[redacted]`, so a `{:?}` of anything that
/// holds it (a struct, an error, a tracing field) cannot leak it.
/// Serialized and deserialized as the bare value.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Sensitive<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::Sensitive;

    #[test]
    fn debug_shows_nothing_of_the_value() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Tip {
            message: Sensitive<String>,
        }
        let tip = Tip {
            message: "the minister's convoy".to_owned().into(),
        };
        assert_eq!(format!("{tip:?}"), "Tip { message: [redacted] }");
        assert_eq!(tip.message.as_str(), "the minister's convoy");
    }
}
