//! Synthea CSV loader: the shared export (exact counts) and hand-made directories for schema
//! drift and bad input.
//!
//! Expected numbers were counted independently with Python's `csv.DictReader` over
//! `shared/data/synthea_csv/*.csv` (rows per file; `Counter` of `ENCOUNTERCLASS`; rows with a
//! non-empty `DEATHDATE`; conditions whose CODE the crosswalk TSV marks `social`; claims whose
//! `APPOINTMENTID` encounter has no `REASONCODE`, counting their distinct DIAGNOSIS1..8 codes;
//! inpatient encounters and, per inpatient stay, whether an ambulatory/wellness/outpatient/
//! urgentcare visit starts 1..=N calendar days after its STOP date).

use cin_core::continuum::ReadmissionPolicy;
use cin_core::ingest::synthea_csv::{SSN_SYSTEM, setting_of_encounter_class};
use cin_core::*;
use std::path::{Path, PathBuf};

fn shared_dir() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/synthea_csv"
    ));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("note: {} missing; skipping", p.display());
        None
    }
}

fn load_shared() -> Option<(Network, IngestReport)> {
    let dir = shared_dir()?;
    let mut net = Network::new();
    let report = net.load_synthea_csv(&dir).expect("directory loads");
    Some((net, report))
}

fn loaded(r: &IngestReport, kind: &str) -> usize {
    r.loaded.get(kind).copied().unwrap_or(0)
}

fn skipped(r: &IngestReport, kind: &str) -> usize {
    r.skipped.get(kind).copied().unwrap_or(0)
}

#[test]
fn shared_export_loads_with_exact_counts() {
    let Some((net, r)) = load_shared() else {
        return;
    };
    assert!(r.issues.is_empty(), "unexpected issues: {:?}", r.issues);
    assert_eq!(loaded(&r, "patients"), 11);
    assert_eq!(loaded(&r, "encounters"), 388);
    assert_eq!(loaded(&r, "conditions"), 273);
    assert_eq!(loaded(&r, "medications"), 173);
    assert_eq!(loaded(&r, "observations"), 3626);
    assert_eq!(loaded(&r, "procedures"), 889);
    assert_eq!(loaded(&r, "organizations"), 47);
    assert_eq!(loaded(&r, "payers"), 10);
    assert_eq!(loaded(&r, "providers"), 47);
    assert_eq!(loaded(&r, "careplans"), 37);
    assert_eq!(loaded(&r, "imaging_studies"), 11);
    assert_eq!(loaded(&r, "claims"), 561);
    assert_eq!(loaded(&r, "encounter_diagnoses"), 250);
    assert_eq!(loaded(&r, "claim_diagnoses"), 208);
    assert_eq!(skipped(&r, "claims_transactions"), 5567);
    assert_eq!(skipped(&r, "payer_transitions"), 128);
    assert_eq!(skipped(&r, "immunizations"), 129);
    assert_eq!(skipped(&r, "allergies"), 14);
    assert_eq!(skipped(&r, "devices"), 11);
    assert_eq!(skipped(&r, "supplies"), 47);

    let c = net.counts();
    assert_eq!(c.patients, 11);
    assert_eq!(c.encounters, 388);
    assert_eq!(c.conditions, 273);
    assert_eq!(c.medications, 173);
    assert_eq!(c.observations, 3626);
    assert_eq!(c.procedures, 889 + 11);
    assert_eq!(c.organizations, 47 + 10);
    assert_eq!(c.practitioners, 47);
    assert_eq!(c.diagnoses, 250 + 208);
    assert_eq!(c.care_plans, 37);
    // One feed per file read (19 CSV files; run_metadata.json is not a CSV).
    assert_eq!(net.feeds.len(), 18);
    assert!(net.feeds.iter().all(|f| f.kind == FeedKind::SyntheaCsv));
}

