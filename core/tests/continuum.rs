//! Hand-built timelines with known answers for stays, readmissions, follow-up and transitions.

use cin_core::continuum::{CareSetting, FollowupPolicy, ReadmissionPolicy, StayPolicy};
use cin_core::*;

struct Builder {
    net: Network,
    prov: Provenance,
    n: usize,
}

impl Builder {
    fn new() -> Self {
        let mut net = Network::new();
        let feed = net.add_feed(FeedKind::Api, "test");
        let prov = Provenance { org: None, feed };
        let mut b = Builder { net, prov, n: 0 };
        for (key, kind) in [
            ("H1", OrgKind::Hospital),
            ("H2", OrgKind::Hospital),
            ("PCP", OrgKind::Practice),
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
    fn enc(
        &mut self,
        p: PatientIdx,
        setting: Setting,
        org: &str,
        start: &str,
        end: &str,
        disp: Disposition,
    ) -> EncIdx {
        self.enc_full(p, setting, org, start, end, disp, AdmissionType::Emergency)
    }
    #[allow(clippy::too_many_arguments)]
    fn enc_full(
        &mut self,
        p: PatientIdx,
        setting: Setting,
        org: &str,
        start: &str,
        end: &str,
        disp: Disposition,
        adm: AdmissionType,
    ) -> EncIdx {
        self.n += 1;
        let key = format!("e{}", self.n);
        let id = self.net.intern(&key);
        let org = self.net.organization_by_key(org);
        self.net.upsert_encounter(
            &key,
            Encounter {
                id,
                patient: p,
                setting,
                start: Timestamp::parse_iso(start).unwrap(),
                end: Timestamp::parse_iso(end),
                org,
                practitioner: None,
                admission_type: adm,
                disposition: disp,
                type_code: None,
                provenance: self.prov,
            },
        )
    }
    fn principal(&mut self, e: EncIdx, icd: &str) {
        let code = self.net.code(CodeSystem::Icd10Cm, icd).unwrap();
        self.net.add_diagnosis(Diagnosis {
            encounter: e,
            code,
            principal: true,
        });
    }
}

fn policy(days: i64, end: &str) -> ReadmissionPolicy {
    ReadmissionPolicy {
        data_end: Timestamp::parse_iso(end),
        ..ReadmissionPolicy::days(days)
    }
}

#[test]
fn transfer_chain_is_one_stay_and_the_last_hospital_is_the_index() {
    let mut b = Builder::new();
    let p = b.patient("p1");
    let e1 = b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-01-01T10:00",
        "2024-01-03T09:00",
        Disposition::AcuteTransfer,
    );
    // Admitted at H2 the next day: a direct transfer, chained.
    let e2 = b.enc(
        p,
        Setting::Inpatient,
        "H2",
        "2024-01-04T08:00",
        "2024-01-08T12:00",
        Disposition::Home,
    );
    // Readmitted at H1 12 days after the chain's discharge.
    let e3 = b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-01-20T08:00",
        "2024-01-22T12:00",
        Disposition::Home,
    );
    let stays = b.net.stays();
    assert_eq!(stays.len(), 2);
    assert_eq!(stays[0].encounters, vec![e1, e2]);
    assert!(stays[0].is_transfer_chain());
    assert_eq!(stays[0].los_days(), Some(7));
    let (rows, summary) = b.net.readmissions_with(&policy(30, "2024-12-31"));
    assert_eq!(summary.index_stays, 2);
    assert_eq!(summary.readmissions, 1);
    assert_eq!(rows[0].index_encounter, e2);
    assert_eq!(rows[0].readmit_encounter, e3);
    assert_eq!(rows[0].days_between, 12);
    // Discharged by H2, readmitted to H1: cross-organisation.
    assert!(rows[0].cross_org);
    assert_eq!(summary.cross_org, 1);
}

