//! CMS-HCC risk adjustment (Medicare Advantage), versions V24 and V28.
//!
//! Tables (public domain federal works, 17 USC 105) are converted from the CMS model software
//! as shipped in the hccpy 0.1.9 package; sources are named in each file header:
//! `core/data/risk/hcc_{v24,v28}_{dx,hierarchy,coefficients}.tsv`.
//! Steps follow the CMS SAS macros (V2419P1M / V2823T2M):
//! 1. ICD-10-CM -> condition categories (a code may map to several);
//! 2. age/sex edits (V22I0ED2 for V24, V28I0ED1 for V28);
//! 3. V28 only: HCC 223 (heart failure with assist device) is dropped before the hierarchy
//!    unless HCC 221, 222, 224, 225 or 226 is also present ("heart interaction patch");
//! 4. hierarchies (a present parent zeroes the listed HCCs);
//! 5. score = age/sex cell + originally-disabled term + HCC factors + disease interactions +
//!    disabled interactions + payment-HCC-count term (D1..D10P), all of the chosen segment.
//!
//! The score is the raw (unnormalised) relative factor sum. Payment use divides it by the
//! year's normalisation factor and applies the MA coding-pattern adjustment; those are options
//! here (see [`HccOptions::normalization_factor`]). CMS 2024 Rate Announcement: normalisation
//! factors PY2024 V24 1.146, V28 1.015; MA coding adjustment 5.9 %.

use super::batch::MixMap;
#[cfg(test)]
use super::batch::aggregate_threads;
use super::batch::{
    Class, CodeReport, RowSink, Runs, aggregate_with, check_lengths, on_ranges, same_bytes,
};
use crate::error::{CinError, Result};
use crate::model::Sex;
use crate::str_column::StrColumn;
use crate::table::{Column, Table, Text};
use once_cell::sync::Lazy;

/// CMS-HCC model version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HccVersion {
    V24,
    #[default]
    V28,
}

impl HccVersion {
    pub fn from_name(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "V24" | "24" => Ok(HccVersion::V24),
            "V28" | "28" => Ok(HccVersion::V28),
            _ => Err(CinError::invalid("CMS-HCC version must be V24 or V28")),
        }
    }
}

/// Model segment (CMS naming).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HccSegment {
    /// Community non-dual: aged (CNA) from 65, disabled (CND) below.
    #[default]
    Auto,
    Cna,
    Cnd,
    Cfa,
    Cfd,
    Cpa,
    Cpd,
    Ins,
}

impl HccSegment {
    pub fn from_name(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "AUTO" | "" => HccSegment::Auto,
            "CNA" => HccSegment::Cna,
            "CND" => HccSegment::Cnd,
            "CFA" => HccSegment::Cfa,
            "CFD" => HccSegment::Cfd,
            "CPA" => HccSegment::Cpa,
            "CPD" => HccSegment::Cpd,
            "INS" => HccSegment::Ins,
            _ => {
                return Err(CinError::invalid(
                    "segment must be auto, CNA, CND, CFA, CFD, CPA, CPD or INS",
                ));
            }
        })
    }
    fn index(self, age: i64) -> usize {
        match self {
            HccSegment::Auto => usize::from(age < 65),
            HccSegment::Cna => 0,
            HccSegment::Cnd => 1,
            HccSegment::Cfa => 2,
            HccSegment::Cfd => 3,
            HccSegment::Cpa => 4,
            HccSegment::Cpd => 5,
            HccSegment::Ins => 6,
        }
    }
}

const SEGMENTS: [&str; 7] = ["CNA", "CND", "CFA", "CFD", "CPA", "CPD", "INS"];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HccOptions {
    pub version: HccVersion,
    pub segment: HccSegment,
    /// Original reason for entitlement was disability (OREC 1): adds the originally-disabled
    /// term for beneficiaries 65 and over. Default false.
    pub originally_disabled: bool,
    /// The score is divided by this (1.0 = raw relative factors, the default).
    pub normalization_factor: f64,
}

impl Default for HccOptions {
    fn default() -> Self {
        HccOptions {
            version: HccVersion::V28,
            segment: HccSegment::Auto,
            originally_disabled: false,
            normalization_factor: 1.0,
        }
    }
}

/// How two HCC groups combine into an interaction term (CMS SAS variable names).
struct InteractionDef {
    name: &'static str,
    a: &'static [u16],
    /// `None`: the term is `DISABL * any(a)`.
    b: Option<&'static [u16]>,
}

const fn both(name: &'static str, a: &'static [u16], b: &'static [u16]) -> InteractionDef {
    InteractionDef {
        name,
        a,
        b: Some(b),
    }
}
const fn disabled(name: &'static str, a: &'static [u16]) -> InteractionDef {
    InteractionDef { name, a, b: None }
}

