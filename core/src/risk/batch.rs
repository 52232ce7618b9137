//! Shared machinery of the columnar scoring functions: long-format rows (patient id, code) in
//! any order, duplicates allowed, are folded into one bitset per patient.
//!
//! Each distinct raw code is classified once (hash map raw code -> category bits); patients get
//! dense indices in first-seen order; rows then cost one or two hash look-ups and an OR.

use crate::error::{CinError, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing of 8-byte words with a final avalanche (MurmurHash3 fmix64), so
/// that ids differing only in their last characters (P00000001, P00000002...) still spread over
/// the low bits the table indexes by.
#[derive(Default, Clone, Copy)]
pub struct MixHasher(u64);

impl Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(23) ^ w).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(23) ^ u64::from(i)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Hash map with [`MixHasher`].
pub type MixMap<K, V> = HashMap<K, V, BuildHasherDefault<MixHasher>>;

/// How the codes of a batch call were recognised; returned next to the table because code
/// problems are data-quality facts, not errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CodeReport {
    /// Rows read.
    pub rows: usize,
    /// Rows whose code was empty or whitespace only (ignored).
    pub blank: usize,
    /// Rows whose code fell into at least one category of the score.
    pub matched_rows: usize,
    /// Rows whose (non-blank) code fell into no category.
    pub unmatched_rows: usize,
    /// Distinct normalised codes that fell into no category.
    pub unmatched_distinct: usize,
}

/// Normalises a diagnosis code as every score here expects it: surrounding and inner
/// whitespace and dots removed, upper case. `None` for a blank code.
pub fn normalize_dx(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| *c != '.' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if s.is_empty() { None } else { Some(s) }
}

/// Bitset types the aggregation works with (u64 for Charlson/Elixhauser, u128 for HCCs).
pub trait Bits: Copy + Default + PartialEq + std::ops::BitOrAssign {}
impl Bits for u64 {}
impl Bits for u128 {}

/// The classification of one distinct code: its category bits and, for codes whose mapping
/// depends on age or sex (CMS-HCC edits), the edit group (0 = none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Class<B> {
    pub bits: B,
    pub edit: u8,
}

/// Per-patient aggregation result.
pub struct Aggregated<'a, B> {
    /// Patient ids in first-seen order (trimmed).
    pub ids: Vec<&'a str>,
    /// First input row of each patient.
    pub first_row: Vec<usize>,
    /// OR of the category bits of the patient's codes without an edit group.
    pub bits: Vec<B>,
    /// Rows with an edit group: (patient index, edit group, bits).
    pub edited: Vec<(u32, u8, B)>,
    pub report: CodeReport,
}

/// Checks that two row-aligned inputs have the same length.
pub fn check_lengths(what: &str, expected: usize, got: usize) -> Result<()> {
    if expected != got {
        return Err(CinError::invalid(format!(
            "{what} has {got} rows but patient_ids has {expected}"
        )));
    }
    Ok(())
}

/// Folds rows into per-patient bitsets. `classify` sees each distinct normalised code once.
pub fn aggregate<'a, S, C, B, F>(
    patient_ids: &'a [S],
    codes: &[C],
    classify: F,
) -> Result<Aggregated<'a, B>>
where
    S: AsRef<str>,
    C: AsRef<str>,
    B: Bits,
    F: FnMut(&str) -> Class<B>,
{
    aggregate_with(patient_ids, codes, classify, |_, _| Ok(()))
}

/// [`aggregate`] calling `on_row(row, patient index)` for every row (patient indices are
/// dense and appear in increasing order the first time).
pub fn aggregate_with<'a, S, C, B, F, R>(
    patient_ids: &'a [S],
    codes: &[C],
    mut classify: F,
    mut on_row: R,
) -> Result<Aggregated<'a, B>>
where
    S: AsRef<str>,
    C: AsRef<str>,
    B: Bits,
    F: FnMut(&str) -> Class<B>,
    R: FnMut(usize, u32) -> Result<()>,
{
    check_lengths("codes", patient_ids.len(), codes.len())?;
    let mut patients: MixMap<&'a str, u32> = MixMap::default();
    let mut raw_codes: MixMap<&str, Option<Class<B>>> = MixMap::default();
    let mut normalised: MixMap<String, Class<B>> = MixMap::default();
    let mut out = Aggregated {
        ids: Vec::new(),
        first_row: Vec::new(),
        bits: Vec::new(),
        edited: Vec::new(),
        report: CodeReport {
            rows: codes.len(),
            ..CodeReport::default()
        },
    };
    let zero = B::default();
    let mut last: Option<(&str, u32)> = None;
    for (row, (pid, code)) in patient_ids.iter().zip(codes).enumerate() {
        let pid = pid.as_ref();
        let p = match last {
            Some((prev, idx)) if prev == pid => idx,
            _ => {
                let key = pid.trim();
                if key.is_empty() {
                    return Err(CinError::invalid(format!("row {row}: empty patient id")));
                }
                let next = out.ids.len() as u32;
                let idx = *patients.entry(key).or_insert(next);
                if idx == next {
                    out.ids.push(key);
                    out.first_row.push(row);
                    out.bits.push(zero);
                }
                last = Some((pid, idx));
                idx
            }
        };
        on_row(row, p)?;
        let raw = code.as_ref();
        let class = match raw_codes.get(raw) {
            Some(c) => *c,
            None => {
                let c = normalize_dx(raw).map(|n| {
                    if let Some(c) = normalised.get(&n) {
                        *c
                    } else {
                        let c = classify(&n);
                        if c.bits == zero && c.edit == 0 {
                            out.report.unmatched_distinct += 1;
                        }
                        normalised.insert(n, c);
                        c
                    }
                });
                // The key borrows the caller's row, which outlives this call.
                raw_codes.insert(raw, c);
                c
            }
        };
        match class {
            None => out.report.blank += 1,
            Some(c) if c.edit != 0 => {
                out.report.matched_rows += 1;
                out.edited.push((p, c.edit, c.bits));
            }
            Some(c) if c.bits == zero => out.report.unmatched_rows += 1,
            Some(c) => {
                out.report.matched_rows += 1;
                out.bits[p as usize] |= c.bits;
            }
        }
    }
    Ok(out)
}

/// Prefix code lists (`category<TAB>prefixes`) as used by the Quan 2005 algorithms: a code
/// belongs to a category when it starts with one of the category's prefixes.
pub struct PrefixMap {
    prefixes: MixMap<&'static str, u64>,
    max_len: usize,
}

impl PrefixMap {
    /// Parses a bundled table; the tables are compiled in, so a malformed one is a build bug
    /// caught by the tests.
    pub fn parse(text: &'static str, expected: &[&'static str]) -> PrefixMap {
        let mut prefixes: MixMap<&'static str, u64> = MixMap::default();
        let mut max_len = 0;
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (cat, list) = line.split_once('\t').unwrap_or((line, ""));
            let Some(bit) = expected.iter().position(|c| *c == cat.trim()) else {
                continue;
            };
            for p in list.split_whitespace() {
                *prefixes.entry(p).or_default() |= 1u64 << bit;
                max_len = max_len.max(p.len());
            }
        }
        PrefixMap { prefixes, max_len }
    }

    /// Category bits of a normalised code.
    pub fn classify(&self, code: &str) -> u64 {
        let mut bits = 0;
        for len in 1..=self.max_len.min(code.len()) {
            if let Some(b) = code.get(..len).and_then(|p| self.prefixes.get(p)) {
                bits |= *b;
            }
        }
        bits
    }
}
