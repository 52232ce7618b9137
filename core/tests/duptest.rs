//! Duplicate-test detection: hand-built histories with known answers, rule-file validation and
//! the real Synthea CSV export.

use cin_core::duptest::Rules;
use cin_core::*;

const BMP: [&str; 8] = [
    "2345-7", "3094-0", "2160-0", "17861-6", "2951-2", "2823-3", "2075-0", "2028-9",
];
const LIPID: [&str; 4] = ["2093-3", "2571-8", "2085-9", "18262-6"];

/// (patient_id, test_family, interval_days, min_interval_days, first_org, repeat_org)
type Row = (String, String, i64, i64, Option<String>, Option<String>);

struct Builder {
    net: Network,
    feed: FeedIdx,
    n: usize,
}

fn day(d: i64) -> Timestamp {
    // Day 0 = 2024-01-01 09:00.
    Timestamp::from_ymd_hms(2024, 1, 1, 9, 0, 0)
        .unwrap()
        .plus_days(d)
}

impl Builder {
    fn new() -> Self {
        let mut net = Network::new();
        let feed = net.add_feed(FeedKind::Api, "test");
        for (key, name, kind) in [
            ("H1", "General Hospital", OrgKind::Hospital),
            ("H2", "County Hospital", OrgKind::Hospital),
            ("PCP", "Main Street Practice", OrgKind::Practice),
        ] {
            let id = net.intern(key);
            let name = Some(net.intern(name));
            net.upsert_organization(
                key,
                Organization {
                    id,
                    name,
                    kind,
                    identifiers: vec![],
                    provenance: Provenance { org: None, feed },
                },
            );
        }
        Builder { net, feed, n: 0 }
    }
    fn prov(&self, org: Option<&str>) -> Provenance {
        Provenance {
            org: org.and_then(|o| self.net.organization_by_key(o)),
            feed: self.feed,
        }
    }
    fn patient(&mut self, id: &str) -> PatientIdx {
        let prov = self.prov(None);
        self.net.upsert_patient(
            &PatientInput {
                id,
                ..Default::default()
            },
            prov,
        )
    }
    fn enc(&mut self, p: PatientIdx, setting: Setting, org: &str, start: i64, end: i64) -> EncIdx {
        self.n += 1;
        let key = format!("enc{}", self.n);
        let id = self.net.intern(&key);
        let prov = self.prov(Some(org));
        self.net.upsert_encounter(
            &key,
            Encounter {
                id,
                patient: p,
                setting,
                start: day(start),
                end: Some(day(end)),
                org: prov.org,
                practitioner: None,
                admission_type: AdmissionType::Unknown,
                disposition: Disposition::Unknown,
                type_code: None,
                provenance: prov,
            },
        )
    }
    #[allow(clippy::too_many_arguments)]
    fn obs_full(
        &mut self,
        p: PatientIdx,
        loinc: &str,
        value: f64,
        unit: &str,
        time: Option<Timestamp>,
        org: Option<&str>,
        encounter: Option<EncIdx>,
    ) {
        let code = self.net.code(CodeSystem::Loinc, loinc).unwrap();
        let unit = Some(self.net.intern(unit));
        let provenance = self.prov(org);
        self.net.add_observation(Observation {
            patient: p,
            encounter,
            code,
            value: ObsValue::Number(value),
            unit,
            time,
            performer: None,
            provenance,
        });
    }
    fn obs(&mut self, p: PatientIdx, loinc: &str, value: f64, unit: &str, d: i64, org: &str) {
        self.obs_full(p, loinc, value, unit, Some(day(d)), Some(org), None);
    }
    fn panel(&mut self, p: PatientIdx, codes: &[&str], d: i64, org: &str) {
        for c in codes {
            // Values inside every default reference range (or in an unjudged unit).
            self.obs(p, c, 1.0, "x", d, org);
        }
    }
    fn proc(
        &mut self,
        p: PatientIdx,
        system: CodeSystem,
        code: &str,
        kind: ProcedureKind,
        d: i64,
        org: &str,
    ) {
        let code = self.net.code(system, code).unwrap();
        let provenance = self.prov(Some(org));
        self.net.add_procedure(Procedure {
            patient: p,
            encounter: None,
            code,
            display: None,
            time: Some(day(d)),
            kind,
            practitioner: None,
            org: provenance.org,
            provenance,
        });
    }
    fn med(&mut self, p: PatientIdx, name: &str, d: i64) {
        let code = self.net.code(CodeSystem::RxNorm, "000").unwrap();
        let display = Some(self.net.intern(name));
        let provenance = self.prov(Some("PCP"));
        self.net.add_medication(MedicationOrder {
            patient: p,
            encounter: None,
            code,
            display,
            start: Some(day(d)),
            stop: None,
            status: MedStatus::Active,
            prescriber: None,
            org: provenance.org,
            source: MedSource::Order,
            provenance,
        });
    }
    fn rows(&self) -> Vec<Row> {
        let t = self.net.duplicate_tests_table(Rules::embedded());
        let s = |name: &str| match t.column(name) {
            Some(Column::Str(v)) => v.clone(),
            other => panic!("{name}: {other:?}"),
        };
        let i = |name: &str| match t.column(name) {
            Some(Column::Int(v)) => v.iter().map(|x| x.unwrap()).collect::<Vec<_>>(),
            other => panic!("{name}: {other:?}"),
        };
        let (pid, fam, first_org, repeat_org) = (
            s("patient_id"),
            s("test_family"),
            s("first_org"),
            s("repeat_org"),
        );
        let (iv, min) = (i("interval_days"), i("min_interval_days"));
        (0..t.len())
            .map(|k| {
                (
                    pid[k].clone().unwrap(),
                    fam[k].clone().unwrap(),
                    iv[k],
                    min[k],
                    first_org[k].clone(),
                    repeat_org[k].clone(),
                )
            })
            .collect()
    }
    fn check(&self, pid: &str, system: CodeSystem, code: &str, d: i64) -> Vec<Alert> {
        self.net
            .check_order(
                Rules::embedded(),
                pid,
                system,
                code,
                Some(day(d)),
                Some("PCP"),
            )
            .unwrap()
    }
}

