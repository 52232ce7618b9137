//! Hand-built populations with known numerators and denominators for every default measure,
//! attribution, per-level aggregation and the measure-file loader. Every expected number is
//! counted by hand from the timeline built in the test (comments say how).

use cin_core::measures::{
    AttributionMethod, AttributionOptions, ExternalMeasureInput, MeasureSet, peer_ranks,
};
use cin_core::*;

struct B {
    net: Network,
    prov: Provenance,
    n: usize,
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_iso(s).unwrap_or_else(|| panic!("bad date {s}"))
}

fn period() -> Option<(Timestamp, Timestamp)> {
    Some((t("2025-01-01"), t("2025-12-31")))
}

impl B {
    fn new() -> B {
        let mut net = Network::new();
        let feed = net.add_feed(FeedKind::Api, "test");
        let prov = Provenance { org: None, feed };
        let mut b = B { net, prov, n: 0 };
        for (key, kind) in [
            ("P1", OrgKind::Practice),
            ("P2", OrgKind::Practice),
            ("H1", OrgKind::Hospital),
        ] {
            let id = b.net.intern(key);
            b.net.upsert_organization(
                key,
                Organization {
                    id,
                    name: None,
                    kind,
                    identifiers: vec![],
                    provenance: prov,
                },
            );
        }
        for (key, role, org) in [
            ("drA", PractitionerRole::Pcp, "P1"),
            ("drB", PractitionerRole::Pcp, "P2"),
            ("drC", PractitionerRole::Pcp, "P1"),
            ("specS", PractitionerRole::Specialist, "P2"),
            ("cmX", PractitionerRole::CareManager, "P1"),
        ] {
            let id = b.net.intern(key);
            let org = b.net.organization_by_key(org);
            b.net.upsert_practitioner(
                key,
                Practitioner {
                    id,
                    role,
                    specialty: None,
                    org,
                    identifiers: vec![],
                    provenance: prov,
                },
            );
        }
        b
    }

