//! Elixhauser comorbidity measures and the van Walraven point score.
//!
//! Code lists: Quan et al., Med Care 2005;43(11):1130-9 (ICD-10 and enhanced ICD-9-CM algorithms
//! for the 30 Elixhauser conditions; hypertension kept as uncomplicated/complicated = 31 flags),
//! in `core/data/risk/elixhauser_icd*_quan.tsv`.
//! Weights: van Walraven et al., Med Care 2009;47(6):626-33, table 2 (points for in-hospital death).
//! Hierarchy (as comorbidipy `assign0` does): complicated hypertension drops uncomplicated,
//! complicated diabetes drops uncomplicated, metastatic cancer drops solid tumour.
//!
//! The AHRQ/HCUP "Elixhauser Comorbidity Software Refined for ICD-10-CM" (38 measures, mortality
//! and readmission indices) is selected with [`ElixhauserWeights::AhrqMortality`] or
//! [`ElixhauserWeights::AhrqReadmission`] and lives in `elixhauser_ahrq.rs`.

use super::batch::{Class, CodeReport, PrefixMap, aggregate};
use super::charlson::{IcdVersion, category_table};
use super::elixhauser_ahrq::{
    AhrqIndex, elixhauser_ahrq_index, elixhauser_ahrq_with_report, icd9_unsupported,
};
use crate::error::{CinError, Result};
use crate::str_column::StrColumn;
use crate::table::Table;
use once_cell::sync::Lazy;

/// Category columns in output order (comorbidipy's short names).
pub const ELIXHAUSER_CATEGORIES: [&str; 31] = [
    "chf", "carit", "valv", "pcd", "pvd", "hypunc", "hypc", "para", "ond", "cpd", "diabunc",
    "diabc", "hypothy", "rf", "ld", "pud", "aids", "lymph", "metacanc", "solidtum", "rheumd",
    "coag", "obes", "wloss", "fed", "blane", "dane", "alcohol", "drug", "psycho", "depre",
];

/// van Walraven 2009 points, in [`ELIXHAUSER_CATEGORIES`] order.
pub const WEIGHTS_VAN_WALRAVEN: [i32; 31] = [
    7, 5, -1, 4, 2, 0, 0, 7, 6, 3, 0, 0, 0, 5, 11, 0, 0, 9, 12, 4, 0, 3, -4, 6, 5, -2, -2, 0, -7,
    0, -3,
];

const HYPUNC: usize = 5;
const HYPC: usize = 6;
const DIABUNC: usize = 10;
const DIABC: usize = 11;
const METACANC: usize = 18;
const SOLIDTUM: usize = 19;

/// Weighting of the Elixhauser flags. The van Walraven weights score the Quan 2005 categories
/// ([`ELIXHAUSER_CATEGORIES`] columns); the AHRQ weights score the AHRQ refined measures
/// ([`super::AHRQ_MEASURES`] columns, ICD-10-CM only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ElixhauserWeights {
    /// van Walraven et al. 2009 (default).
    #[default]
    VanWalraven,
    /// AHRQ Elixhauser Comorbidity Software Refined, in-hospital mortality index.
    AhrqMortality,
    /// AHRQ Elixhauser Comorbidity Software Refined, 30-day readmission index.
    AhrqReadmission,
}

