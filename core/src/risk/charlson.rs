//! Charlson comorbidity index from ICD-10 or ICD-9-CM diagnoses.
//!
//! Code lists: Quan et al., Med Care 2005;43(11):1130-9 (ICD-10 algorithm and the Deyo ICD-9-CM
//! adaptation as enhanced there), in `core/data/risk/charlson_icd*_quan.tsv`.
//! Weights: Charlson et al., J Chronic Dis 1987;40(5):373-83 and Quan et al., Am J Epidemiol
//! 2011;173(6):676-82 (updated weights; AIDS/HIV 4 points, not 2 as comorbidipy has it).
//! Hierarchy (as in Quan 2005 / comorbidipy `assign0`): when the more severe form is present the
//! milder one is set to 0 in the output flags and the score: diabetes without vs with chronic
//! complications, mild vs moderate/severe liver disease, any malignancy vs metastatic solid tumour.

use super::batch::{Class, CodeReport, PrefixMap, aggregate};
use crate::error::{CinError, Result};
use crate::str_column::StrColumn;
use crate::table::{Column, Table, Text};
use once_cell::sync::Lazy;

/// Category columns, in output order (comorbidipy's short names).
pub const CHARLSON_CATEGORIES: [&str; 17] = [
    "ami", "chf", "pvd", "cevd", "dementia", "copd", "rheumd", "pud", "mld", "diab", "diabwc",
    "hp", "rend", "canc", "msld", "metacanc", "aids",
];

const MLD: usize = 8;
const DIAB: usize = 9;
const DIABWC: usize = 10;
const CANC: usize = 13;
const MSLD: usize = 14;
const METACANC: usize = 15;

/// Charlson 1987 weights, in [`CHARLSON_CATEGORIES`] order.
pub const WEIGHTS_CHARLSON_1987: [i32; 17] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 6, 6];
/// Quan 2011 updated weights, in [`CHARLSON_CATEGORIES`] order.
pub const WEIGHTS_QUAN_2011: [i32; 17] = [0, 2, 0, 0, 2, 1, 1, 0, 2, 0, 1, 2, 1, 2, 4, 6, 4];

/// Which ICD revision the codes are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IcdVersion {
    #[default]
    Icd10,
    Icd9,
}

impl IcdVersion {
    pub fn from_name(s: &str) -> Result<Self> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "icd10" | "icd10cm" | "10" => Ok(IcdVersion::Icd10),
            "icd9" | "icd9cm" | "9" => Ok(IcdVersion::Icd9),
            _ => Err(CinError::invalid("icd version must be icd10 or icd9")),
        }
    }
}

/// Weighting of the Charlson categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CharlsonWeights {
    /// Quan et al. 2011 (default).
    #[default]
    Quan2011,
    /// Charlson et al. 1987.
    Charlson1987,
}

impl CharlsonWeights {
    /// `quan2011` / `quan`, `charlson1987` / `charlson`.
    pub fn from_name(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quan2011" | "quan" | "quan_2011" => Ok(CharlsonWeights::Quan2011),
            "charlson1987" | "charlson" | "charlson_1987" => Ok(CharlsonWeights::Charlson1987),
            _ => Err(CinError::invalid(
                "charlson weights must be quan2011 or charlson1987",
            )),
        }
    }
    pub fn table(self) -> &'static [i32; 17] {
        match self {
            CharlsonWeights::Quan2011 => &WEIGHTS_QUAN_2011,
            CharlsonWeights::Charlson1987 => &WEIGHTS_CHARLSON_1987,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharlsonOptions {
    pub icd: IcdVersion,
    pub weights: CharlsonWeights,
    /// Apply the severity hierarchy (default true).
    pub hierarchy: bool,
}

impl Default for CharlsonOptions {
    fn default() -> Self {
        CharlsonOptions {
            icd: IcdVersion::Icd10,
            weights: CharlsonWeights::Quan2011,
            hierarchy: true,
        }
    }
}

static ICD10: Lazy<PrefixMap> = Lazy::new(|| {
    PrefixMap::parse(
        include_str!("../../data/risk/charlson_icd10_quan.tsv"),
        &CHARLSON_CATEGORIES,
    )
});
static ICD9: Lazy<PrefixMap> = Lazy::new(|| {
    PrefixMap::parse(
        include_str!("../../data/risk/charlson_icd9_quan.tsv"),
        &CHARLSON_CATEGORIES,
    )
});

fn code_map(icd: IcdVersion) -> &'static PrefixMap {
    match icd {
        IcdVersion::Icd10 => &ICD10,
        IcdVersion::Icd9 => &ICD9,
    }
}

/// Category bits (bit i = [`CHARLSON_CATEGORIES`]`[i]`) of one normalised code.
pub fn charlson_categories_of(code: &str, icd: IcdVersion) -> u64 {
    code_map(icd).classify(code)
}

