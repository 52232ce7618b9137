//! AHRQ/HCUP Elixhauser Comorbidity Software Refined for ICD-10-CM, v2026.1: the 38 comorbidity
//! measures and the in-hospital mortality and 30-day readmission indices.
//!
//! Source (US government work, public domain), all from the v2026.1 release at
//! <https://hcup-us.ahrq.gov/toolssoftware/comorbidityicd10/comorbidity_icd10.jsp>:
//! - code -> measure(s): `CMR-Reference-File-v2026-1.xlsx`, sheet DX_to_Comorb_Mapping (the same
//!   assignments as the `$COMFMT` format of `CMR_Format_Program_v2026-1.sas`), in
//!   `core/data/risk/elixhauser_ahrq_v2026_1_dx.tsv`;
//! - measures, POA dependence and index weights: sheet Comorbidity_Measures and
//!   `CMR_Index_Program_v2026-1.sas` (`mwXXX`, `rwXXX`), in
//!   `core/data/risk/elixhauser_ahrq_v2026_1_measures.tsv`;
//! - the rules below: `CMR_Mapping_Program_v2026-1.sas`.
//!
//! Rules as the mapping program states them:
//! - a code may carry several measures (combination codes such as I13.2 = heart failure,
//!   complicated hypertension and severe renal failure);
//! - cerebrovascular disease (`cmr_cbvd`) is set by an acute cerebrovascular code present on
//!   admission, or by a sequela code (I69.x) when no acute code was coded as not present on
//!   admission;
//! - exclusions: complicated diabetes drops uncomplicated diabetes, complicated hypertension drops
//!   uncomplicated hypertension, metastatic cancer drops solid tumour and in-situ tumour, solid
//!   tumour drops in-situ tumour, severe liver disease drops mild liver disease, severe renal
//!   failure drops moderate renal failure. Leukaemia and lymphoma drop nothing.
//! - each index is the sum of the weights of the flagged measures (after the exclusions).
//!
//! What differs from the SAS software, because long-format input carries neither a present-on-
//! admission (POA) indicator nor a principal-diagnosis position:
//! - every code is taken as present on admission. The software assigns the 18 POA-dependent
//!   measures (see [`AhrqMeasure::poa_dependent`]) only from diagnoses coded POA "Y"/"W" or exempt
//!   from POA reporting, and lets an acute cerebrovascular code not POA suppress the sequela
//!   route to `cmr_cbvd`; with every code POA the exempt lists are not needed and the sequela
//!   route always counts. Callers who have POA flags should drop non-POA rows of POA-dependent
//!   measures before calling.
//! - every code counts; the software skips the principal diagnosis (`DX1`). Leave the principal
//!   diagnosis of the index stay out of the input to match it.

use super::batch::{Class, CodeReport, MixMap, aggregate};
use super::charlson::category_table;
use crate::error::{CinError, Result};
use crate::str_column::StrColumn;
use crate::table::Table;
use once_cell::sync::Lazy;

/// Output columns after `patient_id` and `score`: the software's data element names in lower
/// case, in the reference workbook's order.
pub const AHRQ_MEASURES: [&str; 38] = [
    "cmr_aids",
    "cmr_alcohol",
    "cmr_anemdef",
    "cmr_autoimmune",
    "cmr_bldloss",
    "cmr_cancer_leuk",
    "cmr_cancer_lymph",
    "cmr_cancer_mets",
    "cmr_cancer_nsitu",
    "cmr_cancer_solid",
    "cmr_cbvd",
    "cmr_coag",
    "cmr_dementia",
    "cmr_depress",
    "cmr_diab_cx",
    "cmr_diab_uncx",
    "cmr_drug_abuse",
    "cmr_hf",
    "cmr_htn_cx",
    "cmr_htn_uncx",
    "cmr_liver_mld",
    "cmr_liver_sev",
    "cmr_lung_chronic",
    "cmr_neuro_movt",
    "cmr_neuro_oth",
    "cmr_neuro_seiz",
    "cmr_obese",
    "cmr_paralysis",
    "cmr_perivasc",
    "cmr_psychoses",
    "cmr_pulmcirc",
    "cmr_renlfl_mod",
    "cmr_renlfl_sev",
    "cmr_thyroid_hypo",
    "cmr_thyroid_oth",
    "cmr_ulcer_peptic",
    "cmr_valve",
    "cmr_wghtloss",
];

