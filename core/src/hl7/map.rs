//! Mapping parsed HL7 v2 messages into the [`Network`].
//!
//! What each message type contributes:
//! * ADT A01 admit, A04 register, A05 pre-admit, A06 outpatient→inpatient, A07 inpatient→
//!   outpatient, A02 transfer, A03 discharge, A08 update: the patient (PID), the visit (PV1/PV2)
//!   as an encounter keyed by PV1-19 visit number namespaced by the sending facility (MSH-4),
//!   the facility (PV1-3.4, else MSH-4) as an organisation, the attending doctor (PV1-7) as a
//!   practitioner, DG1 diagnoses. AL1 and IN1 segments are counted (`AL1`, `IN1`), not stored.
//!   Later messages for the same visit update the encounter: fields present in the message
//!   overwrite, absent fields keep what an earlier message said.
//! * A11 cancel admit / visit: the visit is voided, not deleted (the network is append-only):
//!   its setting becomes `Other` and its end equals its start, which keeps it out of stays,
//!   readmissions and ED counts. A13 cancel discharge: the end time and disposition are cleared
//!   (the patient is in house again).
//! * ORU^R01: OBX results as observations (LOINC when OBX-3.3 says `LN`), values NM, SN
//!   (`comparator^number`), ST/TX/FT text, CE/CWE coded text; unit OBX-6; time OBX-14, else OBR-7,
//!   else MSH-7; performing organisation OBX-23, else MSH-4. Each OBR is a `Report` procedure.
//! * ORM^O01, OML^O21: each OBR (OBR-4 code) as an `Ordered` procedure by ORC-12/OBR-16.
//! * RDE^O11/O25, RDS^O13, OMP^O09: RXE (else RXO, else RXD) give code as a medication order
//!   (NDC, RxNorm or local), prescriber ORC-12, status from ORC-1.
//! * VXU^V04: RXA administrations are counted (`Immunization`), not stored.
//!
//! PV1-2 patient class (HL7 table 0004) → [`Setting`]: `E` emergency; `I` and `B` (obstetrics)
//! inpatient; `O`, `R` (recurring) and `P` (pre-admit) ambulatory; everything else (`C`
//! commercial, `N` not applicable, `U` unknown) other. Spelled-out local values seen in the
//! wild: `INPATIENT`/`IP`/`IMP` inpatient, `OUTPATIENT`/`OP`/`AMB` ambulatory,
//! `EMERGENCY`/`ER`/`ED`/`EMER` emergency, `OBS`/`OBSERVATION` observation, `SNF`, `HH`/`HOME`
//! home health, `HOSPICE`; anything else (e.g. `ff`) is `Other` with an issue.

use super::parse::{Field, FieldTable, Message, ParseOptions, Segment, parse, trim_cow};
use crate::ascii_case::upper_cow;
use crate::code::CodeSystem;
use crate::error::{CinError, Location, Result};
use crate::ingest::IngestReport;
use crate::model::*;
use crate::network::{Network, PatientInput};
use crate::time::Timestamp;
use std::borrow::Cow;
use std::path::Path;

const SOURCE: &str = "hl7v2";

/// What mapping one message produced (the real-time layer raises alerts from it).
#[derive(Debug, Clone, Default)]
pub struct Mapped {
    /// `ADT^A01` style type.
    pub kind: String,
    pub trigger: String,
    pub patient: Option<PatientIdx>,
    pub encounter: Option<EncIdx>,
    /// Procedures ordered by this message (ORM/OML).
    pub orders: Vec<Code>,
    /// Medications prescribed by this message (RDE/RDS/OMP).
    pub prescriptions: Vec<Code>,
    /// The message could not be used (no patient); issues say why.
    pub rejected: bool,
    /// Organisation that sent it.
    pub org: Option<OrgIdx>,
    /// Event time (EVN-2 / MSH-7).
    pub time: Option<Timestamp>,
}

