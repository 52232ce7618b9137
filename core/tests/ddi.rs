//! Drug-interaction and therapeutic-duplication checks: the embedded KB (ONC high-priority and
//! non-interruptive lists, FDA rules), drug identity, context (washout, dose, labs), hand-built
//! networks with medications from two organisations, and malformed KB files.

use cin_core::ddi::{Kb, check_interactions};
use cin_core::*;

fn rule_ids(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.rule_id.as_ref()).collect()
}

/// `(name a, rxcui a, name b, rxcui b)`.
type Pair = (&'static str, &'static str, &'static str, &'static str);

/// (rule, two member pairs) with Synthea/RxNorm-style names.
const ONC: &[(&str, [Pair; 2])] = &[
    (
        "onc-01",
        [
            (
                "Amphetamine 10 MG Oral Tablet",
                "725",
                "Phenelzine 15 MG Oral Tablet",
                "8123",
            ),
            (
                "Methylphenidate hydrochloride 10 MG Oral Tablet",
                "6901",
                "Tranylcypromine 10 MG Oral Tablet",
                "10734",
            ),
        ],
    ),
    (
        "onc-02",
        [
            (
                "atazanavir 300 MG Oral Capsule",
                "343047",
                "Omeprazole 20 MG Delayed Release Oral Capsule",
                "7646",
            ),
            (
                "atazanavir 300 MG Oral Capsule",
                "343047",
                "pantoprazole 40 MG Delayed Release Oral Tablet",
                "40790",
            ),
        ],
    ),
    (
        "onc-03",
        [
            (
                "febuxostat 40 MG Oral Tablet",
                "73689",
                "Azathioprine 50 MG Oral Tablet",
                "1256",
            ),
            (
                "febuxostat 80 MG Oral Tablet",
                "73689",
                "Mercaptopurine 50 MG Oral Tablet",
                "103",
            ),
        ],
    ),
    (
        "onc-04",
        [
            (
                "sertraline 50 MG Oral Tablet",
                "36437",
                "Phenelzine 15 MG Oral Tablet",
                "8123",
            ),
            (
                "Fluoxetine 20 MG Oral Capsule",
                "4493",
                "selegiline 5 MG Oral Capsule",
                "9639",
            ),
        ],
    ),
    (
        "onc-05",
        [
            (
                "irinotecan 20 MG/ML Injection",
                "51499",
                "Clarithromycin 500 MG Oral Tablet",
                "21212",
            ),
            (
                "irinotecan 20 MG/ML Injection",
                "51499",
                "Ketoconazole 200 MG Oral Tablet",
                "6135",
            ),
        ],
    ),
    (
        "onc-06",
        [
            (
                "tramadol hydrochloride 50 MG Oral Tablet",
                "10689",
                "Phenelzine 15 MG Oral Tablet",
                "8123",
            ),
            (
                "Meperidine Hydrochloride 50 MG Oral Tablet",
                "6754",
                "isocarboxazid 10 MG Oral Tablet",
                "6011",
            ),
        ],
    ),
    (
        "onc-07",
        [
            (
                "Amitriptyline Hydrochloride 25 MG Oral Tablet",
                "704",
                "Phenelzine 15 MG Oral Tablet",
                "8123",
            ),
            (
                "Nortriptyline 25 MG Oral Capsule",
                "7531",
                "Tranylcypromine 10 MG Oral Tablet",
                "10734",
            ),
        ],
    ),
    (
        "onc-08",
        [
            (
                "dofetilide 0.5 MG Oral Capsule",
                "49247",
                "Clarithromycin 500 MG Oral Tablet",
                "21212",
            ),
            (
                "pimozide 2 MG Oral Tablet",
                "8331",
                "citalopram 20 MG Oral Tablet",
                "2556",
            ),
        ],
    ),
    (
        "onc-09",
        [
            (
                "ramelteon 8 MG Oral Tablet",
                "596205",
                "fluvoxamine maleate 100 MG Oral Tablet",
                "42355",
            ),
            (
                "ramelteon 8 MG Oral Tablet",
                "596205",
                "Ciprofloxacin 500 MG Oral Tablet",
                "2551",
            ),
        ],
    ),
    (
        "onc-10",
        [
            (
                "ritonavir 100 MG Oral Capsule",
                "85762",
                "Rifampin 300 MG Oral Capsule",
                "9384",
            ),
            (
                "darunavir 800 MG Oral Tablet",
                "460132",
                "Carbamazepine 200 MG Oral Tablet",
                "2002",
            ),
        ],
    ),
    (
        "onc-11",
        [
            (
                "Simvastatin 20 MG Oral Tablet",
                "36567",
                "Clarithromycin 500 MG Oral Tablet",
                "21212",
            ),
            (
                "Lovastatin 20 MG Oral Tablet",
                "6472",
                "Itraconazole 100 MG Oral Capsule",
                "28031",
            ),
        ],
    ),
    (
        "onc-12",
        [
            (
                "Ergotamine tartrate 1 MG Oral Tablet",
                "4025",
                "Ketoconazole 200 MG Oral Tablet",
                "6135",
            ),
            (
                "dihydroergotamine mesylate 1 MG/ML Injection",
                "3418",
                "ritonavir 100 MG Oral Capsule",
                "85762",
            ),
        ],
    ),
    (
        "onc-13",
        [
            (
                "tizanidine 4 MG Oral Tablet",
                "57258",
                "fluvoxamine maleate 100 MG Oral Tablet",
                "42355",
            ),
            (
                "tizanidine 4 MG Oral Tablet",
                "57258",
                "Ciprofloxacin 500 MG Oral Tablet",
                "2551",
            ),
        ],
    ),
    (
        "onc-14",
        [
            (
                "Tranylcypromine 10 MG Oral Tablet",
                "10734",
                "procarbazine 50 MG Oral Capsule",
                "8702",
            ),
            (
                "procarbazine 50 MG Oral Capsule",
                "8702",
                "Tranylcypromine 10 MG Oral Tablet",
                "10734",
            ),
        ],
    ),
    (
        "onc-15",
        [
            (
                "sumatriptan 50 MG Oral Tablet",
                "37418",
                "Phenelzine 15 MG Oral Tablet",
                "8123",
            ),
            (
                "rizatriptan 10 MG Oral Tablet",
                "88014",
                "selegiline 5 MG Oral Capsule",
                "9639",
            ),
        ],
    ),
];

