//! Speed of the batch risk scores on a synthetic long diagnosis table.
//!
//! `cargo run --release -p cin-core --example bench_risk -- [patients] [codes_per_patient] [grouped|shuffled]`
//! (default 1,000,000 patients x 10 codes). Codes are drawn from the bundled CMS-HCC V28 and
//! Quan code lists plus noise; rows are timed grouped by patient and shuffled. Prints the
//! compute time of each call (input already in memory) and the peak resident memory (VmHWM).
//! With `BENCH_RISK_CSV=path` the grouped rows are also written as CSV for the Python peers.

use cin_core::risk::{
    CharlsonOptions, ElixhauserOptions, ElixhauserWeights, HccOptions, HccVersion, charlson,
    charlson_indexed, cms_hcc, elixhauser,
};
use std::time::Instant;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn code_pool() -> Vec<String> {
    let mut pool: Vec<String> = Vec::new();
    for text in [
        include_str!("../core/data/risk/hcc_v28_dx.tsv"),
        include_str!("../core/data/risk/hcc_v24_dx.tsv"),
    ] {
        pool.extend(
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split('\t').next())
                .map(str::to_string),
        );
    }
    for text in [
        include_str!("../core/data/risk/charlson_icd10_quan.tsv"),
        include_str!("../core/data/risk/elixhauser_icd10_quan.tsv"),
    ] {
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some((_, list)) = l.split_once('\t') {
                pool.extend(list.split_whitespace().map(|p| format!("{p}9")));
            }
        }
    }
    for n in 0..2000 {
        pool.push(format!("Z{:04}", n)); // noise
    }
    pool.sort();
    pool.dedup();
    pool
}

