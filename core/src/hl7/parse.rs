//! ER7 ("pipe and hat") parsing: bytes → messages → segments → fields, without copying.
//!
//! The parse is structural: it finds message and segment boundaries and reads each message's
//! delimiters from its MSH. Fields, repetitions, components and subcomponents are split on
//! demand from the borrowed segment bytes, and text is unescaped lazily ([`Field::text`]
//! borrows when nothing needs replacing). Input is bytes, never assumed to be UTF-8.
//!
//! Accepted framing: CR, LF or CRLF segment terminators, a UTF-8 byte-order mark, MLLP blocks
//! (`0x0B … 0x1C 0x0D`), FHS/BHS/BTS/FTS batch envelopes (missing, nested or unbalanced ones
//! are reported), several messages per file (a message starts at each MSH).
//!
//! Lenient mode (the default) records every problem as a [`ParseIssue`] and keeps going;
//! strict mode returns the first problem as an error. Every loop advances by at least one
//! byte and nothing recurses, so hostile input cannot hang or overflow the stack.

use super::escape::{Delimiters, first_bad_escape, unescape};
use crate::error::{CinError, Location};
use std::borrow::Cow;
use std::fmt;

/// HL7 table 0357 (message error condition codes) entries the parser and mapper use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ErrorCode {
    /// 100 Segment sequence error (segment outside a message, bad segment name).
    SegmentSequence = 100,
    /// 101 Required field missing.
    RequiredFieldMissing = 101,
    /// 102 Data type error (bad escape, bad date, unparsable value).
    DataType = 102,
    /// 103 Table value not found.
    TableValue = 103,
    /// 200 Unsupported message type.
    UnsupportedMessageType = 200,
    /// 203 Unsupported version id.
    UnsupportedVersion = 203,
    /// 207 Application internal error (unreadable encoding characters, envelope errors).
    ApplicationError = 207,
}

impl ErrorCode {
    pub fn code(self) -> u16 {
        self as u16
    }
    pub fn text(self) -> &'static str {
        match self {
            ErrorCode::SegmentSequence => "Segment sequence error",
            ErrorCode::RequiredFieldMissing => "Required field missing",
            ErrorCode::DataType => "Data type error",
            ErrorCode::TableValue => "Table value not found",
            ErrorCode::UnsupportedMessageType => "Unsupported message type",
            ErrorCode::UnsupportedVersion => "Unsupported version id",
            ErrorCode::ApplicationError => "Application internal error",
        }
    }
}

/// Severity as HL7 table 0516 (ERR-4): `E` error, `W` warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum IssueSeverity {
    Error,
    Warning,
}

impl IssueSeverity {
    pub fn code(self) -> &'static str {
        match self {
            IssueSeverity::Error => "E",
            IssueSeverity::Warning => "W",
        }
    }
}

/// One problem, located by message, segment, field and component (never patient data).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParseIssue {
    /// 0-based message index in the input (`None`: outside any message, e.g. batch envelope).
    pub message: Option<usize>,
    /// Segment name (`PV1`), when known.
    pub segment: Option<String>,
    /// 1-based occurrence of that segment name within the message (OBX[3]).
    pub segment_ordinal: Option<usize>,
    /// 0-based position of the segment in the message.
    pub segment_index: Option<usize>,
    /// 1-based field number (`PV1-19` → 19).
    pub field: Option<usize>,
    /// 1-based component number.
    pub component: Option<usize>,
    pub code: ErrorCode,
    pub severity: IssueSeverity,
    pub text: String,
}

impl ParseIssue {
    pub fn new(code: ErrorCode, severity: IssueSeverity, text: impl Into<String>) -> Self {
        ParseIssue {
            message: None,
            segment: None,
            segment_ordinal: None,
            segment_index: None,
            field: None,
            component: None,
            code,
            severity,
            text: text.into(),
        }
    }
    pub fn at_segment(mut self, seg: &Segment<'_>) -> Self {
        self.segment = Some(seg.name_str().into_owned());
        self.segment_ordinal = Some(seg.ordinal);
        self.segment_index = Some(seg.index);
        self
    }
    pub fn segment_index(mut self, index: usize) -> Self {
        self.segment_index = Some(index);
        self
    }
    pub fn field(mut self, field: usize) -> Self {
        self.field = Some(field);
        self
    }
    pub fn component(mut self, component: usize) -> Self {
        self.component = Some(component);
        self
    }
    pub fn in_message(mut self, message: Option<usize>) -> Self {
        self.message = message;
        self
    }

    /// The field path as people write it: `PV1-19`, `OBX[3]-5.1`, `MSH`.
    pub fn path(&self) -> Option<String> {
        let seg = self.segment.as_ref()?;
        let mut s = seg.clone();
        if let Some(o) = self.segment_ordinal.filter(|&o| o > 1) {
            s.push_str(&format!("[{o}]"));
        }
        if let Some(f) = self.field {
            s.push_str(&format!("-{f}"));
            if let Some(c) = self.component {
                s.push_str(&format!(".{c}"));
            }
        }
        Some(s)
    }

