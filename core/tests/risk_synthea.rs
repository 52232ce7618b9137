//! Risk scores on the real Synthea CSV export in shared/data (11 patients, 10 inpatient stays).
//! The network is filled through the public API here (patients, encounters, conditions), so
//! the test does not depend on an ingest module.
//!
//! Expected LACE values were computed independently with a short Python script over
//! encounters.csv / conditions.csv: LOS = calendar days between START and STOP dates; A = 3 only
//! if an ED visit ends on the admission day or the day before (Synthea records no admission
//! type); C = Charlson 1987 of the crosswalk-mapped ICD-10-CM codes with onset up to discharge;
//! E = ED visits starting in the 182 days before admission that ended more than a day before it.

use cin_core::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn data_dir() -> Option<PathBuf> {
    let d = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/synthea_csv"
    ));
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("skipping: {} is missing", d.display());
        None
    }
}

fn rows(dir: &std::path::Path, file: &str) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(dir.join(file)).unwrap();
    r.records().map(|x| x.unwrap()).collect()
}

fn load(dir: &std::path::Path) -> Network {
    let mut net = Network::new();
    let feed = net.add_feed(FeedKind::SyntheaCsv, "synthea");
    let prov = Provenance { org: None, feed };
    for r in rows(dir, "patients.csv") {
        net.upsert_patient(
            &PatientInput {
                id: &r[0],
                birth_date: Timestamp::parse_iso(&r[1]),
                death_date: Timestamp::parse_iso(&r[2]),
                deceased: !r[2].is_empty(),
                sex: Sex::parse(&r[14]),
                ..Default::default()
            },
            prov,
        );
    }
    for r in rows(dir, "encounters.csv") {
        let p = net.patient_by_id(&r[3]).unwrap();
        let setting = match &r[7] {
            "inpatient" => Setting::Inpatient,
            "emergency" => Setting::Emergency,
            "ambulatory" | "outpatient" | "urgentcare" => Setting::Ambulatory,
            "wellness" => Setting::Wellness,
            "snf" => Setting::Snf,
            "hospice" => Setting::Hospice,
            _ => Setting::Other,
        };
        let id = net.intern(&r[0]);
        net.upsert_encounter(
            &r[0],
            Encounter {
                id,
                patient: p,
                setting,
                start: Timestamp::parse_iso(&r[1]).unwrap(),
                end: Timestamp::parse_iso(&r[2]),
                org: None,
                practitioner: None,
                admission_type: AdmissionType::Unknown,
                disposition: Disposition::Home,
                type_code: None,
                provenance: prov,
            },
        );
    }
    for r in rows(dir, "conditions.csv") {
        let p = net.patient_by_id(&r[2]).unwrap();
        let code = net.code(CodeSystem::Snomed, &r[4]).unwrap();
        let category = if cin_core::crosswalk::is_social_history(&r[4]) {
            ConditionCategory::SocialHistory
        } else {
            ConditionCategory::EncounterDiagnosis
        };
        net.add_condition(Condition {
            patient: p,
            encounter: net.encounter_by_key(&r[3]),
            code,
            display: None,
            onset: Timestamp::parse_iso(&r[0]),
            abatement: Timestamp::parse_iso(&r[1]),
            category,
            provenance: prov,
        });
    }
    net
}

#[test]
fn lace_of_every_synthea_stay() {
    let Some(dir) = data_dir() else { return };
    let net = load(&dir);
    let mut got: Vec<(String, i32)> = net
        .stay_risk_scores(&Default::default())
        .iter()
        .map(|s| (s.stay.admit.date_string(), s.lace.total))
        .collect();
    got.sort();
    let want = [
        ("2006-03-20", 2),
        ("2009-05-25", 7),
        ("2009-11-11", 1),
        ("2014-08-11", 5),
        ("2016-09-24", 1),
        ("2018-09-10", 1),
        ("2019-11-11", 7),
        ("2020-04-11", 3),
        ("2022-04-24", 8),
        ("2023-09-21", 5),
    ];
    let want: Vec<(String, i32)> = want.iter().map(|(d, l)| (d.to_string(), *l)).collect();
    assert_eq!(got, want);
}

#[test]
fn risk_table_and_registries_on_synthea() {
    let Some(dir) = data_dir() else { return };
    let net = load(&dir);
    let t = net.risk_table();
    assert_eq!(
        t.column_names(),
        [
            "patient_id",
            "charlson",
            "elixhauser",
            "hcc_v28",
            "lace",
            "tier"
        ]
    );
    assert_eq!(t.len(), 11);
    // Every patient has a birth date and a sex, so every one has an HCC score.
    match t.column("hcc_v28") {
        Some(Column::Float(v)) => assert!(v.iter().all(|x| x.is_some_and(|x| x > 0.0))),
        other => panic!("{other:?}"),
    }
    // LACE present exactly for the 5 patients with an inpatient stay.
    match t.column("lace") {
        Some(Column::Int(v)) => assert_eq!(v.iter().filter(|x| x.is_some()).count(), 5),
        other => panic!("{other:?}"),
    }
    // Registry membership equals the patients with an unresolved condition whose crosswalk
    // category names the registry (computed here from the CSV and the crosswalk table; with
    // today's crosswalk that is 2 patients with diabetes and nobody else).
    let registry_names: BTreeSet<String> = cin_core::risk::default_registries()
        .into_iter()
        .map(|r| r.name)
        .collect();
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows(&dir, "conditions.csv") {
        if let Some(m) = cin_core::crosswalk::snomed(&r[4])
            && registry_names.contains(m.category)
            && r[1].is_empty()
        {
            want.entry(m.category.to_string())
                .or_default()
                .insert(r[2].to_string());
        }
    }
    let reg = net.registries_table();
    let (Some(Column::Str(ids)), Some(Column::Str(names))) =
        (reg.column("patient_id"), reg.column("registry"))
    else {
        panic!("registry columns")
    };
    let mut got: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, n) in ids.iter().zip(names) {
        got.entry(n.clone().unwrap())
            .or_default()
            .insert(i.clone().unwrap());
    }
    assert_eq!(got, want);
    assert!(want.get("diabetes").is_some_and(|s| s.len() >= 2));
    let summary = net.risk_summary();
    assert_eq!(summary.patients, 11);
    assert_eq!(summary.stays_scored, 10);
    assert_eq!(summary.tiers.values().sum::<usize>(), 11);
}
