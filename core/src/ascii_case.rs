//! ASCII case folding of short text without a heap allocation.
//!
//! Feeds spell table values in any case (`f`, `F`, `Female`; `I10`, `i10`) and every record is
//! matched against such tables, so folding into a stack buffer keeps per-record parsing free
//! of allocations; text longer than the buffer is folded on the heap as before.

use std::borrow::Cow;

/// Longest text folded on the stack.
const STACK: usize = 64;

/// Calls `f` with `s` lower-cased (ASCII letters only).
pub fn with_lower<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    with_folded(s, u8::to_ascii_lowercase, f)
}

/// Calls `f` with `s` upper-cased (ASCII letters only).
pub fn with_upper<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    with_folded(s, u8::to_ascii_uppercase, f)
}

fn with_folded<R>(s: &str, fold: fn(&u8) -> u8, f: impl FnOnce(&str) -> R) -> R {
    if s.len() > STACK {
        let folded: String = s.chars().map(|c| fold_char(c, fold)).collect();
        return f(&folded);
    }
    let mut buf = [0u8; STACK];
    for (out, b) in buf.iter_mut().zip(s.bytes()) {
        *out = fold(&b);
    }
    // Changing the case of ASCII bytes leaves UTF-8 valid; the fallback is never taken.
    match std::str::from_utf8(&buf[..s.len()]) {
        Ok(t) => f(t),
        Err(_) => f(s),
    }
}

fn fold_char(c: char, fold: fn(&u8) -> u8) -> char {
    if c.is_ascii() {
        fold(&(c as u8)) as char
    } else {
        c
    }
}

/// `s` upper-cased, borrowed when it has no lower-case ASCII letter (the usual case).
pub fn upper_cow(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(s.to_ascii_uppercase())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_short_long_and_non_ascii_text() {
        assert_eq!(with_lower("FeMale", str::to_string), "female");
        assert_eq!(with_upper("i10c", str::to_string), "I10C");
        assert_eq!(with_lower("ÄbC", str::to_string), "Äbc");
        let long = "AbC".repeat(40);
        assert_eq!(with_lower(&long, str::to_string), "abc".repeat(40));
        assert_eq!(
            with_upper(&format!("é{long}"), str::to_string),
            format!("é{}", "ABC".repeat(40))
        );
        assert!(matches!(upper_cow("ADT"), Cow::Borrowed("ADT")));
        assert_eq!(upper_cow("adt^a01"), "ADT^A01");
    }
}