#[test]
fn every_onc_high_priority_pair_fires_by_name_and_by_rxcui() {
    let kb = Kb::embedded();
    assert!(
        kb.rules.len() >= 39,
        "embedded KB loaded: {}",
        kb.rules.len()
    );
    assert!(kb.rules.iter().all(|r| !r.source.is_empty()));
    for (rule, pairs) in ONC {
        for (na, ca, nb, cb) in pairs {
            for list in [[*na, *nb], [*ca, *cb], [*nb, *ca]] {
                let alerts = check_interactions(kb, &list);
                let hit = alerts
                    .iter()
                    .find(|a| a.rule_id == *rule)
                    .unwrap_or_else(|| {
                        panic!("{rule} did not fire for {list:?}: {:?}", rule_ids(&alerts))
                    });
                assert_eq!(hit.kind, AlertKind::DrugInteraction);
                assert_eq!(hit.severity, Severity::Contraindicated, "{rule}");
                assert!(hit.source.contains("Phansalkar"));
                assert!(hit.evidence.contains_key("drug_a") && hit.evidence.contains_key("drug_b"));
            }
        }
    }
}

#[test]
fn non_interruptive_pairs_are_suppressed() {
    // A vendor rule on ACE inhibitors/ARBs + NSAIDs: ACE inhibitor + NSAID is on the ONC
    // non-interruptive list (Phansalkar 2013), ARB + NSAID is not.
    let mut kb = Kb::embedded().clone();
    kb.extend_json(
        br#"{"version": "site-1", "rules": [
            {"id": "site-raas-nsaid", "a": "class:raas_blocker", "b": "class:nsaid",
             "severity": "moderate", "effect": "Reduced antihypertensive effect, renal risk",
             "management": "Monitor blood pressure and renal function", "source": "site pharmacy"}]}"#,
        "site.json",
    )
    .unwrap();
    let losartan = check_interactions(
        &kb,
        &[
            "Losartan Potassium 50 MG Oral Tablet",
            "Ibuprofen 400 MG Oral Tablet [Ibu]",
        ],
    );
    assert_eq!(rule_ids(&losartan), ["site-raas-nsaid"]);
    let lisinopril = check_interactions(
        &kb,
        &[
            "lisinopril 10 MG Oral Tablet",
            "Ibuprofen 400 MG Oral Tablet [Ibu]",
        ],
    );
    assert!(lisinopril.is_empty(), "{:?}", rule_ids(&lisinopril));
    // A site can switch a rule off, or re-tier it.
    kb.set_severity("site-raas-nsaid", Some(Severity::Minor))
        .unwrap();
    let re = check_interactions(&kb, &["losartan", "ibuprofen"]);
    assert_eq!(re[0].severity, Severity::Minor);
    kb.set_severity("site-raas-nsaid", None).unwrap();
    assert!(check_interactions(&kb, &["losartan", "ibuprofen"]).is_empty());
}