/// Applies the hierarchy: the milder form is dropped when the severe form is present.
pub fn charlson_hierarchy(bits: u64) -> u64 {
    super::batch::drop_milder(
        bits,
        &[
            (1 << MSLD, 1 << MLD),
            (1 << DIABWC, 1 << DIAB),
            (1 << METACANC, 1 << CANC),
        ],
    )
}

/// Score of a category bitset (after the hierarchy, if wanted).
pub fn charlson_score_bits(bits: u64, weights: CharlsonWeights) -> i32 {
    let w = weights.table();
    let mut s = 0;
    let mut b = bits;
    while b != 0 {
        let i = b.trailing_zeros() as usize;
        s += w[i];
        b &= b - 1;
    }
    s
}

fn finish(bits: u64, opts: &CharlsonOptions) -> u64 {
    if opts.hierarchy {
        charlson_hierarchy(bits)
    } else {
        bits
    }
}

/// Charlson index per patient from long-format rows.
///
/// Returns columns `patient_id`, `score`, then one 0/1 Int column per category (flags after the
/// hierarchy), patients in first-seen order. Mismatched lengths or an empty patient id are
/// `InvalidInput`; blank or unmatched codes are counted in the [`CodeReport`].
pub fn charlson_with_report(
    patient_ids: &(impl StrColumn + ?Sized),
    codes: &(impl StrColumn + ?Sized),
    opts: &CharlsonOptions,
) -> Result<(Table, CodeReport)> {
    let map = code_map(opts.icd);
    let agg = aggregate(patient_ids, codes, |c| Class {
        bits: map.classify(c),
        edit: 0,
    })?;
    let bits: Vec<u64> = agg.bits.iter().map(|b| finish(*b, opts)).collect();
    let scores = bits
        .iter()
        .map(|b| Some(charlson_score_bits(*b, opts.weights) as i64))
        .collect();
    let table = category_table(agg.ids, scores, &bits, &CHARLSON_CATEGORIES);
    Ok((table, agg.report))
}

/// [`charlson_with_report`] without the report.
pub fn charlson(
    patient_ids: &(impl StrColumn + ?Sized),
    codes: &(impl StrColumn + ?Sized),
    opts: &CharlsonOptions,
) -> Result<Table> {
    charlson_with_report(patient_ids, codes, opts).map(|(t, _)| t)
}

/// Fast path for the C ABI: ICD-10 codes with a dense patient index per row; returns the
/// Quan 2011 score (hierarchy applied) of each of `n_patients` patients.
pub fn charlson_indexed(
    codes: &[&str],
    patient_idx: &[u32],
    n_patients: usize,
) -> Result<Vec<i32>> {
    let bits = super::batch::indexed_bits(&ICD10, codes, patient_idx, n_patients)?;
    Ok(bits
        .into_iter()
        .map(|b| charlson_score_bits(charlson_hierarchy(b), CharlsonWeights::Quan2011))
        .collect())
}

/// Age points of the age-adjusted Charlson index (Charlson et al., J Clin Epidemiol
/// 1994;47(11):1245-51: one point per decade from the fifth decade on, at most 4).
/// `first_point_age` is where the first point starts: 50 in the 1994 paper's table and in
/// comorbidipy ((age-40) // 10), 51 in MIMIC-IV's `charlson.sql` (age <= 50 scores 0).
pub fn charlson_age_points(age: i64, first_point_age: i64) -> i32 {
    if age < first_point_age {
        0
    } else {
        (((age - first_point_age) / 10) + 1).min(4) as i32
    }
}