// V28 diagnostic groups (V2823T2M).
const V28_CANCER: &[u16] = &[17, 18, 19, 20, 21, 22, 23];
const V28_DIABETES: &[u16] = &[35, 36, 37, 38];
const V28_CARD_RESP_FAIL: &[u16] = &[211, 212, 213];
const V28_HF: &[u16] = &[221, 222, 223, 224, 225, 226];
const V28_CHR_LUNG: &[u16] = &[276, 277, 278, 279, 280];
const V28_KIDNEY: &[u16] = &[326, 327, 328, 329];
const V28_SUD: &[u16] = &[135, 136, 137, 138, 139];
const V28_PSYCH: &[u16] = &[151, 152, 153, 154, 155];
const V28_NEURO: &[u16] = &[180, 181, 182, 190, 191, 192, 195, 196, 198, 199];
const V28_ULCER: &[u16] = &[379, 380, 381, 382];

const V28_INTERACTIONS: &[InteractionDef] = &[
    both("DIABETES_HF", V28_DIABETES, V28_HF),
    both("HF_CHR_LUNG", V28_HF, V28_CHR_LUNG),
    both("HF_KIDNEY", V28_HF, V28_KIDNEY),
    both("CHR_LUNG_CARD_RESP_FAIL", V28_CHR_LUNG, V28_CARD_RESP_FAIL),
    both("HF_HCC238", V28_HF, &[238]),
    both("gSubUseDisorder_gPsych", V28_SUD, V28_PSYCH),
    disabled("DISABLED_CANCER", V28_CANCER),
    disabled("DISABLED_NEURO", V28_NEURO),
    disabled("DISABLED_HF", V28_HF),
    disabled("DISABLED_CHR_LUNG", V28_CHR_LUNG),
    disabled("DISABLED_ULCER", V28_ULCER),
];

// V24 diagnostic groups (V2419P1M).
const V24_CANCER: &[u16] = &[8, 9, 10, 11, 12];
const V24_DIABETES: &[u16] = &[17, 18, 19];
const V24_CARD_RESP_FAIL: &[u16] = &[82, 83, 84];
const V24_COPD_CF: &[u16] = &[110, 111, 112];
const V24_RENAL: &[u16] = &[134, 135, 136, 137, 138];
const V24_SUD: &[u16] = &[54, 55, 56];
const V24_PSYCH: &[u16] = &[57, 58, 59, 60];
const V24_PRESSURE_ULCER: &[u16] = &[157, 158, 159];

const V24_INTERACTIONS: &[InteractionDef] = &[
    both("HCC47_gCancer", &[47], V24_CANCER),
    both("DIABETES_CHF", &[85], V24_DIABETES),
    both("CHF_gCopdCF", &[85], V24_COPD_CF),
    both("HCC85_gRenal_V24", &[85], V24_RENAL),
    both("gCopdCF_CARD_RESP_FAIL", V24_CARD_RESP_FAIL, V24_COPD_CF),
    both("HCC85_HCC96", &[85], &[96]),
    both("gSubstanceUseDisorder_gPsych", V24_PSYCH, V24_SUD),
    // Institutional-model interactions.
    both("SEPSIS_PRESSURE_ULCER", &[2], V24_PRESSURE_ULCER),
    both("SEPSIS_ARTIF_OPENINGS", &[2], &[188]),
    both("ART_OPENINGS_PRESSURE_ULCER", &[188], V24_PRESSURE_ULCER),
    both("gCopdCF_ASP_SPEC_B_PNEUM", V24_COPD_CF, &[114]),
    both("ASP_SPEC_BACT_PNEUM_PRES_ULC", &[114], V24_PRESSURE_ULCER),
    both("SEPSIS_ASP_SPEC_BACT_PNEUM", &[2], &[114]),
    both("SCHIZOPHRENIA_gCopdCF", &[57], V24_COPD_CF),
    both("SCHIZOPHRENIA_CHF", &[57], &[85]),
    both("SCHIZOPHRENIA_SEIZURES", &[57], &[79]),
    disabled("DISABLED_HCC85", &[85]),
    disabled("DISABLED_PRESSURE_ULCER", V24_PRESSURE_ULCER),
    disabled("DISABLED_HCC161", &[161]),
    disabled("DISABLED_HCC39", &[39]),
    disabled("DISABLED_HCC77", &[77]),
    disabled("DISABLED_HCC6", &[6]),
];

// Age/sex edits. V28 (V28I0ED1): female D66/D67 -> HCC 112; age < 18 chronic bronchitis /
// emphysema / COPD codes -> none; age < 50 breast cancer C50.xxx -> HCC 22; age >= 2 newborn
// P04/P27/P93/P96 codes -> none. V24 (V22I0ED2): female D66/D67 -> HCC 48; age < 18 COPD codes ->
// HCC 112; F34.81 outside ages 6-18 -> none.
const EDIT_COAG: &[&str] = &["D66", "D67"];
const EDIT_COPD: &[&str] = &[
    "J410", "J411", "J418", "J42", "J430", "J431", "J432", "J438", "J439", "J440", "J441", "J449",
    "J982", "J983",
];
const EDIT_NEWBORN: &[&str] = &[
    "P040", "P041", "P0411", "P0412", "P0413", "P0414", "P0415", "P0416", "P0417", "P0418",
    "P0419", "P041A", "P042", "P043", "P0440", "P0441", "P0442", "P0449", "P045", "P046", "P048",
    "P0481", "P0489", "P049", "P270", "P271", "P278", "P279", "P930", "P938", "P961", "P962",
];
const EDIT_DMDD: &[&str] = &["F3481"];

