//! Claims in the Tuva Project input layer (`medical_claim.csv`, `pharmacy_claim.csv`,
//! `eligibility.csv`; https://thetuvaproject.com/, input-layer data dictionary).
//!
//! Columns are found by header name; old and current Tuva names are both accepted
//! (`patient_id`/`person_id`/`member_id`, `rendering_npi`/`rendering_id`, ...).
//!
//! **Grouping rule.** All lines with the same `claim_id` in `medical_claim.csv` are one claim and
//! become one encounter (key `tuva:claim:<claim_id>`): it starts at the earliest
//! `admission_date` (else `claim_start_date`, else a line start date) and ends at the latest
//! `discharge_date` (else `claim_end_date`). Header fields (patient, bill type, discharge
//! status, diagnoses) come from the first line that has them.
//!
//! **Setting.** Institutional claims by bill type (NUBC UB-04 form locator 4, first two
//! digits): 11x/12x inpatient hospital, 18x/21x/22x/28x SNF and swing bed, 32x-34x home health,
//! 81x/82x hospice, 13x/14x/83x/85x outpatient hospital (emergency when a line carries revenue
//! code 045x, observation with 0760/0762), 71x/77x clinic (RHC, FQHC). Professional claims by
//! CMS place-of-service code: 23 emergency, 21 inpatient, 51 inpatient psychiatric, 61
//! inpatient rehab, 31/32 nursing facility, 34 hospice, 12 and 13 home, 02/10 telehealth,
//! 11/19/20/22/24/49/50/71/72 office and outpatient, anything else (labs 81, ambulance 41,
//! mass immunisation 60, 99) other.
//!
//! Each line with a `hcpcs_code` is a performed procedure (CPT/HCPCS) on the line's date.
//! `diagnosis_code_1..25` (ICD-10-CM unless `diagnosis_code_type` says ICD-9) become encounter
//! diagnoses, `diagnosis_code_1` principal, and conditions of category `ClaimDiagnosis`; a code
//! repeated within one claim counts once. Pharmacy lines are fills: NDC, `MedSource::Claim`,
//! start the dispensing date (else the paid date), stop start + `days_supply` when given.
//! Eligibility rows give birth date, sex and death date, and each is one enrollment span.

use crate::code::CodeSystem;
use crate::error::{CinError, Location, Result};
use crate::ingest::IngestReport;
use crate::model::*;
use crate::network::{Network, PatientInput};
use crate::time::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const SOURCE: &str = "claims_tuva";

/// Header lookup accepting several names per column.
struct Cols {
    idx: HashMap<String, usize>,
}

impl Cols {
    fn new(h: &csv::StringRecord) -> Cols {
        Cols {
            idx: h
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    (
                        n.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                        i,
                    )
                })
                .collect(),
        }
    }
    fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.idx.get(*n).copied())
    }
    fn get<'r>(&self, rec: &'r csv::StringRecord, names: &[&str]) -> &'r str {
        self.find(names)
            .and_then(|i| rec.get(i))
            .map(str::trim)
            .unwrap_or("")
    }
}

const PATIENT: &[&str] = &["patient_id", "person_id", "member_id"];

struct Reader {
    rows: Vec<(usize, csv::StringRecord)>,
    cols: Cols,
    name: String,
}

fn read_csv(path: &Path, report: &mut IngestReport) -> Result<Option<Reader>> {
    if !path.is_file() {
        return Ok(None);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| CinError::parse(Location::new(&name), e.to_string()))?;
    let headers = rdr
        .headers()
        .map_err(|e| CinError::parse(Location::new(&name).line(1), e.to_string()))?
        .clone();
    let cols = Cols::new(&headers);
    let mut rows = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                rows.push((line, r));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                report.issue(
                    SOURCE,
                    Location::new(&name).line(line),
                    "unreadable CSV row (skipped)",
                );
            }
        }
    }
    Ok(Some(Reader { rows, cols, name }))
}

fn date(
    s: &str,
    file: &str,
    line: usize,
    field: &str,
    report: &mut IngestReport,
) -> Option<Timestamp> {
    if s.is_empty() {
        return None;
    }
    let t = Timestamp::parse_iso(s).or_else(|| Timestamp::parse_hl7(&s.replace('-', "")));
    if t.is_none() {
        report.issue(
            SOURCE,
            Location::new(file).line(line).field(field),
            "unreadable date",
        );
    }
    t
}

