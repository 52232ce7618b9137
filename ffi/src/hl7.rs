//! One HL7 v2 message in real time: update the network, return the alerts and the ACK.

use crate::load::{CinIngestReport, write_report};
use crate::network::{CinNetwork, net_mut};
use crate::status::*;
use std::ffi::c_char;

/// Ingests one HL7 v2 message as an interface engine delivers it: the network is updated and
/// the alerts it raises (admission, discharge, readmission, duplicate test on an order,
/// interaction on a prescription) come back as a JSON array in `*out_alerts_json`, the HL7 ACK
/// to send back (segments end in CR; AE/AR with the reason when the message was not usable) in
/// `*out_ack`, and the load summary in `*out_report`. Each out-parameter may be NULL when not
/// wanted. A message that cannot be used is not a failure of the call: it is in the ACK and the
/// report. Needs exclusive access.
///
/// # Safety
/// `net` is a live handle; `bytes` points to `len` readable bytes; each out-pointer is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_ingest_hl7(
    net: *mut CinNetwork,
    bytes: *const c_char,
    len: usize,
    out_alerts_json: *mut *mut c_char,
    out_ack: *mut *mut c_char,
    out_report: *mut CinIngestReport,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_mut(net) }?;
        // SAFETY: forwarded contract.
        let msg = unsafe { bytes_arg(bytes, len, "bytes") }?;
        let res = s.ingest_hl7(msg);
        // SAFETY: forwarded contract (each pointer checked for NULL first).
        unsafe {
            write_report(out_report, &res.report);
            if !out_alerts_json.is_null() {
                write_alerts_json(out_alerts_json, &res.alerts)?;
            }
            if !out_ack.is_null() {
                write_string(out_ack, res.ack)?;
            }
        }
        Ok(())
    })
}
