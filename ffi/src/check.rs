//! Point-of-care checks: duplicate tests on an order, interactions and duplications on a
//! prescription. Alerts come back as a JSON array (every field) or, for triage without a JSON
//! parser, as typed structs with the common fields (kind, severity, rule id).

use crate::network::{CinNetwork, net_ref, write_out};
use crate::status::*;
use cin_core::{Alert, AlertKind, Session, Severity};
use std::ffi::{CStr, c_char};

/// What raised an alert: an `int32_t` in C (values append-only).
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CinAlertKind(pub i32);

/// No alert (an empty summary).
pub const CIN_ALERT_KIND_NONE: CinAlertKind = CinAlertKind(0);
/// The ordered test was done (or ordered) recently, possibly elsewhere.
pub const CIN_ALERT_KIND_DUPLICATE_TEST: CinAlertKind = CinAlertKind(1);
/// The prescribed drug interacts with an active medication.
pub const CIN_ALERT_KIND_DRUG_INTERACTION: CinAlertKind = CinAlertKind(2);
/// The prescribed drug duplicates the therapy of an active medication.
pub const CIN_ALERT_KIND_THERAPEUTIC_DUPLICATION: CinAlertKind = CinAlertKind(3);
/// Admission notification (HL7 ADT).
pub const CIN_ALERT_KIND_ADMISSION: CinAlertKind = CinAlertKind(4);
/// Discharge notification (HL7 ADT).
pub const CIN_ALERT_KIND_DISCHARGE: CinAlertKind = CinAlertKind(5);
/// Emergency department visit notification.
pub const CIN_ALERT_KIND_ED_VISIT: CinAlertKind = CinAlertKind(6);
/// Admission within the readmission window of a discharge.
pub const CIN_ALERT_KIND_READMISSION: CinAlertKind = CinAlertKind(7);
/// No follow-up visit after a discharge.
pub const CIN_ALERT_KIND_MISSING_FOLLOWUP: CinAlertKind = CinAlertKind(8);
/// The patient moved to another risk tier.
pub const CIN_ALERT_KIND_RISK_TIER_CHANGE: CinAlertKind = CinAlertKind(9);
/// A drug the knowledge base does not know (so it could not be checked).
pub const CIN_ALERT_KIND_UNMAPPED_DRUG: CinAlertKind = CinAlertKind(10);

/// How urgent an alert is: an `int32_t` in C, ordered (a larger value is more urgent).
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CinSeverity(pub i32);

/// No alert (an empty summary).
pub const CIN_SEVERITY_NONE: CinSeverity = CinSeverity(0);
/// A notification.
pub const CIN_SEVERITY_INFO: CinSeverity = CinSeverity(1);
/// Compendium level: minor.
pub const CIN_SEVERITY_MINOR: CinSeverity = CinSeverity(2);
/// Compendium level: moderate (also an advisory duplicate test).
pub const CIN_SEVERITY_MODERATE: CinSeverity = CinSeverity(3);
/// Compendium level: major (also a duplicate test inside the hard interval).
pub const CIN_SEVERITY_MAJOR: CinSeverity = CinSeverity(4);
/// Compendium level: contraindicated.
pub const CIN_SEVERITY_CONTRAINDICATED: CinSeverity = CinSeverity(5);

/// Size of the `rule_id` buffers, NUL included; longer rule ids are cut at a character boundary.
pub const CIN_RULE_ID_CAPACITY: usize = 64;

/// The common fields of one alert, for callers without a JSON parser.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CinAlertInfo {
    pub kind: CinAlertKind,
    pub severity: CinSeverity,
    /// NUL-terminated rule id (e.g. the interaction pair's id in the KB).
    pub rule_id: [c_char; CIN_RULE_ID_CAPACITY],
}

/// How many alerts a check raised and the most severe of them (the first such on ties).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CinAlertSummary {
    /// Number of alerts (0: `kind` is NONE, `severity` NONE, `rule_id` empty).
    pub count: usize,
    pub kind: CinAlertKind,
    pub severity: CinSeverity,
    pub rule_id: [c_char; CIN_RULE_ID_CAPACITY],
}

