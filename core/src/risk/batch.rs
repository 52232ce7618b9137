//! Shared machinery of the columnar scoring functions: long-format rows (patient id, code) in
//! any order, duplicates allowed, are folded into one bitset per patient.
//!
//! Each distinct raw code is classified once (hash map raw code -> category bits); a row then
//! costs one look-up in a small index of raw codes and an OR into its run's accumulator. Runs
//! (consecutive rows of one patient id) are grouped into patients by hash partition, and patients
//! get dense indices in first-seen order.

use crate::error::{CinError, Result};
use crate::str_column::StrColumn;
use crate::table::Text;
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
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(23) ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
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
pub struct Aggregated<B> {
    /// Patient ids in first-seen order (trimmed), as the output column they become.
    pub ids: Text,
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

/// Per-row side data a score gathers besides the codes (e.g. CMS-HCC demographics from
/// row-aligned columns). It is told, once patients are known, which rows belong to which
/// patient, in row order, so it reads its columns once and finds conflicts in row order.
pub trait RowSink: Sized {
    /// Whether the sink needs its rows at all (telling them costs a pass over every run).
    const NEEDS_ROWS: bool;
    /// Folds rows into `patients` patients (first-seen order).
    fn finish(&mut self, runs: impl Runs, patients: usize) -> Result<()>;
}

/// Each block of consecutive rows of one patient, `(rows, patient)`, in row order; it can be
/// walked again (e.g. to name the earlier row of a conflict) and by several workers.
pub trait Runs: Iterator<Item = (std::ops::Range<usize>, u32)> + Clone + Send + Sync {}
impl<I: Iterator<Item = (std::ops::Range<usize>, u32)> + Clone + Send + Sync> Runs for I {}

/// A sink that keeps nothing.
pub struct NoSink;
impl RowSink for NoSink {
    const NEEDS_ROWS: bool = false;
    fn finish(&mut self, _: impl Runs, _: usize) -> Result<()> {
        Ok(())
    }
}

/// Runs `work` on `0..n` cut into `threads` contiguous ranges, one scoped thread each (on the
/// calling thread when `threads <= 1`); results in range order.
pub(crate) fn on_ranges<T: Send>(
    n: usize,
    threads: usize,
    work: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Result<Vec<T>> {
    on_ranges_with(n, threads, |_| (), |rows, ()| work(rows))
}

/// [`on_ranges`] where each range's buffers are made by `prepare` on the calling thread first:
/// memory a worker allocates stays with that thread's allocator arena after it ends, where the
/// calling thread cannot reuse it, so buffers that outlive the workers are made here.
pub(crate) fn on_ranges_with<S: Send, T: Send>(
    n: usize,
    threads: usize,
    mut prepare: impl FnMut(std::ops::Range<usize>) -> S,
    work: impl Fn(std::ops::Range<usize>, S) -> T + Sync,
) -> Result<Vec<T>> {
    if threads <= 1 || n == 0 {
        let state = prepare(0..n);
        return Ok(vec![work(0..n, state)]);
    }
    let per = n.div_ceil(threads);
    let ranges: Vec<_> = (0..n).step_by(per).map(|s| s..(s + per).min(n)).collect();
    let states: Vec<S> = ranges.iter().map(|r| prepare(r.clone())).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .into_iter()
            .zip(states)
            .map(|(rows, state)| {
                let work = &work;
                scope.spawn(move || work(rows, state))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| CinError::invalid("a scoring thread failed"))
            })
            .collect()
    })
}

/// Below this many rows one thread does the work.
const PARALLEL_MIN_ROWS: usize = 200_000;

/// Folds rows into per-patient bitsets. `classify` sees each distinct normalised code once per
/// worker thread.
pub fn aggregate<P, C, B, F>(patient_ids: &P, codes: &C, classify: F) -> Result<Aggregated<B>>
where
    P: StrColumn + ?Sized,
    C: StrColumn + ?Sized,
    B: Bits + Send + Sync,
    F: Fn(&str) -> Class<B> + Sync,
{
    aggregate_with(patient_ids, codes, classify, NoSink).map(|(a, _)| a)
}