fn is_breast_cancer_edit(code: &str) -> bool {
    // C50.011 ... C50.929: C50 + site digit (0-6, 8, 9) + 1/2 + laterality 1/2/9.
    let b = code.as_bytes();
    b.len() == 6
        && code.starts_with("C50")
        && matches!(b[3], b'0'..=b'6' | b'8' | b'9')
        && matches!(b[4], b'1' | b'2')
        && matches!(b[5], b'1' | b'2' | b'9')
}

/// One model version's tables, parsed once.
pub struct HccModel {
    pub version: HccVersion,
    /// Dense index -> HCC number, ascending.
    hccs: Vec<u16>,
    dx: MixMap<&'static str, u128>,
    /// `HCC<n>` per dense index, formatted once rather than per patient.
    labels: Vec<String>,
    /// V28 heart patch masks (HCC 223; HCCs 221, 222, 224-226), computed once.
    heart_patch: (u128, u128),
    hierarchy: Vec<(u128, u128)>,
    interactions: Vec<(u128, Option<u128>)>,
    segments: Vec<SegmentFactors>,
}

#[derive(Default)]
struct SegmentFactors {
    hcc: Vec<f64>,
    interactions: Vec<f64>,
    counts: [f64; 10],
    /// (sex, lowest age, highest age inclusive, factor)
    age_sex: Vec<(Sex, i64, i64, f64)>,
    orig_disabled: [f64; 2],
}

fn parse_lines(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
}

impl HccModel {
    fn load(version: HccVersion) -> HccModel {
        let (dx_text, hier_text, coef_text, interactions) = match version {
            HccVersion::V24 => (
                include_str!("../../data/risk/hcc_v24_dx.tsv"),
                include_str!("../../data/risk/hcc_v24_hierarchy.tsv"),
                include_str!("../../data/risk/hcc_v24_coefficients.tsv"),
                V24_INTERACTIONS,
            ),
            HccVersion::V28 => (
                include_str!("../../data/risk/hcc_v28_dx.tsv"),
                include_str!("../../data/risk/hcc_v28_hierarchy.tsv"),
                include_str!("../../data/risk/hcc_v28_coefficients.tsv"),
                V28_INTERACTIONS,
            ),
        };
        let coef: MixMap<&str, f64> = parse_lines(coef_text)
            .filter_map(|(k, v)| v.trim().parse().ok().map(|v| (k.trim(), v)))
            .collect();
        // Payment HCCs = the HCC factors of the community aged segment.
        let mut hccs: Vec<u16> = coef
            .keys()
            .filter_map(|k| k.strip_prefix("CNA_HCC"))
            .filter_map(|n| n.parse().ok())
            .collect();
        hccs.sort_unstable();
        hccs.dedup();
        let bit = |n: u16| -> u128 { hccs.binary_search(&n).map_or(0, |i| 1u128 << i) };
        let mask = |list: &[u16]| list.iter().fold(0u128, |m, n| m | bit(*n));
        let mut dx: MixMap<&'static str, u128> = MixMap::default();
        for (code, list) in parse_lines(dx_text) {
            let m = list
                .split(',')
                .filter_map(|n| n.trim().parse::<u16>().ok())
                .fold(0u128, |m, n| m | bit(n));
            *dx.entry(code.trim()).or_default() |= m;
        }
        let hierarchy = parse_lines(hier_text)
            .filter_map(|(p, list)| {
                let p: u16 = p.trim().parse().ok()?;
                let children: Vec<u16> = list
                    .split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect();
                Some((bit(p), mask(&children)))
            })
            .collect();
        let segments = SEGMENTS
            .iter()
            .map(|seg| {
                let get = |name: &str| coef.get(format!("{seg}_{name}").as_str()).copied();
                let mut f = SegmentFactors {
                    hcc: hccs
                        .iter()
                        .map(|n| get(&format!("HCC{n}")).unwrap_or(0.0))
                        .collect(),
                    interactions: interactions
                        .iter()
                        .map(|d| get(d.name).unwrap_or(0.0))
                        .collect(),
                    ..SegmentFactors::default()
                };
                for (i, c) in f.counts.iter_mut().enumerate() {
                    let name = if i == 9 {
                        "D10P".to_string()
                    } else {
                        format!("D{}", i + 1)
                    };
                    *c = get(&name).unwrap_or(0.0);
                }
                f.orig_disabled = [
                    get("OriginallyDisabled_Female").unwrap_or(0.0),
                    get("OriginallyDisabled_Male").unwrap_or(0.0),
                ];
                let prefix = format!("{seg}_");
                for (k, v) in &coef {
                    let Some(cell) = k.strip_prefix(prefix.as_str()) else {
                        continue;
                    };
                    if let Some(c) = parse_age_cell(cell) {
                        f.age_sex.push((c.0, c.1, c.2, *v));
                    }
                }
                f
            })
            .collect();
        HccModel {
            version,
            interactions: interactions
                .iter()
                .map(|d| (mask(d.a), d.b.map(mask)))
                .collect(),
            labels: hccs.iter().map(|n| format!("HCC{n}")).collect(),
            heart_patch: (bit(223), mask(&[221, 222, 224, 225, 226])),
            hccs,
            dx,
            hierarchy,
            segments,
        }
    }

