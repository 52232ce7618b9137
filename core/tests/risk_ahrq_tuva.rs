//! AHRQ refined Elixhauser measures and indices on the shared Tuva synthetic claims: every
//! non-empty `diagnosis_code_1..25` of medical_claim.csv is one long-format row.
//!
//! Expected figures were computed independently with a short python3 script that reads the AHRQ
//! reference workbook (CMR-Reference-File-v2026-1.xlsx, sheet DX_to_Comorb_Mapping) directly,
//! applies the exclusions of CMR_Mapping_Program_v2026-1.sas and sums the mwXXX / rwXXX weights
//! of CMR_Index_Program_v2026-1.sas (all codes taken as present on admission).

use cin_core::risk::{AHRQ_MEASURES, AhrqIndex, elixhauser_ahrq, elixhauser_ahrq_with_report};
use std::path::Path;

fn data_dir() -> Option<&'static Path> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/claims_tuva"
    ));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("shared data missing at {}; skipping", p.display());
        None
    }
}

fn long_rows(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut r = csv::Reader::from_path(dir.join("medical_claim.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let pid = h.iter().position(|c| c == "patient_id").unwrap();
    let dx: Vec<usize> = (1..=25)
        .map(|i| {
            h.iter()
                .position(|c| c == format!("diagnosis_code_{i}"))
                .unwrap()
        })
        .collect();
    let (mut ids, mut codes) = (Vec::new(), Vec::new());
    for rec in r.records() {
        let rec = rec.unwrap();
        for &i in &dx {
            if !rec[i].trim().is_empty() {
                ids.push(rec[pid].to_string());
                codes.push(rec[i].to_string());
            }
        }
    }
    (ids, codes)
}

fn ints(t: &cin_core::Table, c: &str) -> Vec<i64> {
    let col = t.column(c).expect(c);
    (0..t.len()).map(|r| col.int_at(r).expect(c)).collect()
}

fn ids(t: &cin_core::Table) -> Vec<String> {
    let col = t.column("patient_id").expect("patient_id");
    (0..t.len())
        .map(|r| col.str_at(r).expect("id").to_string())
        .collect()
}

#[test]
fn tuva_claims_ahrq_indices() {
    let Some(dir) = data_dir() else { return };
    let (pids, codes) = long_rows(dir);
    assert_eq!(codes.len(), 10090);
    let (m, report) =
        elixhauser_ahrq_with_report(&pids, &codes, AhrqIndex::Mortality, true).unwrap();
    let r = elixhauser_ahrq(&pids, &codes, AhrqIndex::Readmission).unwrap();
    assert_eq!(report.rows, 10090);
    assert_eq!(m.len(), 41);
    let (ms, rs) = (ints(&m, "score"), ints(&r, "score"));
    assert_eq!(ms.iter().sum::<i64>(), 126);
    assert_eq!(rs.iter().sum::<i64>(), 306);
    // Patients per measure (after the exclusions).
    let per = |c: &str| ints(&m, c).iter().sum::<i64>();
    assert_eq!(per("cmr_htn_uncx"), 28);
    assert_eq!(per("cmr_htn_cx"), 3);
    assert_eq!(per("cmr_thyroid_hypo"), 19);
    assert_eq!(per("cmr_cbvd"), 11);
    assert_eq!(per("cmr_cancer_solid"), 7);
    assert_eq!(per("cmr_renlfl_sev"), 0);
    let total: i64 = AHRQ_MEASURES.iter().map(|c| per(c)).sum();
    assert_eq!(total, 190);
    // First patient in file order: 14 measures, mortality 30, readmission 24; highest mortality
    // index 40 (patient 11266), lowest -19 (patient 10156).
    let ids = ids(&m);
    assert_eq!(ids[0], "10133");
    assert_eq!((ms[0], rs[0]), (30, 24));
    let first: i64 = AHRQ_MEASURES.iter().map(|c| ints(&m, c)[0]).sum();
    assert_eq!(first, 14);
    let at = |p: &str| ids.iter().position(|x| x == p).unwrap();
    assert_eq!(ms[at("11266")], 40);
    assert_eq!(*ms.iter().max().unwrap(), 40);
    assert_eq!(ms[at("10156")], -19);
    assert_eq!(*ms.iter().min().unwrap(), -19);
}