#[test]
fn table_has_the_acceptance_columns() {
    let b = Builder::new();
    let t = b.net.duplicate_tests_table(Rules::embedded());
    assert_eq!(
        t.column_names(),
        [
            "patient_id",
            "test_family",
            "first_code",
            "first_time",
            "first_org",
            "repeat_code",
            "repeat_time",
            "repeat_org",
            "interval_days",
            "min_interval_days"
        ]
    );
    assert!(t.is_empty());
}

#[test]
fn same_family_inside_and_outside_the_interval() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.obs(p, "4548-4", 5.2, "%", 0, "H1");
    // Another HbA1c method code, another organisation, 30 days later: a duplicate.
    b.obs(p, "17856-6", 5.3, "%", 30, "PCP");
    // 120 days after the last one: fine.
    b.obs(p, "4548-4", 5.4, "%", 150, "PCP");
    let rows = b.rows();
    assert_eq!(
        rows,
        vec![(
            "P1".into(),
            "hba1c".into(),
            30,
            90,
            Some("H1".into()),
            Some("PCP".into())
        )]
    );
    let s = b.net.duplicate_test_summary(Rules::embedded());
    assert_eq!((s.count, s.cross_org, s.same_org, s.hard), (1, 1, 0, 1));
    assert_eq!(s.by_family["hba1c"], 1);
    assert_eq!(s.by_ordering_org["PCP"], 1);
    assert!((s.estimated_avoidable_cost - 9.71).abs() < 1e-9);
    assert_eq!(s.test_events, 3);
}

#[test]
fn advisory_and_hard_thresholds_set_the_severity() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.obs(p, "4548-4", 5.2, "%", 0, "H1");
    // HbA1c: hard 60 days, advisory 90 days.
    let hard = b.check("P1", CodeSystem::Loinc, "4548-4", 59);
    assert_eq!(hard.len(), 1);
    assert_eq!(hard[0].severity, Severity::Major);
    assert_eq!(hard[0].kind, AlertKind::DuplicateTest);
    assert_eq!(hard[0].evidence["threshold"], "hard");
    assert_eq!(hard[0].evidence["interval_days"], 59);
    assert_eq!(hard[0].evidence["prior_value"], 5.2);
    assert_eq!(hard[0].evidence["prior_unit"], "%");
    assert_eq!(hard[0].evidence["prior_org"], "H1");
    assert_eq!(hard[0].evidence["prior_org_name"], "General Hospital");
    assert_eq!(hard[0].evidence["prior_kind"], "result");
    assert_eq!(hard[0].evidence["cross_org"], true);
    assert_eq!(hard[0].evidence["prior_time"], "2024-01-01T09:00:00");
    assert_eq!(hard[0].rule_id, "duptest.hba1c");
    assert!(hard[0].source.contains("G147"));
    let advisory = b.check("P1", CodeSystem::Loinc, "4548-4", 60);
    assert_eq!(advisory.len(), 1);
    assert_eq!(advisory[0].severity, Severity::Moderate);
    assert_eq!(advisory[0].evidence["threshold"], "advisory");
    // CPT order code of the same family; at 89 days still advisory, at 90 none.
    assert_eq!(b.check("P1", CodeSystem::CptHcpcs, "83036", 89).len(), 1);
    assert!(b.check("P1", CodeSystem::CptHcpcs, "83036", 90).is_empty());
}

