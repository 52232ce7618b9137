//! Measures FHIR ingest speed: loads the Synthea bulk ndjson directory and a synthetic ~50 MB
//! ndjson made from it (ids renamed per copy, so each copy is new patients), and prints MB/s.
//!
//! `cargo run --release -p cin-core --example bench_fhir_ingest [data_dir] [target_mb]`

use cin_core::Network;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    let target_mb: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(50);
    let ndjson_dir = data.join("synthea_fhir_ndjson");
    let bundles_dir = data.join("synthea_fhir_bundles");
    if !ndjson_dir.is_dir() {
        eprintln!("no data at {}", ndjson_dir.display());
        return;
    }

    for dir in [&ndjson_dir, &bundles_dir] {
        let bytes: u64 = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
            .sum();
        // Best of several runs: the build machine is shared, the minimum is the least disturbed.
        let mut secs = f64::MAX;
        let mut counts = None;
        for _ in 0..7 {
            let t = Instant::now();
            let mut net = Network::new();
            let rep = net.load_fhir_path(dir).expect("load");
            secs = secs.min(t.elapsed().as_secs_f64());
            counts = Some((net.counts(), rep.issues.len()));
        }
        let (c, issues) = counts.unwrap();
        println!(
            "{}: {:.2} MB in {:.1} ms (best of 7) = {:.0} MB/s ({} patients, {} encounters, {} issues)",
            dir.file_name().unwrap().to_string_lossy(),
            bytes as f64 / 1e6,
            secs * 1e3,
            bytes as f64 / 1e6 / secs,
            c.patients,
            c.encounters,
            issues
        );
    }

    // Synthetic bulk file: every ndjson line of the clinical files, copied with renamed ids.
    let mut lines: Vec<String> = Vec::new();
    let mut order: Vec<PathBuf> = std::fs::read_dir(&ndjson_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("log"))
        .collect();
    order.sort_by_key(|p| {
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        (!n.starts_with("Patient"), !n.starts_with("Encounter"), n)
    });
    for p in &order {
        for l in std::fs::read_to_string(p).unwrap().lines() {
            if !l.trim().is_empty() {
                lines.push(l.to_string());
            }
        }
    }
    let one: usize = lines.iter().map(|l| l.len() + 1).sum();
    let copies = (target_mb * 1_000_000).div_ceil(one);
    let mut big = String::with_capacity(copies * one + 1024);
    for c in 0..copies {
        for l in &lines {
            // Ids are UUIDs: rewrite their first 4 hex digits into a per-copy prefix.
            // Patient identifiers too, or every copy would merge into the same 7 people.
            let l = if l.starts_with("{\"resourceType\":\"Patient\"") {
                rename(l, c, &["\"value\":\""], 0)
            } else {
                l.clone()
            };
            big.push_str(&rename_ids(&l, c));
            big.push('\n');
        }
    }
    let mut secs = f64::MAX;
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let mut net = Network::new();
        let rep = net
            .load_fhir_bytes(big.as_bytes(), "synthetic.ndjson")
            .expect("load");
        secs = secs.min(t.elapsed().as_secs_f64());
        last = Some((net, rep));
    }
    let (net, rep) = last.unwrap();
    let c = net.counts();
    println!(
        "synthetic ndjson: {:.1} MB, {} copies, {:.2} s (best of 3) = {:.0} MB/s ({} patients, {} encounters, {} medications, {} procedures, {} issues)",
        big.len() as f64 / 1e6,
        copies,
        secs,
        big.len() as f64 / 1e6 / secs,
        c.patients,
        c.encounters,
        c.medications,
        c.procedures,
        rep.issues.len()
    );
}

/// Replaces the first 8 characters of every `Patient/`, `Encounter/`, `Condition/` and `"id":"`
/// uuid with a copy number so copies do not merge.
fn rename_ids(line: &str, copy: usize) -> String {
    rename(
        line,
        copy,
        &["Patient/", "Encounter/", "\"id\":\"", "Condition/"],
        8,
    )
}

/// Writes the copy number in hex after each pattern, over the next `overwrite` characters.
fn rename(line: &str, copy: usize, pats: &[&str], overwrite: usize) -> String {
    let tag = format!("{copy:08x}");
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    loop {
        let next = pats
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, p.len())))
            .min();
        match next {
            Some((i, n)) if rest.len() >= i + n + overwrite => {
                out.push_str(&rest[..i + n]);
                out.push_str(&tag);
                rest = &rest[i + n + overwrite..];
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}
