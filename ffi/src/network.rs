//! The network handle: create, load, query, free.

use crate::status::*;
use cin_core::{IngestReport, Network, NetworkReport};
use std::ffi::c_char;

/// An opaque network: one merged longitudinal record per patient and everything computed on it.
pub struct CinNetwork {
    pub(crate) net: Network,
    /// Every load so far, by feed kind (for the report's `ingest` section and issue details).
    pub(crate) loads: Vec<(String, IngestReport)>,
}

/// What one load did. Issue details: `cin_network_last_ingest_json`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct CinIngestReport {
    /// Records loaded (all kinds).
    pub loaded: usize,
    /// Records skipped (unknown resource types, rows with nothing usable).
    pub skipped: usize,
    /// Problems recorded (each with file, line/entry and field).
    pub issues: usize,
}

/// # Safety
/// `net` is NULL or a live handle.
pub(crate) unsafe fn net_ref<'a>(net: *const CinNetwork) -> FfiResult<&'a CinNetwork> {
    // SAFETY: non-null live handle per the contract.
    unsafe { net.as_ref() }.ok_or_else(|| FfiError::null("net"))
}

/// # Safety
/// `net` is NULL or a live handle not used by another thread during the call.
pub(crate) unsafe fn net_mut<'a>(net: *mut CinNetwork) -> FfiResult<&'a mut CinNetwork> {
    // SAFETY: non-null live handle, exclusive per the contract.
    unsafe { net.as_mut() }.ok_or_else(|| FfiError::null("net"))
}

/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn write_handle(out: *mut *mut CinNetwork, net: Network) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::null("out"));
    }
    let handle = Box::new(CinNetwork {
        net,
        loads: Vec::new(),
    });
    // SAFETY: `out` is non-null and writable.
    unsafe { *out = Box::into_raw(handle) };
    Ok(())
}

/// Records a load on the handle and fills the caller's summary.
///
/// # Safety
/// `out` is NULL (summary not wanted) or writable.
pub(crate) unsafe fn finish_load(
    h: &mut CinNetwork,
    kind: &str,
    rep: IngestReport,
    out: *mut CinIngestReport,
) {
    let summary = CinIngestReport {
        loaded: rep.total_loaded(),
        skipped: rep.total_skipped(),
        issues: rep.issues.len(),
    };
    h.loads.push((kind.to_string(), rep));
    // SAFETY: checked for NULL; writable per the contract.
    if let Some(o) = unsafe { out.as_mut() } {
        *o = summary;
    }
}

/// Creates an empty network. Release it with `cin_network_free`.
///
/// # Safety
/// `out` is a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_new(out: *mut *mut CinNetwork) -> CinStatus {
    // SAFETY: forwarded contract.
    guard(|| unsafe { write_handle(out, Network::new()) })
}

/// Releases a network. NULL is a no-op. Using the handle afterwards is undefined behaviour.
///
/// # Safety
/// `net` is NULL or a handle from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_free(net: *mut CinNetwork) {
    if !net.is_null() {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: `net` came from Box::into_raw in this library.
            drop(unsafe { Box::from_raw(net) })
        }));
    }
}

/// Record counts as a JSON object (`patients`, `organizations`, `encounters`, ...).
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_counts_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let h = unsafe { net_ref(net) }?;
        let json = serde_json::to_string(&h.net.counts()).unwrap_or_default();
        // SAFETY: forwarded contract.
        unsafe { write_string(out_json, json) }
    })
}

/// The network report (counts, ingest, readmissions, follow-up...) as one JSON object.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_report_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let h = unsafe { net_ref(net) }?;
        let report = NetworkReport::build(&h.net, &h.loads);
        // SAFETY: forwarded contract.
        unsafe { write_string(out_json, report.to_json()) }
    })
}

/// Readmissions within `days` of a discharge, as a JSON object of columns (see the Python
/// `Network.readmissions`).
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_readmissions_json(
    net: *const CinNetwork,
    days: u32,
    out_json: *mut *mut c_char,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let h = unsafe { net_ref(net) }?;
        let json = h.net.readmissions_table(i64::from(days)).to_json_columns();
        // SAFETY: forwarded contract.
        unsafe { write_string(out_json, json) }
    })
}

/// Issue details of the last load on this handle, as a JSON array of
/// `{source, location: {source, line, entry, field}, message}`.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_last_ingest_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let h = unsafe { net_ref(net) }?;
        let json = h
            .loads
            .last()
            .map(|(_, r)| serde_json::to_string(r).unwrap_or_default())
            .unwrap_or_else(|| "null".to_string());
        // SAFETY: forwarded contract.
        unsafe { write_string(out_json, json) }
    })
}
