//! The SNOMED CT → ICD-10-CM crosswalk covers every condition code in the shared Synthea data
//! (CSV conditions, encounter reasons and claim diagnoses; FHIR bundle and ndjson Condition
//! resources), and keeps social-history findings out of ICD.

use cin_core::crosswalk;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data"));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("note: {} missing; skipping", p.display());
        None
    }
}

/// Code → where it was first seen.
fn collect_codes(root: &std::path::Path) -> BTreeMap<String, String> {
    let mut codes = BTreeMap::new();
    let csv_dir = root.join("synthea_csv");
    let columns: &[(&str, &[&str])] = &[
        ("conditions.csv", &["CODE"]),
        ("encounters.csv", &["REASONCODE"]),
        (
            "claims.csv",
            &[
                "DIAGNOSIS1",
                "DIAGNOSIS2",
                "DIAGNOSIS3",
                "DIAGNOSIS4",
                "DIAGNOSIS5",
                "DIAGNOSIS6",
                "DIAGNOSIS7",
                "DIAGNOSIS8",
            ],
        ),
    ];
    for (file, cols) in columns {
        let mut rdr = csv::Reader::from_path(csv_dir.join(file)).unwrap();
        let headers = rdr.headers().unwrap().clone();
        let idx: Vec<usize> = cols
            .iter()
            .map(|c| headers.iter().position(|h| h == *c).unwrap())
            .collect();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            for &i in &idx {
                let v = rec[i].trim();
                if !v.is_empty() {
                    codes
                        .entry(v.to_string())
                        .or_insert_with(|| format!("{file} {}", &headers[i]));
                }
            }
        }
    }
    let mut add_condition = |res: &serde_json::Value, src: &str| {
        if res["resourceType"] != "Condition" {
            return;
        }
        for coding in res["code"]["coding"].as_array().into_iter().flatten() {
            if coding["system"] == "http://snomed.info/sct"
                && let Some(c) = coding["code"].as_str()
            {
                codes
                    .entry(c.to_string())
                    .or_insert_with(|| src.to_string());
            }
        }
    };
    for entry in std::fs::read_dir(root.join("synthea_fhir_bundles")).unwrap() {
        let path = entry.unwrap().path();
        let bundle: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for e in bundle["entry"].as_array().into_iter().flatten() {
            add_condition(&e["resource"], &name);
        }
    }
    let ndjson = root.join("synthea_fhir_ndjson/Condition.000.ndjson");
    for line in std::fs::read_to_string(ndjson).unwrap().lines() {
        if !line.trim().is_empty() {
            add_condition(&serde_json::from_str(line).unwrap(), "Condition.000.ndjson");
        }
    }
    codes
}

#[test]
fn every_shared_synthea_condition_code_is_mapped() {
    let Some(root) = shared() else {
        return;
    };
    let codes = collect_codes(&root);
    // 126 distinct codes, counted with a short Python script over the same files and columns.
    assert_eq!(codes.len(), 126);
    let missing: Vec<_> = codes
        .iter()
        .filter(|(c, _)| crosswalk::snomed(c).is_none())
        .collect();
    for (c, src) in &missing {
        println!("missing from crosswalk: {c} ({src})");
    }
    assert!(missing.is_empty(), "{} codes missing", missing.len());
    // Only social history, the death finding and the admin situation go without ICD.
    for c in codes.keys() {
        let m = crosswalk::snomed(c).unwrap();
        if m.icd10cm.is_none() {
            assert!(
                ["social", "death", "admin"].contains(&m.category),
                "{c} has no ICD code"
            );
        }
    }
}

#[test]
fn social_history_has_no_icd_and_rows_are_well_formed() {
    let mut social = 0;
    for m in crosswalk::all() {
        assert!(m.snomed.bytes().all(|b| b.is_ascii_digit()), "{}", m.snomed);
        assert!(
            !m.category.is_empty() && !m.display.is_empty(),
            "{}",
            m.snomed
        );
        if m.category == "social" {
            social += 1;
            assert_eq!(m.icd10cm, None, "{} is social but mapped", m.snomed);
            assert!(crosswalk::is_social_history(m.snomed));
        }
        if let Some(icd) = &m.icd10cm {
            // ICD-10-CM shape: letter, digit, alphanumeric, then up to 4 alphanumerics.
            let b = icd.as_bytes();
            assert!(
                (3..=7).contains(&b.len())
                    && b[0].is_ascii_uppercase()
                    && b[1].is_ascii_digit()
                    && b.iter().all(u8::is_ascii_alphanumeric),
                "{} -> {icd}",
                m.snomed
            );
        }
    }
    assert_eq!(social, 24);
    assert!(!crosswalk::is_social_history("44054006"));
}

#[test]
fn comorbidity_meaning_is_kept() {
    for (snomed, icd, category) in [
        ("127013003", "E1122", "diabetes"),
        ("431857002", "N184", "ckd"),
        ("46177005", "N186", "ckd"),
        ("94260004", "C785", "metastatic_cancer"),
        ("423121009", "C799", "metastatic_cancer"),
        ("88805009", "I509", "chf"),
        ("185086009", "J449", "copd"),
        ("26929004", "G309", "dementia"),
        ("408512008", "E6601", "obesity"),
        ("399211009", "I252", "cad"),
        ("10509002", "J209", "acute"),
    ] {
        assert_eq!(crosswalk::snomed_to_icd10cm(snomed), Some(icd), "{snomed}");
        assert_eq!(crosswalk::snomed(snomed).unwrap().category, category);
    }
}