    /// As a library [`Location`] (source, message index as `entry`, field path).
    pub fn location(&self, source: &str) -> Location {
        Location {
            source: source.to_string(),
            line: None,
            entry: self.message,
            field: self.path(),
        }
    }
}

impl fmt::Display for ParseIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = self.message {
            write!(f, "message {m} ")?;
        }
        if let Some(p) = self.path() {
            write!(f, "{p} ")?;
        }
        write!(
            f,
            "({} {}): {}",
            self.code.code(),
            self.code.text(),
            self.text
        )
    }
}

/// Parser settings.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// Stop at the first problem and return it as an error.
    pub strict: bool,
    /// Scan text for malformed escape sequences (costs one extra pass over segments that
    /// contain the escape character).
    pub check_escapes: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            strict: false,
            check_escapes: true,
        }
    }
}

/// One segment: its name and raw bytes (terminator excluded).
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub raw: &'a [u8],
    pub delimiters: Delimiters,
    /// 0-based position within its message (or envelope).
    pub index: usize,
    /// 1-based occurrence of this segment name within the message.
    pub ordinal: usize,
}

impl<'a> Segment<'a> {
    /// The three-byte segment id.
    pub fn name(&self) -> &'a [u8] {
        &self.raw[..self.raw.len().min(3)]
    }
    pub fn name_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.name())
    }
    pub fn is(&self, name: &str) -> bool {
        self.name() == name.as_bytes()
    }
    fn is_header(&self) -> bool {
        matches!(self.name(), b"MSH" | b"FHS" | b"BHS")
    }

    /// Field `n` (1-based, as the standard numbers them). In MSH/FHS/BHS, field 1 is the field
    /// separator itself and field 2 the encoding characters. Absent fields are empty.
    pub fn field(&self, n: usize) -> Field<'a> {
        let d = self.delimiters;
        let empty = Field {
            raw: &[],
            delimiters: d,
        };
        if n == 0 || self.raw.len() < 4 {
            return empty;
        }
        let header = self.is_header();
        if header && n == 1 {
            return Field {
                raw: &self.raw[3..4],
                delimiters: d,
            };
        }
        // Non-header segments: the text after the name splits into fields 1, 2, ...
        // Header segments: the text after MSH-1 splits into fields 2, 3, ...
        let body = &self.raw[4..];
        let idx = if header { n - 2 } else { n - 1 };
        let part = nth_part(body, d.field, idx);
        Field {
            raw: part,
            delimiters: d,
        }
    }

    /// All fields in order, split once (field 1 first; for MSH, MSH-1 then MSH-2...).
    pub fn fields(&self) -> impl Iterator<Item = Field<'a>> + 'a {
        let d = self.delimiters;
        let has_body = self.raw.len() >= 4;
        let header = has_body && self.is_header();
        let sep: &'a [u8] = if header { &self.raw[3..4] } else { &[] };
        let body: &'a [u8] = self.raw.get(4..).unwrap_or(&[]);
        std::iter::once(sep)
            .filter(move |_| header)
            .chain(
                body.split(move |&b| b == d.field)
                    .take(if has_body { usize::MAX } else { 0 }),
            )
            .map(move |raw| Field { raw, delimiters: d })
    }

    /// The fields split once into a table (index 0 is field 1), for code that reads many
    /// fields of one segment; out-of-range numbers give an empty field via [`FieldTable::get`].
    pub fn field_table(&self) -> FieldTable<'a> {
        let mut t = FieldTable {
            raw: self.raw,
            header: self.is_header(),
            ends: [0; INLINE_FIELDS],
            len: 0,
            more: Vec::new(),
            wide: self.raw.len() > u32::MAX as usize,
            delimiters: self.delimiters,
        };
        // The same split as [`Segment::fields`]; the body's fields start at byte 4 (after the
        // segment name and the first separator). Eight bytes are tested at a time: a mask of
        // the separator bytes in a word, walked bit by bit (separators are dense in HL7, where
        // a SIMD search that returns per hit costs more).
        if self.raw.len() >= 4 {
            const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
            let sep = self.delimiters.field;
            let pattern = u64::from(sep) * 0x0101_0101_0101_0101;
            let body = &self.raw[4..];
            let mut words = body.chunks_exact(8);
            let mut at = 4;
            for word in &mut words {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(word);
                let x = u64::from_le_bytes(bytes) ^ pattern;
                // High bit of each byte that is zero in `x` (exact: no borrow between bytes).
                let mut hits = !(((x & LOW7) + LOW7) | x | LOW7);
                while hits != 0 {
                    t.push_end(at + hits.trailing_zeros() as usize / 8);
                    hits &= hits - 1;
                }
                at += 8;
            }
            for (i, &b) in words.remainder().iter().enumerate() {
                if b == sep {
                    t.push_end(at + i);
                }
            }
            t.push_end(self.raw.len());
        }
        t
    }

    /// How many fields the segment carries (the highest field number present).
    pub fn field_count(&self) -> usize {
        if self.raw.len() < 4 {
            return 0;
        }
        let n = memchr::memchr_iter(self.delimiters.field, &self.raw[4..]).count() + 1;
        if self.is_header() { n + 1 } else { n }
    }
}