#[test]
fn a_gap_of_two_days_is_not_a_transfer() {
    let mut b = Builder::new();
    let p = b.patient("p1");
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-01-01T10:00",
        "2024-01-03T09:00",
        Disposition::Home,
    );
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-01-05T08:00",
        "2024-01-08T12:00",
        Disposition::Home,
    );
    let (rows, summary) = b.net.readmissions_with(&policy(30, "2024-12-31"));
    assert_eq!(b.net.stays().len(), 2);
    assert_eq!(summary.readmissions, 1);
    assert_eq!(rows[0].days_between, 2);
    assert!(!rows[0].cross_org);
}

#[test]
fn death_same_day_against_advice_and_run_out_exclude_the_index() {
    let mut b = Builder::new();
    // Died in hospital: not an index stay (the later stay has nothing to follow it).
    let p1 = b.patient("p1");
    b.enc(
        p1,
        Setting::Inpatient,
        "H1",
        "2024-03-01T10:00",
        "2024-03-04T09:00",
        Disposition::Expired,
    );
    // Same-day stay followed by a readmission: the same-day stay is not an index.
    let p2 = b.patient("p2");
    b.enc(
        p2,
        Setting::Inpatient,
        "H1",
        "2024-03-01T08:00",
        "2024-03-01T20:00",
        Disposition::Home,
    );
    b.enc(
        p2,
        Setting::Inpatient,
        "H1",
        "2024-03-10T08:00",
        "2024-03-12T20:00",
        Disposition::Home,
    );
    // Left against advice and came back: not counted.
    let p3 = b.patient("p3");
    b.enc(
        p3,
        Setting::Inpatient,
        "H1",
        "2024-04-01T08:00",
        "2024-04-03T20:00",
        Disposition::LeftAgainstAdvice,
    );
    b.enc(
        p3,
        Setting::Inpatient,
        "H1",
        "2024-04-10T08:00",
        "2024-04-12T20:00",
        Disposition::Home,
    );
    // Discharged 10 days before the end of the data: window incomplete.
    let p4 = b.patient("p4");
    b.enc(
        p4,
        Setting::Inpatient,
        "H2",
        "2024-12-18T08:00",
        "2024-12-21T20:00",
        Disposition::Home,
    );
    let (rows, summary) = b.net.readmissions_with(&policy(30, "2024-12-31"));
    // Eligible: p2's second stay and p3's second stay.
    assert_eq!(summary.index_stays, 2);
    assert_eq!(summary.readmissions, 0);
    assert!(rows.is_empty());
    // Without the run-out rule p4 counts too.
    let loose = ReadmissionPolicy {
        require_full_window: false,
        ..policy(30, "2024-12-31")
    };
    assert_eq!(b.net.readmissions_with(&loose).1.index_stays, 3);
}

#[test]
fn planned_readmission_is_not_counted_and_hides_the_next_one() {
    let mut b = Builder::new();
    let p = b.patient("p1");
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-05-01T08:00",
        "2024-05-05T08:00",
        Disposition::Home,
    );
    let chemo = b.enc_full(
        p,
        Setting::Inpatient,
        "H1",
        "2024-05-10T08:00",
        "2024-05-12T08:00",
        Disposition::Home,
        AdmissionType::Urgent,
    );
    b.principal(chemo, "Z51.11");
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-05-20T08:00",
        "2024-05-22T08:00",
        Disposition::Home,
    );
    let (rows, summary) = b.net.readmissions_with(&policy(30, "2024-12-31"));
    // Three index stays; the first's next stay is planned, the chemo stay's next is unplanned.
    assert_eq!(summary.index_stays, 3);
    assert_eq!(summary.readmissions, 1);
    assert_eq!(rows[0].days_between, 8);
    let all = ReadmissionPolicy {
        exclude_planned: false,
        ..policy(30, "2024-12-31")
    };
    let (rows, _) = b.net.readmissions_with(&all);
    assert_eq!(rows.len(), 2);
    assert!(rows[0].planned);
}

