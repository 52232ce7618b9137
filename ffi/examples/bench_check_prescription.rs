//! The Rust side of the C ABI overhead figure: prescription checks on the built-in synthetic
//! network called directly on the core `Session` (with and without the JSON encoding the C ABI
//! returns) and through the exported `cin_network_check_prescription` from Rust. Compare with
//! `examples/c/bench_check.c`, which makes the same calls from C.
//!
//! `cargo run --release -p cin-ffi --example bench_check_prescription -- [N]` (default 1000000)
//!
//! Each form runs in 5 rounds of N/5 calls and the fastest round counts: on a shared machine
//! other work only ever slows a round down.

use cin::*;
use cin_core::Session;
use cin_core::alert::alerts_to_json;
use std::ffi::{CString, c_char};
use std::time::Instant;

const PATIENTS: usize = 2000;
const ROUNDS: usize = 5;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let per_round = (n / ROUNDS).max(1);

    let mut handle = std::ptr::null_mut();
    // SAFETY: valid out-pointer; the handle is freed below.
    assert_eq!(
        unsafe { cin_network_synthetic(PATIENTS, 42, &mut handle) },
        CIN_STATUS_OK
    );
    // The same session the C calls use (the crate's own field), so both sides share one network.
    let session: &Session = unsafe { &*handle }.session();
    let net = session.network();
    let at = net
        .data_end()
        .expect("synthetic data has dates")
        .to_string();
    let ids: Vec<String> = net
        .patient_list()
        .iter()
        .map(|p| net.patient_id(*p).to_string())
        .collect();
    let c_ids: Vec<CString> = ids
        .iter()
        .map(|s| CString::new(s.as_str()).unwrap())
        .collect();
    let c_at = CString::new(at.as_str()).unwrap();

    let core = |i: usize| {
        session
            .check_prescription(&ids[i % ids.len()], "ibuprofen", Some(&at), None)
            .expect("known patient")
    };
    let abi = |i: usize| {
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: live handle, NUL-terminated strings, writable out-pointer; string freed once.
        unsafe {
            let st = cin_network_check_prescription(
                handle,
                c_ids[i % c_ids.len()].as_ptr(),
                c"ibuprofen".as_ptr(),
                c_at.as_ptr(),
                &mut out,
            );
            assert_eq!(st, CIN_STATUS_OK);
            cin_string_free(out);
        }
    };
    // Warm-up: one check per patient builds the network's lazy indexes before timing.
    (0..ids.len()).for_each(|i| drop(core(i)));

    // Each form runs on its own (interleaving them measured the allocator's changing state
    // more than the calls), best of ROUNDS.
    let best = |f: &dyn Fn(usize) -> usize| {
        let mut best = f64::MAX;
        let mut acc = 0;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            for i in 0..per_round {
                acc += f(i);
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        (best, acc / ROUNDS)
    };
    let (plain, with_alerts) = best(&|i| usize::from(!core(i).is_empty()));
    let (json, bytes) = best(&|i| alerts_to_json(&core(i)).len());
    let (through_abi, _) = best(&|i| {
        abi(i);
        0
    });
    // SAFETY: the handle from cin_network_synthetic, freed once.
    unsafe { cin_network_free(handle) };

    let ns = |s: f64| s * 1e9 / per_round as f64;
    println!(
        "Rust: {per_round} checks per round, best of {ROUNDS} ({with_alerts} with alerts, \
         {bytes} JSON bytes per round): core {:.0} ns/call, core + JSON {:.0} ns/call, exported C \
         function {:.0} ns/call",
        ns(plain),
        ns(json),
        ns(through_abi)
    );
}
