//! Synthea CSV export (`output/csv/*.csv`) into a [`Network`].
//!
//! Columns are found by header name (case-insensitive, trimmed, with a leading BOM dropped),
//! never by position: Synthea's CSV layout changed between releases (the 2024 `patients.csv`
//! has `FIPS` and `INCOME`; older ones do not; ids are `Id` or `ID`; claims name the patient
//! `PATIENTID` and the encounter `APPOINTMENTID`). Column meanings follow Synthea's CSV data
//! dictionary (synthetichealth/synthea wiki, "CSV File Data Dictionary").
//!
//! Encounter class → [`Setting`] (the CSV class is Synthea's own, not the FHIR `class`):
//!
//! | `ENCOUNTERCLASS`                       | setting        |
//! |----------------------------------------|----------------|
//! | `wellness`                             | `wellness`     |
//! | `ambulatory`, `outpatient`, `urgentcare` | `ambulatory` |
//! | `emergency`                            | `emergency`    |
//! | `inpatient`                            | `inpatient`    |
//! | `snf`                                  | `snf`          |
//! | `hospice`                              | `hospice`      |
//! | `home`                                 | `home_health`  |
//! | `virtual`, `telehealth`                | `virtual`      |
//! | anything else                          | `other`        |
//!
//! Organisation kind: Synthea's `organizations.csv` has no type column, so the kind is read from
//! the name (hospital / medical center, nursing / rehab / skilled, hospice, home health); an
//! organisation whose name says nothing is a `practice`, upgraded after the encounters are
//! loaded by the strongest encounter class seen there (inpatient or emergency → `hospital`,
//! `snf` → `snf`, `hospice` → `hospice`, `home` → `home_health`).
//!
//! Claims: `claims.csv` `DIAGNOSIS1..8` are SNOMED CT codes. They become [`Diagnosis`] rows of
//! the claim's encounter (`APPOINTMENTID`) only when that encounter has no diagnosis yet (its
//! `REASONCODE` or another feed's), so the same reason is not counted twice; `DIAGNOSIS1` is
//! principal. Rows of `immunizations`, `allergies`, `devices`, `supplies`,
//! `claims_transactions` and `payer_transitions` have no place in the model and are counted as
//! skipped under their file's kind. Imaging studies become one [`ProcedureKind::Report`]
//! procedure per study (its `PROCEDURE_CODE`, display = modality and body site), which the
//! duplicate-test checks can compare.
//!
//! Patient identifiers (SSN, driver's licence, passport) are kept as `(system, value)` pairs with
//! the systems Synthea's FHIR exporter writes, so CSV and FHIR records of one person merge. They
//! are never written into an issue message.

use crate::code::CodeSystem;
use crate::crosswalk;
use crate::error::{CinError, Location, Result};
use crate::ingest::IngestReport;
use crate::model::*;
use crate::network::{Network, PatientInput};
use crate::time::Timestamp;
use csv::ByteRecord;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

const SOURCE: &str = "synthea_csv";

/// Identifier systems as Synthea's FHIR exporter writes them (so CSV and FHIR records merge).
pub const SYNTHEA_ID_SYSTEM: &str = "https://github.com/synthetichealth/synthea";
pub const SSN_SYSTEM: &str = "http://hl7.org/fhir/sid/us-ssn";
pub const DRIVERS_SYSTEM: &str = "urn:oid:2.16.840.1.113883.4.3.25";
pub const PASSPORT_SYSTEM: &str =
    "http://standardhealthrecord.org/fhir/StructureDefinition/passportNumber";

/// The Synthea CSV encounter class as a care setting (table in the module docs).
pub fn setting_of_encounter_class(class: &str) -> Setting {
    match class.trim().to_ascii_lowercase().as_str() {
        "wellness" => Setting::Wellness,
        "ambulatory" | "outpatient" | "urgentcare" | "urgent_care" => Setting::Ambulatory,
        "emergency" => Setting::Emergency,
        "inpatient" => Setting::Inpatient,
        "snf" => Setting::Snf,
        "hospice" => Setting::Hospice,
        "home" => Setting::HomeHealth,
        "virtual" | "telehealth" => Setting::Virtual,
        _ => Setting::Other,
    }
}

/// Organisation kind from its name, when the name says it.
fn org_kind_from_name(name: &str) -> Option<OrgKind> {
    let n = name.to_ascii_uppercase();
    let has = |w: &str| n.contains(w);
    if has("HOSPICE") {
        Some(OrgKind::Hospice)
    } else if has("HOME HEALTH") || has("HOMECARE") || has("HOME CARE") {
        Some(OrgKind::HomeHealth)
    } else if has("NURSING") || has("SKILLED") || has("REHAB") || has("SNF") {
        Some(OrgKind::Snf)
    } else if has("HOSPITAL") || has("MEDICAL CENTER") || has("MEDICAL CTR") {
        Some(OrgKind::Hospital)
    } else {
        None
    }
}

