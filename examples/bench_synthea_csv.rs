//! Loads a Synthea CSV export directory repeatedly and prints rows/s and MB/s.
//!
//! `cargo run --release -p cin-core --example bench_synthea_csv -- [DIR] [ITERATIONS]`
//! (default: `../shared/data/synthea_csv`, 20 iterations).

use cin_core::Network;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/data/synthea_csv".to_string()),
    );
    let iterations: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let bytes: u64 = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "csv"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let mut rows = 0usize;
    let start = Instant::now();
    for _ in 0..iterations {
        let mut net = Network::new();
        let report = net.load_synthea_csv(&dir).expect("load");
        // Data rows read: every loaded or skipped record except the diagnoses derived from them.
        let derived: usize = ["encounter_diagnoses", "claim_diagnoses"]
            .iter()
            .filter_map(|k| report.loaded.get(*k))
            .sum();
        rows = report.total_loaded() + report.total_skipped() - derived;
        std::hint::black_box(&net);
    }
    let secs = start.elapsed().as_secs_f64();
    let per = secs / iterations as f64;
    println!(
        "{} rows, {:.2} MB per load; {iterations} loads in {secs:.3} s: {:.1} ms/load, {:.0} rows/s, {:.1} MB/s",
        rows,
        bytes as f64 / 1e6,
        per * 1e3,
        rows as f64 / per,
        bytes as f64 / 1e6 / per
    );
}