fn kind_of(k: AlertKind) -> CinAlertKind {
    match k {
        AlertKind::DuplicateTest => CIN_ALERT_KIND_DUPLICATE_TEST,
        AlertKind::DrugInteraction => CIN_ALERT_KIND_DRUG_INTERACTION,
        AlertKind::TherapeuticDuplication => CIN_ALERT_KIND_THERAPEUTIC_DUPLICATION,
        AlertKind::Admission => CIN_ALERT_KIND_ADMISSION,
        AlertKind::Discharge => CIN_ALERT_KIND_DISCHARGE,
        AlertKind::EdVisit => CIN_ALERT_KIND_ED_VISIT,
        AlertKind::Readmission => CIN_ALERT_KIND_READMISSION,
        AlertKind::MissingFollowup => CIN_ALERT_KIND_MISSING_FOLLOWUP,
        AlertKind::RiskTierChange => CIN_ALERT_KIND_RISK_TIER_CHANGE,
        AlertKind::UnmappedDrug => CIN_ALERT_KIND_UNMAPPED_DRUG,
    }
}

fn severity_of(s: Severity) -> CinSeverity {
    match s {
        Severity::Info => CIN_SEVERITY_INFO,
        Severity::Minor => CIN_SEVERITY_MINOR,
        Severity::Moderate => CIN_SEVERITY_MODERATE,
        Severity::Major => CIN_SEVERITY_MAJOR,
        Severity::Contraindicated => CIN_SEVERITY_CONTRAINDICATED,
    }
}

/// `s` as a NUL-terminated buffer, cut at a character boundary when too long.
fn rule_id_buf(s: &str) -> [c_char; CIN_RULE_ID_CAPACITY] {
    let mut buf = [0 as c_char; CIN_RULE_ID_CAPACITY];
    let mut end = s.len().min(CIN_RULE_ID_CAPACITY - 1);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    for (d, b) in buf.iter_mut().zip(s.as_bytes()[..end].iter()) {
        *d = *b as c_char;
    }
    buf
}

fn info_of(a: &Alert) -> CinAlertInfo {
    CinAlertInfo {
        kind: kind_of(a.kind),
        severity: severity_of(a.severity),
        rule_id: rule_id_buf(&a.rule_id),
    }
}

fn summary_of(alerts: &[Alert]) -> CinAlertSummary {
    // max_by_key keeps the last maximum; reverse so the first alert wins ties.
    let top = alerts.iter().rev().max_by_key(|a| a.severity);
    CinAlertSummary {
        count: alerts.len(),
        kind: top.map_or(CIN_ALERT_KIND_NONE, |a| kind_of(a.kind)),
        severity: top.map_or(CIN_SEVERITY_NONE, |a| severity_of(a.severity)),
        rule_id: rule_id_buf(top.map_or("", |a| &a.rule_id)),
    }
}

/// Where a check's alerts go.
enum Out {
    Json(*mut *mut c_char),
    Summary(*mut CinAlertSummary),
    Infos {
        out: *mut CinAlertInfo,
        capacity: usize,
        out_len: *mut usize,
    },
}

impl Out {
    /// Checks the out-pointers before any work is done.
    fn check(&self) -> FfiResult<()> {
        let ok = match self {
            Out::Json(p) => !p.is_null(),
            Out::Summary(p) => !p.is_null(),
            Out::Infos {
                out,
                capacity,
                out_len,
            } => !out_len.is_null() && (!out.is_null() || *capacity == 0),
        };
        if ok {
            Ok(())
        } else {
            Err(FfiError::null("out"))
        }
    }

    /// # Safety
    /// The pointers are writable (`out` for `capacity` elements).
    unsafe fn write(self, alerts: Vec<Alert>) -> FfiResult<()> {
        match self {
            // SAFETY: forwarded contract.
            Out::Json(p) => unsafe { write_alerts_json(p, &alerts) },
            // SAFETY: forwarded contract.
            Out::Summary(p) => unsafe { write_out(p, "out", summary_of(&alerts)) },
            Out::Infos {
                out,
                capacity,
                out_len,
            } => {
                // SAFETY: forwarded contract.
                unsafe { write_out(out_len, "out_len", alerts.len()) }?;
                if alerts.len() > capacity {
                    return Err(FfiError::new(
                        CIN_STATUS_BUFFER_TOO_SMALL,
                        format!(
                            "{} alerts do not fit a buffer of {capacity}; *out_len holds the \
                             count needed",
                            alerts.len()
                        ),
                    ));
                }
                for (i, a) in alerts.iter().enumerate() {
                    // SAFETY: i < alerts.len() <= capacity elements writable at `out`.
                    unsafe { out.add(i).write(info_of(a)) };
                }
                Ok(())
            }
        }
    }
}

