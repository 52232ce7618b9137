//! The Rust side of the C ABI overhead figure: N prescription checks on the built-in synthetic
//! network called directly on the core `Session` (with and without the JSON encoding the C ABI
//! returns) and through the exported `cin_network_check_prescription` from Rust. Compare with
//! `examples/c/bench_check.c`, which makes the same calls from C.
//!
//! `cargo run --release -p cin-ffi --example bench_check_prescription -- [N]` (default 1000000)

use cin::*;
use cin_core::Session;
use cin_core::alert::alerts_to_json;
use std::ffi::{CString, c_char};
use std::time::Instant;

const PATIENTS: usize = 2000;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let session = Session::synthetic(PATIENTS, 42);
    let net = session.network();
    let at = net.data_end().expect("synthetic data has dates").to_string();
    let ids: Vec<String> = net
        .patient_list()
        .iter()
        .map(|p| net.patient_id(*p).to_string())
        .collect();

    let t = Instant::now();
    let mut with_alerts = 0usize;
    for i in 0..n {
        let alerts = session
            .check_prescription(&ids[i % ids.len()], "ibuprofen", Some(&at), None)
            .expect("known patient");
        with_alerts += usize::from(!alerts.is_empty());
    }
    let plain = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut bytes = 0usize;
    for i in 0..n {
        let alerts = session
            .check_prescription(&ids[i % ids.len()], "ibuprofen", Some(&at), None)
            .expect("known patient");
        bytes += alerts_to_json(&alerts).len();
    }
    let json = t.elapsed().as_secs_f64();

    // The exported C function, called from Rust (same library code the C program links).
    let mut handle = std::ptr::null_mut();
    // SAFETY: valid out-pointer; the handle is freed below.
    assert_eq!(
        unsafe { cin_network_synthetic(PATIENTS, 42, &mut handle) },
        CIN_STATUS_OK
    );
    let c_ids: Vec<CString> = ids.iter().map(|s| CString::new(s.as_str()).unwrap()).collect();
    let c_at = CString::new(at.as_str()).unwrap();
    let t = Instant::now();
    for i in 0..n {
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
    }
    let abi = t.elapsed().as_secs_f64();
    // SAFETY: the handle from cin_network_synthetic, freed once.
    unsafe { cin_network_free(handle) };

    let ns = |s: f64| s * 1e9 / n as f64;
    println!(
        "Rust: {n} checks ({with_alerts} with alerts, {bytes} JSON bytes): core {:.0} ns/call, \
         core + JSON {:.0} ns/call, exported C function {:.0} ns/call",
        ns(plain),
        ns(json),
        ns(abi)
    );
}
