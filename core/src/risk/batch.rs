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
pub trait Bits: Copy + Default + Eq + std::hash::Hash + std::ops::BitOrAssign {}
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

/// The hierarchy rule every comorbidity index shares: for each `(severe, mild)` pair of masks,
/// in order, the milder form is dropped when the severe one is present.
pub(crate) fn drop_milder(bits: u64, pairs: &[(u64, u64)]) -> u64 {
    let mut b = bits;
    for &(severe, mild) in pairs {
        if b & severe != 0 {
            b &= !mild;
        }
    }
    b
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
    B: Bits + Send + Sync,
    F: Fn(&str) -> Class<B> + Sync,
{
    aggregate_with(patient_ids, codes, classify, || NoSink).map(|(a, _)| a)
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
    B: Bits + Send + Sync,
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

/// Chunk result: the aggregation, the chunk's patient index, its sink and the distinct
/// normalised codes that matched nothing.
struct Chunk<'a, B, K> {
    agg: Aggregated<'a, B>,
    patients: StrIndex<'a>,
    sink: K,
    unmatched: Vec<String>,
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
    B: Bits + Send + Sync,
    F: Fn(&str) -> Class<B> + Sync,
    K: RowSink,
    MK: Fn() -> K + Sync,
{
    check_lengths("codes", patient_ids.len(), codes.len())?;
    let n = codes.len();
    let size = n.div_ceil(threads.max(1)).max(1);
    let chunks: Vec<Result<Chunk<'a, B, K>>> = if threads <= 1 || n == 0 {
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
    let chunks = chunks.into_iter().collect::<Result<Vec<_>>>()?;
    merge_chunks(chunks, n, threads)
}

/// Where each patient of each chunk after the first was first seen: `(chunk << 32) | local`
/// in the earliest earlier chunk holding it, or [`NEW`]. The look-ups only read the earlier
/// chunks' indexes, so they run in parallel (each worker takes a slice of every chunk).
fn first_seen(chunks: &[&StrIndex<'_>], threads: usize) -> Vec<Vec<u64>> {
    let look = |k: usize, range: std::ops::Range<usize>| -> Vec<u64> {
        chunks[k].keys()[range]
            .iter()
            .map(|id| {
                chunks[..k]
                    .iter()
                    .enumerate()
                    .find_map(|(j, c)| c.get(id).map(|l| ((j as u64) << 32) | u64::from(l)))
                    .unwrap_or(NEW)
            })
            .collect()
    };
    let later = 1..chunks.len();
    let total: usize = later.clone().map(|k| chunks[k].len()).sum();
    if threads <= 1 || total < PARALLEL_MIN_ROWS / 4 {
        return later.map(|k| look(k, 0..chunks[k].len())).collect();
    }
    let parts: Vec<Vec<Vec<u64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let look = &look;
                let later = later.clone();
                scope.spawn(move || {
                    later
                        .map(|k| {
                            let m = chunks[k].len();
                            let per = m.div_ceil(threads);
                            look(k, (t * per).min(m)..((t + 1) * per).min(m))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    later
        .enumerate()
        .map(|(i, k)| {
            let v: Vec<u64> = parts
                .iter()
                .flat_map(|p| p.get(i).into_iter().flatten().copied())
                .collect();
            debug_assert_eq!(v.len(), chunks[k].len());
            v
        })
        .collect()
}

/// Marks a patient first seen in its own chunk.
const NEW: u64 = u64::MAX;

/// Merges chunk results in row order so that patients keep first-seen order.
fn merge_chunks<'a, B, K>(
    chunks: Vec<Chunk<'a, B, K>>,
    rows: usize,
    threads: usize,
) -> Result<(Aggregated<'a, B>, K)>
where
    B: Bits + Sync,
    K: RowSink,
{
    let indexes: Vec<&StrIndex<'a>> = chunks.iter().map(|c| &c.patients).collect();
    let seen = first_seen(&indexes, threads);
    drop(indexes);
    let mut iter = chunks.into_iter();
    let Some(first) = iter.next() else {
        return Err(CinError::invalid("no rows"));
    };
    let Chunk {
        agg: mut out,
        mut sink,
        unmatched,
        ..
    } = first;
    let mut unmatched_all: std::collections::HashSet<String> = unmatched.into_iter().collect();
    out.report.rows = rows;
    // remaps[k][local] = merged index; the first chunk's patients keep their indices.
    let mut remaps: Vec<Vec<u32>> = vec![(0..out.ids.len() as u32).collect()];
    for (chunk, seen) in iter.zip(seen) {
        let mut remap = Vec::with_capacity(chunk.agg.ids.len());
        for (local, s) in seen.into_iter().enumerate() {
            let g = if s == NEW {
                let g = out.ids.len() as u32;
                out.ids.push(chunk.agg.ids[local]);
                out.first_row.push(chunk.agg.first_row[local]);
                out.bits.push(chunk.agg.bits[local]);
                g
            } else {
                let g = remaps[(s >> 32) as usize][(s & 0xFFFF_FFFF) as usize];
                out.bits[g as usize] |= chunk.agg.bits[local];
                g
            };
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
        remaps.push(remap);
    }
    out.report.unmatched_distinct = unmatched_all.len();
    Ok((out, sink))
}

/// What a chunk knows about one distinct raw code: its class and how its rows are reported.
/// Kept small (16 bytes for Charlson/Elixhauser) because one is read per row and the whole
/// table of them should stay in the core's cache next to the code index.
#[derive(Clone, Copy)]
struct CodeInfo<B> {
    bits: B,
    edit: u8,
    kind: RowKind,
}

/// How a row counts in the [`CodeReport`]; the row loop tallies these in a local array.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum RowKind {
    Blank = 0,
    Matched = 1,
    Unmatched = 2,
}

/// Folds one contiguous chunk of rows starting at global row `offset`.
///
/// Each distinct raw code is normalised and classified once; a row then costs one look-up in a
/// small packed-key index, an OR and a counter increment. Patient ids are looked up only when
/// they differ from the previous row's, so input grouped by patient needs one look-up per
/// patient while shuffled input still works.
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
    let mut patients = StrIndex::with_capacity((codes.len() / 8).min(1 << 20));
    let mut raw_codes = StrIndex::with_capacity(4096);
    // Raw code id -> index into `classes`, the distinct (bits, edit, kind) values: a few
    // hundred at most, so the per-row reads stay in L1/L2 however many raw codes there are.
    let mut code_class: Vec<u32> = Vec::with_capacity(4096);
    let mut classes: Vec<CodeInfo<B>> = Vec::new();
    let mut class_ids: MixMap<(B, u8, u8), u32> = MixMap::default();
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
    // Pass 1, patients: the rows split into runs of one patient id, each looked up once. Two
    // simple loops keep more rows in flight in the core than one loop doing both.
    let mut runs: Vec<(u32, u32)> = Vec::with_capacity((codes.len() / 4).min(1 << 22));
    let mut last: Option<&str> = None;
    let mut bad_id_row = None;
    // Look-ups in the last block of rows; many of them mean the rows are not grouped.
    let (mut block_end, mut lookups) = (0, 0);
    for (local_row, pid) in patient_ids.iter().enumerate() {
        if local_row == block_end {
            let scattered = lookups * 4 > WARM_BLOCK;
            block_end = (local_row + WARM_BLOCK).min(patient_ids.len());
            lookups = 0;
            if scattered {
                warm_patients(&patients, &patient_ids[local_row..block_end]);
            }
        }
        let pid = pid.as_ref();
        if last.is_some_and(|prev| same_str(prev, pid)) {
            continue;
        }
        lookups += 1;
        let key = pid.trim();
        if key.is_empty() {
            bad_id_row = Some(local_row);
            break;
        }
        let (idx, new) = patients.insert(key);
        if new {
            out.first_row.push(offset + local_row);
            out.bits.push(zero);
        }
        runs.push((local_row as u32, idx));
        last = Some(pid);
    }
    // Pass 2, codes: each run's rows ORed into one accumulator. Rows before an empty patient
    // id are folded first, so an error the sink finds there is still the one reported.
    let folded = bad_id_row.unwrap_or(codes.len());
    let mut kinds = [0usize; 3];
    for (r, &(start, p)) in runs.iter().enumerate() {
        let end = runs.get(r + 1).map_or(folded, |next| next.0 as usize);
        let mut acc = zero;
        for (local_row, code) in codes.iter().enumerate().take(end).skip(start as usize) {
            sink.row(offset + local_row, p)?;
            let code = code.as_ref();
            let (cid, new) = raw_codes.insert(code);
            if new {
                let info = classify_raw(code, classify, &mut normalised, &mut unmatched);
                let next = classes.len() as u32;
                let k = *class_ids
                    .entry((info.bits, info.edit, info.kind as u8))
                    .or_insert(next);
                if k == next {
                    classes.push(info);
                }
                code_class.push(k);
            }
            let info = classes[code_class[cid as usize] as usize];
            kinds[info.kind as usize] += 1;
            if info.edit == 0 {
                acc |= info.bits;
            } else {
                out.edited.push((p, info.edit, info.bits));
            }
        }
        out.bits[p as usize] |= acc;
    }
    if let Some(row) = bad_id_row {
        return Err(CinError::invalid(format!(
            "row {}: empty patient id",
            offset + row
        )));
    }
    out.report.blank = kinds[RowKind::Blank as usize];
    out.report.matched_rows = kinds[RowKind::Matched as usize];
    out.report.unmatched_rows = kinds[RowKind::Unmatched as usize];
    out.ids = patients.keys().to_vec();
    out.report.unmatched_distinct = unmatched.len();
    Ok(Chunk {
        agg: out,
        patients,
        sink,
        unmatched,
    })
}

/// Rows per block of the row loop (see [`warm_patients`]).
const WARM_BLOCK: usize = 256;

/// Reads the index slots of a block's patients before the row loop reaches them, when the rows
/// are not grouped by patient (every row then looks up a random slot of a large index). The
/// reads are independent of each other, so their cache and TLB misses overlap instead of
/// stalling the row loop one at a time; grouped input skips this (one look-up per patient).
fn warm_patients<S: AsRef<str>>(patients: &StrIndex<'_>, block: &[S]) {
    let touched = block
        .iter()
        .fold(0u64, |acc, pid| acc ^ patients.touch(pid.as_ref().trim()));
    std::hint::black_box(touched);
}

/// Normalises and classifies a raw code seen for the first time in a chunk; raw spellings of
/// the same code (`e11.9`, `E119 `) share one classification.
fn classify_raw<B: Bits, F: Fn(&str) -> Class<B>>(
    raw: &str,
    classify: &F,
    normalised: &mut MixMap<String, Class<B>>,
    unmatched: &mut Vec<String>,
) -> CodeInfo<B> {
    let zero = B::default();
    let Some(n) = normalize_dx(raw) else {
        return CodeInfo {
            bits: zero,
            edit: 0,
            kind: RowKind::Blank,
        };
    };
    let class = if let Some(c) = normalised.get(&n) {
        *c
    } else {
        let c = classify(&n);
        if c.bits == zero && c.edit == 0 {
            unmatched.push(n.clone());
        }
        normalised.insert(n, c);
        c
    };
    let matched = class.edit != 0 || class.bits != zero;
    CodeInfo {
        bits: class.bits,
        edit: class.edit,
        kind: if matched {
            RowKind::Matched
        } else {
            RowKind::Unmatched
        },
    }
}

/// Open-addressing index from strings to dense ids in first-insert order.
///
/// Strings of up to 16 bytes live packed in the slot (two overlapping little-endian reads plus
/// the length identify them exactly), so a probe is a few integer compares with no pointer chase
/// and no `memcmp`; longer strings keep two hash words in the slot and are compared in full.
/// Raw codes (a few thousand distinct, looked up on every row) and patient ids (looked up once
/// per run of equal ids) are this short in practice.
pub struct StrIndex<'a> {
    slots: Vec<Slot>,
    keys: Vec<&'a str>,
    /// `64 - log2(slots.len())`: the slot of a hash is its top bits.
    shift: u32,
}

#[derive(Clone, Copy)]
struct Slot {
    a: u64,
    b: u64,
    len: u32,
    /// [`EMPTY`] for a free slot.
    id: u32,
}

const EMPTY: u32 = u32::MAX;
const EMPTY_SLOT: Slot = Slot {
    a: 0,
    b: 0,
    len: 0,
    id: EMPTY,
};

#[inline]
fn read8(s: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(
        s.get(at..at + 8)
            .and_then(|w| w.try_into().ok())
            .unwrap_or([0; 8]),
    )
}

#[inline]
fn read4(s: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(
        s.get(at..at + 4)
            .and_then(|w| w.try_into().ok())
            .unwrap_or([0; 4]),
    ))
}

/// 64x64 -> 128-bit multiply folded to 64 bits: a cheap, well-mixing combine of two words.
#[inline]
fn mum(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// The slot words of a string: exact content for up to 16 bytes, two hashes beyond.
#[inline]
fn pack(s: &[u8]) -> (u64, u64) {
    let n = s.len();
    if n >= 8 {
        if n <= 16 {
            (read8(s, 0), read8(s, n - 8))
        } else {
            let mut h = 0x243F_6A88_85A3_08D3u64;
            let mut chunks = s.chunks_exact(8);
            for c in &mut chunks {
                h = mum(h ^ read8(c, 0), 0x9E37_79B9_7F4A_7C15);
            }
            let tail = read8(s, n - 8);
            (
                mum(h ^ tail, 0xA076_1D64_78BD_642F),
                mum(h ^ tail, 0xE703_7ED1_A0B4_28DB),
            )
        }
    } else if n >= 4 {
        (read4(s, 0), read4(s, n - 4))
    } else if n > 0 {
        let b = |i: usize| u64::from(s[i]);
        (b(0) | (b(n / 2) << 8) | (b(n - 1) << 16), 0)
    } else {
        (0, 0)
    }
}

/// Equality of two strings without a `memcmp` call for short ones (the per-row check of
/// whether a row continues the previous row's patient).
#[inline]
pub fn same_str(x: &str, y: &str) -> bool {
    x.len() == y.len()
        && if x.len() <= 16 {
            pack(x.as_bytes()) == pack(y.as_bytes())
        } else {
            x == y
        }
}

impl<'a> StrIndex<'a> {
    /// An index sized for about `expected` distinct strings without growing.
    pub fn with_capacity(expected: usize) -> Self {
        let n = (expected.max(8) * 3 / 2).next_power_of_two();
        StrIndex {
            slots: vec![EMPTY_SLOT; n],
            keys: Vec::with_capacity(expected),
            shift: 64 - n.trailing_zeros(),
        }
    }

    /// Distinct strings in first-insert order (id = position).
    pub fn keys(&self) -> &[&'a str] {
        &self.keys
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    #[inline]
    fn home(&self, a: u64, b: u64, len: u32) -> usize {
        let h = mum(
            a ^ 0x8BB8_4B93_962E_ACC9,
            b ^ 0x4B33_A62E_D433_D4A3 ^ u64::from(len),
        );
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// `Ok(id)` when present, else `Err(free slot)` where it would go.
    #[inline]
    fn find(&self, s: &str) -> (u64, u64, u32, std::result::Result<u32, usize>) {
        let (a, b) = pack(s.as_bytes());
        let len = s.len() as u32;
        let mask = self.slots.len() - 1;
        let mut i = self.home(a, b, len);
        loop {
            let slot = self.slots[i];
            if slot.id == EMPTY {
                return (a, b, len, Err(i));
            }
            if slot.a == a
                && slot.b == b
                && slot.len == len
                && (len <= 16 || self.keys[slot.id as usize] == s)
            {
                return (a, b, len, Ok(slot.id));
            }
            i = (i + 1) & mask;
        }
    }

    /// Reads the home slot of `s` to bring it into the cache; the value means nothing.
    #[inline]
    pub fn touch(&self, s: &str) -> u64 {
        let (a, b) = pack(s.as_bytes());
        self.slots[self.home(a, b, s.len() as u32)].a
    }

    /// Id of `s` if it was inserted.
    #[inline]
    pub fn get(&self, s: &str) -> Option<u32> {
        self.find(s).3.ok()
    }

    /// Id of `s` and whether it was inserted just now.
    #[inline]
    pub fn insert(&mut self, s: &'a str) -> (u32, bool) {
        match self.find(s) {
            (_, _, _, Ok(id)) => (id, false),
            (a, b, len, Err(i)) => {
                let id = self.keys.len() as u32;
                self.slots[i] = Slot { a, b, len, id };
                self.keys.push(s);
                // Grow past 80 % load: linear probing stays short and a few thousand codes
                // keep a table small enough for the core's L2 cache.
                if self.keys.len() * 5 > self.slots.len() * 4 {
                    self.grow();
                }
                (id, true)
            }
        }
    }

    /// Doubles the slots, re-placing every entry from its slot words (no re-hash of strings).
    fn grow(&mut self) {
        let doubled = vec![EMPTY_SLOT; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.shift -= 1;
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.id != EMPTY) {
            let mut i = self.home(slot.a, slot.b, slot.len);
            while self.slots[i].id != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }
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
    let mut cache = StrIndex::with_capacity(4096);
    let mut cached_bits: Vec<u64> = Vec::with_capacity(4096);
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
        let (id, new) = cache.insert(code);
        if new {
            cached_bits.push(normalize_dx(code).map_or(0, |n| map.classify(&n)));
        }
        *slot |= cached_bits[id as usize];
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
    fn str_index_is_exact_across_lengths_and_growth() {
        // Strings that agree in their packed words but not in content or length must differ:
        // zero padding, overlapping reads (lengths 4-7, 9-16) and long strings sharing a tail.
        let mut words: Vec<String> = vec![
            "".into(),
            "A".into(),
            "A\0".into(),
            "\0A".into(),
            "ABA".into(),
            "AAB".into(),
            "ABCDE".into(),
            "ABCDDE".into(),
            "P0000001".into(),
            "P000000001".into(),
            "x".repeat(17),
            format!("y{}", "x".repeat(16)),
            format!("{}z", "x".repeat(40)),
        ];
        words.extend((0..5000).map(|i| format!("P{i:08}")));
        words.extend((0..500).map(|i| format!("long-patient-identifier-{i}")));
        let mut ix = StrIndex::with_capacity(4);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(ix.insert(w), (i as u32, true), "{w:?}");
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(ix.insert(w), (i as u32, false), "{w:?}");
            assert_eq!(ix.get(w.as_str()), Some(i as u32));
        }
        assert_eq!(ix.get("P99999999"), None);
        assert_eq!(ix.keys().len(), words.len());
        assert!(same_str("P00000001", "P00000001") && !same_str("P00000001", "P00000002"));
        assert!(!same_str("A", "A\0") && same_str(&"q".repeat(20), &"q".repeat(20)));
    }

    /// Reference fold: a plain map per patient in one pass, no chunks, no caches.
    fn reference(ids: &[String], codes: &[String]) -> (Vec<String>, Vec<u64>, CodeReport) {
        let mut order: Vec<String> = Vec::new();
        let mut bits: std::collections::HashMap<String, u64> = Default::default();
        let mut report = CodeReport {
            rows: ids.len(),
            ..CodeReport::default()
        };
        let mut unmatched = std::collections::HashSet::new();
        for (id, code) in ids.iter().zip(codes) {
            let id = id.trim().to_string();
            if !bits.contains_key(&id) {
                order.push(id.clone());
            }
            let slot = bits.entry(id).or_default();
            match normalize_dx(code) {
                None => report.blank += 1,
                Some(n) => {
                    let c = classify(&n);
                    if c.edit != 0 {
                        report.matched_rows += 1;
                    } else if c.bits == 0 {
                        report.unmatched_rows += 1;
                        unmatched.insert(n);
                    } else {
                        report.matched_rows += 1;
                        *slot |= c.bits;
                    }
                }
            }
        }
        report.unmatched_distinct = unmatched.len();
        let b = order.iter().map(|id| bits[id]).collect();
        (order, b, report)
    }

    #[test]
    fn shuffled_duplicated_rows_match_a_plain_fold() {
        // 3,000 patients (short ids, padded ids and ids over 16 bytes) x 1-12 codes with
        // duplicates, shuffled with a fixed LCG; every thread count must match the reference.
        let mut state = 7u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % n
        };
        let pool = ["A1", "a.1", "B2", "C3", " c3 ", "E9", "zz", "", " ", "Q7"];
        let mut rows: Vec<(String, String)> = Vec::new();
        for p in 0..3000 {
            let id = match p % 3 {
                0 => format!("P{p:08}"),
                1 => format!(" a-much-longer-patient-id-{p} "),
                _ => format!("{p}"),
            };
            for _ in 0..1 + next(12) {
                rows.push((id.clone(), pool[next(pool.len())].to_string()));
            }
        }
        for i in (1..rows.len()).rev() {
            rows.swap(i, next(i + 1));
        }
        let (ids, codes): (Vec<String>, Vec<String>) = rows.into_iter().unzip();
        let (want_ids, want_bits, want_report) = reference(&ids, &codes);
        for t in [1, 2, 3, 8] {
            let (got, _) = aggregate_threads(&ids, &codes, classify, || NoSink, t).unwrap();
            assert_eq!(got.ids, want_ids, "threads {t}");
            assert_eq!(got.bits, want_bits, "threads {t}");
            assert_eq!(got.report, want_report, "threads {t}");
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_dx(" e11.9 "), Some("E119".into()));
        assert_eq!(normalize_dx(" . "), None);
        assert_eq!(normalize_dx(""), None);
    }
}