#[test]
fn observation_stays_count_only_when_asked() {
    let mut b = Builder::new();
    let p = b.patient("p1");
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-05-01T08:00",
        "2024-05-05T08:00",
        Disposition::Home,
    );
    b.enc(
        p,
        Setting::Observation,
        "H1",
        "2024-05-15T08:00",
        "2024-05-16T08:00",
        Disposition::Home,
    );
    assert_eq!(
        b.net
            .readmissions_with(&policy(30, "2024-12-31"))
            .1
            .readmissions,
        0
    );
    let pcr = ReadmissionPolicy {
        stays: StayPolicy {
            include_observation: true,
            ..Default::default()
        },
        ..policy(30, "2024-12-31")
    };
    assert_eq!(b.net.readmissions_with(&pcr).1.readmissions, 1);
}

#[test]
fn followup_within_7_and_30_days_and_misses() {
    let mut b = Builder::new();
    // Seen on day 5: followed up at 7 and 30 days.
    let p1 = b.patient("p1");
    let d1 = b.enc(
        p1,
        Setting::Inpatient,
        "H1",
        "2024-02-01T08:00",
        "2024-02-04T08:00",
        Disposition::Home,
    );
    let v1 = b.enc(
        p1,
        Setting::Ambulatory,
        "PCP",
        "2024-02-09T09:00",
        "2024-02-09T09:30",
        Disposition::Unknown,
    );
    // Seen only on the discharge day and then on day 20: a 7-day miss, a 30-day hit.
    let p2 = b.patient("p2");
    b.enc(
        p2,
        Setting::Inpatient,
        "H2",
        "2024-03-01T08:00",
        "2024-03-03T08:00",
        Disposition::HomeHealth,
    );
    b.enc(
        p2,
        Setting::Ambulatory,
        "PCP",
        "2024-03-03T15:00",
        "2024-03-03T15:30",
        Disposition::Unknown,
    );
    b.enc(
        p2,
        Setting::Virtual,
        "PCP",
        "2024-03-23T15:00",
        "2024-03-23T15:30",
        Disposition::Unknown,
    );
    // An ED visit is not follow-up.
    let p3 = b.patient("p3");
    b.enc(
        p3,
        Setting::Inpatient,
        "H2",
        "2024-04-01T08:00",
        "2024-04-03T08:00",
        Disposition::Home,
    );
    b.enc(
        p3,
        Setting::Emergency,
        "H2",
        "2024-04-05T08:00",
        "2024-04-05T12:00",
        Disposition::Home,
    );
    // Discharged to a SNF: not in the denominator.
    let p4 = b.patient("p4");
    b.enc(
        p4,
        Setting::Inpatient,
        "H1",
        "2024-04-01T08:00",
        "2024-04-03T08:00",
        Disposition::Snf,
    );

    let end = Timestamp::parse_iso("2024-12-31");
    let (rows7, s7) = b.net.followups_with(&FollowupPolicy {
        data_end: end,
        ..FollowupPolicy::days(7)
    });
    assert_eq!(s7.discharges, 3);
    assert_eq!(s7.followed_up, 1);
    assert_eq!(rows7[0].discharge_encounter, d1);
    assert_eq!(rows7[0].followup_encounter, Some(v1));
    assert_eq!(rows7[0].days, Some(5));
    assert_eq!(rows7[1].followup_encounter, None);
    let (_, s30) = b.net.followups_with(&FollowupPolicy {
        data_end: end,
        ..FollowupPolicy::days(30)
    });
    assert_eq!((s30.discharges, s30.followed_up), (3, 2));
}