#[test]
fn settings_per_encounter_class() {
    let Some((net, _)) = load_shared() else {
        return;
    };
    let count = |s: Setting| net.encounters.iter().filter(|e| e.setting == s).count();
    assert_eq!(count(Setting::Wellness), 111);
    // ambulatory 187 + outpatient 55 + urgentcare 2
    assert_eq!(count(Setting::Ambulatory), 244);
    assert_eq!(count(Setting::Emergency), 21);
    assert_eq!(count(Setting::Inpatient), 10);
    assert_eq!(count(Setting::Snf), 1);
    assert_eq!(count(Setting::Hospice), 1);
    assert_eq!(count(Setting::Other), 0);
    // Every encounter carries its organisation, provider and SNOMED type.
    assert!(net.encounters.iter().all(|e| e.org.is_some()
        && e.practitioner.is_some()
        && e.type_code.is_some_and(|c| c.system == CodeSystem::Snomed)));
    // Organisation kinds: the SNF encounter's nursing home, the hospice encounter's hospice, and
    // the inpatient encounters' hospitals (one by encounter class: a cancer institute).
    for e in &net.encounters {
        let kind = net.organizations[e.org.unwrap().idx()].kind;
        match e.setting {
            Setting::Snf => assert_eq!(kind, OrgKind::Snf),
            Setting::Hospice => assert_eq!(kind, OrgKind::Hospice),
            Setting::Inpatient => assert_eq!(kind, OrgKind::Hospital),
            _ => {}
        }
    }
    assert_eq!(
        net.organizations
            .iter()
            .filter(|o| o.kind == OrgKind::Payer)
            .count(),
        10
    );
    // Providers are all GENERAL PRACTICE in this export.
    assert!(
        net.practitioners
            .iter()
            .all(|p| p.role == PractitionerRole::Pcp)
    );
}