/// Fields a [`FieldTable`] keeps without a heap allocation: PID and PV1 stay within it in
/// practice (PV1 defines 52), so a message's tables cost no allocation at all.
const INLINE_FIELDS: usize = 56;

/// A segment's fields split once (see [`Segment::field_table`]): where each field ends, as
/// 4-byte offsets (a table is made for several segments of every message, and 56 slices
/// were 900 bytes to clear and move each time).
#[derive(Debug, Clone)]
pub struct FieldTable<'a> {
    raw: &'a [u8],
    /// Field 1 is the header's field separator itself (MSH, FHS, BHS).
    header: bool,
    /// End (exclusive, in `raw`) of each body field; body field `k` starts one past the end
    /// of field `k - 1`, the first at byte 4.
    ends: [u32; INLINE_FIELDS],
    /// Body fields.
    len: usize,
    /// Ends past [`INLINE_FIELDS`], or all of them for a segment over 4 GiB (`wide`).
    more: Vec<usize>,
    wide: bool,
    delimiters: Delimiters,
}

impl<'a> FieldTable<'a> {
    fn push_end(&mut self, end: usize) {
        if !self.wide && self.len < INLINE_FIELDS {
            self.ends[self.len] = end as u32;
        } else {
            self.more.push(end);
        }
        self.len += 1;
    }

    /// End of body field `k` (below `len`).
    fn end(&self, k: usize) -> usize {
        if self.wide {
            self.more[k]
        } else if k < INLINE_FIELDS {
            self.ends[k] as usize
        } else {
            self.more[k - INLINE_FIELDS]
        }
    }

    /// Field `n` (1-based).
    pub fn get(&self, n: usize) -> Field<'a> {
        let body = match n.checked_sub(1) {
            Some(0) if self.header => {
                let raw = if self.len > 0 {
                    &self.raw[3..4]
                } else {
                    &[][..]
                };
                return Field {
                    raw,
                    delimiters: self.delimiters,
                };
            }
            Some(i) if self.header => Some(i - 1),
            i => i,
        };
        let raw = match body {
            Some(k) if k < self.len => {
                let start = if k == 0 { 4 } else { self.end(k - 1) + 1 };
                self.raw.get(start..self.end(k)).unwrap_or(&[])
            }
            _ => &[],
        };
        Field {
            raw,
            delimiters: self.delimiters,
        }
    }
}

/// A field, repetition, component or subcomponent: borrowed raw bytes plus the delimiters.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub raw: &'a [u8],
    pub delimiters: Delimiters,
}

/// Part `n` (0-based) of `raw` split on `sep`; empty when there are fewer parts. A plain byte
/// loop: HL7 parts are short and dense, where per-hit SIMD search costs more than it saves.
fn nth_part(raw: &[u8], sep: u8, n: usize) -> &[u8] {
    let mut start = 0;
    let mut seen = 0;
    if n > 0 {
        let mut found = false;
        for (i, &b) in raw.iter().enumerate() {
            if b == sep {
                seen += 1;
                if seen == n {
                    start = i + 1;
                    found = true;
                    break;
                }
            }
        }
        if !found {
            return &[];
        }
    }
    let rest = &raw[start..];
    match rest.iter().position(|&b| b == sep) {
        Some(p) => &rest[..p],
        None => rest,
    }
}

fn cut_at(raw: &[u8], sep: u8) -> &[u8] {
    match raw.iter().position(|&b| b == sep) {
        Some(p) => &raw[..p],
        None => raw,
    }
}

impl<'a> Field<'a> {
    fn with(&self, raw: &'a [u8]) -> Field<'a> {
        Field {
            raw,
            delimiters: self.delimiters,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
    /// HL7 explicit null `""`: the sender says the value is deleted / known to be empty.
    pub fn is_null(&self) -> bool {
        self.raw == b"\"\""
    }
    /// Empty or explicit null.
    pub fn is_blank(&self) -> bool {
        self.is_empty() || self.is_null()
    }
    /// The repetitions of this field (one for a field with no `~`).
    pub fn repetitions(&self) -> impl Iterator<Item = Field<'a>> + 'a {
        let d = self.delimiters;
        self.raw
            .split(move |&b| b == d.repetition)
            .map(move |r| Field {
                raw: r,
                delimiters: d,
            })
    }
    /// Repetition `i` (0-based).
    pub fn rep(&self, i: usize) -> Field<'a> {
        self.with(nth_part(self.raw, self.delimiters.repetition, i))
    }
    /// Component `n` (1-based) of the first repetition.
    pub fn comp(&self, n: usize) -> Field<'a> {
        if n == 0 {
            return self.with(&[]);
        }
        let first = cut_at(self.raw, self.delimiters.repetition);
        self.with(nth_part(first, self.delimiters.component, n - 1))
    }
    /// Subcomponent `n` (1-based) of the first component of the first repetition.
    pub fn sub(&self, n: usize) -> Field<'a> {
        if n == 0 {
            return self.with(&[]);
        }
        let first = cut_at(
            cut_at(self.raw, self.delimiters.repetition),
            self.delimiters.component,
        );
        self.with(nth_part(first, self.delimiters.subcomponent, n - 1))
    }
    /// Components of the first repetition.
    pub fn components(&self) -> impl Iterator<Item = Field<'a>> + 'a {
        let d = self.delimiters;
        cut_at(self.raw, d.repetition)
            .split(move |&b| b == d.component)
            .map(move |r| Field {
                raw: r,
                delimiters: d,
            })
    }
    /// Unescaped text of the whole value (explicit null → empty). Borrows when possible.
    pub fn text(&self) -> Cow<'a, str> {
        unescape(self.raw, &self.delimiters)
    }
    /// Text of the first component's first subcomponent, trimmed: the usual "value" of a
    /// coded or identifier field.
    pub fn value(&self) -> Cow<'a, str> {
        trim_cow(self.comp(1).sub(1).text())
    }
}