#[test]
fn combination_products_expand_to_their_ingredients() {
    let kb = Kb::embedded();
    let d = kb
        .resolve("Hydrochlorothiazide 25 MG / Lisinopril 10 MG Oral Tablet")
        .unwrap();
    let names: Vec<&str> = d
        .ingredients
        .iter()
        .map(|(i, _)| kb.ingredient(*i).name.as_str())
        .collect();
    assert_eq!(names, ["hydrochlorothiazide", "lisinopril"]);
    assert_eq!(d.ingredients[1].1, Some(10.0));
    let m = kb
        .resolve("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")
        .unwrap();
    assert_eq!(kb.ingredient(m.ingredients[0].0).rxcui, 6809);
    assert_eq!(m.ingredients[0].1, Some(500.0));
    // Lithium with the combination: both ingredients reduce lithium clearance.
    let alerts = check_interactions(
        kb,
        &[
            "Hydrochlorothiazide 25 MG / Lisinopril 10 MG Oral Tablet",
            "lithium carbonate 300 MG Oral Capsule",
        ],
    );
    let mut partners: Vec<&str> = alerts
        .iter()
        .filter(|a| a.rule_id == "fda-lithium-renal")
        .map(|a| a.evidence["drug_b"].as_str().unwrap())
        .collect();
    partners.sort();
    assert_eq!(partners, ["hydrochlorothiazide", "lisinopril"]);
    // Hidden acetaminophen in two products is a duplication.
    let dup = check_interactions(
        kb,
        &[
            "Acetaminophen 325 MG Oral Tablet [Tylenol]",
            "Acetaminophen 325 MG / HYDROcodone Bitartrate 7.5 MG Oral Tablet",
        ],
    );
    assert_eq!(rule_ids(&dup), ["dup-same-ingredient"]);
    assert_eq!(dup[0].kind, AlertKind::TherapeuticDuplication);
}

#[test]
fn simvastatin_dose_cap_with_amlodipine() {
    // FDA Drug Safety Communication 2011: simvastatin above 20 mg with amlodipine.
    let kb = Kb::embedded();
    let high = check_interactions(kb, &["Simvastatin 80 MG", "Amlodipine 5 MG Oral Tablet"]);
    assert_eq!(rule_ids(&high), ["fda-simva-20"]);
    assert_eq!(high[0].severity, Severity::Major);
    assert_eq!(high[0].evidence["dose_mg"], 80.0);
    let low = check_interactions(
        kb,
        &[
            "Simvastatin 20 MG Oral Tablet",
            "Amlodipine 5 MG Oral Tablet",
        ],
    );
    assert!(low.is_empty(), "{:?}", rule_ids(&low));
    // The real Synthea bundle list (clopidogrel, nitroglycerin, simvastatin 20, amlodipine,
    // verapamil, digoxin, warfarin): simvastatin 20 > 10 with verapamil, digoxin + verapamil.
    let list = [
        "Clopidogrel 75 MG Oral Tablet",
        "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray",
        "Simvastatin 20 MG Oral Tablet",
        "Amlodipine 5 MG Oral Tablet",
        "Verapamil Hydrochloride 40 MG",
        "Digoxin 0.125 MG Oral Tablet",
        "Warfarin Sodium 5 MG Oral Tablet",
    ];
    let mut ids = rule_ids(&check_interactions(kb, &list))
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    ids.sort();
    assert_eq!(ids, ["fda-digoxin", "fda-simva-10"]);
    // The same drugs as Synthea SCD codes.
    let codes = [
        "309362", "705129", "312961", "197361", "897718", "197604", "855332",
    ];
    let mut ids2 = rule_ids(&check_interactions(kb, &codes))
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    ids2.sort();
    assert_eq!(ids2, ids);
}

#[test]
fn unmapped_drugs_are_reported() {
    let kb = Kb::embedded();
    let alerts = check_interactions(kb, &["Jolivette 28 Day Pack", "warfarin", "ibuprofen"]);
    assert_eq!(alerts[0].kind, AlertKind::UnmappedDrug);
    assert_eq!(alerts[0].evidence["drug"], "Jolivette 28 Day Pack");
    assert!(rule_ids(&alerts).contains(&"fda-warfarin-nsaid"));
    // Topical NSAIDs do not alert with warfarin (route context).
    let topical = check_interactions(
        kb,
        &[
            "warfarin 5 MG Oral Tablet",
            "diclofenac sodium 10 MG/ML Topical Gel",
        ],
    );
    assert!(topical.iter().all(|a| a.rule_id != "fda-warfarin-nsaid"));
}

// ---- networks ---------------------------------------------------------------------------

struct Net {
    net: Network,
    prov: Provenance,
}