#[test]
fn utilisation_before_a_stay() {
    let mut b = Builder::new();
    let p = b.patient("p1");
    b.enc(
        p,
        Setting::Emergency,
        "H1",
        "2023-09-01T08:00",
        "2023-09-01T12:00",
        Disposition::Home,
    );
    b.enc(
        p,
        Setting::Emergency,
        "H2",
        "2024-01-10T08:00",
        "2024-01-10T12:00",
        Disposition::Home,
    );
    b.enc(
        p,
        Setting::Emergency,
        "H1",
        "2024-03-01T08:00",
        "2024-03-01T12:00",
        Disposition::Home,
    );
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2023-12-01T08:00",
        "2023-12-03T08:00",
        Disposition::Home,
    );
    // The ED visit that led to this admission (same day) is not counted.
    b.enc(
        p,
        Setting::Emergency,
        "H1",
        "2024-05-01T02:00",
        "2024-05-01T07:00",
        Disposition::Unknown,
    );
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-05-01T08:00",
        "2024-05-04T08:00",
        Disposition::Home,
    );
    let admit = Timestamp::parse_iso("2024-05-01T08:00").unwrap();
    assert_eq!(b.net.ed_visits_before(p, admit, 182), 2);
    let stays = b.net.stays();
    assert_eq!(b.net.admissions_before(&stays[1], 365), 1);
}

#[test]
fn transitions_hospital_snf_home_health_home() {
    let mut b = Builder::new();
    let p = b.patient("p1");
    b.enc(
        p,
        Setting::Emergency,
        "H1",
        "2024-06-01T01:00",
        "2024-06-01T05:00",
        Disposition::Unknown,
    );
    b.enc(
        p,
        Setting::Inpatient,
        "H1",
        "2024-06-01T06:00",
        "2024-06-05T10:00",
        Disposition::Snf,
    );
    b.enc(
        p,
        Setting::Snf,
        "PCP",
        "2024-06-05T14:00",
        "2024-06-20T10:00",
        Disposition::HomeHealth,
    );
    b.enc(
        p,
        Setting::HomeHealth,
        "PCP",
        "2024-06-22T10:00",
        "2024-06-22T11:00",
        Disposition::Unknown,
    );
    b.enc(
        p,
        Setting::HomeHealth,
        "PCP",
        "2024-06-29T10:00",
        "2024-06-29T11:00",
        Disposition::Unknown,
    );
    let t = b.net.transitions();
    let path: Vec<(CareSetting, CareSetting)> = t.iter().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        path,
        vec![
            (CareSetting::Emergency, CareSetting::Hospital),
            (CareSetting::Hospital, CareSetting::Snf),
            (CareSetting::Snf, CareSetting::HomeHealth),
            (CareSetting::HomeHealth, CareSetting::Home),
        ]
    );
    assert!(t[1].cross_org);
    assert_eq!(t[2].gap_days, 2);
    let s = b.net.transition_summary();
    assert_eq!(s.counts.get("hospital->snf"), Some(&1));
    assert_eq!(s.total, 4);
}

#[test]
fn records_merged_across_organisations_share_one_timeline() {
    let mut b = Builder::new();
    let a = b.net.upsert_patient(
        &PatientInput {
            id: "H1-123",
            identifiers: vec![("ssn", "1")],
            ..Default::default()
        },
        b.prov,
    );
    let c = b.net.upsert_patient(
        &PatientInput {
            id: "PCP-9",
            identifiers: vec![("ssn", "1")],
            ..Default::default()
        },
        b.prov,
    );
    assert_eq!(a, c);
    b.enc(
        a,
        Setting::Inpatient,
        "H1",
        "2024-01-01T10:00",
        "2024-01-03T09:00",
        Disposition::Home,
    );
    b.enc(
        c,
        Setting::Ambulatory,
        "PCP",
        "2024-01-05T10:00",
        "2024-01-05T10:20",
        Disposition::Unknown,
    );
    let tl = b.net.timeline(a);
    assert_eq!(tl.len(), 2);
    assert_eq!(tl[1].what, "ambulatory");
    let (_, s) = b.net.followups_with(&FollowupPolicy {
        data_end: Timestamp::parse_iso("2024-12-31"),
        ..FollowupPolicy::days(7)
    });
    assert_eq!((s.discharges, s.followed_up), (1, 1));
}
