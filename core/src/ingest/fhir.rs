//! FHIR R4 JSON ingest: Bundles (collection, transaction, batch, searchset, batch-response,
//! history, document), single resources and Bulk Data ndjson, from a file, a directory or bytes.
//!
//! Directory loads read provider files first (Synthea `hospitalInformation*` /
//! `practitionerInformation*`, bulk `Organization`, `Location`, `Practitioner`,
//! `PractitionerRole`, `Medication`), then `Patient`, then `Encounter`, then the rest, each group
//! sorted by path, so conditional references resolve in one pass. Encounter references that
//! still point nowhere are retried once the whole load is read. Organisation and practitioner
//! references that never meet their resource are kept as placeholders (named by the reference's
//! `display`) and reported in one summary issue.
//!
//! Only input that cannot be read at all is an `Err` (`CinError::Io` for a missing path,
//! `CinError::Parse` with file and line for empty input, broken JSON, or a top-level value that
//! is not an object); everything else is an [`IngestIssue`](crate::ingest::IngestIssue) with
//! file, line (ndjson, or the JSON line for number checks), entry (bundle index) and field path.
//! In a directory load a file that cannot be read is an issue and the other files still load.
//!
//! Choices where FHIR leaves room:
//! * a Period whose end is before its start keeps the start and drops the end (issue);
//! * an Encounter without any period start is skipped (the model needs a start);
//! * Patient ids are the resource ids as written (bundle entries without an id use their
//!   fullUrl), so the same id in two sources is one patient, and shared identifiers merge too;
//! * Claim / ExplanationOfBenefit diagnoses go onto the claim's encounter (deduplicated per
//!   encounter and code), or become `ClaimDiagnosis` conditions when no encounter is named.

use super::fhir_json::{find_either, parse_checked, scan_numbers};
use super::fhir_refs::{self, RefError};
use super::fhir_value::Value;
use crate::error::{CinError, Location, Result};
use crate::ingest::IngestReport;
use crate::intern::{FxBuild, FxHashMap};
use crate::model::*;
use crate::network::Network;
use crate::time::Timestamp;
use std::path::{Path, PathBuf};

/// Feed kind label used in issues.
const SOURCE: &str = "fhir";

type FxHashSet<T> = std::collections::HashSet<T, FxBuild>;

impl Network {
    /// Loads a FHIR `.json` file (Bundle or single resource), a `.ndjson` file (one resource per
    /// line) or a directory of them (recursively). `Err` only when nothing can be read.
    pub fn load_fhir_path(&mut self, path: &Path) -> Result<IngestReport> {
        let meta = std::fs::metadata(path).map_err(|e| CinError::io(path.display(), e))?;
        let mut loader = Loader::new(self);
        loader.load_name = path.display().to_string();
        if meta.is_dir() {
            let files = fhir_files_in_load_order(path)?;
            if files.is_empty() {
                let loc = Location::new(path.display().to_string());
                loader
                    .report
                    .issue(SOURCE, loc, "directory holds no .json or .ndjson file");
            }
            for f in &files {
                let bytes = std::fs::read(f).map_err(|e| CinError::io(f.display(), e))?;
                let name = f.display().to_string();
                let ndjson = f.extension().is_some_and(|e| e == "ndjson");
                // In a directory, a file that cannot be read at all is an issue, not an error.
                if let Err(e) = loader.load_document(&bytes, &name, ndjson) {
                    let location = match &e {
                        CinError::Parse { location, .. } => location.clone(),
                        _ => Location::new(name.clone()),
                    };
                    loader
                        .report
                        .issue(SOURCE, location, format!("file skipped: {e}"));
                    loader.report.skipped("file");
                }
            }
        } else {
            let bytes = std::fs::read(path).map_err(|e| CinError::io(path.display(), e))?;
            let ndjson = path.extension().is_some_and(|e| e == "ndjson");
            loader.load_document(&bytes, &path.display().to_string(), ndjson)?;
        }
        Ok(loader.finish())
    }

    /// Loads FHIR JSON from memory: a Bundle, a single resource or ndjson (detected).
    pub fn load_fhir_bytes(&mut self, bytes: &[u8], source_name: &str) -> Result<IngestReport> {
        let mut loader = Loader::new(self);
        loader.load_name = source_name.to_string();
        loader.load_document(bytes, source_name, false)?;
        Ok(loader.finish())
    }
}