/// Builds `patient_id`, `score`, one 0/1 column per category.
pub(crate) fn category_table(
    ids: Text,
    scores: Vec<Option<i64>>,
    bits: &[u64],
    categories: &[&str],
) -> Table {
    let mut t = Table::new()
        .with("patient_id", Column::Text(ids))
        .with("score", Column::Int(scores));
    for (i, name) in categories.iter().enumerate() {
        t = t.with(
            name,
            Column::Flag(bits.iter().map(|b| ((b >> i) & 1) as u8).collect()),
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    const AMI: usize = 0;

    fn one(codes: &[&str], opts: &CharlsonOptions) -> (i64, Vec<i64>) {
        let ids = vec!["p"; codes.len()];
        let t = charlson(&ids, codes, opts).unwrap();
        let Some(Column::Int(s)) = t.column("score") else {
            panic!("score column")
        };
        let flags = CHARLSON_CATEGORIES
            .iter()
            .map(|c| t.column(c).and_then(|v| v.int_at(0)).expect(c))
            .collect();
        (s[0].unwrap(), flags)
    }

    #[test]
    fn liver_hierarchy_keeps_only_severe() {
        // K70.3 alcoholic cirrhosis = mild (2), I85.0 oesophageal varices = severe (4), Quan 2011.
        let o = CharlsonOptions::default();
        assert_eq!(one(&["K703"], &o).0, 2);
        assert_eq!(one(&["I850"], &o).0, 4);
        let (s, f) = one(&["K703", "I850"], &o);
        assert_eq!(s, 4);
        assert_eq!((f[MLD], f[MSLD]), (0, 1));
        let no_h = CharlsonOptions {
            hierarchy: false,
            ..o
        };
        assert_eq!(one(&["K703", "I850"], &no_h).0, 6);
    }

    #[test]
    fn diabetes_hierarchy_keeps_only_complicated() {
        // Charlson 1987: E11.9 uncomplicated 1, E11.22 with nephropathy 2 (and renal? no: E11.2 is
        // not in the renal list) -> 2, not 3.
        let o = CharlsonOptions {
            weights: CharlsonWeights::Charlson1987,
            ..CharlsonOptions::default()
        };
        assert_eq!(one(&["E119"], &o).0, 1);
        let (s, f) = one(&["E11.9", "e11.22"], &o);
        assert_eq!(s, 2);
        assert_eq!((f[DIAB], f[DIABWC]), (0, 1));
    }

    #[test]
    fn malignancy_hierarchy_keeps_only_metastatic() {
        // C50.911 breast cancer (2) + C78.00 lung metastasis (6): 6 under both weightings.
        let o = CharlsonOptions::default();
        let (s, f) = one(&["C50911", "C7800"], &o);
        assert_eq!(s, 6);
        assert_eq!((f[CANC], f[METACANC]), (0, 1));
        assert_eq!(one(&["C50911"], &o).0, 2);
    }

    #[test]
    fn weights_quan_vs_charlson() {
        // B20 HIV: Quan 2011 gives 4, Charlson 1987 gives 6. I21.4 MI: 0 vs 1.
        let q = CharlsonOptions::default();
        let c = CharlsonOptions {
            weights: CharlsonWeights::Charlson1987,
            ..q
        };
        assert_eq!(one(&["B20"], &q).0, 4);
        assert_eq!(one(&["B20"], &c).0, 6);
        let (s, f) = one(&["I214"], &q);
        assert_eq!((s, f[AMI]), (0, 1));
        assert_eq!(one(&["I214"], &c).0, 1);
    }

    #[test]
    fn icd9_codes() {
        // 428.0 CHF (Quan 2011: 2) + 250.40 diabetes with renal manifestations (1).
        let o = CharlsonOptions {
            icd: IcdVersion::Icd9,
            ..CharlsonOptions::default()
        };
        assert_eq!(one(&["428.0", "25040"], &o).0, 3);
    }

    #[test]
    fn lengths_blank_and_report() {
        let ids = ["a", "a", "b", "b"];
        let codes = [" i50.9 ", "", "Z00.00", "I50.9"];
        let (t, r) = charlson_with_report(&ids, &codes, &CharlsonOptions::default()).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.column("score"),
            Some(&Column::Int(vec![Some(2), Some(2)]))
        );
        assert_eq!(
            (
                r.rows,
                r.blank,
                r.matched_rows,
                r.unmatched_rows,
                r.unmatched_distinct
            ),
            (4, 1, 2, 1, 1)
        );
        let err = charlson(&ids, &codes[..3], &CharlsonOptions::default()).unwrap_err();
        assert!(err.to_string().contains("3 rows"), "{err}");
        assert!(charlson(&["a", " "], &["I10", "I10"], &CharlsonOptions::default()).is_err());
    }

    #[test]
    fn indexed_matches_table() {
        let codes = ["I50.9", "C78.00", "C50.911", "K703"];
        let idx = [0u32, 1, 1, 2];
        assert_eq!(charlson_indexed(&codes, &idx, 4).unwrap(), vec![2, 6, 2, 0]);
        assert!(charlson_indexed(&codes, &[0, 1, 9, 0], 4).is_err());
        assert!(charlson_indexed(&codes, &[0], 4).is_err());
        assert!(charlson_indexed(&[], &[], usize::MAX).is_err());
        assert_eq!(charlson_indexed(&[], &[], 2).unwrap(), vec![0, 0]);
    }

    #[test]
    fn age_points_boundaries() {
        assert_eq!(charlson_age_points(49, 50), 0);
        assert_eq!(charlson_age_points(50, 50), 1);
        assert_eq!(charlson_age_points(59, 50), 1);
        assert_eq!(charlson_age_points(60, 50), 2);
        assert_eq!(charlson_age_points(79, 50), 3);
        assert_eq!(charlson_age_points(80, 50), 4);
        assert_eq!(charlson_age_points(101, 50), 4);
        assert_eq!(charlson_age_points(50, 51), 0);
        assert_eq!(charlson_age_points(51, 51), 1);
    }
}