/// Bit of a measure in [`AHRQ_MEASURES`] (compile-time lookup for the rules).
const fn bit(name: &str) -> u64 {
    let mut i = 0;
    while i < AHRQ_MEASURES.len() {
        if const_eq(AHRQ_MEASURES[i], name) {
            return 1 << i;
        }
        i += 1;
    }
    panic!("unknown AHRQ measure")
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const DIAB_CX: u64 = bit("cmr_diab_cx");
const DIAB_UNCX: u64 = bit("cmr_diab_uncx");
const HTN_CX: u64 = bit("cmr_htn_cx");
const HTN_UNCX: u64 = bit("cmr_htn_uncx");
const CANCER_METS: u64 = bit("cmr_cancer_mets");
const CANCER_SOLID: u64 = bit("cmr_cancer_solid");
const CANCER_NSITU: u64 = bit("cmr_cancer_nsitu");
const LIVER_SEV: u64 = bit("cmr_liver_sev");
const LIVER_MLD: u64 = bit("cmr_liver_mld");
const RENLFL_SEV: u64 = bit("cmr_renlfl_sev");
const RENLFL_MOD: u64 = bit("cmr_renlfl_mod");

/// (more severe, milder) pairs of the mapping program's exclusions, applied in this order.
const EXCLUSIONS: [(u64, u64); 7] = [
    (DIAB_CX, DIAB_UNCX),
    (HTN_CX, HTN_UNCX),
    (CANCER_METS, CANCER_SOLID),
    (CANCER_METS, CANCER_NSITU),
    (CANCER_SOLID, CANCER_NSITU),
    (LIVER_SEV, LIVER_MLD),
    (RENLFL_SEV, RENLFL_MOD),
];

/// Which AHRQ index the score column carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AhrqIndex {
    /// In-hospital mortality index (`CMR_Index_Mortality`).
    Mortality,
    /// 30-day all-cause readmission index (`CMR_Index_Readmission`).
    Readmission,
}

/// One of the 38 measures as the v2026.1 release describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AhrqMeasure {
    /// Column name (`cmr_aids`...).
    pub name: &'static str,
    /// The workbook's description.
    pub description: &'static str,
    /// True when the software assigns the measure only from diagnoses present on admission.
    pub poa_dependent: bool,
    /// Weight in the in-hospital mortality index.
    pub mortality: i32,
    /// Weight in the 30-day readmission index.
    pub readmission: i32,
}

struct Tables {
    measures: Vec<AhrqMeasure>,
    /// Exact normalised code -> measure bits (cerebrovascular acute and sequela both set
    /// `cmr_cbvd`, every code being taken as present on admission).
    codes: MixMap<&'static str, u64>,
}