/// Every `.json` / `.ndjson` under `dir`, providers first (see the module doc).
fn fhir_files_in_load_order(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| CinError::io(d.display(), e))?;
        for entry in rd {
            let entry = entry.map_err(|e| CinError::io(d.display(), e))?;
            let p = entry.path();
            // Directories are followed only when real (not symlinks), so a link cycle cannot loop.
            let ft = entry
                .file_type()
                .map_err(|e| CinError::io(p.display(), e))?;
            if ft.is_dir() {
                stack.push(p);
            } else if (ft.is_file() || p.is_file())
                && p.extension().is_some_and(|e| e == "json" || e == "ndjson")
            {
                files.push(p);
            }
        }
    }
    files.sort_by_cached_key(|p| (load_group(p), p.clone()));
    Ok(files)
}

/// 0 providers and medications, 1 patients, 2 encounters, 3 everything else.
fn load_group(p: &Path) -> u8 {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with("hospitalInformation") || name.starts_with("practitionerInformation") {
        return 0;
    }
    let ty = name.split('.').next().unwrap_or("");
    match ty {
        "Organization" | "Location" | "Practitioner" | "PractitionerRole" | "Medication" => 0,
        "Patient" => 1,
        "Encounter" => 2,
        _ => 3,
    }
}

/// A fact whose encounter reference is resolved after the whole load.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FactSlot {
    Condition(usize),
    Observation(usize),
    Medication(usize),
    Procedure(usize),
}

/// A diagnosis that names a Condition resource not seen yet.
pub(crate) struct PendingDiagnosis {
    pub encounter: EncIdx,
    pub condition_key: String,
    pub principal: bool,
}

/// State of one load call (one file, one directory or one byte buffer).
pub(crate) struct Loader<'n> {
    pub net: &'n mut Network,
    pub report: IngestReport,
    pub feed: FeedIdx,
    source: String,
    line: Option<usize>,
    entry: Option<usize>,
    /// Bundle fullUrl → key (`Type/id`), for the current document.
    urls: FxHashMap<String, String>,
    /// Contained resources of the resource being read, by `#id`.
    pub contained: Vec<(String, Value<'static>)>,
    /// Key of the resource being read (`Type/id`; `Type/<fullUrl>` for an entry without id).
    pub current_key: String,
    /// `Type/<fullUrl>` of the bundle entry being read when its resource has no id.
    entry_key: Option<String>,
    /// Medication resources by key (`Medication/id`, fullUrl), for `medicationReference`.
    pub medications: FxHashMap<String, (Code, Option<crate::intern::Sym>)>,
    /// Condition codes by key, for Encounter.diagnosis and Claim.diagnosisReference.
    pub condition_codes: FxHashMap<String, Code>,
    pub pending_encounters: Vec<(FactSlot, String)>,
    pub pending_diagnoses: Vec<PendingDiagnosis>,
    pub diagnoses_seen: FxHashSet<(EncIdx, Code)>,
    pub placeholder_orgs: FxHashSet<OrgIdx>,
    pub placeholder_practs: FxHashSet<PractIdx>,
    feeds_by_source: FxHashMap<String, FeedIdx>,
    /// The path or name the caller gave, for issues about the whole load.
    load_name: String,
}

impl<'n> Loader<'n> {
    fn new(net: &'n mut Network) -> Self {
        Loader {
            net,
            report: IngestReport::default(),
            feed: FeedIdx(0),
            source: String::new(),
            line: None,
            entry: None,
            urls: FxHashMap::default(),
            contained: Vec::new(),
            current_key: String::new(),
            entry_key: None,
            medications: FxHashMap::default(),
            condition_codes: FxHashMap::default(),
            pending_encounters: Vec::new(),
            pending_diagnoses: Vec::new(),
            diagnoses_seen: FxHashSet::default(),
            placeholder_orgs: FxHashSet::default(),
            placeholder_practs: FxHashSet::default(),
            feeds_by_source: FxHashMap::default(),
            load_name: String::new(),
        }
    }