/// One opened CSV file: its reader, its header positions and its feed.
struct CsvFile {
    name: &'static str,
    reader: csv::Reader<std::fs::File>,
    headers: HashMap<String, usize>,
    feed: FeedIdx,
}

impl CsvFile {
    /// Opens `dir/name`; `Ok(None)` when the file is absent (older exports lack some files).
    fn open(
        net: &mut Network,
        dir: &Path,
        name: &'static str,
        report: &mut IngestReport,
    ) -> Option<CsvFile> {
        let path = dir.join(name);
        if !path.is_file() {
            return None;
        }
        let mut reader = match csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_path(&path)
        {
            Ok(r) => r,
            Err(e) => {
                report.issue(
                    SOURCE,
                    Location::new(name),
                    format!("cannot open file: {}", csv_error_kind(&e)),
                );
                return None;
            }
        };
        let headers: HashMap<String, usize> = match reader.byte_headers() {
            // A zero-byte file has no header: one issue, nothing to load.
            Ok(h) if h.iter().all(|f| f.is_empty()) => {
                report.issue(
                    SOURCE,
                    Location::new(name).line(1),
                    "file is empty (no header)",
                );
                return None;
            }
            Ok(h) => h
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let s = String::from_utf8_lossy(h);
                    let s = s.trim_start_matches('\u{feff}').trim().to_ascii_lowercase();
                    (s, i)
                })
                .collect(),
            Err(e) => {
                report.issue(
                    SOURCE,
                    Location::new(name).line(1),
                    format!("cannot read header: {}", csv_error_kind(&e)),
                );
                return None;
            }
        };
        let feed = net.add_feed(FeedKind::SyntheaCsv, &path.display().to_string());
        Some(CsvFile {
            name,
            reader,
            headers,
            feed,
        })
    }

    /// The position of the first of `names` present in the header.
    fn col(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.headers.get(*n).copied())
    }

    /// Like [`col`](Self::col) but reports a missing required column (once for the file).
    fn require(&self, names: &[&str], report: &mut IngestReport) -> Option<usize> {
        let c = self.col(names);
        if c.is_none() {
            report.issue(
                SOURCE,
                Location::new(self.name)
                    .line(1)
                    .field(names[0].to_ascii_uppercase()),
                "required column is missing; file not loaded",
            );
        }
        c
    }

    /// Reads every data row, calling `f` with a [`Row`]. A row the CSV reader cannot read is an
    /// issue and is skipped.
    fn rows(
        &mut self,
        report: &mut IngestReport,
        kind: &str,
        mut f: impl FnMut(&mut Row<'_>, &mut IngestReport),
    ) {
        let mut rec = ByteRecord::new();
        loop {
            match self.reader.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    if rec.iter().all(|f| f.is_empty()) {
                        continue;
                    }
                    let line = rec.position().map_or(0, |p| p.line() as usize);
                    let mut row = Row {
                        rec: &rec,
                        line,
                        file: self.name,
                        headers: &self.headers,
                    };
                    f(&mut row, report);
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line() as usize);
                    let mut loc = Location::new(self.name);
                    loc.line = line;
                    report.issue(
                        SOURCE,
                        loc,
                        format!("unreadable row: {}", csv_error_kind(&e)),
                    );
                    report.skipped_kind(kind);
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        break;
                    }
                }
            }
        }
    }
}

/// A CSV error's kind without the row's content.
fn csv_error_kind(e: &csv::Error) -> &'static str {
    match e.kind() {
        csv::ErrorKind::Io(_) => "i/o error",
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8",
        csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields",
        _ => "malformed CSV",
    }
}

/// One data row with its 1-based line.
struct Row<'a> {
    rec: &'a ByteRecord,
    line: usize,
    file: &'static str,
    headers: &'a HashMap<String, usize>,
}

impl<'a> Row<'a> {
    fn loc(&self, col: Option<usize>) -> Location {
        let mut l = Location::new(self.file).line(self.line);
        if let Some(c) = col {
            l.field = self
                .headers
                .iter()
                .find(|(_, i)| **i == c)
                .map(|(n, _)| n.to_ascii_uppercase());
        }
        l
    }