impl Net {
    fn new() -> Self {
        let mut net = Network::new();
        let feed = net.add_feed(FeedKind::Api, "test");
        let prov = Provenance { org: None, feed };
        let mut b = Net { net, prov };
        for key in ["HOSP", "PCP"] {
            let id = b.net.intern(key);
            let o = b.net.upsert_organization(
                key,
                Organization {
                    id,
                    name: None,
                    kind: OrgKind::Practice,
                    identifiers: vec![],
                    provenance: prov,
                },
            );
            let dr = format!("dr-{key}");
            let pid = b.net.intern(&dr);
            b.net.upsert_practitioner(
                &dr,
                Practitioner {
                    id: pid,
                    role: PractitionerRole::Pcp,
                    specialty: None,
                    org: Some(o),
                    identifiers: vec![],
                    provenance: prov,
                },
            );
        }
        b
    }
    fn patient(&mut self, id: &str) -> PatientIdx {
        self.net.upsert_patient(
            &PatientInput {
                id,
                ..Default::default()
            },
            self.prov,
        )
    }
    fn med(
        &mut self,
        p: PatientIdx,
        org: &str,
        code: &str,
        display: &str,
        start: &str,
        stop: Option<&str>,
    ) {
        let code = self.net.code(CodeSystem::RxNorm, code).unwrap();
        let display = Some(self.net.intern(display));
        let o = self.net.organization_by_key(org);
        let dr = self.net.practitioner_by_key(&format!("dr-{org}"));
        let status = if stop.is_some() {
            MedStatus::Stopped
        } else {
            MedStatus::Active
        };
        self.net.add_medication(MedicationOrder {
            patient: p,
            encounter: None,
            code,
            display,
            start: Timestamp::parse_iso(start),
            stop: stop.and_then(Timestamp::parse_iso),
            status,
            prescriber: dr,
            org: o,
            source: MedSource::Order,
            provenance: self.prov,
        });
    }
    fn lab(&mut self, p: PatientIdx, org: &str, loinc: &str, value: f64, time: &str) {
        let code = self.net.code(CodeSystem::Loinc, loinc).unwrap();
        let o = self.net.organization_by_key(org);
        self.net.add_observation(Observation {
            patient: p,
            encounter: None,
            code,
            value: ObsValue::Number(value),
            unit: None,
            time: Timestamp::parse_iso(time),
            performer: None,
            provenance: Provenance {
                org: o,
                feed: self.prov.feed,
            },
        });
    }
}

fn at(s: &str) -> Option<Timestamp> {
    Timestamp::parse_iso(s)
}

#[test]
fn maoi_washout_after_stopping() {
    // Phenelzine label: 14 days between stopping the MAOI and starting a serotonergic drug.
    let mut b = Net::new();
    let p = b.patient("P1");
    b.med(
        p,
        "PCP",
        "8123",
        "Phenelzine 15 MG Oral Tablet",
        "2024-01-01",
        Some("2024-03-01"),
    );
    let kb = Kb::embedded();
    let ten = b
        .net
        .check_prescription(
            kb,
            "P1",
            "sertraline 50 MG Oral Tablet",
            at("2024-03-11"),
            Some("HOSP"),
        )
        .unwrap();
    let hit = ten
        .iter()
        .find(|a| a.rule_id == "onc-04")
        .expect("fires 10 days after stopping");
    assert_eq!(hit.evidence["days_since_stop"], 10);
    assert_eq!(hit.evidence["washout_days"], 14);
    let twenty = b
        .net
        .check_prescription(
            kb,
            "P1",
            "sertraline 50 MG Oral Tablet",
            at("2024-03-21"),
            Some("HOSP"),
        )
        .unwrap();
    assert!(
        twenty.iter().all(|a| a.rule_id != "onc-04"),
        "{:?}",
        rule_ids(&twenty)
    );
    // Unknown patient.
    assert!(matches!(
        b.net
            .check_prescription(kb, "nobody", "sertraline", None, None),
        Err(CinError::InvalidInput(_))
    ));
}

