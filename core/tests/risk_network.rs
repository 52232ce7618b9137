//! Network-level risk on a hand-built timeline whose answers were worked out by hand from the
//! published point tables (LACE: van Walraven 2010; HOSPITAL: Donzé 2013) and the bundled
//! CMS-HCC V28 coefficients (read here from the data file, independently of the model code).

use cin_core::risk::{ReadmissionScorePolicy, RiskPolicy, uncontrolled_asthma_registry};
use cin_core::*;

struct B {
    net: Network,
    prov: Provenance,
    n: usize,
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_iso(s).unwrap()
}

impl B {
    fn new() -> Self {
        let mut net = Network::new();
        let feed = net.add_feed(FeedKind::Api, "test");
        B {
            net,
            prov: Provenance { org: None, feed },
            n: 0,
        }
    }
    fn patient(&mut self, id: &str, birth: Option<&str>, sex: Sex) -> PatientIdx {
        self.net.upsert_patient(
            &PatientInput {
                id,
                birth_date: birth.map(t),
                sex,
                ..Default::default()
            },
            self.prov,
        )
    }
    fn enc(
        &mut self,
        p: PatientIdx,
        setting: Setting,
        start: &str,
        end: &str,
        adm: AdmissionType,
    ) -> EncIdx {
        self.n += 1;
        let key = format!("e{}", self.n);
        let id = self.net.intern(&key);
        self.net.upsert_encounter(
            &key,
            Encounter {
                id,
                patient: p,
                setting,
                start: t(start),
                end: Some(t(end)),
                org: None,
                practitioner: None,
                admission_type: adm,
                disposition: Disposition::Home,
                type_code: None,
                provenance: self.prov,
            },
        )
    }
    fn condition(
        &mut self,
        p: PatientIdx,
        system: CodeSystem,
        code: &str,
        onset: &str,
        cat: ConditionCategory,
    ) {
        let code = self.net.code(system, code).unwrap();
        self.net.add_condition(Condition {
            patient: p,
            encounter: None,
            code,
            display: None,
            onset: Some(t(onset)),
            abatement: None,
            category: cat,
            provenance: self.prov,
        });
    }
    fn obs(&mut self, p: PatientIdx, e: EncIdx, loinc: &str, v: f64, at: &str) {
        let code = self.net.code(CodeSystem::Loinc, loinc).unwrap();
        self.net.add_observation(Observation {
            patient: p,
            encounter: Some(e),
            code,
            value: ObsValue::Number(v),
            unit: None,
            time: Some(t(at)),
            performer: None,
            provenance: self.prov,
        });
    }
}

fn coef(name: &str) -> f64 {
    include_str!("../data/risk/hcc_v28_coefficients.tsv")
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}\t")))
        .unwrap()
        .parse()
        .unwrap()
}

