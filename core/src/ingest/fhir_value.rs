//! A borrowed JSON tree for FHIR ingest: strings point into the input bytes unless they hold
//! escapes, and objects are small vectors searched in order (FHIR objects have a handful of
//! keys, so a linear scan beats a tree map and allocates once). It mirrors the parts of the
//! `serde_json::Value` API the mappers use, so they read the same.

use std::borrow::Cow;

/// A JSON number as the parser reported it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    U(u64),
    I(i64),
    F(f64),
}

impl Number {
    pub fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Number::U(u) => u as f64,
            Number::I(i) => i as f64,
            Number::F(f) => f,
        })
    }
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::U(u) => Some(u),
            _ => None,
        }
    }
}

/// One JSON value borrowing from the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
    /// JSON Pointer lookup (`/coding/0/code`), as RFC 6901 without `~` escapes.
    pub fn pointer(&self, path: &str) -> Option<&Value<'a>> {
        let mut cur = self;
        for part in path.split('/').skip(1) {
            cur = match cur {
                Value::Object(_) => cur.get(part)?,
                Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }
    /// A copy that owns all its strings (for contained resources kept past their document).
    pub fn to_owned_value(&self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Number(n) => Value::Number(*n),
            Value::String(s) => Value::String(Cow::Owned(s.to_string())),
            Value::Array(a) => Value::Array(a.iter().map(Value::to_owned_value).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (Cow::Owned(k.to_string()), v.to_owned_value()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors() {
        let (v, _) =
            crate::ingest::fhir_json::parse_checked(br#"{"a":[{"b":"x\"y"},{"c":7}],"d":true}"#)
                .unwrap();
        assert_eq!(v.pointer("/a/0/b").and_then(Value::as_str), Some("x\"y"));
        assert_eq!(v.pointer("/a/1/c").and_then(Value::as_u64), Some(7));
        assert_eq!(v.get("d").and_then(Value::as_bool), Some(true));
        assert_eq!(v.pointer("/a/5"), None);
        assert_eq!(v.to_owned_value(), v);
    }
}
