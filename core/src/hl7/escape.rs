//! Delimiters (MSH-1/MSH-2) and the HL7 v2 escape sequences (HL7 v2.5.1 chapter 2, section
//! 2.7 "Use of escape sequences in text fields").

use std::borrow::Cow;

/// The five (v2.7+: six) delimiters of one message, read from MSH-1 and MSH-2.
///
/// A delimiter the message does not declare is set to the field separator, which can never
/// occur inside a field, so splitting on it is a no-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub field: u8,
    pub component: u8,
    pub repetition: u8,
    /// `None` when MSH-2 declares no escape character (escapes are then literal text).
    pub escape: Option<u8>,
    pub subcomponent: u8,
    /// The v2.7 truncation character (`#`), when declared.
    pub truncation: Option<u8>,
}

impl Default for Delimiters {
    /// `|^~\&`, the delimiters HL7 recommends and nearly every feed uses.
    fn default() -> Self {
        Delimiters {
            field: b'|',
            component: b'^',
            repetition: b'~',
            escape: Some(b'\\'),
            subcomponent: b'&',
            truncation: None,
        }
    }
}

impl Delimiters {
    /// Reads the delimiters of a header segment (`MSH`, `FHS`, `BHS`): byte 3 is the field
    /// separator, then MSH-2 up to the next field separator. Accepts 1-5 encoding characters and
    /// the doubled-backslash quirk `^~\\&` some exporters write (a string-escaping slip).
    pub fn from_header(seg: &[u8]) -> Result<(Delimiters, usize), &'static str> {
        let field = *seg.get(3).ok_or("header segment has no field separator")?;
        if field.is_ascii_alphanumeric() || matches!(field, b'\r' | b'\n' | b' ' | 0) {
            return Err("invalid field separator in MSH-1");
        }
        let rest = &seg[4..];
        let end = rest.iter().position(|&b| b == field).unwrap_or(rest.len());
        let enc = &rest[..end];
        if enc.len() == 5 && enc[2] == b'\\' && enc[3] == b'\\' {
            // `^~\\&`: treat the doubled backslash as one escape character.
            let d = Delimiters {
                field,
                component: rest[0],
                repetition: rest[1],
                escape: Some(b'\\'),
                subcomponent: rest[4],
                truncation: None,
            };
            d.check()?;
            return Ok((d, 5));
        }
        if enc.is_empty() {
            return Err("MSH-2 encoding characters are missing");
        }
        if enc.len() > 5 {
            return Err("MSH-2 has more than five encoding characters");
        }
        let d = Delimiters {
            field,
            component: enc[0],
            repetition: enc.get(1).copied().unwrap_or(field),
            escape: enc.get(2).copied(),
            subcomponent: enc.get(3).copied().unwrap_or(field),
            truncation: enc.get(4).copied(),
        };
        d.check()?;
        Ok((d, enc.len()))
    }

    fn check(&self) -> Result<(), &'static str> {
        // At most six characters: a fixed array, as this runs once per message.
        let mut all = [0u8; 6];
        let mut n = 0;
        let optional = [
            Some(self.field),
            Some(self.component),
            Some(self.repetition).filter(|&r| r != self.field),
            Some(self.subcomponent).filter(|&s| s != self.field),
            self.escape,
            self.truncation,
        ];
        for c in optional.into_iter().flatten() {
            all[n] = c;
            n += 1;
        }
        let all = &all[..n];
        for (i, a) in all.iter().enumerate() {
            if a.is_ascii_alphanumeric() || matches!(a, b'\r' | b'\n' | b' ' | 0) {
                return Err("invalid encoding character in MSH-2");
            }
            if all[i + 1..].contains(a) {
                return Err("encoding characters in MSH-2 are not distinct");
            }
        }
        Ok(())
    }

    /// The MSH-2 text these delimiters print as (used in ACKs).
    pub fn encoding_chars(&self) -> String {
        let mut s = String::new();
        self.push_encoding_chars(&mut s);
        s
    }

    /// [`Delimiters::encoding_chars`] appended to `out`.
    pub fn push_encoding_chars(&self, out: &mut String) {
        out.push(self.component as char);
        if self.repetition != self.field {
            out.push(self.repetition as char);
        }
        if let Some(e) = self.escape {
            out.push(e as char);
        }
        if self.subcomponent != self.field {
            out.push(self.subcomponent as char);
        }
        if let Some(t) = self.truncation {
            out.push(t as char);
        }
    }

    /// Escapes text so it can be written into a field of a message with these delimiters.
    pub fn escape_text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.push_escaped(&mut out, text);
        out
    }

    /// [`Delimiters::escape_text`] appended to `out` (an ACK is built in one buffer).
    pub fn push_escaped(&self, out: &mut String, text: &str) {
        let Some(e) = self.escape else {
            out.push_str(text);
            return;
        };
        // Characters compare as code points, as below, so a delimiter byte above 0x7F matches
        // the same characters on both paths.
        let special = |c: char| {
            [
                self.field,
                self.component,
                self.repetition,
                self.subcomponent,
                e,
            ]
            .iter()
            .any(|&d| c as u32 == u32::from(d))
                || c == '\r'
                || c == '\n'
        };
        if !text.chars().any(special) {
            out.push_str(text);
            return;
        }
        for ch in text.chars() {
            let code = match ch as u32 {
                c if c == self.field as u32 => Some('F'),
                c if c == self.component as u32 => Some('S'),
                c if c == self.repetition as u32 => Some('R'),
                c if c == self.subcomponent as u32 => Some('T'),
                c if c == e as u32 => Some('E'),
                _ => None,
            };
            match (ch, code) {
                (_, Some(c)) => {
                    out.push(e as char);
                    out.push(c);
                    out.push(e as char);
                }
                ('\r' | '\n', None) => {
                    out.push(e as char);
                    out.push_str(".br");
                    out.push(e as char);
                }
                (c, None) => out.push(c),
            }
        }
    }
}