#[test]
fn panel_components_are_one_event_and_panels_contain_their_parts() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    // A BMP as eight component rows, then a CMP (panel code) the next day elsewhere.
    b.panel(p, &BMP, 0, "H1");
    b.obs(p, "24323-8", 1.0, "x", 1, "H2");
    // A lipid panel as components, then a lone LDL 10 days later.
    b.panel(p, &LIPID, 0, "H1");
    b.obs(p, "18262-6", 100.0, "mg/dL", 10, "PCP");
    // A second BMP as components 2 days after the first: one duplicate, not eight.
    let q = b.patient("P2");
    b.panel(q, &BMP, 0, "H1");
    b.panel(q, &BMP, 2, "PCP");
    let mut rows = b.rows();
    rows.sort();
    assert_eq!(
        rows,
        vec![
            (
                "P1".into(),
                "bmp".into(),
                1,
                3,
                Some("H1".into()),
                Some("H2".into())
            ),
            (
                "P1".into(),
                "ldl".into(),
                10,
                90,
                Some("H1".into()),
                Some("PCP".into())
            ),
            (
                "P2".into(),
                "bmp".into(),
                2,
                3,
                Some("H1".into()),
                Some("PCP".into())
            ),
        ]
    );
    // Ordering a lone potassium after a BMP, or a CMP, alerts on the contained part.
    let k = b.check("P2", CodeSystem::Loinc, "2823-3", 3);
    assert_eq!(k.len(), 1);
    assert_eq!(k[0].evidence["test_family"], "potassium");
    assert_eq!(k[0].severity, Severity::Moderate);
    let cmp = b.check("P2", CodeSystem::CptHcpcs, "80053", 2);
    assert_eq!(cmp[0].evidence["test_family"], "bmp");
    assert_eq!(cmp[0].evidence["ordered_family"], "cmp");
    assert_eq!(cmp[0].severity, Severity::Major); // same day: inside the hard interval
    // A lipid panel code with an HbA1c in the same draw: different families, no overlap.
    assert!(b.check("P1", CodeSystem::Loinc, "4548-4", 5).is_empty());
}

#[test]
fn report_and_its_components_at_one_time_are_one_test() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.panel(p, &BMP, 0, "H1");
    b.proc(
        p,
        CodeSystem::Loinc,
        "51990-0",
        ProcedureKind::Report,
        0,
        "H1",
    );
    assert!(b.rows().is_empty());
    let s = b.net.duplicate_test_summary(Rules::embedded());
    assert_eq!(s.test_events, 1);
}

#[test]
fn imaging_from_claims_and_synthea_snomed() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.proc(
        p,
        CodeSystem::CptHcpcs,
        "71046",
        ProcedureKind::Performed,
        0,
        "H1",
    );
    b.proc(
        p,
        CodeSystem::Snomed,
        "399208008",
        ProcedureKind::Performed,
        20,
        "H2",
    );
    b.proc(
        p,
        CodeSystem::CptHcpcs,
        "70450",
        ProcedureKind::Performed,
        0,
        "H1",
    );
    b.proc(
        p,
        CodeSystem::CptHcpcs,
        "70450",
        ProcedureKind::Performed,
        100,
        "H2",
    );
    assert_eq!(
        b.rows(),
        vec![(
            "P1".into(),
            "xr_chest".into(),
            20,
            90,
            Some("H1".into()),
            Some("H2".into())
        )]
    );
    let a = b.check("P1", CodeSystem::CptHcpcs, "71045", 25);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].severity, Severity::Major);
    assert_eq!(a[0].evidence["prior_org"], "H2");
    assert_eq!(a[0].evidence["prior_value"], serde_json::Value::Null);
}

#[test]
fn pending_order_alerts_until_resulted() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.proc(
        p,
        CodeSystem::CptHcpcs,
        "84443",
        ProcedureKind::Ordered,
        10,
        "H1",
    );
    let a = b.check("P1", CodeSystem::Loinc, "3016-3", 12);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].evidence["prior_kind"], "pending_order");
    assert_eq!(a[0].evidence["test_family"], "tsh");
    assert_eq!(a[0].severity, Severity::Major);
    // Orders are not results: the retrospective table ignores them.
    assert!(b.rows().is_empty());
    // Once resulted, the alert cites the result, not the order.
    b.obs(p, "3016-3", 2.0, "mIU/L", 11, "H1");
    let a = b.check("P1", CodeSystem::Loinc, "3016-3", 12);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].evidence["prior_kind"], "result");
    assert_eq!(a[0].evidence["prior_value"], 2.0);
}

