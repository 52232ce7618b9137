//! Tuva claims ingest on the shared `claims_tuva` sample and on hand-made files.

use cin_core::{CodeSystem, ConditionCategory, MedSource, Network, Setting};
use std::collections::BTreeMap;
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

/// Expected figures were counted independently with python3 `csv.DictReader`:
/// claims = distinct `claim_id` in medical_claim.csv (1568); procedures = lines with a
/// non-empty `hcpcs_code` (2974); diagnoses = per claim, for each `diagnosis_code_N` the first
/// non-empty value over its lines, dots removed, distinct within the claim (4017); fills =
/// pharmacy lines with patient and NDC (225); eligibility spans = rows (113) over 50 distinct
/// patients, 3 with a death date; the union of patient ids over the three files is 50.
/// Settings follow the module's bill-type / place-of-service table applied in the same script.
#[test]
fn shared_tuva_sample_counts() {
    let Some(dir) = data_dir() else { return };
    let mut net = Network::new();
    let rep = net.load_claims_tuva(dir).unwrap();
    assert_eq!(rep.loaded["medical_claim"], 1568);
    assert_eq!(rep.loaded["Encounter"], 1568);
    assert_eq!(net.encounters.len(), 1568);
    assert_eq!(rep.loaded["Procedure"], 2974);
    assert_eq!(rep.loaded["Diagnosis"], 4017);
    assert_eq!(net.diagnoses.len(), 4017);
    assert_eq!(net.conditions.len(), 4017);
    assert!(
        net.conditions
            .iter()
            .all(|c| c.category == ConditionCategory::ClaimDiagnosis)
    );
    assert_eq!(rep.loaded["pharmacy_fill"], 225);
    assert_eq!(rep.loaded["eligibility_span"], 113);
    assert_eq!(rep.loaded["eligible_patient"], 50);
    assert_eq!(net.patient_count(), 50);
    assert_eq!(
        net.patients
            .iter()
            .filter(|p| p.death_date.is_some())
            .count(),
        3
    );
    assert!(rep.skipped.is_empty(), "{:?}", rep.skipped);
    let mut settings: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &net.encounters {
        *settings.entry(e.setting.as_str()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = [
        ("ambulatory", 989),
        ("other", 310),
        ("inpatient", 148),
        ("emergency", 100),
        ("home_health", 18),
        ("hospice", 1),
        ("observation", 1),
        ("snf", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(settings, expected);
    // Every claim's principal diagnosis is ICD-10-CM; fills are NDC claims.
    assert!(
        net.diagnoses
            .iter()
            .all(|d| d.code.system == CodeSystem::Icd10Cm)
    );
    // Claims with a diagnosis_code_1 on some line (python3 as above: 1497).
    assert_eq!(net.diagnoses.iter().filter(|d| d.principal).count(), 1497);
    assert!(
        net.medications
            .iter()
            .all(|m| m.source == MedSource::Claim && m.code.system == CodeSystem::Ndc)
    );
}

#[test]
fn hand_made_claims_with_old_column_names() {
    let dir = std::env::temp_dir().join(format!("cin_tuva_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("medical_claim.csv"),
        "claim_id,claim_line_number,claim_type,person_id,claim_start_date,claim_end_date,\
discharge_disposition_code,place_of_service_code,bill_type_code,revenue_center_code,hcpcs_code,\
rendering_id,billing_id,facility_id,diagnosis_code_type,diagnosis_code_1,diagnosis_code_2\n\
C1,1,institutional,P1,2024-01-01,2024-01-05,06,,111,0120,,R1,,F1,icd-10-cm,I50.9,E11.9\n\
C1,2,institutional,P1,2024-01-01,2024-01-05,06,,111,0250,,R1,,F1,icd-10-cm,I50.9,E11.9\n\
C2,1,institutional,P1,2024-01-20,2024-01-20,01,,131,0450,99284,R2,,F1,icd-10-cm,R07.9,\n\
C3,1,professional,P1,2024-01-10,2024-01-10,,02,,,99213,R3,B3,,icd-10-cm,I50.9,\n\
C4,1,professional,P1,not-a-date,,,11,,,99213,R3,B3,,icd-10-cm,I10,\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("pharmacy_claim.csv"),
        "claim_id,claim_line_number,person_id,prescribing_provider_npi,dispensing_date,ndc_code,days_supply\n\
X1,1,P1,R3,2024-01-06,00071015523,30\n\
X2,1,P1,R3,2024-01-06,,30\n",
    )
    .unwrap();
    let mut net = Network::new();
    let rep = net.load_claims_tuva(&dir).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(rep.loaded["medical_claim"], 3);
    assert_eq!(rep.skipped["medical_claim"], 1);
    assert_eq!(rep.skipped["pharmacy_fill"], 1);
    let fields: Vec<_> = rep
        .issues
        .iter()
        .map(|i| (i.location.line, i.location.field.clone().unwrap()))
        .collect();
    assert_eq!(
        fields,
        vec![
            (Some(6), "claim_start_date".to_string()),
            (Some(6), "claim_start_date".to_string()),
            (Some(3), "ndc_code".to_string())
        ]
    );
    let s: Vec<_> = net.encounters.iter().map(|e| e.setting).collect();
    assert_eq!(
        s,
        vec![Setting::Inpatient, Setting::Emergency, Setting::Virtual]
    );
    let stay = &net.encounters[0];
    assert_eq!(stay.disposition, cin_core::Disposition::HomeHealth);
    assert_eq!(stay.end.unwrap().to_string(), "2024-01-05T00:00:00");
    assert_eq!(net.diagnoses.len(), 4);
    assert_eq!(net.procedures.len(), 2);
    let m = &net.medications[0];
    assert_eq!(m.stop.unwrap().to_string(), "2024-02-05T00:00:00");
    assert!(m.prescriber.is_some());
    assert_eq!(net.readmissions(30).len(), 0);
}
