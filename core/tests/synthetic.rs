//! The built-in synthetic network: reproducible, sized by its argument, multi-organisation,
//! with plausible prevalences and the cross-organisation events the analyses look for.
//!
//! The 20,000-patient network is built once and shared by the tests that inspect its content.

use cin_core::model::*;
use cin_core::{CodeSystem, Network, Timestamp};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const N: usize = 20_000;

fn net() -> &'static Network {
    static NET: OnceLock<Network> = OnceLock::new();
    NET.get_or_init(|| Network::synthetic(N, 42))
}

/// A digest of every fact, so two networks can be compared field by field.
fn fingerprint(net: &Network) -> Vec<String> {
    let mut out = Vec::new();
    for p in &net.patients {
        out.push(format!(
            "P {} {:?} {:?} {:?}",
            net.str(p.id),
            p.birth_date,
            p.sex,
            p.death_date
        ));
    }
    for e in &net.encounters {
        out.push(format!(
            "E {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            net.str(e.id),
            e.patient.0,
            e.setting,
            e.start,
            e.end,
            e.org,
            e.practitioner,
            e.admission_type,
            e.disposition
        ));
    }
    for d in &net.diagnoses {
        out.push(format!(
            "D {} {} {}",
            d.encounter.0,
            net.str(d.code.value),
            d.principal
        ));
    }
    for o in &net.observations {
        let v = match o.value {
            ObsValue::Number(x) => x.to_bits(),
            _ => 0,
        };
        out.push(format!(
            "O {} {} {} {:?} {:?}",
            o.patient.0,
            net.str(o.code.value),
            v,
            o.time,
            o.provenance.org
        ));
    }
    for m in &net.medications {
        out.push(format!(
            "M {} {} {:?} {:?} {:?}",
            m.patient.0,
            net.str(m.code.value),
            m.start,
            m.stop,
            m.prescriber
        ));
    }
    for p in &net.procedures {
        out.push(format!(
            "X {} {} {:?} {:?}",
            p.patient.0,
            net.str(p.code.value),
            p.time,
            p.kind
        ));
    }
    for c in &net.conditions {
        out.push(format!(
            "C {} {} {:?}",
            c.patient.0,
            net.str(c.code.value),
            c.onset
        ));
    }
    for c in &net.care_team {
        out.push(format!(
            "T {} {:?} {:?}",
            c.patient.0, c.practitioner, c.role
        ));
    }
    out
}

#[test]
fn same_seed_same_network_other_seed_other_network() {
    let a = Network::synthetic(1_500, 7);
    let b = Network::synthetic(1_500, 7);
    let c = Network::synthetic(1_500, 8);
    let fa = fingerprint(&a);
    assert_eq!(fa, fingerprint(&b));
    assert_eq!(a.counts(), b.counts());
    assert_ne!(fa, fingerprint(&c));
    assert_eq!(a.feeds[0].received, b.feeds[0].received, "no wall clock");
}

#[test]
fn zero_patients_gives_the_organisations_only() {
    let net = Network::synthetic(0, 1);
    let c = net.counts();
    assert_eq!(c.patients, 0);
    assert_eq!(c.encounters, 0);
    assert_eq!(c.observations, 0);
    assert!(c.organizations >= 20, "{c:?}");
    assert!(c.practitioners > 0);
}

#[test]
fn counts_scale_with_the_number_of_patients() {
    let small = Network::synthetic(1_000, 3).counts();
    let large = Network::synthetic(4_000, 3).counts();
    assert_eq!(small.patients, 1_000);
    assert_eq!(large.patients, 4_000);
    for (what, s, l) in [
        ("encounters", small.encounters, large.encounters),
        ("observations", small.observations, large.observations),
        ("medications", small.medications, large.medications),
        ("procedures", small.procedures, large.procedures),
        ("conditions", small.conditions, large.conditions),
    ] {
        let ratio = l as f64 / s as f64;
        assert!((3.3..4.7).contains(&ratio), "{what}: {s} -> {l}");
    }
    // Patient i is the same person whatever the network size: same birth date and sex.
    let a = Network::synthetic(50, 11);
    let b = Network::synthetic(80, 11);
    for i in 0..50 {
        assert_eq!(a.patients[i].birth_date, b.patients[i].birth_date);
        assert_eq!(a.patients[i].sex, b.patients[i].sex);
    }
}

