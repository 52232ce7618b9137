//! The network handle: create, free, and the patients it holds.
//!
//! A `CinNetwork` wraps one [`cin_core::Session`] (network, loads and knowledge bases), the same
//! core concept the Python `Network` wraps, so both bindings see the same KB a site loaded.

use crate::status::*;
use cin_core::Session;
use std::ffi::c_char;

/// An opaque network: one merged longitudinal record per patient, every load made into it and
/// the knowledge bases it is checked against.
pub struct CinNetwork {
    pub(crate) session: Session,
}

// Queries run on `&Session` from many C threads at once: that is sound only while the session
// is `Sync`. This fails to compile if a core change ever makes it otherwise.
const _: fn() = || {
    fn shared_across_threads<T: Send + Sync>() {}
    shared_across_threads::<Session>();
};

/// # Safety
/// `net` is NULL or a live handle.
pub(crate) unsafe fn net_ref<'a>(net: *const CinNetwork) -> FfiResult<&'a Session> {
    // SAFETY: non-null live handle per the contract.
    unsafe { net.as_ref() }
        .map(|h| &h.session)
        .ok_or_else(|| FfiError::null("net"))
}

/// # Safety
/// `net` is NULL or a live handle not used by another thread during the call.
pub(crate) unsafe fn net_mut<'a>(net: *mut CinNetwork) -> FfiResult<&'a mut Session> {
    // SAFETY: non-null live handle, exclusive per the contract.
    unsafe { net.as_mut() }
        .map(|h| &mut h.session)
        .ok_or_else(|| FfiError::null("net"))
}

/// Writes `value` through a required out-pointer.
///
/// # Safety
/// `out` is NULL (an error) or writable.
pub(crate) unsafe fn write_out<T>(out: *mut T, name: &str, value: T) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-null and writable per the contract.
    unsafe { out.write(value) };
    Ok(())
}

/// # Safety
/// `out` is NULL or writable.
unsafe fn new_handle(out: *mut *mut CinNetwork, make: impl FnOnce() -> Session) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::null("out"));
    }
    let handle = Box::into_raw(Box::new(CinNetwork { session: make() }));
    // SAFETY: non-null and writable per the contract.
    unsafe { *out = handle };
    Ok(())
}

/// Creates an empty network with the embedded knowledge bases. Release it with
/// `cin_network_free`.
///
/// # Safety
/// `out` is a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_new(out: *mut *mut CinNetwork) -> CinStatus {
    // SAFETY: forwarded contract.
    guard(|| unsafe { new_handle(out, Session::new) })
}

/// Creates the built-in synthetic network of `patients` patients (same seed, same network):
/// for demos, tests and benchmarks without real data. Release it with `cin_network_free`.
///
/// # Safety
/// `out` is a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_synthetic(
    patients: usize,
    seed: u64,
    out: *mut *mut CinNetwork,
) -> CinStatus {
    guard(|| {
        // Each synthetic patient costs a few KiB; refuse sizes that could only exhaust memory.
        const MAX_SYNTHETIC_PATIENTS: usize = 10_000_000;
        if patients > MAX_SYNTHETIC_PATIENTS {
            return Err(FfiError::invalid(format!(
                "patients must be at most {MAX_SYNTHETIC_PATIENTS}"
            )));
        }
        // SAFETY: forwarded contract.
        unsafe { new_handle(out, || Session::synthetic(patients, seed)) }
    })
}

/// Releases a network. NULL is a no-op. Using the handle afterwards, or freeing it while another
/// thread still uses it, is undefined behaviour.
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

/// Number of merged patients (each person once). 0 for a NULL handle.
///
/// # Safety
/// `net` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_patient_count(net: *const CinNetwork) -> usize {
    let mut n = 0;
    guard(|| {
        // SAFETY: forwarded contract.
        n = unsafe { net_ref(net) }?.network().patient_list().len();
        Ok(())
    });
    n
}

/// The id of the merged patient at `index` (0 ≤ index < `cin_network_patient_count`, in
/// first-seen order): the id it is reported under, to pass to the check functions.
///
/// # Safety
/// `net` is a live handle; `out_id` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_patient_id(
    net: *const CinNetwork,
    index: usize,
    out_id: *mut *mut c_char,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let net = unsafe { net_ref(net) }?.network();
        let list = net.patient_list();
        let p = list.get(index).ok_or_else(|| {
            FfiError::invalid(format!(
                "patient index {index} is not below the patient count {}",
                list.len()
            ))
        })?;
        // SAFETY: forwarded contract.
        unsafe { write_string(out_id, net.patient_id(*p).to_string()) }
    })
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
        let s = unsafe { net_ref(net) }?;
        let json = serde_json::to_string(&s.network().counts())
            .map_err(|e| FfiError::invalid(format!("counts: {e}")))?;
        // SAFETY: forwarded contract.
        unsafe { write_string(out_json, json) }
    })
}

/// The latest time of any encounter or fact in the network, as ISO-8601 (`YYYY-MM-DDTHH:MM:SS`):
/// "now" for checks replayed against a data set. An empty network is `CIN_STATUS_INVALID_INPUT`.
///
/// # Safety
/// `net` is a live handle; `out_iso8601` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_data_end(
    net: *const CinNetwork,
    out_iso8601: *mut *mut c_char,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_ref(net) }?;
        let end = s
            .network()
            .data_end()
            .ok_or_else(|| FfiError::invalid("the network holds no dated records"))?;
        // SAFETY: forwarded contract.
        unsafe { write_string(out_iso8601, end.to_string()) }
    })
}

impl CinNetwork {
    /// The session behind a handle, for Rust code that links the library (benchmarks, tests).
    pub fn session(&self) -> &Session {
        &self.session
    }
}
