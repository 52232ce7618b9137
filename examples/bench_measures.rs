//! Times attribution, all default measures and care gaps on a simple synthetic network.
//!
//! `cargo run --release -p cin-core --example bench_measures -- [patients]` (default 1,000,000).
//! The population is built here with the Network API (deterministic xorshift generator):
//! 40 practices and 4 hospitals, 400 PCPs and 80 specialists; per patient 2-5 office visits in
//! 2024-2025 (two BP readings each), 12 % diabetes (SNOMED) with 0-2 HbA1c results, 30 %
//! hypertension, mammograms and colonoscopies for some, 10 % an ED visit, 5 % and 3 % a first and second inpatient stay.

use cin_core::measures::{AttributionOptions, MeasureSet};
use cin_core::*;
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

fn build(n: usize) -> Network {
    let mut net = Network::new();
    let feed = net.add_feed(FeedKind::Synthetic, "bench");
    let prov = Provenance { org: None, feed };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut orgs = Vec::new();
    for i in 0..44 {
        let key = format!("org{i}");
        let id = net.intern(&key);
        let kind = if i < 40 {
            OrgKind::Practice
        } else {
            OrgKind::Hospital
        };
        orgs.push(net.upsert_organization(
            &key,
            Organization {
                id,
                name: None,
                kind,
                identifiers: vec![],
                provenance: prov,
            },
        ));
    }
    let mut practs = Vec::new();
    for i in 0..480 {
        let key = format!("pr{i}");
        let id = net.intern(&key);
        let role = if i < 400 {
            PractitionerRole::Pcp
        } else {
            PractitionerRole::Specialist
        };
        practs.push(net.upsert_practitioner(
            &key,
            Practitioner {
                id,
                role,
                specialty: None,
                org: Some(orgs[i % 40]),
                identifiers: vec![],
                provenance: prov,
            },
        ));
    }
    let code = |net: &mut Network, s: CodeSystem, c: &str| net.code(s, c).unwrap();
    let dm = code(&mut net, CodeSystem::Snomed, "44054006");
    let htn = code(&mut net, CodeSystem::Snomed, "59621000");
    let a1c = code(&mut net, CodeSystem::Loinc, "4548-4");
    let sys = code(&mut net, CodeSystem::Loinc, "8480-6");
    let dia = code(&mut net, CodeSystem::Loinc, "8462-4");
    let mammo = code(&mut net, CodeSystem::Snomed, "71651007");
    let colo = code(&mut net, CodeSystem::Snomed, "73761001");
    let day0 = Timestamp::from_ymd(2024, 1, 1).unwrap();
    let mut enc_n = 0u64;
    net.reserve(n, n * 5, n * 8);
    for i in 0..n {
        let pid = format!("p{i}");
        let birth = Timestamp::from_ymd(
            1935 + rng.below(75) as i64,
            1 + rng.below(12) as u32,
            1 + rng.below(28) as u32,
        );
        let sex = if rng.chance(50) {
            Sex::Female
        } else {
            Sex::Male
        };
        let p = net.upsert_patient(
            &PatientInput {
                id: &pid,
                birth_date: birth,
                sex,
                ..Default::default()
            },
            prov,
        );
        let home = rng.below(400) as usize;
        let mut add_enc =
            |net: &mut Network, setting: Setting, start: Timestamp, days: i64, org, pr| {
                enc_n += 1;
                let id = net.intern(&format!("e{enc_n}"));
                net.add_encounter(Encounter {
                    id,
                    patient: p,
                    setting,
                    start,
                    end: Some(start.plus_days(days)),
                    org: Some(org),
                    practitioner: pr,
                    admission_type: AdmissionType::Emergency,
                    disposition: Disposition::Home,
                    type_code: None,
                    provenance: prov,
                })
            };
        for _ in 0..2 + rng.below(4) {
            let pr = if rng.chance(80) {
                home
            } else {
                rng.below(480) as usize
            };
            let t = day0.plus_days(rng.below(730) as i64);
            let e = add_enc(
                &mut net,
                Setting::Ambulatory,
                t,
                0,
                orgs[pr % 40],
                Some(practs[pr]),
            );
            for (c, v) in [(sys, 110 + rng.below(50)), (dia, 65 + rng.below(35))] {
                net.add_observation(Observation {
                    patient: p,
                    encounter: Some(e),
                    code: c,
                    value: ObsValue::Number(v as f64),
                    unit: None,
                    time: Some(t),
                    performer: None,
                    provenance: prov,
                });
            }
        }
        let cond = |net: &mut Network, c: Code, onset_year: i64| {
            net.add_condition(Condition {
                patient: p,
                encounter: None,
                code: c,
                display: None,
                onset: Timestamp::from_ymd(onset_year, 1, 1),
                abatement: None,
                category: ConditionCategory::ProblemList,
                provenance: prov,
            })
        };
        if rng.chance(12) {
            cond(&mut net, dm, 2010 + rng.below(15) as i64);
            for _ in 0..rng.below(3) {
                net.add_observation(Observation {
                    patient: p,
                    encounter: None,
                    code: a1c,
                    value: ObsValue::Number(5.5 + rng.below(60) as f64 / 10.0),
                    unit: None,
                    time: Some(day0.plus_days(rng.below(730) as i64)),
                    performer: None,
                    provenance: prov,
                });
            }
        }
        if rng.chance(30) {
            cond(&mut net, htn, 2010 + rng.below(15) as i64);
        }
        let proc_ = |net: &mut Network, c: Code, t: Timestamp| {
            net.add_procedure(Procedure {
                patient: p,
                encounter: None,
                code: c,
                display: None,
                time: Some(t),
                kind: ProcedureKind::Performed,
                practitioner: None,
                org: None,
                provenance: prov,
            })
        };
        if sex == Sex::Female && rng.chance(60) {
            proc_(&mut net, mammo, day0.plus_days(rng.below(900) as i64 - 170));
        }
        if rng.chance(40) {
            proc_(&mut net, colo, day0.plus_days(-(rng.below(4000) as i64)));
        }
        if rng.chance(10) {
            let t = day0.plus_days(rng.below(730) as i64);
            add_enc(
                &mut net,
                Setting::Emergency,
                t,
                0,
                orgs[40 + rng.below(4) as usize],
                None,
            );
        }
        for _ in 0..(rng.chance(5) as u32 + rng.chance(3) as u32) {
            let t = day0.plus_days(rng.below(700) as i64);
            add_enc(
                &mut net,
                Setting::Inpatient,
                t,
                1 + rng.below(6) as i64,
                orgs[40 + rng.below(4) as usize],
                None,
            );
        }
    }
    net
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let t0 = Instant::now();
    let net = build(n);
    println!("built {:?} in {:.2?}", net.counts(), t0.elapsed());
    let t = Instant::now();
    let _ = net.patient_list();
    println!("per-patient index: {:.2?}", t.elapsed());
    let set = MeasureSet::embedded();
    let period = Some((
        Timestamp::from_ymd(2025, 1, 1).unwrap(),
        Timestamp::from_ymd(2025, 12, 31).unwrap(),
    ));
    let t = Instant::now();
    let att = net.attribution(&AttributionOptions {
        period_end: period.map(|p| p.1),
        ..Default::default()
    });
    println!(
        "attribution: {:.2?} ({} attributed)",
        t.elapsed(),
        att.iter().filter(|a| a.practitioner.is_some()).count()
    );
    // Best of three runs: the machine is shared, so single runs are noisy.
    let mut best = std::time::Duration::MAX;
    let mut table = Table::new();
    for _ in 0..3 {
        let t = Instant::now();
        table = net.measures_table(&set, period, &[]).expect("measures");
        best = best.min(t.elapsed());
    }
    println!(
        "measures_table, all {} default measures: {:.2?} best of 3 ({} rows)",
        set.measures().len(),
        best,
        table.len()
    );
    for r in net.measures_summary(&set, period, &[]) {
        println!(
            "  {:<28} {:>8} / {:<8} {}",
            r.id,
            r.numerator,
            r.denominator,
            r.rate.map_or("-".into(), |x| format!("{x:.3}"))
        );
    }
    // Where the time goes: each measure alone.
    for m in set.measures() {
        let mut file = set.file.clone();
        file.measures.retain(|x| x.id == m.id);
        let json = serde_json::to_vec(&file).expect("json");
        let one = MeasureSet::from_json(&json, "one").expect("subset");
        let t = Instant::now();
        let _ = net.measures_table(&one, period, &[]).expect("measures");
        println!("  {:<28} alone {:.2?}", m.id, t.elapsed());
    }
    let mut best = std::time::Duration::MAX;
    let mut gaps = Table::new();
    for _ in 0..3 {
        let t = Instant::now();
        gaps = net.care_gaps_table(&set, period, &[]).expect("gaps");
        best = best.min(t.elapsed());
    }
    println!(
        "care_gaps_table: {:.2?} best of 3 ({} gaps)",
        best,
        gaps.len()
    );
}