#[test]
fn abnormal_prior_may_be_confirmed() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.obs(p, "4548-4", 6.8, "%", 0, "H1"); // above 5.7 %: abnormal
    b.obs(p, "4548-4", 6.9, "%", 10, "PCP"); // confirmation within 14 days: allowed
    let q = b.patient("P2");
    b.obs(q, "4548-4", 6.8, "%", 0, "H1");
    b.obs(q, "4548-4", 6.9, "%", 20, "PCP"); // too late to be a confirmation
    let r = b.patient("P3");
    b.obs(r, "4548-4", 5.1, "%", 0, "H1"); // normal prior
    b.obs(r, "4548-4", 5.0, "%", 10, "PCP");
    let mut rows: Vec<_> = b.rows().into_iter().map(|r| (r.0, r.2)).collect();
    rows.sort();
    assert_eq!(rows, vec![("P2".to_string(), 20), ("P3".to_string(), 10)]);
    let s = b.net.duplicate_test_summary(Rules::embedded());
    assert_eq!(s.suppressed_confirmation, 1);
    let p4 = b.patient("P4");
    b.obs(p4, "4548-4", 7.5, "%", 0, "H1");
    assert!(b.check("P4", CodeSystem::Loinc, "4548-4", 7).is_empty());
    assert_eq!(b.check("P4", CodeSystem::Loinc, "4548-4", 15).len(), 1);
    // A confirmation is allowed once: the abnormal day-10 result of P1 confirmed day 0, so a
    // third test at day 12 is a duplicate.
    assert_eq!(b.check("P1", CodeSystem::Loinc, "4548-4", 12).len(), 1);
    let p5 = b.patient("P5");
    for d in [0, 7, 14, 21] {
        b.obs(p5, "4548-4", 8.0, "%", d, "H1");
    }
    let p5_rows: Vec<_> = b
        .rows()
        .into_iter()
        .filter(|r| r.0 == "P5")
        .map(|r| r.2)
        .collect();
    // Day 7 confirms day 0; day 14 and day 21 are duplicates (each 7 days after the last).
    assert_eq!(p5_rows, vec![7, 7]);
}

#[test]
fn inpatient_daily_labs_are_allowed() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    let stay = b.enc(p, Setting::Inpatient, "H1", 0, 5);
    // Daily BMPs during the stay, one from the stay encounter, one from a lab feed with no
    // encounter but inside the stay.
    for c in BMP {
        b.obs_full(p, c, 1.0, "x", Some(day(1)), Some("H1"), Some(stay));
        b.obs_full(p, c, 1.0, "x", Some(day(2)), Some("H1"), None);
    }
    // HbA1c twice in the same stay is still a duplicate (not a daily lab).
    b.obs_full(p, "4548-4", 5.0, "%", Some(day(1)), Some("H1"), Some(stay));
    b.obs_full(p, "4548-4", 5.0, "%", Some(day(3)), Some("H1"), Some(stay));
    // After discharge, a BMP at the practice 2 days after the last one is a duplicate.
    b.panel(p, &BMP, 4 + 2 - 2, "PCP");
    let mut rows: Vec<_> = b.rows().into_iter().map(|r| (r.1, r.2)).collect();
    rows.sort();
    // Day 4 is still inside the stay (0..5): allowed. HbA1c: duplicate.
    assert_eq!(rows, vec![("hba1c".to_string(), 2)]);
    let s = b.net.duplicate_test_summary(Rules::embedded());
    assert_eq!(s.suppressed_inpatient, 2);
    b.panel(p, &BMP, 6, "PCP");
    let mut rows: Vec<_> = b.rows().into_iter().map(|r| (r.1, r.2)).collect();
    rows.sort();
    assert_eq!(rows, vec![("bmp".to_string(), 2), ("hba1c".to_string(), 2)]);
    // An order while admitted: allowed for a BMP, not for an HbA1c.
    assert!(b.check("P1", CodeSystem::CptHcpcs, "80048", 3).is_empty());
    assert_eq!(b.check("P1", CodeSystem::CptHcpcs, "83036", 4).len(), 1);
}

#[test]
fn monitoring_after_a_drug_start_is_allowed() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.obs(p, "3016-3", 8.0, "x", 0, "H1"); // unit not judged: not a confirmation
    b.med(p, "Levothyroxine Sodium 0.05 MG Oral Tablet", 1);
    b.obs(p, "3016-3", 5.0, "x", 30, "PCP");
    let q = b.patient("P2");
    b.obs(q, "3016-3", 2.0, "x", 0, "H1");
    b.obs(q, "3016-3", 2.0, "x", 30, "PCP");
    let r = b.patient("P3");
    b.panel(r, &BMP, 0, "H1");
    b.med(r, "lisinopril 10 MG Oral Tablet", 0);
    b.panel(r, &BMP, 2, "PCP");
    let rows: Vec<_> = b.rows().into_iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(rows, vec![("P2".to_string(), "tsh".to_string())]);
    let s = b.net.duplicate_test_summary(Rules::embedded());
    assert_eq!(s.suppressed_monitoring, 2);
    // An order 20 days after the start is monitoring; a second TSH the day after the
    // monitoring one is a duplicate again.
    assert!(b.check("P1", CodeSystem::Loinc, "3016-3", 20).is_empty());
    assert_eq!(b.check("P1", CodeSystem::Loinc, "3016-3", 31).len(), 1);
    assert_eq!(b.check("P2", CodeSystem::Loinc, "3016-3", 20).len(), 1);
}