/// Setting of an institutional claim from its bill type and revenue codes.
pub fn setting_from_bill_type(bill_type: &str, revenue_codes: &[&str]) -> Option<Setting> {
    let bt = bill_type.trim_start_matches('0');
    let two = bt.get(..2)?;
    let rev = |pred: &dyn Fn(&str) -> bool| revenue_codes.iter().any(|r| pred(r));
    Some(match two {
        "11" | "12" => Setting::Inpatient,
        "18" | "21" | "22" | "28" => Setting::Snf,
        "32" | "33" | "34" => Setting::HomeHealth,
        "81" | "82" => Setting::Hospice,
        "13" | "14" | "83" | "85" => {
            if rev(&|r| r.trim_start_matches('0').starts_with("45")) {
                Setting::Emergency
            } else if rev(&|r| matches!(r.trim_start_matches('0'), "760" | "762")) {
                Setting::Observation
            } else {
                Setting::Ambulatory
            }
        }
        "71" | "72" | "73" | "75" | "76" | "77" | "79" => Setting::Ambulatory,
        _ => return None,
    })
}

/// Setting of a professional claim from the CMS place-of-service code.
pub fn setting_from_pos(pos: &str) -> Setting {
    let p = if pos.len() == 1 {
        format!("0{pos}")
    } else {
        pos.to_string()
    };
    match p.as_str() {
        "23" => Setting::Emergency,
        "21" | "51" => Setting::Inpatient,
        "61" => Setting::Rehab,
        "31" | "32" => Setting::Snf,
        "34" => Setting::Hospice,
        "12" | "13" => Setting::HomeHealth,
        "02" | "10" => Setting::Virtual,
        "11" | "19" | "20" | "22" | "24" | "49" | "50" | "71" | "72" => Setting::Ambulatory,
        _ => Setting::Other,
    }
}

fn org_kind(setting: Setting) -> OrgKind {
    match setting {
        Setting::Snf => OrgKind::Snf,
        Setting::HomeHealth => OrgKind::HomeHealth,
        Setting::Hospice => OrgKind::Hospice,
        Setting::Rehab => OrgKind::Rehab,
        Setting::Inpatient | Setting::Emergency | Setting::Observation => OrgKind::Hospital,
        _ => OrgKind::Other,
    }
}

struct Loader<'n> {
    net: &'n mut Network,
    feed: FeedIdx,
    patients: HashMap<String, PatientIdx>,
}

impl Loader<'_> {
    fn prov(&self, org: Option<OrgIdx>) -> Provenance {
        Provenance {
            org,
            feed: self.feed,
        }
    }
    fn patient(&mut self, id: &str, member: &str) -> PatientIdx {
        if let Some(&p) = self.patients.get(id) {
            return p;
        }
        let key = format!("tuva:{id}");
        let mut identifiers = vec![("tuva_patient_id", id)];
        if !member.is_empty() {
            identifiers.push(("tuva_member_id", member));
        }
        let prov = self.prov(None);
        let p = self.net.upsert_patient(
            &PatientInput {
                id: &key,
                identifiers,
                ..Default::default()
            },
            prov,
        );
        self.patients.insert(id.to_string(), p);
        p
    }
    fn org(&mut self, npi: &str, kind: OrgKind) -> Option<OrgIdx> {
        if npi.is_empty() {
            return None;
        }
        let key = format!("npi:{npi}");
        let id = self.net.intern(&key);
        let sys = self.net.intern("http://hl7.org/fhir/sid/us-npi");
        let val = self.net.intern(npi);
        let prov = self.prov(None);
        Some(self.net.upsert_organization(
            &key,
            Organization {
                id,
                name: None,
                kind,
                identifiers: vec![(sys, val)],
                provenance: prov,
            },
        ))
    }
    fn practitioner(&mut self, npi: &str, org: Option<OrgIdx>) -> Option<PractIdx> {
        if npi.is_empty() {
            return None;
        }
        // Practitioners and organisations share the NPI namespace; keep them apart by prefix.
        let key = format!("npi-practitioner:{npi}");
        let id = self.net.intern(&key);
        let sys = self.net.intern("http://hl7.org/fhir/sid/us-npi");
        let val = self.net.intern(npi);
        let prov = self.prov(org);
        Some(self.net.upsert_practitioner(
            &key,
            Practitioner {
                id,
                role: PractitionerRole::Other,
                specialty: None,
                org,
                identifiers: vec![(sys, val)],
                provenance: prov,
            },
        ))
    }
}