/// Field text trimmed, still borrowed from the message when it was (no allocation for the
/// usual field without escapes).
pub fn trim_cow(text: Cow<'_, str>) -> Cow<'_, str> {
    if !needs_trim(&text) {
        return text;
    }
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
    }
}

/// Whether `s` may start or end with whitespace: not when both ends are printable ASCII (no
/// whitespace there), which settles nearly every field without `str::trim`'s char decoding.
#[inline]
fn needs_trim(s: &str) -> bool {
    let printable = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    let b = s.as_bytes();
    !(printable(b.first()) && printable(b.last()))
}

/// One message: its MSH and following segments.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// 0-based index among the messages of the input.
    pub index: usize,
    pub delimiters: Delimiters,
    pub segments: Vec<Segment<'a>>,
}

impl<'a> Message<'a> {
    /// The MSH segment (always the first).
    pub fn msh(&self) -> Option<&Segment<'a>> {
        self.segments.first().filter(|s| s.is(MSH))
    }
    /// First segment with this name.
    pub fn segment(&self, name: &str) -> Option<&Segment<'a>> {
        self.segments.iter().find(|s| s.is(name))
    }
    /// All segments with this name, in order.
    pub fn segments_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Segment<'a>> {
        self.segments.iter().filter(move |s| s.is(name))
    }
    fn msh_field(&self, n: usize) -> Field<'a> {
        match self.msh() {
            Some(m) => m.field(n),
            None => Field {
                raw: &[],
                delimiters: self.delimiters,
            },
        }
    }
    /// MSH-9.1 message code (`ADT`).
    pub fn message_code(&self) -> Cow<'a, str> {
        self.msh_field(9).comp(1).text()
    }
    /// MSH-9.2 trigger event (`A01`).
    pub fn trigger(&self) -> Cow<'a, str> {
        self.msh_field(9).comp(2).text()
    }
    /// `ADT^A01` style type, `ADT` when there is no trigger.
    pub fn message_type(&self) -> String {
        let (c, t) = (self.message_code(), self.trigger());
        if t.trim().is_empty() {
            c.trim().to_string()
        } else {
            format!("{}^{}", c.trim(), t.trim())
        }
    }
    /// MSH-10 message control id.
    pub fn control_id(&self) -> Cow<'a, str> {
        self.msh_field(10).value()
    }
    /// MSH-12 version id (`2.5.1`).
    pub fn version(&self) -> Cow<'a, str> {
        self.msh_field(12).value()
    }
    /// MSH-4 sending facility (first component, else the universal id).
    pub fn sending_facility(&self) -> Cow<'a, str> {
        let f = self.msh_field(4);
        let v = f.comp(1).text();
        if v.trim().is_empty() {
            f.comp(2).text()
        } else {
            v
        }
    }
    /// The message as ER7 bytes with CR terminators (for forwarding or real-time ingest).
    pub fn to_er7(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.segments.iter().map(|s| s.raw.len() + 1).sum());
        for s in &self.segments {
            out.extend_from_slice(s.raw);
            out.push(b'\r');
        }
        out
    }
    /// MSH-7 message date/time.
    pub fn time(&self) -> Option<crate::time::Timestamp> {
        crate::time::Timestamp::parse_hl7(&self.msh_field(7).comp(1).text())
    }
}

const MSH: &str = "MSH";

/// The parse of a whole input: messages, the batch envelope segments, and every issue.
#[derive(Debug, Clone, Default)]
pub struct Parsed<'a> {
    pub messages: Vec<Message<'a>>,
    /// FHS/BHS/BTS/FTS segments, in order.
    pub envelope: Vec<Segment<'a>>,
    pub issues: Vec<ParseIssue>,
}

impl Parsed<'_> {
    /// Issues of one message.
    pub fn issues_of(&self, message: usize) -> impl Iterator<Item = &ParseIssue> {
        self.issues
            .iter()
            .filter(move |i| i.message == Some(message))
    }
}