    fn patient(&mut self, id: &str, birth: &str, sex: Sex) -> PatientIdx {
        self.net.upsert_patient(
            &PatientInput {
                id,
                birth_date: Some(t(birth)),
                sex,
                ..Default::default()
            },
            self.prov,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn enc(
        &mut self,
        p: PatientIdx,
        setting: Setting,
        org: &str,
        pract: Option<&str>,
        start: &str,
        end: Option<&str>,
        disp: Disposition,
    ) -> EncIdx {
        self.n += 1;
        let key = format!("e{}", self.n);
        let id = self.net.intern(&key);
        let org = self.net.organization_by_key(org);
        let practitioner = pract.and_then(|k| self.net.practitioner_by_key(k));
        self.net.upsert_encounter(
            &key,
            Encounter {
                id,
                patient: p,
                setting,
                start: t(start),
                end: end.map(t),
                org,
                practitioner,
                admission_type: AdmissionType::Emergency,
                disposition: disp,
                type_code: None,
                provenance: self.prov,
            },
        )
    }

    /// An office visit with a practitioner at the practitioner's practice.
    fn visit(&mut self, p: PatientIdx, pract: &str, day: &str) -> EncIdx {
        let org = match pract {
            "drB" | "specS" => "P2",
            _ => "P1",
        };
        self.enc(
            p,
            Setting::Ambulatory,
            org,
            Some(pract),
            day,
            Some(day),
            Disposition::Home,
        )
    }

    fn cond(&mut self, p: PatientIdx, system: CodeSystem, code: &str, onset: &str) {
        self.cond_until(p, system, code, onset, None);
    }

    fn cond_until(
        &mut self,
        p: PatientIdx,
        system: CodeSystem,
        code: &str,
        onset: &str,
        abatement: Option<&str>,
    ) {
        let code = self.net.code(system, code).unwrap();
        self.net.add_condition(Condition {
            patient: p,
            encounter: None,
            code,
            display: None,
            onset: Some(t(onset)),
            abatement: abatement.map(t),
            category: ConditionCategory::ProblemList,
            provenance: self.prov,
        });
    }

    fn obs(&mut self, p: PatientIdx, loinc: &str, value: f64, time: &str, enc: Option<EncIdx>) {
        let code = self.net.code(CodeSystem::Loinc, loinc).unwrap();
        self.net.add_observation(Observation {
            patient: p,
            encounter: enc,
            code,
            value: ObsValue::Number(value),
            unit: None,
            time: Some(t(time)),
            performer: None,
            provenance: self.prov,
        });
    }

    fn bp(&mut self, p: PatientIdx, sys: f64, dia: f64, time: &str) {
        self.obs(p, "8480-6", sys, time, None);
        self.obs(p, "8462-4", dia, time, None);
    }

    fn proc(&mut self, p: PatientIdx, system: CodeSystem, code: &str, day: &str) {
        let code = self.net.code(system, code).unwrap();
        self.net.add_procedure(Procedure {
            patient: p,
            encounter: None,
            code,
            display: None,
            time: Some(t(day)),
            kind: ProcedureKind::Performed,
            practitioner: None,
            org: None,
            provenance: self.prov,
        });
    }

    fn panel(&mut self, p: PatientIdx, pract: &str, start: &str, end: Option<&str>) {
        let practitioner = self.net.practitioner_by_key(pract);
        self.net.add_care_team_member(CareTeamMember {
            patient: p,
            practitioner,
            org: None,
            role: PractitionerRole::Pcp,
            start: Some(t(start)),
            end: end.map(t),
            provenance: self.prov,
        });
    }

    /// A diabetic patient with an office visit with `pract` in 2025.
    fn diabetic(&mut self, id: &str, birth: &str, pract: &str) -> PatientIdx {
        let p = self.patient(id, birth, Sex::Male);
        self.cond(p, CodeSystem::Snomed, "44054006", "2015-04-01");
        self.visit(p, pract, "2025-02-10");
        p
    }
}

/// One row of a measures table: (denominator, numerator, rate, percentile, rank).
type Row = (i64, i64, Option<f64>, Option<f64>, Option<i64>);

fn row(table: &Table, measure: &str, level: &str, entity: &str) -> Option<Row> {
    let s = |c: &str| match table.column(c) {
        Some(Column::Str(v)) => v.clone(),
        _ => panic!("column {c}"),
    };
    let i = |c: &str| match table.column(c) {
        Some(Column::Int(v)) => v.clone(),
        _ => panic!("column {c}"),
    };
    let f = |c: &str| match table.column(c) {
        Some(Column::Float(v)) => v.clone(),
        _ => panic!("column {c}"),
    };
    let (m, l, e) = (s("measure_id"), s("level"), s("entity_id"));
    let (d, n, r, p, k) = (
        i("denominator"),
        i("numerator"),
        f("rate"),
        f("percentile"),
        i("rank"),
    );
    (0..table.len())
        .find(|&j| {
            m[j].as_deref() == Some(measure)
                && l[j].as_deref() == Some(level)
                && e[j].as_deref() == Some(entity)
        })
        .map(|j| (d[j].unwrap(), n[j].unwrap(), r[j], p[j], k[j]))
}

fn network(table: &Table, measure: &str) -> (i64, i64) {
    let r = row(table, measure, "network", "network").expect("network row");
    (r.0, r.1)
}

fn gaps(net: &Network, set: &MeasureSet) -> Vec<(String, String, String)> {
    let g = net.care_gaps_table(set, period(), &[]).unwrap();
    let col = |c: &str| match g.column(c) {
        Some(Column::Str(v)) => v.iter().map(|x| x.clone().unwrap()).collect::<Vec<_>>(),
        _ => panic!(),
    };
    let (p, m, r) = (col("patient_id"), col("measure_id"), col("reason"));
    (0..g.len())
        .map(|i| (p[i].clone(), m[i].clone(), r[i].clone()))
        .collect()
}

fn gap_of(net: &Network, set: &MeasureSet, patient: &str, measure: &str) -> Option<String> {
    gaps(net, set)
        .into_iter()
        .find(|g| g.0 == patient && g.1 == measure)
        .map(|g| g.2)
}

#[test]
fn hba1c_ages_missing_results_most_recent_and_hospice() {
    let mut b = B::new();
    // Ages on 2025-12-31: 17 (out), 18 (in), 75 (in), 76 (out). No HbA1c at all.
    b.diabetic("age17", "2008-01-01", "drA");
    b.diabetic("age18", "2007-12-31", "drA");
    b.diabetic("age75", "1950-01-01", "drA");
    b.diabetic("age76", "1949-12-31", "drA");
    // Most recent 9.4 (earlier 7.0): poor control.
    let p = b.diabetic("high", "1970-05-05", "drA");
    b.obs(p, "4548-4", 7.0, "2025-02-01T09:00", None);
    b.obs(p, "4548-4", 9.4, "2025-06-02T09:00", None);
    // Earlier 9.5, most recent 7.2: controlled, and under 8.
    let p = b.diabetic("improved", "1970-05-05", "drB");
    b.obs(p, "4548-4", 9.5, "2025-01-15T09:00", None);
    b.obs(p, "4548-4", 7.2, "2025-11-20T09:00", None);
    // Exactly 9.0 is not above 9.0; not under 8 either.
    let p = b.diabetic("nine", "1970-05-05", "drB");
    b.obs(p, "4548-4", 9.0, "2025-08-08T09:00", None);
    // Only a 2024 result: missing in the period.
    let p = b.diabetic("old_result", "1970-05-05", "drB");
    b.obs(p, "4548-4", 6.1, "2024-12-31T23:00", None);
    // Hospice in the period: excluded even though the result is missing.
    let p = b.diabetic("hospice", "1960-01-01", "drA");
    b.enc(
        p,
        Setting::Hospice,
        "H1",
        None,
        "2025-09-01",
        Some("2025-10-01"),
        Disposition::Unknown,
    );
    // Diabetes resolved before the period: not in the registry.
    let p = b.patient("resolved", "1970-01-01", Sex::Female);
    b.cond_until(
        p,
        CodeSystem::Snomed,
        "44054006",
        "2010-01-01",
        Some("2020-01-01"),
    );
    b.visit(p, "drA", "2025-03-03");
    // Diabetes only as an ICD-10-CM claim diagnosis in 2024 (the year before): in the registry.
    let p = b.patient("claims_dx", "1970-01-01", Sex::Female);
    let e = b.visit(p, "drA", "2024-06-01");
    let code = b.net.code(CodeSystem::Icd10Cm, "E11.65").unwrap();
    b.net.add_diagnosis(Diagnosis {
        encounter: e,
        code,
        principal: true,
    });
    b.visit(p, "drA", "2025-06-01");
    b.obs(p, "4548-4", 8.5, "2025-06-01T10:00", None);
    // Diabetes but no office visit in the period: not in the population.
    let p = b.patient("no_visit", "1970-01-01", Sex::Male);
    b.cond(p, CodeSystem::Snomed, "44054006", "2015-01-01");

    let set = MeasureSet::embedded();
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    // Denominator: age18, age75, high, improved, nine, old_result, claims_dx = 7.
    // Poor control: age18, age75 (missing), high (9.4), old_result (missing) = 4.
    assert_eq!(network(&table, "hba1c_poor_control"), (7, 4));
    // Under 8: improved (7.2) only.
    assert_eq!(network(&table, "hba1c_under_8"), (7, 1));

    assert_eq!(
        gap_of(&b.net, &set, "high", "hba1c_poor_control").as_deref(),
        Some("last HbA1c 9.4 % on 2025-06-02")
    );
    assert_eq!(
        gap_of(&b.net, &set, "age18", "hba1c_poor_control").as_deref(),
        Some("no HbA1c since 2025-01-01")
    );
    assert_eq!(
        gap_of(&b.net, &set, "claims_dx", "hba1c_under_8").as_deref(),
        Some("last HbA1c 8.5 % on 2025-06-01")
    );
    assert_eq!(gap_of(&b.net, &set, "improved", "hba1c_poor_control"), None);
    assert_eq!(gap_of(&b.net, &set, "hospice", "hba1c_poor_control"), None);

    let ex = b
        .net
        .explain_measure(&set, "hospice", "hba1c_poor_control", period())
        .unwrap();
    assert!(ex.in_population && !ex.in_denominator);
    assert_eq!(ex.exclusions.len(), 1);
    assert!(ex.exclusions[0].starts_with("hospice: hospice encounter from 2025-09-01"));
    let ex = b
        .net
        .explain_measure(&set, "age76", "hba1c_poor_control", period())
        .unwrap();
    assert!(!ex.in_population);
    assert!(
        ex.population
            .iter()
            .any(|s| s == "not eligible: age 76 on 2025-12-31 is outside 18-75")
    );
    let ex = b
        .net
        .explain_measure(&set, "high", "hba1c_poor_control", period())
        .unwrap();
    assert!(ex.in_denominator && ex.in_numerator);
    assert!(
        ex.population
            .iter()
            .any(|s| s.contains("SNOMED 44054006 (ICD-10-CM E119 by crosswalk)"))
    );
    assert!(ex.numerator_evidence[0].contains("= 9.4 on 2025-06-02; 9.4 > 9 %: yes"));
    assert_eq!(ex.attributed_practitioner.as_deref(), Some("drA"));
    assert!(
        b.net
            .explain_measure(&set, "nobody", "hba1c_poor_control", period())
            .is_err()
    );
    assert!(
        b.net
            .explain_measure(&set, "high", "nope", period())
            .is_err()
    );
}

#[test]
fn blood_pressure_lowest_of_the_most_recent_day() {
    let mut b = B::new();
    let htn = |b: &mut B, id: &str| {
        let p = b.patient(id, "1960-01-01", Sex::Female);
        b.cond(p, CodeSystem::Snomed, "59621000", "2018-01-01");
        b.visit(p, "drA", "2025-02-01");
        p
    };
    // Earlier day high; most recent day 145/85 then 132/92: lowest 132 and lowest 85 → controlled.
    let p = htn(&mut b, "lowest");
    b.bp(p, 150.0, 95.0, "2025-03-01T09:00");
    b.bp(p, 145.0, 85.0, "2025-10-01T09:00");
    b.bp(p, 132.0, 92.0, "2025-10-01T10:00");
    // Most recent reading wins: controlled in March, 152/94 in May.
    let p = htn(&mut b, "recent_high");
    b.bp(p, 128.0, 78.0, "2025-03-10T09:00");
    b.bp(p, 152.0, 94.0, "2025-05-10T09:00");
    // A later ED reading is ignored: office reading 130/80 represents the patient.
    let p = htn(&mut b, "ed_ignored");
    b.bp(p, 130.0, 80.0, "2025-04-01T09:00");
    let ed = b.enc(
        p,
        Setting::Emergency,
        "H1",
        None,
        "2025-09-09T20:00",
        Some("2025-09-09T23:00"),
        Disposition::Home,
    );
    b.obs(p, "8480-6", 170.0, "2025-09-09T21:00", Some(ed));
    b.obs(p, "8462-4", 100.0, "2025-09-09T21:00", Some(ed));
    // 140/90 exactly is not controlled (strictly below).
    let p = htn(&mut b, "boundary");
    b.bp(p, 139.0, 90.0, "2025-07-07T09:00");
    // No reading: not controlled.
    htn(&mut b, "no_bp");
    // Hypertension as ICD-10-CM I10 condition, age 86: out of 18-85.
    let p = b.patient("old", "1939-06-01", Sex::Male);
    b.cond(p, CodeSystem::Icd10Cm, "I10", "2000-01-01");
    b.visit(p, "drA", "2025-02-01");
    // CMS165: hypertension must begin before July 1 of the period (first six months).
    let p = b.patient("onset_june", "1960-01-01", Sex::Female);
    b.cond(p, CodeSystem::Snomed, "59621000", "2025-06-30");
    b.visit(p, "drA", "2025-08-01");
    let p = b.patient("onset_july", "1960-01-01", Sex::Female);
    b.cond(p, CodeSystem::Snomed, "59621000", "2025-07-01");
    b.visit(p, "drA", "2025-08-01");
    // Pregnant in the period: excluded.
    let p = htn(&mut b, "pregnant");
    b.cond(p, CodeSystem::Snomed, "72892002", "2025-03-01");

    let set = MeasureSet::embedded();
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    // Denominator: lowest, recent_high, ed_ignored, boundary, no_bp, onset_june = 6;
    // controlled: lowest, ed_ignored.
    assert_eq!(network(&table, "bp_controlled"), (6, 2));
    let ex = b
        .net
        .explain_measure(&set, "onset_july", "bp_controlled", period())
        .unwrap();
    assert!(ex.population.iter().any(|s| s
        == "not eligible: no hypertension diagnosis active in or before the period and begun \
            before 2025-07-01"));
    assert_eq!(
        gap_of(&b.net, &set, "recent_high", "bp_controlled").as_deref(),
        Some("last BP 152/94 on 2025-05-10")
    );
    assert_eq!(
        gap_of(&b.net, &set, "boundary", "bp_controlled").as_deref(),
        Some("last BP 139/90 on 2025-07-07")
    );
    assert_eq!(
        gap_of(&b.net, &set, "no_bp", "bp_controlled").as_deref(),
        Some("no BP reading since 2025-01-01")
    );
    let ex = b
        .net
        .explain_measure(&set, "lowest", "bp_controlled", period())
        .unwrap();
    assert!(ex.in_numerator);
    assert!(ex.numerator_evidence[0].contains("lowest systolic 132, lowest diastolic 85"));
    let ex = b
        .net
        .explain_measure(&set, "pregnant", "bp_controlled", period())
        .unwrap();
    assert!(ex.exclusions[0].starts_with("pregnancy: condition SNOMED 72892002"));
}

#[test]
fn breast_screening_lookback_boundaries_and_mastectomy() {
    let mut b = B::new();
    let woman = |b: &mut B, id: &str, birth: &str| {
        let p = b.patient(id, birth, Sex::Female);
        b.visit(p, "drB", "2025-05-05");
        p
    };
    // 27 months to 2025-12-31 start on 2023-10-01.
    let p = woman(&mut b, "on_boundary", "1960-01-01");
    b.proc(p, CodeSystem::CptHcpcs, "77067", "2023-10-01");
    let p = woman(&mut b, "day_before", "1960-01-01");
    b.proc(p, CodeSystem::CptHcpcs, "77067", "2023-09-30");
    let p = woman(&mut b, "synthea_snomed", "1960-01-01");
    b.proc(p, CodeSystem::Snomed, "71651007", "2025-03-03");
    // Age 51 on 2025-12-31 (born 1974-01-01): outside 52-74.
    let p = woman(&mut b, "age51", "1974-01-01");
    b.proc(p, CodeSystem::CptHcpcs, "77067", "2025-03-03");
    // Age 52 exactly (born 1973-12-31): in, no mammogram.
    woman(&mut b, "age52", "1973-12-31");
    // A man of 60: not in the population.
    let p = b.patient("man", "1965-01-01", Sex::Male);
    b.visit(p, "drB", "2025-05-05");
    // Bilateral mastectomy history (ICD-10-CM Z90.13): excluded.
    let p = woman(&mut b, "bilateral", "1960-01-01");
    b.cond(p, CodeSystem::Icd10Cm, "Z90.13", "2019-01-01");
    // Left and right unilateral: excluded; left only: stays in.
    let p = woman(&mut b, "left_right", "1960-01-01");
    b.cond(p, CodeSystem::Icd10Cm, "Z90.12", "2019-01-01");
    b.cond(p, CodeSystem::Icd10Cm, "Z90.11", "2021-01-01");
    let p = woman(&mut b, "left_only", "1960-01-01");
    b.cond(p, CodeSystem::Icd10Cm, "Z90.12", "2019-01-01");

    let set = MeasureSet::embedded();
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    // Denominator: on_boundary, day_before, synthea_snomed, age52, left_only = 5; screened: 2.
    assert_eq!(network(&table, "breast_cancer_screening"), (5, 2));
    assert_eq!(
        gap_of(&b.net, &set, "day_before", "breast_cancer_screening").as_deref(),
        Some("no mammogram in the 27 months to 2025-12-31")
    );
    assert_eq!(
        gap_of(&b.net, &set, "on_boundary", "breast_cancer_screening"),
        None
    );
    let ex = b
        .net
        .explain_measure(&set, "left_right", "breast_cancer_screening", period())
        .unwrap();
    assert!(ex.exclusions[0].starts_with("left_and_right_mastectomy:"));
}

#[test]
fn colorectal_screening_options_and_exclusions() {
    let mut b = B::new();
    let adult = |b: &mut B, id: &str| {
        let p = b.patient(id, "1965-06-06", Sex::Male);
        b.visit(p, "drC", "2025-05-05");
        p
    };
    // Colonoscopy: 120 months to 2025-12-31 start 2016-01-01.
    let p = adult(&mut b, "colo_in");
    b.proc(p, CodeSystem::Snomed, "73761001", "2016-01-01");
    let p = adult(&mut b, "colo_out");
    b.proc(p, CodeSystem::Snomed, "73761001", "2015-12-31");
    // FIT: 12 months, 2025-01-01 in, 2024-12-31 out.
    let p = adult(&mut b, "fit_in");
    b.obs(p, "29771-3", 0.0, "2025-01-01T08:00", None);
    let p = adult(&mut b, "fit_out");
    b.obs(p, "29771-3", 0.0, "2024-12-31T08:00", None);
    // FIT-DNA 3 years (2023-01-01 on), CT colonography 5 years (2021-01-01 on).
    let p = adult(&mut b, "fitdna_in");
    b.proc(p, CodeSystem::CptHcpcs, "81528", "2023-01-01");
    let p = adult(&mut b, "ctc_out");
    b.proc(p, CodeSystem::CptHcpcs, "74263", "2020-12-31");
    // Total colectomy and colorectal cancer: excluded.
    let p = adult(&mut b, "colectomy");
    b.proc(p, CodeSystem::CptHcpcs, "44150", "2012-02-02");
    let p = adult(&mut b, "crc");
    b.cond(p, CodeSystem::Snomed, "363406005", "2022-02-02");
    // Age 44 on 2025-12-31 and 76: out.
    let p = b.patient("age44", "1981-01-01", Sex::Male);
    b.visit(p, "drC", "2025-05-05");
    let p = b.patient("age76", "1949-12-31", Sex::Male);
    b.visit(p, "drC", "2025-05-05");
    // Age 45 (born 1980-12-31) and 75 (born 1950-01-01): in, unscreened.
    let p = b.patient("age45", "1980-12-31", Sex::Male);
    b.visit(p, "drC", "2025-05-05");
    let p = b.patient("age75", "1950-01-01", Sex::Male);
    b.visit(p, "drC", "2025-05-05");

    let set = MeasureSet::embedded();
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    // Denominator: colo_in, colo_out, fit_in, fit_out, fitdna_in, ctc_out, age45, age75 = 8.
    // Screened: colo_in, fit_in, fitdna_in = 3.
    assert_eq!(network(&table, "colorectal_cancer_screening"), (8, 3));
    let reason = gap_of(&b.net, &set, "fit_out", "colorectal_cancer_screening").unwrap();
    assert_eq!(
        reason,
        "no colonoscopy in the 120 months, no FIT/FOBT in the 12 months, no FIT-DNA in the 36 \
         months, no CT colonography in the 60 months, no flexible sigmoidoscopy in the 60 months \
         to 2025-12-31"
    );
}

#[test]
fn attribution_plurality_recency_panel_and_step2() {
    let mut b = B::new();
    // Plurality: 2 visits with drA, 1 with drB.
    let p1 = b.patient("plural", "1970-01-01", Sex::Male);
    b.visit(p1, "drA", "2025-01-10");
    b.visit(p1, "drA", "2025-03-10");
    b.visit(p1, "drB", "2025-06-10");
    // Tie 1-1: drB seen more recently wins.
    let p2 = b.patient("tie", "1970-01-01", Sex::Male);
    b.visit(p2, "drA", "2025-01-10");
    b.visit(p2, "drB", "2025-02-10");
    // Panel with drC active at the period end overrides 2 visits with drA.
    let p3 = b.patient("panel", "1970-01-01", Sex::Male);
    b.visit(p3, "drA", "2025-01-10");
    b.visit(p3, "drA", "2025-02-10");
    b.panel(p3, "drC", "2024-01-01", None);
    // An expired panel entry (ended before the period end) does not override.
    let p4 = b.patient("old_panel", "1970-01-01", Sex::Male);
    b.visit(p4, "drA", "2025-01-10");
    b.panel(p4, "drC", "2020-01-01", Some("2025-06-30"));
    // Step 2: only specialist and care-manager visits; the specialist is attributed.
    let p5 = b.patient("step2", "1970-01-01", Sex::Male);
    b.visit(p5, "specS", "2025-01-10");
    b.visit(p5, "cmX", "2025-02-10");
    b.visit(p5, "cmX", "2025-03-10");
    // A PCP visit outside the 24-month look-back (2024-01-01..2025-12-31) does not count.
    let p6 = b.patient("too_old", "1970-01-01", Sex::Male);
    b.visit(p6, "drA", "2023-12-31");
    // An ED visit with a PCP is not a primary-care visit.
    let p7 = b.patient("ed_only", "1970-01-01", Sex::Male);
    b.enc(
        p7,
        Setting::Emergency,
        "H1",
        Some("drA"),
        "2025-01-01",
        Some("2025-01-01"),
        Disposition::Home,
    );

    let opts = AttributionOptions {
        period_end: Some(t("2025-12-31")),
        ..Default::default()
    };
    let att = b.net.attribution(&opts);
    assert_eq!(att.window.0.date_string(), "2024-01-01");
    let get = |p| *att.get(&b.net, p).unwrap();
    let pr = |k: &str| b.net.practitioner_by_key(k);
    let org = |k: &str| b.net.organization_by_key(k);
    let a = get(p1);
    assert_eq!(
        (a.practitioner, a.method, a.visits),
        (pr("drA"), AttributionMethod::Step1, 2)
    );
    assert_eq!(a.org, org("P1"));
    let a = get(p2);
    assert_eq!((a.practitioner, a.org), (pr("drB"), org("P2")));
    let a = get(p3);
    assert_eq!(
        (a.practitioner, a.method, a.org),
        (pr("drC"), AttributionMethod::Panel, org("P1"))
    );
    let a = get(p4);
    assert_eq!(
        (a.practitioner, a.method),
        (pr("drA"), AttributionMethod::Step1)
    );
    let a = get(p5);
    assert_eq!(
        (a.practitioner, a.method, a.visits),
        (pr("specS"), AttributionMethod::Step2, 1)
    );
    assert_eq!(get(p6).method, AttributionMethod::Unattributed);
    assert_eq!(get(p7).method, AttributionMethod::Unattributed);
    // Without the panel rule, p3 goes to drA by plurality.
    let no_panel = b.net.attribution(&AttributionOptions {
        use_panel: false,
        ..opts
    });
    assert_eq!(no_panel.get(&b.net, p3).unwrap().practitioner, pr("drA"));
    // A 36-month look-back reaches p6's 2023 visit.
    let long = b.net.attribution(&AttributionOptions {
        lookback_months: 36,
        ..opts
    });
    assert_eq!(long.get(&b.net, p6).unwrap().practitioner, pr("drA"));

    let table = b.net.attribution_table(&opts);
    assert_eq!(
        table.column_names(),
        [
            "patient_id",
            "practitioner_id",
            "org_id",
            "method",
            "visits"
        ]
    );
    assert_eq!(table.len(), 7);
    let Some(Column::Str(method)) = table.column("method") else {
        panic!()
    };
    assert_eq!(
        method
            .iter()
            .map(|m| m.as_deref().unwrap())
            .collect::<Vec<_>>(),
        [
            "step1",
            "step1",
            "panel",
            "step1",
            "step2",
            "unattributed",
            "unattributed"
        ]
    );
}

#[test]
fn per_level_aggregation_ranks_and_percentiles() {
    let mut b = B::new();
    let htn = |b: &mut B, id: &str, pract: &str, sys: f64| {
        let p = b.patient(id, "1960-01-01", Sex::Male);
        b.cond(p, CodeSystem::Snomed, "59621000", "2018-01-01");
        b.visit(p, pract, "2025-02-01");
        b.bp(p, sys, 80.0, "2025-06-01T09:00");
        p
    };
    // drA (P1): 2 of 2 controlled; drC (P1): 1 of 2; drB (P2): 0 of 1.
    htn(&mut b, "a1", "drA", 120.0);
    htn(&mut b, "a2", "drA", 125.0);
    htn(&mut b, "c1", "drC", 120.0);
    htn(&mut b, "c2", "drC", 150.0);
    let p = htn(&mut b, "b1", "drB", 150.0);
    // b1 also went to the hospital H1 in the period: H1 sees one patient.
    b.enc(
        p,
        Setting::Emergency,
        "H1",
        None,
        "2025-03-03",
        Some("2025-03-03"),
        Disposition::Home,
    );
    let set = MeasureSet::embedded();
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    assert_eq!(
        &table.column_names()[..6],
        [
            "measure_id",
            "level",
            "entity_id",
            "denominator",
            "numerator",
            "rate"
        ]
    );
    let m = "bp_controlled";
    assert_eq!(
        row(&table, m, "network", "network"),
        Some((5, 3, Some(0.6), None, Some(1)))
    );
    // Practitioners: drA 1.0 (best of 3: percentile 100), drC 0.5 (50), drB 0.0 (0).
    assert_eq!(
        row(&table, m, "practitioner", "drA"),
        Some((2, 2, Some(1.0), Some(100.0), Some(1)))
    );
    assert_eq!(
        row(&table, m, "practitioner", "drC"),
        Some((2, 1, Some(0.5), Some(50.0), Some(2)))
    );
    assert_eq!(
        row(&table, m, "practitioner", "drB"),
        Some((1, 0, Some(0.0), Some(0.0), Some(3)))
    );
    // Practices: P1 3 of 4, P2 0 of 1.
    assert_eq!(
        row(&table, m, "practice", "P1"),
        Some((4, 3, Some(0.75), Some(100.0), Some(1)))
    );
    assert_eq!(
        row(&table, m, "practice", "P2"),
        Some((1, 0, Some(0.0), Some(0.0), Some(2)))
    );
    // Organisations: every organisation that saw the patient in the period.
    assert_eq!(
        row(&table, m, "organization", "H1").map(|r| (r.0, r.1)),
        Some((1, 0))
    );
    assert_eq!(
        row(&table, m, "organization", "P1").map(|r| (r.0, r.1)),
        Some((4, 3))
    );
    // ED visits per 1,000 attributed patients: 1 visit, 5 attributed → 200.
    assert_eq!(
        row(&table, "ed_visits_per_1000", "network", "network").map(|r| (r.0, r.1, r.2)),
        Some((5, 1, Some(200.0)))
    );
    // drB's one patient had the ED visit: 1000 per 1000, the worst (inverse) of three.
    assert_eq!(
        row(&table, "ed_visits_per_1000", "practitioner", "drB"),
        Some((1, 1, Some(1000.0), Some(0.0), Some(3)))
    );
    assert_eq!(
        row(&table, "ed_visits_per_1000", "practitioner", "drA").map(|r| (r.3, r.4)),
        Some((Some(75.0), Some(1)))
    );

    // Summary for the report.
    let summary = b.net.measures_summary(&set, period(), &[]);
    let bp = summary.iter().find(|r| r.id == m).unwrap();
    assert_eq!((bp.denominator, bp.numerator, bp.rate), (5, 3, Some(0.6)));
    let json = serde_json::to_string(bp).unwrap();
    assert_eq!(
        json,
        r#"{"id":"bp_controlled","denominator":5,"numerator":3,"rate":0.6}"#
    );
}

#[test]
fn peer_rank_ties_share_the_best_rank() {
    // Rates 0.9, 0.5, 0.5, 0.1 (higher better): ranks 1, 2, 2, 4.
    let r = peer_ranks(&[0.9, 0.5, 0.5, 0.1], false);
    assert_eq!(
        r,
        vec![
            (1, Some(100.0)),
            (2, Some(100.0 * 1.5 / 3.0)),
            (2, Some(100.0 * 1.5 / 3.0)),
            (4, Some(0.0))
        ]
    );
    // Inverse: lower is better.
    assert_eq!(
        peer_ranks(&[0.2, 0.1], true),
        vec![(2, Some(0.0)), (1, Some(100.0))]
    );
    assert_eq!(peer_ranks(&[0.3], false), vec![(1, None)]);
}

#[test]
fn external_flags_are_aggregated_like_the_others() {
    let mut b = B::new();
    let p1 = b.patient("x1", "1970-01-01", Sex::Male);
    b.visit(p1, "drA", "2025-02-02");
    let p2 = b.patient("x2", "1970-01-01", Sex::Male);
    b.visit(p2, "drA", "2025-02-02");
    let p3 = b.patient("x3", "1970-01-01", Sex::Male);
    b.visit(p3, "drB", "2025-02-02");
    let set = MeasureSet::embedded();
    let input = ExternalMeasureInput {
        measure_id: "duplicate_test_rate".into(),
        // p3: numerator flag without denominator flag is ignored.
        per_patient: vec![(p1, true, true), (p2, true, false), (p3, false, true)],
    };
    let table = b
        .net
        .measures_table(&set, period(), std::slice::from_ref(&input))
        .unwrap();
    assert_eq!(network(&table, "duplicate_test_rate"), (2, 1));
    assert_eq!(
        row(&table, "duplicate_test_rate", "practitioner", "drA").map(|r| (r.0, r.1)),
        Some((2, 1))
    );
    assert_eq!(
        row(&table, "duplicate_test_rate", "practitioner", "drB"),
        None
    );
    // Not supplied: empty denominator and no rate.
    assert_eq!(
        row(&table, "ddi_exposure_rate", "network", "network"),
        Some((0, 0, None, None, None))
    );
    // Flags for a non-external or unknown measure are refused.
    for id in ["bp_controlled", "no_such_measure"] {
        let bad = ExternalMeasureInput {
            measure_id: id.into(),
            per_patient: vec![],
        };
        assert!(matches!(
            b.net.measures_table(&set, period(), &[bad]),
            Err(CinError::InvalidInput(_))
        ));
    }
}

#[test]
fn readmission_and_followup_in_the_period() {
    let mut b = B::new();
    let p = b.patient("stay", "1950-01-01", Sex::Female);
    b.visit(p, "drB", "2025-01-05");
    // Discharged 2025-03-05, readmitted 2025-03-20 (15 days), then discharged 2025-03-25
    // and seen in the office 2025-03-29 (4 days later).
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        None,
        "2025-03-01",
        Some("2025-03-05"),
        Disposition::Home,
    );
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        None,
        "2025-03-20",
        Some("2025-03-25"),
        Disposition::Home,
    );
    b.visit(p, "drB", "2025-03-29");
    // A stay discharged in 2024 is outside the period.
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        None,
        "2024-05-01",
        Some("2024-05-03"),
        Disposition::Home,
    );
    // Data runs to the end of 2025 so the windows are complete.
    b.visit(p, "drB", "2025-12-31");
    let set = MeasureSet::embedded();
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    // Index stays in 2025: both (the second's window closes 2025-04-24). Readmissions: the first.
    assert_eq!(network(&table, "readmission_30d"), (2, 1));
    assert_eq!(
        row(&table, "readmission_30d", "organization", "H1").map(|r| (r.0, r.1)),
        Some((2, 1))
    );
    assert_eq!(
        row(&table, "readmission_30d", "practitioner", "drB").map(|r| (r.0, r.1)),
        Some((2, 1))
    );
    // Follow-up: the first discharge had no office visit in 7 days (the readmission is not one;
    // the visit on 2025-03-29 is day 24, inside 30 days); the second was seen on day 4.
    assert_eq!(network(&table, "followup_7d"), (2, 1));
    assert_eq!(network(&table, "followup_30d"), (2, 2));
    assert_eq!(
        gap_of(&b.net, &set, "stay", "followup_7d").as_deref(),
        Some("no follow-up visit within 7 days of the discharge on 2025-03-05")
    );
    let ex = b
        .net
        .explain_measure(&set, "stay", "readmission_30d", period())
        .unwrap();
    assert!(ex.in_denominator && ex.in_numerator);
    assert_eq!(ex.population.len(), 2);
}

