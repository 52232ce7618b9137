//! FHIR reference syntax (R4 §2.3 "References", §3.1.0.2.5 "Conditional references") reduced to
//! one lookup key per target:
//!
//! | reference as written                               | key                                   |
//! |----------------------------------------------------|---------------------------------------|
//! | `Patient/123`, `http://x/fhir/Patient/123/_history/2` | `Patient/123`                       |
//! | `urn:uuid:…` (bundle fullUrl)                      | the key of the entry with that fullUrl |
//! | `Organization?identifier=sys\|val`                 | the same string (identifier search)   |
//! | `{"identifier": {system, value}}` (logical)        | `Type?identifier=sys\|val`            |
//! | `#med1` (contained resource)                       | `#med1`                               |
//!
//! Organisations and practitioners are registered under `Type/id` and under one
//! `Type?identifier=system|value` key per identifier, so all three spellings meet.

/// Why a reference string cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefError {
    Empty,
    /// `Type?…` whose parameters are not `name=value` pairs.
    BadConditional,
    /// Neither `Type/id`, an absolute URL ending in `Type/id`, `urn:`, `#id` nor conditional.
    Unrecognised,
}

impl RefError {
    pub fn message(self) -> &'static str {
        match self {
            RefError::Empty => "empty reference",
            RefError::BadConditional => {
                "conditional reference must be Type?name=value(&name=value)* (FHIR R4 3.1.0.2.5)"
            }
            RefError::Unrecognised => {
                "reference is not Type/id, an absolute URL, urn:uuid/urn:oid, #contained or conditional"
            }
        }
    }
}

/// A FHIR resource type name: an upper-case ASCII letter followed by letters.
pub(crate) fn is_type_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b[0].is_ascii_uppercase() && b.iter().all(u8::is_ascii_alphabetic)
}

/// FHIR `id`: `[A-Za-z0-9\-\.]{1,64}` (R4 datatypes, "id").
pub(crate) fn is_valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// A `fullUrl` must be absolute: a URL with a scheme (`http:`, `https:`, `urn:uuid:`, `urn:oid:`).
pub(crate) fn is_absolute_url(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => {
            let scheme = &s[..i];
            scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
                && s.len() > i + 1
        }
        _ => false,
    }
}

/// Checks a conditional reference `Type?name=value&…`.
fn conditional_ok(s: &str) -> bool {
    let Some((ty, query)) = s.split_once('?') else {
        return false;
    };
    is_type_name(ty)
        && !query.is_empty()
        && query.split('&').all(|p| match p.split_once('=') {
            Some((name, value)) => {
                !name.is_empty()
                    && !value.is_empty()
                    && name.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')
                    })
            }
            None => false,
        })
}

/// The key of a literal reference that needs no bundle context: `Type/id` (from a relative or
/// absolute URL), conditional references as written, `#id`. `urn:` references are returned as
/// written; the caller maps them through the bundle's fullUrls.
pub(crate) fn reference_key(r: &str) -> Result<std::borrow::Cow<'_, str>, RefError> {
    use std::borrow::Cow;
    let r = r.trim();
    if r.is_empty() {
        return Err(RefError::Empty);
    }
    if r.starts_with('#') || r.starts_with("urn:") {
        return Ok(Cow::Borrowed(r));
    }
    if r.contains('?') {
        return if conditional_ok(r) {
            Ok(Cow::Borrowed(r))
        } else {
            Err(RefError::BadConditional)
        };
    }
    let mut parts: Vec<&str> = r.split('/').filter(|p| !p.is_empty()).collect();
    // Drop a version suffix `.../_history/<vid>`.
    if parts.len() >= 4 && parts[parts.len() - 2] == "_history" {
        parts.truncate(parts.len() - 2);
    }
    match parts.as_slice() {
        [.., ty, id] if is_type_name(ty) && !id.is_empty() && !id.contains(':') => {
            if parts.len() == 2 {
                Ok(Cow::Borrowed(r))
            } else {
                Ok(Cow::Owned(format!("{ty}/{id}")))
            }
        }
        // Any other absolute URL is a valid reference that simply points outside the network.
        _ if is_absolute_url(r) && r.contains("://") => Ok(Cow::Borrowed(r)),
        _ => Err(RefError::Unrecognised),
    }
}

/// `Type?identifier=system|value` as the key an identifier is registered under.
pub(crate) fn identifier_key(ty: &str, system: &str, value: &str) -> String {
    format!("{ty}?identifier={system}|{value}")
}

/// The `(system, value)` of a conditional reference that searches by identifier.
pub(crate) fn conditional_identifier(key: &str) -> Option<(&str, &str)> {
    let (_, q) = key.split_once("?identifier=")?;
    let q = q.split('&').next()?;
    match q.split_once('|') {
        Some((s, v)) => Some((s, v)),
        None => Some(("", q)),
    }
}

/// The resource type a key points at (`Patient/1` → `Patient`).
pub(crate) fn key_type(key: &str) -> &str {
    let end = key.find(['/', '?']).unwrap_or(0);
    &key[..end]
}

/// The id part of a `Type/id` key.
pub(crate) fn key_id(key: &str) -> Option<&str> {
    key.split_once('/')
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_reference_spellings() {
        assert_eq!(reference_key("Patient/1").unwrap(), "Patient/1");
        assert_eq!(
            reference_key("http://example.org/fhir/Patient/1/_history/3").unwrap(),
            "Patient/1"
        );
        assert_eq!(
            reference_key("Organization?identifier=https://github.com/synthetichealth/synthea|abc")
                .unwrap(),
            "Organization?identifier=https://github.com/synthetichealth/synthea|abc"
        );
        assert_eq!(reference_key("#med1").unwrap(), "#med1");
        assert_eq!(reference_key("urn:uuid:1").unwrap(), "urn:uuid:1");
        assert_eq!(
            reference_key("Device?identifier=1234&?=="),
            Err(RefError::BadConditional)
        );
        assert_eq!(reference_key("patient"), Err(RefError::Unrecognised));
        assert_eq!(
            reference_key("http://example.org/guidelines%202011.pdf").unwrap(),
            "http://example.org/guidelines%202011.pdf"
        );
        assert_eq!(reference_key(" "), Err(RefError::Empty));
    }

    #[test]
    fn ids_and_urls() {
        assert!(is_valid_id("a5cb8ce9-cec6.1"));
        assert!(!is_valid_id("bad-id_1"));
        assert!(!is_valid_id(""));
        assert!(is_absolute_url("urn:uuid:550e8400"));
        assert!(is_absolute_url("http://example.org/Observation/1"));
        assert!(!is_absolute_url("Patient/1"));
        assert_eq!(
            conditional_identifier("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|99"),
            Some(("http://hl7.org/fhir/sid/us-npi", "99"))
        );
        assert_eq!(key_type("Organization?identifier=a|b"), "Organization");
        assert_eq!(key_id("Encounter/7"), Some("7"));
    }
}
