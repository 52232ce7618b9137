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
    #[inline]
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
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(23) ^ u64::from(i)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    #[inline]
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

/// Per-row side data a score gathers while rows are folded (e.g. CMS-HCC demographics).
/// Each worker thread has its own sink; sinks are merged in row order afterwards.
pub trait RowSink: Send + Sized {
    /// Sees global row `row` of local patient `p` (dense, first-seen order within the chunk).
    fn row(&mut self, row: usize, p: u32) -> Result<()>;
    /// Folds a later chunk's sink in; `remap[local]` is the merged patient index.
    fn merge(&mut self, later: Self, remap: &[u32]) -> Result<()>;
}

/// A sink that keeps nothing.
pub struct NoSink;
impl RowSink for NoSink {
    fn row(&mut self, _: usize, _: u32) -> Result<()> {
        Ok(())
    }
    fn merge(&mut self, _: Self, _: &[u32]) -> Result<()> {
        Ok(())
    }
}

/// Below this many rows one thread does the work.
const PARALLEL_MIN_ROWS: usize = 200_000;

/// Folds rows into per-patient bitsets. `classify` sees each distinct normalised code once per
/// worker thread.
pub fn aggregate<'a, S, C, B, F>(
    patient_ids: &'a [S],
    codes: &[C],
    classify: F,
) -> Result<Aggregated<'a, B>>
where
    S: AsRef<str> + Sync,
    C: AsRef<str> + Sync,
    B: Bits + Send,
    F: Fn(&str) -> Class<B> + Sync,
{
    aggregate_with(patient_ids, codes, classify, || NoSink).map(|(a, _)| a)
}

/// Chunk result: the aggregation, the chunk's patient map, its sink and the distinct
/// normalised codes that matched nothing.
struct Chunk<'a, B, K> {
    agg: Aggregated<'a, B>,
    patients: MixMap<&'a str, u32>,
    sink: K,
    unmatched: Vec<String>,
}

/// [`aggregate`] with a per-thread [`RowSink`]; rows are split into contiguous chunks folded
/// in parallel (up to the available cores), then merged so that patients keep first-seen order.
pub fn aggregate_with<'a, S, C, B, F, K, MK>(
    patient_ids: &'a [S],
    codes: &[C],
    classify: F,
    make_sink: MK,
) -> Result<(Aggregated<'a, B>, K)>
where
    S: AsRef<str> + Sync,
    C: AsRef<str> + Sync,
    B: Bits + Send,
    F: Fn(&str) -> Class<B> + Sync,
    K: RowSink,
    MK: Fn() -> K + Sync,
{
    let threads = if codes.len() < PARALLEL_MIN_ROWS {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(8))
    };
    aggregate_threads(patient_ids, codes, classify, make_sink, threads)
}

/// [`aggregate_with`] on exactly `threads` chunks (1 = sequential).
pub fn aggregate_threads<'a, S, C, B, F, K, MK>(
    patient_ids: &'a [S],
    codes: &[C],
    classify: F,
    make_sink: MK,
    threads: usize,
) -> Result<(Aggregated<'a, B>, K)>
where
    S: AsRef<str> + Sync,
    C: AsRef<str> + Sync,
    B: Bits + Send,
    F: Fn(&str) -> Class<B> + Sync,
    K: RowSink,
    MK: Fn() -> K + Sync,
{
    check_lengths("codes", patient_ids.len(), codes.len())?;
    let n = codes.len();
    let size = n.div_ceil(threads.max(1)).max(1);
    let mut chunks: Vec<Result<Chunk<'a, B, K>>> = if threads <= 1 {
        vec![fold_chunk(patient_ids, codes, 0, &classify, make_sink())]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .step_by(size)
                .map(|start| {
                    let end = (start + size).min(n);
                    let (ids, cs) = (&patient_ids[start..end], &codes[start..end]);
                    let (classify, make_sink) = (&classify, &make_sink);
                    scope.spawn(move || fold_chunk(ids, cs, start, classify, make_sink()))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(CinError::invalid("a scoring thread failed")))
                })
                .collect()
        })
    };
    if chunks.is_empty() {
        chunks.push(fold_chunk(patient_ids, codes, 0, &classify, make_sink()));
    }
    let mut iter = chunks.into_iter();
    let first = iter
        .next()
        .unwrap_or_else(|| Err(CinError::invalid("no rows")))?;
    let Chunk {
        agg: mut out,
        mut patients,
        mut sink,
        unmatched,
    } = first;
    let mut unmatched_all: std::collections::HashSet<String> = unmatched.into_iter().collect();
    out.report.rows = n;
    for chunk in iter {
        let chunk = chunk?;
        let mut remap = Vec::with_capacity(chunk.agg.ids.len());
        for (local, id) in chunk.agg.ids.iter().enumerate() {
            let next = out.ids.len() as u32;
            let g = *patients.entry(id).or_insert(next);
            if g == next {
                out.ids.push(id);
                out.first_row.push(chunk.agg.first_row[local]);
                out.bits.push(chunk.agg.bits[local]);
            } else {
                out.bits[g as usize] |= chunk.agg.bits[local];
            }
            remap.push(g);
        }
        out.edited.extend(
            chunk
                .agg
                .edited
                .iter()
                .map(|&(p, e, b)| (remap[p as usize], e, b)),
        );
        let r = &chunk.agg.report;
        out.report.blank += r.blank;
        out.report.matched_rows += r.matched_rows;
        out.report.unmatched_rows += r.unmatched_rows;
        unmatched_all.extend(chunk.unmatched);
        sink.merge(chunk.sink, &remap)?;
    }
    out.report.unmatched_distinct = unmatched_all.len();
    Ok((out, sink))
}

