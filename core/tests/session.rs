//! A session's real-time HL7 path runs the duplicate-test and drug-interaction checks with the
//! session's knowledge bases.

use cin_core::{AlertKind, Session};

fn msg(segments: &[&str]) -> Vec<u8> {
    let mut s = segments.join("\r");
    s.push('\r');
    s.into_bytes()
}

const PID: &str = "PID|1||P1^^^CLINIC^MR||DOE^JANE||19600101|F";

#[test]
fn an_order_repeating_a_recent_result_is_flagged_in_real_time() {
    let mut s = Session::new();
    let oru = msg(&[
        "MSH|^~\\&|LAB|GENHOSP|CIN|CIN|20240301090000||ORU^R01|L1|P|2.5.1",
        PID,
        "OBR|1|900||4548-4^Hemoglobin A1c^LN|||20240301080000",
        "OBX|1|NM|4548-4^Hemoglobin A1c^LN||5.4|%|||||F|||20240301080000",
    ]);
    // A normal result (an abnormal one may be confirmed once without an alert).
    let r = s.ingest_hl7(&oru);
    assert!(r.ack.contains("MSA|AA"), "{}", r.ack);
    let orm = msg(&[
        "MSH|^~\\&|EHR|CLINIC|LAB|LAB|20240310100000||ORM^O01|O1|P|2.3",
        PID,
        "ORC|NW|123||||||||||77^ORDERING^DOC",
        "OBR|1|123||4548-4^Hemoglobin A1c^LN|||20240310100000",
    ]);
    let r = s.ingest_hl7(&orm);
    let dup: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::DuplicateTest)
        .collect();
    assert_eq!(dup.len(), 1, "{:?}", r.alerts);
    // The same check at order entry agrees (HL7 patients are keyed `authority|id`).
    let direct = s
        .check_order(
            "CLINIC|P1",
            "http://loinc.org",
            "4548-4",
            Some("2024-03-10"),
            None,
        )
        .unwrap();
    assert_eq!(direct.len(), 1);
    assert_eq!(direct[0].rule_id, dup[0].rule_id);
    assert_eq!(direct[0].evidence["prior_kind"], "result");
    assert_eq!(s.loads().len(), 2);
}

#[test]
fn a_first_order_is_not_a_duplicate_of_itself() {
    let mut s = Session::new();
    let orm = msg(&[
        "MSH|^~\\&|EHR|CLINIC|LAB|LAB|20240310100000||ORM^O01|O1|P|2.3",
        PID,
        "ORC|NW|123||||||||||77^ORDERING^DOC",
        "OBR|1|123||4548-4^Hemoglobin A1c^LN|||20240310100000",
    ]);
    let r = s.ingest_hl7(&orm);
    assert!(
        r.alerts.iter().all(|a| a.kind != AlertKind::DuplicateTest),
        "{:?}",
        r.alerts
    );
    // The same order again a minute later is one.
    let again = String::from_utf8(orm)
        .unwrap()
        .replace("20240310100000", "20240310100100");
    let r = s.ingest_hl7(again.as_bytes());
    assert!(r.alerts.iter().any(|a| a.kind == AlertKind::DuplicateTest));
}

#[test]
fn a_prescription_interacting_with_another_prescribers_drug_is_flagged() {
    let mut s = Session::new();
    let rde = |id: &str, day: &str, drug: &str| {
        msg(&[
            &format!("MSH|^~\\&|EHR|CLINIC|RX|RX|{day}||RDE^O11|{id}|P|2.5"),
            PID,
            "ORC|NW|555||||||||||77^ORDERING^DOC",
            &format!("RXE|^^^{day}|{drug}|1"),
        ])
    };
    let r = s.ingest_hl7(&rde("R1", "20240301", "11289^Warfarin^RXNORM"));
    assert!(
        r.alerts
            .iter()
            .all(|a| a.kind != AlertKind::DrugInteraction)
    );
    let r = s.ingest_hl7(&rde("R2", "20240305", "5640^Ibuprofen^RXNORM"));
    assert!(
        r.alerts
            .iter()
            .any(|a| a.kind == AlertKind::DrugInteraction),
        "{:?}",
        r.alerts
    );
    // A site KB that replaces the embedded one changes the real-time answer too.
    s.load_drug_kb(b"{}", "empty.json", true).unwrap();
    let r = s.ingest_hl7(&rde("R3", "20240306", "5640^Ibuprofen^RXNORM"));
    assert!(
        r.alerts
            .iter()
            .all(|a| a.kind != AlertKind::DrugInteraction)
    );
}