#[test]
fn check_prescription_across_two_organisations() {
    let mut b = Net::new();
    let p = b.patient("P1");
    b.med(
        p,
        "HOSP",
        "855332",
        "Warfarin Sodium 5 MG Oral Tablet",
        "2024-01-10",
        None,
    );
    b.med(
        p,
        "PCP",
        "9997",
        "Spironolactone 25 MG Oral Tablet",
        "2024-02-01",
        None,
    );
    b.med(
        p,
        "PCP",
        "849574",
        "Naproxen sodium 220 MG Oral Tablet",
        "2024-02-01",
        None,
    );
    // An order that ended long ago does not count.
    b.med(
        p,
        "PCP",
        "6135",
        "Ketoconazole 200 MG Oral Tablet",
        "2023-01-01",
        Some("2023-01-10"),
    );
    let kb = Kb::embedded();
    let alerts = b
        .net
        .check_prescription(
            kb,
            "P1",
            "Ibuprofen 400 MG Oral Tablet [Ibu]",
            at("2024-03-01"),
            Some("HOSP"),
        )
        .unwrap();
    let w = alerts
        .iter()
        .find(|a| a.rule_id == "fda-warfarin-nsaid")
        .unwrap();
    assert_eq!(w.severity, Severity::Major);
    assert_eq!(w.evidence["drug_a"], "warfarin");
    assert_eq!(w.evidence["drug_b"], "ibuprofen");
    assert_eq!(w.evidence["org_a"], "HOSP");
    assert_eq!(w.evidence["prescriber_a"], "dr-HOSP");
    assert_eq!(w.evidence["new_drug_side"], "b");
    assert_eq!(w.evidence["existing_start"], "2024-01-10T00:00:00");
    assert!(w.message.contains("warfarin + ibuprofen"));
    // Ibuprofen on top of naproxen from another organisation: NSAID duplication.
    let d = alerts
        .iter()
        .find(|a| a.kind == AlertKind::TherapeuticDuplication)
        .unwrap();
    assert_eq!(d.rule_id, "dup-nsaid");
    assert_eq!(d.evidence["org_b"], "PCP");
    assert_eq!(d.evidence["cross_org"], true);
    assert_eq!(alerts.len(), 2, "{:?}", rule_ids(&alerts));

    // Potassium: moderate without a lab, major with the latest K+ 5.6 (from the hospital).
    let k = "Potassium Chloride 20 MEQ Extended Release Oral Tablet";
    let plain = b
        .net
        .check_prescription(kb, "P1", k, at("2024-03-01"), Some("HOSP"))
        .unwrap();
    assert_eq!(rule_ids(&plain), ["fda-ksparing-potassium"]);
    assert_eq!(plain[0].severity, Severity::Moderate);
    b.lab(p, "PCP", "6298-4", 4.1, "2024-02-01");
    b.lab(p, "HOSP", "6298-4", 5.6, "2024-02-20");
    b.lab(p, "PCP", "6298-4", 4.0, "2024-03-05"); // after the check time: not used
    let high = b
        .net
        .check_prescription(kb, "P1", k, at("2024-03-01"), Some("PCP"))
        .unwrap();
    assert_eq!(high[0].severity, Severity::Major);
    assert_eq!(high[0].evidence["lab_value"], 5.6);
    assert_eq!(high[0].evidence["lab_org"], "HOSP");
    assert_eq!(high[0].evidence["cross_org"], false);
}