/// Splits input into raw segments (terminators, MLLP bytes and empty lines dropped).
pub fn segments(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut pos = 0;
    std::iter::from_fn(move || {
        loop {
            if pos >= bytes.len() {
                return None;
            }
            let rest = &bytes[pos..];
            let end = memchr::memchr3(b'\r', b'\n', 0x1C, rest).unwrap_or(rest.len());
            let line = &rest[..end];
            // 0x0B (MLLP start of block) also ends a segment.
            let seg = match memchr::memchr(0x0B, line) {
                Some(p) => {
                    pos += p + 1;
                    &line[..p]
                }
                None => {
                    pos += end + 1;
                    line
                }
            };
            if !seg.is_empty() {
                return Some(seg);
            }
        }
    })
}

/// Segment ids defined by HL7 v2.1-v2.8 (appendix A of each version); Z-segments are local
/// and always accepted. An id outside this list is usually a line break inside a segment.
const STANDARD_SEGMENTS: &str = "ABS ACC ADD ADJ AFF AIG AIL AIP AIS AL1 APR ARQ ARV AUT BHS BLC \
    BLG BPO BPX BTS BTX BUI CDM CDO CER CM0 CM1 CM2 CNS CON CSP CSR CSS CTD CTI CTR DB1 DEV DG1 \
    DMI DON DRG DSC DSP ECD ECR EDU EQP EQU ERR EVN FAC FHS FT1 FTS GOL GP1 GP2 GT1 IAM IAR IIM \
    ILT IN1 IN2 IN3 INV IPC IPR ISD ITM IVC IVT LAN LCC LCH LDP LOC LRL MCP MFA MFE MFI MRG MSA \
    MSH NCK NDS NK1 NPU NSC NST NTE OBR OBX ODS ODT OH1 OH2 OH3 OH4 OM1 OM2 OM3 OM4 OM5 OM6 OM7 \
    ORC ORG ORO OVR PAC PCE PCR PD1 PDA PDC PEO PES PID PKG PMT PR1 PRA PRB PRC PRD PRT PSG PSH \
    PSL PSS PTH PV1 PV2 PYE QAK QID QPD QRD QRF QRI RCP RDF RDT REL RF1 RFI RGS RMI ROL RQ1 RQD \
    RXA RXC RXD RXE RXG RXO RXR RXV SAC SCD SCH SCP SDD SFT SGH SGT SHP SID SLT SPM STF STZ TCC \
    TCD TQ1 TQ2 TXA UAC UB1 UB2 URD URS VAR VND";

/// Position of a valid segment id (`[A-Z][A-Z0-9][A-Z0-9]`) in a 26×36×36 bit table.
fn segment_slot(name: &[u8]) -> Option<usize> {
    let d = |b: u8| match b {
        b'0'..=b'9' => Some((b - b'0') as usize),
        b'A'..=b'Z' => Some((b - b'A') as usize + 10),
        _ => None,
    };
    match name {
        [a @ b'A'..=b'Z', b, c] => Some((*a - b'A') as usize * 1296 + d(*b)? * 36 + d(*c)?),
        _ => None,
    }
}

static KNOWN_SEGMENTS: once_cell::sync::Lazy<Vec<u64>> = once_cell::sync::Lazy::new(|| {
    let mut bits = vec![0u64; 26 * 36 * 36 / 64 + 1];
    for id in STANDARD_SEGMENTS.split_whitespace() {
        if let Some(i) = segment_slot(id.as_bytes()) {
            bits[i / 64] |= 1 << (i % 64);
        }
    }
    bits
});

fn is_known_segment(name: &[u8]) -> bool {
    name.first() == Some(&b'Z')
        || segment_slot(name).is_some_and(|i| KNOWN_SEGMENTS[i / 64] & (1 << (i % 64)) != 0)
}

fn valid_segment_name(seg: &[u8], field: u8) -> bool {
    seg.len() >= 3
        && seg[0].is_ascii_uppercase()
        && seg[1].is_ascii_uppercase() | seg[1].is_ascii_digit()
        && seg[2].is_ascii_uppercase() | seg[2].is_ascii_digit()
        && (seg.len() == 3 || seg[3] == field)
}

struct State<'a> {
    opts: ParseOptions,
    out: Parsed<'a>,
    current: Option<Message<'a>>,
    /// Delimiters of the enclosing batch header, used for segments outside messages.
    envelope_delims: Delimiters,
    file_open: bool,
    batch_open: bool,
    batch_start_messages: usize,
    /// An orphan-segment issue was already raised for the current run.
    orphan_reported: bool,
    /// Occurrences so far of each segment id in the current message (by `segment_slot`).
    ordinals: Ordinals,
}

/// Occurrence counts per segment id: the first few distinct ids in a fixed array (a message
/// rarely has more than a dozen kinds of segment), the rest in a map, so counting stays linear
/// for a million segments and costs no allocation for an ordinary message.
#[derive(Default)]
struct Ordinals {
    few: [(u32, u32); 16],
    used: usize,
    more: crate::intern::FxHashMap<u32, u32>,
}