/// Turns raw field bytes into text: explicit null `""` becomes empty, escape sequences are
/// replaced, bytes that are not UTF-8 are decoded lossily. Borrows when nothing changes.
pub fn unescape<'a>(raw: &'a [u8], d: &Delimiters) -> Cow<'a, str> {
    if raw == b"\"\"" {
        return Cow::Borrowed("");
    }
    // Most fields are a few bytes: a short one is searched for the escape character by an
    // inlined loop rather than a `memchr` call.
    let escaped = match d.escape {
        Some(e) if raw.len() <= 32 => raw.contains(&e),
        Some(e) => memchr::memchr(e, raw).is_some(),
        None => false,
    };
    let Some(esc) = d.escape.filter(|_| escaped) else {
        // Valid UTF-8 (nearly always plain ASCII) is borrowed; only invalid bytes are replaced.
        // `from_utf8` first: its ASCII path is several times faster than the lossy decoder's.
        return std::str::from_utf8(raw)
            .map_or_else(|_| String::from_utf8_lossy(raw), Cow::Borrowed);
    };
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != esc {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(len) = raw[i + 1..].iter().position(|&c| c == esc) else {
            // Unterminated: keep the rest as literal text.
            out.extend_from_slice(&raw[i..]);
            break;
        };
        let seq = &raw[i + 1..i + 1 + len];
        if !expand(seq, d, &mut out) {
            out.extend_from_slice(&raw[i..i + len + 2]);
        }
        i += len + 2;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Appends the expansion of one escape sequence (without its escape characters); `false` when
/// the sequence is not one HL7 defines.
fn expand(seq: &[u8], d: &Delimiters, out: &mut Vec<u8>) -> bool {
    match seq {
        b"F" => out.push(d.field),
        b"S" => out.push(d.component),
        b"T" => out.push(d.subcomponent),
        b"R" => out.push(d.repetition),
        b"E" => out.push(d.escape.unwrap_or(b'\\')),
        b"P" => out.push(d.truncation.unwrap_or(b'#')),
        b".br" => out.push(b'\n'),
        // Formatting commands (highlight, normal, indent, centre...) carry no text.
        b"H" | b"N" => {}
        [b'.', ..] => {}
        [b'X', hex @ ..] => {
            if hex.len() % 2 != 0 || !hex.iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            for pair in hex.chunks(2) {
                let v = (hex_val(pair[0]) << 4) | hex_val(pair[1]);
                out.push(v);
            }
        }
        // Character-set switches and locally defined escapes: dropped.
        [b'C' | b'M' | b'Z', ..] => {}
        _ => return false,
    }
    true
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// The offset of the first malformed escape sequence in `raw` (unterminated or unknown).
pub fn first_bad_escape(raw: &[u8], d: &Delimiters) -> Option<usize> {
    let esc = d.escape?;
    let mut i = 0;
    let mut scratch = Vec::new();
    while let Some(p) = memchr::memchr(esc, &raw[i..]) {
        let start = i + p;
        let rest = &raw[start + 1..];
        // A sequence never spans a field or component boundary.
        let stop = rest
            .iter()
            .position(|&c| c == esc || c == d.field || c == d.component || c == d.repetition);
        match stop {
            Some(len) if rest[len] == esc => {
                scratch.clear();
                if !expand(&rest[..len], d, &mut scratch) {
                    return Some(start);
                }
                i = start + len + 2;
            }
            _ => return Some(start),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_expand_and_borrow_when_plain() {
        let d = Delimiters::default();
        assert!(matches!(unescape(b"plain", &d), Cow::Borrowed("plain")));
        assert_eq!(unescape(br"a\F\b\S\c\T\d\R\e\E\f", &d), "a|b^c&d~e\\f");
        assert_eq!(unescape(br"line1\.br\line2", &d), "line1\nline2");
        assert_eq!(unescape(br"\X4142\", &d), "AB");
        assert_eq!(unescape(br#""""#, &d), "");
        assert_eq!(unescape(br"bad\Q\x", &d), r"bad\Q\x");
        assert_eq!(first_bad_escape(br"ok\F\ bad\Q\", &d), Some(9));
        assert_eq!(first_bad_escape(br"ok\F\", &d), None);
        assert_eq!(first_bad_escape(br"open\F", &d), Some(4));
    }

    #[test]
    fn header_delimiters() {
        let (d, n) = Delimiters::from_header(b"MSH|^~\\&#|X").unwrap();
        assert_eq!((d.truncation, n), (Some(b'#'), 5));
        let (d, _) = Delimiters::from_header(b"MSH|^~\\\\&|X").unwrap();
        assert_eq!((d.escape, d.subcomponent), (Some(b'\\'), b'&'));
        let (d, _) = Delimiters::from_header(b"MSH|^~$&|X").unwrap();
        assert_eq!(d.escape, Some(b'$'));
        assert!(Delimiters::from_header(b"MSH|^^\\&|").is_err());
        assert!(Delimiters::from_header(b"MSH").is_err());
        assert_eq!(d.escape_text("a|b"), "a$F$b");
    }
}
