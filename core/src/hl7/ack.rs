//! Acknowledgements (HL7 v2.5.1 chapter 2, "original mode" ACK): MSH with sender and receiver
//! swapped and the original encoding characters, MSA with the acknowledgment code (table 0008:
//! AA accept, AE error, AR reject) and the original MSH-10, one ERR per problem with ERR-2
//! location (ERL: segment^sequence^field^repetition^component), ERR-3 condition code (table
//! 0357), ERR-4 severity (table 0516) and ERR-8 a user message without patient data.

use super::escape::Delimiters;
use super::parse::{FieldTable, Message, ParseIssue};
use crate::time::Timestamp;
use std::borrow::Cow;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// MSA-1 acknowledgment code (HL7 table 0008).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AckCode {
    /// Application accept.
    Aa,
    /// Application error: the message was understood but something in it could not be used.
    Ae,
    /// Application reject: the message could not be processed at all.
    Ar,
}

impl AckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::Aa => "AA",
            AckCode::Ae => "AE",
            AckCode::Ar => "AR",
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// `YYYYMMDDHHMMSS` of `t`, appended to `out` (MSH-7 and the stem of the ACK's MSH-10).
fn push_hl7_time(out: &mut String, t: Timestamp) {
    let (y, m, d) = t.ymd();
    let secs = t.0.rem_euclid(86_400);
    for (v, width) in [
        (y, 4),
        (i64::from(m), 2),
        (i64::from(d), 2),
        (secs / 3600, 2),
        (secs / 60 % 60, 2),
        (secs % 60, 2),
    ] {
        push_digits(out, v, width);
    }
}

/// `v` in decimal, zero-padded to `width`, never cut: written into a buffer and appended at once
/// (the formatting machinery, then pushes digit by digit, were a tenth of the cost of an ACK).
fn push_digits(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        let _ = write!(out, "{v:0width$}");
        return;
    }
    let mut buf = [b'0'; 20];
    let (mut v, mut i) = (v, buf.len());
    while v > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    out.push_str(std::str::from_utf8(&buf[start..]).unwrap_or_default());
}

/// Builds the ACK for `original` (or for unreadable input when `None`). Segments end in CR.
pub fn build_ack(original: Option<&Message<'_>>, code: AckCode, issues: &[ParseIssue]) -> String {
    // The original MSH split once (an ACK reads seven of its fields).
    let msh = original.and_then(|m| m.msh()).map(|s| s.field_table());
    build_ack_with(original, msh.as_ref(), code, issues)
}

/// [`build_ack`] with the original's MSH already split (the real-time path splits it once for
/// mapping and acknowledging).
pub fn build_ack_with(
    original: Option<&Message<'_>>,
    msh: Option<&FieldTable<'_>>,
    code: AckCode,
    issues: &[ParseIssue],
) -> String {
    let d = original.map_or_else(Delimiters::default, |m| m.delimiters);
    let f = d.field as char;
    let raw = |n: usize| -> Cow<'_, str> {
        msh.map(|t| {
            let raw = t.get(n).raw;
            std::str::from_utf8(raw).map_or_else(|_| String::from_utf8_lossy(raw), Cow::Borrowed)
        })
        .unwrap_or_default()
    };
    let trigger = msh.map(|t| t.get(9).comp(2).text()).unwrap_or_default();
    let trigger = trigger.trim();
    let processing = {
        let p = raw(11);
        if p.is_empty() { "P".into() } else { p }
    };
    let version = {
        let v = raw(12);
        if v.is_empty() { "2.5.1".into() } else { v }
    };
    let c = d.component as char;
    let mut out = String::with_capacity(256);
    let fs = |out: &mut String| out.push(f);
    // MSH-3/4 (sender) ← original MSH-5/6 (receiver) and the reverse.
    out.push_str("MSH");
    fs(&mut out);
    d.push_encoding_chars(&mut out);
    for n in [5, 6, 3, 4] {
        fs(&mut out);
        out.push_str(&raw(n));
    }
    // One clock read for MSH-7 and MSH-10; the counter keeps MSH-10 unique within the process.
    let now = Timestamp::now();
    fs(&mut out);
    push_hl7_time(&mut out, now);
    fs(&mut out);
    fs(&mut out);
    // MSH-9: ACK^<trigger>^ACK.
    out.push_str("ACK");
    out.push(c);
    d.push_escaped(&mut out, trigger);
    out.push(c);
    out.push_str("ACK");
    fs(&mut out);
    out.push_str("ACK");
    push_hl7_time(&mut out, now);
    push_digits(
        &mut out,
        i64::try_from(NEXT_ID.fetch_add(1, Ordering::Relaxed)).unwrap_or(i64::MAX),
        6,
    );
    fs(&mut out);
    out.push_str(&processing);
    fs(&mut out);
    out.push_str(&version);
    out.push_str("\rMSA");
    fs(&mut out);
    out.push_str(code.as_str());
    fs(&mut out);
    if original.is_some() {
        out.push_str(&raw(10));
    }
    out.push('\r');
    for issue in issues {
        out.push_str("ERR");
        fs(&mut out);
        fs(&mut out);
        if let Some(seg) = &issue.segment {
            d.push_escaped(&mut out, seg);
            out.push(c);
            let _ = write!(out, "{}", issue.segment_ordinal.unwrap_or(1));
            if let Some(field) = issue.field {
                let _ = write!(out, "{c}{field}");
                if let Some(comp) = issue.component {
                    let _ = write!(out, "{c}1{c}{comp}");
                }
            }
        }
        fs(&mut out);
        let _ = write!(out, "{}", issue.code.code());
        out.push(c);
        d.push_escaped(&mut out, issue.code.text());
        out.push(c);
        out.push_str("HL70357");
        fs(&mut out);
        out.push_str(issue.severity.code());
        for _ in 0..4 {
            fs(&mut out);
        }
        d.push_escaped(&mut out, &issue.text);
        out.push('\r');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_zero_padded_and_never_cut() {
        let mut s = String::new();
        for (v, w) in [(0, 6), (7, 2), (2024, 4), (1_234_567, 6), (-5, 3)] {
            push_digits(&mut s, v, w);
            s.push(',');
        }
        assert_eq!(s, "000000,07,2024,1234567,-05,");
        let mut t = String::new();
        push_hl7_time(&mut t, Timestamp::parse_iso("2024-03-05T07:08:09").unwrap());
        assert_eq!(t, "20240305070809");
        let mut t = String::new();
        push_hl7_time(&mut t, Timestamp::parse_iso("0999-12-31T23:59:59").unwrap());
        assert_eq!(t, "09991231235959");
    }
}