#[test]
fn every_kind_of_organisation_and_role_is_present() {
    let net = net();
    let mut kinds: HashMap<OrgKind, usize> = HashMap::new();
    for o in &net.organizations {
        *kinds.entry(o.kind).or_default() += 1;
    }
    assert!(kinds[&OrgKind::Hospital] >= 3);
    assert!(kinds[&OrgKind::Practice] >= 10);
    assert!(kinds[&OrgKind::SpecialistPractice] >= 4);
    assert!(kinds[&OrgKind::Snf] >= 1);
    assert_eq!(kinds[&OrgKind::Rehab], 1);
    assert!(kinds[&OrgKind::HomeHealth] >= 1);
    assert_eq!(kinds[&OrgKind::Hospice], 1);
    assert!(kinds[&OrgKind::Community] >= 2);
    assert_eq!(kinds[&OrgKind::Payer], 1);
    let roles: HashSet<PractitionerRole> = net.practitioners.iter().map(|p| p.role).collect();
    for r in [
        PractitionerRole::Pcp,
        PractitionerRole::Specialist,
        PractitionerRole::CareManager,
        PractitionerRole::CommunityHealthWorker,
        PractitionerRole::Other,
    ] {
        assert!(roles.contains(&r), "{r:?}");
    }
    // Every fact's organisation is where it happened: encounters carry their org in provenance.
    assert!(
        net.encounters
            .iter()
            .all(|e| e.org.is_some() && e.provenance.org == e.org)
    );
    assert!(net.feeds.iter().all(|f| f.kind == FeedKind::Synthetic));
    // Every setting the task lists occurs.
    let settings: HashSet<Setting> = net.encounters.iter().map(|e| e.setting).collect();
    for s in [
        Setting::Ambulatory,
        Setting::Wellness,
        Setting::Virtual,
        Setting::Emergency,
        Setting::Inpatient,
        Setting::Observation,
        Setting::Snf,
        Setting::Rehab,
        Setting::HomeHealth,
        Setting::Hospice,
    ] {
        assert!(settings.contains(&s), "{s:?}");
    }
}

fn end() -> Timestamp {
    Timestamp::from_ymd(2025, 12, 31).unwrap()
}

/// Share of adults (18+ at the end of the data) with a problem-list code starting with any of
/// `prefixes` (ICD-10-CM, no dots).
fn adult_prevalence(net: &Network, prefixes: &[&str]) -> f64 {
    let mut adults = 0;
    let mut with = 0;
    for &p in net.patient_list() {
        let birth = net.patient(p).birth_date.unwrap();
        if birth.years_until(end()) < 18 {
            continue;
        }
        adults += 1;
        let has = net.patient_conditions(p).any(|c| {
            c.category == ConditionCategory::ProblemList
                && prefixes
                    .iter()
                    .any(|x| net.str(c.code.value).starts_with(x))
        });
        with += has as usize;
    }
    with as f64 / adults as f64
}

#[test]
fn prevalences_are_in_published_bands() {
    let net = net();
    let bands: &[(&str, &[&str], f64, f64)] = &[
        // CDC National Diabetes Statistics Report: 11-15 % of adults (diagnosed ~11 %).
        ("diabetes", &["E11"], 0.08, 0.18),
        // NCHS Data Brief 364: 45 % with the 130/80 definition; I10-I13 carry hypertension.
        ("hypertension", &["I10", "I11", "I12", "I13"], 0.30, 0.50),
        ("heart failure", &["I50"], 0.01, 0.045),
        ("COPD", &["J44"], 0.03, 0.09),
        ("asthma", &["J45"], 0.05, 0.11),
        ("CKD 3-5", &["N183", "N184", "N185"], 0.09, 0.19),
        ("atrial fibrillation", &["I48"], 0.015, 0.06),
        ("depression", &["F32", "F33"], 0.06, 0.14),
        ("dementia", &["F03", "G30"], 0.005, 0.04),
    ];
    for &(name, prefixes, lo, hi) in bands {
        let p = adult_prevalence(net, prefixes);
        assert!((lo..=hi).contains(&p), "{name}: {p:.3} not in {lo}-{hi}");
    }
    // Diabetes complications, CKD stages and metastatic cancer are all coded somewhere.
    let codes: HashSet<&str> = net
        .conditions
        .iter()
        .map(|c| net.str(c.code.value))
        .collect();
    for c in [
        "E1122", "E1140", "E1165", "N1831", "N1832", "N184", "N185", "C787", "C7951",
    ] {
        assert!(codes.contains(c), "{c}");
    }
    // Age and sex: some children, about half women, prevalence rising with age.
    let pts = net.patient_list();
    let children = pts
        .iter()
        .filter(|&&p| net.patient(p).birth_date.unwrap().years_until(end()) < 18)
        .count() as f64
        / pts.len() as f64;
    assert!((0.05..0.20).contains(&children), "{children}");
    let women = pts
        .iter()
        .filter(|&&p| net.patient(p).sex == Sex::Female)
        .count() as f64
        / pts.len() as f64;
    assert!((0.47..0.56).contains(&women), "{women}");
    let deaths = pts.iter().filter(|&&p| net.patient(p).deceased).count();
    assert!(deaths > 100, "{deaths}");
    // Most patients, not all, have an attributed PCP.
    let attributed: HashSet<PatientIdx> = net
        .care_team
        .iter()
        .filter(|m| m.role == PractitionerRole::Pcp)
        .map(|m| m.patient)
        .collect();
    let share = attributed.len() as f64 / pts.len() as f64;
    assert!((0.85..0.95).contains(&share), "{share}");
}