/// # Safety
/// `net` is NULL or a live handle; the pointers in `out` are NULL or writable as stated.
unsafe fn run_check(
    net: *const CinNetwork,
    out: Out,
    f: impl FnOnce(&Session) -> FfiResult<Vec<Alert>>,
) -> CinStatus {
    guard(|| {
        // SAFETY: forwarded contract.
        let s = unsafe { net_ref(net) }?;
        out.check()?;
        let alerts = f(s)?;
        // SAFETY: forwarded contract.
        unsafe { out.write(alerts) }
    })
}

/// # Safety
/// The pointers are NULL or NUL-terminated strings.
unsafe fn order(
    s: &Session,
    patient_id: *const c_char,
    system: *const c_char,
    code: *const c_char,
    at: *const c_char,
) -> FfiResult<Vec<Alert>> {
    // SAFETY: forwarded contract.
    let (pid, sys, code, at) = unsafe {
        (
            str_arg(patient_id, "patient_id")?,
            str_arg(system, "system")?,
            str_arg(code, "code")?,
            opt_str_arg(at, "at_iso8601")?,
        )
    };
    Ok(s.check_order(pid, sys, code, at, None)?)
}

/// # Safety
/// The pointers are NULL or NUL-terminated strings.
unsafe fn prescription(
    s: &Session,
    patient_id: *const c_char,
    drug: *const c_char,
    at: *const c_char,
) -> FfiResult<Vec<Alert>> {
    // SAFETY: forwarded contract.
    let (pid, drug, at) = unsafe {
        (
            str_arg(patient_id, "patient_id")?,
            str_arg(drug, "drug")?,
            opt_str_arg(at, "at_iso8601")?,
        )
    };
    Ok(s.check_prescription(pid, drug, at, None)?)
}

/// Duplicate-test check of a new order: has this test (or one it overlaps) been resulted or
/// ordered for the patient recently, anywhere in the network? `system` is a code system name or
/// URI (`LOINC`, `http://loinc.org`, `CPT`, `HCPCS`, `SNOMED`; anything else is
/// `CIN_STATUS_INVALID_INPUT`); `at_iso8601` the order time (NULL = now). An unknown patient is
/// `CIN_STATUS_INVALID_INPUT`. `*out_json` receives a JSON array of alerts (kind, severity,
/// message, rule_id, source, evidence), `[]` when there is nothing to say. Safe to call from
/// many threads at once.
///
/// # Safety
/// `net` is a live handle; string arguments are NUL-terminated; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_check_order(
    net: *const CinNetwork,
    patient_id: *const c_char,
    system: *const c_char,
    code: *const c_char,
    at_iso8601: *const c_char,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        run_check(net, Out::Json(out_json), |s| {
            order(s, patient_id, system, code, at_iso8601)
        })
    }
}

/// Drug-interaction and therapeutic-duplication check of a new prescription against every
/// medication active for the patient at `at_iso8601` (NULL = the end of the data, else now),
/// from every organisation. `drug` is an RxCUI, an NDC or a name; a drug the KB does not know
/// gives one `unmapped_drug` alert. Output as `cin_network_check_order`. Safe to call from many
/// threads at once.
///
/// # Safety
/// `net` is a live handle; string arguments are NUL-terminated; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_check_prescription(
    net: *const CinNetwork,
    patient_id: *const c_char,
    drug: *const c_char,
    at_iso8601: *const c_char,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        run_check(net, Out::Json(out_json), |s| {
            prescription(s, patient_id, drug, at_iso8601)
        })
    }
}

/// `cin_network_check_order` as a typed summary (count and most severe alert).
///
/// # Safety
/// As `cin_network_check_order`; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_check_order_summary(
    net: *const CinNetwork,
    patient_id: *const c_char,
    system: *const c_char,
    code: *const c_char,
    at_iso8601: *const c_char,
    out: *mut CinAlertSummary,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        run_check(net, Out::Summary(out), |s| {
            order(s, patient_id, system, code, at_iso8601)
        })
    }
}

/// `cin_network_check_prescription` as a typed summary (count and most severe alert).
///
/// # Safety
/// As `cin_network_check_prescription`; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_check_prescription_summary(
    net: *const CinNetwork,
    patient_id: *const c_char,
    drug: *const c_char,
    at_iso8601: *const c_char,
    out: *mut CinAlertSummary,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        run_check(net, Out::Summary(out), |s| {
            prescription(s, patient_id, drug, at_iso8601)
        })
    }
}

