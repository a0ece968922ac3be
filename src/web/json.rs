//! [`UniqueJson`]: a JSON document in which no object names a key twice.
//!
//! RFC 8259 §4 says names within an object SHOULD be unique and leaves
//! duplicates to the implementation; serde_json keeps the last one. A tip
//! whose `message` appears twice is ambiguous (a proxy, a log or a second
//! parser may well read the other one), and the HTML form already refuses
//! a field sent twice, so the API refuses it too, naming the key. serde_json
//! has no switch for this, and the crates that detect duplicates do so for
//! typed maps only, not for a whole `Value`; hence this small visitor.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A `serde_json::Value` read with duplicate object keys refused, at any
/// depth. The error names the key: ``duplicate key `message` ``.
#[derive(Debug, Clone, PartialEq)]
pub struct UniqueJson(pub Value);

impl<'de> Deserialize<'de> for UniqueJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor).map(UniqueJson)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        UniqueJson::deserialize(d).map(|u| u.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueJson(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let UniqueJson(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::UniqueJson;

    fn read(s: &str) -> Result<serde_json::Value, String> {
        serde_json::from_str::<UniqueJson>(s)
            .map(|u| u.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn documents_without_duplicates_read_as_serde_json_reads_them() {
        let text = r#"{"a": [1, -2, 3.5, true, null, "x", {"b": {}}], "c": "\u00e9"}"#;
        assert_eq!(
            read(text).unwrap(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

    #[test]
    fn a_duplicate_key_at_any_depth_is_named() {
        let err = read(r#"{"message": "a", "message": "b"}"#).unwrap_err();
        assert!(err.contains("duplicate key `message`"), "{err}");
        let err = read(r#"{"x": [{"k": 1, "k": 2}]}"#).unwrap_err();
        assert!(err.contains("duplicate key `k`"), "{err}");
        // The same key in sibling objects is no duplicate.
        assert!(read(r#"[{"k": 1}, {"k": 2}]"#).is_ok());
    }
}