impl Ordinals {
    fn clear(&mut self) {
        self.used = 0;
        self.more.clear();
    }
    /// Counts one more `slot` and returns its count.
    fn bump(&mut self, slot: u32) -> u32 {
        if let Some(e) = self.few[..self.used].iter_mut().find(|e| e.0 == slot) {
            e.1 += 1;
            return e.1;
        }
        if self.used < self.few.len() {
            self.few[self.used] = (slot, 1);
            self.used += 1;
            return 1;
        }
        let c = self.more.entry(slot).or_insert(0);
        *c += 1;
        *c
    }
}

impl<'a> State<'a> {
    fn issue(&mut self, issue: ParseIssue) -> crate::Result<()> {
        if self.opts.strict {
            return Err(CinError::parse(
                issue.location("hl7v2"),
                format!(
                    "{} {}: {}",
                    issue.code.code(),
                    issue.code.text(),
                    issue.text
                ),
            ));
        }
        self.out.issues.push(issue);
        Ok(())
    }

    fn finish_message(&mut self) -> crate::Result<()> {
        if let Some(m) = self.current.take() {
            check_message(&m, self)?;
            self.out.messages.push(m);
        }
        Ok(())
    }
}

/// Parses bytes holding any number of messages, with or without batch envelopes.
pub fn parse(bytes: &[u8], opts: ParseOptions) -> crate::Result<Parsed<'_>> {
    let mut st = State {
        opts,
        out: Parsed::default(),
        current: None,
        envelope_delims: Delimiters::default(),
        file_open: false,
        batch_open: false,
        batch_start_messages: 0,
        orphan_reported: false,
        ordinals: Default::default(),
    };
    for raw in segments(bytes) {
        let name = &raw[..raw.len().min(3)];
        match name {
            b"MSH" => {
                st.finish_message()?;
                st.orphan_reported = false;
                st.ordinals.clear();
                st.ordinals.bump(segment_slot(b"MSH").unwrap_or(0) as u32);
                let index = st.out.messages.len();
                match Delimiters::from_header(raw) {
                    Ok((d, _)) => {
                        // Room for a typical message's segments: one allocation, no regrowth.
                        let mut segments = Vec::with_capacity(8);
                        segments.push(Segment {
                            raw,
                            delimiters: d,
                            index: 0,
                            ordinal: 1,
                        });
                        st.current = Some(Message {
                            index,
                            delimiters: d,
                            segments,
                        });
                    }
                    Err(why) => {
                        // Keep the message (so it gets an index and an ACK) with default
                        // delimiters; its content is unreliable.
                        let d = Delimiters::default();
                        st.current = Some(Message {
                            index,
                            delimiters: d,
                            segments: vec![Segment {
                                raw,
                                delimiters: d,
                                index: 0,
                                ordinal: 1,
                            }],
                        });
                        st.issue(
                            ParseIssue::new(ErrorCode::ApplicationError, IssueSeverity::Error, why)
                                .in_message(Some(index))
                                .at_segment(&Segment {
                                    raw,
                                    delimiters: d,
                                    index: 0,
                                    ordinal: 1,
                                })
                                .field(2),
                        )?;
                    }
                }
            }
            b"FHS" | b"BHS" | b"BTS" | b"FTS" => {
                st.finish_message()?;
                st.orphan_reported = false;
                envelope_segment(raw, &mut st)?;
            }
            _ => {
                let Some(m) = st.current.as_mut() else {
                    if !st.orphan_reported {
                        st.orphan_reported = true;
                        let seg = Segment {
                            raw,
                            delimiters: st.envelope_delims,
                            index: 0,
                            ordinal: 1,
                        };
                        st.issue(
                            ParseIssue::new(
                                ErrorCode::SegmentSequence,
                                IssueSeverity::Error,
                                "segments outside a message (no MSH before them)",
                            )
                            .at_segment(&seg),
                        )?;
                    }
                    continue;
                };
                let d = m.delimiters;
                let index = m.segments.len();
                if !valid_segment_name(raw, d.field) {
                    let mi = m.index;
                    st.issue(
                        ParseIssue::new(
                            ErrorCode::SegmentSequence,
                            IssueSeverity::Error,
                            format!("invalid segment id at segment {index}; segment skipped"),
                        )
                        .in_message(Some(mi))
                        .segment_index(index),
                    )?;
                    continue;
                }
                // Occurrence counts per segment id: a table, not a rescan, so a message with a
                // million segments stays linear.
                let ordinal = match segment_slot(name) {
                    Some(slot) => st.ordinals.bump(slot as u32) as usize,
                    None => 1,
                };
                let seg = Segment {
                    raw,
                    delimiters: d,
                    index,
                    ordinal,
                };
                m.segments.push(seg);
                if !is_known_segment(name) {
                    let mi = m.index;
                    st.issue(
                        ParseIssue::new(
                            ErrorCode::SegmentSequence,
                            IssueSeverity::Warning,
                            "unknown segment id (not HL7-defined, not a Z-segment); kept",
                        )
                        .in_message(Some(mi))
                        .at_segment(&seg),
                    )?;
                }
            }
        }
    }
    st.finish_message()?;
    if st.out.messages.is_empty() {
        st.issue(ParseIssue::new(
            ErrorCode::SegmentSequence,
            IssueSeverity::Error,
            "input holds no message (no MSH segment)",
        ))?;
    }
    if st.batch_open {
        st.issue(ParseIssue::new(
            ErrorCode::ApplicationError,
            IssueSeverity::Warning,
            "batch header BHS without a closing BTS",
        ))?;
    }
    if st.file_open {
        st.issue(ParseIssue::new(
            ErrorCode::ApplicationError,
            IssueSeverity::Warning,
            "file header FHS without a closing FTS",
        ))?;
    }
    Ok(st.out)
}