/// Parses the bundled tables; they are compiled in, so a malformed line is a build bug the
/// tests catch (it panics on first use in a test, never on caller input).
fn parse_tables() -> Tables {
    let mut measures = Vec::with_capacity(AHRQ_MEASURES.len());
    for line in data_lines(include_str!(
        "../../data/risk/elixhauser_ahrq_v2026_1_measures.tsv"
    )) {
        let f: Vec<&'static str> = line.split('\t').collect();
        let (Some(&name), Some(&poa), Some(m), Some(r), Some(&description)) = (
            f.first(),
            f.get(1),
            f.get(2).and_then(|s| s.parse().ok()),
            f.get(3).and_then(|s| s.parse().ok()),
            f.get(4),
        ) else {
            panic!("bad AHRQ measure line: {line}");
        };
        measures.push(AhrqMeasure {
            name,
            description,
            poa_dependent: poa == "yes",
            mortality: m,
            readmission: r,
        });
    }
    let mut codes: MixMap<&'static str, u64> = MixMap::default();
    for line in data_lines(include_str!(
        "../../data/risk/elixhauser_ahrq_v2026_1_dx.tsv"
    )) {
        let mut f = line.split('\t');
        let (Some(code), Some(list)) = (f.next(), f.next()) else {
            panic!("bad AHRQ code line: {line}");
        };
        let mut bits = 0u64;
        for m in list.split_whitespace() {
            let name = match m {
                "cbvd_poa" | "cbvd_sqla" => "cbvd",
                other => other,
            };
            let i = AHRQ_MEASURES
                .iter()
                .position(|c| c.strip_prefix("cmr_") == Some(name))
                .unwrap_or_else(|| panic!("unknown AHRQ measure {m}"));
            bits |= 1 << i;
        }
        codes.insert(code, bits);
    }
    Tables { measures, codes }
}

fn data_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
}

static TABLES: Lazy<Tables> = Lazy::new(parse_tables);

/// The 38 measures with their POA dependence and index weights, in [`AHRQ_MEASURES`] order.
pub fn ahrq_measures() -> &'static [AhrqMeasure] {
    &TABLES.measures
}

/// Measure bits (bit i = [`AHRQ_MEASURES`]`[i]`) of one normalised ICD-10-CM code (no dots,
/// upper case; see [`super::normalize_dx`]). Codes match exactly, as the SAS format does: a
/// category header such as `E11` matches nothing.
pub fn elixhauser_ahrq_measures_of(code: &str) -> u64 {
    TABLES.codes.get(code).copied().unwrap_or(0)
}

/// Applies the mapping program's exclusions (see the module documentation).
pub fn elixhauser_ahrq_exclusions(bits: u64) -> u64 {
    super::batch::drop_milder(bits, &EXCLUSIONS)
}

/// Sum of the chosen index's weights over the flagged measures.
pub fn elixhauser_ahrq_index(bits: u64, index: AhrqIndex) -> i32 {
    TABLES
        .measures
        .iter()
        .enumerate()
        .filter(|(i, _)| (bits >> i) & 1 == 1)
        .map(|(_, m)| match index {
            AhrqIndex::Mortality => m.mortality,
            AhrqIndex::Readmission => m.readmission,
        })
        .sum()
}

/// AHRQ refined measures and index per patient from long-format ICD-10-CM rows: columns
/// `patient_id`, `score` (the chosen index), one 0/1 Int column per [`AHRQ_MEASURES`] entry.
/// `exclusions = false` returns the measures before the exclusions (the score then sums them
/// as they are).
pub fn elixhauser_ahrq_with_report(
    patient_ids: &(impl StrColumn + ?Sized),
    codes: &(impl StrColumn + ?Sized),
    index: AhrqIndex,
    exclusions: bool,
) -> Result<(Table, CodeReport)> {
    let tables = &*TABLES;
    let agg = aggregate(patient_ids, codes, |c| Class {
        bits: tables.codes.get(c).copied().unwrap_or(0),
        edit: 0,
    })?;
    let bits: Vec<u64> = agg
        .bits
        .iter()
        .map(|b| {
            if exclusions {
                elixhauser_ahrq_exclusions(*b)
            } else {
                *b
            }
        })
        .collect();
    let scores = bits
        .iter()
        .map(|b| Some(i64::from(elixhauser_ahrq_index(*b, index))))
        .collect();
    Ok((
        category_table(agg.ids, scores, &bits, &AHRQ_MEASURES),
        agg.report,
    ))
}

/// [`elixhauser_ahrq_with_report`] without the report.
pub fn elixhauser_ahrq(
    patient_ids: &(impl StrColumn + ?Sized),
    codes: &(impl StrColumn + ?Sized),
    index: AhrqIndex,
) -> Result<Table> {
    elixhauser_ahrq_with_report(patient_ids, codes, index, true).map(|(t, _)| t)
}