/// `cin_network_check_order` into a caller array of `capacity` typed alerts, in the order of the
/// JSON form. `*out_len` receives the number of alerts; when it exceeds `capacity` the call is
/// `CIN_STATUS_BUFFER_TOO_SMALL` and nothing is written to `out` (NULL is allowed with
/// `capacity` 0, to ask for the count).
///
/// # Safety
/// As `cin_network_check_order`; `out` has `capacity` writable elements; `out_len` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_check_order_alerts(
    net: *const CinNetwork,
    patient_id: *const c_char,
    system: *const c_char,
    code: *const c_char,
    at_iso8601: *const c_char,
    out: *mut CinAlertInfo,
    capacity: usize,
    out_len: *mut usize,
) -> CinStatus {
    let out = Out::Infos {
        out,
        capacity,
        out_len,
    };
    // SAFETY: forwarded contract.
    unsafe { run_check(net, out, |s| order(s, patient_id, system, code, at_iso8601)) }
}

/// `cin_network_check_prescription` into a caller array of typed alerts (as
/// `cin_network_check_order_alerts`).
///
/// # Safety
/// As `cin_network_check_prescription`; `out` has `capacity` writable elements; `out_len` is
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_check_prescription_alerts(
    net: *const CinNetwork,
    patient_id: *const c_char,
    drug: *const c_char,
    at_iso8601: *const c_char,
    out: *mut CinAlertInfo,
    capacity: usize,
    out_len: *mut usize,
) -> CinStatus {
    let out = Out::Infos {
        out,
        capacity,
        out_len,
    };
    // SAFETY: forwarded contract.
    unsafe { run_check(net, out, |s| prescription(s, patient_id, drug, at_iso8601)) }
}

/// Interactions within a list of `n` drugs (RxCUIs, NDCs or names) with the embedded
/// knowledge base, no patient context: a JSON array of alerts.
///
/// # Safety
/// `drugs` points to `n` NUL-terminated strings; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_check_interactions(
    drugs: *const *const c_char,
    n: usize,
    out_json: *mut *mut c_char,
) -> CinStatus {
    guard(|| {
        if out_json.is_null() {
            return Err(FfiError::null("out_json"));
        }
        // SAFETY: forwarded contract.
        let list = unsafe { str_array_arg(drugs, n, "drugs") }?;
        let kb = cin_core::Kb::embedded();
        let alerts = cin_core::check_interactions(kb, &list);
        // SAFETY: forwarded contract.
        unsafe { write_alerts_json(out_json, &alerts) }
    })
}

/// As `cin_check_interactions` with the network's knowledge base (a site or vendor KB loaded
/// with `cin_network_load_drug_kb`).
///
/// # Safety
/// `net` is a live handle; `drugs` points to `n` NUL-terminated strings; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_network_check_interactions(
    net: *const CinNetwork,
    drugs: *const *const c_char,
    n: usize,
    out_json: *mut *mut c_char,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        run_check(net, Out::Json(out_json), |s| {
            let list = str_array_arg(drugs, n, "drugs")?;
            Ok(s.check_interactions(&list))
        })
    }
}

/// The name of an alert kind as in the JSON (`"duplicate_test"`, ...); `"none"` for
/// `CIN_ALERT_KIND_NONE`, `"unknown"` for a value this library does not define. Static string.
#[unsafe(no_mangle)]
pub extern "C" fn cin_alert_kind_str(kind: CinAlertKind) -> *const c_char {
    let s: &'static CStr = match kind.0 {
        0 => c"none",
        1 => c"duplicate_test",
        2 => c"drug_interaction",
        3 => c"therapeutic_duplication",
        4 => c"admission",
        5 => c"discharge",
        6 => c"ed_visit",
        7 => c"readmission",
        8 => c"missing_followup",
        9 => c"risk_tier_change",
        10 => c"unmapped_drug",
        _ => c"unknown",
    };
    s.as_ptr()
}

/// The name of a severity as in the JSON (`"major"`, ...); `"none"` for `CIN_SEVERITY_NONE`,
/// `"unknown"` for a value this library does not define. Static string.
#[unsafe(no_mangle)]
pub extern "C" fn cin_severity_str(severity: CinSeverity) -> *const c_char {
    let s: &'static CStr = match severity.0 {
        0 => c"none",
        1 => c"info",
        2 => c"minor",
        3 => c"moderate",
        4 => c"major",
        5 => c"contraindicated",
        _ => c"unknown",
    };
    s.as_ptr()
}