fn envelope_segment<'a>(raw: &'a [u8], st: &mut State<'a>) -> crate::Result<()> {
    let name = &raw[..3];
    let mut seg = Segment {
        raw,
        delimiters: st.envelope_delims,
        index: st.out.envelope.len(),
        ordinal: 1,
    };
    let warn = |text: &str, seg: &Segment<'_>| {
        ParseIssue::new(ErrorCode::ApplicationError, IssueSeverity::Warning, text).at_segment(seg)
    };
    match name {
        b"FHS" | b"BHS" => match Delimiters::from_header(raw) {
            Ok((d, _)) => {
                st.envelope_delims = d;
                seg.delimiters = d;
            }
            Err(why) => st.issue(
                ParseIssue::new(ErrorCode::ApplicationError, IssueSeverity::Error, why)
                    .at_segment(&seg)
                    .field(2),
            )?,
        },
        _ => {}
    }
    match name {
        b"FHS" => {
            if st.file_open {
                st.issue(warn("nested FHS: a file header inside an open file", &seg))?;
            }
            st.file_open = true;
        }
        b"BHS" => {
            if st.batch_open {
                st.issue(warn(
                    "nested BHS: a batch header inside an open batch",
                    &seg,
                ))?;
            }
            st.batch_open = true;
            st.batch_start_messages = st.out.messages.len();
        }
        b"BTS" => {
            if !st.batch_open {
                st.issue(warn("BTS without a batch header", &seg))?;
            } else {
                let count = st.out.messages.len() - st.batch_start_messages;
                let declared = seg.field(1).value();
                if let Ok(n) = declared.parse::<usize>()
                    && n != count
                {
                    st.issue(
                        warn(
                            "BTS-1 batch message count differs from the messages found",
                            &seg,
                        )
                        .field(1),
                    )?;
                }
            }
            st.batch_open = false;
        }
        _ => {
            if !st.file_open {
                st.issue(warn("FTS without a file header", &seg))?;
            }
            st.file_open = false;
        }
    }
    st.out.envelope.push(seg);
    Ok(())
}

/// Message-level checks: required MSH fields and escape sequences.
fn check_message<'a>(m: &Message<'a>, st: &mut State<'a>) -> crate::Result<()> {
    let Some(msh) = m.msh().copied() else {
        return Ok(());
    };
    let mi = Some(m.index);
    // MSH-9, -10 and -12 from one pass over the segment (this runs for every message).
    let mut fields = msh.fields();
    let empty = Field {
        raw: &[],
        delimiters: msh.delimiters,
    };
    let f9 = fields.nth(8).unwrap_or(empty);
    let f10 = fields.next().unwrap_or(empty);
    let f12 = fields.nth(1).unwrap_or(empty);
    if f9.comp(1).is_blank() {
        st.issue(
            ParseIssue::new(
                ErrorCode::RequiredFieldMissing,
                IssueSeverity::Error,
                "message type MSH-9 is missing",
            )
            .in_message(mi)
            .at_segment(&msh)
            .field(9),
        )?;
    }
    if f10.is_blank() {
        st.issue(
            ParseIssue::new(
                ErrorCode::RequiredFieldMissing,
                IssueSeverity::Warning,
                "message control id MSH-10 is missing",
            )
            .in_message(mi)
            .at_segment(&msh)
            .field(10),
        )?;
    }
    if f12.is_blank() {
        st.issue(
            ParseIssue::new(
                ErrorCode::RequiredFieldMissing,
                IssueSeverity::Warning,
                "version id MSH-12 is missing",
            )
            .in_message(mi)
            .at_segment(&msh)
            .field(12),
        )?;
    }
    if st.opts.check_escapes
        && let Some(esc) = m.delimiters.escape
    {
        for seg in &m.segments {
            // Skip the segment name, MSH-1 and MSH-2 (which hold the escape character itself).
            let start = if seg.index == 0 {
                (4 + memchr::memchr(m.delimiters.field, seg.raw.get(4..).unwrap_or(&[]))
                    .unwrap_or(seg.raw.len()))
                .min(seg.raw.len())
            } else {
                seg.raw.len().min(3)
            };
            let body = &seg.raw[start..];
            if memchr::memchr(esc, body).is_none() {
                continue;
            }
            if let Some(off) = first_bad_escape(body, &m.delimiters) {
                let (field, comp) = position_of(seg, start + off);
                st.issue(
                    ParseIssue::new(
                        ErrorCode::DataType,
                        IssueSeverity::Warning,
                        "malformed escape sequence (kept as literal text)",
                    )
                    .in_message(mi)
                    .at_segment(seg)
                    .field(field)
                    .component(comp),
                )?;
            }
        }
    }
    Ok(())
}