fn build() -> (Network, PatientIdx, PatientIdx) {
    let mut b = B::new();
    let a = b.patient("A", Some("1950-03-01"), Sex::Female);
    let pb = b.patient("B", None, Sex::Unknown);
    use ConditionCategory::*;
    // A: type 2 diabetes and CHF from Synthea SNOMED codes (crosswalk -> E11.9, I50.9) and a
    // social-history finding that must not count.
    b.condition(a, CodeSystem::Snomed, "44054006", "2020-01-01", ProblemList);
    b.condition(a, CodeSystem::Snomed, "88805009", "2021-01-01", ProblemList);
    b.condition(
        a,
        CodeSystem::Snomed,
        "160903007",
        "2021-01-01",
        SocialHistory,
    );
    // ED visits: one outside the 6-month window, two inside, one the day before admission (the
    // visit that led to it, excluded by LACE's E).
    b.enc(
        a,
        Setting::Emergency,
        "2023-06-01T10:00",
        "2023-06-01T14:00",
        AdmissionType::Unknown,
    );
    b.enc(
        a,
        Setting::Emergency,
        "2024-01-10T10:00",
        "2024-01-10T14:00",
        AdmissionType::Unknown,
    );
    b.enc(
        a,
        Setting::Emergency,
        "2024-03-01T10:00",
        "2024-03-01T14:00",
        AdmissionType::Unknown,
    );
    b.enc(
        a,
        Setting::Emergency,
        "2024-05-01T20:00",
        "2024-05-01T23:00",
        AdmissionType::Unknown,
    );
    // Two earlier stays within 12 months of the index admission.
    b.enc(
        a,
        Setting::Inpatient,
        "2023-08-01T10:00",
        "2023-08-03T10:00",
        AdmissionType::Elective,
    );
    b.enc(
        a,
        Setting::Inpatient,
        "2024-02-01T10:00",
        "2024-02-02T10:00",
        AdmissionType::Emergency,
    );
    // Index stay: emergency, 5 midnights.
    let s = b.enc(
        a,
        Setting::Inpatient,
        "2024-05-02T10:00",
        "2024-05-07T12:00",
        AdmissionType::Emergency,
    );
    b.obs(a, s, "718-7", 10.0, "2024-05-03T06:00");
    b.obs(a, s, "718-7", 12.5, "2024-05-07T06:00"); // last value: not low
    b.obs(a, s, "2951-2", 133.0, "2024-05-06T06:00");
    let code = b.net.code(CodeSystem::Snomed, "71651007").unwrap();
    b.net.add_procedure(Procedure {
        patient: a,
        encounter: Some(s),
        code,
        display: None,
        time: Some(t("2024-05-04T09:00")),
        kind: ProcedureKind::Performed,
        practitioner: None,
        org: None,
        provenance: b.prov,
    });
    // B: asthma (ICD-10-CM), no demographics, three primary-care visits in the last year.
    b.condition(
        pb,
        CodeSystem::Icd10Cm,
        "J45.909",
        "2019-01-01",
        EncounterDiagnosis,
    );
    b.enc(
        pb,
        Setting::Ambulatory,
        "2023-09-01T10:00",
        "2023-09-01T11:00",
        AdmissionType::Unknown,
    );
    b.enc(
        pb,
        Setting::Wellness,
        "2024-01-01T10:00",
        "2024-01-01T11:00",
        AdmissionType::Unknown,
    );
    b.enc(
        pb,
        Setting::Ambulatory,
        "2024-06-01T10:00",
        "2024-06-01T11:00",
        AdmissionType::Unknown,
    );
    (b.net, a, pb)
}

#[test]
fn lace_and_hospital_of_the_index_stay() {
    let (net, a, _) = build();
    assert_eq!(net.patient_icd10_codes(a, None), vec!["E119", "I509"]);
    let scores = net.stay_risk_scores(&ReadmissionScorePolicy::default());
    assert_eq!(scores.len(), 3);
    let last = &scores[2];
    // L: 5 days -> 4; A: emergency -> 3; C: Charlson 1987 diabetes 1 + CHF 1 = 2; E: 2 visits.
    assert_eq!(
        (
            last.lace.l,
            last.lace.a,
            last.lace.c,
            last.lace.e,
            last.lace.total
        ),
        (4, 3, 2, 2, 11)
    );
    // H 0 (last Hb 12.5), O 0, S 1 (133), P 1, IT 1, A 2 (two admissions in 12 months), L 2.
    let h = last.hospital;
    assert_eq!(
        (h.h, h.o, h.s, h.p, h.it, h.a, h.l, h.total),
        (0, 0, 1, 1, 1, 2, 2, 7)
    );
    // The elective first stay: LOS 2 -> 2, not acute, Charlson 2 (onsets before), no ED in the
    // 6 months before 2023-08-01 except 2023-06-01 -> E 1.
    assert_eq!(scores[0].lace.total, 5); // L 2 + A 0 + C 2 + E 1
    // Second stay (2024-02-01, emergency, 1 midnight): 1 + 3 + 2 + E 1 (2024-01-10) = 7.
    assert_eq!(scores[1].lace.total, 7);
    // Inclusive day counting adds a day: 6 days is still 4 points, HOSPITAL L unchanged.
    let inclusive = net.stay_risk_scores(&ReadmissionScorePolicy {
        los: cin_core::risk::LosConvention::InclusiveDays,
        ..Default::default()
    });
    assert_eq!(inclusive[2].lace.l, 4);
    assert_eq!(inclusive[1].lace.l, 2); // 1 midnight -> 2 counted days
    let table = net.readmission_risk_table();
    assert_eq!(table.len(), 3);
    assert_eq!(
        table.column("lace_band"),
        Some(&Column::Str(vec![
            Some("moderate".into()),
            Some("moderate".into()),
            Some("high".into())
        ]))
    );
}