    /// The trimmed text of column `col`, `None` when absent or empty. A field that is not UTF-8
    /// is an issue and is decoded with replacement characters (the rest of the row still loads).
    fn get(&self, col: Option<usize>, report: &mut IngestReport) -> Option<Cow<'a, str>> {
        let raw = self.rec.get(col?)?;
        let text = match std::str::from_utf8(raw) {
            Ok(s) => Cow::Borrowed(s.trim()),
            Err(_) => {
                report.issue(SOURCE, self.loc(col), "field is not valid UTF-8");
                Cow::Owned(String::from_utf8_lossy(raw).trim().to_string())
            }
        };
        if text.is_empty() { None } else { Some(text) }
    }

    /// A date or date-time; a value that does not parse is an issue and gives `Err`.
    fn time(
        &self,
        col: Option<usize>,
        report: &mut IngestReport,
    ) -> std::result::Result<Option<Timestamp>, ()> {
        match self.get(col, report) {
            None => Ok(None),
            Some(s) => match Timestamp::parse_iso(&s) {
                Some(t) => Ok(Some(t)),
                None => {
                    report.issue(SOURCE, self.loc(col), "not a valid date");
                    Err(())
                }
            },
        }
    }

    /// A required date: missing or invalid is an issue and gives `None`.
    fn required_time(&self, col: Option<usize>, report: &mut IngestReport) -> Option<Timestamp> {
        match self.time(col, report) {
            Ok(Some(t)) => Some(t),
            Ok(None) => {
                report.issue(SOURCE, self.loc(col), "required date is empty");
                None
            }
            Err(()) => None,
        }
    }

    /// An optional date: an invalid one is reported and dropped, the row still loads.
    fn optional_time(&self, col: Option<usize>, report: &mut IngestReport) -> Option<Timestamp> {
        self.time(col, report).ok().flatten()
    }
}

/// What encounter-linked rows inherit from their encounter.
#[derive(Clone, Copy)]
struct EncInfo {
    enc: EncIdx,
    org: Option<OrgIdx>,
    practitioner: Option<PractIdx>,
}

/// State shared by the per-file loaders of one directory.
struct Loader<'n> {
    net: &'n mut Network,
    report: IngestReport,
    encounters: HashMap<String, EncInfo>,
    /// Organisations whose kind came from no name rule: upgraded by encounter classes.
    org_kind_open: HashSet<OrgIdx>,
}

impl Network {
    /// Loads a Synthea CSV export directory (the files Synthea writes to `output/csv/`).
    ///
    /// Every file present is read; absent files are fine (older exports lack some). Bad rows
    /// and missing required columns are issues in the returned report, located by file name,
    /// 1-based line and column name. Only a missing or unreadable directory is an `Err`.
    pub fn load_synthea_csv(&mut self, dir: &Path) -> Result<IngestReport> {
        let meta = std::fs::metadata(dir).map_err(|e| CinError::io(dir.display(), e))?;
        if !meta.is_dir() {
            return Err(CinError::Io {
                path: dir.display().to_string(),
                message: "not a directory".into(),
            });
        }
        let mut l = Loader {
            net: self,
            report: IngestReport::default(),
            encounters: HashMap::new(),
            org_kind_open: HashSet::new(),
        };
        l.organizations(dir);
        l.payers(dir);
        l.providers(dir);
        l.patients(dir);
        l.encounters(dir);
        l.conditions(dir);
        l.observations(dir);
        l.medications(dir);
        l.procedures(dir);
        l.careplans(dir);
        l.imaging_studies(dir);
        l.claims(dir);
        for (file, kind) in [
            ("immunizations.csv", "immunizations"),
            ("allergies.csv", "allergies"),
            ("devices.csv", "devices"),
            ("supplies.csv", "supplies"),
            ("claims_transactions.csv", "claims_transactions"),
            ("payer_transitions.csv", "payer_transitions"),
        ] {
            l.count_skipped(dir, file, kind);
        }
        Ok(l.report)
    }
}

