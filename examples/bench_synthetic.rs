//! Generation speed and memory of the built-in synthetic network.
//!
//! cargo run --release -p cin-core --example bench_synthetic            # 10k, 100k, 1M
//! cargo run --release -p cin-core --example bench_synthetic -- 10000   # only the sizes given

use cin_core::Network;
use std::time::Instant;

/// Peak resident set size of this process (VmHWM), in bytes.
fn peak_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn gib(bytes: usize) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    for n in sizes {
        let t = Instant::now();
        let net = Network::synthetic(n, 42);
        let secs = t.elapsed().as_secs_f64();
        let c = net.counts();
        println!("patients {n}: generated in {secs:.2} s");
        println!(
            "  counts: organizations {} practitioners {} encounters {} conditions {} observations {} \
             medications {} procedures {} diagnoses {} care_team {}",
            c.organizations,
            c.practitioners,
            c.encounters,
            c.conditions,
            c.observations,
            c.medications,
            c.procedures,
            c.diagnoses,
            c.care_team_members
        );
        println!("  heap_bytes {:.2} GiB", gib(net.heap_bytes()));
        let t = Instant::now();
        let _ = net.patient_list().len();
        println!("  index build {:.2} s", t.elapsed().as_secs_f64());
        if let Some(rss) = peak_rss() {
            println!("  process peak RSS (VmHWM) {:.2} GiB", gib(rss));
        }
        drop(net);
    }
}
