//! Acknowledgements (HL7 v2.5.1 chapter 2, "original mode" ACK): MSH with sender and receiver
//! swapped and the original encoding characters, MSA with the acknowledgment code (table 0008:
//! AA accept, AE error, AR reject) and the original MSH-10, one ERR per problem with ERR-2
//! location (ERL: segment^sequence^field^repetition^component), ERR-3 condition code (table
//! 0357), ERR-4 severity (table 0516) and ERR-8 a user message without patient data.

use super::escape::Delimiters;
use super::parse::{Message, ParseIssue};
use crate::time::Timestamp;
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
    let _ = write!(
        out,
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
}

/// Builds the ACK for `original` (or for unreadable input when `None`). Segments end in CR.
pub fn build_ack(original: Option<&Message<'_>>, code: AckCode, issues: &[ParseIssue]) -> String {
    let d = original.map_or_else(Delimiters::default, |m| m.delimiters);
    let f = d.field as char;
    // The original MSH split once (an ACK reads seven of its fields).
    let msh = original.and_then(|m| m.msh()).map(|s| s.field_table());
    let raw = |n: usize| -> std::borrow::Cow<'_, str> {
        msh.as_ref()
            .map(|t| String::from_utf8_lossy(t.get(n).raw))
            .unwrap_or_default()
    };
    let trigger = msh
        .as_ref()
        .map(|t| t.get(9).comp(2).text())
        .unwrap_or_default();
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
    let msg_type = if trigger.is_empty() {
        format!("ACK{c}{c}ACK")
    } else {
        format!("ACK{c}{}{c}ACK", d.escape_text(trigger))
    };
    let mut out = String::with_capacity(256);
    let fs = |out: &mut String| out.push(f);
    // MSH-3/4 (sender) ← original MSH-5/6 (receiver) and the reverse.
    out.push_str("MSH");
    fs(&mut out);
    out.push_str(&d.encoding_chars());
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
    out.push_str(&msg_type);
    fs(&mut out);
    out.push_str("ACK");
    push_hl7_time(&mut out, now);
    let _ = write!(out, "{:06}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
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
            out.push_str(&d.escape_text(seg));
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
        out.push_str(&d.escape_text(issue.code.text()));
        out.push(c);
        out.push_str("HL70357");
        fs(&mut out);
        out.push_str(issue.severity.code());
        for _ in 0..4 {
            fs(&mut out);
        }
        out.push_str(&d.escape_text(&issue.text));
        out.push('\r');
    }
    out
}