impl Network {
    /// Loads `medical_claim.csv`, `pharmacy_claim.csv` and `eligibility.csv` from `dir` (each
    /// optional, at least one required). See the module doc for the mapping.
    pub fn load_claims_tuva(&mut self, dir: &Path) -> Result<IngestReport> {
        if !dir.is_dir() {
            return Err(CinError::Io {
                path: dir.display().to_string(),
                message: "not a directory".to_string(),
            });
        }
        let mut report = IngestReport::default();
        let elig = read_csv(&dir.join("eligibility.csv"), &mut report)?;
        let med = read_csv(&dir.join("medical_claim.csv"), &mut report)?;
        let rx = read_csv(&dir.join("pharmacy_claim.csv"), &mut report)?;
        if elig.is_none() && med.is_none() && rx.is_none() {
            return Err(CinError::parse(
                Location::new(dir.display().to_string()),
                "no medical_claim.csv, pharmacy_claim.csv or eligibility.csv",
            ));
        }
        let feed = self.add_feed(FeedKind::ClaimsTuva, &dir.display().to_string());
        let mut l = Loader {
            net: self,
            feed,
            patients: HashMap::new(),
        };
        if let Some(r) = elig {
            load_eligibility(&mut l, &r, &mut report);
        }
        if let Some(r) = med {
            load_medical(&mut l, &r, &mut report);
        }
        if let Some(r) = rx {
            load_pharmacy(&mut l, &r, &mut report);
        }
        Ok(report)
    }
}

fn load_eligibility(l: &mut Loader<'_>, r: &Reader, report: &mut IngestReport) {
    let mut seen = std::collections::HashSet::new();
    for (line, rec) in &r.rows {
        let c = &r.cols;
        let id = c.get(rec, PATIENT);
        if id.is_empty() {
            report.issue(
                SOURCE,
                Location::new(&r.name).line(*line).field("patient_id"),
                "eligibility row without a patient id (skipped)",
            );
            report.skipped("eligibility_span");
            continue;
        }
        let birth = date(
            c.get(rec, &["birth_date"]),
            &r.name,
            *line,
            "birth_date",
            report,
        );
        let death = date(
            c.get(rec, &["death_date"]),
            &r.name,
            *line,
            "death_date",
            report,
        );
        let sex = Sex::parse(c.get(rec, &["gender", "sex"]));
        let flag = c.get(rec, &["death_flag"]) == "1";
        date(
            c.get(rec, &["enrollment_start_date"]),
            &r.name,
            *line,
            "enrollment_start_date",
            report,
        );
        date(
            c.get(rec, &["enrollment_end_date"]),
            &r.name,
            *line,
            "enrollment_end_date",
            report,
        );
        let key = format!("tuva:{id}");
        let member = c.get(rec, &["member_id"]);
        let mut identifiers = vec![("tuva_patient_id", id)];
        if !member.is_empty() && member != id {
            identifiers.push(("tuva_member_id", member));
        }
        let prov = l.prov(None);
        let p = l.net.upsert_patient(
            &PatientInput {
                id: &key,
                identifiers,
                birth_date: birth,
                sex,
                deceased: flag || death.is_some(),
                death_date: death,
            },
            prov,
        );
        l.patients.insert(id.to_string(), p);
        report.loaded("eligibility_span");
        if seen.insert(id.to_string()) {
            report.loaded("eligible_patient");
        }
    }
}

const DX_COLS: [&str; 25] = [
    "diagnosis_code_1",
    "diagnosis_code_2",
    "diagnosis_code_3",
    "diagnosis_code_4",
    "diagnosis_code_5",
    "diagnosis_code_6",
    "diagnosis_code_7",
    "diagnosis_code_8",
    "diagnosis_code_9",
    "diagnosis_code_10",
    "diagnosis_code_11",
    "diagnosis_code_12",
    "diagnosis_code_13",
    "diagnosis_code_14",
    "diagnosis_code_15",
    "diagnosis_code_16",
    "diagnosis_code_17",
    "diagnosis_code_18",
    "diagnosis_code_19",
    "diagnosis_code_20",
    "diagnosis_code_21",
    "diagnosis_code_22",
    "diagnosis_code_23",
    "diagnosis_code_24",
    "diagnosis_code_25",
];