    /// The model of a version (parsed on first use).
    pub fn get(version: HccVersion) -> &'static HccModel {
        static V24: Lazy<HccModel> = Lazy::new(|| HccModel::load(HccVersion::V24));
        static V28: Lazy<HccModel> = Lazy::new(|| HccModel::load(HccVersion::V28));
        match version {
            HccVersion::V24 => &V24,
            HccVersion::V28 => &V28,
        }
    }

    /// Number of payment HCCs (V24 86, V28 115).
    pub fn payment_hcc_count(&self) -> usize {
        self.hccs.len()
    }

    /// Number of ICD-10-CM codes in the mapping.
    pub fn mapped_code_count(&self) -> usize {
        self.dx.len()
    }

    fn bit(&self, n: u16) -> u128 {
        self.hccs.binary_search(&n).map_or(0, |i| 1u128 << i)
    }

    /// Classification of one normalised code (HCC bits and age/sex edit group).
    fn classify(&self, code: &str) -> Class<u128> {
        let Some(&bits) = self.dx.get(code) else {
            return Class::default();
        };
        let edit = if EDIT_COAG.contains(&code) {
            1
        } else if EDIT_COPD.contains(&code) {
            2
        } else if self.version == HccVersion::V28 && is_breast_cancer_edit(code) {
            3
        } else if self.version == HccVersion::V28 && EDIT_NEWBORN.contains(&code) {
            4
        } else if self.version == HccVersion::V24 && EDIT_DMDD.contains(&code) {
            5
        } else {
            0
        };
        Class { bits, edit }
    }

    /// HCC bits of a code after its age/sex edit.
    fn edited(&self, edit: u8, bits: u128, age: Option<i64>, sex: Sex) -> u128 {
        let v28 = self.version == HccVersion::V28;
        match edit {
            1 if sex == Sex::Female => self.bit(if v28 { 112 } else { 48 }),
            2 if age.is_some_and(|a| a < 18) => {
                if v28 {
                    0
                } else {
                    self.bit(112)
                }
            }
            3 if age.is_some_and(|a| a < 50) => self.bit(22),
            4 if age.is_some_and(|a| a >= 2) => 0,
            5 if age.is_some_and(|a| !(6..=18).contains(&a)) => 0,
            _ => bits,
        }
    }

    /// Applies the V28 heart patch and the hierarchies to raw condition-category bits.
    pub fn apply_hierarchy(&self, cc: u128) -> u128 {
        let mut cc = cc;
        if self.version == HccVersion::V28 {
            let (hcc223, others) = self.heart_patch;
            if cc & hcc223 != 0 && cc & others == 0 {
                cc &= !hcc223;
            }
        }
        let mut out = cc;
        for (parent, children) in &self.hierarchy {
            if cc & parent != 0 {
                out &= !children;
            }
        }
        out
    }

    /// Raw relative-factor score of HCC bits (after hierarchy) for one beneficiary.
    pub fn score(&self, hccs: u128, age: i64, sex: Sex, opts: &HccOptions) -> Option<f64> {
        let female = match sex {
            Sex::Female => true,
            Sex::Male => false,
            _ => return None,
        };
        let seg = &self.segments[opts.segment.index(age)];
        let mut s = seg
            .age_sex
            .iter()
            .find(|(sx, lo, hi, _)| (*sx == Sex::Female) == female && *lo <= age && age <= *hi)
            .map_or(0.0, |c| c.3);
        if opts.originally_disabled && age >= 65 {
            s += seg.orig_disabled[usize::from(!female)];
        }
        let mut b = hccs;
        while b != 0 {
            let i = b.trailing_zeros() as usize;
            s += seg.hcc[i];
            b &= b - 1;
        }
        let disabled = age < 65;
        for ((a, other), f) in self.interactions.iter().zip(&seg.interactions) {
            let on = hccs & a != 0
                && match other {
                    Some(o) => hccs & o != 0,
                    None => disabled,
                };
            if on {
                s += f;
            }
        }
        let n = hccs.count_ones() as usize;
        if n > 0 {
            s += seg.counts[n.min(10) - 1];
        }
        Some(s / opts.normalization_factor)
    }

    /// HCC labels (`HCC17`...) of a bitset, ascending.
    pub fn labels(&self, hccs: u128) -> Vec<String> {
        let mut out = Vec::with_capacity(hccs.count_ones() as usize);
        let mut b = hccs;
        while b != 0 {
            let i = b.trailing_zeros() as usize;
            out.push(self.labels[i].clone());
            b &= b - 1;
        }
        out
    }
}