/// Process CPU time (user + system) in seconds, from /proc/self/stat (clock ticks of 10 ms).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// Runs `f` (twice with BENCH_RISK_REPEAT=1: the second run reuses memory the first freed,
/// which separates the compute from first-touch page faults), printing wall and CPU seconds.
fn timed<T: Default>(label: &str, f: impl Fn() -> T) -> T {
    // BENCH_RISK_ONLY=charlson times only the calls whose label contains the text.
    if std::env::var("BENCH_RISK_ONLY").is_ok_and(|only| !label.contains(only.as_str())) {
        return T::default();
    }
    if std::env::var_os("BENCH_RISK_REPEAT").is_some() {
        let (t, c) = (Instant::now(), cpu_seconds());
        drop(f());
        println!(
            "{label:28} wall {:.3} s, cpu {:.2} s (first run)",
            t.elapsed().as_secs_f64(),
            cpu_seconds() - c
        );
    }
    let (t, c) = (Instant::now(), cpu_seconds());
    let out = f();
    println!(
        "{label:28} wall {:.3} s, cpu {:.2} s",
        t.elapsed().as_secs_f64(),
        cpu_seconds() - c
    );
    out
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let orders: Vec<&str> = match std::env::args().nth(3).as_deref() {
        Some("grouped") => vec!["grouped"],
        Some("shuffled") => vec!["shuffled"],
        _ => vec!["grouped", "shuffled"],
    };
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let n_patients = args.first().copied().unwrap_or(1_000_000);
    let per = args.get(1).copied().unwrap_or(10);
    let pool = code_pool();
    let mut rng = Lcg(42);
    let ids: Vec<String> = (0..n_patients).map(|i| format!("P{i:08}")).collect();
    let n_rows = n_patients * per;
    let mut rows: Vec<(u32, u32)> = Vec::with_capacity(n_rows);
    for p in 0..n_patients {
        for _ in 0..per {
            rows.push((p as u32, rng.below(pool.len()) as u32));
        }
    }
    let ages: Vec<Option<i64>> = (0..n_patients)
        .map(|_| Some(40 + rng.below(60) as i64))
        .collect();
    let sexes: Vec<&str> = (0..n_patients)
        .map(|_| if rng.below(2) == 0 { "F" } else { "M" })
        .collect();
    println!(
        "{n_patients} patients, {n_rows} rows, {} distinct codes in the pool",
        pool.len()
    );
    if let Ok(path) = std::env::var("BENCH_RISK_CSV") {
        // The same rows (grouped) for the Python peers: examples/python/bench_risk_peers.py.
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("csv"));
        use std::io::Write;
        writeln!(out, "patient_id,code,age,sex").expect("write");
        for r in &rows {
            let p = r.0 as usize;
            writeln!(
                out,
                "{},{},{},{}",
                ids[p],
                pool[r.1 as usize],
                ages[p].unwrap_or(0),
                sexes[p]
            )
            .expect("write");
        }
        println!("wrote {path}");
    }
    for order in orders {
        if order == "shuffled" {
            for i in (1..rows.len()).rev() {
                let j = rng.below(i + 1);
                rows.swap(i, j);
            }
        }
        let pid: Vec<&str> = rows.iter().map(|r| ids[r.0 as usize].as_str()).collect();
        let code: Vec<&str> = rows.iter().map(|r| pool[r.1 as usize].as_str()).collect();
        let row_ages: Vec<Option<i64>> = rows.iter().map(|r| ages[r.0 as usize]).collect();
        let row_sexes: Vec<&str> = rows.iter().map(|r| sexes[r.0 as usize]).collect();
        let idx: Vec<u32> = rows.iter().map(|r| r.0).collect();
        // The inputs alone: what the calls' own memory adds shows against this.
        println!("{order} inputs built, peak RSS {:.0} MiB", peak_rss_mib());

        let c = timed(&format!("{order} charlson"), || {
            charlson(&pid, &code, &CharlsonOptions::default()).expect("charlson")
        });
        assert!(c.is_empty() || c.len() == n_patients);
        drop(c);
        let c = timed(&format!("{order} charlson_indexed"), || {
            charlson_indexed(&code, &idx, n_patients).expect("indexed")
        });
        assert!(c.is_empty() || c.len() == n_patients);
        let e = timed(&format!("{order} elixhauser"), || {
            elixhauser(&pid, &code, &ElixhauserOptions::default()).expect("elixhauser")
        });
        assert!(e.is_empty() || e.len() == n_patients);
        drop(e);
        let ahrq = ElixhauserOptions {
            weights: ElixhauserWeights::AhrqMortality,
            ..ElixhauserOptions::default()
        };
        let e = timed(&format!("{order} elixhauser ahrq_mortality"), || {
            elixhauser(&pid, &code, &ahrq).expect("elixhauser ahrq")
        });
        assert!(e.is_empty() || e.len() == n_patients);
        drop(e);
        for version in [HccVersion::V28, HccVersion::V24] {
            let opts = HccOptions {
                version,
                ..HccOptions::default()
            };
            let h = timed(&format!("{order} cms_hcc {version:?}"), || {
                cms_hcc(&pid, &code, &row_ages, &row_sexes, &opts).expect("hcc")
            });
            assert!(h.is_empty() || h.len() == n_patients);
        }
    }
    // Cost of the output alone, the Charlson table's shape: one id string, the score and 17
    // one-byte flag columns per patient, for reading the figures above.
    let t = timed("output table (id, score, 17 flags)", || {
        let mut t = cin_core::Table::new()
            .with(
                "patient_id",
                cin_core::Column::Text(cin_core::Text::from_strs(
                    &ids.iter().map(String::as_str).collect::<Vec<_>>(),
                )),
            )
            .with(
                "score",
                cin_core::Column::Int((0..n_patients).map(|i| Some((i % 7) as i64)).collect()),
            );
        for k in 0..17 {
            t = t.with(
                &format!("c{k}"),
                cin_core::Column::Flag((0..n_patients).map(|i| (i & 1) as u8).collect()),
            );
        }
        t
    });
    let c = Instant::now();
    drop(t);
    println!(
        "{:28} wall {:.3} s",
        "dropping it",
        c.elapsed().as_secs_f64()
    );
    println!("peak RSS (VmHWM) {:.0} MiB", peak_rss_mib());
}
