//! Loaders (FHIR, HL7 v2, Synthea CSV, Tuva claims) and knowledge bases (drug KB, duplicate-test
//! rules, measures). All need exclusive access to the handle.

use crate::network::{CinNetwork, net_mut, net_ref};
use crate::status::*;
use cin_core::{IngestReport, Session};
use std::ffi::c_char;
use std::path::Path;

/// What one load did. Issue details (file, line or entry, field, message):
/// `cin_network_last_ingest_json`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct CinIngestReport {
    /// Records loaded (all kinds).
    pub loaded: usize,
    /// Records skipped (unknown resource types, rows with nothing usable).
    pub skipped: usize,
    /// Problems recorded (each with its location).
    pub issues: usize,
}

impl From<&IngestReport> for CinIngestReport {
    fn from(rep: &IngestReport) -> Self {
        CinIngestReport {
            loaded: rep.total_loaded(),
            skipped: rep.total_skipped(),
            issues: rep.issues.len(),
        }
    }
}

/// Fills the caller's summary when one was asked for (`out` may be NULL).
///
/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn write_report(out: *mut CinIngestReport, rep: &IngestReport) {
    // SAFETY: checked for NULL; writable per the contract.
    if let Some(o) = unsafe { out.as_mut() } {
        *o = CinIngestReport::from(rep);
    }
}

/// Runs one loader on the handle's session and reports it.
///
/// # Safety
/// `net` is a live handle used by no other thread during the call; `out` is NULL or writable.
unsafe fn load(
    net: *mut CinNetwork,
    out: *mut CinIngestReport,
    f: impl FnOnce(&mut Session) -> FfiResult<&IngestReport>,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_mut(net) }?;
        let rep = f(s)?;
        // SAFETY: forwarded contract.
        unsafe { write_report(out, rep) };
        Ok(())
    })
}

/// Loads FHIR R4 JSON from memory: a Bundle, a single resource or ndjson (one resource per
/// line). Records that cannot be used become issues; input that is not JSON at all is
/// `CIN_STATUS_PARSE_ERROR`. `out` may be NULL. Needs exclusive access.
///
/// # Safety
/// `net` is a live handle; `bytes` points to `len` readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_fhir(
    net: *mut CinNetwork,
    bytes: *const c_char,
    len: usize,
    out: *mut CinIngestReport,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        load(net, out, |s| {
            let b = bytes_arg(bytes, len, "bytes")?;
            Ok(s.load_fhir_bytes(b, "fhir_bytes")?)
        })
    }
}

/// Loads HL7 v2 messages from memory (one or many; CR, LF or CRLF segment ends; MLLP framing
/// tolerated). `out` may be NULL. Needs exclusive access.
///
/// # Safety
/// `net` is a live handle; `bytes` points to `len` readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_hl7(
    net: *mut CinNetwork,
    bytes: *const c_char,
    len: usize,
    out: *mut CinIngestReport,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        load(net, out, |s| {
            let b = bytes_arg(bytes, len, "bytes")?;
            Ok(s.load_hl7_bytes(b, "hl7_bytes")?)
        })
    }
}

/// Loads a Synthea CSV export directory (patients.csv, encounters.csv, ...). `out` may be
/// NULL. Needs exclusive access.
///
/// # Safety
/// `net` is a live handle; `dir_path` is a NUL-terminated UTF-8 path; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_synthea_csv(
    net: *mut CinNetwork,
    dir_path: *const c_char,
    out: *mut CinIngestReport,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        load(net, out, |s| {
            let p = str_arg(dir_path, "dir_path")?;
            Ok(s.load_synthea_csv(Path::new(p))?)
        })
    }
}

/// Loads a Tuva Project claims input-layer directory (medical_claim, pharmacy_claim,
/// eligibility CSVs). `out` may be NULL. Needs exclusive access.
///
/// # Safety
/// `net` is a live handle; `dir_path` is a NUL-terminated UTF-8 path; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_claims_tuva(
    net: *mut CinNetwork,
    dir_path: *const c_char,
    out: *mut CinIngestReport,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        load(net, out, |s| {
            let p = str_arg(dir_path, "dir_path")?;
            Ok(s.load_claims_tuva(Path::new(p))?)
        })
    }
}