/// Field and component numbers of a byte offset inside a segment.
fn position_of(seg: &Segment<'_>, offset: usize) -> (usize, usize) {
    let d = seg.delimiters;
    let upto = &seg.raw[..offset.min(seg.raw.len())];
    let fields = memchr::memchr_iter(d.field, upto).count();
    let field = if seg.is_header() { fields + 1 } else { fields };
    let last_field_start = memchr::memrchr(d.field, upto).map_or(0, |p| p + 1);
    let in_field = &upto[last_field_start..];
    let rep_start = memchr::memrchr(d.repetition, in_field).map_or(0, |p| p + 1);
    let comp = memchr::memchr_iter(d.component, &in_field[rep_start..]).count() + 1;
    (field, comp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_count_past_the_fixed_part() {
        // 20 distinct segment ids, each twice: the counts spill from the array into the map.
        let names: Vec<String> = (0..20).map(|i| format!("Z{i:02}")).collect();
        let mut text = String::from("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\r");
        for _ in 0..2 {
            for n in &names {
                text.push_str(&format!("{n}|x\r"));
            }
        }
        text.push_str("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|2|P|2.5\rZ19|y\r");
        let p = parse(text.as_bytes(), ParseOptions::default()).unwrap();
        let segs = &p.messages[0].segments;
        assert_eq!(segs.len(), 41);
        for (i, seg) in segs.iter().enumerate().skip(1) {
            assert_eq!(seg.ordinal, if i <= 20 { 1 } else { 2 }, "segment {i}");
        }
        // A new message starts counting again.
        assert_eq!(p.messages[1].segments[1].ordinal, 1);
    }

    #[test]
    fn trim_cow_trims_like_str_trim() {
        for text in [
            "",
            " ",
            "A",
            " A1 ",
            "\u{b}x\u{b}",
            "\u{a0}x\u{a0}",
            "é",
            "x\t",
            "~",
            "a b",
        ] {
            let borrowed = trim_cow(Cow::Borrowed(text));
            assert_eq!(borrowed, text.trim(), "{text:?}");
            assert!(matches!(borrowed, Cow::Borrowed(_)));
            assert_eq!(
                trim_cow(Cow::Owned(text.to_string())),
                text.trim(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn field_table_matches_field_past_its_inline_part() {
        let zpv: Vec<String> = (1..=70).map(|i| format!("f{i}")).collect();
        // Also a bare segment name, a lone separator and empty fields at both ends.
        let text = format!(
            "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rZPV|{}\rEVN\rPV1|\rZZZ|||x|\r",
            zpv.join("|")
        );
        // Bytes one bit away from the separator (0xFC, 0x7D, 0x7E), runs of separators and a
        // field over a word boundary: the word-at-a-time split must find exactly the `|`s.
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"ZNA|\xfc\x7d\x7e|\xfd||||0123456789abcdef|}|}}|}}}|\xfc|x\r");
        let p = parse(&bytes, ParseOptions::default()).unwrap();
        assert_eq!(p.messages[0].segments.len(), 6);
        for seg in &p.messages[0].segments {
            let t = seg.field_table();
            for n in 0..75 {
                assert_eq!(t.get(n).raw, seg.field(n).raw, "{:?} field {n}", seg.name());
            }
        }
        let z = &p.messages[0].segments[1];
        assert_eq!(z.field_table().get(70).raw, b"f70");
        assert_eq!(z.field_table().get(57).raw, b"f57");
    }

    #[test]
    fn fields_components_and_msh_numbering() {
        let p = parse(
            b"MSH|^~\\&|APP|FAC|||20240101||ADT^A01|C1|P|2.5\rPID|1||123^^^HOSP^MR~456^^^SSA^SS||DOE^JANE\r",
            ParseOptions::default(),
        )
        .unwrap();
        assert!(p.issues.is_empty(), "{:?}", p.issues);
        let m = &p.messages[0];
        assert_eq!(m.message_type(), "ADT^A01");
        assert_eq!(m.control_id(), "C1");
        let msh = m.msh().unwrap();
        assert_eq!(msh.field(1).raw, b"|");
        assert_eq!(msh.field(2).raw, b"^~\\&");
        assert_eq!(msh.field(3).text(), "APP");
        let pid = m.segment("PID").unwrap();
        let ids: Vec<_> = pid
            .field(3)
            .repetitions()
            .map(|r| r.comp(4).text())
            .collect();
        assert_eq!(ids, vec!["HOSP", "SSA"]);
        assert_eq!(pid.field(3).rep(1).comp(1).text(), "456");
        assert_eq!(pid.field(5).comp(2).text(), "JANE");
        assert!(pid.field(40).is_empty());
    }
}
