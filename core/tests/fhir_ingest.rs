//! FHIR R4 ingest on the real test data in `shared/data` and on hand-built resources.
//!
//! Expected counts were made independently with a short python3 script (json module only):
//! * patients / encounters / conditions / medications = number of `Patient`, `Encounter`,
//!   `Condition`, `MedicationRequest` resources among the bundle entries (or ndjson lines);
//! * procedures = `Procedure` + `DiagnosticReport` + `ServiceRequest` resources;
//! * observations = for each `Observation`: the number of components that have a `value*` key
//!   and a coded `code`, plus 1 if the observation itself has a `value*` key, or 1 when neither;
//! * deceased = `Patient` resources with `deceasedDateTime` or `deceasedBoolean: true`;
//! * ndjson line counts are `grep -c . <Type>.000.ndjson`.

use cin_core::{
    CinError, ConditionCategory, IngestReport, MedStatus, Network, ObsValue, OrgKind,
    ProcedureKind, Setting,
};
use std::path::{Path, PathBuf};

fn data() -> Option<PathBuf> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data")).to_path_buf();
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("shared/data not found; skipping FHIR data test");
        None
    }
}

fn load(path: &Path) -> (Network, IngestReport) {
    let mut net = Network::new();
    let rep = net.load_fhir_path(path).expect("loads");
    (net, rep)
}

fn load_bytes(text: &str) -> (Network, IngestReport) {
    let mut net = Network::new();
    let rep = net
        .load_fhir_bytes(text.as_bytes(), "test.json")
        .expect("loads");
    (net, rep)
}

/// (patients, encounters, conditions, observations, medications, procedures)
fn six(net: &Network) -> (usize, usize, usize, usize, usize, usize) {
    let c = net.counts();
    (
        c.patients,
        c.encounters,
        c.conditions,
        c.observations,
        c.medications,
        c.procedures,
    )
}

fn has_issue(rep: &IngestReport, field: &str, words: &str) -> bool {
    rep.issues
        .iter()
        .any(|i| i.location.field.as_deref() == Some(field) && i.message.contains(words))
}