impl Loader<'_> {
    fn open(&mut self, dir: &Path, name: &'static str) -> Option<CsvFile> {
        CsvFile::open(self.net, dir, name, &mut self.report)
    }

    fn organizations(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "organizations.csv") else {
            return;
        };
        let Some(id) = f.require(&["id"], &mut self.report) else {
            return;
        };
        let name_c = f.col(&["name"]);
        let feed = f.feed;
        let net = &mut *self.net;
        let open = &mut self.org_kind_open;
        f.rows(&mut self.report, "organizations", |row, report| {
            let Some(key) = row.get(Some(id), report) else {
                report.issue(SOURCE, row.loc(Some(id)), "empty id");
                report.skipped("organizations");
                return;
            };
            let name = row.get(name_c, report);
            let by_name = name.as_deref().and_then(org_kind_from_name);
            let org = Organization {
                id: net.intern(&key),
                name: name.as_deref().map(|n| net.intern(n)),
                kind: by_name.unwrap_or(OrgKind::Practice),
                identifiers: vec![(net.intern(SYNTHEA_ID_SYSTEM), net.intern(&key))],
                provenance: Provenance { org: None, feed },
            };
            let o = net.upsert_organization(&key, org);
            net.alias_organization(&format!("{SYNTHEA_ID_SYSTEM}|{key}"), o);
            if by_name.is_none() {
                open.insert(o);
            }
            report.loaded("organizations");
        });
    }

    fn payers(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "payers.csv") else {
            return;
        };
        let Some(id) = f.require(&["id"], &mut self.report) else {
            return;
        };
        let name_c = f.col(&["name"]);
        let feed = f.feed;
        let net = &mut *self.net;
        f.rows(&mut self.report, "payers", |row, report| {
            let Some(key) = row.get(Some(id), report) else {
                report.issue(SOURCE, row.loc(Some(id)), "empty id");
                report.skipped("payers");
                return;
            };
            let name = row.get(name_c, report);
            let org = Organization {
                id: net.intern(&key),
                name: name.as_deref().map(|n| net.intern(n)),
                kind: OrgKind::Payer,
                identifiers: vec![(net.intern(SYNTHEA_ID_SYSTEM), net.intern(&key))],
                provenance: Provenance { org: None, feed },
            };
            net.upsert_organization(&key, org);
            report.loaded("payers");
        });
    }

    fn providers(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "providers.csv") else {
            return;
        };
        let Some(id) = f.require(&["id"], &mut self.report) else {
            return;
        };
        let org_c = f.col(&["organization"]);
        let spec_c = f.col(&["speciality", "specialty"]);
        let feed = f.feed;
        let net = &mut *self.net;
        f.rows(&mut self.report, "providers", |row, report| {
            let Some(key) = row.get(Some(id), report) else {
                report.issue(SOURCE, row.loc(Some(id)), "empty id");
                report.skipped("providers");
                return;
            };
            let org = row
                .get(org_c, report)
                .and_then(|o| net.organization_by_key(&o));
            let specialty = row.get(spec_c, report);
            // Synthea's primary-care clinicians are "GENERAL PRACTICE"; everything else is a
            // specialty (synthetichealth/synthea, ClinicianSpecialty).
            let role = match specialty.as_deref() {
                Some(s) if s.eq_ignore_ascii_case("GENERAL PRACTICE") => PractitionerRole::Pcp,
                Some(_) => PractitionerRole::Specialist,
                None => PractitionerRole::Other,
            };
            let pract = Practitioner {
                id: net.intern(&key),
                role,
                specialty: specialty.as_deref().map(|s| net.intern(s)),
                org,
                identifiers: vec![(net.intern(SYNTHEA_ID_SYSTEM), net.intern(&key))],
                provenance: Provenance { org, feed },
            };
            net.upsert_practitioner(&key, pract);
            report.loaded("providers");
        });
    }

    fn patients(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "patients.csv") else {
            return;
        };
        let Some(id) = f.require(&["id"], &mut self.report) else {
            return;
        };
        let birth_c = f.col(&["birthdate"]);
        let death_c = f.col(&["deathdate"]);
        let gender_c = f.col(&["gender", "sex"]);
        let ssn_c = f.col(&["ssn"]);
        let drivers_c = f.col(&["drivers"]);
        let passport_c = f.col(&["passport"]);
        let feed = f.feed;
        let net = &mut *self.net;
        f.rows(&mut self.report, "patients", |row, report| {
            let Some(key) = row.get(Some(id), report) else {
                report.issue(SOURCE, row.loc(Some(id)), "empty id");
                report.skipped("patients");
                return;
            };
            let Ok(birth) = row.time(birth_c, report) else {
                report.skipped("patients");
                return;
            };
            let Ok(death) = row.time(death_c, report) else {
                report.skipped("patients");
                return;
            };
            let ssn = row.get(ssn_c, report);
            let drivers = row.get(drivers_c, report);
            let passport = row.get(passport_c, report);
            let mut identifiers = vec![(SYNTHEA_ID_SYSTEM, key.as_ref())];
            for (sys, v) in [
                (SSN_SYSTEM, &ssn),
                (DRIVERS_SYSTEM, &drivers),
                (PASSPORT_SYSTEM, &passport),
            ] {
                if let Some(v) = v.as_deref() {
                    // Synthea writes `false` for "has no passport / licence" in some releases.
                    if !v.eq_ignore_ascii_case("false") {
                        identifiers.push((sys, v));
                    }
                }
            }
            let sex = row
                .get(gender_c, report)
                .map_or(Sex::Unknown, |g| Sex::parse(&g));
            let input = PatientInput {
                id: &key,
                identifiers,
                birth_date: birth,
                sex,
                deceased: death.is_some(),
                death_date: death,
            };
            net.upsert_patient(&input, Provenance { org: None, feed });
            report.loaded("patients");
        });
    }

    fn encounters(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "encounters.csv") else {
            return;
        };
        let report = &mut self.report;
        let (Some(id), Some(start_c), Some(patient_c)) = (
            f.require(&["id"], report),
            f.require(&["start", "date"], report),
            f.require(&["patient", "patientid"], report),
        ) else {
            return;
        };
        let stop_c = f.col(&["stop"]);
        let org_c = f.col(&["organization"]);
        let prov_c = f.col(&["provider"]);
        let class_c = f.col(&["encounterclass"]);
        let code_c = f.col(&["code"]);
        let reason_c = f.col(&["reasoncode"]);
        let feed = f.feed;
        let net = &mut *self.net;
        let encounters = &mut self.encounters;
        let mut classes_by_org: HashMap<OrgIdx, Setting> = HashMap::new();
        f.rows(report, "encounters", |row, report| {
            let Some(key) = row.get(Some(id), report) else {
                report.issue(SOURCE, row.loc(Some(id)), "empty id");
                report.skipped("encounters");
                return;
            };
            let Some(patient) = lookup_patient(net, row, patient_c, report) else {
                report.skipped("encounters");
                return;
            };
            let Some(start) = row.required_time(Some(start_c), report) else {
                report.skipped("encounters");
                return;
            };
            let end = row.optional_time(stop_c, report);
            let org = row.get(org_c, report).and_then(|o| {
                let found = net.organization_by_key(&o);
                if found.is_none() {
                    report.issue(SOURCE, row.loc(org_c), "unknown organization reference");
                }
                found
            });
            let practitioner = row.get(prov_c, report).and_then(|p| {
                let found = net.practitioner_by_key(&p);
                if found.is_none() {
                    report.issue(SOURCE, row.loc(prov_c), "unknown provider reference");
                }
                found
            });
            let setting = row
                .get(class_c, report)
                .map_or(Setting::Other, |c| setting_of_encounter_class(&c));
            if let Some(o) = org {
                let e = classes_by_org.entry(o).or_insert(setting);
                if org_kind_rank(setting) > org_kind_rank(*e) {
                    *e = setting;
                }
            }
            let type_code = row
                .get(code_c, report)
                .and_then(|c| net.code(CodeSystem::Snomed, &c));
            let enc = Encounter {
                id: net.intern(&key),
                patient,
                setting,
                start,
                end,
                org,
                practitioner,
                admission_type: AdmissionType::Unknown,
                disposition: Disposition::Unknown,
                type_code,
                provenance: Provenance { org, feed },
            };
            let e = net.upsert_encounter(&key, enc);
            encounters.insert(
                key.into_owned(),
                EncInfo {
                    enc: e,
                    org,
                    practitioner,
                },
            );
            report.loaded("encounters");
            if let Some(code) = row
                .get(reason_c, report)
                .and_then(|c| net.code(CodeSystem::Snomed, &c))
            {
                net.add_diagnosis(Diagnosis {
                    encounter: e,
                    code,
                    principal: true,
                });
                report.loaded("encounter_diagnoses");
            }
        });
        // Organisations whose name did not tell their kind: the strongest class seen there.
        for (o, setting) in classes_by_org {
            if !self.org_kind_open.contains(&o) {
                continue;
            }
            let kind = match setting {
                Setting::Inpatient | Setting::Emergency => OrgKind::Hospital,
                Setting::Snf => OrgKind::Snf,
                Setting::Hospice => OrgKind::Hospice,
                Setting::HomeHealth => OrgKind::HomeHealth,
                _ => continue,
            };
            self.net.organizations[o.idx()].kind = kind;
        }
    }

    /// The encounter a row refers to (`ENCOUNTER`); an unknown reference is an issue but the
    /// row still loads without it.
    fn encounter_of(
        encounters: &HashMap<String, EncInfo>,
        row: &Row<'_>,
        col: Option<usize>,
        report: &mut IngestReport,
    ) -> Option<EncInfo> {
        let key = row.get(col, report)?;
        let found = encounters.get(key.as_ref()).copied();
        if found.is_none() {
            report.issue(SOURCE, row.loc(col), "unknown encounter reference");
        }
        found
    }

    fn conditions(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "conditions.csv") else {
            return;
        };
        let report = &mut self.report;
        let (Some(patient_c), Some(code_c), Some(start_c)) = (
            f.require(&["patient"], report),
            f.require(&["code"], report),
            f.require(&["start", "date"], report),
        ) else {
            return;
        };
        let stop_c = f.col(&["stop"]);
        let enc_c = f.col(&["encounter"]);
        let desc_c = f.col(&["description"]);
        let feed = f.feed;
        let net = &mut *self.net;
        let encounters = &self.encounters;
        f.rows(report, "conditions", |row, report| {
            let Some(patient) = lookup_patient(net, row, patient_c, report) else {
                report.skipped("conditions");
                return;
            };
            let Some(code_text) = row.get(Some(code_c), report) else {
                report.issue(SOURCE, row.loc(Some(code_c)), "empty code");
                report.skipped("conditions");
                return;
            };
            let Some(onset) = row.required_time(Some(start_c), report) else {
                report.skipped("conditions");
                return;
            };
            let abatement = row.optional_time(stop_c, report);
            let enc = Self::encounter_of(encounters, row, enc_c, report);
            let Some(code) = net.code(CodeSystem::Snomed, &code_text) else {
                report.skipped("conditions");
                return;
            };
            let category = if crosswalk::is_social_history(&code_text) {
                ConditionCategory::SocialHistory
            } else {
                ConditionCategory::ProblemList
            };
            let display = row.get(desc_c, report).map(|d| net.intern(&d));
            net.add_condition(Condition {
                patient,
                encounter: enc.map(|e| e.enc),
                code,
                display,
                onset: Some(onset),
                abatement,
                category,
                provenance: Provenance {
                    org: enc.and_then(|e| e.org),
                    feed,
                },
            });
            report.loaded("conditions");
        });
    }

    fn observations(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "observations.csv") else {
            return;
        };
        let report = &mut self.report;
        let (Some(patient_c), Some(code_c)) = (
            f.require(&["patient"], report),
            f.require(&["code"], report),
        ) else {
            return;
        };
        let date_c = f.col(&["date", "start"]);
        let enc_c = f.col(&["encounter"]);
        let value_c = f.col(&["value"]);
        let units_c = f.col(&["units", "unit"]);
        let type_c = f.col(&["type"]);
        let feed = f.feed;
        let net = &mut *self.net;
        let encounters = &self.encounters;
        f.rows(report, "observations", |row, report| {
            let Some(patient) = lookup_patient(net, row, patient_c, report) else {
                report.skipped("observations");
                return;
            };
            let Some(code) = row
                .get(Some(code_c), report)
                .and_then(|c| net.code(CodeSystem::Loinc, &c))
            else {
                report.issue(SOURCE, row.loc(Some(code_c)), "empty code");
                report.skipped("observations");
                return;
            };
            let Ok(time) = row.time(date_c, report) else {
                report.skipped("observations");
                return;
            };
            let enc = Self::encounter_of(encounters, row, enc_c, report);
            let kind = row.get(type_c, report);
            let value = match row.get(value_c, report) {
                None => ObsValue::None,
                Some(v) => {
                    let numeric_declared = kind
                        .as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case("numeric"));
                    let text_declared = kind
                        .as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case("text"));
                    match v.parse::<f64>() {
                        Ok(n) if !text_declared && n.is_finite() => ObsValue::Number(n),
                        _ => {
                            if numeric_declared {
                                report.issue(
                                    SOURCE,
                                    row.loc(value_c),
                                    "TYPE is numeric but VALUE is not a number",
                                );
                            }
                            ObsValue::Text(net.intern(&v))
                        }
                    }
                }
            };
            let unit = row.get(units_c, report).map(|u| net.intern(&u));
            net.add_observation(Observation {
                patient,
                encounter: enc.map(|e| e.enc),
                code,
                value,
                unit,
                time,
                performer: enc.and_then(|e| e.practitioner),
                provenance: Provenance {
                    org: enc.and_then(|e| e.org),
                    feed,
                },
            });
            report.loaded("observations");
        });
    }

    fn medications(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "medications.csv") else {
            return;
        };
        let report = &mut self.report;
        let (Some(patient_c), Some(code_c), Some(start_c)) = (
            f.require(&["patient"], report),
            f.require(&["code"], report),
            f.require(&["start", "date"], report),
        ) else {
            return;
        };
        let stop_c = f.col(&["stop"]);
        let enc_c = f.col(&["encounter"]);
        let desc_c = f.col(&["description"]);
        let feed = f.feed;
        let net = &mut *self.net;
        let encounters = &self.encounters;
        f.rows(report, "medications", |row, report| {
            let Some(patient) = lookup_patient(net, row, patient_c, report) else {
                report.skipped("medications");
                return;
            };
            let Some(code) = row
                .get(Some(code_c), report)
                .and_then(|c| net.code(CodeSystem::RxNorm, &c))
            else {
                report.issue(SOURCE, row.loc(Some(code_c)), "empty code");
                report.skipped("medications");
                return;
            };
            let Some(start) = row.required_time(Some(start_c), report) else {
                report.skipped("medications");
                return;
            };
            let stop = row.optional_time(stop_c, report);
            let enc = Self::encounter_of(encounters, row, enc_c, report);
            let display = row.get(desc_c, report).map(|d| net.intern(&d));
            net.add_medication(MedicationOrder {
                patient,
                encounter: enc.map(|e| e.enc),
                code,
                display,
                start: Some(start),
                stop,
                // Synthea leaves STOP empty while a prescription is still active.
                status: if stop.is_some() {
                    MedStatus::Completed
                } else {
                    MedStatus::Active
                },
                prescriber: enc.and_then(|e| e.practitioner),
                org: enc.and_then(|e| e.org),
                source: MedSource::Order,
                provenance: Provenance {
                    org: enc.and_then(|e| e.org),
                    feed,
                },
            });
            report.loaded("medications");
        });
    }

    fn procedures(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "procedures.csv") else {
            return;
        };
        let report = &mut self.report;
        let (Some(patient_c), Some(code_c), Some(start_c)) = (
            f.require(&["patient"], report),
            f.require(&["code"], report),
            f.require(&["start", "date"], report),
        ) else {
            return;
        };
        let enc_c = f.col(&["encounter"]);
        let desc_c = f.col(&["description"]);
        let feed = f.feed;
        let net = &mut *self.net;
        let encounters = &self.encounters;
        f.rows(report, "procedures", |row, report| {
            let Some(patient) = lookup_patient(net, row, patient_c, report) else {
                report.skipped("procedures");
                return;
            };
            let Some(code) = row
                .get(Some(code_c), report)
                .and_then(|c| net.code(CodeSystem::Snomed, &c))
            else {
                report.issue(SOURCE, row.loc(Some(code_c)), "empty code");
                report.skipped("procedures");
                return;
            };
            let Some(time) = row.required_time(Some(start_c), report) else {
                report.skipped("procedures");
                return;
            };
            let enc = Self::encounter_of(encounters, row, enc_c, report);
            let display = row.get(desc_c, report).map(|d| net.intern(&d));
            net.add_procedure(Procedure {
                patient,
                encounter: enc.map(|e| e.enc),
                code,
                display,
                time: Some(time),
                kind: ProcedureKind::Performed,
                practitioner: enc.and_then(|e| e.practitioner),
                org: enc.and_then(|e| e.org),
                provenance: Provenance {
                    org: enc.and_then(|e| e.org),
                    feed,
                },
            });
            report.loaded("procedures");
        });
    }

    fn careplans(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "careplans.csv") else {
            return;
        };
        let Some(patient_c) = f.require(&["patient"], &mut self.report) else {
            return;
        };
        let start_c = f.col(&["start"]);
        let stop_c = f.col(&["stop"]);
        let code_c = f.col(&["code"]);
        let enc_c = f.col(&["encounter"]);
        let feed = f.feed;
        let net = &mut *self.net;
        let encounters = &self.encounters;
        f.rows(&mut self.report, "careplans", |row, report| {
            let Some(patient) = lookup_patient(net, row, patient_c, report) else {
                report.skipped("careplans");
                return;
            };
            let Ok(start) = row.time(start_c, report) else {
                report.skipped("careplans");
                return;
            };
            let end = row.optional_time(stop_c, report);
            let enc = Self::encounter_of(encounters, row, enc_c, report);
            let code = row
                .get(code_c, report)
                .and_then(|c| net.code(CodeSystem::Snomed, &c));
            net.add_care_plan(CarePlan {
                patient,
                code,
                start,
                end,
                active: end.is_none(),
                provenance: Provenance {
                    org: enc.and_then(|e| e.org),
                    feed,
                },
            });
            report.loaded("careplans");
        });
    }

    fn imaging_studies(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "imaging_studies.csv") else {
            return;
        };
        let Some(patient_c) = f.require(&["patient"], &mut self.report) else {
            return;
        };
        let id_c = f.col(&["id"]);
        let date_c = f.col(&["date", "start"]);
        let enc_c = f.col(&["encounter"]);
        let proc_c = f.col(&["procedure_code"]);
        let modality_c = f.col(&["modality_code"]);
        let site_c = f.col(&["bodysite_description"]);
        let feed = f.feed;
        let net = &mut *self.net;
        let encounters = &self.encounters;
        // Several rows (series, instances) may belong to one study: one procedure per study.
        let mut seen: HashSet<String> = HashSet::new();
        f.rows(&mut self.report, "imaging_studies", |row, report| {
            if let Some(id) = row.get(id_c, report)
                && !seen.insert(id.into_owned())
            {
                return;
            }
            let Some(patient) = lookup_patient(net, row, patient_c, report) else {
                report.skipped("imaging_studies");
                return;
            };
            let Ok(time) = row.time(date_c, report) else {
                report.skipped("imaging_studies");
                return;
            };
            let Some(code) = row
                .get(proc_c, report)
                .and_then(|c| net.code(CodeSystem::Snomed, &c))
            else {
                // Older exports have no PROCEDURE_CODE: nothing comparable to store.
                report.skipped("imaging_studies");
                return;
            };
            let enc = Self::encounter_of(encounters, row, enc_c, report);
            let modality = row.get(modality_c, report);
            let site = row.get(site_c, report);
            let display = match (modality.as_deref(), site.as_deref()) {
                (Some(m), Some(s)) => Some(net.intern(&format!("{m} {s}"))),
                (Some(x), None) | (None, Some(x)) => Some(net.intern(x)),
                (None, None) => None,
            };
            net.add_procedure(Procedure {
                patient,
                encounter: enc.map(|e| e.enc),
                code,
                display,
                time,
                kind: ProcedureKind::Report,
                practitioner: enc.and_then(|e| e.practitioner),
                org: enc.and_then(|e| e.org),
                provenance: Provenance {
                    org: enc.and_then(|e| e.org),
                    feed,
                },
            });
            report.loaded("imaging_studies");
        });
    }

    fn claims(&mut self, dir: &Path) {
        let Some(mut f) = self.open(dir, "claims.csv") else {
            return;
        };
        let report = &mut self.report;
        let (Some(_patient_c), Some(enc_c)) = (
            f.require(&["patientid", "patient"], report),
            f.require(&["appointmentid", "encounter"], report),
        ) else {
            return;
        };
        let diag_cols: Vec<usize> = (1..=8)
            .filter_map(|i| f.col(&[format!("diagnosis{i}").as_str()]))
            .collect();
        let net = &mut *self.net;
        let encounters = &self.encounters;
        let mut has_dx: HashSet<EncIdx> = net.diagnoses.iter().map(|d| d.encounter).collect();
        f.rows(report, "claims", |row, report| {
            let Some(enc) = Self::encounter_of(encounters, row, Some(enc_c), report) else {
                report.skipped("claims");
                return;
            };
            report.loaded("claims");
            if has_dx.contains(&enc.enc) {
                return;
            }
            let mut added: Vec<Code> = Vec::new();
            for &c in &diag_cols {
                if let Some(code) = row
                    .get(Some(c), report)
                    .and_then(|v| net.code(CodeSystem::Snomed, &v))
                    && !added.contains(&code)
                {
                    net.add_diagnosis(Diagnosis {
                        encounter: enc.enc,
                        code,
                        principal: added.is_empty(),
                    });
                    added.push(code);
                    report.loaded("claim_diagnoses");
                }
            }
            if !added.is_empty() {
                has_dx.insert(enc.enc);
            }
        });
    }

    /// Files with no place in the model: each data row is counted as skipped under `kind`.
    fn count_skipped(&mut self, dir: &Path, name: &'static str, kind: &str) {
        let Some(mut f) = self.open(dir, name) else {
            return;
        };
        f.rows(&mut self.report, kind, |_, report| {
            report.skipped_kind(kind)
        });
    }
}