/// `F65_69` / `M95_GT` / `F0_34` -> (sex, low, high inclusive).
fn parse_age_cell(cell: &str) -> Option<(Sex, i64, i64)> {
    let sex = match cell.as_bytes().first()? {
        b'F' => Sex::Female,
        b'M' => Sex::Male,
        _ => return None,
    };
    let (lo, hi) = cell.get(1..)?.split_once('_')?;
    let lo: i64 = lo.parse().ok()?;
    let hi: i64 = if hi == "GT" {
        i64::MAX
    } else {
        hi.parse().ok()?
    };
    Some((sex, lo, hi))
}

/// Demographics gathered per patient from row-aligned ages and sexes.
struct DemographicsSink<'a, A: StrColumn + ?Sized> {
    ages: &'a [Option<i64>],
    sexes: &'a A,
    /// Age ([`NO_AGE`] when none yet) and sex per patient: 16 bytes, because shuffled rows
    /// reach a random patient each and a million of these then stay in the L3 cache.
    per_patient: Vec<Demographics>,
}

/// No age seen yet (ages are checked to be non-negative).
const NO_AGE: i64 = -1;

/// A patient's age ([`NO_AGE`] when none) and sex.
type Demographics = (i64, Option<Sex>);

impl<'a, A: StrColumn + ?Sized> DemographicsSink<'a, A> {
    fn new(ages: &'a [Option<i64>], sexes: &'a A) -> Self {
        DemographicsSink {
            ages,
            sexes,
            per_patient: Vec::new(),
        }
    }
}

/// Reads the sexes column, reusing the previous row's parse (sexes repeat).
struct SexReader<'a, A: StrColumn + ?Sized> {
    sexes: &'a A,
    last: Option<(&'a [u8], Option<Sex>)>,
}

impl<'a, A: StrColumn + ?Sized> SexReader<'a, A> {
    /// Parsed sex of a row (`None` when empty or unrecognised).
    fn sex(&mut self, row: usize) -> Option<Sex> {
        let bytes = self.sexes.bytes_at(row);
        match self.last {
            Some((prev, sex)) if same_bytes(prev, bytes) => sex,
            _ => {
                let text = self.sexes.str_at(row);
                let sex = if text.is_empty() {
                    None
                } else {
                    Some(Sex::parse(text)).filter(|s| *s != Sex::Unknown)
                };
                self.last = Some((bytes, sex));
                sex
            }
        }
    }
}

/// Folds the rows of the patients `p` with `p % of == part` (stored at `p / of`), in row
/// order. The error, if any, is this part's first in row order, with its row.
fn fold_demographics<A: StrColumn + ?Sized>(
    ages: &[Option<i64>],
    sexes: &A,
    runs: impl Runs,
    patients: usize,
    (part, of): (u32, u32),
) -> std::result::Result<Vec<Demographics>, (usize, CinError)> {
    let mut reader = SexReader { sexes, last: None };
    let mut out = vec![(NO_AGE, None); patients.div_ceil(of as usize)];
    // The earlier row of a conflict is the patient's first with a value, found again by
    // walking the rows (conflicts are rare; keeping every value's row would double the
    // per-patient state).
    let conflict = |what: &str, row: usize, p: u32, reader: &mut SexReader<'_, A>| {
        let earlier = runs
            .clone()
            .filter(|(_, q)| *q == p)
            .flat_map(|(rows, _)| rows)
            .find(|&r| match what {
                "age" => ages[r].is_some(),
                _ => reader.sex(r).is_some(),
            })
            .unwrap_or(row);
        let msg = format!("row {row}: {what} differs from row {earlier} of the same patient");
        (row, CinError::invalid(msg))
    };
    for (rows, p) in runs.clone().filter(|(_, p)| p % of == part) {
        let slot = (p / of) as usize;
        for row in rows {
            let age = ages[row];
            if age.is_some_and(|a| a < 0) {
                let msg = format!("row {row}: negative age");
                return Err((row, CinError::invalid(msg)));
            }
            let sex = reader.sex(row);
            match age {
                Some(a) if out[slot].0 == NO_AGE => out[slot].0 = a,
                Some(a) if out[slot].0 != a => {
                    return Err(conflict("age", row, p, &mut reader));
                }
                _ => {}
            }
            match sex {
                Some(x) if out[slot].1.is_none() => out[slot].1 = Some(x),
                Some(x) if out[slot].1 != Some(x) => {
                    return Err(conflict("sex", row, p, &mut reader));
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

impl<A: StrColumn + ?Sized> RowSink for DemographicsSink<'_, A> {
    const NEEDS_ROWS: bool = true;
    /// Large inputs are folded by two workers, each taking every other patient (shuffled rows
    /// reach a random patient each, so one worker waits on a cache miss per row); the first
    /// problem in row order is reported either way.
    fn finish(&mut self, runs: impl Runs, patients: usize) -> Result<()> {
        let parts = if self.ages.len() < 200_000 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |t| t.get().min(2)) as u32
        };
        self.fold_parts(runs, patients, parts)
    }
}

impl<A: StrColumn + ?Sized> DemographicsSink<'_, A> {
    /// [`RowSink::finish`] with `parts` workers.
    fn fold_parts(&mut self, runs: impl Runs, patients: usize, parts: u32) -> Result<()> {
        let (ages, sexes) = (self.ages, self.sexes);
        // One range per part: worker `k` takes the patients `p` with `p % parts == k`.
        let results = on_ranges(parts as usize, parts as usize, |k| {
            fold_demographics(ages, sexes, runs.clone(), patients, (k.start as u32, parts))
        })?;
        let mut folded = Vec::with_capacity(results.len());
        let mut first_error: Option<(usize, CinError)> = None;
        for r in results {
            match r {
                Ok(v) => folded.push(v),
                Err((row, e)) => {
                    if first_error.as_ref().is_none_or(|(r0, _)| row < *r0) {
                        first_error = Some((row, e));
                    }
                }
            }
        }
        if let Some((_, e)) = first_error {
            return Err(e);
        }
        let of = folded.len();
        self.per_patient = (0..patients).map(|p| folded[p % of][p / of]).collect();
        Ok(())
    }
}