/// [`aggregate`] with a [`RowSink`]; rows are split into contiguous chunks folded in parallel
/// (up to the available cores), then merged so that patients keep first-seen order.
pub fn aggregate_with<P, C, B, F, K>(
    patient_ids: &P,
    codes: &C,
    classify: F,
    sink: K,
) -> Result<(Aggregated<B>, K)>
where
    P: StrColumn + ?Sized,
    C: StrColumn + ?Sized,
    B: Bits + Send + Sync,
    F: Fn(&str) -> Class<B> + Sync,
    K: RowSink,
{
    let threads = if codes.rows() < PARALLEL_MIN_ROWS {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(8))
    };
    let bits = partition_bits(codes.rows());
    aggregate_threads(patient_ids, codes, classify, sink, threads, bits)
}

/// One run of rows with the same patient id, as the grouping step sees it: the id's slot words
/// (exact content up to 16 bytes, see [`pack`]), the run's number in its chunk and the OR of
/// its rows' category bits.
#[derive(Clone, Copy)]
struct RunKey<B> {
    a: u64,
    b: u64,
    len: u32,
    run: u32,
    bits: B,
}

/// Hash of an id's slot words: its top bits pick the partition, the next ones the slot.
#[inline]
fn key_hash(a: u64, b: u64, len: u32) -> u64 {
    mum(
        a ^ 0x8BB8_4B93_962E_ACC9,
        b ^ 0x4B33_A62E_D433_D4A3 ^ u64::from(len),
    )
    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// What one worker made of its chunk of rows.
struct Chunk<B> {
    /// Global row of the chunk's first row.
    offset: usize,
    /// Chunk-local first row of each run.
    run_starts: Vec<u32>,
    /// The runs, spread over partitions by their id's hash.
    parts: Vec<Vec<RunKey<B>>>,
    /// Rows with an edit group: (run, edit group, bits).
    edited: Vec<(u32, u8, B)>,
    /// Rows per [`RowKind`].
    kinds: [usize; 3],
    /// Global row where folding stopped: the chunk's end, or its first empty patient id.
    end: usize,
    /// Whether folding stopped at an empty patient id.
    bad_id: bool,
    unmatched: Vec<String>,
}

/// Partitions for `rows` rows: a partition's patients then fit in the core's L2 cache while
/// they are grouped (about a thousand each at 10M rows), instead of every patient costing a
/// cache and TLB miss in one table of them all.
fn partition_bits(rows: usize) -> u32 {
    (rows / 8192).max(1).ilog2().min(10)
}

/// [`aggregate_with`] on exactly `threads` chunks (1 = sequential) and `2^bits` hash partitions.
///
/// Each worker folds its rows into runs (consecutive rows of one id: one accumulator each, so
/// input grouped by patient costs one id hash per patient) and files each run under a hash
/// partition. Partitions are then grouped independently, on all workers, in small tables that
/// stay in cache; patients are numbered by their first run, which is first-seen order.
pub fn aggregate_threads<P, C, B, F, K>(
    patient_ids: &P,
    codes: &C,
    classify: F,
    sink: K,
    threads: usize,
    bits: u32,
) -> Result<(Aggregated<B>, K)>
where
    P: StrColumn + ?Sized,
    C: StrColumn + ?Sized,
    B: Bits + Send + Sync,
    F: Fn(&str) -> Class<B> + Sync,
    K: RowSink,
{
    check_lengths("codes", patient_ids.rows(), codes.rows())?;
    let n = codes.rows();
    let mut chunks = on_ranges_with(
        n,
        threads,
        |rows| RunBuffers::new(patient_ids, rows, bits),
        |rows, buffers| fold_chunk(patient_ids, codes, rows, &classify, buffers),
    )?;
    // Rows after an empty patient id were not folded; neither are later chunks.
    if let Some(bad) = chunks.iter().position(|c| c.bad_id) {
        chunks.truncate(bad + 1);
    }
    merge_chunks(patient_ids, chunks, sink, n, threads)
}

/// The groups (patients) of one partition: each group's first run as (chunk, run) and the OR
/// of its runs' bits, groups in first-seen order; with `keep_entries`, the group of each entry
/// (chunk by chunk, in entry order).
struct PartGroups<B> {
    heads: Vec<(u32, u32)>,
    bits: Vec<B>,
    entry_group: Vec<u32>,
}

impl<B> PartGroups<B> {
    /// Room for partition `p`'s groups (at most one per entry), made before the workers start
    /// (see [`on_ranges_with`]); `entry_group` only when `keep_entries`.
    fn for_partition(chunks: &[Chunk<B>], p: usize, keep_entries: bool) -> Self {
        let entries = partition_entries(chunks, p);
        PartGroups {
            heads: Vec::with_capacity(entries),
            bits: Vec::with_capacity(entries),
            entry_group: Vec::with_capacity(if keep_entries { entries } else { 0 }),
        }
    }
}

/// Runs filed under partition `p`, over all chunks.
fn partition_entries<B>(chunks: &[Chunk<B>], p: usize) -> usize {
    chunks.iter().map(|c| c.parts[p].len()).sum()
}

/// Groups one partition's runs by patient id in a table sized to the partition.
fn group_partition<P: StrColumn + ?Sized, B: Bits>(
    p: usize,
    part_bits: u32,
    chunks: &[Chunk<B>],
    patient_ids: &P,
    mut out: PartGroups<B>,
    keep_entries: bool,
) -> PartGroups<B> {
    let entries = partition_entries(chunks, p);
    let id_of = |c: u32, run: u32| -> &str {
        let chunk = &chunks[c as usize];
        patient_ids
            .str_at(chunk.offset + chunk.run_starts[run as usize] as usize)
            .trim()
    };
    let mut table_bits = (entries.max(8) * 2).next_power_of_two().ilog2().min(16);
    let mut slots = vec![EMPTY_SLOT; 1 << table_bits];
    let slot_of = |h: u64, table_bits: u32| ((h << part_bits) >> (64 - table_bits)) as usize;
    for (c, chunk) in chunks.iter().enumerate() {
        for e in &chunk.parts[p] {
            let mask = slots.len() - 1;
            let mut i = slot_of(key_hash(e.a, e.b, e.len), table_bits);
            let g = loop {
                let s = slots[i];
                if s.id == EMPTY {
                    let g = out.heads.len() as u32;
                    slots[i] = Slot {
                        a: e.a,
                        b: e.b,
                        len: e.len,
                        id: g,
                    };
                    out.heads.push((c as u32, e.run));
                    out.bits.push(e.bits);
                    break g;
                }
                if s.a == e.a && s.b == e.b && s.len == e.len && {
                    let (hc, hr) = out.heads[s.id as usize];
                    e.len <= 16 || id_of(hc, hr) == id_of(c as u32, e.run)
                } {
                    out.bits[s.id as usize] |= e.bits;
                    break s.id;
                }
                i = (i + 1) & mask;
            };
            if keep_entries {
                out.entry_group.push(g);
            }
            // Keep the table at most half full.
            if out.heads.len() * 2 > slots.len() {
                table_bits += 1;
                let old = std::mem::replace(&mut slots, vec![EMPTY_SLOT; 1 << table_bits]);
                let mask = slots.len() - 1;
                for s in old.into_iter().filter(|s| s.id != EMPTY) {
                    let mut i = slot_of(key_hash(s.a, s.b, s.len), table_bits);
                    while slots[i].id != EMPTY {
                        i = (i + 1) & mask;
                    }
                    slots[i] = s;
                }
            }
        }
    }
    out
}

/// Groups every partition (partitions split over `threads` workers), numbers patients by their
/// first run and gathers ids, bits, edited rows, the sink and the report.
fn merge_chunks<P, B, K>(
    patient_ids: &P,
    chunks: Vec<Chunk<B>>,
    mut sink: K,
    rows: usize,
    threads: usize,
) -> Result<(Aggregated<B>, K)>
where
    P: StrColumn + ?Sized,
    B: Bits + Send + Sync,
    K: RowSink,
{
    let n_parts = chunks.first().map_or(0, |c| c.parts.len());
    let part_bits = n_parts.max(1).ilog2();
    let keep_entries = K::NEEDS_ROWS || chunks.iter().any(|c| !c.edited.is_empty());
    let prepare = |range: std::ops::Range<usize>| -> Vec<PartGroups<B>> {
        range
            .map(|p| PartGroups::for_partition(&chunks, p, keep_entries))
            .collect()
    };
    let group = |range: std::ops::Range<usize>, room: Vec<PartGroups<B>>| -> Vec<PartGroups<B>> {
        range
            .zip(room)
            .map(|(p, out)| group_partition(p, part_bits, &chunks, patient_ids, out, keep_entries))
            .collect()
    };
    let parts: Vec<PartGroups<B>> = on_ranges_with(n_parts, threads, prepare, group)?
        .into_iter()
        .flatten()
        .collect();
    // Global run numbers: chunk k's runs follow chunk k-1's.
    let mut run_base = Vec::with_capacity(chunks.len());
    let mut total_runs = 0usize;
    for c in &chunks {
        run_base.push(total_runs);
        total_runs += c.run_starts.len();
    }
    // Patients in first-seen order: mark each group at its first run, then walk the runs.
    let mut group_base = Vec::with_capacity(parts.len());
    let mut groups = 0usize;
    for p in &parts {
        group_base.push(groups);
        groups += p.heads.len();
    }
    const NONE: u32 = u32::MAX;
    let mut group_at_run = vec![NONE; total_runs];
    for (p, part) in parts.iter().enumerate() {
        for (g, &(c, r)) in part.heads.iter().enumerate() {
            group_at_run[run_base[c as usize] + r as usize] = (group_base[p] + g) as u32;
        }
    }
    let all_bits: Vec<B> = parts.iter().flat_map(|p| p.bits.iter().copied()).collect();
    let mut patient_of_group = vec![0u32; if keep_entries { groups } else { 0 }];
    let mut out = Aggregated {
        ids: Text::with_capacity(groups, 0),
        bits: Vec::with_capacity(groups),
        edited: Vec::new(),
        report: CodeReport {
            rows,
            ..CodeReport::default()
        },
    };
    let mut run = 0usize;
    for chunk in &chunks {
        for &start in &chunk.run_starts {
            let g = group_at_run[run];
            run += 1;
            if g == NONE {
                continue;
            }
            if keep_entries {
                patient_of_group[g as usize] = out.ids.len() as u32;
            }
            let row = chunk.offset + start as usize;
            out.ids.push(patient_ids.str_at(row).trim());
            out.bits.push(all_bits[g as usize]);
        }
    }
    drop(group_at_run);
    // The patient of every run, for edited rows and sinks that need their rows.
    let mut patient_of_run = Vec::new();
    if keep_entries {
        patient_of_run = vec![0u32; total_runs];
        for (p, part) in parts.iter().enumerate() {
            let mut groups_of_entries = part.entry_group.iter();
            for (c, chunk) in chunks.iter().enumerate() {
                for (e, &g) in chunk.parts[p].iter().zip(&mut groups_of_entries) {
                    patient_of_run[run_base[c] + e.run as usize] =
                        patient_of_group[group_base[p] + g as usize];
                }
            }
        }
    }
    if K::NEEDS_ROWS {
        let rows_of_runs = chunks.iter().flat_map(|chunk| {
            let ends = chunk
                .run_starts
                .iter()
                .skip(1)
                .map(|&r| chunk.offset + r as usize);
            chunk
                .run_starts
                .iter()
                .zip(ends.chain(std::iter::once(chunk.end)))
                .map(|(&start, end)| chunk.offset + start as usize..end)
        });
        sink.finish(
            rows_of_runs.zip(patient_of_run.iter().copied()),
            out.ids.len(),
        )?;
    }
    let mut unmatched_all: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut bad_id_row = None;
    for (c, chunk) in chunks.into_iter().enumerate() {
        out.edited.extend(
            chunk
                .edited
                .iter()
                .map(|&(r, e, b)| (patient_of_run[run_base[c] + r as usize], e, b)),
        );
        out.report.blank += chunk.kinds[RowKind::Blank as usize];
        out.report.matched_rows += chunk.kinds[RowKind::Matched as usize];
        out.report.unmatched_rows += chunk.kinds[RowKind::Unmatched as usize];
        unmatched_all.extend(chunk.unmatched);
        if chunk.bad_id {
            bad_id_row = Some(chunk.end);
        }
    }
    out.report.unmatched_distinct = unmatched_all.len();
    if let Some(row) = bad_id_row {
        return Err(CinError::invalid(format!("row {row}: empty patient id")));
    }
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

/// Folds one contiguous chunk of rows into runs.
///
/// Each distinct raw code is normalised and classified once; a row then costs one look-up in a
/// small index of raw codes, an OR and a counter increment. A row whose id differs from the
/// previous row's closes the run: its id is packed and hashed once and the run is filed under
/// its partition, so grouped input costs one id hash per patient and shuffled input still works.
fn fold_chunk<P, C, B, F>(
    patient_ids: &P,
    codes: &C,
    rows: std::ops::Range<usize>,
    classify: &F,
    buffers: RunBuffers<B>,
) -> Chunk<B>
where
    P: StrColumn + ?Sized,
    C: StrColumn + ?Sized,
    B: Bits,
    F: Fn(&str) -> Class<B>,
{
    let offset = rows.start;
    let RunBuffers {
        mut parts,
        mut run_starts,
        part_bits,
    } = buffers;
    // Raw code -> index into `classes`, the distinct (bits, edit, kind) values: a few hundred
    // at most, so the per-row reads stay in L1/L2 however many raw codes there are.
    let mut raw_codes = CodeMap::with_capacity(4096);
    let mut classes: Vec<CodeInfo<B>> = Vec::new();
    let mut class_ids: MixMap<(B, u8, u8), u32> = MixMap::default();
    let mut normalised: MixMap<String, Class<B>> = MixMap::default();
    let mut unmatched = Vec::new();
    let mut edited = Vec::new();
    let mut kinds = [0usize; 3];
    let mut bad_id_row = None;
    let zero = B::default();
    let file = |parts: &mut Vec<Vec<RunKey<B>>>, key: RunKey<B>| {
        let h = key_hash(key.a, key.b, key.len);
        let p = if part_bits == 0 {
            0
        } else {
            (h >> (64 - part_bits)) as usize
        };
        parts[p].push(key);
    };
    let mut open: Option<RunKey<B>> = None;
    let mut last: Option<&[u8]> = None;
    let mut run = 0u32;
    let mut acc = zero;
    // Rows are read as bytes (checked UTF-8 when the column was made); a `&str` is made once
    // per run for the id and once per distinct code, not per row.
    for row in rows.clone() {
        let (pid, code) = (patient_ids.bytes_at(row), codes.bytes_at(row));
        if !last.is_some_and(|prev| same_bytes(prev, pid)) {
            let key = patient_ids.str_at(row).trim();
            if key.is_empty() {
                bad_id_row = Some(row);
                break;
            }
            if let Some(done) = open.take() {
                file(&mut parts, RunKey { bits: acc, ..done });
            }
            acc = zero;
            run = run_starts.len() as u32;
            run_starts.push((row - offset) as u32);
            let (a, b) = pack(key.as_bytes());
            open = Some(RunKey {
                a,
                b,
                len: key.len() as u32,
                run,
                bits: zero,
            });
            last = Some(pid);
        }
        let k = raw_codes.get_or_insert_with(code, || {
            let code = codes.str_at(row);
            let info = classify_raw(code, classify, &mut normalised, &mut unmatched);
            let next = classes.len() as u32;
            let k = *class_ids
                .entry((info.bits, info.edit, info.kind as u8))
                .or_insert(next);
            if k == next {
                classes.push(info);
            }
            k
        });
        let info = classes[k as usize];
        kinds[info.kind as usize] += 1;
        if info.edit == 0 {
            acc |= info.bits;
        } else {
            edited.push((run, info.edit, info.bits));
        }
    }
    if let Some(done) = open.take() {
        file(&mut parts, RunKey { bits: acc, ..done });
    }
    Chunk {
        offset,
        run_starts,
        parts,
        edited,
        kinds,
        end: bad_id_row.unwrap_or(rows.end),
        bad_id: bad_id_row.is_some(),
        unmatched,
    }
}

/// A chunk's run lists, sized from [`estimate_runs`] (made before its worker starts, see
/// [`on_ranges_with`]).
struct RunBuffers<B> {
    parts: Vec<Vec<RunKey<B>>>,
    run_starts: Vec<u32>,
    part_bits: u32,
}

impl<B> RunBuffers<B> {
    fn new<P: StrColumn + ?Sized>(ids: &P, rows: std::ops::Range<usize>, part_bits: u32) -> Self {
        let n_parts = 1usize << part_bits;
        let runs = estimate_runs(ids, rows);
        let per_part = runs / n_parts + runs / n_parts / 8 + 4;
        RunBuffers {
            parts: (0..n_parts).map(|_| Vec::with_capacity(per_part)).collect(),
            run_starts: Vec::with_capacity(runs),
            part_bits,
        }
    }
}

/// Runs (id changes) expected in `ids`, from its first 4,096 rows: partitions are sized from
/// this so that they rarely grow (a grown vector is copied, and shuffled input files a run per
/// row).
fn estimate_runs<P: StrColumn + ?Sized>(ids: &P, rows: std::ops::Range<usize>) -> usize {
    let sample = rows.start..rows.end.min(rows.start + 4096);
    let changes = sample
        .clone()
        .skip(1)
        .filter(|&r| !same_bytes(ids.bytes_at(r - 1), ids.bytes_at(r)))
        .count()
        + 1;
    if sample.len() == rows.len() {
        changes
    } else {
        rows.len() / sample.len().max(1) * changes
    }
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

/// Raw code -> a small value the caller computes once per distinct code (its class), for
/// the row loops.
///
/// A code of up to 8 bytes (every ICD-10-CM code, with or without its dot) is one integer key
/// in a 16-byte slot holding the value itself: ten thousand codes at most half load take
/// 512 KB and stay in L2 with the rows streaming past, a probe is one integer compare, and the
/// value needs no second look-up. Kept at most half full, a probe almost always ends at its
/// home slot, so its branch predicts well. On 10M rows over 12k distinct codes the indexed
/// Charlson path took 0.25 s with 24-byte string slots at up to 80 % load, 0.18 s at 50 %,
/// and 0.11-0.16 s with these. Longer codes go to a string map.
pub struct CodeMap<'a> {
    slots: Vec<(u64, u32)>,
    shift: u32,
    len: usize,
    long: MixMap<&'a [u8], u32>,
}

/// The integer key of a code of up to 8 bytes, exact: up to 7 bytes are the content with the
/// length and a high bit in the last byte; 8 bytes are the content itself when the last byte
/// is ASCII (high bit clear), so the two forms never meet. `None` for anything else.
#[inline(always)]
fn short_key(bytes: &[u8]) -> Option<u64> {
    let n = bytes.len();
    if n == 8 {
        let k = read8(bytes, 0);
        return (k >> 63 == 0).then_some(k);
    }
    if n > 8 {
        return None;
    }
    let content = if n >= 4 {
        // Two overlapping reads put every byte at its own place.
        read4(bytes, 0) | (read4(bytes, n - 4) << (8 * (n - 4)))
    } else {
        bytes
            .iter()
            .enumerate()
            .fold(0, |k, (i, &c)| k | (u64::from(c) << (8 * i)))
    };
    Some(content | ((0x80 | n as u64) << 56))
}

impl<'a> CodeMap<'a> {
    pub fn with_capacity(expected: usize) -> Self {
        let n = (expected.max(8) * 2).next_power_of_two();
        CodeMap {
            slots: vec![(0, EMPTY); n],
            shift: 64 - n.trailing_zeros(),
            len: 0,
            long: MixMap::default(),
        }
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        (mum(key ^ 0x8BB8_4B93_962E_ACC9, 0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The value of `s`, made by `make` the first time `s` is seen (it must not be
    /// `u32::MAX`, which marks a free slot).
    #[inline(always)]
    pub fn get_or_insert_with(&mut self, s: &'a [u8], make: impl FnOnce() -> u32) -> u32 {
        let Some(key) = short_key(s) else {
            return self.long_value(s, make);
        };
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, value) = self.slots[i];
            if value == EMPTY {
                return self.add_short(key, i, make());
            }
            if k == key {
                return value;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    #[inline(never)]
    fn long_value(&mut self, s: &'a [u8], make: impl FnOnce() -> u32) -> u32 {
        *self.long.entry(s).or_insert_with(make)
    }

    #[cold]
    #[inline(never)]
    fn add_short(&mut self, key: u64, i: usize, value: u32) -> u32 {
        debug_assert_ne!(value, EMPTY);
        self.slots[i] = (key, value);
        self.len += 1;
        if self.len * 2 > self.slots.len() {
            let doubled = vec![(0, EMPTY); self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, doubled);
            self.shift -= 1;
            let mask = self.slots.len() - 1;
            for (k, v) in old.into_iter().filter(|s| s.1 != EMPTY) {
                let mut j = self.home(k);
                while self.slots[j].1 != EMPTY {
                    j = (j + 1) & mask;
                }
                self.slots[j] = (k, v);
            }
        }
        value
    }
}

/// A slot of the tables that group runs into patients: an id's slot words (see [`pack`]) and
/// the patient group it belongs to.
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

/// Equality of two strings' bytes without a `memcmp` call for short ones (the per-row check of
/// whether a row continues the previous row's patient).
#[inline]
pub fn same_bytes(x: &[u8], y: &[u8]) -> bool {
    x.len() == y.len()
        && if x.len() <= 16 {
            pack(x) == pack(y)
        } else {
            x == y
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
    let mut cache = CodeMap::with_capacity(4096);
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
        let id = cache.get_or_insert_with(code.as_bytes(), || {
            cached_bits.push(normalize_dx(code).map_or(0, |n| map.classify(&n)));
            cached_bits.len() as u32 - 1
        });
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
        let (one, _) = aggregate_threads(&ids, &codes, classify, NoSink, 1, 0).unwrap();
        for (t, parts) in (2..=4).flat_map(|t| [(t, 0), (t, 3)]) {
            let (many, _) = aggregate_threads(&ids, &codes, classify, NoSink, t, parts).unwrap();
            assert_eq!(many.ids, one.ids, "threads {t}");
            assert_eq!(many.bits, one.bits, "threads {t}");
            assert_eq!(many.edited, one.edited, "threads {t}");
            assert_eq!(many.report, one.report, "threads {t}");
        }
        assert_eq!(
            one.ids.iter().collect::<Vec<_>>(),
            ["p1", "p2", "p3", "p4", "p5"]
        );
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
    fn code_map_and_patient_groups_are_exact_across_lengths_and_growth() {
        // Strings that agree in their packed words but not in content or length must differ:
        // zero padding, overlapping reads (lengths 4-7, 9-16), the 7/8-byte boundary of the
        // integer code keys (an 8th byte below 0x80, or a non-ASCII one) and long strings
        // sharing a tail.
        let mut words: Vec<String> = vec![
            "".into(),
            "A".into(),
            "A\0".into(),
            "\0A".into(),
            "ABA".into(),
            "AAB".into(),
            "ABCDE".into(),
            "ABCDDE".into(),
            "ABCDEFG".into(),
            "ABCDEFG\u{7}".into(),
            "ABCDEFG\u{0}".into(),
            "ABCDEF\u{e9}".into(),
            "ABCDEF\u{e8}".into(),
            "P0000001".into(),
            "P000000001".into(),
            "x".repeat(17),
            format!("y{}", "x".repeat(16)),
            format!("{}z", "x".repeat(40)),
        ];
        words.extend((0..5000).map(|i| format!("P{i:08}")));
        words.extend((0..3000).map(|i| format!("{i}")));
        words.extend((0..500).map(|i| format!("long-patient-identifier-{i}")));
        let mut ix = CodeMap::with_capacity(4);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(
                ix.get_or_insert_with(w.as_bytes(), || i as u32),
                i as u32,
                "{w:?}"
            );
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(
                ix.get_or_insert_with(w.as_bytes(), || u32::MAX - 1),
                i as u32,
                "{w:?}"
            );
        }
        // As patient ids (the empty one aside) they stay distinct patients in first-seen order.
        let ids = &words[1..];
        let codes = vec!["A1"; ids.len()];
        for (t, parts) in [(1, 0), (2, 3), (3, 10)] {
            let (agg, _) = aggregate_threads(ids, &codes, classify, NoSink, t, parts).unwrap();
            assert!(
                agg.ids.iter().eq(ids.iter().map(String::as_str)),
                "threads {t}, bits {parts}"
            );
        }
        assert!(same_bytes(b"P00000001", b"P00000001") && !same_bytes(b"P00000001", b"P00000002"));
        let q = "q".repeat(20);
        assert!(!same_bytes(b"A", b"A\0") && same_bytes(q.as_bytes(), q.as_bytes()));
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
                // Some rows spell the same id without its surrounding blanks.
                let spelt = if next(2) == 0 { id.trim() } else { id.as_str() };
                rows.push((spelt.to_string(), pool[next(pool.len())].to_string()));
            }
        }
        for i in (1..rows.len()).rev() {
            rows.swap(i, next(i + 1));
        }
        let (ids, codes): (Vec<String>, Vec<String>) = rows.into_iter().unzip();
        let (want_ids, want_bits, want_report) = reference(&ids, &codes);
        for t in [1, 2, 3, 8] {
            for parts in [0, 1, 4, 10] {
                let (got, _) = aggregate_threads(&ids, &codes, classify, NoSink, t, parts).unwrap();
                assert!(
                    got.ids.iter().eq(want_ids.iter().map(String::as_str)),
                    "threads {t}, partition bits {parts}"
                );
                assert_eq!(got.bits, want_bits, "threads {t}, partition bits {parts}");
                assert_eq!(
                    got.report, want_report,
                    "threads {t}, partition bits {parts}"
                );
            }
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_dx(" e11.9 "), Some("E119".into()));
        assert_eq!(normalize_dx(" . "), None);
        assert_eq!(normalize_dx(""), None);
    }
}