#[cfg(test)]
const ALL_KINDS: [AlertKind; 10] = [
    AlertKind::DuplicateTest,
    AlertKind::DrugInteraction,
    AlertKind::TherapeuticDuplication,
    AlertKind::Admission,
    AlertKind::Discharge,
    AlertKind::EdVisit,
    AlertKind::Readmission,
    AlertKind::MissingFollowup,
    AlertKind::RiskTierChange,
    AlertKind::UnmappedDrug,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_cut_at_a_character_boundary() {
        let long = "é".repeat(40); // 80 bytes
        let buf = rule_id_buf(&long);
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
        assert_eq!(s, "é".repeat(31)); // 62 bytes: 63 would split a character
        let short = rule_id_buf("ddi.warfarin");
        assert_eq!(unsafe { CStr::from_ptr(short.as_ptr()) }, c"ddi.warfarin");
    }

    #[test]
    fn every_kind_and_severity_has_a_distinct_value_and_name() {
        let mut seen = std::collections::BTreeSet::new();
        for k in ALL_KINDS {
            assert!(seen.insert(kind_of(k).0));
            let name = unsafe { CStr::from_ptr(cin_alert_kind_str(kind_of(k))) };
            assert_eq!(name.to_str().unwrap(), k.as_str());
        }
        assert_eq!(seen.len(), 10);
        assert!(!seen.contains(&0));
        let unknown = unsafe { CStr::from_ptr(cin_alert_kind_str(CinAlertKind(99))) };
        assert_eq!(unknown, c"unknown");
        let sev: Vec<i32> = Severity::ALL.iter().map(|s| severity_of(*s).0).collect();
        assert_eq!(sev, [1, 2, 3, 4, 5], "ordered like the core severities");
        for sv in Severity::ALL {
            let name = unsafe { CStr::from_ptr(cin_severity_str(severity_of(sv))) };
            assert_eq!(name.to_str().unwrap(), sv.as_str());
        }
        let unknown = unsafe { CStr::from_ptr(cin_severity_str(CinSeverity(-3))) };
        assert_eq!(unknown, c"unknown");
    }

    #[test]
    fn summary_takes_the_first_most_severe_alert() {
        let a =
            |sev, id: &'static str| Alert::new(AlertKind::DrugInteraction, sev, id, String::new());
        let alerts = [
            a(Severity::Moderate, "one"),
            a(Severity::Major, "two"),
            a(Severity::Major, "three"),
        ];
        let s = summary_of(&alerts);
        assert_eq!((s.count, s.severity), (3, CIN_SEVERITY_MAJOR));
        assert_eq!(unsafe { CStr::from_ptr(s.rule_id.as_ptr()) }, c"two");
        let none = summary_of(&[]);
        assert_eq!((none.count, none.kind), (0, CIN_ALERT_KIND_NONE));
        assert_eq!(none.rule_id[0], 0);
    }

    #[test]
    fn json_through_the_abi_equals_the_core_encoding() {
        use crate::network::{cin_network_free, cin_network_synthetic};
        use cin_core::alert::alerts_to_json;
        let mut h = std::ptr::null_mut();
        assert_eq!(
            unsafe { cin_network_synthetic(300, 7, &mut h) },
            CIN_STATUS_OK
        );
        let session = unsafe { &(*h).session };
        let net = session.network();
        let at = net.data_end().unwrap().to_string();
        let c_at = std::ffi::CString::new(at.as_str()).unwrap();
        let mut with_alerts = 0;
        for p in net.patient_list() {
            let id = net.patient_id(*p);
            let c_id = std::ffi::CString::new(id).unwrap();
            let want = session
                .check_prescription(id, "ibuprofen", Some(&at), None)
                .unwrap();
            with_alerts += usize::from(!want.is_empty());
            let mut out = std::ptr::null_mut();
            let st = unsafe {
                cin_network_check_prescription(
                    h,
                    c_id.as_ptr(),
                    c"ibuprofen".as_ptr(),
                    c_at.as_ptr(),
                    &mut out,
                )
            };
            assert_eq!(st, CIN_STATUS_OK);
            let got = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
            unsafe { crate::status::cin_string_free(out) };
            assert_eq!(got, alerts_to_json(&want));
        }
        assert!(with_alerts > 0, "the comparison covered some alerts");
        unsafe { cin_network_free(h) };
    }
}