fn load_medical(l: &mut Loader<'_>, r: &Reader, report: &mut IngestReport) {
    let c = &r.cols;
    // Group lines by claim id, keeping first-seen order.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (line, rec)) in r.rows.iter().enumerate() {
        let id = c.get(rec, &["claim_id"]);
        if id.is_empty() {
            report.issue(
                SOURCE,
                Location::new(&r.name).line(*line).field("claim_id"),
                "claim line without a claim id (skipped)",
            );
            report.skipped("medical_claim_line");
            continue;
        }
        let g = groups.entry(id).or_default();
        if g.is_empty() {
            order.push(id);
        }
        g.push(i);
    }
    for claim_id in order {
        let lines = &groups[claim_id];
        let first = |names: &[&str]| -> (&str, usize) {
            lines
                .iter()
                .map(|&i| (c.get(&r.rows[i].1, names), r.rows[i].0))
                .find(|(v, _)| !v.is_empty())
                .unwrap_or(("", r.rows[lines[0]].0))
        };
        let (pid, pline) = first(PATIENT);
        if pid.is_empty() {
            report.issue(
                SOURCE,
                Location::new(&r.name).line(pline).field("patient_id"),
                "claim without a patient id (skipped)",
            );
            report.skipped("medical_claim");
            continue;
        }
        let member = first(&["member_id"]).0;
        let patient = l.patient(pid, member);
        let mut start: Option<Timestamp> = None;
        let mut end: Option<Timestamp> = None;
        for &i in lines {
            let (line, rec) = &r.rows[i];
            for (names, is_start) in [
                (&["admission_date"][..], true),
                (&["claim_start_date"][..], true),
                (&["claim_line_start_date"][..], true),
                (&["discharge_date"][..], false),
                (&["claim_end_date"][..], false),
                (&["claim_line_end_date"][..], false),
            ] {
                let t = date(c.get(rec, names), &r.name, *line, names[0], report);
                if let Some(t) = t {
                    if is_start {
                        start = Some(start.map_or(t, |s| s.min(t)));
                    } else {
                        end = Some(end.map_or(t, |e| e.max(t)));
                    }
                }
            }
        }
        let Some(start) = start.or(end) else {
            report.issue(
                SOURCE,
                Location::new(&r.name).line(pline).field("claim_start_date"),
                "claim without any date (skipped)",
            );
            report.skipped("medical_claim");
            continue;
        };
        let claim_type = first(&["claim_type"]).0.to_ascii_lowercase();
        let bill_type = first(&["bill_type_code"]).0;
        let revenue: Vec<&str> = lines
            .iter()
            .map(|&i| c.get(&r.rows[i].1, &["revenue_center_code"]))
            .filter(|v| !v.is_empty())
            .collect();
        let (pos, pos_line) = first(&["place_of_service_code"]);
        let institutional = claim_type == "institutional" || !bill_type.is_empty();
        let setting = if institutional {
            match setting_from_bill_type(bill_type, &revenue) {
                Some(s) => s,
                None => {
                    report.issue(
                        SOURCE,
                        Location::new(&r.name).line(pline).field("bill_type_code"),
                        "bill type not recognised; setting other",
                    );
                    Setting::Other
                }
            }
        } else {
            let s = setting_from_pos(pos);
            if s == Setting::Other && pos.is_empty() {
                report.issue(
                    SOURCE,
                    Location::new(&r.name)
                        .line(pos_line)
                        .field("place_of_service_code"),
                    "professional claim without place of service; setting other",
                );
            }
            s
        };
        let facility = first(&["facility_npi", "facility_id"]).0;
        let billing = first(&["billing_npi", "billing_id"]).0;
        let org = if institutional && !facility.is_empty() {
            l.org(facility, org_kind(setting))
        } else if !billing.is_empty() {
            l.org(billing, OrgKind::Practice)
        } else {
            l.org(facility, org_kind(setting))
        };
        let rendering = first(&["rendering_npi", "rendering_id"]).0;
        let pract = l.practitioner(rendering, org);
        let disp = first(&["discharge_disposition_code"]).0;
        let adm = first(&["admit_type_code"]).0;
        let key = format!("tuva:claim:{claim_id}");
        let id = l.net.intern(&key);
        let prov = l.prov(org);
        let enc = l.net.upsert_encounter(
            &key,
            Encounter {
                id,
                patient,
                setting,
                start,
                end: end.filter(|e| *e >= start),
                org,
                practitioner: pract,
                admission_type: AdmissionType::parse(adm),
                disposition: if disp.is_empty() {
                    Disposition::Unknown
                } else {
                    Disposition::parse(disp)
                },
                type_code: None,
                provenance: prov,
            },
        );
        report.loaded("medical_claim");
        report.loaded("Encounter");
        // Procedures: one per line with a HCPCS/CPT code.
        for &i in lines {
            let (line, rec) = &r.rows[i];
            let hcpcs = c.get(rec, &["hcpcs_code"]);
            if hcpcs.is_empty() {
                continue;
            }
            let Some(code) = l.net.code(CodeSystem::CptHcpcs, hcpcs) else {
                continue;
            };
            let t = date(
                c.get(rec, &["claim_line_start_date"]),
                &r.name,
                *line,
                "claim_line_start_date",
                report,
            )
            .unwrap_or(start);
            let who = c.get(rec, &["rendering_npi", "rendering_id"]);
            let pr = if who == rendering {
                pract
            } else {
                l.practitioner(who, org)
            };
            l.net.add_procedure(Procedure {
                patient,
                encounter: Some(enc),
                code,
                display: None,
                time: Some(t),
                kind: ProcedureKind::Performed,
                practitioner: pr,
                org,
                provenance: prov,
            });
            report.loaded("Procedure");
        }
        // Diagnoses: the claim header (first line that has them), deduplicated.
        let dx_type = first(&["diagnosis_code_type"]).0.to_ascii_lowercase();
        let system = if dx_type.contains('9') {
            CodeSystem::Icd9Cm
        } else {
            CodeSystem::Icd10Cm
        };
        let mut seen = Vec::new();
        for (pos_i, col) in DX_COLS.iter().enumerate() {
            let raw = first(&[col]).0;
            let Some(code) = l.net.code(system, raw) else {
                continue;
            };
            if seen.contains(&code) {
                continue;
            }
            seen.push(code);
            l.net.add_diagnosis(Diagnosis {
                encounter: enc,
                code,
                principal: pos_i == 0,
            });
            l.net.add_condition(Condition {
                patient,
                encounter: Some(enc),
                code,
                display: None,
                onset: Some(start),
                abatement: None,
                category: ConditionCategory::ClaimDiagnosis,
                provenance: prov,
            });
            report.loaded("Diagnosis");
        }
    }
}