#[test]
fn population_sweep_table_and_summary() {
    let mut b = Net::new();
    let p1 = b.patient("P1");
    b.med(
        p1,
        "HOSP",
        "855332",
        "Warfarin Sodium 5 MG Oral Tablet",
        "2024-01-10",
        None,
    );
    b.med(
        p1,
        "PCP",
        "849574",
        "Naproxen sodium 220 MG Oral Tablet",
        "2024-02-01",
        None,
    );
    b.med(
        p1,
        "HOSP",
        "310965",
        "Ibuprofen 200 MG Oral Tablet",
        "2024-02-05",
        None,
    );
    let p2 = b.patient("P2");
    // Simvastatin 40 with clarithromycin (same organisation), and an unmapped pack.
    b.med(
        p2,
        "PCP",
        "36567",
        "Simvastatin 40 MG Oral Tablet",
        "2024-01-01",
        None,
    );
    b.med(
        p2,
        "PCP",
        "21212",
        "Clarithromycin 500 MG Oral Tablet",
        "2024-03-01",
        Some("2024-03-10"),
    );
    b.med(
        p2,
        "PCP",
        "757594",
        "Jolivette 28 Day Pack",
        "2024-01-01",
        None,
    );
    // P3: the two drugs never overlap (warfarin stopped before naproxen started).
    let p3 = b.patient("P3");
    b.med(
        p3,
        "PCP",
        "855332",
        "Warfarin Sodium 5 MG Oral Tablet",
        "2023-01-01",
        Some("2023-02-01"),
    );
    b.med(
        p3,
        "PCP",
        "849574",
        "Naproxen sodium 220 MG Oral Tablet",
        "2024-02-01",
        None,
    );
    let kb = Kb::embedded();
    let t = b.net.drug_interactions_table(kb);
    assert_eq!(
        t.column_names(),
        [
            "patient_id",
            "drug_a",
            "drug_b",
            "severity",
            "rule_id",
            "prescriber_org_a",
            "prescriber_org_b"
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&t.to_json_columns()).unwrap();
    assert_eq!(json["patient_id"], serde_json::json!(["P1", "P1", "P2"]));
    assert_eq!(
        json["drug_b"],
        serde_json::json!(["naproxen", "ibuprofen", "clarithromycin"])
    );
    assert_eq!(
        json["rule_id"],
        serde_json::json!(["fda-warfarin-nsaid", "fda-warfarin-nsaid", "onc-11"])
    );
    assert_eq!(
        json["prescriber_org_a"],
        serde_json::json!(["HOSP", "HOSP", "PCP"])
    );
    assert_eq!(
        json["prescriber_org_b"],
        serde_json::json!(["PCP", "HOSP", "PCP"])
    );
    let s = b.net.drug_interaction_summary(kb);
    assert_eq!(s.count, 3);
    assert_eq!(s.patients_with_interaction, 2);
    assert_eq!(s.by_severity["major"], 2);
    assert_eq!(s.by_severity["contraindicated"], 1);
    assert_eq!(s.cross_org, 1);
    assert_eq!(s.by_org["HOSP"], 2);
    assert_eq!(s.by_org["PCP"], 2);
    assert_eq!(s.therapeutic_duplications, 1); // naproxen (PCP) + ibuprofen (HOSP)
    assert_eq!(s.duplications_by_class["nsaid"], 1);
    assert_eq!(s.unmapped_drugs["Jolivette 28 Day Pack"], 1);
    assert_eq!(s.medication_orders_checked, 8);
}

// ---- malformed KB files ----------------------------------------------------------------

fn kb_error(text: &str) -> (Location, String) {
    match Kb::from_json(text.as_bytes(), "vendor.json") {
        Err(CinError::KnowledgeBase { location, message }) => (location, message),
        other => panic!("expected a knowledge-base error, got {other:?}"),
    }
}

const GOOD_HEAD: &str = r#"{
  "ingredients": [
    {"rxcui": 11289, "name": "warfarin"},
    {"rxcui": 5640, "name": "ibuprofen"}
  ],
  "classes": [{"id": "nsaid", "members": [5640]}],
  "rules": [
"#;

#[test]
fn malformed_kb_files_are_rejected_with_their_location() {
    // A good file loads and works.
    let good = format!(
        "{GOOD_HEAD}    {{\"id\": \"r1\", \"a\": \"11289\", \"b\": \"class:nsaid\", \"severity\": \"major\", \"effect\": \"bleeding\", \"management\": \"avoid\", \"source\": \"label\"}}\n  ]\n}}"
    );
    let kb = Kb::from_json(good.as_bytes(), "vendor.json").unwrap();
    assert_eq!(
        rule_ids(&check_interactions(&kb, &["warfarin", "5640"])),
        ["r1"]
    );

    // Bad JSON: the line of the syntax error.
    let (loc, _) = kb_error("{\n  \"rules\": [\n    {\"id\": \"r1\",, }\n  ]\n}");
    assert_eq!(loc.source, "vendor.json");
    assert_eq!(loc.line, Some(3));

    // Unknown class.
    let bad_class = good.replace("class:nsaid", "class:nsaids");
    let (loc, msg) = kb_error(&bad_class);
    assert_eq!(loc.field.as_deref(), Some("rules[0].b"));
    assert_eq!(loc.line, Some(8));
    assert!(msg.contains("unknown class"));

    // Unknown ingredient in a class.
    let (loc, _) = kb_error(&good.replace("[5640]", "[5640, 999999]"));
    assert_eq!(loc.field.as_deref(), Some("classes[0].members[1]"));

    // Missing field.
    let missing = good.replace(", \"management\": \"avoid\"", "");
    let (loc, msg) = kb_error(&missing);
    assert_eq!(loc.field.as_deref(), Some("rules[0].management"));
    assert_eq!(loc.line, Some(8));
    assert!(msg.contains("management"));

    // Bad severity.
    let (loc, msg) = kb_error(&good.replace("\"major\"", "\"catastrophic\""));
    assert_eq!(loc.field.as_deref(), Some("rules[0].severity"));
    assert_eq!(loc.line, Some(8));
    assert!(msg.contains("catastrophic"));
}

#[test]
fn synthea_medications_resolve_by_code_and_by_name() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/synthea_csv");
    let Ok(mut rd) = csv::Reader::from_path(format!("{dir}/medications.csv")) else {
        println!("skipping: {dir} not found");
        return;
    };
    let headers = rd.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (ci, di) = (col("CODE"), col("DESCRIPTION"));
    let mut distinct = std::collections::BTreeMap::new();
    for r in rd.records() {
        let r = r.unwrap();
        distinct.insert(r[ci].to_string(), r[di].to_string());
    }
    let kb = Kb::embedded();
    let by_code = distinct.keys().filter(|c| kb.resolve(c).is_some()).count();
    let by_name = distinct
        .values()
        .filter(|d| kb.resolve(d).is_some())
        .count();
    // 37 distinct drugs; 19 name a KB ingredient (counted with a python3 script that looks for
    // each KB name or synonym as whole words in the lower-cased description). The other 18
    // (contraceptive packs, cephalosporins, penicillin V, astemizole...) are coverage gaps.
    assert_eq!(distinct.len(), 37);
    assert_eq!(by_name, 19);
    assert_eq!(by_code, 19);
    let alerts = check_interactions(kb, &["Astemizole 10 MG Oral Tablet"]);
    assert_eq!(alerts[0].kind, AlertKind::UnmappedDrug);
}

#[test]
fn condition_and_ndc_context() {
    // Aliskiren with an ACE inhibitor: contraindicated in diabetes (FDA DSC 2012), else major.
    let mut b = Net::new();
    let p = b.patient("P1");
    b.med(
        p,
        "PCP",
        "29046",
        "lisinopril 10 MG Oral Tablet",
        "2024-01-01",
        None,
    );
    let kb = Kb::embedded();
    let plain = b
        .net
        .check_prescription(
            kb,
            "P1",
            "aliskiren 150 MG Oral Tablet",
            at("2024-02-01"),
            None,
        )
        .unwrap();
    assert_eq!(rule_ids(&plain), ["fda-aliskiren-raas"]);
    assert_eq!(plain[0].severity, Severity::Major);
    let code = b.net.code(CodeSystem::Snomed, "44054006").unwrap();
    b.net.add_condition(Condition {
        patient: p,
        encounter: None,
        code,
        display: None,
        onset: Timestamp::parse_iso("2020-05-01"),
        abatement: None,
        category: ConditionCategory::ProblemList,
        provenance: b.prov,
    });
    let dm = b
        .net
        .check_prescription(
            kb,
            "P1",
            "aliskiren 150 MG Oral Tablet",
            at("2024-02-01"),
            None,
        )
        .unwrap();
    assert_eq!(dm[0].severity, Severity::Contraindicated);
    assert_eq!(dm[0].evidence["condition_code"], "SNOMED|44054006");

    // A vendor NDC map: the NDC resolves to its ingredient and strength.
    let mut kb = kb.clone();
    kb.extend_json(
        br#"{"products": [{"ndc": "0093-0058-01", "ingredients": [6851], "strengths_mg": [2.5]}]}"#,
        "ndc.json",
    )
    .unwrap();
    let d = kb.resolve("00093005801").unwrap();
    assert_eq!(kb.ingredient(d.ingredients[0].0).name, "methotrexate");
    assert_eq!(d.ingredients[0].1, Some(2.5));
    let a = check_interactions(&kb, &["0093-0058-01", "trimethoprim 100 MG Oral Tablet"]);
    assert_eq!(rule_ids(&a), ["fda-methotrexate-trimethoprim"]);
}

#[test]
fn vendor_kb_extends_and_replaces_rules() {
    let vendor = Kb::from_json(
        br#"{"version": "vendor-7",
            "ingredients": [{"rxcui": 36567, "name": "simvastatin"}, {"rxcui": 17767, "name": "amlodipine"},
                            {"rxcui": 8183, "name": "phenytoin", "synonyms": ["dilantin"]}, {"rxcui": 6809, "name": "metformin"}],
            "classes": [{"id": "v_statin", "members": [36567]}],
            "rules": [
              {"id": "fda-simva-20", "a": "36567", "b": "17767", "severity": "moderate",
               "effect": "Myopathy", "management": "Cap simvastatin", "source": "vendor compendium"},
              {"id": "v-1", "a": "8183", "b": "6809", "severity": "minor",
               "effect": "test effect", "management": "test management", "source": "vendor compendium"}]}"#,
        "vendor.json",
    )
    .unwrap();
    let mut kb = Kb::embedded().clone();
    let rules_before = kb.rules.len();
    kb.extend(&vendor).unwrap();
    assert_eq!(kb.rules.len(), rules_before + 1);
    assert_eq!(kb.version(), "2026.11.1+vendor-7");
    // The vendor's rule of the same id replaced ours: no dose cap any more, moderate.
    let a = check_interactions(
        &kb,
        &[
            "Simvastatin 20 MG Oral Tablet",
            "Amlodipine 5 MG Oral Tablet",
        ],
    );
    assert_eq!(rule_ids(&a), ["fda-simva-20"]);
    assert_eq!(a[0].severity, Severity::Moderate);
    assert_eq!(a[0].source, "vendor compendium");
    assert_eq!(
        rule_ids(&check_interactions(&kb, &["Dilantin 100 MG", "metformin"])),
        ["v-1"]
    );
    // Embedded rules are still there.
    assert_eq!(
        rule_ids(&check_interactions(&kb, &["8123", "36437"])),
        ["onc-04"]
    );
    // The vendor KB alone replaces the default one.
    assert!(
        check_interactions(&vendor, &["8123", "36437"])
            .iter()
            .all(|a| a.kind == AlertKind::UnmappedDrug)
    );
}