#[test]
fn risk_table_columns_and_values() {
    let (net, _, _) = build();
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
    assert_eq!(
        t.column("patient_id"),
        Some(&Column::Str(vec![Some("A".into()), Some("B".into())]))
    );
    // Quan 2011: CHF 2 + diabetes 0 = 2; asthma (chronic pulmonary) 1.
    assert_eq!(
        t.column("charlson"),
        Some(&Column::Int(vec![Some(2), Some(1)]))
    );
    // van Walraven: CHF 7 (+ diabetes 0); chronic pulmonary disease 3.
    assert_eq!(
        t.column("elixhauser"),
        Some(&Column::Int(vec![Some(7), Some(3)]))
    );
    // A is 74 at the data end (2024-06-01): CNA female 70-74, HCC 38 (E11.9), HCC 226 (I50.9),
    // diabetes x heart failure, two payment HCCs.
    let want = coef("CNA_F70_74")
        + coef("CNA_HCC38")
        + coef("CNA_HCC226")
        + coef("CNA_DIABETES_HF")
        + coef("CNA_D2");
    match t.column("hcc_v28") {
        Some(Column::Float(v)) => {
            assert!((v[0].unwrap() - want).abs() < 1e-9, "{v:?} vs {want}");
            assert_eq!(v[1], None);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.column("lace"), Some(&Column::Int(vec![Some(11), None])));
    // Two patients: the top 1 % is ceil(0.02) = 1 patient, the one with a positive HCC score.
    assert_eq!(
        t.column("tier"),
        Some(&Column::Str(vec![
            Some("very_high".into()),
            Some("low".into())
        ]))
    );
    let s = net.risk_summary();
    assert_eq!(s.patients, 2);
    assert_eq!(s.tiers["very_high"], 1);
    assert_eq!(s.tiers["low"], 1);
    assert_eq!(s.registries["diabetes"], 1);
    assert_eq!(s.registries["chf"], 1);
    assert_eq!(s.registries["asthma"], 1);
    assert_eq!(s.registries["ckd"], 0);
    assert_eq!((s.stays_scored, s.lace_high), (3, 1));
}

#[test]
fn registries_and_the_uncontrolled_asthma_rule() {
    let (net, _, pb) = build();
    let reg = net.registries_table();
    let ids = reg.column("patient_id").unwrap().clone();
    let names = reg.column("registry").unwrap().clone();
    assert_eq!(
        ids,
        Column::Str(vec![Some("A".into()), Some("A".into()), Some("B".into())])
    );
    assert_eq!(
        names,
        Column::Str(vec![
            Some("diabetes".into()),
            Some("chf".into()),
            Some("asthma".into())
        ])
    );
    // B: three primary-care visits in the year before 2024-06-01 (2023-09-01 is 274 days
    // earlier) -> uncontrolled asthma; as of 2024-09-02 the window starts 2023-09-03, two
    // visits remain and there is no ED visit or asthma discharge -> not uncontrolled.
    let rules = vec![uncontrolled_asthma_registry()];
    let codes = net.patient_current_icd10_codes(pb, None);
    assert_eq!(
        net.patient_registries(pb, &codes, &rules, Some(t("2024-06-01T12:00"))),
        vec!["asthma_uncontrolled"]
    );
    assert!(
        net.patient_registries(pb, &codes, &rules, Some(t("2024-09-02T12:00")))
            .is_empty()
    );
    assert_eq!(RiskPolicy::standard().registries.len(), 7);
}