fn load_pharmacy(l: &mut Loader<'_>, r: &Reader, report: &mut IngestReport) {
    let c = &r.cols;
    for (line, rec) in &r.rows {
        let pid = c.get(rec, PATIENT);
        let ndc = c.get(rec, &["ndc_code", "ndc"]);
        if pid.is_empty() || ndc.is_empty() {
            report.issue(
                SOURCE,
                Location::new(&r.name).line(*line).field(if pid.is_empty() {
                    "patient_id"
                } else {
                    "ndc_code"
                }),
                "pharmacy claim without a patient id or NDC (skipped)",
            );
            report.skipped("pharmacy_fill");
            continue;
        }
        let Some(code) = l.net.code(CodeSystem::Ndc, ndc) else {
            report.skipped("pharmacy_fill");
            continue;
        };
        let member = c.get(rec, &["member_id"]);
        let patient = l.patient(pid, member);
        let start = date(
            c.get(rec, &["dispensing_date"]),
            &r.name,
            *line,
            "dispensing_date",
            report,
        )
        .or_else(|| {
            date(
                c.get(rec, &["paid_date"]),
                &r.name,
                *line,
                "paid_date",
                report,
            )
        });
        let days = c.get(rec, &["days_supply"]);
        let supply = if days.is_empty() {
            None
        } else {
            match days.parse::<f64>() {
                Ok(d) if (0.0..10_000.0).contains(&d) => Some(d.round() as i64),
                _ => {
                    report.issue(
                        SOURCE,
                        Location::new(&r.name).line(*line).field("days_supply"),
                        "days_supply is not a number of days",
                    );
                    None
                }
            }
        };
        let stop = match (start, supply) {
            (Some(s), Some(d)) => Some(s.plus_days(d)),
            _ => None,
        };
        let prescriber_npi = c.get(
            rec,
            &["prescribing_provider_npi", "prescribing_provider_id"],
        );
        let pharmacy = c.get(rec, &["dispensing_provider_npi", "dispensing_provider_id"]);
        let org = l.org(pharmacy, OrgKind::Other);
        let prescriber = l.practitioner(prescriber_npi, None);
        let prov = l.prov(org);
        l.net.add_medication(MedicationOrder {
            patient,
            encounter: None,
            code,
            display: None,
            start,
            stop,
            status: MedStatus::Completed,
            prescriber,
            org,
            source: MedSource::Claim,
            provenance: prov,
        });
        report.loaded("pharmacy_fill");
    }
}
