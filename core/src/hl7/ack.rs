//! Acknowledgements (HL7 v2.5.1 chapter 2, "original mode" ACK): MSH with sender and receiver
//! swapped and the original encoding characters, MSA with the acknowledgment code (table 0008:
//! AA accept, AE error, AR reject) and the original MSH-10, one ERR per problem with ERR-2
//! location (ERL: segment^sequence^field^repetition^component), ERR-3 condition code (table
//! 0357), ERR-4 severity (table 0516) and ERR-8 a user message without patient data.

use super::escape::Delimiters;
use super::parse::{Message, ParseIssue};
use crate::time::Timestamp;
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

/// A fresh MSH-10 for an ACK: time-stamped and unique within the process.
fn new_control_id() -> String {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let t = Timestamp::now();
    let (y, m, d) = t.ymd();
    let secs = t.0.rem_euclid(86_400);
    format!(
        "ACK{y:04}{m:02}{d:02}{:02}{:02}{:02}{n:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn hl7_now() -> String {
    let t = Timestamp::now();
    let (y, m, d) = t.ymd();
    let secs = t.0.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Builds the ACK for `original` (or for unreadable input when `None`). Segments end in CR.
pub fn build_ack(original: Option<&Message<'_>>, code: AckCode, issues: &[ParseIssue]) -> String {
    let d = original.map_or_else(Delimiters::default, |m| m.delimiters);
    let f = d.field as char;
    let raw = |n: usize| -> String {
        original
            .and_then(|m| m.msh())
            .map(|s| String::from_utf8_lossy(s.field(n).raw).into_owned())
            .unwrap_or_default()
    };
    let trigger = original
        .map(|m| m.trigger().trim().to_string())
        .unwrap_or_default();
    let processing = {
        let p = raw(11);
        if p.is_empty() { "P".to_string() } else { p }
    };
    let version = {
        let v = raw(12);
        if v.is_empty() { "2.5.1".to_string() } else { v }
    };
    let c = d.component as char;
    let msg_type = if trigger.is_empty() {
        format!("ACK{c}{c}ACK")
    } else {
        format!("ACK{c}{}{c}ACK", d.escape_text(&trigger))
    };
    let mut out = String::with_capacity(256);
    // MSH-3/4 (sender) ← original MSH-5/6 (receiver) and the reverse.
    out.push_str(&format!(
        "MSH{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{f}{msg_type}{f}{}{f}{processing}{f}{version}\r",
        d.encoding_chars(),
        raw(5),
        raw(6),
        raw(3),
        raw(4),
        hl7_now(),
        new_control_id(),
    ));
    let original_id = original.map(|m| raw_control_id(m)).unwrap_or_default();
    out.push_str(&format!("MSA{f}{}{f}{original_id}\r", code.as_str()));
    for issue in issues {
        let erl = match &issue.segment {
            Some(seg) => {
                let seq = issue.segment_ordinal.unwrap_or(1);
                let mut s = format!("{}{c}{seq}", d.escape_text(seg));
                if let Some(field) = issue.field {
                    s.push_str(&format!("{c}{field}"));
                    if let Some(comp) = issue.component {
                        s.push_str(&format!("{c}1{c}{comp}"));
                    }
                }
                s
            }
            None => String::new(),
        };
        out.push_str(&format!(
            "ERR{f}{f}{erl}{f}{}{c}{}{c}HL70357{f}{}{f}{f}{f}{f}{}\r",
            issue.code.code(),
            d.escape_text(issue.code.text()),
            issue.severity.code(),
            d.escape_text(&issue.text),
        ));
    }
    out
}

fn raw_control_id(m: &Message<'_>) -> String {
    m.msh()
        .map(|s| String::from_utf8_lossy(s.field(10).raw).into_owned())
        .unwrap_or_default()
}