#[test]
fn default_period_is_the_last_full_calendar_year() {
    let mut b = B::new();
    let p = b.patient("a", "1970-01-01", Sex::Male);
    b.visit(p, "drA", "2026-03-03");
    let per = b.net.measurement_period(None).unwrap();
    assert_eq!(
        (per.start().date_string(), per.end().date_string()),
        ("2025-01-01".to_string(), "2025-12-31".to_string())
    );
    b.visit(p, "drA", "2026-12-31T10:00");
    let per = b.net.measurement_period(None).unwrap();
    assert_eq!(per.end().date_string(), "2026-12-31");
    assert!(
        b.net
            .measurement_period(Some((t("2025-02-01"), t("2025-01-01"))))
            .is_err()
    );
}

fn kb_location(text: &str) -> Location {
    match MeasureSet::from_json(text.as_bytes(), "site.json") {
        Err(CinError::KnowledgeBase { location, .. }) => location,
        other => panic!("expected a knowledge-base error, got {other:?}"),
    }
}

const GOOD: &str = r#"{
  "format": "cin_core.measures/1",
  "code_sets": {
    "a1c": {"codes": [{"system": "LOINC", "codes": ["4548-4"]}]},
    "dm": {"codes": [{"system": "ICD-10-CM", "prefixes": ["E11"]}]}
  },
  "measures": [
    {
      "id": "a1c_over_10",
      "title": "HbA1c above 10",
      "source": "site governance 2026-01",
      "inverse": true,
      "population": {"age_min": 18, "conditions": ["dm"]},
      "numerator": {"type": "lab", "code_set": "a1c", "comparison": "gt", "threshold": 10.0,
                    "label": "HbA1c", "missing_counts_as_numerator": true}
    }
  ]
}"#;