/// Error for an ICD-9 request: the refined software is defined on ICD-10-CM only.
pub(crate) fn icd9_unsupported() -> CinError {
    CinError::invalid("the AHRQ refined Elixhauser measures are defined for ICD-10-CM codes only")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{ElixhauserOptions, ElixhauserWeights, IcdVersion, elixhauser};

    fn int(t: &Table, c: &str, row: usize) -> i64 {
        t.column(c)
            .and_then(|v| v.int_at(row))
            .unwrap_or_else(|| panic!("no value in {c}"))
    }

    /// Flagged measures and (mortality, readmission) of one patient's codes.
    fn one(codes: &[&str]) -> (Vec<&'static str>, i64, i64) {
        let ids = vec!["p"; codes.len()];
        let m = elixhauser_ahrq(&ids, codes, AhrqIndex::Mortality).unwrap();
        let r = elixhauser_ahrq(&ids, codes, AhrqIndex::Readmission).unwrap();
        let flags = AHRQ_MEASURES
            .iter()
            .copied()
            .filter(|c| int(&m, c, 0) == 1)
            .collect();
        (flags, int(&m, "score", 0), int(&r, "score", 0))
    }

    #[test]
    fn tables_load_completely() {
        // Counts taken from CMR-Reference-File-v2026-1.xlsx with a short python3 script
        // (rows of DX_to_Comorb_Mapping; sum of each measure's 0/1 column).
        let t = &*TABLES;
        assert_eq!(t.codes.len(), 4567);
        let names: Vec<&str> = t.measures.iter().map(|m| m.name).collect();
        assert_eq!(names, AHRQ_MEASURES);
        assert_eq!(t.measures.iter().filter(|m| m.poa_dependent).count(), 18);
        let count = |name: &str| {
            let b = bit_of(name);
            t.codes.values().filter(|v| **v & b != 0).count()
        };
        assert_eq!(count("cmr_aids"), 9);
        assert_eq!(count("cmr_bldloss"), 1);
        assert_eq!(count("cmr_renlfl_mod"), 6);
        assert_eq!(count("cmr_htn_uncx"), 10);
        assert_eq!(count("cmr_drug_abuse"), 259);
        // 184 acute + 127 sequela codes, none both.
        assert_eq!(count("cmr_cbvd"), 311);
        assert!(
            AHRQ_MEASURES
                .iter()
                .all(|m| t.codes.values().any(|v| *v & bit_of(m) != 0))
        );
    }

    fn bit_of(name: &str) -> u64 {
        1 << AHRQ_MEASURES.iter().position(|c| *c == name).unwrap()
    }

    #[test]
    fn weights_are_the_index_program_values() {
        // CMR_Index_Program_v2026-1.sas: mwHF = 14, rwHF = 7; mwCANCER_METS = 22,
        // rwCANCER_METS = 11; mwPSYCHOSES = -9, rwPSYCHOSES = 6; mwOBESE = -7, rwOBESE = -2.
        let w = |n: &str| {
            let m = ahrq_measures().iter().find(|m| m.name == n).unwrap();
            (m.mortality, m.readmission, m.poa_dependent)
        };
        assert_eq!(w("cmr_hf"), (14, 7, true));
        assert_eq!(w("cmr_cancer_mets"), (22, 11, false));
        assert_eq!(w("cmr_psychoses"), (-9, 6, true));
        assert_eq!(w("cmr_obese"), (-7, -2, false));
        // Totals over all 38 weights, summed by hand from the mwXXX / rwXXX lines of the index program.
        let (m, r): (i32, i32) = ahrq_measures()
            .iter()
            .fold((0, 0), |(m, r), x| (m + x.mortality, r + x.readmission));
        assert_eq!((m, r), (106, 131));
    }

    #[test]
    fn exact_codes_and_combinations() {
        assert_eq!(elixhauser_ahrq_measures_of("I10"), bit_of("cmr_htn_uncx"));
        // Category headers and unlisted codes match nothing (exact match, as the SAS format).
        assert_eq!(elixhauser_ahrq_measures_of("E11"), 0);
        assert_eq!(elixhauser_ahrq_measures_of("I214"), 0);
        // I13.2: HFHTN_CXRENLFL_SEV; M32.11: VALVE_AUTOIMMUNE; G93.45: NEURO_OTH_SEIZ.
        assert_eq!(
            elixhauser_ahrq_measures_of("I132"),
            bit_of("cmr_hf") | bit_of("cmr_htn_cx") | bit_of("cmr_renlfl_sev")
        );
        assert_eq!(
            elixhauser_ahrq_measures_of("M3211"),
            bit_of("cmr_autoimmune") | bit_of("cmr_valve")
        );
        assert_eq!(
            elixhauser_ahrq_measures_of("G9345"),
            bit_of("cmr_neuro_oth") | bit_of("cmr_neuro_seiz")
        );
        // Dotted, lower-case input is normalised by the batch function.
        let (f, _, _) = one(&["k70.10"]);
        assert_eq!(f, ["cmr_alcohol", "cmr_liver_mld"]);
    }

    #[test]
    fn diabetes_exclusion() {
        assert_eq!(one(&["E119"]).0, ["cmr_diab_uncx"]);
        assert_eq!(one(&["E119", "E1122"]).0, ["cmr_diab_cx"]);
    }

    #[test]
    fn hypertension_exclusion() {
        // I10 + I11.0: complicated hypertension and heart failure; mortality 1 + 14 = 15,
        // readmission 0 + 7 = 7.
        assert_eq!(one(&["I10", "I110"]), (vec!["cmr_hf", "cmr_htn_cx"], 15, 7));
        // Uncomplicated hypertension is not dropped by renal failure alone.
        assert_eq!(one(&["I10", "N186"]).0, ["cmr_htn_uncx", "cmr_renlfl_sev"]);
    }

    #[test]
    fn cancer_exclusions() {
        // Solid tumour drops in situ; metastases drop both; lymphoma stays beside metastases.
        assert_eq!(one(&["D0510"]).0, ["cmr_cancer_nsitu"]);
        assert_eq!(one(&["C3490", "D0510"]).0, ["cmr_cancer_solid"]);
        assert_eq!(one(&["C3490", "D0510", "C7800"]).0, ["cmr_cancer_mets"]);
        assert_eq!(one(&["D0510", "C7800"]).0, ["cmr_cancer_mets"]);
        // Lymphoma 5 + metastatic 22 = 27 (mortality); 7 + 11 = 18 (readmission).
        assert_eq!(
            one(&["C8190", "C7800"]),
            (vec!["cmr_cancer_lymph", "cmr_cancer_mets"], 27, 18)
        );
    }

    #[test]
    fn liver_and_renal_severity() {
        assert_eq!(one(&["K7030"]).0, ["cmr_liver_mld"]);
        assert_eq!(one(&["K7030", "K7290"]).0, ["cmr_liver_sev"]);
        assert_eq!(one(&["N1831"]).0, ["cmr_renlfl_mod"]);
        // Moderate 3/4 is dropped by severe 7/8.
        assert_eq!(one(&["N1831", "N186"]), (vec!["cmr_renlfl_sev"], 7, 8));
    }

    #[test]
    fn cerebrovascular_acute_and_sequela() {
        // Acute infarct: cbvd (mortality 5, readmission 0). Sequela with hemiplegia: cbvd and
        // paralysis (5 + 4 = 9; 0 + 3 = 3), every code taken as present on admission.
        assert_eq!(one(&["I639"]), (vec!["cmr_cbvd"], 5, 0));
        assert_eq!(one(&["I69351"]), (vec!["cmr_cbvd", "cmr_paralysis"], 9, 3));
    }

    #[test]
    fn index_sums_by_hand() {
        // I13.2 (hf 14/7, htn_cx 1/0, renlfl_sev 7/8) + F32.9 (depress -8/2) + E66.9
        // (obese -7/-2): mortality 14 + 1 + 7 - 8 - 7 = 7, readmission 7 + 0 + 8 + 2 - 2 = 15.
        let (_, m, r) = one(&["I132", "F329", "E669"]);
        assert_eq!((m, r), (7, 15));
        // C78.00 (22/11) + K72.90 (16/10) + E43 (13/6): 51 and 27.
        let (_, m, r) = one(&["C7800", "K7290", "E43"]);
        assert_eq!((m, r), (51, 27));
        // F20.0 (psychoses -9/6) + F32.9 (-8/2) + F11.20 (drug abuse -7/6): -24 and 14.
        let (_, m, r) = one(&["F200", "F329", "F1120"]);
        assert_eq!((m, r), (-24, 14));
        // F11.150 carries drug abuse and psychoses: -7 - 9 = -16, 6 + 6 = 12.
        let (f, m, r) = one(&["F11150"]);
        assert_eq!(
            (f, m, r),
            (vec!["cmr_drug_abuse", "cmr_psychoses"], -16, 12)
        );
    }

    #[test]
    fn batch_shape_and_report() {
        let ids = ["a", "b", "a", "c", "b"];
        let codes = ["I50.20", "Z00.00", "E11.9", " ", "E1122"];
        let (t, rep) =
            elixhauser_ahrq_with_report(&ids, &codes, AhrqIndex::Readmission, true).unwrap();
        assert_eq!(t.len(), 3);
        let names: Vec<&str> = t.column_names().iter().map(String::as_str).collect();
        assert_eq!(names[..2], ["patient_id", "score"]);
        assert_eq!(names[2..], AHRQ_MEASURES);
        // a: heart failure 7 + uncomplicated diabetes 0; b: complicated diabetes 4; c: none.
        assert_eq!(
            (
                int(&t, "score", 0),
                int(&t, "score", 1),
                int(&t, "score", 2)
            ),
            (7, 4, 0)
        );
        assert_eq!(
            (rep.rows, rep.blank, rep.matched_rows, rep.unmatched_rows),
            (5, 1, 3, 1)
        );
    }

    #[test]
    fn selected_through_elixhauser_options() {
        let ids = ["p", "p"];
        let codes = ["E119", "E1122"];
        let opts = ElixhauserOptions {
            weights: ElixhauserWeights::from_name("ahrq_mortality").unwrap(),
            ..ElixhauserOptions::default()
        };
        let t = elixhauser(&ids, &codes, &opts).unwrap();
        assert_eq!(int(&t, "score", 0), -2);
        assert_eq!(int(&t, "cmr_diab_uncx", 0), 0);
        assert!(t.column("diabc").is_none());
        // Without the exclusions both diabetes flags stay (score -2 + 0).
        let raw = ElixhauserOptions {
            hierarchy: false,
            ..opts
        };
        let t = elixhauser(&ids, &codes, &raw).unwrap();
        assert_eq!(int(&t, "cmr_diab_uncx", 0), 1);
        assert_eq!(
            ElixhauserWeights::from_name(" AHRQ_Readmission ").unwrap(),
            ElixhauserWeights::AhrqReadmission
        );
        // The default stays van Walraven with its own columns.
        let t = elixhauser(&ids, &codes, &ElixhauserOptions::default()).unwrap();
        assert_eq!(int(&t, "diabc", 0), 1);
        assert!(t.column("cmr_diab_cx").is_none());
        // ICD-9 has no AHRQ refined mapping.
        let icd9 = ElixhauserOptions {
            icd: IcdVersion::Icd9,
            ..opts
        };
        assert!(matches!(
            elixhauser(&ids, &codes, &icd9),
            Err(CinError::InvalidInput(_))
        ));
        // Score of a bitset through the shared entry point.
        let bits = elixhauser_ahrq_measures_of("I132");
        assert_eq!(
            crate::risk::elixhauser_score_bits(bits, ElixhauserWeights::AhrqReadmission),
            15
        );
    }
}
