//! The network report and the analysis tables, as JSON (tables as an object of columns, the
//! column names of the Python API).

use crate::network::{CinNetwork, net_ref};
use crate::status::*;
use cin_core::{Session, Table};
use std::ffi::c_char;

/// Output format of `cin_network_report`: an `int32_t` in C (values append-only).
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CinReportFormat(pub i32);

/// One JSON object (the `network_report --json` output).
pub const CIN_REPORT_FORMAT_JSON: CinReportFormat = CinReportFormat(0);
/// Plain text for a terminal or a log.
pub const CIN_REPORT_FORMAT_TEXT: CinReportFormat = CinReportFormat(1);
/// One self-contained HTML page (inline CSS and SVG, no scripts).
pub const CIN_REPORT_FORMAT_HTML: CinReportFormat = CinReportFormat(2);

/// # Safety
/// `net` is NULL or a live handle; `out` is NULL or writable.
unsafe fn emit(
    net: *const CinNetwork,
    out: *mut *mut c_char,
    f: impl FnOnce(&Session) -> FfiResult<String>,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_ref(net) }?;
        if out.is_null() {
            return Err(FfiError::null("out_json"));
        }
        let text = f(s)?;
        // SAFETY: forwarded contract.
        unsafe { write_string(out, text) }
    })
}

/// The network report over everything loaded (counts, ingest, readmissions, follow-up, risk
/// tiers, duplicate tests, drug interactions, measures) in `format`. A format this library does
/// not define is `CIN_STATUS_INVALID_INPUT`.
///
/// # Safety
/// `net` is a live handle; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_report(
    net: *const CinNetwork,
    format: CinReportFormat,
    out: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        emit(net, out, |s| {
            let render: fn(&cin_core::NetworkReport) -> String = match format {
                CIN_REPORT_FORMAT_JSON => |r| r.to_json(),
                CIN_REPORT_FORMAT_TEXT => |r| r.to_text(),
                CIN_REPORT_FORMAT_HTML => |r| r.to_html(),
                CinReportFormat(other) => {
                    return Err(FfiError::invalid(format!(
                        "report format {other} is not defined (0 = JSON, 1 = text, 2 = HTML)"
                    )));
                }
            };
            Ok(render(&s.report()))
        })
    }
}

/// `cin_network_report` in JSON.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_report_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe { cin_network_report(net, CIN_REPORT_FORMAT_JSON, out_json) }
}

/// Patient risk as JSON columns: patient_id, charlson, elixhauser, hcc_v28, lace, tier, ...
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_risk_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe { emit(net, out_json, |s| Ok(s.risk().to_json_columns())) }
}

/// Chronic-disease registry membership as JSON columns.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_registries_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe { emit(net, out_json, |s| Ok(s.registries().to_json_columns())) }
}

/// LACE and HOSPITAL readmission scores per index stay as JSON columns.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_readmission_risk_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        emit(net, out_json, |s| {
            Ok(s.readmission_risk().to_json_columns())
        })
    }
}

/// Duplicate tests found in the history (with the network's rules) as JSON columns.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_duplicate_tests_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe { emit(net, out_json, |s| Ok(s.duplicate_tests().to_json_columns())) }
}

/// Co-prescribed interacting drugs (with the network's KB) as JSON columns.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_drug_interactions_json(
    net: *const CinNetwork,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        emit(net, out_json, |s| {
            Ok(s.drug_interactions().to_json_columns())
        })
    }
}

/// Readmissions within `days` of a discharge as JSON columns.
///
/// # Safety
/// `net` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_readmissions_json(
    net: *const CinNetwork,
    days: u32,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        emit(net, out_json, |s| {
            Ok(s.network()
                .readmissions_table(i64::from(days))
                .to_json_columns())
        })
    }
}

/// # Safety
/// The pointers are NULL or NUL-terminated strings.
unsafe fn period<'a>(
    start: *const c_char,
    end: *const c_char,
) -> FfiResult<Option<(&'a str, &'a str)>> {
    // SAFETY: forwarded contract.
    let (a, b) = unsafe {
        (
            opt_str_arg(start, "period_start")?,
            opt_str_arg(end, "period_end")?,
        )
    };
    match (a, b) {
        (Some(a), Some(b)) => Ok(Some((a, b))),
        (None, None) => Ok(None),
        _ => Err(FfiError::invalid(
            "period_start and period_end are both given or both NULL",
        )),
    }
}

/// Every quality measure at every level as JSON columns, over the period `[period_start,
/// period_end]` (ISO-8601 dates; both NULL = the last full calendar year in the data).
///
/// # Safety
/// `net` is a live handle; the period arguments are NULL or NUL-terminated; `out_json` is
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_measures_json(
    net: *const CinNetwork,
    period_start: *const c_char,
    period_end: *const c_char,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        emit(net, out_json, |s| {
            let t: Table = s.measures(period(period_start, period_end)?)?;
            Ok(t.to_json_columns())
        })
    }
}

/// Open care gaps over the period (as `cin_network_measures_json`) as JSON columns.
///
/// # Safety
/// As `cin_network_measures_json`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_care_gaps_json(
    net: *const CinNetwork,
    period_start: *const c_char,
    period_end: *const c_char,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        emit(net, out_json, |s| {
            let t: Table = s.care_gaps(period(period_start, period_end)?)?;
            Ok(t.to_json_columns())
        })
    }
}