#[test]
fn a_governance_file_adds_a_measure_without_code() {
    let set = MeasureSet::from_json(GOOD.as_bytes(), "site.json").unwrap();
    let mut b = B::new();
    let p = b.patient("d", "1970-01-01", Sex::Male);
    b.cond(p, CodeSystem::Icd10Cm, "E11.9", "2020-01-01");
    b.obs(p, "4548-4", 10.5, "2025-05-05T09:00", None);
    let q = b.patient("e", "1970-01-01", Sex::Male);
    b.cond(q, CodeSystem::Icd10Cm, "E11.9", "2020-01-01");
    b.obs(q, "4548-4", 9.5, "2025-05-05T09:00", None);
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    assert_eq!(network(&table, "a1c_over_10"), (2, 1));
}

#[test]
fn malformed_measure_files_are_rejected_whole_with_a_location() {
    // Broken JSON: the line of the error.
    let loc = kb_location("{\n \"format\": \"cin_core.measures/1\",\n \"code_sets\": {,\n}");
    assert_eq!((loc.source.as_str(), loc.line), ("site.json", Some(3)));
    // A missing required field is named.
    let loc = kb_location(&GOOD.replace("\"title\": \"HbA1c above 10\",", ""));
    assert_eq!(loc.field.as_deref(), Some("title"));
    // A misspelt field is refused rather than ignored.
    let loc = kb_location(&GOOD.replace("\"inverse\"", "\"invers\""));
    assert_eq!(loc.field.as_deref(), Some("invers"));
    // A reference to an unknown code set: the measure's line and the field path.
    let text = GOOD.replace("\"code_set\": \"a1c\"", "\"code_set\": \"hba1c\"");
    let loc = kb_location(&text);
    assert_eq!(loc.field.as_deref(), Some("measures[0].numerator.code_set"));
    assert_eq!(loc.line, Some(9));
    // Unknown code system, reversed ages, duplicate ids, wrong format, unknown numerator type.
    let loc = kb_location(&GOOD.replace("\"LOINC\"", "\"LOINK\""));
    assert_eq!(loc.field.as_deref(), Some("code_sets.a1c.codes[0].system"));
    let loc = kb_location(&GOOD.replace("\"age_min\": 18", "\"age_min\": 90, \"age_max\": 18"));
    assert_eq!(loc.field.as_deref(), Some("measures[0].population.age_min"));
    let dup = GOOD.replace(
        "  ]\n}",
        ",{\"id\": \"a1c_over_10\", \"title\": \"x\", \"source\": \"x\", \"numerator\": {\"type\": \"external\"}}\n  ]\n}",
    );
    let loc = kb_location(&dup);
    assert_eq!(loc.field.as_deref(), Some("measures[1].id"));
    let loc = kb_location(&GOOD.replace("cin_core.measures/1", "v0"));
    assert_eq!((loc.field.as_deref(), loc.line), (Some("format"), Some(2)));
    let loc = kb_location(&GOOD.replace("\"type\": \"lab\"", "\"type\": \"labs\""));
    assert_eq!(loc.line, Some(14));
    assert!(MeasureSet::from_json(b"\xff\xfe", "bin.json").is_err());
}