/// Loads a FHIR `.json` / `.ndjson` file or a directory of them. `out` may be NULL. Needs
/// exclusive access.
///
/// # Safety
/// `net` is a live handle; `path` is a NUL-terminated UTF-8 path; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_fhir_path(
    net: *mut CinNetwork,
    path: *const c_char,
    out: *mut CinIngestReport,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        load(net, out, |s| {
            let p = str_arg(path, "path")?;
            Ok(s.load_fhir_path(Path::new(p))?)
        })
    }
}

/// Loads an HL7 v2 file or a directory of them. `out` may be NULL. Needs exclusive access.
///
/// # Safety
/// `net` is a live handle; `path` is a NUL-terminated UTF-8 path; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_hl7_path(
    net: *mut CinNetwork,
    path: *const c_char,
    out: *mut CinIngestReport,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        load(net, out, |s| {
            let p = str_arg(path, "path")?;
            Ok(s.load_hl7_path(Path::new(p))?)
        })
    }
}

/// The last load on this handle as JSON: `{"loaded": {kind: n}, "skipped": {...}, "issues":
/// [{"source", "location": {"source", "line", "entry", "field"}, "message"}]}`; `null` before
/// any load.
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
        let s = unsafe { net_ref(net) }?;
        let json = match s.loads().last() {
            Some((_, r)) => serde_json::to_string(r)
                .map_err(|e| FfiError::invalid(format!("ingest report: {e}")))?,
            None => "null".to_string(),
        };
        // SAFETY: forwarded contract.
        unsafe { write_string(out_json, json) }
    })
}

/// Every load on this handle, in order, as a JSON array of `{"feed": kind, "report": {...}}`.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_ingest_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_ref(net) }?;
        let all: Vec<serde_json::Value> = s
            .loads()
            .iter()
            .map(|(kind, r)| serde_json::json!({ "feed": kind, "report": r }))
            .collect();
        // SAFETY: forwarded contract.
        unsafe { write_string(out_json, serde_json::Value::Array(all).to_string()) }
    })
}

/// Loads a drug-interaction knowledge base (JSON, the format of `core/data/ddi/`): with
/// `replace` it replaces the current KB (a vendor's licensed KB), otherwise it is merged into it
/// (site additions and overrides). A malformed file is `CIN_STATUS_KNOWLEDGE_BASE_ERROR` and
/// leaves the current KB in place. Needs exclusive access.
///
/// # Safety
/// `net` is a live handle; `bytes` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_drug_kb(
    net: *mut CinNetwork,
    bytes: *const c_char,
    len: usize,
    replace: bool,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_mut(net) }?;
        // SAFETY: forwarded contract.
        let b = unsafe { bytes_arg(bytes, len, "bytes") }?;
        Ok(s.load_drug_kb(b, "drug_kb", replace)?)
    })
}

/// Replaces the duplicate-test rules with a site rule file (JSON, the format of
/// `core/data/duptest/`). A malformed file leaves the current rules in place. Needs exclusive
/// access.
///
/// # Safety
/// `net` is a live handle; `bytes` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_duplicate_rules(
    net: *mut CinNetwork,
    bytes: *const c_char,
    len: usize,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_mut(net) }?;
        // SAFETY: forwarded contract.
        let b = unsafe { bytes_arg(bytes, len, "bytes") }?;
        Ok(s.load_duplicate_rules(b, "duplicate_rules")?)
    })
}

/// Replaces the measure set with a measure file (JSON, the format of `core/data/measures/`).
/// A malformed file leaves the current set in place. Needs exclusive access.
///
/// # Safety
/// `net` is a live handle; `bytes` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_load_measures(
    net: *mut CinNetwork,
    bytes: *const c_char,
    len: usize,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_mut(net) }?;
        // SAFETY: forwarded contract.
        let b = unsafe { bytes_arg(bytes, len, "bytes") }?;
        Ok(s.load_measures(b, "measures")?)
    })
}