    /// Current location with a field path.
    pub fn at(&self, field: Option<&str>) -> Location {
        Location {
            source: self.source.clone(),
            line: self.line,
            entry: self.entry,
            field: field.map(str::to_string),
        }
    }

    /// Records an issue at the current location.
    pub fn issue(&mut self, field: &str, message: impl Into<String>) {
        let loc = self.at(Some(field));
        self.report.issue(SOURCE, loc, message);
    }

    fn parse_error(&self, line: Option<usize>, message: String) -> CinError {
        let mut loc = Location::new(self.source.clone());
        loc.line = line;
        CinError::parse(loc, message)
    }

    /// Reads one file's worth of bytes. `ndjson` forces line mode; otherwise it is detected.
    fn load_document(&mut self, bytes: &[u8], source: &str, ndjson: bool) -> Result<()> {
        self.source = source.to_string();
        self.line = None;
        self.entry = None;
        self.urls.clear();
        let feed = match self.feeds_by_source.get(source) {
            Some(&f) => f,
            None => {
                let f = self.net.add_feed(FeedKind::Fhir, source);
                self.feeds_by_source.insert(source.to_string(), f);
                f
            }
        };
        self.feed = feed;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let Some(first) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
            return Err(self.parse_error(None, "empty input: no JSON found".into()));
        };
        if ndjson {
            self.load_ndjson(bytes);
            return Ok(());
        }
        match parse_checked(&bytes[first..]) {
            Ok((value, dups)) => {
                let first_line = 1 + bytes[..first].iter().filter(|&&b| b == b'\n').count();
                self.report_json_checks(&bytes[first..], first_line, &dups);
                match value {
                    Value::Object(_) => {
                        self.load_top(&value);
                        Ok(())
                    }
                    Value::Array(_) => Err(self.parse_error(
                        None,
                        "top-level JSON array: expected a FHIR resource or Bundle object".into(),
                    )),
                    _ => Err(self.parse_error(
                        None,
                        "top-level JSON value is not an object: expected a FHIR resource".into(),
                    )),
                }
            }
            Err(e) => {
                // Several JSON objects one per line → bulk ndjson.
                if e.is_syntax() && e.line() >= 1 && looks_like_ndjson(&bytes[first..]) {
                    self.load_ndjson(bytes);
                    return Ok(());
                }
                let line = bytes[..first].iter().filter(|&&b| b == b'\n').count() + e.line().max(1);
                Err(self.parse_error(
                    Some(line),
                    format!(
                        "not valid JSON ({:?} error at column {})",
                        e.classify(),
                        e.column()
                    ),
                ))
            }
        }
    }

    /// Duplicate keys and out-of-range decimals found while reading a JSON text.
    fn report_json_checks(&mut self, text: &[u8], first_line: usize, dups: &[String]) {
        for k in dups {
            let key: String = k.chars().take(64).collect();
            self.issue(
                &key,
                "duplicate JSON property; the first value is kept (FHIR JSON allows each once)",
            );
        }
        for bad in scan_numbers(text, first_line) {
            let mut loc = self.at(Some(&bad.key));
            loc.line = Some(bad.line);
            self.report.issue(
                SOURCE,
                loc,
                format!("number is not a valid FHIR decimal: {}", bad.reason),
            );
        }
    }

    fn load_ndjson(&mut self, bytes: &[u8]) {
        let mut pos = 0;
        let mut line_no = 0;
        while pos < bytes.len() {
            let end = find_either(&bytes[pos..], b'\n', b'\n').map_or(bytes.len(), |p| pos + p);
            let raw = &bytes[pos..end];
            pos = end + 1;
            line_no += 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.line = Some(line_no);
            self.entry = None;
            self.urls.clear();
            match parse_checked(raw) {
                Ok((v, dups)) => {
                    self.report_json_checks(raw, line_no, &dups);
                    if v.is_object() {
                        self.load_top(&v);
                    } else {
                        self.issue("$", "ndjson line is not a JSON object");
                        self.report.skipped("(not a resource)");
                    }
                }
                Err(e) => {
                    let loc = self.at(None);
                    self.report.issue(
                        SOURCE,
                        loc,
                        format!(
                            "ndjson line is not valid JSON ({:?} error at column {})",
                            e.classify(),
                            e.column()
                        ),
                    );
                    self.report.skipped("(unreadable line)");
                }
            }
        }
        self.line = None;
    }

    /// A top-level object: a Bundle or a single resource.
    fn load_top(&mut self, v: &Value) {
        match v.get("resourceType").and_then(Value::as_str) {
            Some("Bundle") => self.load_bundle(v, 0),
            Some(_) => self.load_resource(v),
            None => {
                self.issue(
                    "resourceType",
                    "JSON object has no resourceType: not a FHIR resource",
                );
                self.report.skipped("(no resourceType)");
            }
        }
    }

    fn load_bundle(&mut self, b: &Value, depth: usize) {
        self.report.loaded("Bundle");
        if let Some(t) = b.get("type") {
            match t.as_str() {
                Some(
                    "collection"
                    | "transaction"
                    | "batch"
                    | "searchset"
                    | "batch-response"
                    | "transaction-response"
                    | "history"
                    | "document"
                    | "message",
                ) => {}
                Some(_) => self.issue("Bundle.type", "unknown Bundle.type; entries read anyway"),
                None => self.issue("Bundle.type", "Bundle.type must be a string"),
            }
        }
        let entries = match b.get("entry") {
            None => return,
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.issue("Bundle.entry", "Bundle.entry must be a JSON array");
                return;
            }
        };
        // First pass: fullUrl → key, so references in any order resolve; Medications early.
        for (i, e) in entries.iter().enumerate() {
            self.entry = Some(i);
            let res = e.get("resource").filter(|r| r.is_object());
            let key = res.and_then(|r| resource_key(r).or_else(|| fallback_key(r, e)));
            match e.get("fullUrl") {
                Some(Value::String(u)) => {
                    if !fhir_refs::is_absolute_url(u) {
                        self.issue(
                            "Bundle.entry.fullUrl",
                            "fullUrl must be an absolute URL (urn:uuid:, urn:oid: or http(s)://)",
                        );
                    }
                    if let Some(k) = &key {
                        self.urls.insert(u.to_string(), k.clone());
                    }
                }
                Some(_) => self.issue("Bundle.entry.fullUrl", "fullUrl must be a string"),
                None => {}
            }
            if let (Some(r), Some(k)) = (res, &key)
                && r.get("resourceType").and_then(Value::as_str) == Some("Medication")
            {
                self.register_medication(r, k);
                if let Some(Value::String(u)) = e.get("fullUrl") {
                    let u = u.clone();
                    self.register_medication(r, &u);
                }
            }
        }
        for (i, e) in entries.iter().enumerate() {
            self.entry = Some(i);
            match e.get("resource") {
                Some(r @ Value::Object(_)) => {
                    if r.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
                        if depth < 4 {
                            let saved = std::mem::take(&mut self.urls);
                            self.load_bundle(r, depth + 1);
                            self.urls = saved;
                            self.entry = Some(i);
                        } else {
                            self.issue("Bundle.entry.resource", "Bundles nested too deep");
                        }
                    } else {
                        self.entry_key = fallback_key(r, e);
                        self.load_resource(r);
                        self.entry_key = None;
                    }
                }
                Some(_) => {
                    self.issue(
                        "Bundle.entry.resource",
                        "entry.resource must be a JSON object",
                    );
                    self.report.skipped("(bad entry)");
                }
                // batch-response / history entries may carry only a response.
                None => {}
            }
        }
        self.entry = None;
    }

    /// Dispatches one resource to its mapper; checks id and references first.
    pub fn load_resource(&mut self, r: &Value) {
        let Some(rt) = r.get("resourceType").and_then(Value::as_str) else {
            self.issue("resourceType", "resource has no resourceType");
            self.report.skipped("(no resourceType)");
            return;
        };
        match r.get("id") {
            Some(Value::String(id)) if !fhir_refs::is_valid_id(id) => {
                self.issue(
                    &format!("{rt}.id"),
                    "invalid resource id: must be 1-64 of A-Z a-z 0-9 - . (FHIR R4 id)",
                );
            }
            Some(Value::String(_)) | None => {}
            Some(_) => self.issue(&format!("{rt}.id"), "id must be a string"),
        }
        self.check_references(r, rt);
        self.current_key = resource_key(r)
            .or_else(|| self.entry_key.clone())
            .unwrap_or_default();
        self.contained.clear();
        if let Some(Value::Array(cs)) = r.get("contained") {
            for c in cs {
                if let Some(id) = c.get("id").and_then(Value::as_str) {
                    self.contained.push((format!("#{id}"), c.to_owned_value()));
                }
            }
        }
        let loaded = match rt {
            "Patient" => self.load_patient(r),
            "Organization" => self.load_organization(r),
            "Practitioner" => self.load_practitioner(r),
            "PractitionerRole" => self.load_practitioner_role(r),
            "Encounter" => self.load_encounter(r),
            "Condition" => self.load_condition(r),
            "Observation" => self.load_observation(r),
            "MedicationRequest" | "MedicationStatement" => self.load_medication(r, rt),
            "Medication" => {
                let k = self.current_key.clone();
                self.register_medication(r, &k)
            }
            "Procedure" | "ServiceRequest" | "DiagnosticReport" => self.load_procedure(r, rt),
            "CarePlan" => self.load_care_plan(r),
            "CareTeam" => self.load_care_team(r),
            "Claim" | "ExplanationOfBenefit" => self.load_claim(r, rt),
            _ => false,
        };
        if loaded {
            self.report.loaded_kind(rt);
        } else {
            self.report.skipped_kind(rt);
        }
    }

    /// Walks a resource for `reference` strings and reports those whose syntax is wrong.
    fn check_references(&mut self, r: &Value, rt: &str) {
        let mut path: Vec<&str> = Vec::new();
        let mut bad: Vec<(String, RefError)> = Vec::new();
        fn walk<'v>(v: &'v Value, path: &mut Vec<&'v str>, bad: &mut Vec<(String, RefError)>) {
            match v {
                Value::Object(m) => {
                    for (k, child) in m {
                        if k == "reference"
                            && let Value::String(s) = child
                            && let Err(e) = fhir_refs::reference_key(s)
                        {
                            let mut p = path.join(".");
                            p.push_str(".reference");
                            bad.push((p, e));
                        } else if matches!(child, Value::Object(_) | Value::Array(_)) {
                            path.push(k);
                            walk(child, path, bad);
                            path.pop();
                        }
                    }
                }
                Value::Array(a) => {
                    for child in a {
                        walk(child, path, bad);
                    }
                }
                _ => {}
            }
        }
        path.push(rt);
        walk(r, &mut path, &mut bad);
        for (p, e) in bad {
            self.issue(&p, e.message());
        }
    }

    /// The key a reference value points at (see [`fhir_refs`]), with issues for bad syntax.
    /// `ty` is the type a logical (identifier) reference is assumed to have.
    pub fn ref_key(&mut self, r: &Value, field: &str, ty: &str) -> Option<String> {
        let obj = match r {
            Value::Object(_) => r,
            Value::Null => return None,
            _ => {
                self.issue(field, "reference must be a JSON object");
                return None;
            }
        };
        match obj.get("reference") {
            Some(Value::String(s)) => {
                let key = fhir_refs::reference_key(s).ok()?;
                if key.starts_with("urn:") || key.starts_with("http") {
                    return Some(
                        self.urls
                            .get(key.as_ref())
                            .cloned()
                            .unwrap_or_else(|| key.into()),
                    );
                }
                if let Some(k) = self.urls.get(s.as_ref()) {
                    return Some(k.clone());
                }
                Some(key.into_owned())
            }
            Some(_) => {
                self.issue(field, "reference must be a string");
                None
            }
            None => {
                // A logical reference by identifier.
                let id = obj.get("identifier")?;
                let value = id.get("value").and_then(Value::as_str)?;
                let system = id.get("system").and_then(Value::as_str).unwrap_or("");
                let ty = obj.get("type").and_then(Value::as_str).unwrap_or(ty);
                Some(fhir_refs::identifier_key(ty, system, value))
            }
        }
    }

    /// A contained resource of the current resource.
    pub fn contained(&self, key: &str) -> Option<&Value<'static>> {
        self.contained
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub fn provenance(&self, org: Option<OrgIdx>) -> Provenance {
        Provenance {
            org,
            feed: self.feed,
        }
    }

    /// Resolves queued encounter references and diagnoses, and reports what never resolved.
    fn finish(mut self) -> IngestReport {
        let pending = std::mem::take(&mut self.pending_encounters);
        let mut unresolved = 0usize;
        for (slot, key) in pending {
            let Some(e) = self.net.encounter_by_key(&key) else {
                unresolved += 1;
                continue;
            };
            let org = self.net.encounters[e.idx()].org;
            let net = &mut *self.net;
            let (enc, prov) = match slot {
                FactSlot::Condition(i) => {
                    let c = &mut net.conditions[i];
                    (&mut c.encounter, &mut c.provenance)
                }
                FactSlot::Observation(i) => {
                    let c = &mut net.observations[i];
                    (&mut c.encounter, &mut c.provenance)
                }
                FactSlot::Medication(i) => {
                    let c = &mut net.medications[i];
                    (&mut c.encounter, &mut c.provenance)
                }
                FactSlot::Procedure(i) => {
                    let c = &mut net.procedures[i];
                    (&mut c.encounter, &mut c.provenance)
                }
            };
            *enc = Some(e);
            if prov.org.is_none() {
                prov.org = org;
            }
        }
        self.source = std::mem::take(&mut self.load_name);
        self.line = None;
        self.entry = None;
        if unresolved > 0 {
            self.issue(
                "encounter",
                format!("{unresolved} encounter references point to no loaded Encounter"),
            );
        }
        let dx = std::mem::take(&mut self.pending_diagnoses);
        let mut dx_missing = 0usize;
        for d in dx {
            match self.condition_codes.get(&d.condition_key).copied() {
                Some(code) => self.add_diagnosis(d.encounter, code, d.principal),
                None => dx_missing += 1,
            }
        }
        if dx_missing > 0 {
            self.issue(
                "diagnosis.condition",
                format!("{dx_missing} diagnosis references point to no loaded Condition"),
            );
        }
        let orgs = self.placeholder_orgs.len();
        if orgs > 0 {
            self.issue(
                "Organization",
                format!(
                    "{orgs} organisations are known only from references (their Organization resource was not loaded)"
                ),
            );
        }
        let practs = self.placeholder_practs.len();
        if practs > 0 {
            self.issue(
                "Practitioner",
                format!(
                    "{practs} practitioners are known only from references (their Practitioner resource was not loaded)"
                ),
            );
        }
        self.report
    }

    /// Adds an encounter diagnosis once per (encounter, code); a later principal flag wins.
    pub fn add_diagnosis(&mut self, encounter: EncIdx, code: Code, principal: bool) {
        if self.diagnoses_seen.insert((encounter, code)) {
            self.net.add_diagnosis(Diagnosis {
                encounter,
                code,
                principal,
            });
        } else if principal
            && let Some(d) = self
                .net
                .diagnoses
                .iter_mut()
                .rev()
                .find(|d| d.encounter == encounter && d.code == code)
        {
            d.principal = true;
        }
    }

    // ---- typed field access with issues --------------------------------------------------

    /// A string field; a present non-string is an issue.
    pub fn str_of<'v>(&mut self, obj: &'v Value<'_>, key: &str, rt: &str) -> Option<&'v str> {
        match obj.get(key)? {
            Value::String(s) => Some(s.as_ref()),
            Value::Null => None,
            _ => {
                self.issue(&format!("{rt}.{key}"), "must be a JSON string");
                None
            }
        }
    }

    /// An array field; a present non-array is an issue and reads as empty.
    pub fn arr_of<'v, 'a>(&mut self, obj: &'v Value<'a>, key: &str, rt: &str) -> &'v [Value<'a>] {
        match obj.get(key) {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => &[],
            Some(_) => {
                self.issue(&format!("{rt}.{key}"), "must be a JSON array");
                &[]
            }
        }
    }

    /// A FHIR date / dateTime / instant field; unparseable text is an issue.
    pub fn time_of(&mut self, obj: &Value, key: &str, rt: &str) -> Option<Timestamp> {
        let s = self.str_of(obj, key, rt)?;
        match Timestamp::parse_iso(s) {
            Some(t) => Some(t),
            None => {
                self.issue(
                    &format!("{rt}.{key}"),
                    "not a valid FHIR date/dateTime (YYYY[-MM[-DD[Thh:mm:ss[.s][Z|±hh:mm]]]])",
                );
                None
            }
        }
    }

    /// A Period: `(start, end)`. An end before the start is an issue and the end is dropped
    /// (the start, usually the admission, is kept). A start and end of different precision that
    /// cannot be ordered (a date and a time on that same day) is an issue; both are kept.
    pub fn period_of(
        &mut self,
        obj: &Value,
        key: &str,
        rt: &str,
    ) -> (Option<Timestamp>, Option<Timestamp>) {
        let path = format!("{rt}.{key}");
        let p = match obj.get(key) {
            Some(p @ Value::Object(_)) => p,
            None | Some(Value::Null) => return (None, None),
            Some(_) => {
                self.issue(&path, "Period must be a JSON object");
                return (None, None);
            }
        };
        let start = self.time_of(p, "start", &path);
        let mut end = self.time_of(p, "end", &path);
        if let (Some(s), Some(e)) = (start, end) {
            let raw = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
            let (us, ue) = (utc_seconds(raw("start"), s), utc_seconds(raw("end"), e));
            if ue < us {
                self.issue(
                    &path,
                    "period end is before its start (FHIR per-1); end dropped, start kept",
                );
                end = None;
            } else {
                let ps = p.get("start").and_then(Value::as_str).map_or(0, str::len);
                let pe = p.get("end").and_then(Value::as_str).map_or(0, str::len);
                if (ps <= 10) != (pe <= 10) && s.day() == e.day() {
                    // A date covers its whole day: it is neither before nor after a time in it.
                    self.issue(
                        &path,
                        "period start and end have different precision on the same day and cannot be ordered (FHIR per-1)",
                    );
                }
            }
        }
        (start, end)
    }
}