#[test]
fn measures_run_on_tuva_claims() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/claims_tuva");
    if !std::path::Path::new(dir).exists() {
        eprintln!("skipped: {dir} missing");
        return;
    }
    let mut s = Session::new();
    let rep = s.load_claims_tuva(std::path::Path::new(dir)).unwrap();
    assert!(rep.issues.is_empty(), "{:?}", rep.issues);
    // The sample covers 2018 (to December 22): the default period would be 2017.
    let period = ("2018-01-01", "2018-12-31");
    let t = s.measures(Some(period)).unwrap();
    let col = |name: &str| t.column(name).unwrap().clone();
    let (cin_core::Column::Str(ids), cin_core::Column::Str(levels), cin_core::Column::Int(dens)) =
        (col("measure_id"), col("level"), col("denominator"))
    else {
        panic!("column types");
    };
    let network: Vec<(String, i64)> = (0..t.len())
        .filter(|&i| levels[i].as_deref() == Some("network"))
        .map(|i| (ids[i].clone().unwrap(), dens[i].unwrap()))
        .collect();
    assert_eq!(network.len(), s.measure_set().measures().len());
    // The readmission denominator is the index stays discharged in the period, as the
    // continuum engine counts them.
    let net = s.network();
    let p = net
        .measurement_period(cin_core::session::parse_period_arg(Some(period)).unwrap())
        .unwrap();
    let policy = cin_core::continuum::ReadmissionPolicy::days(30);
    let stays = net
        .index_stays_with(&policy)
        .iter()
        .filter_map(|(stay, _)| stay.discharge)
        .filter(|d| (p.start_day..=p.end_day).contains(&d.day()))
        .count() as i64;
    let readmission = network
        .iter()
        .find(|(id, _)| id == "readmission_30d")
        .unwrap();
    assert_eq!(readmission.1, stays);
    assert!(stays > 0, "the claims sample has inpatient stays in 2018");
}

#[test]
fn one_evaluation_gives_the_same_measures_and_gaps_as_two() {
    let s = Session::synthetic(400, 11);
    let net = s.network();
    let p = net.measurement_period(None).unwrap();
    let range = Some((p.start(), p.end()));
    let set = s.measure_set();
    let (table, gaps) = net.measures_and_care_gaps(set, range, &[]).unwrap();
    let json = |t: cin_core::Table| t.to_json_columns();
    assert_eq!(
        json(table),
        json(net.measures_table(set, range, &[]).unwrap())
    );
    let separate = net.care_gaps_table(set, range, &[]).unwrap();
    assert!(!separate.is_empty());
    assert_eq!(json(gaps), json(separate));
}

#[test]
fn one_scan_gives_the_same_summary_and_flags_as_two() {
    let s = Session::synthetic(400, 5);
    let net = s.network();
    let p = net.measurement_period(None).unwrap();
    let (dup, dup_flags) = net.duplicate_test_summary_and_flags(s.rules(), Some(p));
    assert_eq!(dup, net.duplicate_test_summary(s.rules()));
    let alone = net.duplicate_test_flags(s.rules(), p).per_patient;
    assert!(!alone.is_empty());
    assert_eq!(dup_flags.unwrap().per_patient, alone);
    let (ddi, ddi_flags) = net.drug_interaction_summary_and_flags(s.kb(), Some(p));
    assert_eq!(ddi, net.drug_interaction_summary(s.kb()));
    assert_eq!(
        ddi_flags.unwrap().per_patient,
        net.ddi_exposure_flags(s.kb(), p).per_patient
    );
    assert!(
        net.duplicate_test_summary_and_flags(s.rules(), None)
            .1
            .is_none()
    );
}
