//! Duplicate-test benchmark: builds a network of N patients with M results each through the
//! Network API, then times the retrospective scan and single order checks.
//!
//! cargo run --release -p cin-core --example bench_duptest -- [patients] [results_per_patient]
//! (defaults: 1,000,000 patients, 10 results each = 10M results)

use cin_core::duptest::Rules;
use cin_core::*;
use std::time::Instant;

/// Small deterministic generator (SplitMix64) so runs are repeatable without a crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// CPU time of this thread in ns (Linux), so a busy shared machine does not inflate the figure.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_patients: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let per_patient: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let rules = Rules::embedded();
    let t0 = Instant::now();
    let mut net = Network::new();
    let feed = net.add_feed(FeedKind::Synthetic, "bench");
    let orgs: Vec<OrgIdx> = (0..20)
        .map(|i| {
            let key = format!("ORG{i}");
            let id = net.intern(&key);
            net.upsert_organization(
                &key,
                Organization {
                    id,
                    name: None,
                    kind: OrgKind::Practice,
                    identifiers: vec![],
                    provenance: Provenance { org: None, feed },
                },
            )
        })
        .collect();
    // Codes a visit draws from: HbA1c, LDL, TSH, potassium, creatinine, BMP components, vitals
    // (vitals are unknown to the rules, as in real feeds).
    let codes: Vec<Code> = [
        "4548-4", "18262-6", "3016-3", "2823-3", "2160-0", "2345-7", "2951-2", "8480-6", "8462-4",
        "29463-7",
    ]
    .iter()
    .map(|c| net.code(CodeSystem::Loinc, c).unwrap())
    .collect();
    let unit = Some(net.intern("mg/dL"));
    net.reserve(n_patients, 0, n_patients * per_patient);
    let base = Timestamp::from_ymd(2020, 1, 1).unwrap();
    let mut rng = Rng(42);
    for i in 0..n_patients {
        let id = format!("P{i:07}");
        let p = net.upsert_patient(
            &PatientInput {
                id: &id,
                ..Default::default()
            },
            Provenance { org: None, feed },
        );
        // Results on a few visits, 1-200 days apart, at one of two organisations.
        let mut t = base.plus_days(rng.below(700) as i64);
        let home = orgs[rng.below(20) as usize];
        let other = orgs[rng.below(20) as usize];
        for k in 0..per_patient {
            if k % 4 == 0 && k > 0 {
                t = t.plus_days(1 + rng.below(200) as i64);
            }
            let org = if rng.below(3) == 0 { other } else { home };
            net.add_observation(Observation {
                patient: p,
                encounter: None,
                code: codes[rng.below(codes.len() as u64) as usize],
                value: ObsValue::Number(5.0 + rng.below(30) as f64 / 10.0),
                unit,
                time: Some(t),
                performer: None,
                provenance: Provenance {
                    org: Some(org),
                    feed,
                },
            });
        }
    }
    let build = t0.elapsed();
    let t1 = Instant::now();
    let _ = net.index();
    let index = t1.elapsed();
    println!(
        "built {} patients, {} results in {:.2?} (index {:.2?})",
        n_patients,
        net.observations.len(),
        build,
        index
    );

    let check_only = std::env::var_os("BENCH_CHECK_ONLY").is_some();
    for run in 0..if check_only { 0 } else { 3 } {
        let t = Instant::now();
        let s = net.duplicate_test_summary(rules);
        println!(
            "retrospective scan run {run}: {:.3?} — {} test events, {} duplicates ({} cross-org), {} unknown codes",
            t.elapsed(),
            s.test_events,
            s.count,
            s.cross_org,
            s.unknown_codes
        );
    }
    let t = Instant::now();
    let table = net.duplicate_tests_table(rules);
    println!(
        "duplicate_tests_table: {} rows in {:.3?}",
        table.len(),
        t.elapsed()
    );

    // Single order checks on the loaded network: random patient, HbA1c order at a random time.
    let n_checks = 200_000;
    let queries: Vec<(String, Timestamp)> = (0..n_checks)
        .map(|_| {
            let i = rng.below(n_patients as u64);
            (format!("P{i:07}"), base.plus_days(rng.below(1200) as i64))
        })
        .collect();
    let t = Instant::now();
    let found = queries
        .iter()
        .filter(|(pid, _)| net.patient_by_id(pid).is_some())
        .count();
    println!(
        "  of which patient lookup by id: {:.2} µs ({found} found)",
        t.elapsed().as_secs_f64() * 1e6 / n_checks as f64
    );
    let t = Instant::now();
    for (pid, at) in &queries {
        let _ = net.check_order(rules, pid, CodeSystem::Loinc, "0000-0", Some(*at), None);
    }
    println!(
        "  of which unknown-code checks (patient lookup only): {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / n_checks as f64
    );
    let t = Instant::now();
    for (pid, _) in &queries {
        let _ = net.check_order(rules, pid, CodeSystem::Loinc, "4548-4", Some(base), None);
    }
    println!(
        "  of which checks before any result (no history in the window): {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / n_checks as f64
    );
    let mut alerts = 0usize;
    let cpu0 = thread_cpu_ns();
    let t = Instant::now();
    for (pid, at) in &queries {
        alerts += net
            .check_order(
                rules,
                pid,
                CodeSystem::Loinc,
                "4548-4",
                Some(*at),
                Some("ORG3"),
            )
            .map(|a| a.len())
            .unwrap_or(0);
    }
    let el = t.elapsed();
    if let (Some(a), Some(b)) = (cpu0, thread_cpu_ns()) {
        println!(
            "check_order thread CPU time: {:.2} µs per check",
            (b - a) as f64 / 1e3 / n_checks as f64
        );
    }
    println!(
        "check_order: {} checks in {:.3?} = {:.2} µs per check ({} alerts)",
        n_checks,
        el,
        el.as_secs_f64() * 1e6 / n_checks as f64,
        alerts
    );
}