/// Seconds since the epoch in UTC of a FHIR dateTime whose wall-clock value is `wall`: the
/// written offset (`Z`, `±hh:mm`) is taken off, so times either side of a daylight-saving change
/// compare correctly (Synthea writes local offsets).
fn utc_seconds(raw: &str, wall: Timestamp) -> i64 {
    let b = raw.trim().as_bytes();
    let mut offset = 0i64;
    if b.len() > 19 {
        let tail = &b[b.len().saturating_sub(6)..];
        if tail.len() == 6 && matches!(tail[0], b'+' | b'-') && tail[3] == b':' {
            let num = |x: &[u8]| -> i64 {
                x.iter()
                    .fold(0i64, |a, d| a * 10 + i64::from(d.wrapping_sub(b'0') % 10))
            };
            let secs = num(&tail[1..3]) * 3600 + num(&tail[4..6]) * 60;
            offset = if tail[0] == b'-' { -secs } else { secs };
        }
    }
    wall.0 - offset
}

/// `Type/id` of a resource with an id.
pub(crate) fn resource_key(r: &Value) -> Option<String> {
    let rt = r.get("resourceType")?.as_str()?;
    let id = r.get("id")?.as_str()?;
    Some(format!("{rt}/{id}"))
}

/// `Type/<fullUrl>` for a bundle entry whose resource has no id (transaction POSTs).
fn fallback_key(r: &Value, entry: &Value) -> Option<String> {
    if r.get("id").is_some() {
        return None;
    }
    let rt = r.get("resourceType")?.as_str()?;
    let url = entry.get("fullUrl")?.as_str()?;
    Some(format!("{rt}/{url}"))
}

/// Bulk ndjson rather than one broken document: two or more non-empty lines and, among the
/// first three, either each starting with `{` and at least one a complete JSON object, or at
/// least two complete JSON objects (so one broken line, whatever it starts with, does not turn a
/// whole bulk file into a parse error). A pretty-printed document never has two of its first
/// three lines parse as objects on their own.
fn looks_like_ndjson(bytes: &[u8]) -> bool {
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    let objects = lines
        .iter()
        .filter(|l| l.first() == Some(&b'{') && parse_checked(l).is_ok_and(|(v, _)| v.is_object()))
        .count();
    lines.len() >= 2
        && (objects >= 2 || (objects >= 1 && lines.iter().all(|l| l.first() == Some(&b'{'))))
}