/// Folds one contiguous chunk of rows starting at global row `offset`.
fn fold_chunk<'a, S, C, B, F, K>(
    patient_ids: &'a [S],
    codes: &[C],
    offset: usize,
    classify: &F,
    mut sink: K,
) -> Result<Chunk<'a, B, K>>
where
    S: AsRef<str>,
    C: AsRef<str>,
    B: Bits,
    F: Fn(&str) -> Class<B>,
    K: RowSink,
{
    let mut patients: MixMap<&'a str, u32> = MixMap::default();
    patients.reserve((codes.len() / 8).min(1 << 20));
    let mut raw_codes: MixMap<&str, Option<Class<B>>> = MixMap::default();
    let mut normalised: MixMap<String, Class<B>> = MixMap::default();
    let mut unmatched = Vec::new();
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
    for (local_row, (pid, code)) in patient_ids.iter().zip(codes).enumerate() {
        let row = offset + local_row;
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
        sink.row(row, p)?;
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
                            unmatched.push(n.clone());
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
    out.report.unmatched_distinct = unmatched.len();
    Ok(Chunk {
        agg: out,
        patients,
        sink,
        unmatched,
    })
}

/// Category bits per patient for the C ABI's indexed form: one code per row with the row's dense
/// patient index; `n_patients` bitsets, patients without rows stay 0. Mismatched lengths, an
/// index not below `n_patients` or an `n_patients` that cannot be allocated are `InvalidInput`
/// (never an abort: the sizes come from a C caller).
pub fn indexed_bits(
    map: &PrefixMap,
    codes: &[&str],
    patient_idx: &[u32],
    n_patients: usize,
) -> Result<Vec<u64>> {
    if codes.len() != patient_idx.len() {
        return Err(CinError::invalid(format!(
            "codes has {} rows but patient_idx has {}",
            codes.len(),
            patient_idx.len()
        )));
    }
    let mut cache: MixMap<&str, u64> = Default::default();
    let mut bits: Vec<u64> = Vec::new();
    bits.try_reserve_exact(n_patients).map_err(|_| {
        CinError::invalid(format!("n_patients {n_patients} is too large to allocate"))
    })?;
    bits.resize(n_patients, 0);
    for (row, (code, &p)) in codes.iter().zip(patient_idx).enumerate() {
        let slot = bits.get_mut(p as usize).ok_or_else(|| {
            CinError::invalid(format!(
                "row {row}: patient index {p} is not below n_patients {n_patients}"
            ))
        })?;
        let b = match cache.get(code) {
            Some(b) => *b,
            None => {
                let b = normalize_dx(code).map_or(0, |n| map.classify(&n));
                cache.insert(code, b);
                b
            }
        };
        *slot |= b;
    }
    Ok(bits)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(c: &str) -> Class<u64> {
        Class {
            bits: match c {
                "A1" => 1,
                "B2" => 2,
                "C3" => 4,
                _ => 0,
            },
            edit: u8::from(c == "E9"),
        }
    }

    #[test]
    fn chunks_merge_like_one_pass() {
        // Patients recur across chunk borders; order must stay first-seen.
        let ids = ["p1", "p2", "p1", "p3", "p2", "p4", "p1", "p3", "p5", "p2"];
        let codes = ["A1", "x", "B2", "C3", "E9", " ", "a.1", "zz", "zz", "C3"];
        let (one, _) = aggregate_threads(&ids, &codes, classify, || NoSink, 1).unwrap();
        for t in 2..=4 {
            let (many, _) = aggregate_threads(&ids, &codes, classify, || NoSink, t).unwrap();
            assert_eq!(many.ids, one.ids, "threads {t}");
            assert_eq!(many.bits, one.bits, "threads {t}");
            assert_eq!(many.first_row, one.first_row, "threads {t}");
            assert_eq!(many.edited, one.edited, "threads {t}");
            assert_eq!(many.report, one.report, "threads {t}");
        }
        assert_eq!(one.ids, ["p1", "p2", "p3", "p4", "p5"]);
        assert_eq!(one.bits, [3, 4, 4, 0, 0]);
        assert_eq!(one.edited, [(1, 1, 0)]);
        // x, zz unmatched (2 distinct, 3 rows), " " blank.
        assert_eq!(
            (
                one.report.blank,
                one.report.unmatched_rows,
                one.report.unmatched_distinct
            ),
            (1, 3, 2)
        );
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_dx(" e11.9 "), Some("E119".into()));
        assert_eq!(normalize_dx(" . "), None);
        assert_eq!(normalize_dx(""), None);
    }
}
