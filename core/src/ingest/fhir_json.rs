//! JSON reading for FHIR ingest: `serde_json` into a borrowed [`Value`], plus the two checks serde_json does
//! not make and the FHIR JSON rules require (FHIR R4 §2.6.2 "JSON Representation"):
//!
//! * **duplicate keys** — serde_json's own `Value` keeps the last one silently; our visitor
//!   records every key that appeared twice in one object;
//! * **decimal syntax** — FHIR `decimal` must match
//!   `-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?([eE](0|[+\-]?[1-9][0-9]{0,9}))?` (R4 datatypes,
//!   "decimal"), i.e. at most 18 integer and 17 fraction digits; serde_json accepts longer
//!   numbers (rounding them), so a raw byte scan checks every number token.
//!
//! Narrative `div` and attachment `data` values are checked for syntax but not kept (they are
//! most of a Synthea bundle's bytes and the network has no place for them).
//!
//! JSON the standard forbids (comments, `925.`, missing commas, truncation) is rejected by
//! serde_json itself.

use super::fhir_value::{Number, Value};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A JSON number that breaks the FHIR decimal rule, found by [`scan_numbers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadNumber {
    /// 1-based line within the scanned text.
    pub line: usize,
    /// The object key the number belongs to (JSON key names are not patient data).
    pub key: String,
    pub reason: &'static str,
}

/// Parses one JSON document and lists keys that occur twice in the same object.
pub(crate) fn parse_checked(bytes: &[u8]) -> Result<(Value<'_>, Vec<String>), serde_json::Error> {
    let mut dups = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = CheckedValue { dups: &mut dups }.deserialize(&mut de)?;
    de.end()?;
    Ok((v, dups))
}

/// A seed that deserialises a borrowed [`Value`] and records duplicate keys.
struct CheckedValue<'d> {
    dups: &'d mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for CheckedValue<'_> {
    type Value = Value<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

/// Object keys, borrowed from the input when they hold no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

impl<'de> Visitor<'de> for CheckedValue<'_> {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Number::I(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Number::U(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Number::F(v)))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(CheckedValue {
            dups: &mut *self.dups,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut out: Vec<(Cow<'de, str>, Value<'de>)> = Vec::new();
        while let Some(k) = map.next_key_seed(Key)? {
            let v = if k == "div" || k == "data" {
                // XHTML narrative and base64 attachment bodies: validated by the parser but not
                // kept, since nothing in the network reads them and they are most of the bytes.
                map.next_value::<IgnoredAny>()?;
                Value::Null
            } else {
                map.next_value_seed(CheckedValue {
                    dups: &mut *self.dups,
                })?
            };
            if out.iter().any(|(seen, _)| *seen == k) {
                // FHIR JSON: a property may appear once; keep the first, as the HL7 validator does.
                self.dups.push(k.into_owned());
            } else {
                out.push((k, v));
            }
        }
        Ok(Value::Object(out))
    }
}

/// Scans raw JSON text for number tokens that break the FHIR decimal rule. One pass, strings
/// skipped eight bytes at a time; line numbers are counted only when something is found.
/// `first_line` is the number of the text's first line.
pub(crate) fn scan_numbers(bytes: &[u8], first_line: usize) -> Vec<BadNumber> {
    let mut out = Vec::new();
    let n = bytes.len();
    let mut i = 0;
    // The last string seen: the key of a following number.
    let mut last_string: (usize, usize) = (0, 0);
    while i < n {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i = start;
                loop {
                    match find_either(&bytes[i.min(n)..], b'"', b'\\') {
                        Some(p) if bytes[i + p] == b'\\' => i += p + 2,
                        Some(p) => {
                            i += p;
                            break;
                        }
                        None => {
                            i = n;
                            break;
                        }
                    }
                }
                last_string = (start.min(n), i.min(n));
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < n && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                    i += 1;
                }
                if let Some(reason) = decimal_problem(&bytes[start..i]) {
                    let key = String::from_utf8_lossy(&bytes[last_string.0..last_string.1]);
                    let line = first_line + bytes[..start].iter().filter(|&&b| b == b'\n').count();
                    out.push(BadNumber {
                        line,
                        key: key.chars().take(64).collect(),
                        reason,
                    });
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// Position of the first byte equal to `a` or `b`, testing eight bytes per step (SWAR).
pub(crate) fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let (ma, mb) = (LO * u64::from(a), LO * u64::from(b));
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let mut i = 0;
    while i + 8 <= hay.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&hay[i..i + 8]);
        let w = u64::from_le_bytes(w);
        if has_zero(w ^ ma) | has_zero(w ^ mb) != 0 {
            break;
        }
        i += 8;
    }
    hay[i..]
        .iter()
        .position(|&x| x == a || x == b)
        .map(|p| p + i)
}

/// Why a JSON number token is not a valid FHIR decimal, or `None` when it is.
pub(crate) fn decimal_problem(tok: &[u8]) -> Option<&'static str> {
    let mut i = 0;
    if tok.first() == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    while i < tok.len() && tok[i].is_ascii_digit() {
        i += 1;
    }
    let int_len = i - int_start;
    if int_len == 0 {
        return Some("a decimal needs digits before any point");
    }
    if int_len > 1 && tok[int_start] == b'0' {
        return Some("a decimal may not have leading zeros");
    }
    if int_len > 18 {
        return Some("more than 18 integer digits (FHIR decimal limit)");
    }
    if tok.get(i) == Some(&b'.') {
        i += 1;
        let f = i;
        while i < tok.len() && tok[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return Some("a decimal point must be followed by digits");
        }
        if i - f > 17 {
            return Some("more than 17 fraction digits (FHIR decimal limit)");
        }
    }
    if matches!(tok.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(tok.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = i;
        while i < tok.len() && tok[i].is_ascii_digit() {
            i += 1;
        }
        if i == e || i - e > 10 {
            return Some("exponent must have 1 to 10 digits");
        }
    }
    if i != tok.len() {
        return Some("not a number");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_listed_and_the_first_value_kept() {
        let (v, d) = parse_checked(br#"{"a":1,"b":{"c":1,"c":2},"a":3}"#).unwrap();
        assert_eq!(d, vec!["c".to_string(), "a".to_string()]);
        assert_eq!(v.get("a").and_then(Value::as_u64), Some(1));
        assert_eq!(v.pointer("/b/c").and_then(Value::as_u64), Some(1));
        let (_, d) = parse_checked(br#"{"a":[{"x":1},{"x":2}]}"#).unwrap();
        assert!(d.is_empty());
    }

    #[test]
    fn decimal_rule() {
        for ok in [
            "0",
            "1.0",
            "-1.5",
            "1E-22",
            "123456789012345678",
            "0.12345678901234567",
        ] {
            assert_eq!(decimal_problem(ok.as_bytes()), None, "{ok}");
        }
        for bad in [
            "1000000000000000000",
            "1.000000000000000000E-24",
            "925.",
            "01",
            "1e",
        ] {
            assert!(decimal_problem(bad.as_bytes()).is_some(), "{bad}");
        }
    }

    #[test]
    fn find_either_matches_a_plain_search() {
        let text = b"abcdefghijklmnopqrstuvwxyz\\0123456789\"tail\xff\x80";
        for start in 0..text.len() {
            let want = text[start..].iter().position(|&x| x == b'"' || x == b'\\');
            assert_eq!(find_either(&text[start..], b'"', b'\\'), want, "{start}");
        }
        assert_eq!(find_either(b"", b'a', b'b'), None);
    }

    #[test]
    fn scan_finds_line_and_key_and_ignores_strings() {
        let text = b"{\n \"s\": \"123456789012345678\\\"90\",\n \"value\": 1000000000000000000\n}";
        let bad = scan_numbers(text, 1);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 3);
        assert_eq!(bad[0].key, "value");
    }
}