#[test]
fn each_synthea_bundle_file() {
    let Some(d) = data() else { return };
    let dir = d.join("synthea_fhir_bundles");
    // (file prefix, patients, encounters, conditions, observations, medications, procedures)
    let expected = [
        ("Chasidy481", 1, 27, 20, 194, 11, 104),
        ("Lourdes_Alcantar", 1, 39, 17, 146, 10, 27),
        ("Nestor901", 1, 32, 26, 363, 26, 117),
        ("Parker_Casper", 1, 24, 15, 278, 17, 44),
    ];
    for (prefix, p, e, c, o, m, pr) in expected {
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .map(|f| f.unwrap().path())
            .find(|f| f.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .unwrap();
        let (net, rep) = load(&file);
        assert_eq!(six(&net), (p, e, c, o, m, pr), "{prefix}");
        // Every encounter names its organisation (a placeholder when the provider file is absent).
        assert!(net.encounters.iter().all(|e| e.org.is_some()), "{prefix}");
        // python: encounters with a participant (Lourdes has one without).
        let with_pract = net
            .encounters
            .iter()
            .filter(|e| e.practitioner.is_some())
            .count();
        assert_eq!(
            with_pract,
            if prefix == "Lourdes_Alcantar" { 38 } else { e }
        );
        assert_eq!(rep.loaded["Encounter"], e);
    }
    // The 2024 bundles use conditional references: alone, their providers are placeholders.
    let nestor = dir.join("Nestor901_Carroll471_7aa9e024-e01b-a999-b719-cdbc94a84250.json");
    let (_, rep) = load(&nestor);
    assert!(has_issue(
        &rep,
        "Organization",
        "known only from references"
    ));
    // The 2019 bundles are self-contained (urn:uuid references).
    let parker = dir.join("Parker_Casper_6d0c6969-6843-47e1-9921-d9bf11b1df31.json");
    let (net, rep) = load(&parker);
    assert!(!has_issue(
        &rep,
        "Organization",
        "known only from references"
    ));
    assert!(net.organizations.iter().all(|o| o.name.is_some()));
}

#[test]
fn synthea_bundle_directory_resolves_conditional_references() {
    let Some(d) = data() else { return };
    let (net, rep) = load(&d.join("synthea_fhir_bundles"));
    assert_eq!(six(&net), (4, 122, 78, 981, 64, 292));
    assert_eq!(net.counts().care_plans, 20);
    // hospitalInformation / practitionerInformation load first: no placeholders are left.
    assert!(!has_issue(
        &rep,
        "Organization",
        "known only from references"
    ));
    assert!(!has_issue(
        &rep,
        "Practitioner",
        "known only from references"
    ));
    // python: 122 of 122 serviceProvider references match an Organization id or identifier.
    let resolved = net
        .encounters
        .iter()
        .filter(|e| {
            e.org
                .is_some_and(|o| net.organizations[o.idx()].kind != OrgKind::Other)
        })
        .count();
    assert_eq!(resolved, 122);
    // Practitioners learn their organisation from PractitionerRole.
    let with_org = net.practitioners.iter().filter(|p| p.org.is_some()).count();
    assert!(with_org >= 47, "{with_org}");
    // Lourdes Alcántar and Parker Casper are deceased.
    let dead = net.patients.iter().filter(|p| p.deceased).count();
    assert_eq!(dead, 2);
    assert!(
        net.patients
            .iter()
            .filter(|p| p.deceased)
            .all(|p| p.death_date.is_some())
    );
    // Provenance: facts carry the encounter's organisation.
    let with_prov = net
        .observations
        .iter()
        .filter(|o| o.encounter.is_some() && o.provenance.org.is_some())
        .count();
    assert!(with_prov * 10 >= net.observations.len() * 9);
    // Blood-pressure panels are split into systolic and diastolic.
    let sys = net
        .find_code(cin_core::CodeSystem::Loinc, "8480-6")
        .unwrap();
    let dia = net
        .find_code(cin_core::CodeSystem::Loinc, "8462-4")
        .unwrap();
    let ns = net.observations.iter().filter(|o| o.code == sys).count();
    let nd = net.observations.iter().filter(|o| o.code == dia).count();
    assert!(ns > 0 && ns == nd);
    // Social-history findings are flagged, not counted as disease.
    assert!(
        net.conditions
            .iter()
            .any(|c| c.category == ConditionCategory::SocialHistory)
    );
    // Claims put diagnoses on their encounters.
    assert!(net.counts().diagnoses > 0);
    assert!(
        rep.issues.is_empty(),
        "{:?}",
        &rep.issues[..rep.issues.len().min(5)]
    );
}

#[test]
fn synthea_ndjson_directory() {
    let Some(d) = data() else { return };
    let (net, rep) = load(&d.join("synthea_fhir_ndjson"));
    // Lines: Patient 7, Encounter 329, Condition 208, MedicationRequest 669, Procedure 878.
    assert_eq!(six(&net), (7, 329, 208, 0, 669, 878));
    // Every encounter's Organization?identifier= reference resolves (python: 329 of 329).
    let resolved = net
        .encounters
        .iter()
        .filter(|e| {
            e.org
                .is_some_and(|o| net.organizations[o.idx()].kind != OrgKind::Other)
        })
        .count();
    assert_eq!(resolved, 329);
    assert!(!has_issue(
        &rep,
        "Organization",
        "known only from references"
    ));
    // Conditions loaded before any encounter file is read still get their encounter.
    assert!(net.conditions.iter().all(|c| c.encounter.is_some()));
    // a5cb8ce9 goes ED -> SNF -> home health.
    let p = net
        .patient_by_id("a5cb8ce9-cec6-6b23-0990-cbaf753578a4")
        .unwrap();
    let settings: Vec<Setting> = net
        .patient_encounters(p)
        .map(|e| net.encounters[e.idx()].setting)
        .collect();
    for s in [Setting::Emergency, Setting::Snf, Setting::HomeHealth] {
        assert!(settings.contains(&s), "{s:?}");
    }
    assert_eq!(
        settings
            .iter()
            .filter(|s| **s == Setting::HomeHealth)
            .count(),
        5
    );
    // 129c6ac7: 45 inpatient stays (IMP), ends in hospice, deceased.
    let p = net
        .patient_by_id("129c6ac7-8d06-89de-ad63-0204a93e76c3")
        .unwrap();
    let encs: Vec<&cin_core::Encounter> = net
        .patient_encounters(p)
        .map(|e| &net.encounters[e.idx()])
        .collect();
    assert_eq!(
        encs.iter()
            .filter(|e| e.setting == Setting::Inpatient)
            .count(),
        45
    );
    assert_eq!(
        encs.iter()
            .filter(|e| e.setting == Setting::Hospice)
            .count(),
        1
    );
    assert!(net.patients[p.idx()].deceased);
    assert_eq!(net.patients.iter().filter(|p| p.deceased).count(), 1);
    // PractitionerRole links all 27 practitioners to an organisation; all 27 roles carry NUCC
    // 208D00000X (General Practice), a primary-care taxonomy.
    assert_eq!(net.practitioners.len(), 27);
    assert!(net.practitioners.iter().all(|p| p.org.is_some()));
    assert!(
        net.practitioners
            .iter()
            .all(|p| p.role == cin_core::PractitionerRole::Pcp)
    );
    // Prescriptions name their prescriber (Practitioner?identifier=us-npi|...).
    assert!(net.medications.iter().all(|m| m.prescriber.is_some()));
    // One feed per file, named by its path.
    assert!(
        net.feeds
            .iter()
            .any(|f| f.name.ends_with("Encounter.000.ndjson"))
    );
    // Statuses: 656 stopped, 13 active.
    let active = net
        .medications
        .iter()
        .filter(|m| m.status == MedStatus::Active)
        .count();
    assert_eq!(active, 13);
    // The only issues are the four lines of the export log (not FHIR resources). Encounter
    // line 137 crosses a daylight-saving change (01:52-04:00 to 01:07-05:00): not reversed.
    assert_eq!(rep.issues.len(), 4, "{:?}", rep.issues);
    assert!(
        rep.issues
            .iter()
            .all(|i| i.location.source.ends_with("log.ndjson"))
    );
}

#[test]
fn fhir_spec_examples_load_and_count_per_type() {
    let Some(d) = data() else { return };
    let (net, rep) = load(&d.join("fhir_r4_examples/spec"));
    // python: resources per type among single files and bundle entries (nested Bundles aside).
    let expected = [
        ("AllergyIntolerance", 2),
        ("CarePlan", 2),
        ("Claim", 2),
        ("Condition", 3),
        ("Coverage", 1),
        ("DetectedIssue", 2),
        ("DiagnosticReport", 4),
        ("Encounter", 4),
        ("EpisodeOfCare", 1),
        ("ExplanationOfBenefit", 1),
        ("Flag", 1),
        ("Immunization", 1),
        ("Location", 1),
        ("Medication", 2),
        ("MedicationAdministration", 1),
        ("MedicationDispense", 1),
        ("MedicationRequest", 6),
        ("MedicationStatement", 1),
        ("Observation", 17),
        ("Organization", 1),
        ("Parameters", 1),
        ("Patient", 13),
        ("Practitioner", 1),
        ("Procedure", 3),
        ("RiskAssessment", 1),
        ("ServiceRequest", 5),
    ];
    for (ty, n) in expected {
        let seen =
            rep.loaded.get(ty).copied().unwrap_or(0) + rep.skipped.get(ty).copied().unwrap_or(0);
        assert_eq!(seen, n, "{ty}");
    }
    // Blood pressure example 85354-9 becomes 8480-6 (107 mmHg) and 8462-4 (60 mmHg).
    let sys = net
        .find_code(cin_core::CodeSystem::Loinc, "8480-6")
        .unwrap();
    let o = net.observations.iter().find(|o| o.code == sys).unwrap();
    assert_eq!(o.value, ObsValue::Number(107.0));
    assert!(
        net.observations
            .iter()
            .any(|o| o.value == ObsValue::Number(60.0))
    );
    // Kinds of procedure facts: 3 performed, 4 reports, 5 orders (python counts above).
    let kind = |k| net.procedures.iter().filter(|p| p.kind == k).count();
    assert_eq!(kind(ProcedureKind::Performed), 3);
    assert_eq!(kind(ProcedureKind::Report), 4);
    assert_eq!(kind(ProcedureKind::Ordered), 5);
    // Encounter-home is class HH; Encounter-emerg is IMP admitted from the ED (admitSource emd).
    let home = net.encounter_by_key("Encounter/home").unwrap();
    assert_eq!(net.encounters[home.idx()].setting, Setting::HomeHealth);
    let emerg = &net.encounters[net.encounter_by_key("Encounter/emerg").unwrap().idx()];
    assert_eq!(emerg.setting, Setting::Inpatient);
    assert_eq!(emerg.admission_type, cin_core::AdmissionType::Emergency);
}

fn invalid(d: &Path, name: &str) -> std::result::Result<(Network, IngestReport), CinError> {
    let mut net = Network::new();
    net.load_fhir_path(&d.join("fhir_r4_examples/invalid").join(name))
        .map(|r| (net, r))
}

fn parse_error_line(r: std::result::Result<(Network, IngestReport), CinError>) -> Option<usize> {
    match r {
        Err(CinError::Parse { location, .. }) => location.line,
        Err(e) => panic!("expected a parse error, got {e}"),
        Ok(_) => panic!("expected a parse error"),
    }
}

#[test]
fn every_invalid_example_gives_an_issue_or_a_typed_error() {
    let Some(d) = data() else { return };
    // The control loads clean.
    let (net, rep) = invalid(&d, "json-good.json").unwrap();
    assert!(rep.issues.is_empty(), "{:?}", rep.issues);
    assert_eq!(net.counts().patients, 1);

    let (net, rep) = invalid(&d, "ai4.json").unwrap();
    assert!(has_issue(
        &rep,
        "Patient.birthDate",
        "not a valid FHIR date"
    ));
    assert!(net.patients[0].birth_date.is_none());

    assert_eq!(
        parse_error_line(invalid(&d, "bad-json-close-1.json")),
        Some(15)
    );
    assert_eq!(
        parse_error_line(invalid(&d, "json-comma-bad-1.json")),
        Some(7)
    );
    assert_eq!(
        parse_error_line(invalid(&d, "json-comments-1.json")),
        Some(1)
    );
    // `925.`: serde_json rejects a point with no digits after it.
    assert_eq!(
        parse_error_line(invalid(&d, "observation-with-trailing-dot.json")),
        Some(22)
    );

    let (_, rep) = invalid(&d, "bundle-conditional-reference-bad.json").unwrap();
    assert!(has_issue(
        &rep,
        "Observation.device.reference",
        "conditional reference"
    ));
    assert_eq!(rep.issues[0].location.entry, Some(0));

    let (_, rep) = invalid(&d, "bundle-duplicate-id.json").unwrap();
    let n = rep
        .issues
        .iter()
        .filter(|i| i.location.field.as_deref() == Some("Bundle.entry.fullUrl"))
        .count();
    assert_eq!(n, 2);
    assert_eq!(rep.skipped["RelatedPerson"], 1);

    let (net, rep) = invalid(&d, "encounter-period.json").unwrap();
    assert!(has_issue(&rep, "Encounter.period", "different precision"));
    assert_eq!(net.counts().encounters, 1);

    let (net, rep) = invalid(&d, "hakan-se.json").unwrap();
    assert!(has_issue(
        &rep,
        "MedicationRequest.medication[x]",
        "no medicationCodeableConcept"
    ));
    assert_eq!(net.counts().medications, 0);
    assert_eq!(rep.skipped["MedicationRequest"], 1);

    let (_, rep) = invalid(&d, "obs-decimal.json").unwrap();
    let lines: Vec<usize> = rep
        .issues
        .iter()
        .filter(|i| i.message.contains("not a valid FHIR decimal"))
        .map(|i| i.location.line.unwrap())
        .collect();
    // 1000000000000000000, 1.000000000000000000E-24, -1.000000000000000000E+245
    assert_eq!(lines, vec![53, 62, 71]);

    let (net, rep) = invalid(&d, "patient-duplicate.json").unwrap();
    assert!(has_issue(&rep, "active", "duplicate JSON property"));
    assert_eq!(net.counts().patients, 1);

    let (net, rep) = invalid(&d, "patient-id-bad-1.json").unwrap();
    assert!(has_issue(&rep, "Patient.id", "invalid resource id"));
    assert_eq!(net.counts().patients, 1);

    let (_, rep) = invalid(&d, "synthea.json").unwrap();
    assert!(has_issue(
        &rep,
        "Encounter.reasonCode",
        "must be a JSON array"
    ));

    // The whole directory: no panic, every file accounted for.
    let (_, rep) = load(&d.join("fhir_r4_examples/invalid"));
    assert_eq!(rep.skipped["file"], 4);
}

// ---- hand-built inputs ---------------------------------------------------------------------

#[test]
fn unreadable_inputs_are_typed_errors() {
    let mut net = Network::new();
    for bad in [
        "",
        "  \n ",
        "{\"resourceType\": \"Patient\", \"id\": \"1\"",
        "[1, 2]",
        "[{\"resourceType\":\"Patient\"}]",
        "42",
        "\u{feff}",
    ] {
        match net.load_fhir_bytes(bad.as_bytes(), "x.json") {
            Err(CinError::Parse { location, .. }) => assert_eq!(location.source, "x.json"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    // Binary garbage and nesting deeper than serde_json's recursion limit.
    let deep = "[".repeat(100_000);
    for bad in [&b"\xff\xfe\x00garbage"[..], deep.as_bytes()] {
        assert!(matches!(
            net.load_fhir_bytes(bad, "x.json"),
            Err(CinError::Parse { .. })
        ));
    }
    assert!(matches!(
        net.load_fhir_path(Path::new("/nonexistent/fhir")),
        Err(CinError::Io { .. })
    ));
    assert_eq!(net.counts().patients, 0);
}

#[test]
fn ndjson_bad_line_is_an_issue_with_its_line_and_the_rest_loads() {
    let text = concat!(
        r#"{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-02"}"#,
        "\n",
        r#"{"resourceType":"Patient","id":"p2" "#,
        "\n\n",
        r#"{"resourceType":"Encounter","id":"e1","class":{"code":"EMER"},"subject":{"reference":"Patient/p1"},"period":{"start":"2020-01-01T10:00:00Z","end":"2020-01-01T12:00:00Z"}}"#,
        "\n",
        r#"{"resourceType":"Condition","id":"c1","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I50.9"}]},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"}}"#,
        "\n"
    );
    let (net, rep) = load_bytes(text);
    assert_eq!(rep.issues.len(), 1);
    assert_eq!(rep.issues[0].location.line, Some(2));
    assert_eq!(six(&net), (1, 1, 1, 0, 0, 0));
    assert_eq!(net.encounters[0].setting, Setting::Emergency);
    assert_eq!(net.str(net.conditions[0].code.value), "I509");
    assert!(net.conditions[0].encounter.is_some());
}

#[test]
fn ndjson_bytes_with_a_broken_first_line_are_still_ndjson() {
    let text = concat!(
        r#"{"resourceType":"Patient","id":"p1",}"#,
        "\r\n",
        r#"{"resourceType":"Patient","id":"p2"}"#,
        "\r\n"
    );
    let (net, rep) = load_bytes(text);
    assert_eq!(net.counts().patients, 1);
    assert_eq!(rep.issues.len(), 1);
    assert_eq!(rep.issues[0].location.line, Some(1));
    // A pretty-printed document broken on its fifth line stays one parse error.
    let mut net = Network::new();
    let broken =
        "{\n \"resourceType\": \"Patient\",\n \"id\": \"p\",\n \"gender\": \"male\"\n \"x\": 1\n}";
    assert!(matches!(
        net.load_fhir_bytes(broken.as_bytes(), "b.json"),
        Err(CinError::Parse { location, .. }) if location.line == Some(5)
    ));
}

/// Regression (found by mutating the shared samples): an ndjson line whose `{` was lost made
/// the whole input "not valid JSON", dropping the good lines around it.
#[test]
fn ndjson_line_not_starting_with_a_brace_drops_only_itself() {
    let text = concat!(
        r#"{"resourceType":"Patient","id":"p1"}"#,
        "\n",
        r#":"resourceType":"Organization","id":"o1"}"#,
        "\n",
        r#"{"resourceType":"Patient","id":"p2"}"#,
        "\n"
    );
    let (net, rep) = load_bytes(text);
    assert_eq!(net.counts().patients, 2);
    assert_eq!(net.counts().organizations, 0);
    assert_eq!(rep.issues.len(), 1);
    assert_eq!(rep.issues[0].location.line, Some(2));
}

#[test]
fn reversed_period_keeps_start_and_drops_end() {
    let (net, rep) = load_bytes(
        r#"{"resourceType":"Encounter","id":"e1","class":{"code":"IMP"},"subject":{"reference":"Patient/p"},
           "period":{"start":"2020-01-05T10:00:00Z","end":"2020-01-03T10:00:00Z"}}"#,
    );
    assert!(has_issue(
        &rep,
        "Encounter.period",
        "end is before its start"
    ));
    let e = &net.encounters[0];
    assert_eq!(e.start.to_string()[..10], *"2020-01-05");
    assert_eq!(e.end, None);
    assert_eq!(e.setting, Setting::Inpatient);
}

#[test]
fn conditional_references_resolve_in_either_order() {
    let org = r#"{"resourceType":"Organization","id":"o1","name":"GENERAL HOSPITAL",
        "identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"abc"}]}"#;
    let enc = r#"{"resourceType":"Encounter","id":"e1","class":{"code":"AMB"},
        "subject":{"reference":"Patient/p"},"period":{"start":"2020-01-01"},
        "serviceProvider":{"reference":"Organization?identifier=https://github.com/synthetichealth/synthea|abc","display":"GENERAL HOSPITAL"},
        "participant":[{"individual":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|123"}}]}"#;
    // Provider first.
    let mut net = Network::new();
    net.load_fhir_bytes(org.as_bytes(), "org.json").unwrap();
    let rep = net.load_fhir_bytes(enc.as_bytes(), "enc.json").unwrap();
    assert!(!has_issue(&rep, "Organization", "known only"));
    assert_eq!(net.organizations.len(), 1);
    assert_eq!(net.encounters[0].org.unwrap().idx(), 0);
    // Encounter first: a placeholder, filled in when the Organization arrives.
    let mut net = Network::new();
    let rep = net.load_fhir_bytes(enc.as_bytes(), "enc.json").unwrap();
    assert!(has_issue(
        &rep,
        "Organization",
        "known only from references"
    ));
    assert!(has_issue(
        &rep,
        "Practitioner",
        "known only from references"
    ));
    net.load_fhir_bytes(org.as_bytes(), "org.json").unwrap();
    assert_eq!(net.organizations.len(), 1);
    let o = &net.organizations[net.encounters[0].org.unwrap().idx()];
    assert_eq!(o.kind, OrgKind::Hospital);
    assert_eq!(net.organization_by_key("Organization/o1").unwrap().idx(), 0);
}

#[test]
fn bundle_with_urn_references_medication_reference_claims_and_wrong_types() {
    let bundle = r##"{"resourceType":"Bundle","type":"transaction","entry":[
      {"fullUrl":"urn:uuid:c1","resource":{"resourceType":"Condition","id":"c1",
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},
         "subject":{"reference":"urn:uuid:p1"},"encounter":{"reference":"urn:uuid:e1"}}},
      {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","gender":"male",
         "deceasedDateTime":"2021-03-04T05:06:07Z",
         "identifier":[{"system":"http://hospital.smarthealthit.org","value":"MRN1"}]}},
      {"fullUrl":"urn:uuid:e1","resource":{"resourceType":"Encounter","id":"e1","class":{"code":"IMP"},
         "type":[{"text":"Admission to skilled nursing facility"}],
         "subject":{"reference":"urn:uuid:p1"},"period":{"start":"2020-01-01T00:00:00Z","end":"2020-01-10T00:00:00Z"},
         "hospitalization":{"dischargeDisposition":{"coding":[{"code":"home"}]}},
         "diagnosis":[{"condition":{"reference":"urn:uuid:c1"},"rank":1}]}},
      {"fullUrl":"urn:uuid:m1","resource":{"resourceType":"Medication","id":"m1",
         "code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975"}]}}},
      {"fullUrl":"urn:uuid:r1","resource":{"resourceType":"MedicationRequest","id":"r1","status":"active",
         "medicationReference":{"reference":"urn:uuid:m1"},"subject":{"reference":"urn:uuid:p1"},
         "authoredOn":"2020-01-09"}},
      {"fullUrl":"urn:uuid:r2","resource":{"resourceType":"MedicationRequest","id":"r2","status":"stopped",
         "contained":[{"resourceType":"Medication","id":"med","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"197361"}]}}],
         "medicationReference":{"reference":"#med"},"subject":{"reference":"urn:uuid:p1"}}},
      {"fullUrl":"urn:uuid:x1","resource":{"resourceType":"Claim","id":"x1","patient":{"reference":"urn:uuid:p1"},
         "item":[{"sequence":1,"encounter":[{"reference":"urn:uuid:e1"}]}],
         "diagnosis":[{"sequence":1,"diagnosisCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"N18.3"}]}}]}},
      {"fullUrl":"urn:uuid:o1","resource":{"resourceType":"Observation","id":"o1",
         "code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},"subject":{"reference":"urn:uuid:p1"},
         "valueQuantity":{"value":"high","unit":"mg/dL"}}},
      {"fullUrl":"urn:uuid:i1","resource":{"resourceType":"Immunization","id":"i1"}},
      {"fullUrl":"urn:uuid:bad","resource":"not an object"}
    ]}"##;
    let (net, rep) = load_bytes(bundle);
    assert_eq!(six(&net), (1, 1, 1, 1, 2, 0));
    let p = &net.patients[0];
    assert!(p.deceased && p.death_date.is_some());
    let e = &net.encounters[0];
    assert_eq!(e.setting, Setting::Snf);
    assert_eq!(e.disposition, cin_core::Disposition::Home);
    // The condition came before its encounter in the bundle: resolved anyway.
    assert_eq!(net.conditions[0].encounter.map(|x| x.idx()), Some(0));
    let meds: Vec<&str> = net
        .medications
        .iter()
        .map(|m| net.str(m.code.value))
        .collect();
    assert_eq!(meds, vec!["860975", "197361"]);
    assert_eq!(net.medications[1].status, MedStatus::Stopped);
    // Diagnoses on the encounter: the condition (rank 1, principal) and the claim's ICD-10.
    let dx: Vec<(String, bool)> = net
        .diagnoses
        .iter()
        .map(|d| (net.str(d.code.value).to_string(), d.principal))
        .collect();
    assert!(dx.contains(&("44054006".to_string(), true)));
    assert!(dx.iter().any(|(c, _)| c == "N183"));
    // Wrong-typed value: an issue, the observation kept without a value.
    assert!(has_issue(
        &rep,
        "Observation.valueQuantity.value",
        "must be a JSON number"
    ));
    assert_eq!(net.observations[0].value, ObsValue::None);
    assert_eq!(rep.issues[0].location.entry, Some(7));
    assert!(has_issue(
        &rep,
        "Bundle.entry.resource",
        "must be a JSON object"
    ));
    assert_eq!(rep.skipped["Immunization"], 1);
    // No patient data in messages.
    for i in &rep.issues {
        assert!(!i.message.contains("MRN1") && !i.message.contains("high"));
    }
}

#[test]
fn larger_generated_ndjson_loads_without_issues() {
    // 20,000 patients with one encounter each (about 5 MB): a size test, not a timing test.
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "{{\"resourceType\":\"Patient\",\"id\":\"p{i}\",\"birthDate\":\"1960-01-01\"}}\n{{\"resourceType\":\"Encounter\",\"id\":\"e{i}\",\"class\":{{\"code\":\"AMB\"}},\"subject\":{{\"reference\":\"Patient/p{i}\"}},\"period\":{{\"start\":\"2020-01-01T08:00:00Z\"}}}}\n"
        ));
    }
    let (net, rep) = load_bytes(&text);
    assert!(rep.issues.is_empty());
    assert_eq!(net.counts().patients, 20_000);
    assert_eq!(net.counts().encounters, 20_000);
}

#[test]
fn claim_without_encounter_and_diagnosis_resolved_across_files() {
    let mut net = Network::new();
    // The encounter names a Condition that only arrives in a later file of the same load.
    let dir = std::env::temp_dir().join(format!("cin_fhir_test_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a_encounter.json"),
        r#"{"resourceType":"Encounter","id":"e1","class":{"code":"IMP"},
            "subject":{"reference":"Patient/p"},"period":{"start":"2020-01-01","end":"2020-01-04"},
            "diagnosis":[{"condition":{"reference":"Condition/c9"},
                          "use":{"coding":[{"code":"DD"}]}}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("b_condition.json"),
        r#"{"resourceType":"Condition","id":"c9","subject":{"reference":"Patient/p"},
            "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"J18.9"}]}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("c_claim.json"),
        r#"{"resourceType":"ExplanationOfBenefit","id":"x","patient":{"reference":"Patient/p"},
            "billablePeriod":{"start":"2020-02-01"},
            "provider":{"reference":"Organization/o1","display":"Clinic"},
            "diagnosis":[{"sequence":1,"diagnosisCodeableConcept":{"coding":[
                {"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"E11.9"}]}}]}"#,
    )
    .unwrap();
    let rep = net.load_fhir_path(&dir).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(rep.issues.iter().all(|i| !i.message.contains("Condition")));
    assert_eq!(net.diagnoses.len(), 1);
    assert!(net.diagnoses[0].principal);
    assert_eq!(net.str(net.diagnoses[0].code.value), "J189");
    // The claim names no encounter: its diagnosis becomes a claim-diagnosis condition.
    let claim_dx: Vec<_> = net
        .conditions
        .iter()
        .filter(|c| c.category == ConditionCategory::ClaimDiagnosis)
        .collect();
    assert_eq!(claim_dx.len(), 1);
    assert_eq!(net.str(claim_dx[0].code.value), "E119");
    assert!(claim_dx[0].provenance.org.is_some());
    assert_eq!(net.counts().patients, 1);
}

/// Deterministic mutations (byte swaps to JSON punctuation, truncations, deletions, insertions)
/// of the shared spec examples and ndjson slices: no load may panic, and a mutated resource
/// between two good ndjson lines never drops them (the same inputs `fuzz/fhir_bytes` starts
/// from; the fuzzer found no crash, this keeps the property in the ordinary test suite).
#[test]
fn mutated_shared_resources_never_panic_or_drop_neighbours() {
    let Some(d) = data() else { return };
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let mut spec: Vec<PathBuf> = std::fs::read_dir(d.join("fhir_r4_examples/spec"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    spec.sort();
    for f in spec
        .iter()
        .filter(|f| f.metadata().is_ok_and(|m| m.len() < 50_000))
    {
        seeds.push(std::fs::read(f).unwrap());
    }
    for ty in ["Patient", "Encounter", "Condition", "MedicationRequest"] {
        let f = d.join(format!("synthea_fhir_ndjson/{ty}.000.ndjson"));
        if let Ok(text) = std::fs::read_to_string(&f) {
            let first: Vec<&str> = text.lines().take(3).collect();
            seeds.push(first.join("\n").into_bytes());
        }
    }
    assert!(seeds.len() > 10, "shared FHIR samples are present");
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let specials = [
        b'{', b'}', b'[', b']', b'"', b':', b',', b'\\', b'\n', b'-', b'9', b'e', 0xFF, 0x00,
    ];
    let head = br#"{"resourceType":"Patient","id":"neighbour-a","identifier":[{"system":"urn:cin-test","value":"a"}]}"#;
    let tail = br#"{"resourceType":"Patient","id":"neighbour-b","identifier":[{"system":"urn:cin-test","value":"b"}]}"#;
    for orig in &seeds {
        for _ in 0..15 {
            let mut b = orig.clone();
            for _ in 0..1 + next() % 6 {
                if b.is_empty() {
                    break;
                }
                let i = (next() as usize) % b.len();
                match next() % 4 {
                    0 => b[i] = specials[(next() as usize) % specials.len()],
                    1 => b.truncate(i),
                    2 => {
                        b.remove(i);
                    }
                    _ => b.insert(i, specials[(next() as usize) % specials.len()]),
                }
            }
            let mut net = Network::new();
            let _ = net.load_fhir_bytes(&b, "mutated.json");
            let _ = net.load_fhir_bytes(&b, "mutated-again.json");
            // The mutated bytes as one ndjson line between two good ones.
            let mut nd = head.to_vec();
            nd.push(b'\n');
            nd.extend(
                b.iter()
                    .map(|&c| if c == b'\n' || c == b'\r' { b' ' } else { c }),
            );
            nd.push(b'\n');
            nd.extend_from_slice(tail);
            let mut net = Network::new();
            let rep = net.load_fhir_bytes(&nd, "mutated.ndjson");
            assert!(rep.is_ok(), "ndjson with good lines loads");
            for v in ["a", "b"] {
                assert!(
                    net.patient_by_identifier("urn:cin-test", v).is_some(),
                    "neighbour {v} survives a mutated line"
                );
            }
        }
    }
}