#[test]
fn synthea_csv_population_sweep() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/synthea_csv");
    let (Ok(mut enc), Ok(mut meds)) = (
        csv::Reader::from_path(format!("{dir}/encounters.csv")),
        csv::Reader::from_path(format!("{dir}/medications.csv")),
    ) else {
        println!("skipping: {dir} not found");
        return;
    };
    // Medications carry their encounter; the encounter gives organisation and prescriber.
    let mut b = Net::new();
    let h = enc.headers().unwrap().clone();
    let col = |h: &csv::StringRecord, n: &str| h.iter().position(|x| x == n).unwrap();
    let (ei, eo, ep) = (col(&h, "Id"), col(&h, "ORGANIZATION"), col(&h, "PROVIDER"));
    let mut by_enc = std::collections::HashMap::new();
    for r in enc.records() {
        let r = r.unwrap();
        by_enc.insert(r[ei].to_string(), (r[eo].to_string(), r[ep].to_string()));
    }
    let h = meds.headers().unwrap().clone();
    let (ms, mt, mp, me, mc, md) = (
        col(&h, "START"),
        col(&h, "STOP"),
        col(&h, "PATIENT"),
        col(&h, "ENCOUNTER"),
        col(&h, "CODE"),
        col(&h, "DESCRIPTION"),
    );
    for r in meds.records() {
        let r = r.unwrap();
        let p = b.patient(&r[mp]);
        let (org_key, prov_key) = by_enc[&r[me]].clone();
        let oid = b.net.intern(&org_key);
        let org = b.net.upsert_organization(
            &org_key,
            Organization {
                id: oid,
                name: None,
                kind: OrgKind::Other,
                identifiers: vec![],
                provenance: b.prov,
            },
        );
        let pid = b.net.intern(&prov_key);
        let pract = b.net.upsert_practitioner(
            &prov_key,
            Practitioner {
                id: pid,
                role: PractitionerRole::Other,
                specialty: None,
                org: Some(org),
                identifiers: vec![],
                provenance: b.prov,
            },
        );
        let code = b.net.code(CodeSystem::RxNorm, &r[mc]).unwrap();
        let display = Some(b.net.intern(&r[md]));
        let stop = Timestamp::parse_iso(&r[mt]);
        b.net.add_medication(MedicationOrder {
            patient: p,
            encounter: None,
            code,
            display,
            start: Timestamp::parse_iso(&r[ms]),
            stop,
            status: if stop.is_some() {
                MedStatus::Stopped
            } else {
                MedStatus::Active
            },
            prescriber: Some(pract),
            org: Some(org),
            source: MedSource::Order,
            provenance: b.prov,
        });
    }
    let s = b.net.drug_interaction_summary(Kb::embedded());
    // Counted with a python3 script over medications.csv + encounters.csv using the same
    // definitions (KB names as whole words; overlap of [start, stop or open] by calendar day;
    // duplicates need different providers): 173 orders, 34 with no KB ingredient, no
    // interacting pair, 9 same-ingredient duplications (chronic inhalers and analgesics
    // re-prescribed by another provider while the first order is still open), all 9 across
    // organisations.
    assert_eq!(s.medication_orders_checked, 173);
    assert_eq!(s.unmapped_orders, 34);
    assert_eq!(s.count, 0);
    assert_eq!(s.therapeutic_duplications, 9);
    assert_eq!(s.duplications_by_class["same_ingredient"], 9);
    assert_eq!(s.cross_org_duplications, 9);
    assert!(b.net.drug_interactions_table(Kb::embedded()).is_empty());
}

#[test]
fn a_memoised_name_follows_a_kb_extension() {
    let mut kb = cin_core::Kb::embedded().clone();
    let name = "Zolpaxamine 10 MG Oral Tablet";
    assert!(kb.resolve(name).is_none());
    assert!(
        kb.resolve(name).is_none(),
        "a miss is memoised, still a miss"
    );
    kb.extend_json(
        br#"{"ingredients": [{"rxcui": 99999901, "name": "zolpaxamine"}]}"#,
        "site.json",
    )
    .unwrap();
    let r = kb.resolve(name).expect("the extended KB knows the name");
    assert_eq!(kb.ingredient(r.ingredients[0].0).name, "zolpaxamine");
    // Repeated lookups give the same answer as the first.
    assert_eq!(
        kb.resolve("Warfarin Sodium 5 MG Oral Tablet"),
        kb.resolve("Warfarin Sodium 5 MG Oral Tablet")
    );
}