/// CMS-HCC per patient from long-format rows with row-aligned demographics.
///
/// `ages` (years, CMS uses age on 1 February of the payment year) and `sexes` (`F`/`M`/
/// `female`/`male`/`1`/`2`) have one entry per row like `codes`; for each patient the non-missing
/// values must agree (a patient's age may be given on one row only). Returns `patient_id`,
/// `hccs` (after edits and hierarchies, `HCC<n>` ascending) and `score` (Float; `None` when the
/// patient's age or sex is missing).
pub fn cms_hcc_with_report(
    patient_ids: &(impl StrColumn + ?Sized),
    codes: &(impl StrColumn + ?Sized),
    ages: &[Option<i64>],
    sexes: &(impl StrColumn + ?Sized),
    opts: &HccOptions,
) -> Result<(Table, CodeReport)> {
    check_lengths("ages", patient_ids.rows(), ages.len())?;
    check_lengths("sexes", patient_ids.rows(), sexes.rows())?;
    if !(opts.normalization_factor.is_finite() && opts.normalization_factor > 0.0) {
        return Err(CinError::invalid("normalization_factor must be positive"));
    }
    let model = HccModel::get(opts.version);
    let (agg, sink) = aggregate_with(
        patient_ids,
        codes,
        |c| model.classify(c),
        DemographicsSink::new(ages, sexes),
    )?;
    let demo: Vec<(Option<i64>, Sex)> = sink
        .per_patient
        .into_iter()
        .map(|(a, s)| ((a != NO_AGE).then_some(a), s.unwrap_or(Sex::Unknown)))
        .collect();
    Ok((
        score_patients(model, agg.ids, agg.bits, &agg.edited, &demo, opts)?,
        agg.report,
    ))
}

/// [`cms_hcc_with_report`] without the report.
pub fn cms_hcc(
    patient_ids: &(impl StrColumn + ?Sized),
    codes: &(impl StrColumn + ?Sized),
    ages: &[Option<i64>],
    sexes: &(impl StrColumn + ?Sized),
    opts: &HccOptions,
) -> Result<Table> {
    cms_hcc_with_report(patient_ids, codes, ages, sexes, opts).map(|(t, _)| t)
}

fn score_patients(
    model: &HccModel,
    ids: Text,
    mut cc: Vec<u128>,
    edited: &[(u32, u8, u128)],
    demo: &[(Option<i64>, Sex)],
    opts: &HccOptions,
) -> Result<Table> {
    for &(p, edit, bits) in edited {
        let (age, sex) = demo[p as usize];
        cc[p as usize] |= model.edited(edit, bits, age, sex);
    }
    // Hierarchy, score and label lists per patient: independent, so large batches are cut
    // into one contiguous part per core (the label strings are most of the cost).
    let part = |range: std::ops::Range<usize>| {
        let mut hccs = Vec::with_capacity(range.len());
        let mut scores = Vec::with_capacity(range.len());
        for p in range {
            let h = model.apply_hierarchy(cc[p]);
            let (age, sex) = demo[p];
            scores.push(age.and_then(|a| model.score(h, a, sex, opts)));
            hccs.push(model.labels(h));
        }
        (hccs, scores)
    };
    let n = cc.len();
    let threads = if n < 100_000 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(8))
    };
    let parts = on_ranges(n, threads, part)?;
    let mut parts = parts.into_iter();
    let (mut hccs, mut scores) = parts.next().unwrap_or_default();
    for (h, s) in parts {
        hccs.extend(h);
        scores.extend(s);
    }
    Ok(Table::new()
        .with("patient_id", Column::Text(ids))
        .with("hccs", Column::StrList(hccs))
        .with("score", Column::Float(scores)))
}