#[test]
fn readmissions_exist_and_some_cross_organisations() {
    let net = net();
    let rows = net.readmissions(30);
    let (_, summary) = net.readmissions_with(&cin_core::continuum::ReadmissionPolicy::days(30));
    assert!(rows.len() > 100, "{summary:?}");
    assert!(rows.iter().any(|r| r.cross_org));
    assert!(rows.iter().any(|r| !r.cross_org));
    // All-payer 30-day readmission rate is about 14 % (HCUP SB #248).
    assert!((0.09..0.22).contains(&summary.rate), "{summary:?}");
    // Direct transfers chain into one stay: some stays span two hospitals.
    let chains = net
        .stays()
        .into_iter()
        .filter(|s| s.is_transfer_chain())
        .count();
    assert!(chains > 5, "{chains}");
}

#[test]
fn follow_ups_are_met_and_missed() {
    let net = net();
    let rows = net.followups(7);
    let met = rows
        .iter()
        .filter(|f| f.followup_encounter.is_some())
        .count();
    let missed = rows.len() - met;
    assert!(met > 100 && missed > 100, "met {met} missed {missed}");
    let rate = met as f64 / rows.len() as f64;
    assert!((0.45..0.68).contains(&rate), "{rate}");
}

#[test]
fn transitions_run_hospital_to_snf_to_home_health_to_home() {
    let net = net();
    let mut by_patient: HashMap<PatientIdx, Vec<(Timestamp, &str, &str)>> = HashMap::new();
    for t in net.transitions() {
        by_patient
            .entry(t.patient)
            .or_default()
            .push((t.at, t.from.as_str(), t.to.as_str()));
    }
    let full_chain = by_patient.values().filter(|ts| {
        ts.windows(3).any(|w| {
            (w[0].1, w[0].2) == ("hospital", "snf")
                && (w[1].1, w[1].2) == ("snf", "home_health")
                && (w[2].1, w[2].2) == ("home_health", "home")
        })
    });
    assert!(full_chain.count() > 20);
}

fn obs_code(net: &Network, loinc: &str) -> Code {
    net.find_code(CodeSystem::Loinc, loinc).unwrap()
}

/// Patients with the same test at two organisations within `days` days.
fn cross_org_repeats(net: &Network, code: Code, days: i64) -> usize {
    let mut n = 0;
    for &p in net.patient_list() {
        let results: Vec<&Observation> = net
            .patient_observations(p)
            .filter(|o| o.code == code)
            .collect();
        let repeated = results.windows(2).any(|w| {
            w[0].provenance.org != w[1].provenance.org
                && w[0].time.unwrap().days_until(w[1].time.unwrap()) <= days
        });
        n += repeated as usize;
    }
    n
}

#[test]
fn tests_are_repeated_at_another_organisation_within_days() {
    let net = net();
    assert!(
        cross_org_repeats(net, obs_code(net, "4548-4"), 30) > 20,
        "HbA1c"
    );
    assert!(
        cross_org_repeats(net, obs_code(net, "2951-2"), 3) > 20,
        "sodium (BMP)"
    );
    // Imaging repeated at a second hospital's ED.
    let ct_head = net.find_code(CodeSystem::CptHcpcs, "70450").unwrap();
    let mut imaging = 0;
    for &p in net.patient_list() {
        let done: Vec<&Procedure> = net
            .patient_procedures(p)
            .filter(|x| x.code == ct_head && x.kind == ProcedureKind::Performed)
            .collect();
        imaging += done.windows(2).any(|w| {
            w[0].org != w[1].org && w[0].time.unwrap().days_until(w[1].time.unwrap()) <= 30
        }) as usize;
    }
    assert!(imaging > 3, "{imaging}");
    // Some orders are still pending: ordered, never performed afterwards.
    let pending = net
        .procedures
        .iter()
        .filter(|o| o.kind == ProcedureKind::Ordered)
        .filter(|o| {
            !net.patient_procedures(o.patient)
                .any(|x| x.kind == ProcedureKind::Performed && x.code == o.code && x.time > o.time)
        })
        .count();
    assert!(pending > 10, "{pending}");
    // Blood pressure: systolic and diastolic as two observations at the same time.
    let sys = obs_code(net, "8480-6");
    let dia = obs_code(net, "8462-4");
    let times = |c: Code| -> Vec<(PatientIdx, Option<Timestamp>)> {
        net.observations
            .iter()
            .filter(|o| o.code == c)
            .map(|o| (o.patient, o.time))
            .collect()
    };
    assert_eq!(times(sys), times(dia));
    assert!(!times(sys).is_empty());
}