/// Loads the shared Synthea CSV sample with a minimal reader (the project's loader lives
/// elsewhere): patients, organisations, providers (GENERAL PRACTICE = PCP), encounters,
/// conditions (SNOMED), observations (LOINC) and procedures (SNOMED).
fn load_synthea(dir: &std::path::Path) -> Network {
    let mut net = Network::new();
    let feed = net.add_feed(FeedKind::SyntheaCsv, "synthea_csv");
    let prov = Provenance { org: None, feed };
    let rows = |name: &str| -> Vec<std::collections::HashMap<String, String>> {
        let mut r = csv::Reader::from_path(dir.join(name)).unwrap();
        let headers = r.headers().unwrap().clone();
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    };
    let ts = |s: &str| Timestamp::parse_iso(s);
    for r in rows("organizations.csv") {
        let id = net.intern(&r["Id"]);
        net.upsert_organization(
            &r["Id"],
            Organization {
                id,
                name: None,
                kind: OrgKind::Other,
                identifiers: vec![],
                provenance: prov,
            },
        );
    }
    for r in rows("providers.csv") {
        let id = net.intern(&r["Id"]);
        let org = net.organization_by_key(&r["ORGANIZATION"]);
        let role = if r["SPECIALITY"] == "GENERAL PRACTICE" {
            PractitionerRole::Pcp
        } else {
            PractitionerRole::Specialist
        };
        net.upsert_practitioner(
            &r["Id"],
            Practitioner {
                id,
                role,
                specialty: None,
                org,
                identifiers: vec![],
                provenance: prov,
            },
        );
    }
    for r in rows("patients.csv") {
        net.upsert_patient(
            &PatientInput {
                id: &r["Id"],
                birth_date: ts(&r["BIRTHDATE"]),
                sex: Sex::parse(&r["GENDER"]),
                death_date: ts(&r["DEATHDATE"]),
                ..Default::default()
            },
            prov,
        );
    }
    for r in rows("encounters.csv") {
        let p = net.patient_by_id(&r["PATIENT"]).unwrap();
        let setting = match r["ENCOUNTERCLASS"].as_str() {
            "wellness" => Setting::Wellness,
            "ambulatory" | "outpatient" | "urgentcare" => Setting::Ambulatory,
            "emergency" => Setting::Emergency,
            "inpatient" => Setting::Inpatient,
            "snf" => Setting::Snf,
            "hospice" => Setting::Hospice,
            "home" => Setting::HomeHealth,
            "virtual" => Setting::Virtual,
            _ => Setting::Other,
        };
        let id = net.intern(&r["Id"]);
        let org = net.organization_by_key(&r["ORGANIZATION"]);
        let practitioner = net.practitioner_by_key(&r["PROVIDER"]);
        let type_code = net.code(CodeSystem::Snomed, &r["CODE"]);
        net.upsert_encounter(
            &r["Id"],
            Encounter {
                id,
                patient: p,
                setting,
                start: ts(&r["START"]).unwrap(),
                end: ts(&r["STOP"]),
                org,
                practitioner,
                admission_type: AdmissionType::Unknown,
                disposition: Disposition::Unknown,
                type_code,
                provenance: prov,
            },
        );
    }
    for r in rows("conditions.csv") {
        let p = net.patient_by_id(&r["PATIENT"]).unwrap();
        let code = net.code(CodeSystem::Snomed, &r["CODE"]).unwrap();
        net.add_condition(Condition {
            patient: p,
            encounter: net.encounter_by_key(&r["ENCOUNTER"]),
            code,
            display: None,
            onset: ts(&r["START"]),
            abatement: ts(&r["STOP"]),
            category: ConditionCategory::EncounterDiagnosis,
            provenance: prov,
        });
    }
    for r in rows("observations.csv") {
        let p = net.patient_by_id(&r["PATIENT"]).unwrap();
        let code = net.code(CodeSystem::Loinc, &r["CODE"]).unwrap();
        let value = match r["VALUE"].parse::<f64>() {
            Ok(v) if r["TYPE"] == "numeric" => ObsValue::Number(v),
            _ => ObsValue::None,
        };
        net.add_observation(Observation {
            patient: p,
            encounter: net.encounter_by_key(&r["ENCOUNTER"]),
            code,
            value,
            unit: None,
            time: ts(&r["DATE"]),
            performer: None,
            provenance: prov,
        });
    }
    for r in rows("procedures.csv") {
        let p = net.patient_by_id(&r["PATIENT"]).unwrap();
        let code = net.code(CodeSystem::Snomed, &r["CODE"]).unwrap();
        net.add_procedure(Procedure {
            patient: p,
            encounter: net.encounter_by_key(&r["ENCOUNTER"]),
            code,
            display: None,
            time: ts(&r["START"]),
            kind: ProcedureKind::Performed,
            practitioner: None,
            org: None,
            provenance: prov,
        });
    }
    net
}