#[test]
fn deceased_patient_and_identifiers() {
    let Some((net, _)) = load_shared() else {
        return;
    };
    let p = net
        .patient_by_id("0432d0f1-d9c8-da30-9750-39bfe10c0cd9")
        .unwrap();
    let pat = net.patient(p);
    assert!(pat.deceased);
    assert_eq!(pat.death_date, Timestamp::from_ymd(2022, 9, 7));
    assert_eq!(pat.birth_date, Timestamp::from_ymd(1983, 9, 20));
    assert_eq!(pat.sex, Sex::Male);
    assert_eq!(net.patients.iter().filter(|p| p.deceased).count(), 1);
    // The SSN identifier resolves to the same record (value read from the file, not printed).
    let dir = shared_dir().unwrap();
    let mut rdr = csv::Reader::from_path(dir.join("patients.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let id_col = headers.iter().position(|h| h == "Id").unwrap();
    let ssn_col = headers.iter().position(|h| h == "SSN").unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let by_ssn = net.patient_by_identifier(SSN_SYSTEM, &rec[ssn_col]);
        assert_eq!(by_ssn, net.patient_by_id(&rec[id_col]));
        assert!(by_ssn.is_some());
    }
}

#[test]
fn social_history_conditions_are_flagged() {
    let Some((net, _)) = load_shared() else {
        return;
    };
    let social = net
        .conditions
        .iter()
        .filter(|c| c.category == ConditionCategory::SocialHistory)
        .count();
    assert_eq!(social, 114);
    let employment = net.find_code(CodeSystem::Snomed, "160903007").unwrap();
    assert!(
        net.conditions
            .iter()
            .filter(|c| c.code == employment)
            .all(|c| c.category == ConditionCategory::SocialHistory)
    );
    // Dates are plain dates; an empty STOP means still active.
    let active = net
        .conditions
        .iter()
        .filter(|c| c.abatement.is_none())
        .count();
    assert_eq!(active, 85);
    assert!(net.conditions.iter().all(|c| c.onset.is_some()));
}

#[test]
fn observations_have_numeric_and_text_values() {
    let Some((net, _)) = load_shared() else {
        return;
    };
    let numeric = net
        .observations
        .iter()
        .filter(|o| matches!(o.value, ObsValue::Number(_)))
        .count();
    let text = net
        .observations
        .iter()
        .filter(|o| matches!(o.value, ObsValue::Text(_)))
        .count();
    assert_eq!(numeric, 2107);
    assert_eq!(text, 1519);
    // HbA1c 6.4 % on 2016-01-11 for patient 4237be97...
    let a1c = net.find_code(CodeSystem::Loinc, "4548-4").unwrap();
    let p = net
        .patient_by_id("4237be97-a13d-18b8-6e01-df3ee076675f")
        .unwrap();
    let first = net.patient_observations(p).find(|o| o.code == a1c).unwrap();
    assert_eq!(first.value, ObsValue::Number(6.4));
    assert_eq!(net.str(first.unit.unwrap()), "%");
    assert_eq!(first.time.unwrap().date_string(), "2016-01-11");
    assert!(first.encounter.is_some() && first.provenance.org.is_some());
}

#[test]
fn medications_inherit_prescriber_and_org_from_encounter() {
    let Some((net, _)) = load_shared() else {
        return;
    };
    assert!(
        net.medications
            .iter()
            .all(|m| m.code.system == CodeSystem::RxNorm)
    );
    for m in &net.medications {
        let e = net.encounter(m.encounter.unwrap());
        assert_eq!(m.prescriber, e.practitioner);
        assert_eq!(m.org, e.org);
        assert_eq!(m.provenance.org, e.org);
    }
    let active = net
        .medications
        .iter()
        .filter(|m| m.status == MedStatus::Active)
        .count();
    assert_eq!(active, 19);
}

#[test]
fn continuum_analytics_on_the_export() {
    let Some((net, _)) = load_shared() else {
        return;
    };
    // 10 inpatient encounters, none within a day of another of the same patient: 10 stays.
    let stays = net.stays();
    assert_eq!(stays.len(), 10);
    // The closest two stays of one patient are years apart: no 30-day readmission.
    let (_, summary) = net.readmissions_with(&ReadmissionPolicy::days(30));
    assert_eq!(summary.index_stays, 10);
    assert_eq!(summary.readmissions, 0);
    // Follow-up: one discharge sees an office visit within 30 days, none within 7.
    let f30 = net.followups(30);
    assert_eq!(f30.len(), 10);
    assert_eq!(f30.iter().filter(|f| f.days.is_some()).count(), 1);
    assert_eq!(
        net.followups(7).iter().filter(|f| f.days.is_some()).count(),
        0
    );
}

// ---- hand-made directories ---------------------------------------------------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("cin_synthea_csv_{tag}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, name: &str, body: &[u8]) {
        std::fs::write(self.0.join(name), body).unwrap();
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PATIENTS_OLD: &str = "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,FIRST,LAST,GENDER\n\
P1,1950-01-02,,999-11-2222,S1,false,Ann,Lee,F\n\
P2,1960-03-04,2020-05-06,999-33-4444,,X9,Bob,Ray,M\n";

#[test]
fn schema_drift_is_tolerated() {
    let d = TempDir::new("drift");
    // Older patients.csv: no FIPS/INCOME; lowercase headers elsewhere; reordered columns; an
    // extra unknown column; `ID` spelled in capitals.
    d.write("patients.csv", PATIENTS_OLD.as_bytes());
    d.write(
        "organizations.csv",
        b"ID,NAME,EXTRA_COLUMN\nO1,General Hospital,zzz\nO2,Main Street Clinic,\n",
    );
    d.write(
        "encounters.csv",
        b"patient,encounterclass,id,start,stop,organization,code,unknown_thing\n\
P1,inpatient,E1,2020-01-01T10:00:00Z,2020-01-05T10:00:00Z,O2,185347001,1\n\
P2,home,E2,2020-02-01T10:00:00Z,,O2,,2\n",
    );
    d.write(
        "conditions.csv",
        b"code,patient,start,stop\n44054006,P1,2019-01-01,\n160903007,P1,2019-02-01,2019-03-01\n",
    );
    d.write(
        "observations.csv",
        b"date,patient,encounter,code,value,units\n\
2020-01-02T00:00:00Z,P1,E1,4548-4,7.1,%\n2020-01-02T00:00:00Z,P1,E1,72166-2,Never smoker,\n",
    );
    let mut net = Network::new();
    let r = net.load_synthea_csv(d.path()).unwrap();
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(loaded(&r, "patients"), 2);
    assert_eq!(loaded(&r, "encounters"), 2);
    assert_eq!(loaded(&r, "conditions"), 2);
    assert_eq!(loaded(&r, "observations"), 2);
    let e1 = net.encounter(net.encounter_by_key("E1").unwrap());
    assert_eq!(e1.setting, Setting::Inpatient);
    assert_eq!(e1.end, Timestamp::parse_iso("2020-01-05T10:00:00Z"));
    // The clinic's name says nothing, its inpatient encounter makes it a hospital.
    assert_eq!(
        net.organizations[e1.org.unwrap().idx()].kind,
        OrgKind::Hospital
    );
    let e2 = net.encounter(net.encounter_by_key("E2").unwrap());
    assert_eq!(e2.setting, Setting::HomeHealth);
    assert_eq!(e2.end, None);
    // `false` in PASSPORT is not an identifier; P2's passport is.
    let p1 = net.patient_by_id("P1").unwrap();
    assert_eq!(net.patient(p1).identifiers.len(), 3); // synthea id, SSN, licence
    assert!(
        net.patient_by_identifier(cin_core::ingest::synthea_csv::PASSPORT_SYSTEM, "X9")
            .is_some()
    );
    assert!(net.patient(net.patient_by_id("P2").unwrap()).deceased);
    // Without TYPE a number is numeric and words are text.
    let values: Vec<ObsValue> = net.observations.iter().map(|o| o.value).collect();
    assert_eq!(values[0], ObsValue::Number(7.1));
    assert!(matches!(values[1], ObsValue::Text(_)));
    let cats: Vec<ConditionCategory> = net.conditions.iter().map(|c| c.category).collect();
    assert_eq!(
        cats,
        vec![
            ConditionCategory::ProblemList,
            ConditionCategory::SocialHistory
        ]
    );
}

#[test]
fn bad_rows_are_issues_and_neighbours_load() {
    let d = TempDir::new("badrows");
    d.write("patients.csv", PATIENTS_OLD.as_bytes());
    d.write(
        "conditions.csv",
        b"START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n\
2019-01-01,,P1,,44054006,Diabetes\n\
not-a-date,,P1,,59621000,Hypertension\n\
2019-01-01,,NOBODY,,59621000,Hypertension\n\
2019-01-01,bad-stop,P2,,59621000,Hypertension\n",
    );
    let mut net = Network::new();
    let r = net.load_synthea_csv(d.path()).unwrap();
    assert_eq!(loaded(&r, "conditions"), 2); // line 2 and line 5 (its bad STOP is dropped)
    assert_eq!(skipped(&r, "conditions"), 2);
    let locs: Vec<(usize, String)> = r
        .issues
        .iter()
        .map(|i| {
            assert_eq!(i.location.source, "conditions.csv");
            (i.location.line.unwrap(), i.location.field.clone().unwrap())
        })
        .collect();
    assert_eq!(
        locs,
        vec![
            (3, "START".to_string()),
            (4, "PATIENT".to_string()),
            (5, "STOP".to_string())
        ]
    );
    // No patient data in messages.
    assert!(r.issues.iter().all(|i| !i.message.contains("NOBODY")
        && !i.message.contains("bad-stop")
        && !i.message.contains("not-a-date")));
    let p2 = net.patient_by_id("P2").unwrap();
    assert_eq!(net.patient_conditions(p2).next().unwrap().abatement, None);
}

#[test]
fn missing_required_column_skips_only_that_file() {
    let d = TempDir::new("missingcol");
    d.write("patients.csv", PATIENTS_OLD.as_bytes());
    d.write(
        "conditions.csv",
        b"START,STOP,PATIENT,DESCRIPTION\n2019-01-01,,P1,x\n",
    );
    d.write(
        "medications.csv",
        b"START,STOP,PATIENT,CODE\n2019-01-01T00:00:00Z,,P1,860975\n",
    );
    let mut net = Network::new();
    let r = net.load_synthea_csv(d.path()).unwrap();
    assert_eq!(r.issues.len(), 1);
    assert_eq!(r.issues[0].location.source, "conditions.csv");
    assert_eq!(r.issues[0].location.field.as_deref(), Some("CODE"));
    assert_eq!(loaded(&r, "conditions"), 0);
    assert_eq!(loaded(&r, "medications"), 1);
    assert_eq!(loaded(&r, "patients"), 2);
}

#[test]
fn header_only_and_empty_files_are_fine() {
    let d = TempDir::new("empty");
    d.write("patients.csv", b"Id,BIRTHDATE,GENDER\n");
    d.write("encounters.csv", b"");
    d.write("observations.csv", b"DATE,PATIENT,ENCOUNTER,CODE,VALUE\n");
    let mut net = Network::new();
    let r = net.load_synthea_csv(d.path()).unwrap();
    assert_eq!(r.total_loaded(), 0);
    // A zero-byte encounters.csv has no header: one issue for the file, nothing else.
    assert_eq!(r.issues.len(), 1);
    assert_eq!(r.issues[0].location.source, "encounters.csv");
    assert_eq!(r.issues[0].location.line, Some(1));
    assert_eq!(net.counts().patients, 0);
}

#[test]
fn non_utf8_byte_is_an_issue_not_a_failure() {
    let d = TempDir::new("utf8");
    d.write("patients.csv", PATIENTS_OLD.as_bytes());
    let mut body =
        b"START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n2019-01-01,,P1,,44054006,Diab".to_vec();
    body.push(0xff);
    body.extend_from_slice(b"tes\n2019-01-01,,P2,,59621000,Hypertension\n");
    d.write("conditions.csv", &body);
    let mut net = Network::new();
    let r = net.load_synthea_csv(d.path()).unwrap();
    assert_eq!(loaded(&r, "conditions"), 2);
    assert_eq!(r.issues.len(), 1);
    assert_eq!(r.issues[0].location.line, Some(2));
    assert_eq!(r.issues[0].location.field.as_deref(), Some("DESCRIPTION"));
}

#[test]
fn missing_directory_is_an_io_error() {
    let mut net = Network::new();
    let err = net
        .load_synthea_csv(Path::new("/nonexistent/synthea/dir"))
        .unwrap_err();
    assert!(matches!(err, CinError::Io { .. }));
}

#[test]
fn encounter_class_table() {
    assert_eq!(setting_of_encounter_class("wellness"), Setting::Wellness);
    assert_eq!(
        setting_of_encounter_class("urgentcare"),
        Setting::Ambulatory
    );
    assert_eq!(setting_of_encounter_class("hospice"), Setting::Hospice);
}