#[test]
fn unknown_codes_untimed_results_and_unknown_patients() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.obs(p, "8480-6", 120.0, "mm[Hg]", 0, "H1"); // systolic BP: no family
    b.obs(p, "8480-6", 125.0, "mm[Hg]", 1, "H1");
    b.obs_full(p, "4548-4", 5.0, "%", None, Some("H1"), None); // no time
    b.obs(p, "4548-4", 5.0, "%", 3, "H1");
    assert!(b.rows().is_empty());
    let s = b.net.duplicate_test_summary(Rules::embedded());
    assert_eq!(
        (s.unknown_codes, s.results_without_time, s.count),
        (2, 1, 0)
    );
    let rules =
        Rules::from_json(include_bytes!("../data/duptest/rules.json"), "rules.json").unwrap();
    let none = b
        .net
        .check_order(
            &rules,
            "P1",
            CodeSystem::Loinc,
            "99999-9",
            Some(day(4)),
            None,
        )
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(rules.unknown_order_codes(), 1);
    let err = b
        .net
        .check_order(&rules, "nobody", CodeSystem::Loinc, "4548-4", None, None)
        .unwrap_err();
    assert!(matches!(err, CinError::InvalidInput(_)));
    assert!(!err.to_string().contains("nobody"));
    // Two timed results on one date at two organisations are 0 days apart: a duplicate. A
    // date-only row (a claim line) on the same date is the same test reported twice.
    let q = b.patient("P2");
    for (t, org) in [
        ("2024-03-01T08:00:00", "H1"),
        ("2024-03-01T23:59:00", "H2"),
        ("2024-03-01", "PCP"),
    ] {
        b.obs_full(
            q,
            "2857-1",
            1.0,
            "ng/mL",
            Timestamp::parse_iso(t),
            Some(org),
            None,
        );
    }
    let rows = b.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].4.as_deref(), Some("H1"));
    assert_eq!(rows[0].5.as_deref(), Some("H2"));
    assert_eq!((rows[0].1.as_str(), rows[0].2), ("psa", 0));
}

#[test]
fn site_rules_and_prices() {
    let json = br#"{
      "families": [
        {"id": "a1c", "name": "A1c", "kind": "lab", "codes": {"LOINC": ["4548-4"]},
         "advisory_days": 30, "hard_days": 10, "source": "site policy"},
        {"id": "panel", "name": "Panel", "kind": "lab", "codes": {"CPT": ["99999"]},
         "contains": ["a1c"], "advisory_days": 30, "hard_days": 10, "source": "site policy"}
      ],
      "prices": {"currency": "EUR", "year": 2026, "source": "site", "amounts": {"a1c": 4.5}}
    }"#;
    let mut rules = Rules::from_json(json, "site.json").unwrap();
    let mut b = Builder::new();
    let p = b.patient("P1");
    b.obs(p, "4548-4", 5.0, "%", 0, "H1");
    b.proc(
        p,
        CodeSystem::CptHcpcs,
        "99999",
        ProcedureKind::Performed,
        20,
        "H2",
    );
    let s = b.net.duplicate_test_summary(&rules);
    assert_eq!((s.count, s.currency.as_str()), (1, "EUR"));
    assert!((s.estimated_avoidable_cost - 4.5).abs() < 1e-9);
    rules.set_price("a1c", Some(6.0)).unwrap();
    assert!(
        (b.net
            .duplicate_test_summary(&rules)
            .estimated_avoidable_cost
            - 6.0)
            .abs()
            < 1e-9
    );
    assert!(rules.set_price("nope", Some(1.0)).is_err());
    let prices = b"{\"currency\": \"USD\", \"year\": 2026, \"source\": \"contract\",\n \"amounts\": {\"panel\": 2.0}}";
    rules.load_prices_json(prices, "prices.json").unwrap();
    let s = b.net.duplicate_test_summary(&rules);
    assert_eq!(
        (s.unpriced, s.price_year, s.currency.as_str()),
        (1, Some(2026), "USD")
    );
    let bad = b"{\"currency\": \"USD\", \"source\": \"x\",\n \"amounts\": {\"zzz\": 2.0}}";
    match rules.load_prices_json(bad, "prices.json") {
        Err(CinError::KnowledgeBase { location, .. }) => {
            assert_eq!(
                (location.line, location.field.as_deref()),
                (Some(2), Some("amounts.zzz"))
            )
        }
        other => panic!("{other:?}"),
    }
    // The rejected file left the previous table in place.
    assert_eq!(rules.prices.source, "contract");
    assert!(rules.set_price("a1c", Some(-1.0)).is_err());
}