#[test]
fn synthea_sample_measures_match_an_independent_count() {
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/synthea_csv"
    ));
    if !dir.is_dir() {
        eprintln!("skipping: {} is missing", dir.display());
        return;
    }
    let net = load_synthea(dir);
    let set = MeasureSet::embedded();
    // Data ends 2024-04-12, so the default period is 2023. Expected numbers were counted with a
    // short python3 script over the CSV files (csv module) applying the documented rules:
    // diabetes SNOMED 44054006 active in 2023, age 18-75 on 2023-12-31, an office-class encounter
    // in 2023, alive, no hospice: one patient (4237be97, born 1973-12-30), whose latest 2023
    // HbA1c (LOINC 4548-4) is 8.7 % on 2023-02-06: not above 9, not below 8. No woman is 52-74
    // (the oldest is 50). Two patients are 45-75 with a 2023 visit (4237be97 and 49abcfcc), and
    // neither has a colonoscopy (SNOMED 73761001) in 2014-2023. Nobody has hypertension.
    let table = net.measures_table(&set, None, &[]).unwrap();
    assert_eq!(network(&table, "hba1c_poor_control"), (1, 0));
    assert_eq!(network(&table, "hba1c_under_8"), (1, 0));
    assert_eq!(network(&table, "breast_cancer_screening"), (0, 0));
    assert_eq!(network(&table, "colorectal_cancer_screening"), (2, 0));
    assert_eq!(network(&table, "bp_controlled"), (0, 0));
    let ex = net
        .explain_measure(
            &set,
            "4237be97-a13d-18b8-6e01-df3ee076675f",
            "hba1c_under_8",
            None,
        )
        .unwrap();
    assert_eq!(
        (ex.period_start.as_str(), ex.period_end.as_str()),
        ("2023-01-01", "2023-12-31")
    );
    assert!(ex.in_denominator && !ex.in_numerator);
    assert_eq!(ex.gap.as_deref(), Some("last HbA1c 8.7 % on 2023-02-06"));
    // Attribution (same script): every one of the 11 patients had an office-class encounter with
    // a GENERAL PRACTICE provider in 2022-2023, so all are step 1. Ten are alive at the end of
    // 2023 and they had one ED encounter in 2023: 1 per 10 patients = 100 per 1,000.
    let att = net.attribution_table(&AttributionOptions {
        period_end: Some(t("2023-12-31")),
        ..Default::default()
    });
    let Some(Column::Str(method)) = att.column("method") else {
        panic!()
    };
    assert_eq!(method.len(), 11);
    assert!(method.iter().all(|m| m.as_deref() == Some("step1")));
    assert_eq!(
        row(&table, "ed_visits_per_1000", "network", "network").map(|r| (r.0, r.1, r.2)),
        Some((10, 1, Some(100.0)))
    );
}