impl ElixhauserWeights {
    /// `van_walraven` (also `vanwalraven`, `vw`), `ahrq_mortality`, `ahrq_readmission`.
    pub fn from_name(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "van_walraven" | "vanwalraven" | "vw" => Ok(ElixhauserWeights::VanWalraven),
            "ahrq_mortality" => Ok(ElixhauserWeights::AhrqMortality),
            "ahrq_readmission" => Ok(ElixhauserWeights::AhrqReadmission),
            _ => Err(CinError::invalid(
                "elixhauser weights must be van_walraven, ahrq_mortality or ahrq_readmission",
            )),
        }
    }

    /// The AHRQ index these weights select, if any.
    pub fn ahrq_index(self) -> Option<AhrqIndex> {
        match self {
            ElixhauserWeights::VanWalraven => None,
            ElixhauserWeights::AhrqMortality => Some(AhrqIndex::Mortality),
            ElixhauserWeights::AhrqReadmission => Some(AhrqIndex::Readmission),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElixhauserOptions {
    pub icd: IcdVersion,
    pub weights: ElixhauserWeights,
    /// Apply the hierarchy (default true); for the AHRQ weights, the AHRQ exclusions.
    pub hierarchy: bool,
}

impl Default for ElixhauserOptions {
    fn default() -> Self {
        ElixhauserOptions {
            icd: IcdVersion::Icd10,
            weights: ElixhauserWeights::VanWalraven,
            hierarchy: true,
        }
    }
}

static ICD10: Lazy<PrefixMap> = Lazy::new(|| {
    PrefixMap::parse(
        include_str!("../../data/risk/elixhauser_icd10_quan.tsv"),
        &ELIXHAUSER_CATEGORIES,
    )
});
static ICD9: Lazy<PrefixMap> = Lazy::new(|| {
    PrefixMap::parse(
        include_str!("../../data/risk/elixhauser_icd9_quan.tsv"),
        &ELIXHAUSER_CATEGORIES,
    )
});

fn code_map(icd: IcdVersion) -> &'static PrefixMap {
    match icd {
        IcdVersion::Icd10 => &ICD10,
        IcdVersion::Icd9 => &ICD9,
    }
}

/// Category bits (bit i = [`ELIXHAUSER_CATEGORIES`]`[i]`) of one normalised code.
pub fn elixhauser_categories_of(code: &str, icd: IcdVersion) -> u64 {
    code_map(icd).classify(code)
}

/// Drops the milder form when the more severe one is present.
pub fn elixhauser_hierarchy(bits: u64) -> u64 {
    super::batch::drop_milder(
        bits,
        &[
            (1 << HYPC, 1 << HYPUNC),
            (1 << DIABC, 1 << DIABUNC),
            (1 << METACANC, 1 << SOLIDTUM),
        ],
    )
}

/// Score of a bitset laid out as the weights' columns: [`ELIXHAUSER_CATEGORIES`] for van
/// Walraven, [`super::AHRQ_MEASURES`] for the AHRQ indices.
pub fn elixhauser_score_bits(bits: u64, weights: ElixhauserWeights) -> i32 {
    if let Some(index) = weights.ahrq_index() {
        return elixhauser_ahrq_index(bits, index);
    }
    let mut s = 0;
    let mut b = bits;
    while b != 0 {
        let i = b.trailing_zeros() as usize;
        s += WEIGHTS_VAN_WALRAVEN[i];
        b &= b - 1;
    }
    s
}

/// Elixhauser flags and score per patient from long-format rows: columns `patient_id`, `score`,
/// one 0/1 Int column per category (after the hierarchy). With the van Walraven weights the
/// categories are [`ELIXHAUSER_CATEGORIES`]; with the AHRQ weights they are
/// [`super::AHRQ_MEASURES`] and the score is the chosen AHRQ index (ICD-10-CM only; an ICD-9
/// request is `InvalidInput`).
pub fn elixhauser_with_report(
    patient_ids: &(impl StrColumn + ?Sized),
    codes: &(impl StrColumn + ?Sized),
    opts: &ElixhauserOptions,
) -> Result<(Table, CodeReport)> {
    if let Some(index) = opts.weights.ahrq_index() {
        if opts.icd != IcdVersion::Icd10 {
            return Err(icd9_unsupported());
        }
        return elixhauser_ahrq_with_report(patient_ids, codes, index, opts.hierarchy);
    }
    let map = code_map(opts.icd);
    let agg = aggregate(patient_ids, codes, |c| Class {
        bits: map.classify(c),
        edit: 0,
    })?;
    let bits: Vec<u64> = agg
        .bits
        .iter()
        .map(|b| {
            if opts.hierarchy {
                elixhauser_hierarchy(*b)
            } else {
                *b
            }
        })
        .collect();
    let scores = bits
        .iter()
        .map(|b| Some(elixhauser_score_bits(*b, opts.weights) as i64))
        .collect();
    Ok((
        category_table(agg.ids, scores, &bits, &ELIXHAUSER_CATEGORIES),
        agg.report,
    ))
}

/// [`elixhauser_with_report`] without the report.
pub fn elixhauser(
    patient_ids: &(impl StrColumn + ?Sized),
    codes: &(impl StrColumn + ?Sized),
    opts: &ElixhauserOptions,
) -> Result<Table> {
    elixhauser_with_report(patient_ids, codes, opts).map(|(t, _)| t)
}

/// Fast path for the C ABI: ICD-10 codes with a dense patient index per row; returns the van
/// Walraven score (hierarchy applied) of each of `n_patients` patients. Errors as
/// [`crate::risk::charlson_indexed`].
pub fn elixhauser_indexed(
    codes: &[&str],
    patient_idx: &[u32],
    n_patients: usize,
) -> Result<Vec<i32>> {
    let bits = super::batch::indexed_bits(&ICD10, codes, patient_idx, n_patients)?;
    Ok(bits
        .into_iter()
        .map(|b| elixhauser_score_bits(elixhauser_hierarchy(b), ElixhauserWeights::VanWalraven))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(codes: &[&str]) -> (i64, Vec<i64>) {
        let ids = vec!["p"; codes.len()];
        let t = elixhauser(&ids, codes, &ElixhauserOptions::default()).unwrap();
        let get = |c: &str| t.column(c).and_then(|v| v.int_at(0)).expect(c);
        (
            get("score"),
            ELIXHAUSER_CATEGORIES.iter().map(|c| get(c)).collect(),
        )
    }

    #[test]
    fn hypertension_hierarchy() {
        // I10 (0 points) + I11.0 hypertensive heart disease with HF: hypc and chf (7).
        let (s, f) = score(&["I10", "I110"]);
        assert_eq!((f[HYPUNC], f[HYPC], f[0]), (0, 1, 1));
        assert_eq!(s, 7);
    }

    #[test]
    fn diabetes_hierarchy() {
        let (_, f) = score(&["E119", "E1122"]);
        assert_eq!((f[DIABUNC], f[DIABC]), (0, 1));
        let (_, f) = score(&["E119"]);
        assert_eq!((f[DIABUNC], f[DIABC]), (1, 0));
    }

    #[test]
    fn tumour_hierarchy_and_negative_weights() {
        // C34.90 solid tumour 4; + C78.00 metastatic 12 -> 12 only. F32.9 depression -3.
        assert_eq!(score(&["C3490"]).0, 4);
        let (s, f) = score(&["C3490", "C7800"]);
        assert_eq!((s, f[SOLIDTUM], f[METACANC]), (12, 0, 1));
        assert_eq!(score(&["F329"]).0, -3);
        // F31.5: psychoses (0) and depression (-3) both.
        let (s, f) = score(&["F315"]);
        assert_eq!((s, f[29], f[30]), (-3, 1, 1));
    }

    #[test]
    fn indexed_matches_the_table_form() {
        // Patient 0: I10 + I11.0 (7, see hypertension_hierarchy); 1: none; 2: C34.90 + C78.00
        // (12, see tumour_hierarchy_and_negative_weights) and F32.9 (-3) = 9.
        let codes = ["I10", "I11.0", "C34.90", "C78.00", "F32.9"];
        let idx = [0, 0, 2, 2, 2];
        assert_eq!(elixhauser_indexed(&codes, &idx, 3).unwrap(), vec![7, 0, 9]);
        assert!(matches!(
            elixhauser_indexed(&codes, &idx, 2),
            Err(CinError::InvalidInput(_))
        ));
        assert!(elixhauser_indexed(&codes, &idx[..2], 3).is_err());
    }
}