fn kb_error(json: &str) -> (Option<usize>, Option<String>, String) {
    match Rules::from_json(json.as_bytes(), "bad.json") {
        Err(CinError::KnowledgeBase { location, message }) => {
            assert_eq!(location.source, "bad.json");
            (location.line, location.field, message)
        }
        other => panic!("expected a knowledge-base error, got {other:?}"),
    }
}

#[test]
fn malformed_rule_files_are_rejected_whole() {
    let fam = |extra: &str| {
        format!(
            "{{\n\"families\": [\n{{\"id\": \"a\", \"name\": \"A\", \"kind\": \"lab\",\n\"codes\": {{\"LOINC\": [\"1-1\"]}},\n\"advisory_days\": 30, \"hard_days\": 10, \"source\": \"s\"{extra}}}\n]\n}}"
        )
    };
    assert!(Rules::from_json(fam("").as_bytes(), "ok.json").is_ok());
    // Unknown family reference, on line 5.
    let (line, field, msg) = kb_error(&fam(",\n\"contains\": [\"zzz\"]"));
    assert_eq!(line, Some(6));
    assert_eq!(field.as_deref(), Some("families[0].contains[0]"));
    assert!(msg.contains("unknown family zzz"));
    // Negative interval.
    let (line, field, _) = kb_error(&fam("").replace("\"hard_days\": 10", "\"hard_days\": -1"));
    assert_eq!(
        (line, field.as_deref()),
        (Some(5), Some("families[0].hard_days"))
    );
    // Hard interval longer than the advisory one.
    let (_, field, msg) = kb_error(&fam("").replace("\"hard_days\": 10", "\"hard_days\": 40"));
    assert_eq!(field.as_deref(), Some("families[0].hard_days"));
    assert!(msg.contains("longer than the advisory"));
    // Bad JSON: the parser's line.
    let (line, _, _) = kb_error("{\n\"families\": [\n{\"id\": }\n]}");
    assert_eq!(line, Some(3));
    // Unknown field, unknown system, unknown monitoring family, missing source.
    kb_error(&fam(",\n\"advisory\": 3"));
    kb_error(&fam("").replace("LOINC", "KLINGON"));
    kb_error(&fam("").replace("\"source\": \"s\"", "\"source\": \" \""));
    let (_, field, _) = kb_error(&fam("").replace(
        "\n]\n}",
        "\n],\n\"monitoring\": [{\"id\": \"m\", \"families\": [\"q\"], \"drug_names\": [\"x\"], \"within_days\": 5, \"source\": \"s\"}]\n}",
    ));
    assert_eq!(field.as_deref(), Some("monitoring[0].families[0]"));
    // Two families naming one code.
    let two = "{\"families\": [
      {\"id\": \"a\", \"name\": \"A\", \"kind\": \"lab\", \"codes\": {\"LOINC\": [\"1-1\"]}, \"advisory_days\": 3, \"hard_days\": 1, \"source\": \"s\"},
      {\"id\": \"b\", \"name\": \"B\", \"kind\": \"lab\", \"codes\": {\"LOINC\": [\"1-1\"]}, \"advisory_days\": 3, \"hard_days\": 1, \"source\": \"s\"}]}";
    let (line, _, _) = kb_error(two);
    assert_eq!(line, Some(3));
    // Containment cycle.
    let cyc = two
        .replace("[\"1-1\"]}, \"advisory_days\": 3, \"hard_days\": 1, \"source\": \"s\"}]", "[\"2-2\"]}, \"contains\": [\"a\"], \"advisory_days\": 3, \"hard_days\": 1, \"source\": \"s\"}]")
        .replacen("[\"1-1\"]},", "[\"1-1\"]}, \"contains\": [\"b\"],", 1);
    let (_, _, msg) = kb_error(&cyc);
    assert!(msg.contains("cycle"), "{msg}");
}

#[test]
fn embedded_rules_cover_the_briefed_families() {
    let r = Rules::embedded();
    for id in [
        "hba1c",
        "lipid_panel",
        "ldl",
        "bmp",
        "cmp",
        "cbc",
        "tsh",
        "renal_function",
        "urine_acr",
        "vitamin_d",
        "psa",
        "ct_head",
        "ct_chest",
        "xr_chest",
        "mri_lumbar_spine",
        "ct_abdomen_pelvis",
        "us_abdomen",
        "echo_tte",
    ] {
        let f = &r.families[r.family_index(id).unwrap_or_else(|| panic!("{id}"))];
        assert!(
            f.hard_days <= f.advisory_days && !f.source.is_empty(),
            "{id}"
        );
    }
    for (sys, code, fam) in [
        (CodeSystem::Loinc, "59261-8", "hba1c"),
        (CodeSystem::CptHcpcs, "70460", "ct_head"),
        (CodeSystem::CptHcpcs, "71275", "ct_chest"),
        (CodeSystem::CptHcpcs, "72158", "mri_lumbar_spine"),
        (CodeSystem::CptHcpcs, "74178", "ct_abdomen_pelvis"),
        (CodeSystem::CptHcpcs, "76705", "us_abdomen"),
        (CodeSystem::CptHcpcs, "93306", "echo_tte"),
        (CodeSystem::Snomed, "433236007", "echo_tte"),
        (CodeSystem::Snomed, "9564003", "cbc"),
    ] {
        let hit = r.lookup(sys, code).unwrap_or_else(|| panic!("{code}"));
        assert_eq!(r.families[hit.family.unwrap()].id, fam);
    }
    assert_eq!(r.prices.year, Some(2025));
    assert_eq!(r.price(r.family_index("cmp").unwrap()), Some(10.56));
}

/// The Synthea CSV export (11 patients), loaded here directly: patients, observations, and the
/// encounters they belong to (organisation, class) from encounters.csv.
///
/// Expected numbers come from `core/tests/duptest_synthea_count.py`, an independent Python
/// re-implementation of the documented algorithm that reads rules.json and the two CSV files
/// (run: `python3 core/tests/duptest_synthea_count.py ../shared/data/synthea_csv`).
#[test]
fn synthea_csv_observations() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/synthea_csv");
    if !std::path::Path::new(dir).exists() {
        eprintln!("skipping: {dir} not found");
        return;
    }
    let mut net = Network::new();
    let feed = net.add_feed(FeedKind::SyntheaCsv, "synthea_csv");
    let prov = Provenance { org: None, feed };
    let mut rd = csv::Reader::from_path(format!("{dir}/encounters.csv")).unwrap();
    let h = rd.headers().unwrap().clone();
    let col = |h: &csv::StringRecord, n: &str| h.iter().position(|x| x == n).unwrap();
    let (ci, cs, ce, cp, co, cc) = (
        col(&h, "Id"),
        col(&h, "START"),
        col(&h, "STOP"),
        col(&h, "PATIENT"),
        col(&h, "ORGANIZATION"),
        col(&h, "ENCOUNTERCLASS"),
    );
    for r in rd.records() {
        let r = r.unwrap();
        let p = net.upsert_patient(
            &PatientInput {
                id: &r[cp],
                ..Default::default()
            },
            prov,
        );
        let org = match net.organization_by_key(&r[co]) {
            Some(o) => o,
            None => {
                let id = net.intern(&r[co]);
                net.upsert_organization(
                    &r[co],
                    Organization {
                        id,
                        name: None,
                        kind: OrgKind::Other,
                        identifiers: vec![],
                        provenance: prov,
                    },
                )
            }
        };
        let setting = match &r[cc] {
            "inpatient" => Setting::Inpatient,
            "emergency" => Setting::Emergency,
            "wellness" => Setting::Wellness,
            "snf" => Setting::Snf,
            "hospice" => Setting::Hospice,
            "home" => Setting::HomeHealth,
            _ => Setting::Ambulatory,
        };
        let id = net.intern(&r[ci]);
        net.upsert_encounter(
            &r[ci],
            Encounter {
                id,
                patient: p,
                setting,
                start: Timestamp::parse_iso(&r[cs]).unwrap(),
                end: Timestamp::parse_iso(&r[ce]),
                org: Some(org),
                practitioner: None,
                admission_type: AdmissionType::Unknown,
                disposition: Disposition::Unknown,
                type_code: None,
                provenance: Provenance {
                    org: Some(org),
                    feed,
                },
            },
        );
    }
    let mut rd = csv::Reader::from_path(format!("{dir}/observations.csv")).unwrap();
    let h = rd.headers().unwrap().clone();
    let (cd, cp, ce, cc, cv, cu) = (
        col(&h, "DATE"),
        col(&h, "PATIENT"),
        col(&h, "ENCOUNTER"),
        col(&h, "CODE"),
        col(&h, "VALUE"),
        col(&h, "UNITS"),
    );
    for r in rd.records() {
        let r = r.unwrap();
        let p = net.upsert_patient(
            &PatientInput {
                id: &r[cp],
                ..Default::default()
            },
            prov,
        );
        let encounter = net.encounter_by_key(&r[ce]);
        let org = encounter.and_then(|e| net.encounter(e).org);
        let Some(code) = net.code(CodeSystem::Loinc, &r[cc]) else {
            continue;
        };
        let value = match r[cv].parse::<f64>() {
            Ok(v) => ObsValue::Number(v),
            Err(_) => ObsValue::Text(net.intern(&r[cv])),
        };
        let unit = (!r[cu].is_empty()).then(|| net.intern(&r[cu]));
        net.add_observation(Observation {
            patient: p,
            encounter,
            code,
            value,
            unit,
            time: Timestamp::parse_iso(&r[cd]),
            performer: None,
            provenance: Provenance { org, feed },
        });
    }
    assert_eq!(net.observations.len(), 3626);
    let s = net.duplicate_test_summary(Rules::embedded());
    let t = net.duplicate_tests_table(Rules::embedded());
    assert_eq!(t.len(), s.count);
    // Numbers printed by duptest_synthea_count.py (see the doc comment): 184 test events after
    // grouping panel components, 2866 rows of codes no family knows (vitals, surveys, QALY...),
    // 4 duplicates (3 across organisations).
    assert_eq!(s.test_events, 184);
    assert_eq!(s.unknown_codes, 2866);
    assert_eq!(s.results_without_time, 0);
    assert_eq!((s.count, s.cross_org, s.same_org), (4, 3, 1));
    assert_eq!((s.suppressed_confirmation, s.suppressed_inpatient), (0, 0));
    let by_family: Vec<(&str, usize)> = s.by_family.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        by_family,
        [
            ("cd4", 1),
            ("hba1c", 1),
            ("lipid_panel", 1),
            ("urine_acr", 1)
        ]
    );

    // Add procedures.csv (SNOMED: CBC, CD4 count, HIV viral load, echo, X-rays...) as performed
    // procedures. `duptest_synthea_count.py <dir> --procedures` prints these numbers.
    let mut rd = csv::Reader::from_path(format!("{dir}/procedures.csv")).unwrap();
    let h = rd.headers().unwrap().clone();
    let (cs, cp, ce, cc) = (
        col(&h, "START"),
        col(&h, "PATIENT"),
        col(&h, "ENCOUNTER"),
        col(&h, "CODE"),
    );
    for r in rd.records() {
        let r = r.unwrap();
        let patient = net.patient_by_id(&r[cp]).unwrap();
        let encounter = net.encounter_by_key(&r[ce]);
        let org = encounter.and_then(|e| net.encounter(e).org);
        let code = net.code(CodeSystem::Snomed, &r[cc]).unwrap();
        net.add_procedure(Procedure {
            patient,
            encounter,
            code,
            display: None,
            time: Timestamp::parse_iso(&r[cs]),
            kind: ProcedureKind::Performed,
            practitioner: None,
            org,
            provenance: Provenance { org, feed },
        });
    }
    assert_eq!(net.procedures.len(), 889);
    let s = net.duplicate_test_summary(Rules::embedded());
    assert_eq!(s.test_events, 263);
    assert_eq!(s.unknown_codes, 3676);
    assert_eq!((s.count, s.cross_org, s.same_org), (5, 3, 2));
    assert_eq!(s.by_family["cd4"], 2);
}