#[test]
fn frailty_with_advanced_illness_excludes_from_66_and_palliative_care_at_any_age() {
    let mut b = B::new();
    let frail = |b: &mut B, id: &str, birth: &str| {
        let p = b.diabetic(id, birth, "drA");
        // Frailty (R54) in the period and heart failure (I50.9) in the year before it.
        let e = b.visit(p, "drA", "2025-04-04");
        let code = b.net.code(CodeSystem::Icd10Cm, "R54").unwrap();
        b.net.add_diagnosis(Diagnosis {
            encounter: e,
            code,
            principal: true,
        });
        b.cond(p, CodeSystem::Icd10Cm, "I50.9", "2024-03-03");
        p
    };
    frail(&mut b, "frail70", "1955-01-01"); // 70: excluded
    frail(&mut b, "frail60", "1965-01-01"); // 60: the rule starts at 66, stays in
    // Frailty without advanced illness at 70: stays in.
    let p = b.diabetic("frail_only", "1955-01-01", "drA");
    let e = b.visit(p, "drA", "2025-04-04");
    let code = b.net.code(CodeSystem::Icd10Cm, "R54").unwrap();
    b.net.add_diagnosis(Diagnosis {
        encounter: e,
        code,
        principal: true,
    });
    // Palliative care encounter diagnosis (Z51.5) in the period at 50: excluded.
    let p = b.diabetic("palliative", "1975-01-01", "drA");
    let e = b.visit(p, "drA", "2025-05-05");
    let code = b.net.code(CodeSystem::Icd10Cm, "Z51.5").unwrap();
    b.net.add_diagnosis(Diagnosis {
        encounter: e,
        code,
        principal: false,
    });
    // Discharged from hospital to hospice in the period: excluded by the hospice disposition.
    let p = b.diabetic("to_hospice", "1975-01-01", "drA");
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        None,
        "2025-10-01",
        Some("2025-10-05"),
        Disposition::Hospice,
    );
    let set = MeasureSet::embedded();
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    let ex = b
        .net
        .explain_measure(&set, "to_hospice", "hba1c_poor_control", period())
        .unwrap();
    assert_eq!(
        ex.exclusions,
        ["hospice: discharged to hospice on 2025-10-05".to_string()]
    );
    // Denominator: frail60, frail_only; no HbA1c, so both are poor control.
    assert_eq!(network(&table, "hba1c_poor_control"), (2, 2));
    let ex = b
        .net
        .explain_measure(&set, "frail70", "hba1c_poor_control", period())
        .unwrap();
    assert_eq!(ex.exclusions.len(), 1);
    assert!(ex.exclusions[0].starts_with(
        "frailty_advanced_illness: encounter diagnosis ICD-10-CM R54 on 2025-04-04 and condition \
         ICD-10-CM I509 on 2024-03-03"
    ));
    let ex = b
        .net
        .explain_measure(&set, "palliative", "hba1c_poor_control", period())
        .unwrap();
    assert!(ex.exclusions[0].starts_with("palliative_care:"));
}