/// HCCs and score of one patient's code list (used by the network-level risk table).
pub fn hcc_profile(
    codes: &[&str],
    age: Option<i64>,
    sex: Sex,
    opts: &HccOptions,
) -> (Vec<String>, Option<f64>) {
    let model = HccModel::get(opts.version);
    let mut cc = 0u128;
    for c in codes {
        if let Some(n) = super::batch::normalize_dx(c) {
            let class = model.classify(&n);
            cc |= if class.edit != 0 {
                model.edited(class.edit, class.bits, age, sex)
            } else {
                class.bits
            };
        }
    }
    let h = model.apply_hierarchy(cc);
    (
        model.labels(h),
        age.and_then(|a| model.score(h, a, sex, opts)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v28() -> HccOptions {
        HccOptions::default()
    }

    #[test]
    fn tables_load_with_cms_sizes() {
        assert_eq!(HccModel::get(HccVersion::V28).payment_hcc_count(), 115);
        assert_eq!(HccModel::get(HccVersion::V24).payment_hcc_count(), 86);
        assert!(HccModel::get(HccVersion::V28).mapped_code_count() > 7000);
    }

    #[test]
    fn wrapped_heart_hierarchy_drops_226() {
        // I50.84 end-stage HF -> HCC 222; I50.22 chronic systolic HF -> HCC 226. CMS hierarchy
        // "222 excludes 223-227" is wrapped over two lines in V28115H1: only 222 must remain.
        let (h, _) = hcc_profile(&["I50.84", "I50.22"], Some(70), Sex::Female, &v28());
        assert_eq!(h, vec!["HCC222"]);
    }

    #[test]
    fn heart_patch_drops_223_before_hierarchy() {
        // Z95.811 (heart assist device, HCC 223) without another HF HCC: 223 is dropped first,
        // so cardiomyopathy I42.8 (HCC 227) survives.
        let (h, _) = hcc_profile(&["Z95811", "I428"], Some(70), Sex::Male, &v28());
        assert_eq!(h, vec!["HCC227"]);
        // With I50.22 (226), 223 stays and excludes 226 and 227.
        let (h, _) = hcc_profile(&["Z95811", "I428", "I5022"], Some(70), Sex::Male, &v28());
        assert_eq!(h, vec!["HCC223"]);
    }

    #[test]
    fn diabetes_hierarchy_and_score_by_hand() {
        // E11.9 -> HCC 38, E11.21 -> HCC 37: 37 excludes 38. Score for a 72-year-old woman
        // (CNA) = CNA_F70_74 + CNA_HCC37 + CNA_D1, read from hcc_v28_coefficients.tsv.
        let coef = |name: &str| -> f64 {
            include_str!("../../data/risk/hcc_v28_coefficients.tsv")
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}\t")))
                .unwrap()
                .parse()
                .unwrap()
        };
        let (h, s) = hcc_profile(&["E119", "E1121"], Some(72), Sex::Female, &v28());
        assert_eq!(h, vec!["HCC37"]);
        let want = coef("CNA_F70_74") + coef("CNA_HCC37") + coef("CNA_D1");
        assert!((s.unwrap() - want).abs() < 1e-12);
        // A 50-year-old is scored in the disabled segment.
        let (_, s) = hcc_profile(&["E119"], Some(50), Sex::Male, &v28());
        let want = coef("CND_M45_54") + coef("CND_HCC38") + coef("CND_D1");
        assert!((s.unwrap() - want).abs() < 1e-12);
        // No sex: no score, HCCs still listed.
        assert_eq!(
            hcc_profile(&["E119"], Some(50), Sex::Unknown, &v28()),
            (vec!["HCC38".to_string()], None)
        );
    }

    #[test]
    fn interaction_diabetes_hf() {
        let coef = |name: &str| -> f64 {
            include_str!("../../data/risk/hcc_v28_coefficients.tsv")
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}\t")))
                .unwrap()
                .parse()
                .unwrap()
        };
        let (h, s) = hcc_profile(&["E119", "I5022"], Some(80), Sex::Male, &v28());
        assert_eq!(h, vec!["HCC38", "HCC226"]);
        let want = coef("CNA_M80_84")
            + coef("CNA_HCC38")
            + coef("CNA_HCC226")
            + coef("CNA_DIABETES_HF")
            + coef("CNA_D2");
        assert!((s.unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn age_sex_edits() {
        // V28: breast cancer C50.911 under 50 -> HCC 22 (not its mapped HCC 23).
        let (h, _) = hcc_profile(&["C50911"], Some(45), Sex::Female, &v28());
        assert_eq!(h, vec!["HCC22"]);
        let (h, _) = hcc_profile(&["C50911"], Some(70), Sex::Female, &v28());
        assert_eq!(h, vec!["HCC23"]);
        // V28: COPD J44.9 under 18 -> nothing.
        let (h, _) = hcc_profile(&["J449"], Some(10), Sex::Female, &v28());
        assert!(h.is_empty());
        let (h, _) = hcc_profile(&["J449"], Some(70), Sex::Female, &v28());
        assert_eq!(h, vec!["HCC280"]);
        // V24: J44.9 under 18 -> HCC 112 (instead of 111).
        let v24 = HccOptions {
            version: HccVersion::V24,
            ..v28()
        };
        assert_eq!(
            hcc_profile(&["J449"], Some(10), Sex::Male, &v24).0,
            vec!["HCC112"]
        );
        assert_eq!(
            hcc_profile(&["J449"], Some(70), Sex::Male, &v24).0,
            vec!["HCC111"]
        );
    }

    #[test]
    fn batch_rows_and_errors() {
        let ids = ["a", "a", "b"];
        let codes = ["E11.9", "I50.22", "zz"];
        let ages = [Some(80), None, None];
        let sexes = ["M", "", "F"];
        let (t, r) = cms_hcc_with_report(&ids, &codes, &ages, &sexes, &v28()).unwrap();
        assert_eq!(t.len(), 2);
        match t.column("score") {
            Some(Column::Float(v)) => {
                assert!(v[0].is_some());
                assert!(v[1].is_none());
            }
            _ => panic!(),
        }
        assert_eq!(r.unmatched_rows, 1);
        assert!(cms_hcc(&ids, &codes, &ages[..2], &sexes, &v28()).is_err());
        let bad_ages = [Some(80), Some(81), None];
        let err = cms_hcc(&ids, &codes, &bad_ages, &sexes, &v28()).unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
        // The same conflict split across worker chunks is still found and names both rows.
        let (ids, codes) = (["a", "b", "a"], ["E119", "E119", "I509"]);
        let ages = [Some(70), Some(71), Some(72)];
        let sexes = ["F", "M", "F"];
        let model = HccModel::get(HccVersion::V28);
        let err = aggregate_threads(
            &ids,
            &codes,
            |c| model.classify(c),
            DemographicsSink::new(&ages, &sexes),
            3,
            1,
        )
        .err()
        .unwrap();
        assert!(
            err.to_string().contains("row 2: age differs from row 0"),
            "{err}"
        );
        // Row order decides which problem is reported: the age conflict at row 1 comes before
        // the empty patient id at row 2; without the conflict the empty id is named by its row.
        let (ids, codes) = (["a", "a", " ", "b"], ["E119", "I509", "E119", "E119"]);
        let sexes = ["F"; 4];
        let conflict = [Some(70), Some(71), Some(70), Some(70)];
        let err = cms_hcc(&ids, &codes, &conflict, &sexes, &v28()).unwrap_err();
        assert!(err.to_string().contains("row 1: age differs"), "{err}");
        let same = [Some(70); 4];
        let err = cms_hcc(&ids, &codes, &same, &sexes, &v28()).unwrap_err();
        assert!(err.to_string().contains("row 2: empty patient id"), "{err}");
    }

    #[test]
    fn demographics_fold_the_same_on_one_or_two_workers() {
        // Runs of rows per patient (patients interleaved); patient of run i is i % 5.
        let runs: Vec<(std::ops::Range<usize>, u32)> = (0..20)
            .map(|i| (2 * i..2 * i + 2, (i % 5) as u32))
            .collect();
        let rows = 40;
        let mut ages: Vec<Option<i64>> = (0..rows).map(|r| Some(60 + (r / 2 % 5) as i64)).collect();
        ages[3] = None;
        let sexes: Vec<&str> = (0..rows)
            .map(|r| if r / 2 % 5 == 1 { "M" } else { "female" })
            .collect();
        let fold = |ages: &[Option<i64>], sexes: &[&str], parts| {
            let mut sink = DemographicsSink::new(ages, sexes);
            sink.fold_parts(runs.iter().cloned(), 5, parts)
                .map(|()| sink.per_patient)
                .map_err(|e| e.to_string())
        };
        let one = fold(&ages, &sexes, 1).unwrap();
        assert_eq!(one[1], (61, Some(Sex::Male)));
        assert_eq!(one[4], (64, Some(Sex::Female)));
        for parts in [2, 3] {
            assert_eq!(fold(&ages, &sexes, parts).unwrap(), one, "{parts} workers");
        }
        // The first problem in row order wins whichever worker meets it: a sex conflict of
        // patient 2 at row 34 (its first sex is at row 4) before a negative age of patient 3
        // at row 36.
        let mut bad_sexes = sexes.clone();
        bad_sexes[34] = "M";
        let mut bad_ages = ages.clone();
        bad_ages[36] = Some(-1);
        for parts in [1, 2, 3] {
            let err = fold(&bad_ages, &bad_sexes, parts).unwrap_err();
            assert!(
                err.contains("row 34: sex differs from row 4"),
                "{parts}: {err}"
            );
            let err = fold(&bad_ages, &sexes, parts).unwrap_err();
            assert!(err.contains("row 36: negative age"), "{parts}: {err}");
        }
    }
}