/// PV1-2 → setting (see the module table); `None` for a value not in the table.
pub fn setting_from_patient_class(s: &str) -> Option<Setting> {
    crate::ascii_case::with_upper(s.trim(), setting_from_folded_class)
}

/// [`setting_from_patient_class`] of trimmed, upper-case text.
fn setting_from_folded_class(s: &str) -> Option<Setting> {
    Some(match s {
        "E" | "EMERGENCY" | "ER" | "ED" | "EMER" => Setting::Emergency,
        "I" | "B" | "INPATIENT" | "IP" | "IMP" => Setting::Inpatient,
        "O" | "R" | "P" | "OUTPATIENT" | "OP" | "AMB" | "AMBULATORY" => Setting::Ambulatory,
        "OBS" | "OBSERVATION" => Setting::Observation,
        "SNF" => Setting::Snf,
        "HH" | "HOME" => Setting::HomeHealth,
        "HOSPICE" => Setting::Hospice,
        "C" | "N" | "U" => Setting::Other,
        _ => return None,
    })
}

struct Ctx<'r> {
    source: &'r str,
    index: usize,
    report: &'r mut IngestReport,
}

impl Ctx<'_> {
    fn issue(&mut self, field: &str, message: &str) {
        let loc = Location::new(self.source).entry(self.index).field(field);
        self.report.issue(SOURCE, loc, message);
    }
}

fn seg_path(seg: &Segment<'_>, field: usize) -> String {
    let name = seg.name_str();
    if seg.ordinal > 1 {
        format!("{name}[{}]-{field}", seg.ordinal)
    } else {
        format!("{name}-{field}")
    }
}

fn ts(f: Field<'_>) -> Option<Timestamp> {
    if f.is_blank() {
        return None;
    }
    // Read in place when there is no escape to replace (always, in practice); otherwise, or
    // when that fails, as text as before.
    let first = f.comp(1);
    if f.delimiters.escape.is_none_or(|e| !first.raw.contains(&e))
        && let Some(t) = Timestamp::parse_hl7_bytes(first.raw.trim_ascii())
    {
        return Some(t);
    }
    Timestamp::parse_hl7(&first.text())
}

fn ts_checked_in(
    table: &super::parse::FieldTable<'_>,
    seg: &Segment<'_>,
    n: usize,
    ctx: &mut Ctx<'_>,
) -> Option<Timestamp> {
    let f = table.get(n);
    if f.is_blank() {
        return None;
    }
    let t = ts(f);
    if t.is_none() {
        ctx.issue(&seg_path(seg, n), "unreadable date/time");
    }
    t
}

/// Code, display and system of a CE/CWE/CNE value (components 1-3, alternate 4-6).
/// Borrowed from the message unless an escape had to be replaced.
fn coded<'a>(f: Field<'a>) -> Option<(Cow<'a, str>, Option<Cow<'a, str>>, CodeSystem)> {
    for base in [1usize, 4] {
        let code = trim_cow(f.comp(base).text());
        if code.is_empty() {
            continue;
        }
        let display = trim_cow(f.comp(base + 1).text());
        let system = CodeSystem::from_name(&f.comp(base + 2).text());
        return Some((code, (!display.is_empty()).then_some(display), system));
    }
    None
}

impl Network {
    /// Loads every message in `bytes` (a file's content: one or many messages, batches, MLLP).
    pub fn load_hl7_bytes(&mut self, bytes: &[u8], source_name: &str) -> Result<IngestReport> {
        let mut report = IngestReport::default();
        let parsed = parse(bytes, ParseOptions::default())?;
        for issue in &parsed.issues {
            report.issue(SOURCE, issue.location(source_name), issue.text.clone());
        }
        if parsed.messages.is_empty() {
            report.skipped("hl7_input_without_messages");
            return Ok(report);
        }
        let feed = self.add_feed(FeedKind::Hl7v2, source_name);
        for m in &parsed.messages {
            map_message(self, m, feed, source_name, &mut report);
        }
        Ok(report)
    }