#[test]
fn large_populations_split_over_threads_give_exact_sums_and_ordered_gaps() {
    // 25,000 patients (above the 20,000 threshold for parallel evaluation): every patient has
    // hypertension and a visit; patient i has BP 150/80 when i % 4 == 0, else 120/80.
    let mut b = B::new();
    let n = 25_000;
    let code = b.net.code(CodeSystem::Snomed, "59621000").unwrap();
    for i in 0..n {
        let p = b.patient(&format!("q{i:05}"), "1960-01-01", Sex::Male);
        b.net.add_condition(Condition {
            patient: p,
            encounter: None,
            code,
            display: None,
            onset: Some(t("2019-01-01")),
            abatement: None,
            category: ConditionCategory::ProblemList,
            provenance: b.prov,
        });
        b.visit(p, if i % 2 == 0 { "drA" } else { "drB" }, "2025-02-01");
        let sys = if i % 4 == 0 { 150.0 } else { 120.0 };
        b.bp(p, sys, 80.0, "2025-06-01T09:00");
    }
    let set = MeasureSet::embedded();
    let table = b.net.measures_table(&set, period(), &[]).unwrap();
    // Uncontrolled: i % 4 == 0, 6,250 patients, all of them drA's (even i).
    assert_eq!(network(&table, "bp_controlled"), (25_000, 18_750));
    assert_eq!(
        row(&table, "bp_controlled", "practitioner", "drA").map(|r| (r.0, r.1)),
        Some((12_500, 6_250))
    );
    assert_eq!(
        row(&table, "bp_controlled", "practitioner", "drB").map(|r| (r.0, r.1)),
        Some((12_500, 12_500))
    );
    let bp_gaps: Vec<String> = gaps(&b.net, &set)
        .into_iter()
        .filter(|g| g.1 == "bp_controlled")
        .map(|g| g.0)
        .collect();
    assert_eq!(bp_gaps.len(), 6_250);
    let expected: Vec<String> = (0..n).step_by(4).map(|i| format!("q{i:05}")).collect();
    assert_eq!(bp_gaps, expected);
}