#[test]
fn screenings_are_recorded() {
    let net = net();
    let count = |code: &str| {
        let c = net.find_code(CodeSystem::CptHcpcs, code).unwrap();
        net.procedures.iter().filter(|p| p.code == c).count()
    };
    assert!(count("77067") > 500);
    assert!(count("45378") > 500);
    assert!(count("82274") > 200);
    assert!(count("74263") > 50);
}

/// Patients with both drugs active at the same time from different prescribers.
fn pairs(net: &Network, a: &[&str], b: &[&str]) -> usize {
    let codes = |xs: &[&str]| -> Vec<Code> {
        xs.iter()
            .filter_map(|x| net.find_code(CodeSystem::RxNorm, x))
            .collect()
    };
    let (ca, cb) = (codes(a), codes(b));
    let far = Timestamp::from_ymd(2100, 1, 1).unwrap();
    let mut n = 0;
    for &p in net.patient_list() {
        let meds: Vec<&MedicationOrder> = net.patient_medications(p).collect();
        let found = meds.iter().any(|x| {
            ca.contains(&x.code)
                && meds.iter().any(|y| {
                    cb.contains(&y.code)
                        && x.prescriber != y.prescriber
                        && x.start.unwrap() <= y.stop.unwrap_or(far)
                        && y.start.unwrap() <= x.stop.unwrap_or(far)
                })
        });
        n += found as usize;
    }
    n
}

#[test]
fn interacting_and_duplicate_drugs_come_from_different_prescribers() {
    let net = net();
    for (name, a, b) in [
        ("warfarin + NSAID", &["11289"][..], &["5640", "7258"][..]),
        ("simvastatin + clarithromycin", &["36567"], &["21212"]),
        ("methotrexate + trimethoprim", &["6851"], &["10829"]),
        ("sildenafil + nitroglycerin", &["136411"], &["4917"]),
        ("spironolactone + potassium", &["9997"], &["8591"]),
        ("phenelzine + SSRI", &["8123"], &["36437", "4493", "321988"]),
        ("clopidogrel + omeprazole", &["32968"], &["7646"]),
        ("lisinopril + enalapril", &["29046"], &["3827"]),
        ("ibuprofen + naproxen", &["5640"], &["7258"]),
    ] {
        let n = pairs(net, a, b);
        assert!(n >= 1, "{name}: {n}");
    }
    // Two SSRIs from two prescribers.
    assert!(pairs(net, &["36437"], &["4493"]) + pairs(net, &["4493"], &["36437"]) >= 1);
    // Stopped orders exist for washout logic, and every order has a prescriber and an org.
    assert!(
        net.medications
            .iter()
            .any(|m| m.status == MedStatus::Stopped && m.stop.is_some())
    );
    assert!(
        net.medications
            .iter()
            .all(|m| m.prescriber.is_some() && m.org.is_some())
    );
    // Displays are SCD-style product names.
    let lis = net.find_code(CodeSystem::RxNorm, "29046").unwrap();
    let m = net.medications.iter().find(|m| m.code == lis).unwrap();
    assert_eq!(net.str(m.display.unwrap()), "lisinopril 10 MG Oral Tablet");
}

#[test]
fn nothing_happens_after_the_window_or_after_death() {
    let net = net();
    let last = Timestamp::from_ymd(2026, 1, 1).unwrap();
    assert!(net.data_end().unwrap() < last, "{:?}", net.data_end());
    for e in &net.encounters {
        if let Some(d) = net.patient(e.patient).death_date {
            assert!(e.start.day() <= d.day(), "encounter after death");
        }
        assert!(e.end.unwrap() >= e.start);
    }
}