    /// Loads a file, or every file under a directory (recursively, any extension, sorted).
    pub fn load_hl7_path(&mut self, path: &Path) -> Result<IngestReport> {
        let mut files = Vec::new();
        collect_files(path, &mut files)?;
        files.sort();
        let mut report = IngestReport::default();
        for f in files {
            let bytes = std::fs::read(&f).map_err(|e| CinError::io(f.display(), e))?;
            let name = f.display().to_string();
            report.merge(self.load_hl7_bytes(&bytes, &name)?);
        }
        Ok(report)
    }
}

fn collect_files(path: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| CinError::io(path.display(), e))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let rd = std::fs::read_dir(path).map_err(|e| CinError::io(path.display(), e))?;
    for entry in rd {
        let entry = entry.map_err(|e| CinError::io(path.display(), e))?;
        let p = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Maps one parsed message; never fails (problems become issues in `report`).
pub fn map_message(
    net: &mut Network,
    m: &Message<'_>,
    feed: FeedIdx,
    source: &str,
    report: &mut IngestReport,
) -> Mapped {
    let msh = m.msh().map(|s| s.field_table());
    map_message_with(net, m, msh.as_ref(), feed, source, report)
}

/// [`map_message`] with the message's MSH already split (`None` when it has none): the type,
/// trigger, sender and time below all read it, and the real-time path's ACK reads it too.
pub fn map_message_with(
    net: &mut Network,
    m: &Message<'_>,
    msh: Option<&FieldTable<'_>>,
    feed: FeedIdx,
    source: &str,
    report: &mut IngestReport,
) -> Mapped {
    let mut ctx = Ctx {
        source,
        index: m.index,
        report,
    };
    let msh_field = |n: usize| match msh {
        Some(t) => t.get(n),
        None => Field {
            raw: &[],
            delimiters: m.delimiters,
        },
    };
    let (code_raw, trigger_raw) = (msh_field(9).comp(1).text(), msh_field(9).comp(2).text());
    let code = upper_cow(code_raw.trim());
    // Same text as `Message::message_type`.
    let kind = match (code_raw.trim(), trigger_raw.trim()) {
        ("", "") => "unknown".to_string(),
        (c, "") => c.to_string(),
        (c, t) => {
            let mut k = String::with_capacity(c.len() + 1 + t.len());
            k.push_str(c);
            k.push('^');
            k.push_str(t);
            k
        }
    };
    let mut out = Mapped {
        kind,
        trigger: upper_cow(trigger_raw.trim()).into_owned(),
        ..Default::default()
    };
    let (kind, trigger) = (out.kind.as_str(), out.trigger.as_str());
    let evn = m.segment("EVN");
    let evn_time = evn.and_then(|e| ts(e.field(2)));
    out.time = evn_time.or_else(|| crate::time::Timestamp::parse_hl7(&msh_field(7).comp(1).text()));
    let supported = matches!(
        code.as_ref(),
        "ADT" | "ORU" | "ORM" | "OML" | "RDE" | "RDS" | "OMP" | "VXU"
    );
    if !supported {
        ctx.report.skipped_kind(kind);
        return out;
    }
    // Sending facility → organisation.
    let facility = {
        let f = msh_field(4);
        let v = f.comp(1).text();
        let v = if v.trim().is_empty() {
            f.comp(2).text()
        } else {
            v
        };
        trim_cow(v)
    };
    let facility: &str = &facility;
    let sender_org = (!facility.is_empty()).then(|| {
        let kind = if code == "ADT" {
            OrgKind::Hospital
        } else {
            OrgKind::Other
        };
        org(net, facility, kind, feed)
    });
    out.org = sender_org;
    let prov = Provenance {
        org: sender_org,
        feed,
    };
    let Some(pid) = m.segment("PID").copied() else {
        ctx.issue("PID", "message has no PID segment; nothing to attach it to");
        ctx.report.skipped_kind(kind);
        out.rejected = true;
        return out;
    };
    let Some(patient) = map_patient(net, &pid, facility, prov, &mut ctx) else {
        ctx.report.skipped_kind(kind);
        out.rejected = true;
        return out;
    };
    out.patient = Some(patient);
    // Visit event time: EVN-6 (event occurred), else EVN-2, else MSH-7.
    let event_time = evn.and_then(|e| ts(e.field(6))).or(out.time);
    let enc = m.segment("PV1").copied().and_then(|pv1| {
        map_visit(
            net, &pv1, patient, facility, prov, trigger, &code, event_time, &mut ctx,
        )
    });
    out.encounter = enc;
    match code.as_ref() {
        "ADT" => {
            for dg1 in m.segments_named("DG1") {
                map_dg1(net, dg1, patient, enc, out.time, prov, &mut ctx);
            }
            for name in ["AL1", "IN1", "PV2"] {
                for _ in m.segments_named(name) {
                    ctx.report.loaded(name);
                }
            }
        }
        "ORU" => map_results(net, m, patient, enc, sender_org, prov, feed, &mut ctx),
        "ORM" | "OML" => out.orders = map_orders(net, m, patient, enc, prov, facility, &mut ctx),
        "RDE" | "RDS" | "OMP" => {
            out.prescriptions = map_prescriptions(net, m, patient, enc, prov, facility, &mut ctx)
        }
        "VXU" => {
            for _ in m.segments_named("RXA") {
                ctx.report.loaded("Immunization");
            }
        }
        _ => {}
    }
    ctx.report.loaded_kind(kind);
    out
}

/// Calls `f` with `parts` joined: on the stack when they fit, as they do for the look-up keys
/// built for every message (a key is only stored when it is new).
fn with_key<R>(parts: &[&str], f: impl FnOnce(&str) -> R) -> R {
    const STACK: usize = 160;
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len > STACK {
        return f(&parts.concat());
    }
    let mut buf = [0u8; STACK];
    let mut at = 0;
    for p in parts {
        buf[at..at + p.len()].copy_from_slice(p.as_bytes());
        at += p.len();
    }
    // Whole strings joined: always UTF-8.
    match std::str::from_utf8(&buf[..at]) {
        Ok(key) => f(key),
        Err(_) => f(&parts.concat()),
    }
}

fn org(net: &mut Network, name: &str, kind: OrgKind, feed: FeedIdx) -> OrgIdx {
    with_key(&["hl7:org:", name], |key| {
        if let Some(o) = net.organization_by_key(key) {
            return o;
        }
        let id = net.intern(key);
        let nm = net.intern(name);
        net.upsert_organization(
            key,
            Organization {
                id,
                name: Some(nm),
                kind,
                identifiers: Vec::new(),
                provenance: Provenance { org: None, feed },
            },
        )
    })
}

fn practitioner(
    net: &mut Network,
    f: Field<'_>,
    facility: &str,
    org: Option<OrgIdx>,
    prov: Provenance,
) -> Option<PractIdx> {
    let id = f.comp(1).text();
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    // XCN-9 assigning authority namespaces the id; without one, the sending facility does.
    let auth = f.comp(9).sub(1).text();
    let ns = if auth.trim().is_empty() {
        facility
    } else {
        auth.trim()
    };
    Some(with_key(&["hl7:pract:", ns, ":", id], |key| {
        if let Some(p) = net.practitioner_by_key(key) {
            return p;
        }
        let sym = net.intern(key);
        let ident = (net.intern(ns), net.intern(id));
        net.upsert_practitioner(
            key,
            Practitioner {
                id: sym,
                role: PractitionerRole::Other,
                specialty: None,
                org,
                identifiers: vec![ident],
                provenance: prov,
            },
        )
    }))
}

fn map_patient(
    net: &mut Network,
    pid: &Segment<'_>,
    facility: &str,
    prov: Provenance,
    ctx: &mut Ctx<'_>,
) -> Option<PatientIdx> {
    // PID-3 (patient identifier list), PID-2 (external id, v2.3 and older), PID-4 (alternate).
    let pt = pid.field_table();
    let mut idents: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    for n in [3usize, 2, 4] {
        for rep in pt.get(n).repetitions() {
            let value = trim_cow(rep.comp(1).text());
            if value.is_empty() || rep.is_null() {
                continue;
            }
            let auth = rep.comp(4);
            let mut system = trim_cow(auth.sub(1).text());
            if system.is_empty() {
                system = trim_cow(auth.sub(2).text());
            }
            if system.is_empty() {
                // Without an assigning authority the id is only unique within the sender.
                let id_type = trim_cow(rep.comp(5).text());
                system = Cow::Owned(format!(
                    "{facility}/{}",
                    if id_type.is_empty() { "PI" } else { &id_type }
                ));
            }
            idents.push((system, value));
        }
    }
    if idents.is_empty() {
        ctx.issue(
            &seg_path(pid, 3),
            "no patient identifier in PID-3 (or PID-2/PID-4)",
        );
        return None;
    }
    let birth = ts_checked_in(&pt, pid, 7, ctx);
    let sex = Sex::parse(&pt.get(8).value());
    let death = ts_checked_in(&pt, pid, 29, ctx);
    let deceased = pt.get(30).value().eq_ignore_ascii_case("Y") || death.is_some();
    Some(with_key(&[&idents[0].0, "|", &idents[0].1], |id| {
        let input = PatientInput {
            id,
            identifiers: idents.iter().map(|(s, v)| (&**s, &**v)).collect(),
            birth_date: birth,
            sex,
            deceased,
            death_date: death,
        };
        net.upsert_patient(&input, prov)
    }))
}

#[allow(clippy::too_many_arguments)]
fn map_visit(
    net: &mut Network,
    pv1: &Segment<'_>,
    patient: PatientIdx,
    facility: &str,
    prov: Provenance,
    trigger: &str,
    code: &str,
    event_time: Option<Timestamp>,
    ctx: &mut Ctx<'_>,
) -> Option<EncIdx> {
    let pv = pv1.field_table();
    let class = pv.get(2).value();
    let setting = if class.is_empty() {
        None
    } else {
        let s = setting_from_patient_class(&class);
        if s.is_none() {
            ctx.issue(
                &seg_path(pv1, 2),
                "patient class not in HL7 table 0004; setting other",
            );
        }
        Some(s.unwrap_or(Setting::Other))
    };
    let visit = trim_cow(pv.get(19).comp(1).text());
    let admit = ts_checked_in(&pv, pv1, 44, ctx);
    let discharge = ts_checked_in(&pv, pv1, 45, ctx);
    // The key is interned once for the look-up, the new record's id and the upsert.
    let key = if !visit.is_empty() {
        with_key(&["hl7:enc:", facility, ":", &visit], |k| net.intern(k))
    } else if let Some(a) = admit {
        let key = format!("hl7:enc:{facility}:{}:{a}", net.patient_id(patient));
        net.intern(&key)
    } else if code == "ADT" && !class.is_empty() {
        ctx.issue(
            &seg_path(pv1, 19),
            "no visit number and no admit time; visit not recorded",
        );
        return None;
    } else {
        return None;
    };
    // Facility of the assigned location (PV1-3.4), else the sender.
    let loc_fac = trim_cow(pv.get(3).comp(4).sub(1).text());
    let org_idx = if !loc_fac.is_empty() {
        Some(org(net, &loc_fac, OrgKind::Hospital, prov.feed))
    } else {
        prov.org
    };
    let attending = practitioner(net, pv.get(7), facility, org_idx, prov);
    let existing = net.encounter_at(key).map(|e| net.encounter(e).clone());
    let is_new = existing.is_none();
    let mut enc = existing.unwrap_or_else(|| Encounter {
        id: key,
        patient,
        setting: setting.unwrap_or(Setting::Other),
        start: admit.or(event_time).unwrap_or_default(),
        end: None,
        org: org_idx,
        practitioner: attending,
        admission_type: AdmissionType::Unknown,
        disposition: Disposition::Unknown,
        type_code: None,
        provenance: prov,
    });
    enc.patient = patient;
    if let Some(s) = setting {
        enc.setting = s;
    }
    if let Some(a) = admit {
        enc.start = a;
    }
    if is_new && admit.is_none() && event_time.is_none() {
        ctx.issue(&seg_path(pv1, 44), "no admit time (PV1-44, EVN, MSH-7)");
    }
    if org_idx.is_some() {
        enc.org = org_idx;
    }
    if attending.is_some() {
        enc.practitioner = attending;
    }
    let at = pv.get(4).value();
    if !at.is_empty() {
        enc.admission_type = AdmissionType::parse(&at);
    }
    let disp = pv.get(36).value();
    if !disp.is_empty() {
        enc.disposition = Disposition::parse(&disp);
        if enc.disposition == Disposition::Unknown {
            ctx.issue(
                &seg_path(pv1, 36),
                "discharge disposition not in HL7 table 0112",
            );
        }
    }
    if let Some(d) = discharge {
        enc.end = Some(d);
    }
    match trigger {
        "A03" if enc.end.is_none() => {
            enc.end = event_time;
        }
        "A06" => enc.setting = Setting::Inpatient,
        "A11" => {
            enc.setting = Setting::Other;
            enc.end = Some(enc.start);
        }
        "A13" => {
            enc.end = None;
            enc.disposition = Disposition::Unknown;
        }
        _ => {}
    }
    if let Some(e) = enc.end
        && e < enc.start
    {
        ctx.issue(
            &seg_path(pv1, 45),
            "discharge before admission; end ignored",
        );
        enc.end = None;
    }
    Some(net.upsert_encounter_at(key, enc))
}

fn map_dg1(
    net: &mut Network,
    dg1: &Segment<'_>,
    patient: PatientIdx,
    enc: Option<EncIdx>,
    time: Option<Timestamp>,
    prov: Provenance,
    ctx: &mut Ctx<'_>,
) {
    // Split once: four fields are read, the last of them DG1-15.
    let fields = dg1.field_table();
    let Some((raw, display, mut system)) = coded(fields.get(3)) else {
        ctx.issue(&seg_path(dg1, 3), "diagnosis without a code");
        ctx.report.skipped("DG1");
        return;
    };
    if system == CodeSystem::Other {
        // Legacy DG1-2 diagnosis coding method (`I9`, `I10`).
        let legacy = CodeSystem::from_name(&fields.get(2).value());
        if legacy != CodeSystem::Other {
            system = legacy;
        } else {
            ctx.issue(
                &format!("{}.3", seg_path(dg1, 3)),
                "unknown diagnosis coding system",
            );
        }
    }
    let Some(code) = net.code(system, &raw) else {
        ctx.report.skipped("DG1");
        return;
    };
    let principal = fields.get(15).value() == "1";
    let onset = ts(fields.get(5)).or(time);
    // A01, A08 and A03 of one visit usually repeat the same DG1s: record each code once per
    // encounter (a later message may still promote it to principal).
    if let Some(e) = enc {
        let known = net
            .live_diagnoses(patient)
            .position(|d| d.encounter == e && d.code == code);
        if let Some(pos) = known {
            if principal {
                net.set_live_diagnosis_principal(patient, pos);
            }
            ctx.report.loaded("DG1");
            return;
        }
    }
    if let Some(e) = enc {
        net.add_diagnosis(Diagnosis {
            encounter: e,
            code,
            principal,
        });
    }
    let display = display.map(|d| net.intern(&d));
    net.add_condition(Condition {
        patient,
        encounter: enc,
        code,
        display,
        onset,
        abatement: None,
        category: ConditionCategory::EncounterDiagnosis,
        provenance: prov,
    });
    ctx.report.loaded("DG1");
}

#[allow(clippy::too_many_arguments)]
fn map_results(
    net: &mut Network,
    m: &Message<'_>,
    patient: PatientIdx,
    enc: Option<EncIdx>,
    sender: Option<OrgIdx>,
    prov: Provenance,
    feed: FeedIdx,
    ctx: &mut Ctx<'_>,
) {
    let mut obr_time = None;
    for seg in &m.segments {
        if seg.is("OBR") {
            obr_time = ts(seg.field(7));
            if let Some((raw, display, system)) = coded(seg.field(4))
                && let Some(code) = net.code(system, &raw)
            {
                let display = display.map(|d| net.intern(&d));
                net.add_procedure(Procedure {
                    patient,
                    encounter: enc,
                    code,
                    display,
                    time: obr_time.or_else(|| m.time()),
                    kind: ProcedureKind::Report,
                    practitioner: None,
                    org: sender,
                    provenance: prov,
                });
                ctx.report.loaded("OBR");
            }
            continue;
        }
        if !seg.is("OBX") {
            continue;
        }
        let Some((raw, _display, system)) = coded(seg.field(3)) else {
            ctx.issue(&seg_path(seg, 3), "result without an observation code");
            ctx.report.skipped("OBX");
            continue;
        };
        let Some(code) = net.code(system, &raw) else {
            ctx.report.skipped("OBX");
            continue;
        };
        let vtype = seg.field(2).value().to_ascii_uppercase();
        let v = seg.field(5);
        let value = match vtype.as_str() {
            "NM" => match v.value().parse::<f64>() {
                Ok(x) => ObsValue::Number(x),
                Err(_) if v.is_blank() => ObsValue::None,
                Err(_) => {
                    ctx.issue(
                        &format!("{}.1", seg_path(seg, 5)),
                        "NM value is not a number",
                    );
                    ObsValue::None
                }
            },
            "SN" => {
                // Structured numeric: comparator ^ num1 ^ separator ^ num2; keep num1.
                match v.comp(2).value().parse::<f64>() {
                    Ok(x) => ObsValue::Number(x),
                    Err(_) => {
                        if !v.is_blank() {
                            ctx.issue(
                                &format!("{}.2", seg_path(seg, 5)),
                                "SN value is not a number",
                            );
                        }
                        ObsValue::None
                    }
                }
            }
            "ST" | "TX" | "FT" | "IS" | "ID" => {
                let t = v.text();
                if t.trim().is_empty() {
                    ObsValue::None
                } else {
                    ObsValue::Text(net.intern(t.trim()))
                }
            }
            "CE" | "CWE" | "CNE" | "CF" => match coded(v) {
                Some((c, d, _)) => ObsValue::Text(net.intern(d.as_deref().unwrap_or(c.as_ref()))),
                None => ObsValue::None,
            },
            // ED (documents), RP, DT and others: the observation is kept without a value.
            _ => ObsValue::None,
        };
        let unit = seg.field(6).comp(1).text();
        let unit = (!unit.trim().is_empty()).then(|| net.intern(unit.trim()));
        let time = ts(seg.field(14)).or(obr_time).or_else(|| m.time());
        let perf_name = seg.field(23).comp(1).text().trim().to_string();
        let performer_org = if perf_name.is_empty() {
            sender
        } else {
            Some(org(net, &perf_name, OrgKind::Other, feed))
        };
        net.add_observation(Observation {
            patient,
            encounter: enc,
            code,
            value,
            unit,
            time,
            performer: None,
            provenance: Provenance {
                org: performer_org,
                feed,
            },
        });
        ctx.report.loaded("OBX");
    }
}

fn map_orders(
    net: &mut Network,
    m: &Message<'_>,
    patient: PatientIdx,
    enc: Option<EncIdx>,
    prov: Provenance,
    facility: &str,
    ctx: &mut Ctx<'_>,
) -> Vec<Code> {
    let mut out = Vec::new();
    let mut orc: Option<Segment<'_>> = None;
    for seg in &m.segments {
        if seg.is("ORC") {
            orc = Some(*seg);
            continue;
        }
        if !seg.is("OBR") {
            continue;
        }
        let Some((raw, display, system)) = coded(seg.field(4)) else {
            ctx.issue(&seg_path(seg, 4), "order without a service code");
            ctx.report.skipped("OBR");
            continue;
        };
        let Some(code) = net.code(system, &raw) else {
            continue;
        };
        let time = ts(seg.field(7))
            .or_else(|| orc.and_then(|o| ts(o.field(9))))
            .or_else(|| m.time());
        let who = orc
            .map(|o| o.field(12))
            .filter(|f| !f.is_blank())
            .unwrap_or(seg.field(16));
        let pract = practitioner(net, who, facility, prov.org, prov);
        let display = display.map(|d| net.intern(&d));
        net.add_procedure(Procedure {
            patient,
            encounter: enc,
            code,
            display,
            time,
            kind: ProcedureKind::Ordered,
            practitioner: pract,
            org: prov.org,
            provenance: prov,
        });
        ctx.report.loaded("OBR");
        out.push(code);
    }
    out
}

fn med_status(orc: Option<&Segment<'_>>) -> MedStatus {
    match orc
        .map(|o| o.field(1).value().to_ascii_uppercase())
        .as_deref()
    {
        Some("DC" | "OD") => MedStatus::Stopped,
        Some("CA" | "OC" | "CR") => MedStatus::Cancelled,
        Some("HD" | "OH") => MedStatus::OnHold,
        _ => MedStatus::Active,
    }
}

fn map_prescriptions(
    net: &mut Network,
    m: &Message<'_>,
    patient: PatientIdx,
    enc: Option<EncIdx>,
    prov: Provenance,
    facility: &str,
    ctx: &mut Ctx<'_>,
) -> Vec<Code> {
    // Group segments by ORC; within a group prefer RXE (pharmacy-encoded) over RXO (as ordered)
    // over RXD (dispensed).
    let mut groups: Vec<(Option<Segment<'_>>, Vec<Segment<'_>>)> = vec![(None, Vec::new())];
    for seg in &m.segments {
        if seg.is("ORC") {
            groups.push((Some(*seg), Vec::new()));
        } else if seg.is("RXE") || seg.is("RXO") || seg.is("RXD") {
            if let Some(g) = groups.last_mut() {
                g.1.push(*seg);
            }
        }
    }
    let mut out = Vec::new();
    for (orc, rx) in groups {
        let pick = ["RXE", "RXO", "RXD"]
            .iter()
            .find_map(|n| rx.iter().find(|s| s.is(n)));
        let Some(seg) = pick else {
            continue;
        };
        let field_no = if seg.is("RXO") { 1 } else { 2 };
        let Some((raw, display, mut system)) = coded(seg.field(field_no)) else {
            ctx.issue(
                &seg_path(seg, field_no),
                "medication order without a drug code",
            );
            ctx.report.skipped("medication");
            continue;
        };
        if system == CodeSystem::Other && raw.len() == 11 && raw.bytes().all(|b| b.is_ascii_digit())
        {
            system = CodeSystem::Ndc;
        }
        let Some(code) = net.code(system, &raw) else {
            continue;
        };
        let start = orc
            .as_ref()
            .and_then(|o| ts(o.field(15)).or_else(|| ts(o.field(9))))
            .or_else(|| m.time());
        let prescriber = orc
            .as_ref()
            .and_then(|o| practitioner(net, o.field(12), facility, prov.org, prov));
        let display = display.map(|d| net.intern(&d));
        net.add_medication(MedicationOrder {
            patient,
            encounter: enc,
            code,
            display,
            start,
            stop: None,
            status: med_status(orc.as_ref()),
            prescriber,
            org: prov.org,
            source: MedSource::Order,
            provenance: prov,
        });
        ctx.report.loaded("medication");
        out.push(code);
    }
    out
}