/// Rank of encounter classes for organisation-kind inference (higher = more telling).
fn org_kind_rank(s: Setting) -> u8 {
    match s {
        Setting::Inpatient => 5,
        Setting::Emergency => 4,
        Setting::Snf => 3,
        Setting::Hospice => 2,
        Setting::HomeHealth => 1,
        _ => 0,
    }
}

/// The patient a row refers to; an unknown or empty reference is an issue.
fn lookup_patient(
    net: &Network,
    row: &Row<'_>,
    col: usize,
    report: &mut IngestReport,
) -> Option<PatientIdx> {
    let Some(key) = row.get(Some(col), report) else {
        report.issue(SOURCE, row.loc(Some(col)), "empty patient reference");
        return None;
    };
    let p = net.patient_by_id(&key);
    if p.is_none() {
        report.issue(SOURCE, row.loc(Some(col)), "unknown patient reference");
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encounter_classes_map_to_settings() {
        assert_eq!(
            setting_of_encounter_class("urgentcare"),
            Setting::Ambulatory
        );
        assert_eq!(
            setting_of_encounter_class("OUTPATIENT"),
            Setting::Ambulatory
        );
        assert_eq!(setting_of_encounter_class("home"), Setting::HomeHealth);
        assert_eq!(setting_of_encounter_class("snf"), Setting::Snf);
        assert_eq!(setting_of_encounter_class("virtual"), Setting::Virtual);
        assert_eq!(setting_of_encounter_class("xyz"), Setting::Other);
    }

    #[test]
    fn organisation_kind_from_name() {
        assert_eq!(
            org_kind_from_name("SOUTHWOOD AT NORWELL NURSING CTR"),
            Some(OrgKind::Snf)
        );
        assert_eq!(
            org_kind_from_name("Boston Medical Center"),
            Some(OrgKind::Hospital)
        );
        assert_eq!(org_kind_from_name("Fitchburg Outpatient Clinic"), None);
    }
}