#[test]
fn long_histories_and_checks_in_the_past() {
    let mut b = Builder::new();
    let p = b.patient("P1");
    // 100 HbA1c results 100 days apart (none a duplicate), plus untimed rows.
    for k in 0..100 {
        b.obs(p, "4548-4", 5.0, "%", k * 100, "H1");
    }
    b.obs_full(p, "4548-4", 5.0, "%", None, Some("H1"), None);
    assert!(b.rows().is_empty());
    // An order 10 days after the result of day 5000 (later results must not count).
    let a = b.check("P1", CodeSystem::Loinc, "4548-4", 5010);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].evidence["interval_days"], 10);
    assert_eq!(b.check("P1", CodeSystem::Loinc, "4548-4", 5089).len(), 1);
    assert!(b.check("P1", CodeSystem::Loinc, "4548-4", 5090).is_empty());
    // Day 5100 has a result of its own at 09:00; at 08:00 the last one is 100 days old.
    let early = Timestamp(day(5100).0 - 3600);
    assert!(
        b.net
            .check_order(
                Rules::embedded(),
                "P1",
                CodeSystem::Loinc,
                "4548-4",
                Some(early),
                None
            )
            .unwrap()
            .is_empty()
    );
    // The same with a short history (walk-back path).
    let q = b.patient("P2");
    for k in 0..5 {
        b.obs(q, "4548-4", 5.0, "%", k * 100, "H1");
    }
    assert_eq!(
        b.check("P2", CodeSystem::Loinc, "4548-4", 210)[0].evidence["interval_days"],
        10
    );
    assert!(b.check("P2", CodeSystem::Loinc, "4548-4", 190).is_empty());
}
